//! Bulk assignment over HTTP: the sample file, uploading a CSV or XLSX file (raw body or a
//! multipart form's `file` field) to get a stored plan, reading and applying a plan, and the
//! extensions export. Only the upload route accepts a large body ([`UPLOAD_LIMIT`]).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use seatline_app::bulk::{BulkFile, PlanRows, PlanView};
use seatline_domain::{ErrorCode, OrgId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::AppState;

/// Largest upload: a full 100,000-row file with long emails and several add-on columns
/// stays well below it.
pub(crate) const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, upload) = routes!(create_plan);
    OpenApiRouter::new()
        .routes(routes!(sample))
        .routes((
            schemas,
            paths,
            upload.layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        ))
        .routes(routes!(get_plan))
        .routes(routes!(plan_rows))
        .routes(routes!(apply_plan))
        .routes(routes!(export))
        .routes(routes!(export_xlsx))
}

fn csv_file(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn too_large() -> ApiError {
    ApiError::domain(
        ErrorCode::TooLarge,
        format!(
            "the file is larger than {} MiB; split it into smaller files",
            UPLOAD_LIMIT / (1024 * 1024)
        ),
    )
}

/// The uploaded file: the `file` field of a multipart form, or else the raw body.
async fn file_bytes(req: Request, state: &AppState) -> ApiResult<Bytes> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if !multipart {
        return Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::malformed(format!("the body could not be read: {}", r.body_text()))
            }
        });
    }
    let mut form = Multipart::from_request(req, state).await.map_err(|r| {
        ApiError::malformed(format!("the form could not be read: {}", r.body_text()))
    })?;
    loop {
        let field = form.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::malformed(format!("the form could not be read: {}", e.body_text()))
            }
        })?;
        let Some(field) = field else {
            return Err(ApiError::malformed(
                "the form has no `file` field; send the CSV or XLSX file as `file`",
            ));
        };
        if field.name() == Some("file") {
            return field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::malformed(format!("the file could not be read: {}", e.body_text()))
                }
            });
        }
    }
}

/// A sample bulk file: the header and two rows that would pass for this organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/bulk/sample.csv", tag = "bulk",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The sample file", content((String = "text/csv")))))]
async fn sample(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Response> {
    let body = s.app.bulk_sample(&ctx, &OrgId(org)).await?;
    Ok(csv_file("seatline-sample.csv", body))
}

/// Upload a CSV (UTF-8, `,` or `;`) or XLSX file, as the raw body or a multipart form's
/// `file` field, and get its plan: every problem at once, seats needed per code. The plan is
/// stored, valid or not; apply it with `POST …/plans/{plan}/apply`. Up to 100,000 data rows
/// and 64 MiB.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/bulk/plans", tag = "bulk",
    params(("org" = String, Path, description = "Organization id")),
    request_body(description = "The bulk file", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Vec<u8> = "multipart/form-data"))),
    responses((status = 201, description = "The stored plan, `invalid` or `ready`", body = PlanView)))]
async fn create_plan(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    req: Request,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let bytes = file_bytes(req, &s).await?;
    let plan = s
        .app
        .bulk_plan(
            &ctx,
            &OrgId(org),
            BulkFile::bytes(bytes),
            Default::default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(plan.summary())))
}

/// Read a stored plan: a bulk file's, or a cleanup plan (its `cleanup` names what it cleans up).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/bulk/plans/{plan}", tag = "bulk",
    params(("org" = String, Path, description = "Organization id"),
           ("plan" = String, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = PlanView)))]
async fn get_plan(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, plan)): ApiPath<(String, String)>,
) -> ApiResult<Json<PlanView>> {
    Ok(Json(
        s.app
            .bulk_get_plan(&ctx, &OrgId(org), &plan)
            .await?
            .summary(),
    ))
}

/// A stored plan's rows (each row's outcome, key, member, numbers and add-ons), in file
/// order, a page at a time: the plan itself lists only the first 1,000 (`items_truncated`).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/bulk/plans/{plan}/rows", tag = "bulk",
    params(("org" = String, Path, description = "Organization id"),
           ("plan" = String, Path, description = "Plan id"), RowsQuery),
    responses((status = 200, description = "One page of the plan's rows", body = PlanRows)))]
async fn plan_rows(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, plan)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<RowsQuery>,
) -> ApiResult<Json<PlanRows>> {
    let rows = s
        .app
        .bulk_plan_rows(&ctx, &OrgId(org), &plan, q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(rows))
}

/// `?cursor=&limit=` of a plan's rows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RowsQuery {
    /// The `next_cursor` of the previous page (`after` is accepted as its alias).
    #[serde(alias = "after")]
    pub cursor: Option<String>,
    /// Rows per page, 1 to 5000 (default 500).
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
}

/// Apply a ready plan: every row in one transaction with its audit entries, or nothing.
/// A cleanup plan (`POST …/reports/findings/plan`) is applied the same way, its rows checked
/// against the organization as it is now.
/// A plan the organization no longer allows answers 409 `plan_stale` listing the problems;
/// an applied plan answers its applied state again and applies nothing; an invalid plan
/// answers 409 `plan_invalid`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/bulk/plans/{plan}/apply", tag = "bulk",
    params(("org" = String, Path, description = "Organization id"),
           ("plan" = String, Path, description = "Plan id")),
    responses((status = 200, description = "The plan, status `applied`", body = PlanView)))]
async fn apply_plan(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, plan)): ApiPath<(String, String)>,
) -> ApiResult<Json<PlanView>> {
    Ok(Json(
        s.app
            .bulk_apply(&ctx, &OrgId(org), &plan, Default::default())
            .await?
            .summary(),
    ))
}

/// Every extension as a bulk file, in the upload format: it re-imports unchanged into an
/// organization with the same members, numbers and seats. Cells a spreadsheet would run as
/// formulas start with an apostrophe (E.164 numbers excepted).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/extensions/export.csv", tag = "bulk",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The extensions", content((String = "text/csv")))))]
async fn export(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Response> {
    let body = s.app.export_csv(&ctx, &OrgId(org)).await?;
    Ok(csv_file("seatline-extensions.csv", body))
}

/// The same export as an XLSX workbook: every cell is text, so Excel keeps `+6561230001`
/// and `1001` as they are and the file re-imports unchanged.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/extensions/export.xlsx", tag = "bulk",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The extensions", content(
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn export_xlsx(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Response> {
    let body = s.app.export_xlsx(&ctx, &OrgId(org)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, XLSX),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"seatline-extensions.xlsx\"",
            ),
        ],
        body,
    )
        .into_response())
}

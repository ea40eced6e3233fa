//! Activity from the PBX and the contact center (product.md §14): `POST …/activity` with up
//! to 10,000 items. Each item is read alone: a bad one is refused by index and field, one on
//! an unknown extension is listed back as ignored, and the batch itself succeeds.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::Json;
use futures_util::TryStreamExt;
use seatline_app::activity::{ActivityReport, CdrImport};
use seatline_domain::activity::cdr;
use seatline_domain::OrgId;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::AppState;

/// Largest activity report: 10,000 items of the longest shape (about 110 bytes each) with
/// room for whitespace.
pub(crate) const ACTIVITY_LIMIT: usize = 4 * 1024 * 1024;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, report) = routes!(report_activity);
    OpenApiRouter::new()
        .routes((
            schemas,
            paths,
            report.layer(DefaultBodyLimit::max(ACTIVITY_LIMIT)),
        ))
        .routes(routes!(import_activity))
}

/// One activity the PBX or the contact center saw.
#[allow(dead_code)] // documentation of what each item of `items` is read as
#[derive(ToSchema)]
pub(crate) struct ActivityItem {
    /// The extension key, e.g. "1001".
    #[schema(example = "1001")]
    extension: String,
    #[schema(
        pattern = "^(registration|call|contact_center_sign_in)$",
        example = "registration"
    )]
    kind: String,
    /// `ip_phone`, `mobile_app`, `desktop_app`, `web_rtc`, or null when unknown.
    #[schema(example = "ip_phone")]
    device: Option<String>,
    /// RFC 3339; at most 5 minutes after the server's clock.
    #[schema(example = "2026-12-07T09:30:00Z")]
    at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActivityBody {
    /// At most 10,000 items; each is read on its own (see the answer's `refused`).
    #[schema(value_type = Vec<ActivityItem>)]
    items: Vec<Value>,
}

/// Report activity (owner, admin, or an integration token created with
/// `can_report_activity`): the latest `at` per extension, kind and device is kept, so a
/// retry or a replay changes nothing. Items on unknown extensions are listed as `ignored`;
/// malformed items, and items whose `at` is more than 5 minutes ahead, are `refused` with
/// their index and field. More than 10,000 items is 413 `too_large`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/activity", tag = "activity",
    params(("org" = String, Path, description = "Organization id")),
    request_body = ActivityBody,
    responses((status = 200, description = "What was recorded, ignored and refused", body = ActivityReport)))]
async fn report_activity(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<ActivityBody>,
) -> ApiResult<Json<ActivityReport>> {
    Ok(Json(
        s.app
            .report_activity(&ctx, &OrgId(org), &body.items)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// The file's format: `asterisk-cdr` (Asterisk's cdr_csv `Master.csv`).
    format: String,
    /// The PBX's UTC offset (`+02:00`, `-05:30`, `Z`): Asterisk writes local time unless
    /// cdr.conf sets `usegmtime`. Default `Z`.
    utc_offset: Option<String>,
}

/// Import a PBX's call records as activity (owner, admin, or an integration token created
/// with `can_report_activity`): the body is the file itself, read as a stream (at most
/// 256 MiB; lines longer than 8 KiB are refused). Each `src` and `dst` that is an extension
/// key counts as a call at the record's `start`; the latest per extension is kept, as
/// `POST …/activity` does. Bad lines are listed by number (the first 1,000) and never stop
/// the import. See docs/activity.md for the mapping.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/activity/import", tag = "activity",
    params(("org" = String, Path, description = "Organization id"), ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CDR file (Master.csv), no header line"),
    responses((status = 200, description = "What the import read, recorded, ignored and refused", body = CdrImport)))]
async fn import_activity(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Body,
) -> ApiResult<Json<CdrImport>> {
    cdr::check_format(&q.format)?;
    let offset = cdr::parse_offset(q.utc_offset.as_deref().unwrap_or("Z"))?;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio::io::BufReader::new(tokio_util::io::StreamReader::new(stream));
    Ok(Json(
        s.app.import_cdr(&ctx, &OrgId(org), reader, offset).await?,
    ))
}

//! The audit log of an organization: newest first, paged, filtered, as JSON or CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use seatline_app::views::Page;
use seatline_app::{unknown_filter, MAX_PAGE};
use seatline_domain::OrgId;
use seatline_store::{AuditEntry, AuditQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit))
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditFilter {
    /// Only entries of this action, e.g. `extension.assign`.
    pub action: Option<String>,
    /// Only entries about this target, e.g. `extension:101` or `member:mem_…`.
    pub target: Option<String>,
    /// The `next_cursor` of the previous page. `after` is accepted as its alias (the name
    /// the events and entitlements lists use).
    #[serde(alias = "after")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100). CSV ignores it and holds every entry.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
}

/// One audit entry: who did what to which object, when, with before and after.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditView {
    pub id: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// `operator` or `member:<id>`.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Value,
    pub after: Value,
    /// The `x-request-id` of the request that made the change.
    pub request_id: Option<String>,
    /// Ids of the teams of the member the entry concerns (the target member, or the
    /// extension's holder), as they were when it was written.
    pub teams: Vec<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            id: e.id.to_string(),
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
            teams: e.teams,
        }
    }
}

/// The audit log, newest first. `?format=csv` answers `text/csv` with every matching entry.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit", tag = "audit",
    params(("org" = String, Path, description = "Organization id"), AuditFilter),
    responses((status = 200, description = "One page of entries, or the CSV file",
        content((Page<AuditView> = "application/json"), (String = "text/csv")))))]
async fn audit(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(f): ApiQuery<AuditFilter>,
) -> ApiResult<Response> {
    let org = OrgId(org);
    let before_id = f
        .cursor
        .as_deref()
        .map(|c| c.parse::<i64>().map_err(|_| unknown_filter("cursor", c)))
        .transpose()?;
    let mut q = AuditQuery {
        action: f.action.filter(|a| !a.is_empty()),
        target: f.target.filter(|t| !t.is_empty()),
        before_id,
        limit: f.limit.unwrap_or(0),
    };
    match f.format.unwrap_or_default() {
        Format::Json => {
            let page = s.app.audit(&ctx, &org, q).await?;
            Ok(Json(Page {
                items: page.items.into_iter().map(AuditView::from).collect(),
                next_cursor: page.next_cursor,
            })
            .into_response())
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(Vec::new());
            let header = [
                "id",
                "at",
                "actor",
                "action",
                "target",
                "before",
                "after",
                "request_id",
            ];
            csv.write_record(header)
                .map_err(|e| ApiError::internal(&e))?;
            q.limit = MAX_PAGE;
            loop {
                let page = s.app.audit(&ctx, &org, q.clone()).await?;
                for e in page.items {
                    let row = [
                        e.id.to_string(),
                        e.at,
                        e.actor,
                        e.action,
                        e.target,
                        e.before.to_string(),
                        e.after.to_string(),
                        e.request_id.unwrap_or_default(),
                    ];
                    csv.write_record(row.iter().map(|c| neutralise(c)))
                        .map_err(|e| ApiError::internal(&e))?;
                }
                match page.next_cursor.and_then(|c| c.parse().ok()) {
                    Some(next) => q.before_id = Some(next),
                    None => break,
                }
            }
            let body = csv.into_inner().map_err(|e| ApiError::internal(&e))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"audit.csv\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
    }
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

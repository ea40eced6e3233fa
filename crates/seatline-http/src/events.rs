//! The change feed (product.md §8): events after a cursor with long polling, and the
//! entitlements snapshot a consumer starts from (integration tokens read both; they are
//! issued in `tokens`).

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use seatline_app::events::{EntitlementsPage, EventPage, EventsRequest};
use seatline_domain::{Error, ErrorCode, OrgId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(entitlements))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// The seq of the last event you hold (0 or absent: from the start); the page holds
    /// the events after it. `cursor` is accepted as its alias (the name the other lists use).
    #[param(minimum = 0)]
    #[serde(alias = "cursor")]
    pub after: Option<i64>,
    /// Events per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Comma-separated event types or prefixes, e.g. `extension.*,member.disabled`; all when absent.
    pub types: Option<String>,
    /// Seconds to wait for an event after the cursor when there is none yet, 0 to 30
    /// (default 0): the answer comes as soon as one commits, or empty at the end.
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u64>,
}

/// The organization's change feed, in seq order. Follow it by passing `next_cursor` back as
/// `after`; with `wait`, the request is held until an event commits. Older than the
/// retention, or one that read events a restore discarded (another epoch of the feed): 410
/// `cursor_expired` with `details.oldest_available` and `details.epoch`; read the entitlements
/// snapshot again then. A cursor past the newest event: 409 `cursor_ahead` with
/// `details.head`, at once even with `wait`. Seqs grow by 1 within an epoch and jump to
/// `epoch + 1` at a restore.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/events", tag = "events",
    params(("org" = String, Path, description = "Organization id"), EventsQuery),
    responses((status = 200, description = "Events after the cursor", body = EventPage)))]
async fn events(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<EventPage>> {
    let wait = q.wait.unwrap_or(0);
    if wait > 30 {
        return Err(Error::new(
            ErrorCode::Malformed,
            format!("wait is {wait}; it must be 0 to 30 seconds"),
        )
        .detail("field", "wait")
        .into());
    }
    let types = q
        .types
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let req = EventsRequest {
        after: q.after.unwrap_or(0),
        limit: q.limit,
        types,
        wait: Duration::from_secs(wait),
    };
    Ok(Json(s.app.events(&ctx, &OrgId(org), req).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntitlementsQuery {
    /// The `next_cursor` of the previous page (an extension key). `cursor` is accepted as
    /// its alias (the name the other lists use).
    #[serde(alias = "cursor")]
    pub after: Option<String>,
    /// Extensions per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Every extension's state, ordered by key, as of one seq of the feed: a consumer reads
/// every page, then follows `/events?after=as_of` (each page has its own `as_of`; follow
/// from the first page's, and drop events whose `version` is not newer than what you hold).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/entitlements", tag = "events",
    params(("org" = String, Path, description = "Organization id"), EntitlementsQuery),
    responses((status = 200, description = "One page of the snapshot", body = EntitlementsPage)))]
async fn entitlements(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<EntitlementsQuery>,
) -> ApiResult<Json<EntitlementsPage>> {
    let page = s
        .app
        .entitlements_snapshot(&ctx, &OrgId(org), q.after.as_deref(), q.limit)
        .await?;
    Ok(Json(page))
}

//! Activity from the PBX and the contact center (product.md §14): `POST …/activity` with up
//! to 10,000 items. Each item is read alone: a bad one is refused by index and field, one on
//! an unknown extension is listed back as ignored, and the batch itself succeeds.

use axum::extract::{DefaultBodyLimit, State};
use axum::Json;
use seatline_app::activity::ActivityReport;
use seatline_domain::OrgId;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::AppState;

/// Largest activity report: 10,000 items of the longest shape (about 110 bytes each) with
/// room for whitespace.
pub(crate) const ACTIVITY_LIMIT: usize = 4 * 1024 * 1024;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, report) = routes!(report_activity);
    OpenApiRouter::new().routes((
        schemas,
        paths,
        report.layer(DefaultBodyLimit::max(ACTIVITY_LIMIT)),
    ))
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

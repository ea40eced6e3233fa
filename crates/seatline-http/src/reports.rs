//! The usage report, its findings (JSON or CSV) and cleanup plans (product.md §11). A
//! cleanup plan is a bulk plan: it is read and applied at `…/bulk/plans/{plan}`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use seatline_app::bulk::PlanView;
use seatline_app::reports::{FindingList, IdleParams};
use seatline_domain::OrgId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Format;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(usage))
        .routes(routes!(findings))
        .routes(routes!(cleanup_plan))
}

// The shapes below document what the domain's report values serialize to.

/// One code's line of the usage report. Money is a decimal string; the cost fields are null
/// when the code has no unit price.
#[allow(dead_code)] // documentation of the domain's serialized value
#[derive(Serialize, ToSchema)]
pub(crate) struct UsageLine {
    code: String,
    name: String,
    purchased: u32,
    /// Copies on extensions (phone_system: the extensions).
    in_use: u32,
    /// Copies on extensions that have a member.
    assigned: u32,
    /// Copies that give service (product.md §10).
    effective: u32,
    /// Copies in productive use: on an extension held by an active member, effective, and
    /// not idle.
    productive: u32,
    /// Copies held by an active member and effective that had no activity for `idle_days`
    /// by `at` (product.md §14).
    idle: u32,
    available: u32,
    over_allocated: u32,
    /// The subscription's state: active, expired, suspended or terminated.
    state: String,
    unit_price: Option<String>,
    currency: Option<String>,
    /// unit price × purchased.
    monthly_cost: Option<String>,
    /// unit price × (purchased − productive), never below 0.
    monthly_waste: Option<String>,
}

/// The totals over the priced codes; null when no code has a price or prices are in more
/// than one currency.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub(crate) struct UsageTotals {
    monthly_cost: Option<String>,
    monthly_waste: Option<String>,
    currency: Option<String>,
}

#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub(crate) struct UsageReport {
    /// Every catalog code, in catalog order.
    items: Vec<UsageLine>,
    totals: UsageTotals,
}

/// A member named by a finding.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub(crate) struct FindingMember {
    id: String,
    email: String,
}

/// Something paid for and not used, and the cleanup row that fixes it.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub(crate) struct Finding {
    /// extension_unassigned, addon_on_unassigned_extension, number_on_unassigned_extension,
    /// disabled_member_holds_extension, contact_center_not_ready, over_allocated,
    /// not_effective, idle_extension, idle_contact_center, idle_device.
    kind: String,
    /// The extension key; null for a whole code (over_allocated).
    extension: Option<String>,
    member: Option<FindingMember>,
    /// The copies concerned, one entry per copy.
    codes: Vec<String>,
    /// The numbers concerned (number_on_unassigned_extension only).
    numbers: Option<Vec<String>>,
    /// The unit prices of `codes`, summed; null when one has no price.
    monthly_waste: Option<String>,
    /// unassign, remove_addons, detach_numbers or deprovision.
    suggested_action: String,
}

#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub(crate) struct Findings {
    items: Vec<Finding>,
    /// Pass it back as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindingFilter {
    /// Only findings of this kind.
    pub kind: Option<String>,
    /// The `next_cursor` of the previous page (`after` is accepted as its alias). CSV
    /// ignores it and holds every finding.
    #[serde(alias = "after")]
    pub cursor: Option<String>,
    /// Findings per page, 1 to 5000 (default 500). CSV ignores it.
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
    /// The instant to judge idle copies at (RFC 3339, at most 400 days ahead; default now):
    /// a forecast of what will be idle by then, e.g. at renewal.
    pub at: Option<String>,
    /// Days without activity that make a copy idle, 1 to 3650 (default 30).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    pub idle_days: Option<String>,
}

/// When the usage report judges idle copies.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    /// The instant to judge idle copies at (RFC 3339, at most 400 days ahead; default now).
    pub at: Option<String>,
    /// Days without activity that make a copy idle, 1 to 3650 (default 30).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    pub idle_days: Option<String>,
}

/// What to clean up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CleanupBody {
    /// The finding kinds to clean up (at least one).
    pub kinds: Vec<String>,
    /// Only these extensions (keys); all when absent.
    pub extensions: Option<Vec<String>>,
}

/// Per code: purchased, in use, assigned, effective, in productive use, available,
/// over-allocated, idle (no activity for `idle_days` by `at`), and with a unit price the
/// monthly cost and waste; the totals.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/reports/usage", tag = "reports",
    params(("org" = String, Path, description = "Organization id"), UsageQuery),
    responses((status = 200, description = "The usage report", body = UsageReport)))]
async fn usage(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Response> {
    let params = IdleParams {
        at: q.at,
        idle_days: q.idle_days,
    };
    let report = s.app.usage_report_at(&ctx, &OrgId(org), &params).await?;
    Ok(Json(report).into_response())
}

/// The findings (or one kind), extension by extension, then the over-allocated codes, a
/// page at a time (`cursor`, `limit`). `?format=csv` answers every finding as `text/csv`,
/// cells a spreadsheet would run as formulas neutralised.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/reports/findings", tag = "reports",
    params(("org" = String, Path, description = "Organization id"), FindingFilter),
    responses((status = 200, description = "The findings, or the CSV file",
        content((Findings = "application/json"), (String = "text/csv")))))]
async fn findings(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(f): ApiQuery<FindingFilter>,
) -> ApiResult<Response> {
    let kind = f.kind.as_deref().filter(|k| !k.is_empty());
    let params = IdleParams {
        at: f.at.clone(),
        idle_days: f.idle_days.clone(),
    };
    let items = s.app.findings_at(&ctx, &OrgId(org), kind, &params).await?;
    Ok(match f.format.unwrap_or_default() {
        Format::Json => {
            Json(FindingList::page(&items, f.cursor.as_deref(), f.limit).map_err(ApiError::from)?)
                .into_response()
        }
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"seatline-findings.csv\"",
                ),
            ],
            seatline_app::reports::findings_csv(&items),
        )
            .into_response(),
    })
}

/// A cleanup plan for the findings of these kinds: rows that unassign disabled members,
/// detach numbers, remove add-ons and deprovision unassigned extensions, each with the seats
/// it frees. Stored with the bulk plans: review it at `GET …/bulk/plans/{plan}`, apply it at
/// `POST …/bulk/plans/{plan}/apply` (409 `plan_stale` when a row no longer matches).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/reports/findings/plan", tag = "reports",
    params(("org" = String, Path, description = "Organization id")),
    request_body = CleanupBody,
    responses((status = 201, description = "The stored cleanup plan", body = PlanView)))]
async fn cleanup_plan(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CleanupBody>,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let plan = s
        .app
        .cleanup_plan(&ctx, &OrgId(org), &body.kinds, body.extensions.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(plan.summary())))
}

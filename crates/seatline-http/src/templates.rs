//! Team license templates (product.md §13): a team's template, its status and reprocessing,
//! a member's reprocessing, and the waiting room. Who may do what is the use cases' to decide.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::templates::{LicenseStateEntry, LicenseStateView, TemplateStatus, TemplateView};
use seatline_domain::OrgId;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_template, set_template, delete_template))
        .routes(routes!(template_status))
        .routes(routes!(plan_template))
        .routes(routes!(reprocess_team))
        .routes(routes!(reprocess_member))
        .routes(routes!(waiting_room))
}

/// A template as written (the body of `PUT …/template`).
/// Only its schema is used: the handler reads the body as JSON, so that every invalid field
/// is named by the template's own validation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct TemplateWrite {
    /// `{"from": KEY, "to": KEY}` (the lowest free key of the range), `true` (the
    /// organization's lowest free key) or `null` (no extension asked for).
    #[schema(value_type = Object, example = json!({"from": "2000", "to": "2999"}))]
    pub extension: Value,
    /// Copies per add-on code each member's extension carries (codes held once: 1; others:
    /// up to 20). Add-ons need `extension`.
    #[schema(example = json!({"license_center": 1, "device_web_rtc": 1}))]
    pub addons: BTreeMap<String, u32>,
}

/// The body of `POST …/template/plan`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplatePlanBody {
    /// The template to plan (as `PUT …/template` takes it), or `null` to plan its deletion.
    #[schema(value_type = Object)]
    pub template: Value,
}

/// The plan of a template change: one row per member reconciled (`grant`, `revoke`, `wait`,
/// `unchanged`, `error`), the seats per code `{code, needed, freed, available}`, and the
/// members that would wait or be in error as warnings. Stored with the bulk plans: review it
/// at `GET …/bulk/plans/{plan}` and apply it at `POST …/bulk/plans/{plan}/apply` (refused
/// `plan_stale` when the organization changed so that a row would come out differently).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/teams/{team}/template/plan", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    request_body = TemplatePlanBody,
    responses((status = 201, description = "The stored plan", body = seatline_app::bulk::PlanView)))]
async fn plan_template(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<TemplatePlanBody>,
) -> ApiResult<(StatusCode, Json<seatline_app::bulk::PlanView>)> {
    let plan = s
        .app
        .plan_template(&ctx, &OrgId(org), &team, &body.template)
        .await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// The waiting room, in join order (never paged: it is what waits for seats now).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WaitingRoom {
    pub items: Vec<LicenseStateEntry>,
    /// Always null: the list is never paged.
    pub next_cursor: Option<String>,
}

/// A member's license state after reprocessing; `null` when it is in no templated team.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Reprocessed {
    pub member: String,
    pub license_state: Option<LicenseStateView>,
}

/// A team's license template; a team-scoped admin reads those of its teams.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}/template", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    responses((status = 200, description = "The template", body = TemplateView),
              (status = 404, description = "No such team, or it has no template")))]
async fn get_template(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.app.template(&ctx, &OrgId(org), &team).await?))
}

/// Set a team's template (owner and whole-organization admins): every member of the team
/// is granted what it asks (or waits, or is in error) and what it no longer asks is revoked,
/// in the same transaction.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/teams/{team}/template", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    request_body = TemplateWrite,
    responses((status = 200, description = "The template as set", body = TemplateView)))]
async fn set_template(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(
        s.app.set_template(&ctx, &OrgId(org), &team, &body).await?,
    ))
}

/// Delete a team's template: what it alone granted is revoked.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}/template", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_template(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.delete_template(&ctx, &OrgId(org), &team).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The template's status: its members' counts by license state, and those waiting (in join
/// order) or in error.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}/template/status", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    responses((status = 200, description = "The status", body = TemplateStatus)))]
async fn template_status(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
) -> ApiResult<Json<TemplateStatus>> {
    Ok(Json(s.app.template_status(&ctx, &OrgId(org), &team).await?))
}

/// Try the grants of every member of the team again now (after fixing an error's cause).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/teams/{team}/template/reprocess", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    responses((status = 200, description = "The status after", body = TemplateStatus)))]
async fn reprocess_team(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
) -> ApiResult<Json<TemplateStatus>> {
    Ok(Json(s.app.reprocess_team(&ctx, &OrgId(org), &team).await?))
}

/// Try a member's grant from its teams' templates again now.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{member}/reprocess", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 200, description = "The member's license state after", body = Reprocessed)))]
async fn reprocess_member(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<Reprocessed>> {
    let license_state = s.app.reprocess_member(&ctx, &OrgId(org), &member).await?;
    Ok(Json(Reprocessed {
        member,
        license_state,
    }))
}

/// The members waiting for seats, in join order: each is granted, by a background pass,
/// within a second of a commit that frees what its whole grant needs.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/waiting-room", tag = "members",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The waiting room", body = WaitingRoom)))]
async fn waiting_room(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<WaitingRoom>> {
    let items = s.app.waiting_room(&ctx, &OrgId(org)).await?;
    Ok(Json(WaitingRoom {
        items,
        next_cursor: None,
    }))
}

//! Teams and admin scopes (product.md §12). Who may do what, and what a team-scoped admin
//! reaches, is decided by the use cases; no handler checks a team.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::{ScopeView, TeamView};
use seatline_domain::OrgId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team, delete_team))
        .routes(routes!(set_team_members))
        .routes(routes!(get_scope, set_scope))
}

/// Every team of the organization (at most 100, so one page).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TeamList {
    pub items: Vec<TeamView>,
    /// Always null: the list is never paged.
    pub next_cursor: Option<String>,
}

/// The organization's teams by name; a team-scoped admin sees the teams of its scope.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The teams", body = TeamList)))]
async fn list_teams(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<TeamList>> {
    let items = s.app.teams(&ctx, &OrgId(org)).await?;
    Ok(Json(TeamList {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTeam {
    /// 1 to 100 characters, unique in the organization ignoring case.
    #[schema(example = "Support")]
    pub name: String,
}

/// Create a team, enabled and empty (owner and whole-organization admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "Organization id")),
    request_body = CreateTeam,
    responses((status = 201, description = "The new team", body = TeamView)))]
async fn create_team(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateTeam>,
) -> ApiResult<(StatusCode, Json<TeamView>)> {
    let view = s
        .app
        .create_team(&ctx, &OrgId(org), &body.name, &[])
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    responses((status = 200, description = "The team", body = TeamView)))]
async fn get_team(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(s.app.team(&ctx, &OrgId(org), &team).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateTeam {
    #[schema(example = "Support EMEA")]
    pub name: Option<String>,
    /// A disabled team gives the admins scoped to it no reach over its members.
    pub enabled: Option<bool>,
}

/// Rename a team and/or enable or disable it.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    request_body = UpdateTeam,
    responses((status = 200, description = "The team as changed", body = TeamView)))]
async fn update_team(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<UpdateTeam>,
) -> ApiResult<Json<TeamView>> {
    let view = s
        .app
        .update_team(&ctx, &OrgId(org), &team, body.name.as_deref(), body.enabled)
        .await?;
    Ok(Json(view))
}

/// Delete a team: its members stay; admins scoped to it lose it from their scope.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_team(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.delete_team(&ctx, &OrgId(org), &team).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamMembers {
    /// Member ids or emails; the team's members become exactly these.
    pub members: Vec<String>,
}

/// Replace a team's members.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/teams/{team}/members", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("team" = String, Path, description = "Team id")),
    request_body = TeamMembers,
    responses((status = 200, description = "The team with its new members", body = TeamView)))]
async fn set_team_members(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, team)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<TeamMembers>,
) -> ApiResult<Json<TeamView>> {
    let view = s
        .app
        .set_team_members(&ctx, &OrgId(org), &team, &body.members)
        .await?;
    Ok(Json(view))
}

/// An admin's scope: `teams` null is the whole organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members/{member}/scope", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 200, description = "The member's scope", body = ScopeView)))]
async fn get_scope(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<ScopeView>> {
    Ok(Json(s.app.member_scope(&ctx, &OrgId(org), &member).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetScope {
    /// Team ids the admin is limited to; null gives it the whole organization again. An
    /// empty list leaves it only unassigned extensions.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, required = true)]
    pub teams: Option<Option<Vec<String>>>,
}

/// `teams` as sent, null included: only a missing `teams` is `None`, so `{}` is refused
/// rather than read as "the whole organization".
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<Vec<String>>>, D::Error> {
    Option::<Vec<String>>::deserialize(d).map(Some)
}

/// Limit an admin to teams, or give it the whole organization (owner only).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/members/{member}/scope", tag = "teams",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    request_body = SetScope,
    responses((status = 200, description = "The admin's scope", body = ScopeView)))]
async fn set_scope(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetScope>,
) -> ApiResult<Json<ScopeView>> {
    let teams = body.teams.ok_or_else(|| {
        ApiError::malformed(
            "teams is required: a list of team ids, or null for the whole organization",
        )
    })?;
    let view = s
        .app
        .set_member_scope(&ctx, &OrgId(org), &member, teams)
        .await?;
    Ok(Json(view))
}

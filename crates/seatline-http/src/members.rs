//! Members: create, read, role and status, deletion, and ownership.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{MemberView, Page};
use seatline_domain::OrgId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::orgs::PageQuery;
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(members, create_member))
        .routes(routes!(member, update_member, delete_member))
        .routes(routes!(transfer_ownership))
}

/// Members ordered by email.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "members",
    params(("org" = String, Path, description = "Organization id"), PageQuery),
    responses((status = 200, description = "One page of members", body = Page<MemberView>)))]
async fn members(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MemberView>>> {
    let page = s
        .app
        .members(&ctx, &OrgId(org), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateMember {
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// Display name; the email when empty.
    #[serde(default)]
    pub name: String,
    /// `admin` or `member` (an admin may create only members). Default `member`.
    #[serde(default = "default_role")]
    #[schema(pattern = "^(admin|member)$", example = "member")]
    pub role: String,
}

fn default_role() -> String {
    "member".to_owned()
}

/// Add a member (owner: any role but owner; admin: members only).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "members",
    params(("org" = String, Path, description = "Organization id")),
    request_body = CreateMember,
    responses((status = 201, description = "The new member", body = MemberView)))]
async fn create_member(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateMember>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    let view = s
        .app
        .create_member(&ctx, &OrgId(org), &body.email, &body.name, &body.role)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Read a member, by id or email (every member may read itself).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members/{member}", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 200, description = "The member", body = MemberView)))]
async fn member(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.app.member(&ctx, &OrgId(org), &member).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMember {
    /// `admin` or `member` (owner only; the owner role moves by transfer-ownership).
    #[schema(pattern = "^(admin|member)$", example = "admin")]
    pub role: Option<String>,
    /// `active` or `disabled` (owner or admin; the owner cannot be disabled).
    #[schema(pattern = "^(active|disabled)$", example = "disabled")]
    pub status: Option<String>,
}

/// Change a member's role and/or status.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/members/{member}", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    request_body = UpdateMember,
    responses((status = 200, description = "The member as changed", body = MemberView)))]
async fn update_member(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<UpdateMember>,
) -> ApiResult<Json<MemberView>> {
    let view = s
        .app
        .update_member(
            &ctx,
            &OrgId(org),
            &member,
            body.role.as_deref(),
            body.status.as_deref(),
        )
        .await?;
    Ok(Json(view))
}

/// Delete a disabled member (owner only); its extension stays provisioned, unassigned.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{member}", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 204, description = "Deleted")))]
async fn delete_member(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.delete_member(&ctx, &OrgId(org), &member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make this member the owner (owner only); the previous owner becomes an admin.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{member}/transfer-ownership", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email of the new owner")),
    responses((status = 200, description = "The new owner", body = MemberView)))]
async fn transfer_ownership(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<MemberView>> {
    let view = s.app.transfer_ownership(&ctx, &OrgId(org), &member).await?;
    Ok(Json(view))
}

//! Members, their entitlements and Contact Center readiness, their tokens, and ownership.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{Entitlements, IssuedToken, MemberView, Page};
use seatline_app::Ctx;
use seatline_domain::OrgId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, Bearer};
use crate::orgs::PageQuery;
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(members, create_member))
        .routes(routes!(member, update_member, delete_member))
        .routes(routes!(entitlements))
        .routes(routes!(issue_token))
        .routes(routes!(revoke_token))
        .routes(routes!(transfer_ownership))
        .routes(routes!(contact_center))
        .routes(routes!(me))
}

/// Who the bearer token is: its kind, its organization, and for a member token the member
/// and its role. Any valid token may ask, a SCIM token too (the only route of this API it
/// reaches: an identity provider's admin checks which organization a token is for).
#[utoipa::path(get, path = "/api/v1/me", tag = "tokens",
    responses((status = 200, description = "Who the token is", body = seatline_app::Me)))]
async fn me(
    State(s): State<AppState>,
    Bearer(secret): Bearer,
) -> ApiResult<Json<seatline_app::Me>> {
    let ctx = if s.is_operator(&secret) {
        Ctx::operator()
    } else {
        match s.app.authenticate(&secret).await {
            Ok(ctx) => ctx,
            // Not a member's or an integration token: perhaps a SCIM token; if not, the
            // first refusal says why.
            Err(refused) => s
                .app
                .scim_authenticate(&secret)
                .await
                .map_err(|_| refused)?,
        }
    };
    Ok(Json(s.app.me(&ctx).await?))
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

/// What a member may use now: its extension, add-ons and Contact Center readiness.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members/{member}/entitlements", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 200, description = "The member's entitlements", body = Entitlements)))]
async fn entitlements(
    State(s): State<AppState>,
    // Not the `Auth` extractor: the token is read with the entitlements (issue 15).
    Bearer(token): Bearer,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<Entitlements>> {
    let org = OrgId(org);
    let view = if s.is_operator(&token) {
        s.app.entitlements(&Ctx::operator(), &org, &member).await?
    } else {
        s.app.entitlements_by_secret(&token, &org, &member).await?
    };
    Ok(Json(view))
}

/// Issue a bearer token for a member: to itself, or by the owner or the operator. The
/// secret is shown once; only its hash is stored.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{member}/tokens", tag = "tokens",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id")),
    responses((status = 201, description = "The token, with its secret", body = IssuedToken)))]
async fn issue_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let token = s.app.issue_token(&ctx, &OrgId(org), &member).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke one of a member's tokens (itself, the owner or the operator); it stops working at
/// once.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{member}/tokens/{token}", tag = "tokens",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id"),
           ("token" = String, Path, description = "Token id (not the secret)")),
    responses((status = 204, description = "Revoked")))]
async fn revoke_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member, token)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    s.app
        .revoke_token(&ctx, &OrgId(org), &member, &token)
        .await?;
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

/// Every member's Contact Center role, readiness and what is missing.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/contact-center", tag = "members",
    params(("org" = String, Path, description = "Organization id"), PageQuery),
    responses((status = 200, description = "One page of members", body = Page<MemberView>)))]
async fn contact_center(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MemberView>>> {
    let page = s
        .app
        .contact_center(&ctx, &OrgId(org), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(page))
}

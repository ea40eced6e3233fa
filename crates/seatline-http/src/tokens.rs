//! Bearer tokens: a member's own tokens, and the organization's read-only integration
//! tokens for the PBX and the contact center. Secrets are shown once; only hashes are kept.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{IssuedToken, Page};
use seatline_app::{IntegrationTokenView, IssuedIntegrationToken};
use seatline_domain::OrgId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_token))
        .routes(routes!(revoke_token))
        .routes(routes!(integration_tokens, create_integration_token))
        .routes(routes!(revoke_integration_token))
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateIntegrationToken {
    /// What the token is for, e.g. "PBX".
    #[schema(example = "PBX")]
    pub name: String,
    /// Whether the token may report activity (`POST …/activity`, product.md §14), the only
    /// write an integration token may do. Default false.
    #[serde(default)]
    pub can_report_activity: bool,
}

/// The organization's integration tokens (owner); secrets are never shown again.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/integration-tokens", tag = "tokens",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "Every integration token", body = Page<IntegrationTokenView>)))]
async fn integration_tokens(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Page<IntegrationTokenView>>> {
    Ok(Json(s.app.integration_tokens(&ctx, &OrgId(org)).await?))
}

/// A read-only token for the PBX or the contact center (owner): it may read events,
/// entitlements, extensions, members and Contact Center, and nothing else. The secret is
/// shown once.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/integration-tokens", tag = "tokens",
    params(("org" = String, Path, description = "Organization id")),
    request_body = CreateIntegrationToken,
    responses((status = 201, description = "The token with its secret", body = IssuedIntegrationToken)))]
async fn create_integration_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<CreateIntegrationToken>,
) -> ApiResult<(StatusCode, Json<IssuedIntegrationToken>)> {
    let issued = s
        .app
        .create_integration_token(&ctx, &OrgId(org), &body.name, body.can_report_activity)
        .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revoke an integration token (owner): it stops working at once.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/integration-tokens/{id}", tag = "tokens",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Integration token id")),
    responses((status = 204, description = "Revoked")))]
async fn revoke_integration_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app
        .revoke_integration_token(&ctx, &OrgId(org), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

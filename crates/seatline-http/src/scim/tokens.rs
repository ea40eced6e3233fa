//! The owner's SCIM tokens: `POST|GET /api/v1/orgs/{org}/scim-tokens`,
//! `DELETE /api/v1/orgs/{org}/scim-tokens/{id}`. A token belongs to one organization; its
//! secret is shown once and stored only as a hash.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::scim::{IssuedScimToken, ScimTokenView};
use seatline_app::views::Page;
use seatline_domain::OrgId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(scim_tokens, create_scim_token))
        .routes(routes!(revoke_scim_token))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateScimToken {
    /// What the token is for, e.g. "Entra ID"; "SCIM" when left out. The body may be empty.
    #[serde(default)]
    #[schema(example = "Entra ID")]
    pub name: String,
}

/// The organization's SCIM tokens (owner only), without their secrets.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/scim-tokens", tag = "scim",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "Every SCIM token, oldest first, revoked ones included, on one page", body = Page<ScimTokenView>)))]
async fn scim_tokens(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Page<ScimTokenView>>> {
    Ok(Json(s.app.scim_tokens(&ctx, &OrgId(org)).await?))
}

/// Create a SCIM token for an identity provider (owner only). The secret is shown once;
/// paste it with the base URL `{server}/scim/v2` into Entra ID or Okta.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/scim-tokens", tag = "scim",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = CreateScimToken, description = "Optional"),
    responses((status = 201, description = "The token, with its secret", body = IssuedScimToken)))]
async fn create_scim_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<IssuedScimToken>)> {
    let body: CreateScimToken = if body.iter().all(u8::is_ascii_whitespace) {
        CreateScimToken::default()
    } else {
        crate::extract::json_from_bytes(&body)?
    };
    let token = s
        .app
        .create_scim_token(&ctx, &OrgId(org), &body.name)
        .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke a SCIM token (owner only); it stops working at once.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/scim-tokens/{id}", tag = "scim",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Token id (not the secret)")),
    responses((status = 204, description = "Revoked")))]
async fn revoke_scim_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.revoke_scim_token(&ctx, &OrgId(org), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

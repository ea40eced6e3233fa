//! Organizations and their license summary.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{CreatedOrg, LicenseView, OrgView};
use seatline_domain::OrgId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::sign_in_links::with_owner_link;
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org))
        .routes(routes!(get_org))
        .routes(routes!(licenses))
}

/// `?cursor=&limit=` of a paged list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// The `next_cursor` of the previous page. `after` is accepted as its alias (the name
    /// the events and entitlements lists use).
    #[serde(alias = "after")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOwner {
    #[schema(example = "owner@example.com")]
    pub email: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateOrg {
    pub name: String,
    pub owner: NewOwner,
}

/// Create an organization with its owner (operator only), and the owner's one-time sign-in
/// link: its way into the admin UI without a password.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations", request_body = CreateOrg,
    responses((status = 201, description = "The organization and its owner", body = CreatedOrg)))]
async fn create_org(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<CreatedOrg>)> {
    let created = s
        .app
        .create_org(&ctx, &body.name, &body.owner.email, &body.owner.name)
        .await?;
    let created = with_owner_link(created, &headers);
    Ok((StatusCode::CREATED, Json(created)))
}

/// Read an organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The organization", body = OrgView)))]
async fn get_org(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.app.org(&ctx, &OrgId(org)).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Licenses {
    pub items: Vec<LicenseView>,
}

/// The license summary: purchased, in use and available per code.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/licenses", tag = "licenses",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "One entry per catalog code", body = Licenses)))]
async fn licenses(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Licenses>> {
    let items = s.app.licenses(&ctx, &OrgId(org)).await?;
    Ok(Json(Licenses { items }))
}

//! Organizations, purchased quantities, the license summary and the number inventory.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{CreatedOrg, LicenseView, NumberView, OrgView, Page};
use seatline_domain::OrgId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org))
        .routes(routes!(get_org))
        .routes(routes!(set_subscription))
        .routes(routes!(licenses))
        .routes(routes!(numbers, add_number))
        .routes(routes!(remove_number))
}

/// `?cursor=&limit=` of a paged list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// The `next_cursor` of the previous page.
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

/// Create an organization with its owner (operator only).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations", request_body = CreateOrg,
    responses((status = 201, description = "The organization and its owner", body = CreatedOrg)))]
async fn create_org(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiJson(body): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<CreatedOrg>)> {
    let created = s
        .app
        .create_org(&ctx, &body.name, &body.owner.email, &body.owner.name)
        .await?;
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetQuantity {
    /// Purchased seats of the code, 0 to 1,000,000; not below what is in use.
    #[schema(minimum = 0, maximum = 1_000_000, example = 25)]
    pub quantity: i64,
}

/// Set the purchased quantity of a code (operator only).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/subscriptions/{code}", tag = "licenses",
    params(("org" = String, Path, description = "Organization id"),
           ("code" = String, Path, description = "A catalog code")),
    request_body = SetQuantity,
    responses((status = 200, description = "That code's license summary", body = LicenseView)))]
async fn set_subscription(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, code)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetQuantity>,
) -> ApiResult<Json<LicenseView>> {
    let view = s
        .app
        .set_quantity(&ctx, &OrgId(org), &code, body.quantity)
        .await?;
    Ok(Json(view))
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

/// The number inventory, ordered by number.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/numbers", tag = "numbers",
    params(("org" = String, Path, description = "Organization id"), PageQuery),
    responses((status = 200, description = "One page of numbers", body = Page<NumberView>)))]
async fn numbers(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<NumberView>>> {
    // The cursor is the last number without its '+', which a query string would turn into
    // a space unless the client encodes it.
    let after = q
        .cursor
        .map(|c| format!("+{}", c.trim_start().trim_start_matches('+')));
    let mut page = s
        .app
        .numbers(&ctx, &OrgId(org), after.as_deref(), q.limit)
        .await?;
    page.next_cursor = page
        .next_cursor
        .map(|c| c.trim_start_matches('+').to_owned());
    Ok(Json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddNumber {
    /// E.164; spaces, dashes, dots and brackets are stripped.
    #[schema(example = "+6531234567")]
    pub number: String,
}

/// Add a number to the inventory (operator only).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/numbers", tag = "numbers",
    params(("org" = String, Path, description = "Organization id")),
    request_body = AddNumber,
    responses((status = 201, description = "The number, unattached", body = NumberView)))]
async fn add_number(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<AddNumber>,
) -> ApiResult<(StatusCode, Json<NumberView>)> {
    let view = s.app.add_number(&ctx, &OrgId(org), &body.number).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Remove an unattached number from the inventory (operator only).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/numbers/{number}", tag = "numbers",
    params(("org" = String, Path, description = "Organization id"),
           ("number" = String, Path, description = "The number, E.164")),
    responses((status = 204, description = "Removed")))]
async fn remove_number(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, number)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.remove_number(&ctx, &OrgId(org), &number).await?;
    Ok(StatusCode::NO_CONTENT)
}

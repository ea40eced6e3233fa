//! Organizations, purchased quantities, the license summary and the number inventory.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{LicenseView, NumberView, OrgView, Page};
use seatline_domain::lifecycle::SubscriptionUpdate;
use seatline_domain::OrgId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::sign_in_links::{created_org as with_owner_link, CreatedOrgWithSignInLink};
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
    responses((status = 201, description = "The organization and its owner", body = CreatedOrgWithSignInLink)))]
async fn create_org(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<CreatedOrgWithSignInLink>)> {
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

/// A present field, even `null`: tells "set to null" from "leave as is".
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A price given as a JSON number or a decimal string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum PriceInput {
    Number(serde_json::Number),
    Text(String),
}

/// What the operator's billing sets; every field is optional and absent ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetSubscription {
    /// Purchased seats of the code, 0 to 1,000,000; not below what is in use unless
    /// `allow_over_allocation`.
    #[schema(minimum = 0, maximum = 1_000_000, example = 25)]
    pub quantity: Option<i64>,
    /// Allow a quantity below what is in use (a renewal for fewer seats): nothing is removed,
    /// new copies are refused until usage is back under.
    #[serde(default)]
    pub allow_over_allocation: bool,
    /// active | expired | suspended | terminated, along product.md §10's transitions.
    #[schema(example = "active")]
    pub state: Option<String>,
    /// With `"state": "active"`: start a new subscription of the code, from any state.
    #[serde(default)]
    pub renew: bool,
    /// Last day of service (YYYY-MM-DD), or null for no end.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "2026-12-31")]
    pub term_end: Option<Option<String>>,
    /// Unit price per seat and month, a decimal with at most 4 decimals, or null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "12.50")]
    pub unit_price: Option<Option<PriceInput>>,
    /// ISO 4217 currency of the unit price, or null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Option<String>>,
}

impl SetSubscription {
    fn parse(self) -> Result<SubscriptionUpdate, seatline_domain::Error> {
        use seatline_domain::lifecycle::parse_term_end;
        let price = |p: PriceInput| match p {
            PriceInput::Number(n) => n.to_string().parse(),
            PriceInput::Text(t) => t.parse(),
        };
        Ok(SubscriptionUpdate {
            quantity: self.quantity,
            allow_over_allocation: self.allow_over_allocation,
            state: self.state.map(|s| s.parse()).transpose()?,
            renew: self.renew,
            term_end: self
                .term_end
                .map(|t| t.map(|d| parse_term_end(&d)).transpose())
                .transpose()?,
            unit_price: self
                .unit_price
                .map(|p| p.map(price).transpose())
                .transpose()?,
            currency: self
                .currency
                .map(|c| c.map(|c| c.parse()).transpose())
                .transpose()?,
        })
    }
}

/// Set a subscription: purchased quantity, lifecycle state, term end, unit price (operator
/// only). Errors: `invalid_transition`, `quantity_below_usage`, `invalid_term_end`, …
#[utoipa::path(put, path = "/api/v1/orgs/{org}/subscriptions/{code}", tag = "licenses",
    params(("org" = String, Path, description = "Organization id"),
           ("code" = String, Path, description = "A catalog code")),
    request_body = SetSubscription,
    responses((status = 200, description = "That code's license summary", body = LicenseView)))]
async fn set_subscription(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, code)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetSubscription>,
) -> ApiResult<Json<LicenseView>> {
    let org = OrgId(org);
    // Who may ask comes before what is asked: a member's malformed body is still forbidden.
    s.app.guard(
        &ctx,
        &org,
        seatline_domain::permissions::Action::SetQuantity,
        None,
    )?;
    let req = body.parse()?;
    let view = s.app.set_subscription(&ctx, &org, &code, req).await?;
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

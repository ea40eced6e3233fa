//! Subscription lifecycle (product.md §10): the operator's billing sets a code's purchased
//! quantity, state, term end and price.

use axum::extract::State;
use axum::Json;
use seatline_app::views::LicenseView;
use seatline_domain::lifecycle::SubscriptionUpdate;
use seatline_domain::OrgId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_subscription))
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

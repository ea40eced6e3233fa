//! The organization's number inventory.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::{NumberView, Page};
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
        .routes(routes!(numbers, add_number))
        .routes(routes!(remove_number))
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

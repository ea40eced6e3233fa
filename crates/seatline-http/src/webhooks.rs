//! Webhook endpoints (product.md §8): create (the secret shown once), list, read, change,
//! delete, rotate the secret, send a test event, list deliveries, replay.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use seatline_app::views::Page;
use seatline_app::webhooks::{
    CreatedWebhook, DeliveryView, NewWebhook, Queued, ReplayRequest, RotatedSecret, WebhookPatch,
    WebhookView,
};
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
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(test_webhook))
        .routes(routes!(deliveries))
        .routes(routes!(replay))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Webhooks {
    pub items: Vec<WebhookView>,
}

/// Create a webhook endpoint (owner, admin). The answer carries its signing secret, shown
/// this once. The URL must reach a public address unless the server allows private targets.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/webhooks", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id")),
    request_body = NewWebhook,
    responses((status = 201, description = "The endpoint and its secret (`whsec_…`)", body = CreatedWebhook)))]
async fn create_webhook(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let created = s.app.create_webhook(&ctx, &OrgId(org), body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The organization's webhook endpoints, oldest first (owner, admin).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/webhooks", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id")),
    responses((status = 200, description = "Every endpoint", body = Webhooks)))]
async fn list_webhooks(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<Json<Webhooks>> {
    let items = s.app.webhooks(&ctx, &OrgId(org)).await?;
    Ok(Json(Webhooks { items }))
}

/// One webhook endpoint (owner, admin).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/webhooks/{id}", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "The endpoint", body = WebhookView)))]
async fn get_webhook(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(s.app.webhook(&ctx, &OrgId(org), &id).await?))
}

/// Change an endpoint's url, types, description, or enable/disable it (owner, admin).
/// Enabling a disabled endpoint resumes its deliveries where they stopped.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/webhooks/{id}", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id")),
    request_body = WebhookPatch,
    responses((status = 200, description = "The endpoint as changed", body = WebhookView)))]
async fn update_webhook(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<WebhookPatch>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(
        s.app.update_webhook(&ctx, &OrgId(org), &id, body).await?,
    ))
}

/// Delete an endpoint and its deliveries (owner, admin).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/webhooks/{id}", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_webhook(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app.delete_webhook(&ctx, &OrgId(org), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown once; the previous one keeps signing beside it for 24 hours
/// (`webhook-signature` then carries both), so the receiver can switch at its pace.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "The new secret", body = RotatedSecret)))]
async fn rotate_secret(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<RotatedSecret>> {
    Ok(Json(
        s.app.rotate_webhook_secret(&ctx, &OrgId(org), &id).await?,
    ))
}

/// Send a `webhook.test` event (`data: {}`) to this endpoint only; follow it in its deliveries.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/webhooks/{id}/test", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id")),
    responses((status = 202, description = "Queued", body = Queued)))]
async fn test_webhook(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    let q = s.app.test_webhook(&ctx, &OrgId(org), &id).await?;
    Ok((StatusCode::ACCEPTED, Json(q)))
}

/// `?status=&cursor=&limit=` of the delivery list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveryParams {
    /// Only deliveries in this state: pending, delivering, succeeded or failed.
    pub status: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// An endpoint's deliveries, newest first, with their attempts, last answer and next attempt.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/webhooks/{id}/deliveries", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id"), DeliveryParams),
    responses((status = 200, description = "One page of deliveries", body = Page<DeliveryView>)))]
async fn deliveries(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DeliveryParams>,
) -> ApiResult<Json<Page<DeliveryView>>> {
    let page = s
        .app
        .webhook_deliveries(
            &ctx,
            &OrgId(org),
            &id,
            q.status.as_deref(),
            q.cursor.as_deref(),
            q.limit,
        )
        .await?;
    Ok(Json(page))
}

/// Deliver again the endpoint's events with `after < seq <= until` (at most 10,000), each
/// under its own event id as `webhook-id`, so receivers that deduplicate see the same events.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/webhooks/{id}/replay", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Webhook id")),
    request_body = ReplayRequest,
    responses((status = 202, description = "How many deliveries were queued", body = Queued)))]
async fn replay(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ReplayRequest>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    let q = s.app.replay_webhook(&ctx, &OrgId(org), &id, body).await?;
    Ok((StatusCode::ACCEPTED, Json(q)))
}

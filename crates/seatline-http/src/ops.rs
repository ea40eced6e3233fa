//! Operations: liveness, readiness (the database answers) and Prometheus metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use seatline_domain::permissions::Actor;
use seatline_domain::{Error, OrgId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "The database does not answer", body = Health)))]
async fn readyz(State(s): State<AppState>) -> (StatusCode, Json<Health>) {
    match s.app.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ready" })),
        Err(e) => {
            tracing::error!(error = %e, "database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "database unreachable",
                }),
            )
        }
    }
}

/// Request counts and latencies by route and status, and seats in use per organization and
/// code, in the Prometheus text format. They name every organization, so only the operator
/// token reads them (Prometheus sends it with `authorization: {credentials: …}`).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
async fn metrics(State(s): State<AppState>, Auth(ctx): Auth) -> ApiResult<impl IntoResponse> {
    if ctx.actor != Actor::Operator {
        return Err(Error::forbidden("read the metrics (the operator token does)").into());
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(&s.app).await,
    ))
}

/// A bare handler with a fixed body: what the benchmark compares reads against.
pub(crate) async fn baseline() -> &'static str {
    "{\"status\":\"ok\"}"
}

/// A one-row write transaction on the same database (the organization's version bump, the
/// first statement of every write): what the benchmark compares writes against.
pub(crate) async fn one_row_write(
    State(s): State<AppState>,
    ApiPath(org): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let tx = s.app.lock(&OrgId(org)).await?;
    tx.commit().await.map_err(seatline_app::AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

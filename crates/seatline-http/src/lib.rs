//! Seatline over HTTP (axum). Handlers parse the request, call one use case of
//! `seatline-app`, and render its answer; all errors pass through one mapping to HTTP.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use seatline_app::App;
use serde_json::json;

/// Settings the HTTP layer needs from the binary's configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The operator's bearer token; without one, no request acts as the operator.
    pub operator_token: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Config,
}

pub fn router(app: App, config: Config) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .with_state(AppState { app, config })
}

async fn readyz(State(s): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match s.app.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::error!(error = %e, "database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unreachable"})),
            )
        }
    }
}

//! Seatline over HTTP (axum): the JSON API of product.md §6, its OpenAPI document and
//! reference page, bearer-token authentication, idempotent writes, health and metrics.
//! Handlers parse the request, call one use case of `seatline-app`, and render its answer;
//! every failure passes through [`error::ApiError`], the one mapping to HTTP.

mod activity;
mod audit;
mod bulk;
mod contact_center;
mod edge;
mod entitlements;
mod error;
mod events;
mod extensions;
mod extract;
mod guards;
mod idempotency;
mod lifecycle;
mod me;
mod members;
mod metrics;
mod nul;
mod numbers;
mod openapi;
mod ops;
mod orgs;
mod reports;
mod scim;
mod sign_in_links;
mod teams;
mod templates;
mod tokens;
mod webhooks;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::HeaderName;
use axum::{middleware, Router};
use seatline_app::App;
use seatline_domain::ErrorCode;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use error::{ApiError, HttpCode};

pub use guards::{guarded, serve, MAX_HEADERS, REQUEST_TIMEOUT};
pub use idempotency::prune_periodically;

/// The header carrying the request id: taken from the client when sent, generated otherwise,
/// echoed on the response and written into audit entries and logs.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest JSON body the API reads.
pub(crate) const JSON_LIMIT: usize = 1024 * 1024;

/// Settings the HTTP layer needs from the binary's configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The operator's bearer token; without one, no request acts as the operator.
    pub operator_token: Option<String>,
    /// Serve the benchmark's baselines: `GET /bench/baseline`, a bare handler returning a
    /// fixed body, and `POST /bench/write/{org}`, a one-row write transaction (the org's
    /// version bump). Off in normal service.
    pub bench_baseline: bool,
}

/// What every handler shares, behind one `Arc`: axum clones the state for every request
/// several times (each layer that has state, the handler, the `State` extractor), and one
/// reference count is far cheaper than the `App`'s five and the operator token's `String`
/// (issue 15: those clones were 5 % of an entitlement read's CPU).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub app: App,
    pub config: Config,
    pub(crate) operator_digest: Option<[u8; 32]>,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) idempotency: idempotency::Locks,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    fn new(app: App, config: Config) -> Self {
        AppState(Arc::new(Shared {
            operator_digest: config.operator_token.as_deref().map(extract::token_digest),
            app,
            config,
            metrics: metrics::Metrics::default(),
            idempotency: idempotency::Locks::default(),
        }))
    }
}

/// The API's routes with their OpenAPI operations; a new group of routes merges in here.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(orgs::routes())
        .merge(lifecycle::routes())
        .merge(numbers::routes())
        .merge(members::routes())
        .merge(me::routes())
        .merge(tokens::routes())
        .merge(entitlements::routes())
        .merge(contact_center::routes())
        .merge(extensions::routes())
        .merge(audit::routes())
        .merge(bulk::routes())
        .merge(ops::routes())
        .merge(scim::routes())
        .merge(webhooks::routes())
        .merge(events::routes())
        .merge(teams::routes())
        .merge(templates::routes())
        .merge(reports::routes())
        .merge(sign_in_links::routes())
        .merge(activity::routes())
}

/// The OpenAPI document of every route [`router`] serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::finish(api().into_openapi())
}

pub fn router(app: App, config: Config) -> Router {
    router_with_pages(app, config, Router::new())
}

/// The API and, beside it, `pages` (the admin UI): both under the same request log line,
/// request id and metrics; the pages get the guards (panic, timeout, header limits) but keep
/// their own error pages, out of the API's refusal shapes.
pub fn router_with_pages(app: App, config: Config, pages: Router) -> Router {
    let state = AppState::new(app, config);
    let (routes, doc) = api().split_for_parts();
    let mut router = routes
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::replay_or_record,
        ))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(openapi::docs(openapi::finish(doc)))
        .nest(seatline_app::scim_url::SCIM_PATH, scim::protocol());
    if state.config.bench_baseline {
        router = router
            .route("/bench/baseline", axum::routing::get(ops::baseline))
            .route(
                "/bench/write/{org}",
                axum::routing::post(ops::one_row_write),
            );
    }
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let router = observed(router, &state).with_state(state.clone());
    // Outside the guards, so their 408, 431 and 500 take SCIM's shape under /scim/v2 too.
    guarded(router)
        .layer(middleware::from_fn(edge::refusals_in_shape))
        .merge(guarded(observed(pages, &state)))
}

/// What every request gets, the API's and the pages': metrics, a log line with its route and
/// request id (kept from `X-Request-Id` or made, and returned).
fn observed<S: Clone + Send + Sync + 'static>(router: Router<S>, state: &AppState) -> Router<S> {
    router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    let id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), route, path = %req.uri().path(), request_id = id)
                })
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn not_found() -> ApiError {
    ApiError::domain(
        ErrorCode::NotFound,
        "no such path; the API is described at /api/openapi.json",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::http(
        HttpCode::MethodNotAllowed,
        "this path does not accept this method; see /api/openapi.json",
    )
}

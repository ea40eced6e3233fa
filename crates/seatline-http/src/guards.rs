//! What stands between the network and every route, API and admin UI alike: a panic inside
//! a request becomes a logged 500 in the error shape (the process and the other requests
//! carry on), a request that runs past [`REQUEST_TIMEOUT`] answers 408, and too many or too
//! large request headers answer 431 — all in `{"error": {...}}`, never an empty body.
//!
//! [`serve`] accepts connections with hyper's limit on header count raised to
//! [`HEADERS_ACCEPTED`], so that [`MAX_HEADERS`] is enforced here, with the error shape,
//! rather than by hyper with an empty 431; a request whose header block outgrows hyper's
//! read buffer (about 400 KiB) still gets hyper's own bare 431.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::{ApiError, HttpCode};

/// Longest a request may take, body upload included: a full-scale bulk apply finishes well
/// within it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Most request headers answered; more is a 431.
pub const MAX_HEADERS: usize = 100;
/// Most bytes of request headers (names and values) answered; more is a 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Headers hyper itself reads before refusing with its own bare 431.
pub const HEADERS_ACCEPTED: usize = 1000;
/// Time a client has to send its request headers before the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest [`serve`] waits for the open requests at shutdown: Docker sends SIGKILL 10 s
/// after SIGTERM (Kubernetes 30 s, systemd 90 s), and closing the database takes the rest.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// `router` behind the guards; [`crate::router`] applies them to the API, and the binary to
/// the admin UI.
pub fn guarded(router: Router) -> Router {
    guarded_for(router, REQUEST_TIMEOUT)
}

fn guarded_for(router: Router, timeout: Duration) -> Router {
    router
        .layer(middleware::from_fn(limit_headers))
        .layer(middleware::from_fn(move |req, next| {
            time_out(timeout, req, next)
        }))
        .layer(CatchPanicLayer::custom(panic_response))
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let why = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(panic = %why, "a request panicked");
    ApiError::http(
        HttpCode::Internal,
        "an internal error occurred; it has been logged, retry later or report the request id",
    )
    .into_response()
}

async fn time_out(timeout: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("a request ran out of time");
            ApiError::http(
                HttpCode::RequestTimeout,
                format!(
                    "the request took longer than {} seconds and was stopped; retry, or send less at once",
                    timeout.as_secs()
                ),
            )
            .into_response()
        }
    }
}

async fn limit_headers(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        let mut e = ApiError::http(
            HttpCode::HeadersTooLarge,
            format!(
                "the request has {} headers ({bytes} bytes); at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes together are read",
                headers.len()
            ),
        );
        e.details.insert("max_headers".into(), MAX_HEADERS.into());
        e.details
            .insert("max_header_bytes".into(), MAX_HEADER_BYTES.into());
        return e.into_response();
    }
    next.run(req).await
}

/// Serve `router` on `listener` (HTTP/1.1 and HTTP/2) until `shutdown` completes, then stop
/// accepting and let the open requests finish, for at most [`DRAIN_TIMEOUT`]: those still
/// running then are cut. Idle keep-alive connections are closed at once.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_headers(HEADERS_ACCEPTED)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
    // Closed now, so new connections are refused rather than left waiting in the backlog.
    drop(listener);
    let open = graceful.count();
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = DRAIN_TIMEOUT.as_secs(),
            "requests still running at the end of the drain were cut"
        );
    } else {
        tracing::info!(connections = open, "the open requests were answered");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    async fn call(router: Router, path: &str) -> (u16, Value) {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// How long the test router lets a request run.
    const TEST_TIMEOUT: Duration = Duration::from_millis(100);

    fn app() -> Router {
        guarded_for(
            Router::new()
                .route(
                    "/panic",
                    get(|| async {
                        if std::hint::black_box(true) {
                            panic!("a bug in a handler");
                        }
                    }),
                )
                .route(
                    "/slow",
                    get(|| async { tokio::time::sleep(REQUEST_TIMEOUT * 2).await }),
                )
                .route("/ok", get(|| async { "ok" })),
            TEST_TIMEOUT,
        )
    }

    #[tokio::test]
    async fn a_panic_is_a_500_in_the_error_shape_and_the_router_carries_on() {
        let (status, body) = call(app(), "/panic").await;
        assert_eq!(status, 500);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body["error"]["message"].as_str().unwrap().contains("a bug"));
        assert_eq!(call(app(), "/ok").await.0, 200);
    }

    #[tokio::test]
    async fn a_request_past_the_timeout_is_a_408_in_the_error_shape() {
        let started = std::time::Instant::now();
        let (status, body) = call(app(), "/slow").await;
        assert_eq!(status, 408);
        assert_eq!(body["error"]["code"], "request_timeout");
        assert!(started.elapsed() < REQUEST_TIMEOUT);
    }
}

//! `Idempotency-Key` on writes: the first response to a (token, key) is remembered with a
//! hash of its request; a retry with the same request gets that response again, the same key
//! with another request is refused with `idempotency_key_reused`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use seatline_domain::ErrorCode;
use seatline_store::{IdempotencyRow, Store};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::ApiError;
use crate::extract::{bearer, token_digest};
use crate::AppState;

pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a remembered response is kept at least.
pub const TTL: Duration = Duration::from_secs(24 * 3600);

/// Largest body a keyed write may carry (bulk files included); routes set their own, lower
/// limits on what they read.
const MAX_BODY: usize = 256 * 1024 * 1024;

const MAX_KEY_LEN: usize = 255;

/// Serializes requests that share a key within this process, so a retry sent while the
/// first attempt still runs waits for its response instead of applying the write twice.
/// Striped: a fixed set of locks, a key picks one by hash.
pub(crate) struct Locks(Vec<Mutex<()>>);

impl Default for Locks {
    fn default() -> Self {
        Locks((0..64).map(|_| Mutex::new(())).collect())
    }
}

impl Locks {
    async fn lock(&self, scope: &str, key: &str) -> MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        (scope, key).hash(&mut h);
        self.0[(h.finish() % self.0.len() as u64) as usize]
            .lock()
            .await
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn request_hash(method: &Method, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str());
    h.update(b"\n");
    h.update(uri);
    h.update(b"\n");
    h.update(body);
    hex(&h.finalize())
}

fn replay(row: IdempotencyRow) -> Response {
    let status = StatusCode::from_u16(row.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, row.body.clone()).into_response();
    let headers = resp.headers_mut();
    if !row.body.is_empty() {
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    resp
}

/// The middleware: passes through reads, keyless writes and unauthenticated requests (they
/// fail on their own), and replays or records keyed writes.
pub(crate) async fn replay_or_record(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = match req.headers().get(IDEMPOTENCY_KEY) {
        Some(k) if write => k.to_str().ok().map(str::to_owned).unwrap_or_default(),
        _ => return next.run(req).await,
    };
    let Some(token) = bearer(req.headers()) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return ApiError::malformed(format!(
            "an Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
        ))
        .into_response();
    }
    let scope = if state.is_operator(token) {
        "operator".to_owned()
    } else {
        format!("token:{}", hex(&token_digest(token)))
    };
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return ApiError::domain(ErrorCode::TooLarge, "the request body is too large")
            .into_response();
    };
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let hash = request_hash(&parts.method, path, &body);

    let _same_key = state.idempotency.lock(&scope, &key).await;
    let store = state.app.store();
    match store.idempotency_get(&scope, &key).await {
        Err(e) => return ApiError::internal(&e).into_response(),
        Ok(Some(row)) if row.request_hash == hash => return replay(row),
        Ok(Some(_)) => {
            return ApiError::domain(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request; use a new key",
            )
            .into_response()
        }
        Ok(None) => {}
    }
    let resp = next.run(Request::from_parts(parts, Body::from(body))).await;
    // A server failure or a refused token says nothing about the request: let a retry run.
    let status = resp.status();
    if status.is_server_error() || status == StatusCode::UNAUTHORIZED {
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let bytes = match to_bytes(rbody, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    let row = IdempotencyRow {
        scope,
        key,
        request_hash: hash,
        status: status.as_u16(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        created_at: seatline_app::now(),
    };
    if let Err(e) = store.idempotency_put(&row).await {
        // The write itself succeeded; only its replay is lost.
        tracing::error!(error = %e, "could not remember an idempotent response");
    }
    Response::from_parts(rparts, Body::from(bytes))
}

/// Forget remembered responses older than [`TTL`]: once now, then every hour. Run it in the
/// background of a server.
pub async fn prune_periodically(store: std::sync::Arc<dyn Store>) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        let before = chrono::Utc::now() - chrono::Duration::from_std(TTL).expect("ttl fits");
        let before = before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match store.idempotency_prune(&before).await {
            Ok(n) => tracing::info!(pruned = n, "forgot old idempotent responses"),
            Err(e) => tracing::error!(error = %e, "could not prune idempotent responses"),
        }
    }
}

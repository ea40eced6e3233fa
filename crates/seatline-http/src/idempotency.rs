//! `Idempotency-Key` on writes: the first response to a (token, key) is remembered with a
//! hash of its request; a retry with the same request gets that response again, the same key
//! with another request is refused with `idempotency_key_reused`.
//!
//! Across processes sharing a database, the store's primary key decides who runs: a request
//! first claims its key with a pending row (one atomic insert), runs only if it won the claim,
//! then completes the row with its response. A request that lost the claim replays the
//! response, or, while the winner still runs, is refused with `idempotency_key_in_progress`.
//! The claim records the process holding it: once that process is gone (killed, restarted),
//! a retry takes the claim over at once (the stores' `liveness`) — unless the write
//! transaction had marked the claim applied (`seatline_app::idempotency`): then the write
//! happened, its answer is lost, and the retry is told so (`idempotent_request_applied`)
//! instead of writing again.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use seatline_domain::ErrorCode;
use seatline_store::{IdempotencyRow, Store, IDEMPOTENCY_APPLIED, IDEMPOTENCY_PENDING};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tracing::Instrument;

use crate::error::ApiError;
use crate::extract::{bearer, token_digest};
use crate::AppState;

pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a remembered response is kept at least.
pub const TTL: Duration = Duration::from_secs(24 * 3600);

/// A pending claim older than this is taken over by a retry of the same request even while
/// its holding process lives (a claim whose process is gone is taken over at once). Far
/// above any write's running time, so a live claimer is not overtaken; clocks of the
/// processes sharing a database must agree to well within it.
pub const STALE_CLAIM: Duration = Duration::from_secs(60);

/// Largest body a keyed write may carry (bulk files included); routes set their own, lower
/// limits on what they read.
const MAX_BODY: usize = 256 * 1024 * 1024;

const MAX_KEY_LEN: usize = 255;

/// Serializes requests that share a key within this process, so a retry sent while the
/// first attempt still runs here waits for its response instead of being refused with
/// `idempotency_key_in_progress` (the store claim alone would refuse it). Striped: a fixed
/// set of locks, a key picks one by hash.
pub(crate) struct Locks(Vec<Arc<Mutex<()>>>);

impl Default for Locks {
    fn default() -> Self {
        Locks((0..64).map(|_| Arc::default()).collect())
    }
}

impl Locks {
    async fn lock(&self, scope: &str, key: &str) -> OwnedMutexGuard<()> {
        let mut h = DefaultHasher::new();
        (scope, key).hash(&mut h);
        self.0[(h.finish() % self.0.len() as u64) as usize]
            .clone()
            .lock_owned()
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

    let same_key = state.idempotency.lock(&scope, &key).await;
    let claim = Claim {
        store: state.app.store().clone(),
        scope,
        key,
        hash,
        at: seatline_app::now(),
    };
    let stale_before =
        chrono::Utc::now() - chrono::Duration::from_std(STALE_CLAIM).expect("stale claim age fits");
    let stale_before = stale_before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let won = claim
        .store
        .idempotency_claim(
            &claim.scope,
            &claim.key,
            &claim.hash,
            &claim.at,
            &stale_before,
        )
        .await;
    match won {
        Err(e) => return ApiError::internal(&e).into_response(),
        Ok(false) => return claim.answer_lost().await,
        Ok(true) => {}
    }
    let req = Request::from_parts(parts, Body::from(body));
    let held = claim.clone();
    // The claimed request runs to its end in a task of its own, so a client that hangs up
    // does not leave the claim pending (and its retries refused) until it goes stale. It
    // keeps the request's tracing span.
    // The claim travels with the handling, so the write transaction marks it applied as it
    // commits (`seatline_app::idempotency`).
    let marks = seatline_app::idempotency::Claim {
        scope: claim.scope.clone(),
        key: claim.key.clone(),
        claimed_at: claim.at.clone(),
    };
    let run = tokio::spawn(
        async move {
            let _same_key = same_key;
            let resp = seatline_app::idempotency::with_claim(marks, next.run(req)).await;
            claim.settle(resp).await
        }
        .instrument(tracing::Span::current()),
    );
    match run.await {
        Ok(resp) => resp,
        // The handler panicked: a server failure like any other 5xx.
        Err(e) => {
            held.release().await;
            ApiError::internal(&e).into_response()
        }
    }
}

/// The claim this request holds on its key.
#[derive(Clone)]
struct Claim {
    store: Arc<dyn Store>,
    scope: String,
    key: String,
    hash: String,
    at: String,
}

impl Claim {
    /// The answer to a request that did not win the claim: the winner's response, or why not.
    async fn answer_lost(&self) -> Response {
        match self.store.idempotency_get(&self.scope, &self.key).await {
            Err(e) => ApiError::internal(&e).into_response(),
            Ok(Some(row)) if row.request_hash != self.hash => ApiError::domain(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request; use a new key",
            )
            .into_response(),
            // The first request's write committed, and its process stopped before it recorded
            // the answer: running it again would write twice.
            Ok(Some(row)) if row.status == IDEMPOTENCY_APPLIED => ApiError::domain(
                ErrorCode::IdempotentRequestApplied,
                "the request with this Idempotency-Key was applied, but the server running it \
                 stopped before it answered; read the resource to see the result (do not send \
                 it again with a new key)",
            )
            .into_response(),
            Ok(Some(row)) if row.status != IDEMPOTENCY_PENDING => replay(row),
            // Pending, or released by its claimer between our claim and this read: either
            // way the outcome is not known yet.
            Ok(_) => ApiError::domain(
                ErrorCode::IdempotencyKeyInProgress,
                "a request with this Idempotency-Key is still running; retry in a moment",
            )
            .into_response(),
        }
    }

    /// Record the claimed request's response, or release the claim when the response says
    /// nothing about the request.
    async fn settle(self, resp: Response) -> Response {
        let status = resp.status();
        // A server failure or a refused token says nothing about the request: let a retry run.
        if status.is_server_error() || status == StatusCode::UNAUTHORIZED {
            self.release().await;
            return resp;
        }
        let (rparts, rbody) = resp.into_parts();
        let bytes: Bytes = match to_bytes(rbody, usize::MAX).await {
            Ok(b) => b,
            Err(e) => {
                self.release().await;
                return ApiError::internal(&e).into_response();
            }
        };
        let row = IdempotencyRow {
            scope: self.scope,
            key: self.key,
            request_hash: self.hash,
            status: status.as_u16(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            created_at: self.at,
        };
        match self.store.idempotency_complete(&row).await {
            Ok(true) => {}
            // Only after running longer than STALE_CLAIM: a retry took the claim over.
            Ok(false) => tracing::warn!("an idempotent claim was taken over while it ran"),
            // The write itself succeeded; only its replay is lost, and the claim stays pending
            // until it goes stale.
            Err(e) => tracing::error!(error = %e, "could not remember an idempotent response"),
        }
        Response::from_parts(rparts, Body::from(bytes))
    }

    async fn release(&self) {
        if let Err(e) = self
            .store
            .idempotency_release(&self.scope, &self.key, &self.at)
            .await
        {
            tracing::error!(error = %e, "could not release an idempotent claim");
        }
    }
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

//! Seatline's web admin UI, served by `seatline serve` under `/ui`: server-rendered HTML
//! pages over the same use cases as the API (`seatline-app`). It owns sign-in and signed
//! cookie sessions, CSRF protection of every form, and the pages an owner or admin clicks
//! through: Licenses (summary, extensions, Provision, Assign, add-ons, numbers), Bulk
//! Assignment, Members, Teams, Usage and Audit, and under Settings the Webhooks, SCIM and
//! Integration tokens; a member signing in sees only its own seat. `/ui/docs/scim`, the
//! SCIM setup guide, needs no sign-in.
//!
//! Every basic flow is a plain form with POST-redirect-GET and a flash message, so it works
//! without JavaScript; `assets/app.js` only adds checks as you type. No asset comes from
//! outside the binary.
//!
//! Sessions are signed cookies (HMAC-SHA256 under `--session-key`) carrying the member's
//! session epoch; the member and its epoch are re-read on every request (one query), so
//! disabling a member, its sign-out or a password change ends its sessions at once, copies
//! of the cookie included, in every process on the database. Without a
//! configured key each process makes a random one: a deployment of several processes must
//! give them all the same `--session-key` / `SEATLINE_SESSION_KEY`.

mod audit;
mod auth;
mod bulk;
mod csv;
mod docs;
mod error;
mod extension;
mod integration_tokens;
mod layout;
mod licenses;
mod lifecycle;
mod me;
mod members;
mod pager;
mod reset;
mod scim;
mod session;
mod shell;
mod sign_in_links;
mod signin;
mod teams;
mod throttle;
mod tokens;
mod usage;
mod webhooks;
mod widgets;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use seatline_app::App;

use crate::session::Keys;

/// Largest bulk file the upload form accepts, in bytes.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// Settings the UI needs from the binary's configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The key that signs session cookies. Without one a random key is made at startup, so
    /// sessions end when the process restarts and are refused by other processes: a
    /// deployment with several processes must give them all the same key.
    pub session_key: Option<String>,
    /// Mark cookies `Secure`: set when Seatline is served over HTTPS.
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub(crate) struct UiState {
    pub app: App,
    pub keys: Keys,
    pub throttle: throttle::Throttle,
    /// Served over HTTPS: links the UI shows for use elsewhere (password reset) say so.
    pub https: bool,
}

/// The admin UI's routes, to be merged with the API's router.
pub fn router(app: App, config: Config) -> Router {
    let key = match &config.session_key {
        Some(k) => k.as_bytes().to_vec(),
        None => {
            tracing::warn!(
                "no session key configured: using a random one; sessions end on restart \
                 and several processes must share --session-key"
            );
            session::random_key()
        }
    };
    let state = UiState {
        app,
        keys: Keys::new(&key, config.secure_cookies),
        throttle: throttle::Throttle::default(),
        https: config.secure_cookies,
    };
    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(home))
        .merge(signin::routes())
        .merge(licenses::routes())
        .merge(extension::routes())
        .merge(members::routes())
        .merge(reset::routes())
        .merge(sign_in_links::routes())
        .merge(teams::routes())
        .merge(audit::routes())
        .merge(me::routes())
        .merge(bulk::routes())
        .merge(usage::routes())
        .merge(scim::routes())
        .merge(webhooks::routes())
        .merge(integration_tokens::routes())
        .merge(docs::routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
        .layer(middleware::from_fn_with_state(state.clone(), flash_once))
        .layer(middleware::from_fn(security_headers))
        .with_state(state);
    Router::new()
        .route("/ui/assets/app.css", get(css))
        .route("/ui/assets/app.js", get(js))
        .route("/favicon.ico", get(favicon))
        .merge(pages)
}

async fn home(v: auth::Viewer) -> Redirect {
    if v.is_admin() {
        Redirect::to("/ui/licenses")
    } else {
        Redirect::to("/ui/me")
    }
}

/// Browsers ask for `/favicon.ico` whatever the page says; every browser Seatline
/// supports reads an SVG icon, so the one icon answers there.
async fn favicon() -> impl IntoResponse {
    asset("image/svg+xml", include_str!("../assets/favicon.svg"))
}

async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", include_str!("../assets/app.css"))
}

async fn js() -> impl IntoResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    )
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, kind),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// A flash message is shown once: a page that rendered it (any answer but a redirect)
/// clears its cookie.
async fn flash_once(
    axum::extract::State(s): axum::extract::State<UiState>,
    req: Request,
    next: Next,
) -> Response {
    let had = session::cookie(req.headers(), session::FLASH).is_some();
    let mut res = next.run(req).await;
    if had && !res.status().is_redirection() {
        s.keys.clear_flash(res.headers_mut());
    }
    res
}

/// Pages load nothing from elsewhere, run no inline script, and are never framed; they
/// are per user, so no cache keeps them.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    if !h.contains_key(CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    res
}

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
mod me;
mod members;
mod pager;
mod reset;
mod scim;
mod session;
mod sign_in_links;
mod signin;
mod teams;
mod throttle;
mod usage;
mod webhooks;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
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
        .route("/ui/sign-in", get(signin::form).post(signin::submit))
        // Where people guess the sign-in page is.
        .route("/login", get(to_sign_in))
        .route("/signin", get(to_sign_in))
        .route("/sign-in", get(to_sign_in))
        .route("/admin", get(to_sign_in))
        .route("/ui/login", get(to_sign_in))
        .route("/ui/signin", get(to_sign_in))
        .route("/ui/admin", get(to_sign_in))
        .route("/ui/sign-in/choose", post(signin::choose))
        .route("/ui/sign-out", post(signin::sign_out))
        .route("/ui/licenses", get(licenses::page))
        .route(
            "/ui/provision",
            get(licenses::provision_form).post(licenses::provision),
        )
        .route("/ui/provision/check", get(licenses::provision_check))
        .route(
            "/ui/assign",
            get(licenses::assign_form).post(licenses::assign),
        )
        .route("/ui/extensions/{key}", get(extension::page))
        .route("/ui/extensions/{key}/member", post(extension::set_member))
        .route("/ui/extensions/{key}/unassign", post(extension::unassign))
        .route(
            "/ui/extensions/{key}/addons-numbers",
            post(extension::parts),
        )
        .route(
            "/ui/extensions/{key}/deprovision",
            post(extension::deprovision),
        )
        .route("/ui/members", get(members::page).post(members::create))
        .route("/ui/members/{id}", get(members::member))
        .route("/ui/members/{id}/disable", get(members::disable_form))
        .route("/ui/members/{id}/reset-link", post(members::reset_link))
        .route("/ui/reset/{token}", get(reset::form).post(reset::submit))
        .route("/ui/members/{id}/sign-in-link", post(sign_in_links::make))
        .route(
            "/ui/sign-in/link/{token}",
            get(sign_in_links::form).post(sign_in_links::submit),
        )
        .route("/ui/members/{id}/role", post(members::role))
        .route("/ui/members/{id}/status", post(members::status))
        .route(
            "/ui/members/{id}/password",
            get(members::password_form).post(members::password),
        )
        .route(
            "/ui/members/{id}/transfer",
            get(members::transfer_form).post(members::transfer),
        )
        .route(
            "/ui/members/{id}/delete",
            get(members::delete_form).post(members::delete),
        )
        .route("/ui/teams", get(teams::page).post(teams::create))
        .route("/ui/teams/{id}/rename", post(teams::rename))
        .route("/ui/teams/{id}/enabled", post(teams::enabled))
        .route("/ui/teams/{id}/members", post(teams::set_members))
        .route("/ui/teams/{id}/delete", post(teams::delete))
        .route("/ui/members/{id}/scope", post(teams::set_scope))
        .route("/ui/audit", get(audit::page))
        .route("/ui/audit.csv", get(audit::csv))
        .route("/ui/me", get(me::page))
        .route("/ui/me/password", post(me::password))
        .route("/ui/bulk", get(bulk::page))
        .route("/ui/bulk/sample.csv", get(bulk::sample))
        .route("/ui/bulk/export.csv", get(bulk::export))
        .route("/ui/bulk/export.xlsx", get(bulk::export_xlsx))
        .route("/ui/bulk/plans", post(bulk::upload))
        .route("/ui/bulk/plans/{id}", get(bulk::plan))
        .route("/ui/bulk/plans/{id}/apply", post(bulk::apply))
        .route("/ui/usage", get(usage::page))
        .route("/ui/usage/findings.csv", get(usage::findings_csv))
        .route("/ui/usage/plan", post(usage::plan))
        .route("/ui/scim", get(scim::page))
        .route("/ui/scim/tokens", post(scim::create))
        .route("/ui/scim/tokens/{id}/revoke", post(scim::revoke))
        .route("/ui/webhooks", get(webhooks::page).post(webhooks::create))
        .route("/ui/webhooks/{id}", get(webhooks::deliveries))
        .route("/ui/webhooks/{id}/enabled", post(webhooks::enabled))
        .route("/ui/webhooks/{id}/test", post(webhooks::test))
        .route("/ui/webhooks/{id}/replay", post(webhooks::replay))
        .route("/ui/webhooks/{id}/edit", post(webhooks::edit))
        .route("/ui/webhooks/{id}/rotate", post(webhooks::rotate))
        .route(
            "/ui/webhooks/{id}/delete",
            get(webhooks::delete_form).post(webhooks::delete),
        )
        .route(
            "/ui/integration-tokens",
            get(integration_tokens::page).post(integration_tokens::create),
        )
        .route(
            "/ui/integration-tokens/{id}/revoke",
            post(integration_tokens::revoke),
        )
        .route("/ui/docs/scim", get(docs::scim))
        .route("/ui/bulk/plans/{id}/errors.csv", get(bulk::errors_csv))
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

/// The sign-in page, which sends a signed-in user on to its home page.
async fn to_sign_in() -> Redirect {
    Redirect::to("/ui/sign-in")
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

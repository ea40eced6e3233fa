//! Sign-in with email and password, the organization picker when one person belongs to
//! several, and sign-out. The sign-in form is protected by a double-submit token (a cookie
//! and a field that must match) since there is no session yet to bind one to.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use axum::Router;
use maud::{html, Markup};
use seatline_domain::{MemberId, OrgId};

use crate::auth::{Fields, Post, Viewer};
use crate::error::UiError;
use crate::session::{self, Flash, Session, SIGNIN_CSRF};
use crate::shell;
use crate::UiState;

/// Sign-in, the organization picker and sign-out, and the paths people guess for them.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/sign-in", get(form).post(submit))
        // Where people guess the sign-in page is.
        .route("/login", get(to_sign_in))
        .route("/signin", get(to_sign_in))
        .route("/sign-in", get(to_sign_in))
        .route("/admin", get(to_sign_in))
        .route("/ui/login", get(to_sign_in))
        .route("/ui/signin", get(to_sign_in))
        .route("/ui/admin", get(to_sign_in))
        .route("/ui/sign-in/choose", post(choose))
        .route("/ui/sign-out", post(sign_out))
}

fn signin_page(token: &str, email: &str, error: Option<&str>, flash: Option<Flash>) -> Markup {
    let body = html! {
        section.card.narrow.signin {
            h1 { "Sign in" }
            p.sub { "Manage your organization's licenses, extensions and members." }
            @if let Some(f) = flash {
                div.flash.ok role="status" { (f.text) }
            }
            @if let Some(e) = error {
                div.alert role="alert" #signin-error { (e) }
            }
            form.stack method="post" action="/ui/sign-in" {
                input type="hidden" name="csrf" value=(token);
                div.field {
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(email) required autocomplete="username" autofocus[email.is_empty()];
                }
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" required autocomplete="current-password" autofocus[!email.is_empty()];
                }
                button.btn.btn-primary.btn-block type="submit" { "Sign in" }
            }
            p.hint { "No password yet? Ask your organization's owner or an admin for a sign-in link, or set one with "
                code { "seatline member password" } "." }
        }
    };
    shell::bare("Sign in", body)
}

pub async fn form(State(s): State<UiState>, headers: HeaderMap) -> Response {
    if s.keys.session(&headers).is_some() {
        return Redirect::to("/ui/").into_response();
    }
    let (token, set) = s.keys.signin_token(&headers);
    let mut res =
        Html(signin_page(&token, "", None, s.keys.flash(&headers)).into_string()).into_response();
    if let Some(c) = set {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}

pub(crate) fn signin_csrf_ok(headers: &HeaderMap, fields: &Fields) -> bool {
    session::cookie(headers, SIGNIN_CSRF).is_some_and(|c| session::same(c, fields.get("csrf")))
}

/// Start a session for the member that signed in, and go to its home page; back to the
/// sign-in form if it was disabled or deleted in the moment since its password matched.
async fn start(s: &UiState, org: OrgId, member: MemberId) -> Result<Response, UiError> {
    let epoch = match s.app.start_session(&org, &member).await {
        Ok(epoch) => epoch,
        Err(seatline_app::AppError::Rule(_)) => {
            return Ok(Redirect::to("/ui/sign-in").into_response())
        }
        Err(e) => return Err(e.into()),
    };
    let mut res = Redirect::to("/ui/").into_response();
    let h = res.headers_mut();
    s.keys.set_session(h, &Session::new(org, member, epoch));
    s.keys.clear_pending(h);
    Ok(res)
}

pub async fn submit(
    State(s): State<UiState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let fields = Fields(fields);
    if !signin_csrf_ok(&headers, &fields) {
        return Err(UiError::Csrf);
    }
    let email = fields.get("email");
    if let Some(wait) = s.throttle.wait(email) {
        let (token, _) = s.keys.signin_token(&headers);
        let minutes = wait.as_secs().div_ceil(60);
        let message = format!(
            "Too many failed sign-ins for this email. Try again in {}.",
            crate::layout::plural(minutes, "minute", "minutes")
        );
        let page = signin_page(&token, email, Some(&message), None);
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(page.into_string())).into_response());
    }
    let matches = s
        .app
        .sign_in(
            email,
            fields
                .0
                .iter()
                .find(|(k, _)| k == "password")
                .map_or("", |(_, v)| v),
        )
        .await?;
    match matches.as_slice() {
        [] => {
            s.throttle.failed(email);
            let (token, _) = s.keys.signin_token(&headers);
            let page = signin_page(
                &token,
                email,
                Some("That email and password do not match an active member. Check both and try again."),
                None,
            );
            Ok((StatusCode::UNAUTHORIZED, Html(page.into_string())).into_response())
        }
        [one] => {
            s.throttle.succeeded(email);
            start(&s, one.org.clone(), one.member.id.clone()).await
        }
        many => {
            s.throttle.succeeded(email);
            let (token, _) = s.keys.signin_token(&headers);
            let body = html! {
                section.card.narrow {
                    h1 { "Choose an organization" }
                    p.sub { (email) " belongs to several organizations. Which one do you want to manage?" }
                    ul.choices {
                        @for m in many {
                            li {
                                form method="post" action="/ui/sign-in/choose" {
                                    input type="hidden" name="csrf" value=(token);
                                    input type="hidden" name="org" value=(m.org);
                                    button.choice type="submit" {
                                        strong { (m.org_name) }
                                        span.muted { " as " (m.member.role.as_str()) }
                                    }
                                }
                            }
                        }
                    }
                }
            };
            let mut res =
                Html(shell::bare("Choose an organization", body).into_string()).into_response();
            let pairs: Vec<_> = many
                .iter()
                .map(|m| (m.org.clone(), m.member.id.clone()))
                .collect();
            s.keys.set_pending(res.headers_mut(), &pairs);
            Ok(res)
        }
    }
}

pub async fn choose(
    State(s): State<UiState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let fields = Fields(fields);
    if !signin_csrf_ok(&headers, &fields) {
        return Err(UiError::Csrf);
    }
    let chosen = s
        .keys
        .pending(&headers)
        .into_iter()
        .find(|(o, _)| o.as_str() == fields.get("org"));
    let Some((org, member)) = chosen else {
        return Ok(Redirect::to("/ui/sign-in").into_response());
    };
    // The member may have been disabled in the minutes since the password matched.
    start(&s, org, member).await
}

/// Sign out: end the member's sessions on the server (so a copy of the cookie stops
/// working too, in every process), then clear the cookie.
pub async fn sign_out(State(s): State<UiState>, p: Post<Viewer>) -> Result<Response, UiError> {
    let v = &p.user;
    s.app.end_sessions(&v.ctx, &v.org).await?;
    let mut res = Redirect::to("/ui/sign-in").into_response();
    s.keys.end_session(res.headers_mut());
    s.keys
        .set_flash(res.headers_mut(), &Flash::new("You are signed out."));
    Ok(res)
}

/// The sign-in page, which sends a signed-in user on to its home page.
async fn to_sign_in() -> Redirect {
    Redirect::to("/ui/sign-in")
}

//! One-time sign-in links: the page a link opens, and the member page's "Sign-in link"
//! action that makes one to copy.
//!
//! Opening a link (GET) only shows whom it signs in; a button posts it (with the same
//! double-submit token as sign-in) and that uses it up. Link previews and scanners fetch
//! URLs pasted in chats and mail, so a GET that signed in would spend the link before the
//! person ever clicked it.

use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use seatline_app::{AppError, SignInLinkHolder};

use crate::auth::{Admin, Fields, Post};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, Nav};
use crate::members::member_page;
use crate::session::{Flash, Session};
use crate::signin::signin_csrf_ok;
use crate::UiState;

pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/members/{id}/sign-in-link", post(make))
        .route("/ui/sign-in/link/{token}", get(form).post(submit))
}

fn link_page(csrf: &str, token: &str, h: &SignInLinkHolder) -> Markup {
    let title = format!("Sign in as {} in {}", h.member.email, h.org_name);
    let body = html! {
        section.card.narrow.signin #sign-in-link {
            h1 { "Sign in as " strong { (h.member.email) } " in " (h.org_name) }
            p.sub { "This link works once, until " (layout::when(&h.expires_at)) "." }
            form.stack method="post" action={ "/ui/sign-in/link/" (token) } {
                input type="hidden" name="csrf" value=(csrf);
                button.btn.btn-primary.btn-block #use-link type="submit" { "Sign in" }
            }
            p.hint { "Not you? Close this page: the link stays unused." }
        }
    };
    crate::shell::bare(&title, body)
}

/// The answer for a link that does not work (used, replaced, expired, or never made).
fn dead_link(e: seatline_domain::Error) -> Response {
    UiError::App(AppError::Rule(e)).into_response()
}

pub async fn form(
    State(s): State<UiState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let holder = match s.app.sign_in_link_holder(&token).await {
        Ok(h) => h,
        Err(AppError::Rule(e)) => return Ok(dead_link(e)),
        Err(e) => return Err(e.into()),
    };
    let (csrf, set) = s.keys.signin_token(&headers);
    let mut res = Html(link_page(&csrf, &token, &holder).into_string()).into_response();
    if let Some(c) = set {
        res.headers_mut().append(SET_COOKIE, c);
    }
    Ok(res)
}

pub async fn submit(
    State(s): State<UiState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    if !signin_csrf_ok(&headers, &Fields(fields)) {
        return Err(UiError::Csrf);
    }
    let signed_in = match s.app.use_sign_in_link(&token).await {
        Ok(l) => l,
        Err(AppError::Rule(e)) => return Ok(dead_link(e)),
        Err(e) => return Err(e.into()),
    };
    // `/ui/` sends each role on to its own landing page.
    let mut res = Redirect::to("/ui/").into_response();
    let h = res.headers_mut();
    let flash = if signed_in.has_password {
        format!("Signed in as {}.", signed_in.member.email)
    } else {
        format!(
            "Signed in as {}. You have no password yet: set one on My seat to sign in \
             without a link next time.",
            signed_in.member.email
        )
    };
    s.keys.set_session(
        h,
        &Session::new(signed_in.org, signed_in.member.id, signed_in.epoch),
    );
    s.keys.clear_pending(h);
    s.keys.set_flash(h, &Flash::new(flash));
    Ok(res)
}

/// Make a sign-in link for a member and show it, once: only its hash is kept.
pub async fn make(
    State(s): State<UiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let link = match s.app.sign_in_link(&v.ctx, &v.org, &id).await {
        Ok(l) => l,
        Err(e) => {
            let e = rule_error(e)?;
            let m = s.app.member(&v.ctx, &v.org, &id).await?;
            let page = member_page(v, &m, Some(&e), html! {});
            return Ok((status_of(e.code), Html(page.into_string())).into_response());
        }
    };
    // As the client reached this server (a proxy's headers first); served over HTTPS
    // without a proxy saying so, the link says https.
    let url = link.url(&seatline_app::origin(|name| {
        let given = headers.get(name).and_then(|v| v.to_str().ok());
        match given {
            None if s.https && name == "x-forwarded-proto" => Some("https"),
            given => given,
        }
    }));
    let title = format!("Sign-in link for {}", link.member.email);
    let body = html! {
        (layout::title_bar(&title, None, html! {
            a.btn href={ "/ui/members/" (link.member.id) } { "Back to the member" }
        }))
        section.card.narrow #sign-in-link-card {
            div.flash.ok role="status" { "Made a sign-in link for " (link.member.email) ". Its password and sign-ins are unchanged." }
            div.field {
                label for="sign-in-url" { "Sign-in link" }
                textarea #sign-in-url.mono readonly rows="2" { (url) }
            }
            p { "Give this link to " strong { (link.member.email) } " by a safe channel (Seatline sends no email). "
                "It signs in once and works until " (layout::when(&link.expires_at)) "." }
            p.hint { "This is the only time the link is shown. If it is lost, make a new one: the new link replaces this one." }
        }
    };
    Ok(Html(layout::page(v, Nav::Members, &title, body).into_string()).into_response())
}

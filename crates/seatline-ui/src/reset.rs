//! The page a password reset link opens: no one is signed in, the link's secret says whose
//! password it sets. The form is protected like sign-in's (a double-submit token), and a
//! used, replaced or expired link says so and what to do.

use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Form;
use axum::Router;
use maud::{html, Markup};
use seatline_app::{AppError, ResetHolder, MIN_PASSWORD};
use seatline_domain::Error;

use crate::auth::Fields;
use crate::error::{status_of, UiError};
use crate::layout;
use crate::session::Flash;
use crate::shell;
use crate::signin::signin_csrf_ok;
use crate::UiState;

/// The password reset link's page.
pub(crate) fn routes() -> Router<UiState> {
    Router::new().route("/ui/reset/{token}", get(form).post(submit))
}

fn reset_page(csrf: &str, token: &str, h: &ResetHolder, error: Option<&Error>) -> Markup {
    let body = html! {
        section.card.narrow.signin #reset {
            h1 { "Set a new password" }
            p.sub { "For " strong { (h.member.email) } " in " (h.org_name) ". This link works once, until " (layout::when(&h.expires_at)) "." }
            @if let Some(e) = error { div.alert role="alert" #reset-error { (e.message) } }
            form.stack method="post" action={ "/ui/reset/" (token) } {
                input type="hidden" name="csrf" value=(csrf);
                // Lets a password manager file the new password under the right account.
                input type="hidden" name="email" value=(h.member.email) autocomplete="username";
                div.field {
                    label for="password" { "New password" }
                    input #password type="password" name="password" required minlength=(MIN_PASSWORD) autocomplete="new-password" autofocus;
                    p.hint { "At least " (MIN_PASSWORD) " characters." }
                }
                button.btn.btn-primary.btn-block type="submit" { "Set password" }
            }
        }
    };
    shell::bare("Set a new password", body)
}

/// The answer for a link that does not work (used, replaced, expired, or never made).
fn dead_link(e: Error) -> Response {
    UiError::App(AppError::Rule(e)).into_response()
}

pub async fn form(
    State(s): State<UiState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let holder = match s.app.password_reset_holder(&token).await {
        Ok(h) => h,
        Err(AppError::Rule(e)) => return Ok(dead_link(e)),
        Err(e) => return Err(e.into()),
    };
    let (csrf, set) = s.keys.signin_token(&headers);
    let mut res = Html(reset_page(&csrf, &token, &holder, None).into_string()).into_response();
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
    let fields = Fields(fields);
    if !signin_csrf_ok(&headers, &fields) {
        return Err(UiError::Csrf);
    }
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map_or("", |(_, v)| v.as_str());
    match s.app.reset_password(&token, password).await {
        Ok(m) => {
            let mut res = Redirect::to("/ui/sign-in").into_response();
            s.keys.set_flash(
                res.headers_mut(),
                &Flash::new(format!(
                    "Your new password is set. Sign in as {} with it.",
                    m.email
                )),
            );
            Ok(res)
        }
        Err(AppError::Rule(e)) => {
            // A password the rules refuse: the form again, the link still unused.
            match s.app.password_reset_holder(&token).await {
                Ok(h) => {
                    let (csrf, _) = s.keys.signin_token(&headers);
                    let page = reset_page(&csrf, &token, &h, Some(&e));
                    Ok((status_of(e.code), Html(page.into_string())).into_response())
                }
                Err(_) => Ok(dead_link(e)),
            }
        }
        Err(e) => Err(e.into()),
    }
}

//! "My seat": what every signed-in member may see of itself (its extension, numbers,
//! add-ons and Contact Center status) and where it changes its own password.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::MIN_PASSWORD;
use seatline_domain::{Error, ErrorCode};

use crate::auth::{done, Post, Viewer};
use crate::error::{status_of, UiError};
use crate::layout::{self, addon_chips, csrf, Nav};
use crate::UiState;

/// A member's own seat and password.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/me", get(page))
        .route("/ui/me/password", post(password))
}

async fn render(s: &UiState, v: &Viewer, error: Option<&Error>) -> Result<Markup, UiError> {
    // Signed in by a link and no password yet: the first one needs no current password.
    let has_password = s.app.has_own_password(&v.ctx, &v.org).await?;
    let ent = s.app.entitlements(&v.ctx, &v.org, &v.me.id).await?;
    let body = html! {
        (layout::title_bar("My seat", Some(&format!("{} in {}", v.me.email, v.org_name)), html! {}))
        div.grid2 {
            section.card #my-extension aria-labelledby="ext-h" {
                h2 #ext-h { "Extension" }
                @match &ent.extension {
                    Some(e) => {
                        p.big-key { (e.key) }
                        dl.facts {
                            dt { "Numbers" }
                            dd { @if e.numbers.is_empty() { span.muted { "None" } } @for n in &e.numbers { div.mono { (n) } } }
                            dt { "Add-ons" }
                            dd { (addon_chips(&e.addons)) }
                        }
                    }
                    None => { p { "You have no extension yet. Ask an admin to assign you one." } }
                }
            }
            section.card #my-cc aria-labelledby="cc-h" {
                h2 #cc-h { "Contact Center" }
                (layout::contact_center(&ent.member))
                @if ent.member.contact_center.ready {
                    p.hint #cc-hint { "You can take Contact Center calls." }
                } @else {
                    p.hint #cc-hint { "Contact Center needs an extension with the Contact Center add-on and at least one device. Ask an admin for what is missing." }
                }
            }
        }
        section.card.narrow-left #my-password aria-labelledby="pw-h" {
            h2 #pw-h { @if has_password { "Change your password" } @else { "Set your password" } }
            @if let Some(e) = error { (layout::error_box(e)) }
            form.stack method="post" action="/ui/me/password" {
                (csrf(v))
                @if has_password { div.field {
                    label for="current" { "Current password" }
                    input #current type="password" name="current" required autocomplete="current-password";
                } }
                div.field {
                    label for="new" { "New password" }
                    input #new type="password" name="password" required minlength=(MIN_PASSWORD) autocomplete="new-password";
                    p.hint { "At least " (MIN_PASSWORD) " characters." }
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Change password" } }
            }
        }
    };
    Ok(layout::page(v, Nav::Me, "My seat", body))
}

pub async fn page(State(s): State<UiState>, v: Viewer) -> Result<Response, UiError> {
    Ok(Html(render(&s, &v, None).await?.into_string()).into_response())
}

pub async fn password(State(s): State<UiState>, p: Post<Viewer>) -> Result<Response, UiError> {
    let v = &p.user;
    let raw = |name: &str| {
        p.fields
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    // Knowing the current password proves it is the member at the keyboard; guesses count
    // against the same limit as sign-in. A first password (after a sign-in link) has none.
    let first = !s.app.has_own_password(&v.ctx, &v.org).await?;
    let current_ok = first
        || (s.throttle.wait(&v.me.email).is_none()
            && s.app
                .sign_in(&v.me.email, &raw("current"))
                .await?
                .iter()
                .any(|m| m.org == v.org && m.member.id.as_str() == v.me.id));
    if !current_ok {
        s.throttle.failed(&v.me.email);
    }
    let result = if current_ok {
        s.app
            .set_password(&v.ctx, &v.org, &v.me.id, &raw("password"))
            .await
    } else {
        Err(Error::new(
            ErrorCode::InvalidPassword,
            "the current password is not right",
        )
        .into())
    };
    match result {
        Ok(()) => {
            // The change ended every session of this member, this one too; the browser
            // that changed it stays signed in with a session of the new epoch.
            let epoch = s.app.start_session(&v.org, &v.session.member).await?;
            let mut res = done(
                &s,
                "/ui/me",
                "Your password is changed. Other sign-ins of yours have ended.",
            );
            let mut next = v.session.clone();
            next.epoch = epoch;
            s.keys.set_session(res.headers_mut(), &next);
            Ok(res)
        }
        Err(seatline_app::AppError::Rule(e)) => {
            let page = render(&s, v, Some(&e)).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

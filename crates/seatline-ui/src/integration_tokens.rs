//! Integration tokens (owner only): the read-only bearer tokens the PBX and the contact center
//! use (product.md §8). List them, create one by name (its secret is shown once, on the page
//! that answers the form, never in a cookie or a redirect) and revoke one.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use seatline_app::IssuedIntegrationToken;
use seatline_domain::Error;

use crate::auth::{Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, csrf, Nav};
use crate::tokens::{self, TokenKind};
use crate::UiState;

/// The integration tokens page and its forms.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/integration-tokens", get(page).post(create))
        .route(
            "/ui/integration-tokens/{id}/revoke",
            tokens::revoke_route(TokenKind::Integration),
        )
}

async fn render(
    s: &UiState,
    v: &Viewer,
    issued: Option<&IssuedIntegrationToken>,
    draft: &str,
    error: Option<&Error>,
) -> Result<Markup, UiError> {
    let tokens = tokens::owned(s, v, TokenKind::Integration).await?;
    let body = html! {
        (layout::title_bar("Integration tokens", Some("Read-only API tokens for the PBX, the contact center and other systems that read entitlements and the change feed."), html! {}))
        @if let Some(t) = issued {
            section.card #integration-secret aria-labelledby="int-secret-h" {
                h2 #int-secret-h { "Token " (t.name) " created" }
                p { "Copy the token now: it is shown once and stored only as a hash. Send it as "
                    code { "Authorization: Bearer …" } "." }
                p { code.secret #integration-token-secret { (t.token) } }
            }
        }
        section.card #integration-tokens aria-labelledby="int-tokens-h" {
            h2 #int-tokens-h { "Tokens" }
            (tokens::list(v, TokenKind::Integration, &tokens))
        }
        section.card.narrow aria-labelledby="int-new-h" {
            h2 #int-new-h { "Create a token" }
            @if let Some(e) = error { (layout::error_box(e)) }
            form.stack method="post" action="/ui/integration-tokens" {
                (csrf(v))
                div.field {
                    label for="int-name" { "Name" }
                    input #int-name type="text" name="name" required maxlength="200" value=(draft) placeholder="PBX";
                    p.hint { "What the token is for; revoke it when that system no longer needs it." }
                }
                div.field {
                    label {
                        input #int-activity type="checkbox" name="can_report_activity" value="true";
                        " May report activity"
                    }
                    p.hint { "Lets the PBX or contact center post registrations, calls and sign-ins (the usage report's idle copies). Nothing else it may change." }
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Create token" } }
            }
        }
    };
    Ok(layout::page(
        v,
        Nav::IntegrationTokens,
        "Integration tokens",
        body,
    ))
}

pub async fn page(State(s): State<UiState>, v: Viewer) -> Result<Response, UiError> {
    Ok(Html(render(&s, &v, None, "", None).await?.into_string()).into_response())
}

pub async fn create(State(s): State<UiState>, p: Post<Viewer>) -> Result<Response, UiError> {
    let v = &p.user;
    let name = p.fields.get("name");
    let reports = p.fields.get("can_report_activity") == "true";
    match s
        .app
        .create_integration_token(&v.ctx, &v.org, name, reports)
        .await
    {
        Ok(t) => Ok(Html(render(&s, v, Some(&t), "", None).await?.into_string()).into_response()),
        Err(e) => {
            let e = rule_error(e)?;
            let page = render(&s, v, None, name, Some(&e)).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

//! SCIM settings (owner only): the base URL to paste into Entra ID or Okta as the tenant URL,
//! and the organization's SCIM tokens: create one (its secret is shown once, on the page
//! that answers the form, never in a cookie or a redirect) and revoke one.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::scim::IssuedScimToken;
use seatline_app::scim_url::from_headers;
use seatline_domain::Error;

use crate::auth::{Post, Viewer};
use crate::error::{status_of, UiError};
use crate::layout::{self, csrf, Nav};
use crate::tokens::{self, TokenKind};
use crate::UiState;

/// The scim pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/scim", get(page))
        .route("/ui/scim/tokens", post(create))
        .route(
            "/ui/scim/tokens/{id}/revoke",
            tokens::revoke_route(TokenKind::Scim),
        )
}

async fn render(
    s: &UiState,
    v: &Viewer,
    headers: &HeaderMap,
    issued: Option<&IssuedScimToken>,
    error: Option<&Error>,
) -> Result<Markup, UiError> {
    let tokens = tokens::owned(s, v, TokenKind::Scim).await?;
    let body = html! {
        (layout::title_bar("SCIM provisioning", Some("Let Entra ID or Okta create, update, disable and delete members"), html! {}))
        @if let Some(t) = issued {
            section.card #scim-secret aria-labelledby="secret-h" {
                h2 #secret-h { "Token " (t.name) " created" }
                p { "Copy the secret now: it is shown once and stored only as a hash." }
                p { code.mono #scim-token-secret { (t.token) } }
            }
        }
        section.card #scim-connect aria-labelledby="connect-h" {
            h2 #connect-h { "Connect your identity provider" }
            dl.facts {
                dt { "Tenant URL (Entra ID) / Base URL (Okta)" }
                dd { code.mono #scim-base-url { (from_headers(headers)) } }
                dt { "Authentication" }
                dd { "Bearer token: a SCIM token from below (Entra: Secret Token; Okta: HTTP Header)." }
                dt { "Extension attributes" }
                dd { code.mono { "urn:ietf:params:scim:schemas:extension:seatline:2.0:User" } " : extension, phoneSystem, contactCenter, deviceIpPhone, deviceWebRtc, deviceMobileApp, deviceDesktopApp, callRecording, dncChecking, teamChat, phoneNumber" }
            }
            p.hint { "Members created through SCIM get the member role; the owner cannot be disabled or deleted through SCIM. "
                a href="/ui/docs/scim" { "The setup guide" } " walks through Entra ID and Okta and lists the attribute mappings; share it with whoever manages your identity provider." }
        }
        section.card #scim-tokens aria-labelledby="tokens-h" {
            h2 #tokens-h { "SCIM tokens" }
            @if let Some(e) = error { (layout::error_box(e)) }
            (tokens::list(v, TokenKind::Scim, &tokens))
            form.stack method="post" action="/ui/scim/tokens" {
                (csrf(v))
                div.field {
                    label for="scim-name" { "Name" }
                    input #scim-name type="text" name="name" maxlength="200" placeholder="Entra ID";
                    p.hint { "What the token is for; revoke it when the connection is removed." }
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Create SCIM token" } }
            }
        }
    };
    Ok(layout::page(v, Nav::Scim, "SCIM", body))
}

pub async fn page(
    State(s): State<UiState>,
    v: Viewer,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    Ok(Html(render(&s, &v, &headers, None, None).await?.into_string()).into_response())
}

pub async fn create(
    State(s): State<UiState>,
    headers: HeaderMap,
    p: Post<Viewer>,
) -> Result<Response, UiError> {
    let v = &p.user;
    match s
        .app
        .create_scim_token(&v.ctx, &v.org, p.fields.get("name"))
        .await
    {
        Ok(t) => {
            Ok(Html(render(&s, v, &headers, Some(&t), None).await?.into_string()).into_response())
        }
        Err(seatline_app::AppError::Rule(e)) => {
            let page = render(&s, v, &headers, None, Some(&e)).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

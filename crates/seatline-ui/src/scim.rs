//! SCIM settings (owner only): the base URL to paste into Entra ID or Okta as the tenant URL,
//! and the organization's SCIM tokens: create one (its secret is shown once, on the page
//! that answers the form, never in a cookie or a redirect) and revoke one.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use seatline_app::scim::IssuedScimToken;
use seatline_domain::Error;

use crate::auth::{done, Post, Viewer};
use crate::error::{status_of, UiError};
use crate::layout::{self, csrf, Nav};
use crate::UiState;

/// The SCIM base URL as the browser reached this server, as the SCIM API computes it.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    seatline_app::scim_url::base_url(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

async fn render(
    s: &UiState,
    v: &Viewer,
    headers: &HeaderMap,
    issued: Option<&IssuedScimToken>,
    error: Option<&Error>,
) -> Result<Markup, UiError> {
    if !v.is_owner() {
        return Err(UiError::Forbidden);
    }
    let tokens = s.app.scim_tokens(&v.ctx, &v.org).await?.items;
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
                dd { code.mono #scim-base-url { (base_url(headers)) } }
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
            @if tokens.is_empty() {
                div.empty { p { "No SCIM token yet." } }
            } @else {
                div.table-wrap {
                    table.data #scim-token-list {
                        caption.sr-only { "SCIM tokens, oldest first" }
                        thead { tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Id" }
                            th scope="col" { "Created (UTC)" }
                            th scope="col" { "State" }
                            th scope="col" { span.sr-only { "Actions" } }
                        } }
                        tbody {
                            @for t in &tokens {
                                tr {
                                    td { (t.name) }
                                    td.mono { (t.id) }
                                    td { (t.created_at) }
                                    td { @if t.revoked { (layout::badge("b-gray", "revoked")) } @else { (layout::badge("b-green", "active")) } }
                                    td {
                                        @if !t.revoked {
                                            form method="post" action={ "/ui/scim/tokens/" (t.id) "/revoke" } {
                                                (csrf(v))
                                                button.btn.btn-quiet type="submit" { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
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

pub async fn revoke(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Viewer>,
) -> Result<Response, UiError> {
    s.app
        .revoke_scim_token(&p.user.ctx, &p.user.org, &id)
        .await?;
    Ok(done(&s, "/ui/scim", format!("SCIM token {id} is revoked.")))
}

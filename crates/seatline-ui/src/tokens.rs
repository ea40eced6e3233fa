//! The tokens an owner keeps on a settings page, SCIM tokens and integration tokens: the
//! list of one kind (each token's name, id, creation and state, and a Revoke form for the
//! active ones) and revoking one. Both kinds have the same shape, so one piece serves them;
//! each page issues its own kind, whose secret it shows once in its own words.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use axum::Extension;
use maud::{html, Markup};
use seatline_app::AppResult;

use crate::auth::{done, Post, Viewer};
use crate::error::UiError;
use crate::layout::{self, csrf};
use crate::UiState;

/// A kind of token an owner keeps.
#[derive(Debug, Clone, Copy)]
pub enum TokenKind {
    /// The organization's SCIM tokens, for its identity provider.
    Scim,
    /// The read-only tokens of the PBX, the contact center and other readers.
    Integration,
}

/// One token as the list shows it: the app's views of both kinds have these fields.
pub struct TokenRow {
    name: String,
    id: String,
    created_at: String,
    revoked: bool,
}

impl TokenKind {
    /// One token in a sentence.
    fn one(self) -> &'static str {
        match self {
            TokenKind::Scim => "SCIM token",
            TokenKind::Integration => "integration token",
        }
    }

    /// The list's id is this and `-token-list`, for tests and scripts.
    fn id(self) -> &'static str {
        match self {
            TokenKind::Scim => "scim",
            TokenKind::Integration => "integration",
        }
    }

    /// Where a token's revoke form posts: this, its id, then `/revoke`.
    fn revoke_at(self) -> &'static str {
        match self {
            TokenKind::Scim => "/ui/scim/tokens/",
            TokenKind::Integration => "/ui/integration-tokens/",
        }
    }

    /// The two lists were drawn apart before they shared this code, and each keeps its
    /// markup: the integration tokens' name heads its row, its time reads in words, its
    /// states are capitalized and each Revoke button names its token for screen readers;
    /// the SCIM tokens' list shows the name in a plain cell and the time as stored.
    fn labelled(self) -> bool {
        matches!(self, TokenKind::Integration)
    }

    fn caption(self) -> String {
        let mut chars = self.one().chars();
        let first = chars.next().map(|c| c.to_uppercase().to_string());
        format!(
            "{}{}s, oldest first",
            first.unwrap_or_default(),
            chars.as_str()
        )
    }

    async fn read(self, s: &UiState, v: &Viewer) -> AppResult<Vec<TokenRow>> {
        let (ctx, org) = (&v.ctx, &v.org);
        Ok(match self {
            TokenKind::Scim => rows(s.app.scim_tokens(ctx, org).await?.items, |t| {
                (t.name, t.id, t.created_at, t.revoked)
            }),
            TokenKind::Integration => rows(s.app.integration_tokens(ctx, org).await?.items, |t| {
                (t.name, t.id, t.created_at, t.revoked)
            }),
        })
    }

    /// Revoke one token; back on the kind's page, the flash says what that means.
    async fn revoke(self, s: &UiState, v: &Viewer, id: &str) -> AppResult<(&'static str, String)> {
        match self {
            TokenKind::Scim => {
                s.app.revoke_scim_token(&v.ctx, &v.org, id).await?;
                Ok(("/ui/scim", format!("SCIM token {id} is revoked.")))
            }
            TokenKind::Integration => {
                s.app.revoke_integration_token(&v.ctx, &v.org, id).await?;
                Ok((
                    "/ui/integration-tokens",
                    format!("Integration token {id} is revoked; it no longer reads anything."),
                ))
            }
        }
    }
}

/// A page of either kind's views as rows, by the fields both have.
fn rows<T>(items: Vec<T>, fields: impl Fn(T) -> (String, String, String, bool)) -> Vec<TokenRow> {
    let row = |(name, id, created_at, revoked)| TokenRow {
        name,
        id,
        created_at,
        revoked,
    };
    items.into_iter().map(fields).map(row).collect()
}

/// The owner's tokens of `kind`: tokens are the owner's, so everyone else is refused before
/// any is read.
pub async fn owned(s: &UiState, v: &Viewer, kind: TokenKind) -> Result<Vec<TokenRow>, UiError> {
    if !v.is_owner() {
        return Err(UiError::Forbidden);
    }
    Ok(kind.read(s, v).await?)
}

/// The route that revokes a token of `kind`: `/{id}/revoke` under its list's page.
pub fn revoke_route(kind: TokenKind) -> MethodRouter<UiState> {
    post(revoke).layer(Extension(kind))
}

async fn revoke(
    State(s): State<UiState>,
    Extension(kind): Extension<TokenKind>,
    Path(id): Path<String>,
    p: Post<Viewer>,
) -> Result<Response, UiError> {
    let (page, said) = kind.revoke(&s, &p.user, &id).await?;
    Ok(done(&s, page, said))
}

/// The tokens of one kind, oldest first, or the kind's "none yet".
pub fn list(v: &Viewer, kind: TokenKind, tokens: &[TokenRow]) -> Markup {
    let labelled = kind.labelled();
    let (created, active, revoked) = if labelled {
        ("Created", "Active", "Revoked")
    } else {
        ("Created (UTC)", "active", "revoked")
    };
    html! {
        @if tokens.is_empty() {
            div.empty { p { "No " (kind.one()) " yet." } }
        } @else {
            div.table-wrap {
                table.data id={ (kind.id()) "-token-list" } {
                    caption.sr-only { (kind.caption()) }
                    thead { tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Id" }
                        th scope="col" { (created) }
                        th scope="col" { "State" }
                        th scope="col" { span.sr-only { "Actions" } }
                    } }
                    tbody {
                        @for t in tokens {
                            tr {
                                @if labelled { th scope="row" { (t.name) } } @else { td { (t.name) } }
                                td.mono { (t.id) }
                                td { @if labelled { (layout::when(&t.created_at)) } @else { (t.created_at) } }
                                td { @if t.revoked { (layout::badge("b-gray", revoked)) } @else { (layout::badge("b-green", active)) } }
                                td {
                                    @if !t.revoked {
                                        form method="post" action={ (kind.revoke_at()) (t.id) "/revoke" } {
                                            (csrf(v))
                                            button.btn.btn-quiet type="submit" aria-label=[labelled.then(|| format!("Revoke {}", t.name))] { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

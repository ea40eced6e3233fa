//! The list of one kind of token an owner keeps on a settings page (SCIM tokens, integration
//! tokens): each token's name, id, creation and state, and a Revoke form for the active ones.
//! Both kinds have the same shape, so one list draws them; each page names its kind.

use maud::{html, Markup};

use crate::auth::Viewer;
use crate::layout::{self, csrf};

/// One token as the list shows it: the app's views of both kinds have these fields.
pub struct TokenRow<'a> {
    name: &'a str,
    id: &'a str,
    created_at: &'a str,
    revoked: bool,
}

impl<'a> TokenRow<'a> {
    pub fn new(name: &'a str, id: &'a str, created_at: &'a str, revoked: bool) -> Self {
        TokenRow {
            name,
            id,
            created_at,
            revoked,
        }
    }
}

/// How a page names its kind of token in the list.
pub struct TokenKind {
    /// One token in a sentence: "SCIM token", "integration token".
    pub one: &'static str,
    /// The list's id is this and `-token-list`, for tests and scripts.
    pub id: &'static str,
    /// Where a token's revoke form posts: this, its id, then `/revoke`.
    pub revoke_at: &'static str,
    pub look: Look,
}

/// The two lists were drawn apart before they shared this code; each keeps its markup.
pub enum Look {
    /// The name in a plain cell, the time as stored, states in lower case.
    Plain,
    /// The name heads its row, the time in words, states capitalized, and each Revoke
    /// button names its token for screen readers.
    Labelled,
}

impl TokenKind {
    fn caption(&self) -> String {
        let mut chars = self.one.chars();
        let first = chars.next().map(|c| c.to_uppercase().to_string());
        format!(
            "{}{}s, oldest first",
            first.unwrap_or_default(),
            chars.as_str()
        )
    }
}

/// The tokens of one kind, oldest first, or the kind's "none yet".
pub fn list(v: &Viewer, kind: &TokenKind, tokens: &[TokenRow]) -> Markup {
    let labelled = matches!(kind.look, Look::Labelled);
    let (created, active, revoked) = if labelled {
        ("Created", "Active", "Revoked")
    } else {
        ("Created (UTC)", "active", "revoked")
    };
    html! {
        @if tokens.is_empty() {
            div.empty { p { "No " (kind.one) " yet." } }
        } @else {
            div.table-wrap {
                table.data id={ (kind.id) "-token-list" } {
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
                                td { @if labelled { (layout::when(t.created_at)) } @else { (t.created_at) } }
                                td { @if t.revoked { (layout::badge("b-gray", revoked)) } @else { (layout::badge("b-green", active)) } }
                                td {
                                    @if !t.revoked {
                                        form method="post" action={ (kind.revoke_at) (t.id) "/revoke" } {
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

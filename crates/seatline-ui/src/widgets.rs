//! Pieces several pages share: the member lists and the picker that offers free members, a
//! member's label, and query-value encoding.

use maud::{html, Markup};
use seatline_app::views::MemberView;
use seatline_app::{AppResult, MAX_PAGE};
use seatline_domain::Status;

use crate::auth::Viewer;
use crate::UiState;

/// Read every member (pages of the largest size): pickers and member search need them all.
pub async fn all_members(s: &UiState, v: &Viewer) -> AppResult<Vec<MemberView>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s
            .app
            .members(&v.ctx, &v.org, after.as_deref(), Some(MAX_PAGE))
            .await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return Ok(out),
        }
    }
}

/// Members a picker offers at most; any other free member can be typed by email.
const PICKER: usize = 500;

/// Active members without an extension (the only ones that can be assigned), the first
/// [`PICKER`] by email, and whether there are more.
pub async fn free_members(s: &UiState, v: &Viewer) -> AppResult<(Vec<MemberView>, bool)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s
            .app
            .members(&v.ctx, &v.org, after.as_deref(), Some(MAX_PAGE))
            .await?;
        out.extend(
            page.items
                .into_iter()
                .filter(|m| m.status == Status::Active && m.extension.is_none()),
        );
        if out.len() > PICKER {
            out.truncate(PICKER);
            return Ok((out, true));
        }
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return Ok((out, false)),
        }
    }
}

/// The member a picker chose: a typed email wins over the list, which comes first.
pub fn chosen_member(fields: &crate::auth::Fields) -> String {
    fields.all("member").pop().unwrap_or_default()
}

/// A picker of free members; with more than it lists, a field to type any other's email.
pub fn member_picker(label: &str, members: &[MemberView], more: bool, selected: &str) -> Markup {
    html! {
        div.field {
            label for="member" { (label) }
            select #member name="member" required[!more] {
                option value="" { "Choose a member…" }
                @for m in members {
                    option value=(m.id) selected[m.id == selected || m.email == selected] { (member_label(m)) }
                }
            }
            @if more {
                label for="member-email" { "Or type the email of another member without an extension" }
                input #member-email type="email" name="member" autocomplete="off";
            }
        }
    }
}

pub fn member_label(m: &MemberView) -> String {
    if m.name.is_empty() || m.name == m.email {
        m.email.clone()
    } else {
        format!("{} ({})", m.name, m.email)
    }
}

/// Percent-encode a query value.
pub fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

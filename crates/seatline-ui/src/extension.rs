//! One extension's page: its member (assign, reassign, unassign), its add-ons and numbers in
//! one form (what is left of each code and each limit explained; a chosen number brings the
//! Number add-on it needs), and Deprovision.
//! A refused change re-renders the page with the reason next to the form that caused it.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::views::{ExtensionView, MemberView};
use seatline_app::{AppResult, MAX_PAGE};
use seatline_domain::{Code, Error, PerExtension};

use crate::auth::{done, Admin, Fields, Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, count, csrf, plural, Nav};
use crate::widgets::{chosen_member, free_members, member_label, member_picker};
use crate::UiState;

/// One extension's page and the forms on it.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/extensions/{key}", get(page))
        .route("/ui/extensions/{key}/member", post(set_member))
        .route("/ui/extensions/{key}/unassign", post(unassign))
        .route("/ui/extensions/{key}/addons-numbers", post(parts))
        .route("/ui/extensions/{key}/deprovision", post(deprovision))
}

/// Free numbers offered in the picker; more can be typed.
const FREE_NUMBERS: usize = 200;

/// Which form on the page an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Member,
    /// The add-ons and numbers form.
    Parts,
    Deprovision,
}

struct Data {
    ext: ExtensionView,
    holder: Option<MemberView>,
    free: Vec<MemberView>,
    /// There are free members beyond those the picker lists.
    more_members: bool,
    /// Seats left per add-on code.
    available: HashMap<Code, u32>,
    free_numbers: Vec<String>,
    /// The inventory has free numbers beyond those offered.
    more_numbers: bool,
}

async fn load(s: &UiState, v: &Viewer, key: &str) -> AppResult<Data> {
    let ext = s.app.extension(&v.ctx, &v.org, key).await?;
    let holder = match &ext.member {
        Some(r) => Some(s.app.member(&v.ctx, &v.org, &r.id).await?),
        None => None,
    };
    let (free, more_members) = free_members(s, v).await?;
    let available = s
        .app
        .licenses(&v.ctx, &v.org)
        .await?
        .into_iter()
        .map(|l| (l.code, l.available))
        .collect();
    let mut free_numbers = Vec::new();
    let mut more_numbers = false;
    let mut after: Option<String> = None;
    loop {
        let page = s
            .app
            .numbers(&v.ctx, &v.org, after.as_deref(), Some(MAX_PAGE))
            .await?;
        free_numbers.extend(
            page.items
                .into_iter()
                .filter(|n| n.extension.is_none())
                .map(|n| n.number),
        );
        match page.next_cursor {
            Some(c) if free_numbers.len() < FREE_NUMBERS => after = Some(c),
            Some(_) => {
                more_numbers = true;
                break;
            }
            None => break,
        }
    }
    more_numbers |= free_numbers.len() > FREE_NUMBERS;
    free_numbers.truncate(FREE_NUMBERS);
    Ok(Data {
        ext,
        holder,
        free,
        more_members,
        available,
        free_numbers,
        more_numbers,
    })
}

fn limit_text(c: Code) -> &'static str {
    match c.entry().per_extension {
        PerExtension::One => "At most 1 per extension",
        PerExtension::Many => "May repeat",
    }
}

fn render(v: &Viewer, d: &Data, error: Option<(Section, &Error)>) -> Markup {
    let e = &d.ext;
    let err = |s: Section| error.filter(|(x, _)| *x == s).map(|(_, e)| e);
    let have = |c: Code| e.addons.iter().filter(|x| **x == c).count() as u32;
    let numbers_allowed = have(Code::LicenseNumber);
    let subtitle = match &d.holder {
        Some(m) => format!("Assigned to {}", member_label(m)),
        None => "Not assigned to anyone".to_owned(),
    };
    let body = html! {
        (layout::title_bar(&format!("Extension {}", e.key), Some(&subtitle), html! {
            a.btn href="/ui/licenses" { "Back to Licenses" }
        }))
        div.grid2 {
            section.card #member-card aria-labelledby="member-h" {
                h2 #member-h { "Member" }
                @if let Some(x) = err(Section::Member) { (layout::error_box(x)) }
                @match &d.holder {
                    Some(m) => {
                        div.holder {
                            div { strong { (m.name) } div.muted { (m.email) } }
                            div { (layout::role_badge(m.role)) " " (layout::status_badge(m.status)) }
                        }
                        div.cc-line { "Contact Center: " (layout::contact_center(m)) }
                        form.inline method="post" action={ "/ui/extensions/" (e.key) "/unassign" } {
                            (csrf(v))
                            button.btn type="submit" { "Unassign" }
                            span.hint { "Add-ons and numbers stay on the extension." }
                        }
                    }
                    None => { p { (layout::badge("b-gray", "Unassigned")) " This extension has no member." } }
                }
                @if d.free.is_empty() {
                    p.hint { "No active member without an extension is left to "
                        @if d.holder.is_some() { "reassign to" } @else { "assign" } ". "
                        a href="/ui/members" { "Add a member" } }
                } @else {
                    form.inline method="post" action={ "/ui/extensions/" (e.key) "/member" } {
                        (csrf(v))
                        input type="hidden" name="reassign" value=(if d.holder.is_some() { "1" } else { "" });
                        (member_picker(if d.holder.is_some() { "Reassign to" } else { "Assign to" }, &d.free, d.more_members, ""))
                        button.btn.btn-primary type="submit" { @if d.holder.is_some() { "Reassign" } @else { "Assign" } }
                    }
                }
            }
        }
        section.card #addons-card aria-labelledby="addons-h" {
            h2 #addons-h { "Add-ons and numbers" }
            p.hint { "Add-ons and numbers belong to the extension: they stay when the member changes. A member is "
                "Contact Center ready with Contact Center plus at least one device (IP Phone, Mobile, Desktop or Web Phone). "
                "Each number needs a Number add-on; choosing a number adds the one it needs." }
            @if let Some(x) = err(Section::Parts) { (layout::error_box(x)) }
            (not_effective(&e.effective))
            form #parts-form method="post" action={ "/ui/extensions/" (e.key) "/addons-numbers" } {
                (csrf(v))
                div.parts {
                    div.table-wrap {
                        table.data.addons {
                            thead { tr {
                                th scope="col" { "Add-on" }
                                th scope="col" { "On this extension" }
                                th.num scope="col" { "Still available" }
                            } }
                            tbody {
                                @for c in Code::addons() {
                                    @let n = have(c);
                                    @let left = d.available.get(&c).copied().unwrap_or(0);
                                    @let id = format!("addon-{c}");
                                    tr data-code=(c) {
                                        th scope="row" {
                                            label for=(id) { (c.name()) }
                                            div { code.small { (c) } }
                                            div.limit {
                                                (limit_text(c))
                                                @if n == 0 && left == 0 { ". None left: buy more to add it." }
                                                @if c == Code::LicenseNumber && !e.numbers.is_empty() { ". At least " (e.numbers.len()) " for the attached numbers." }
                                            }
                                        }
                                        td {
                                            @match c.entry().per_extension {
                                                PerExtension::One => {
                                                    input type="checkbox" id=(id) name=(format!("addon_{c}")) value="1"
                                                        checked[n > 0] disabled[n == 0 && left == 0];
                                                }
                                                PerExtension::Many => {
                                                    input.qty type="number" id=(id) name=(format!("addon_{c}")) min="0" max=(n + left) step="1" value=(n)
                                                        inputmode="numeric";
                                                }
                                            }
                                        }
                                        td.num {
                                            @if left == 0 { (layout::badge("b-amber", "None left")) } @else { (count(left)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div #numbers-card {
                        h3 { "Numbers" }
                        p.hint { "This extension has " (plural(numbers_allowed, "Number add-on", "Number add-ons")) " and uses "
                            (e.numbers.len()) "." }
                        @if e.numbers.is_empty() { p.muted { "No numbers attached." } }
                        @else {
                            fieldset {
                                legend { "Attached (untick to detach)" }
                                @for (i, n) in e.numbers.iter().enumerate() {
                                    div.check {
                                        input.number-choice type="checkbox" name="number" value=(n) checked id={ "num-" (i) };
                                        label.mono for={ "num-" (i) } { (n) }
                                    }
                                }
                            }
                        }
                        div.field {
                            label for="add-number" { "Attach a number from the inventory" }
                            select.number-choice #add-number name="number" disabled[d.free_numbers.is_empty()] {
                                option value="" { @if d.free_numbers.is_empty() { "No free numbers in the inventory" } @else { "None" } }
                                @for n in &d.free_numbers { option value=(n) { (n) } }
                            }
                        }
                        @if d.more_numbers {
                            div.field {
                                label for="type-number" { "Or type another free number" }
                                input.number-choice #type-number type="text" name="number" inputmode="tel" autocomplete="off" placeholder="+6531234567";
                            }
                        }
                    }
                }
                div.form-actions {
                    button.btn.btn-primary #save-parts type="submit" { "Save add-ons and numbers" }
                    span.hint #numbers-note aria-live="polite" {}
                }
            }
        }
        section.card.danger-zone #deprovision-card aria-labelledby="deprov-h" {
            h2 #deprov-h { "Deprovision" }
            @if let Some(x) = err(Section::Deprovision) { (layout::error_box(x)) }
            p { "Removes the extension and returns its Phone System license and add-on seats; its numbers go back to the inventory." }
            @if let Some(m) = &e.member {
                p.hint { "Unassign " (m.email) " first: only an extension without a member can be deprovisioned." }
            }
            form method="post" action={ "/ui/extensions/" (e.key) "/deprovision" } data-confirm={ "Deprovision extension " (e.key) "?" } {
                (csrf(v))
                button.btn.btn-danger type="submit" disabled[e.member.is_some()] { "Deprovision " (e.key) }
            }
        }
    };
    layout::page(v, Nav::Licenses, &format!("Extension {}", e.key), body)
}

pub async fn page(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(key): Path<String>,
) -> Result<Response, UiError> {
    let d = load(&s, &v, &key).await?;
    Ok(Html(render(&v, &d, None).into_string()).into_response())
}

/// Answer a change: back to the page with a message, or the page with the error in place.
async fn answer(
    s: &UiState,
    v: &Viewer,
    key: &str,
    section: Section,
    result: AppResult<String>,
) -> Result<Response, UiError> {
    match result {
        Ok(message) => Ok(done(s, &format!("/ui/extensions/{key}"), message)),
        Err(e) => {
            let e = rule_error(e)?;
            let d = load(s, v, key).await?;
            Ok((
                status_of(e.code),
                Html(render(v, &d, Some((section, &e))).into_string()),
            )
                .into_response())
        }
    }
}

pub async fn set_member(
    State(s): State<UiState>,
    Path(key): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let reassign = !p.fields.get("reassign").is_empty();
    let r = s
        .app
        .assign(&v.ctx, &v.org, &key, &chosen_member(&p.fields), reassign)
        .await
        .map(|e| {
            let who = e.member.map(|m| m.email).unwrap_or_default();
            if reassign {
                format!("Extension {} reassigned to {who}.", e.key)
            } else {
                format!("Assigned extension {} to {who}.", e.key)
            }
        });
    answer(&s, v, &key, Section::Member, r).await
}

pub async fn unassign(
    State(s): State<UiState>,
    Path(key): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let r = s.app.unassign(&v.ctx, &v.org, &key).await.map(|e| {
        format!(
            "Extension {} is unassigned; its add-ons and numbers stay.",
            e.key
        )
    });
    answer(&s, v, &key, Section::Member, r).await
}

/// The add-on multiset a Manage form asks for: one copy per ticked box, `n` per count.
fn addons_of(fields: &Fields) -> Result<Vec<String>, Error> {
    let mut codes = Vec::new();
    for c in Code::addons() {
        let raw = fields.get(&format!("addon_{c}"));
        let n: u32 = if raw.is_empty() {
            0
        } else {
            raw.parse().map_err(|_| {
                Error::new(
                    seatline_domain::ErrorCode::Malformed,
                    format!(
                        "the count of {} must be a whole number, 0 or more",
                        c.name()
                    ),
                )
            })?
        };
        codes.extend(std::iter::repeat_n(c.as_str().to_owned(), n as usize));
    }
    Ok(codes)
}

/// Save the add-ons and numbers form in one use case call. A number chosen without a
/// Number add-on for it gets one: the form says choosing a number adds it, and a choice
/// is never dropped in silence.
pub async fn parts(
    State(s): State<UiState>,
    Path(key): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    let mut numbers = p.fields.all("number");
    numbers.sort();
    numbers.dedup();
    let r = match addons_of(&p.fields) {
        Ok(mut codes) => {
            let held = codes
                .iter()
                .filter(|c| *c == Code::LicenseNumber.as_str())
                .count();
            let added = numbers.len().saturating_sub(held);
            codes.extend(std::iter::repeat_n(
                Code::LicenseNumber.as_str().to_owned(),
                added,
            ));
            s.app
                .set_addons_and_numbers(&v.ctx, &v.org, &key, &codes, &numbers)
                .await
                .map(|e| {
                    let mut m = format!("Saved the add-ons and numbers of extension {}.", e.key);
                    if added > 0 {
                        m.push_str(&format!(
                            " Added {} for the chosen numbers.",
                            plural(added as u64, "Number add-on", "Number add-ons")
                        ));
                    }
                    m
                })
        }
        Err(e) => Err(e.into()),
    };
    answer(&s, v, &key, Section::Parts, r).await
}

pub async fn deprovision(
    State(s): State<UiState>,
    Path(key): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    match s.app.deprovision(&v.ctx, &v.org, &key).await {
        Ok(()) => Ok(done(
            &s,
            "/ui/licenses",
            format!("Deprovisioned extension {key}; its seats are available again."),
        )),
        Err(e) => answer(&s, v, &key, Section::Deprovision, Err(e)).await,
    }
}

/// The codes of this extension that give no service now, and why (product.md §10).
fn not_effective(flags: &[seatline_domain::Effective]) -> Markup {
    use seatline_domain::Reason;
    let off: Vec<_> = flags.iter().filter(|f| !f.effective).collect();
    html! {
        @if !off.is_empty() {
            div.alert role="alert" #not-effective {
                p { "Not effective now (kept on the extension, nothing was removed):" }
                ul {
                    @for f in off {
                        li {
                            (f.code.name()) " (" code { (f.code) } "): "
                            (match f.reason {
                                Some(Reason::SubscriptionSuspended) => "its subscription is suspended",
                                Some(Reason::SubscriptionTerminated) => "its subscription is terminated",
                                Some(Reason::MemberDisabled) => "the member is disabled",
                                Some(Reason::PhoneSystemNotEffective) => "the extension's Phone System is not effective",
                                None => "",
                            })
                        }
                    }
                }
            }
        }
    }
}

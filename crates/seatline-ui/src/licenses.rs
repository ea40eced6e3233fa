//! The Licenses page (summary per code and the searchable, paged extension list) and the
//! two forms the seed document starts with: Provision and Assign.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use seatline_app::views::{ExtensionView, LicenseView, Page};
use seatline_app::{AppResult, MAX_PAGE};
use seatline_domain::{Code, Error, ErrorCode, Kind, MAX_KEY};
use seatline_store::ExtensionQuery;
use serde::Deserialize;

use crate::auth::{done, Admin, Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, addon_chips, count, csrf, plural, Nav};
use crate::lifecycle;
use crate::pager::Position;
use crate::widgets::{all_members, chosen_member, free_members, member_picker, urlenc};
use crate::UiState;

/// The licenses pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/licenses", get(page))
        .route("/ui/provision", get(provision_form).post(provision))
        .route("/ui/provision/check", get(provision_check))
        .route("/ui/assign", get(assign_form).post(assign))
}

/// Extensions per page of the list.
const PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    /// The cursors of the pages before this one, for Previous (see `pager`).
    back: Option<String>,
}

pub fn summary_table(licenses: &[LicenseView]) -> Markup {
    html! {
        div.table-wrap {
            table.data #license-summary {
                caption.sr-only { "Licenses per code" }
                thead { tr {
                    th scope="col" { "License" }
                    th.hide-sm scope="col" { "Code" }
                    th.num scope="col" { "Purchased" }
                    th.num scope="col" { "In use" }
                    th.num scope="col" { "Assigned" }
                    th.num scope="col" { "Available" }
                    th scope="col" { "Subscription" }
                    th.hide-sm scope="col" { span.sr-only { "Usage" } }
                } }
                tbody {
                    @for l in licenses {
                        @let pct = if l.purchased == 0 { 0 } else { (l.in_use as u64 * 100 / l.purchased as u64).min(100) };
                        tr.unbought[l.purchased == 0] data-code=(l.code) {
                            th scope="row" {
                                (l.name)
                                @if l.kind == Kind::Base { " " (layout::badge("b-blue", "Base")) }
                            }
                            td.hide-sm { code { (l.code) } }
                            td.num { (count(l.purchased)) }
                            td.num { (count(l.in_use)) }
                            td.num { @match l.assigned { Some(a) => (count(a)), None => span.muted { "–" } } }
                            td.num {
                                @if l.available == 0 && l.purchased > 0 { (layout::badge("b-amber", "0")) }
                                @else { (count(l.available)) }
                            }
                            td.subscription { (lifecycle::subscription_cell(l)) }
                            td.meter-cell.hide-sm {
                                div class={ "meter" @if pct >= 100 { " full" } } role="presentation" {
                                    span class={ "fill w" (pct / 5 * 5) } {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Search extensions by key prefix (digits), add-on (a code or its name), or member
/// (part of an email or name).
async fn search(s: &UiState, v: &Viewer, q: &ListQuery) -> AppResult<Page<ExtensionView>> {
    let term = q.q.trim();
    let mut query = ExtensionQuery {
        after: q.after.as_deref().and_then(|a| a.parse().ok()),
        limit: PAGE,
        ..Default::default()
    };
    if term.is_empty() {
    } else if term.bytes().all(|b| b.is_ascii_digit()) {
        query.key_prefix = Some(term.to_owned());
    } else if let Some(code) =
        Code::addons().find(|c| c.as_str() == term || c.name().eq_ignore_ascii_case(term))
    {
        query.addon = Some(code);
    } else {
        let needle = term.to_lowercase();
        query.members = all_members(s, v)
            .await?
            .into_iter()
            .filter(|m| m.email.contains(&needle) || m.name.to_lowercase().contains(&needle))
            .filter(|m| m.extension.is_some())
            .map(|m| seatline_domain::MemberId(m.id))
            .collect();
        if query.members.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
    }
    s.app.extensions(&v.ctx, &v.org, query, None).await
}

fn extension_rows(items: &[ExtensionView]) -> Markup {
    html! {
        @for e in items {
            tr {
                th scope="row" { a.key href={ "/ui/extensions/" (e.key) } { (e.key) } }
                td {
                    @match &e.member {
                        Some(m) => { (m.email) }
                        None => { (layout::badge("b-gray", "Unassigned")) }
                    }
                }
                td {
                    @if e.numbers.is_empty() { span.muted { "–" } }
                    @for n in &e.numbers { div.mono { (n) } }
                }
                td { (addon_chips(&e.addons)) }
                td.row-actions {
                    a.btn.btn-small href={ "/ui/extensions/" (e.key) } aria-label={ "Manage extension " (e.key) } { "Manage" }
                    @if e.member.is_none() {
                        a.btn.btn-small href={ "/ui/assign?key=" (e.key) } aria-label={ "Assign extension " (e.key) } { "Assign" }
                    }
                }
            }
        }
    }
}

pub async fn page(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let licenses = s.app.licenses(&v.ctx, &v.org).await?;
    let list = search(&s, &v, &q).await?;
    let phone = licenses.iter().find(|l| l.code == Code::PhoneSystem);
    let sub = phone.map(|p| {
        format!(
            "{} of {} Phone System licenses provisioned, {} assigned to members.",
            p.in_use,
            p.purchased,
            p.assigned.unwrap_or(0)
        )
    });
    let pager = Position::new(
        format!("/ui/licenses?q={}", urlenc(&q.q)),
        "#extensions",
        q.after.as_deref(),
        q.back.as_deref().unwrap_or(""),
    );
    let body = html! {
        (layout::title_bar("Licenses", sub.as_deref(), html! {
            a.btn.btn-primary href="/ui/provision" { "Provision" }
            a.btn href="/ui/assign" { "Assign" }
            a.btn href="/ui/bulk" { "Bulk Assignment" }
            a.btn href="/ui/bulk/export.csv" download #export-csv { "Export (.csv)" }
            a.btn href="/ui/bulk/export.xlsx" download #export-xlsx { "Export (.xlsx)" }
        }))
        (lifecycle::banner(&licenses))
        section.card {
            h2 { "Summary" }
            (summary_table(&licenses))
        }
        section.card #extensions {
            div.card-head {
                h2 { "Extensions" }
                form.search role="search" method="get" action="/ui/licenses" {
                    label.sr-only for="q" { "Search extensions" }
                    input #q type="search" name="q" value=(q.q) placeholder="Key, member or add-on";
                    button.btn type="submit" { "Search" }
                    @if !q.q.is_empty() || q.after.is_some() { a.btn.btn-quiet href="/ui/licenses#extensions" { "Clear" } }
                }
            }
            p.hint { "Search by key prefix (" code { "10" } "), member email or name, or add-on code or name ("
                code { "license_center" } ", " code { "Web Phone" } ")." }
            @if list.items.is_empty() {
                div.empty {
                    @if q.q.is_empty() {
                        p { "No extensions yet." }
                        p { a.btn.btn-primary href="/ui/provision" { "Provision extensions" } }
                    } @else {
                        p { "No extension matches " strong { (q.q) } "." }
                    }
                }
            } @else {
                div.table-wrap {
                    table.data #extension-list {
                        caption.sr-only { "Extensions" }
                        thead { tr {
                            th scope="col" { "Extension" }
                            th scope="col" { "Member" }
                            th scope="col" { "Numbers" }
                            th scope="col" { "Add-ons" }
                            th scope="col" { span.sr-only { "Actions" } }
                        } }
                        tbody { (extension_rows(&list.items)) }
                    }
                }
                (pager.links(
                    "Extension pages",
                    html! {
                        span.muted { "Showing " (plural(list.items.len() as u64, "extension", "extensions"))
                            @if let (Some(f), Some(l)) = (list.items.first(), list.items.last()) { ", " (f.key) "–" (l.key) } }
                    },
                    list.next_cursor.as_deref(),
                ))
            }
        }
    };
    Ok(Html(layout::page(&v, Nav::Licenses, "Licenses", body).into_string()).into_response())
}

// ---- Provision ----

#[derive(Debug, Default, Deserialize)]
pub struct ProvisionQuery {
    count: Option<String>,
    start: Option<String>,
}

fn provision_page(
    v: &Viewer,
    available: u32,
    count_v: &str,
    start_v: &str,
    error: Option<&Error>,
) -> Markup {
    let field_of = |e: &Error| {
        e.details
            .get("field")
            .and_then(|f| f.as_str())
            .map(str::to_owned)
    };
    let start_err = error.filter(|e| {
        matches!(e.code, ErrorCode::InvalidExtKey | ErrorCode::ExtensionTaken)
            || field_of(e).as_deref() == Some("start")
    });
    let count_err = error.filter(|e| {
        matches!(e.code, ErrorCode::InvalidCount | ErrorCode::SeatsExhausted)
            || field_of(e).as_deref() == Some("count")
    });
    let other = error.filter(|_| start_err.is_none() && count_err.is_none());
    let next_free = error
        .and_then(|e| e.details.get("next_free_start"))
        .and_then(|n| n.as_str());
    let body = html! {
        (layout::title_bar("Provision extensions", Some("Each extension holds one Phone System license, assigned or not."), html! {
            a.btn href="/ui/licenses" { "Back to Licenses" }
        }))
        section.card.narrow {
            p.lead #provision-available {
                strong { (count(available)) } @if available == 1 { " Phone System license" } @else { " Phone System licenses" } " available to provision."
            }
            @if let Some(e) = other { (layout::error_box(e)) }
            form.stack #provision-form method="post" action="/ui/provision" data-available=(available) data-max-key=(MAX_KEY) novalidate {
                (csrf(v))
                div.field {
                    label for="count" { "Number of users" }
                    input #count type="number" name="count" min="1" max=(MAX_KEY) step="1" value=(count_v) required inputmode="numeric"
                        aria-describedby="count-hint count-error" aria-invalid=[count_err.map(|_| "true")];
                    p.hint #count-hint { "How many extensions to create, one per user." }
                    p.field-error #count-error aria-live="polite" {
                        @if let Some(e) = count_err { (e.message) }
                    }
                }
                div.field {
                    label for="start" { "Start from extension" }
                    input #start type="text" name="start" value=(start_v) required inputmode="numeric" autocomplete="off"
                        pattern="[1-9][0-9]{2,4}" maxlength="5"
                        aria-describedby="start-hint start-error" aria-invalid=[start_err.map(|_| "true")];
                    p.hint #start-hint { "3 to 5 digits, not starting with 0 (100–99999). Keys follow on from here." }
                    p.field-error #start-error aria-live="polite" {
                        @if let Some(e) = start_err {
                            (e.message)
                            @if let Some(n) = next_free {
                                " " a #use-next-free href={ "/ui/provision?count=" (urlenc(count_v)) "&start=" (n) } data-start=(n) { "Use " (n) }
                            }
                        }
                    }
                }
                p.preview #provision-preview aria-live="polite" {}
                div.form-actions {
                    button.btn.btn-primary #provision-submit type="submit" { "Provision" }
                    a.btn.btn-quiet href="/ui/licenses" { "Cancel" }
                }
            }
        }
    };
    layout::page(v, Nav::Licenses, "Provision", body)
}

async fn phone_available(s: &UiState, v: &Viewer) -> AppResult<u32> {
    Ok(s.app
        .licenses(&v.ctx, &v.org)
        .await?
        .iter()
        .find(|l| l.code == Code::PhoneSystem)
        .map_or(0, |l| l.available))
}

pub async fn provision_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<ProvisionQuery>,
) -> Result<Response, UiError> {
    let available = phone_available(&s, &v).await?;
    let page = provision_page(
        &v,
        available,
        q.count.as_deref().unwrap_or("1"),
        q.start.as_deref().unwrap_or(""),
        None,
    );
    Ok(Html(page.into_string()).into_response())
}

/// What the Provision form would do if sent now, for its preview: `{"ok", "message",
/// "field", "next_free_start"}`; the same rule and message as submitting it.
pub async fn provision_check(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<ProvisionQuery>,
) -> Result<Response, UiError> {
    let count_v = q.count.as_deref().unwrap_or("").trim();
    let start_v = q.start.as_deref().unwrap_or("").trim();
    let result = match count_v.parse::<i64>() {
        Ok(n) => s.app.provision_preview(&v.ctx, &v.org, n, start_v).await,
        Err(_) => Err(count_not_a_number().into()),
    };
    let body = match result {
        Ok((first, last)) => serde_json::json!({
            "ok": true,
            "message": if first == last {
                format!("Creates extension {first}.")
            } else {
                format!("Creates extensions {first}–{last}.")
            },
            "field": null,
            "next_free_start": null,
        }),
        Err(e) => {
            let e = rule_error(e)?;
            let field = match e.code {
                ErrorCode::InvalidCount | ErrorCode::SeatsExhausted => Some("count"),
                ErrorCode::InvalidExtKey | ErrorCode::ExtensionTaken => Some("start"),
                _ => e.details.get("field").and_then(|f| f.as_str()),
            };
            serde_json::json!({
                "ok": false,
                "message": e.message,
                "field": field,
                "next_free_start": e.details.get("next_free_start"),
            })
        }
    };
    Ok(axum::Json(body).into_response())
}

fn count_not_a_number() -> Error {
    Error::new(
        ErrorCode::InvalidCount,
        "the number of users must be a whole number, at least 1",
    )
    .detail("field", "count")
}

pub async fn provision(State(s): State<UiState>, p: Post<Admin>) -> Result<Response, UiError> {
    let v = &p.user.0;
    let count_v = p.fields.get("count");
    let start_v = p.fields.get("start");
    let result = match count_v.parse::<i64>() {
        Ok(n) => s.app.provision(&v.ctx, &v.org, n, start_v).await,
        Err(_) => Err(count_not_a_number().into()),
    };
    match result {
        Ok(exts) => {
            let range = match (exts.first(), exts.last()) {
                (Some(a), Some(b)) if exts.len() > 1 => format!("{}–{}", a.key, b.key),
                (Some(a), _) => a.key.clone(),
                _ => String::new(),
            };
            Ok(done(
                &s,
                "/ui/licenses",
                format!(
                    "Provisioned {}: {range}.",
                    plural(exts.len() as u64, "extension", "extensions")
                ),
            ))
        }
        Err(e) => {
            let e = rule_error(e)?;
            let available = phone_available(&s, v).await?;
            let page = provision_page(v, available, count_v, start_v, Some(&e));
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

// ---- Assign ----

#[derive(Debug, Default, Deserialize)]
pub struct AssignQuery {
    key: Option<String>,
}

async fn free_extensions(s: &UiState, v: &Viewer) -> AppResult<Page<ExtensionView>> {
    let q = ExtensionQuery {
        unassigned: true,
        limit: MAX_PAGE,
        ..Default::default()
    };
    s.app.extensions(&v.ctx, &v.org, q, None).await
}

async fn assign_page(
    s: &UiState,
    v: &Viewer,
    key: &str,
    member: &str,
    error: Option<&Error>,
) -> Result<Markup, UiError> {
    let (members, more) = free_members(s, v).await?;
    let exts = free_extensions(s, v).await?;
    let body = html! {
        (layout::title_bar("Assign an extension", Some("Give a member an unassigned extension. Its add-ons and numbers stay with the extension."), html! {
            a.btn href="/ui/licenses" { "Back to Licenses" }
        }))
        section.card.narrow {
            @if let Some(e) = error { (layout::error_box(e)) }
            @if members.is_empty() || exts.items.is_empty() {
                div.empty {
                    @if exts.items.is_empty() {
                        p { "Every extension has a member. " a href="/ui/provision" { "Provision more" } " first." }
                    }
                    @if members.is_empty() {
                        p { "Every active member already holds an extension. " a href="/ui/members" { "Add a member" } " first." }
                    }
                }
            } @else {
                form.stack method="post" action="/ui/assign" {
                    (csrf(v))
                    (member_picker("User", &members, more, member))
                    p.hint { (members.len()) @if more { "+" } @if members.len() == 1 && !more { " active member" } @else { " active members" } " without an extension." }
                    div.field {
                        label for="key" { "Extension" }
                        select #key name="key" required {
                            option value="" { "Choose an extension…" }
                            @for e in &exts.items {
                                option value=(e.key) selected[e.key == key] { (e.key) }
                            }
                        }
                        p.hint { (exts.items.len()) @if exts.next_cursor.is_some() { "+" } @if exts.items.len() == 1 && exts.next_cursor.is_none() { " unassigned extension." } @else { " unassigned extensions." } }
                    }
                    div.form-actions {
                        button.btn.btn-primary type="submit" { "Assign" }
                        a.btn.btn-quiet href="/ui/licenses" { "Cancel" }
                    }
                }
            }
        }
    };
    Ok(layout::page(v, Nav::Licenses, "Assign", body))
}

pub async fn assign_form(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<AssignQuery>,
) -> Result<Response, UiError> {
    let page = assign_page(&s, &v, q.key.as_deref().unwrap_or(""), "", None).await?;
    Ok(Html(page.into_string()).into_response())
}

pub async fn assign(State(s): State<UiState>, p: Post<Admin>) -> Result<Response, UiError> {
    let v = &p.user.0;
    let member = chosen_member(&p.fields);
    let (key, member) = (p.fields.get("key"), member.as_str());
    let result = if key.is_empty() || member.is_empty() {
        Err(Error::new(
            ErrorCode::Malformed,
            "choose both a member and an extension",
        )
        .into())
    } else {
        s.app.assign(&v.ctx, &v.org, key, member, false).await
    };
    match result {
        Ok(e) => Ok(done(
            &s,
            &format!("/ui/extensions/{}", e.key),
            format!(
                "Assigned extension {} to {}.",
                e.key,
                e.member.map(|m| m.email).unwrap_or_default()
            ),
        )),
        Err(e) => {
            let e = rule_error(e)?;
            let page = assign_page(&s, v, key, member, Some(&e)).await?;
            Ok((status_of(e.code), Html(page.into_string())).into_response())
        }
    }
}

//! Usage (product.md §11): cost and waste per code and in total, with a bar chart drawn here
//! as inline SVG; the findings with a kind filter (and their CSV); and "Review cleanup
//! plan", which makes a cleanup plan and opens it on the bulk plan page, where it is
//! reviewed and applied like any plan. The cleanup variant of that page is rendered here.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::bulk::PlanView;
use seatline_domain::plans::{Outcome, PlanStatus, RowError, SeatChange};
use seatline_domain::reports::{Finding, Usage};
use seatline_domain::{Error, FindingKind};
use serde::Deserialize;

use crate::auth::{Admin, Post, Viewer};
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, addon_chips, count, csrf, plural, Nav};
use crate::UiState;

/// The usage pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/usage", get(page))
        .route("/ui/usage/findings.csv", get(findings_csv))
        .route("/ui/usage/plan", post(plan))
}

/// Findings listed on the page; the CSV has them all.
const SHOW_FINDINGS: usize = 500;
/// Cleanup rows listed on a plan's page.
const SHOW_ROWS: usize = 1000;

pub fn kind_label(k: FindingKind) -> &'static str {
    match k {
        FindingKind::ExtensionUnassigned => "Extension without a member",
        FindingKind::AddonOnUnassignedExtension => "Add-ons on an unassigned extension",
        FindingKind::NumberOnUnassignedExtension => "Numbers on an unassigned extension",
        FindingKind::DisabledMemberHoldsExtension => "Disabled member holds an extension",
        FindingKind::ContactCenterNotReady => "Contact Center license without member or device",
        FindingKind::OverAllocated => "More in use than purchased",
        FindingKind::NotEffective => "Add-ons of a suspended or terminated subscription",
        FindingKind::IdleExtension => "Extension without a registration or call",
        FindingKind::IdleContactCenter => "Contact Center license without a sign-in",
        FindingKind::IdleDevice => "Device license without a registration from that device",
    }
}

fn action_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Unassign => "Unassign the member",
        Outcome::RemoveAddons => "Remove add-ons",
        Outcome::DetachNumbers => "Detach numbers",
        Outcome::Deprovision => "Deprovision",
        Outcome::Create => "Create",
        Outcome::Error => "Error",
        Outcome::Grant => "Grant",
        Outcome::Revoke => "Revoke",
        Outcome::Wait => "Wait",
        Outcome::Unchanged => "Unchanged",
    }
}

fn money(m: Option<impl ToString>, currency: Option<&str>) -> Markup {
    html! {
        @match m {
            Some(m) => span.mono { (m.to_string()) @if let Some(c) = currency { " " (c) } },
            None => span.muted { "no price" },
        }
    }
}

/// Cost and waste per priced code as horizontal bars: the whole bar is the monthly cost,
/// its red part the waste. Drawn on the server, so the page loads nothing else.
fn chart(u: &Usage) -> Markup {
    let priced: Vec<_> = u
        .items
        .iter()
        .filter_map(|i| Some((i, i.monthly_cost?, i.monthly_waste?)))
        .filter(|(_, c, _)| c.0 > 0)
        .collect();
    if priced.is_empty() {
        return html! {
            p.hint #usage-chart-empty { "No code has a unit price yet: the operator sets prices with the subscription (unit_price, currency). Seats are counted below." }
        };
    }
    let max = priced.iter().map(|(_, c, _)| c.0).max().unwrap_or(1).max(1);
    let (label_w, bar_w, row_h) = (190u128, 360u128, 30u128);
    let height = row_h * priced.len() as u128 + 30;
    let width = label_w + bar_w + 150;
    html! {
        svg #usage-chart role="img" aria-labelledby="usage-chart-title" width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } xmlns="http://www.w3.org/2000/svg" {
            title #usage-chart-title { "Monthly cost and waste per license" }
            @for (n, (i, cost, waste)) in priced.iter().enumerate() {
                @let y = 6 + row_h * n as u128;
                @let cw = (bar_w * cost.0 / max).max(1);
                @let ww = bar_w * waste.0 / max;
                text x="0" y=(y + 15) font-size="13" fill="#1f2937" { (i.name) }
                rect x=(label_w) y=(y) width=(cw) height="20" rx="3" fill="#bfdbfe" {}
                @if ww > 0 {
                    rect.waste x=(label_w + cw - ww.min(cw)) y=(y) width=(ww.min(cw)) height="20" rx="3" fill="#dc2626" {}
                }
                text x=(label_w + cw + 8) y=(y + 15) font-size="12" fill="#374151" {
                    (waste.to_string()) " of " (cost.to_string()) " wasted"
                }
            }
            @let ly = height - 14;
            rect x=(label_w) y=(ly) width="12" height="12" fill="#bfdbfe" {}
            text x=(label_w + 18) y=(ly + 10) font-size="12" fill="#374151" { "in productive use" }
            rect x=(label_w + 150) y=(ly) width="12" height="12" fill="#dc2626" {}
            text x=(label_w + 168) y=(ly + 10) font-size="12" fill="#374151" { "paid for, not used" }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UsageParams {
    kind: Option<String>,
}

fn usage_page(
    v: &Viewer,
    u: &Usage,
    all: &[Finding],
    filter: Option<FindingKind>,
    error: Option<&Error>,
) -> Markup {
    let cur = u.totals.currency.as_deref();
    let mut per_kind: BTreeMap<FindingKind, usize> = BTreeMap::new();
    for f in all {
        *per_kind.entry(f.kind).or_default() += 1;
    }
    let shown: Vec<&Finding> = all
        .iter()
        .filter(|f| filter.is_none_or(|k| k == f.kind))
        .collect();
    let csv_href = match filter {
        Some(k) => format!("/ui/usage/findings.csv?kind={k}"),
        None => "/ui/usage/findings.csv".to_owned(),
    };
    let body = html! {
        (layout::title_bar("Usage", Some("What your organization pays for each month, what is not in productive use, and one reviewed step to clean it up."), html! {
            a.btn href=(csv_href) download #findings-csv { "Download findings (.csv)" }
        }))
        @if let Some(e) = error { (layout::error_box(e)) }
        section.card #usage-summary {
            h2 { "Monthly cost and waste" }
            div.stat-row {
                div.stat #total-cost { strong { (money(u.totals.monthly_cost, cur)) } span.muted { "monthly cost" } }
                div.stat #total-waste { strong { (money(u.totals.monthly_waste, cur)) } span.muted { "paid for and not in productive use" } }
                div.stat { strong { (count(all.len() as u64)) } span.muted { @if all.len() == 1 { "finding" } @else { "findings" } } }
            }
            p.hint { "A copy is in productive use when it sits on an extension held by an active member and its subscription gives service. Waste = unit price × (purchased − in productive use)." }
            (chart(u))
            div.table-wrap {
                table.data #usage-table {
                    thead { tr {
                        th scope="col" { "License" }
                        th.num scope="col" { "Purchased" }
                        th.num scope="col" { "In use" }
                        th.num scope="col" { "Assigned" }
                        th.num scope="col" { "Productive" }
                        th.num scope="col" { "Over" }
                        th.num scope="col" { "Unit price" }
                        th.num scope="col" { "Monthly cost" }
                        th.num scope="col" { "Monthly waste" }
                    } }
                    tbody {
                        @for i in &u.items {
                            tr data-code=(i.code) {
                                th scope="row" { (i.name) " " code.small { (i.code) } }
                                td.num { (count(i.purchased)) }
                                td.num { (count(i.in_use)) }
                                td.num { (count(i.assigned)) }
                                td.num { (count(i.productive)) }
                                td.num { @if i.over_allocated > 0 { (layout::badge("b-red", &i.over_allocated.to_string())) } @else { "0" } }
                                td.num { (money(i.unit_price.as_ref(), i.currency.as_deref())) }
                                td.num { (money(i.monthly_cost, i.currency.as_deref())) }
                                td.num { (money(i.monthly_waste, i.currency.as_deref())) }
                            }
                        }
                    }
                }
            }
        }
        section.card #findings {
            div.card-head {
                h2 { "Findings" }
                form.inline method="get" action="/ui/usage" #kind-filter {
                    label for="kind" { "Show " }
                    select #kind name="kind" {
                        option value="" selected[filter.is_none()] { "Every kind (" (all.len()) ")" }
                        @for k in FindingKind::ALL {
                            option value=(k) selected[filter == Some(k)] {
                                (kind_label(k)) " (" (per_kind.get(&k).copied().unwrap_or(0)) ")"
                            }
                        }
                    }
                    " "
                    button.btn type="submit" { "Filter" }
                }
            }
            @if shown.is_empty() {
                p.muted #no-findings { "Nothing to clean up here." }
            } @else {
                div.table-wrap {
                    table.data #findings-table {
                        thead { tr {
                            th scope="col" { "Finding" }
                            th scope="col" { "Extension" }
                            th scope="col" { "Member" }
                            th scope="col" { "Copies" }
                            th.num scope="col" { "Monthly waste" }
                            th scope="col" { "Suggested action" }
                        } }
                        tbody {
                            @for f in shown.iter().take(SHOW_FINDINGS) {
                                tr data-kind=(f.kind) {
                                    td { (kind_label(f.kind)) }
                                    td.mono { @match f.extension {
                                        Some(k) => a.key href={ "/ui/extensions/" (k) } { (k) },
                                        None => span.muted { "whole license" },
                                    } }
                                    td { @match &f.member { Some(m) => (m.email), None => span.muted { "–" } } }
                                    td {
                                        (addon_chips(&f.codes))
                                        @for n in &f.numbers { div.mono { (n) } }
                                    }
                                    td.num { (money(f.monthly_waste, cur)) }
                                    td { (action_label(f.suggested_action)) }
                                }
                            }
                        }
                    }
                }
                @if shown.len() > SHOW_FINDINGS {
                    p.hint { "And " (plural((shown.len() - SHOW_FINDINGS) as u64, "more finding", "more findings")) ": download the CSV for all of them." }
                }
            }
        }
        @if !all.is_empty() {
            section.card #cleanup {
                h2 { "Clean up" }
                p.hint { "Choose what to clean up. You get a plan to review first: nothing changes until you apply it, and it applies whole or not at all." }
                form method="post" action="/ui/usage/plan" #cleanup-form {
                    (csrf(v))
                    fieldset.checks {
                        legend { "Findings to clean up" }
                        // Idle copies are not cleaned up by a cleanup plan (the reclaim
                        // policy will own them, with notice): not offered here.
                        @for (k, n) in per_kind.iter().filter(|(k, _)| !k.is_idle()) {
                            label.check {
                                input type="checkbox" name="kinds" value=(k) checked[filter.is_none_or(|f| f == *k)];
                                " " (kind_label(*k)) " (" (n) ")"
                            }
                        }
                    }
                    div.form-actions { button.btn.btn-primary #review-cleanup type="submit" { "Review cleanup plan" } }
                }
            }
        }
    };
    layout::page(v, Nav::Usage, "Usage", body)
}

fn parse_filter(kind: Option<&str>) -> Result<Option<FindingKind>, Error> {
    kind.filter(|k| !k.is_empty())
        .map(str::parse::<FindingKind>)
        .transpose()
}

pub async fn page(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<UsageParams>,
) -> Result<Response, UiError> {
    let u = s.app.usage_report(&v.ctx, &v.org).await?;
    let all = s.app.findings(&v.ctx, &v.org, None).await?;
    match parse_filter(q.kind.as_deref()) {
        Ok(filter) => {
            Ok(Html(usage_page(&v, &u, &all, filter, None).into_string()).into_response())
        }
        Err(e) => Ok((
            status_of(e.code),
            Html(usage_page(&v, &u, &all, None, Some(&e)).into_string()),
        )
            .into_response()),
    }
}

pub async fn findings_csv(
    State(s): State<UiState>,
    Admin(v): Admin,
    Query(q): Query<UsageParams>,
) -> Result<Response, UiError> {
    let kind = q.kind.as_deref().filter(|k| !k.is_empty());
    let items = s.app.findings(&v.ctx, &v.org, kind).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"seatline-findings.csv\"",
            ),
        ],
        seatline_app::reports::findings_csv(&items),
    )
        .into_response())
}

pub async fn plan(State(s): State<UiState>, p: Post<Admin>) -> Result<Response, UiError> {
    let v = &p.user.0;
    let kinds = p.fields.all("kinds");
    match s.app.cleanup_plan(&v.ctx, &v.org, &kinds, None).await {
        Ok(plan) => Ok(Redirect::to(&format!("/ui/bulk/plans/{}", plan.id)).into_response()),
        Err(e) => {
            let e = rule_error(e)?;
            let u = s.app.usage_report(&v.ctx, &v.org).await?;
            let all = s.app.findings(&v.ctx, &v.org, None).await?;
            Ok((
                status_of(e.code),
                Html(usage_page(v, &u, &all, None, Some(&e)).into_string()),
            )
                .into_response())
        }
    }
}

fn problem(e: &RowError) -> Markup {
    html! {
        li {
            @if let Some(r) = e.row { strong { "Row " (r) } " · " }
            span.err-col { (e.column) }
            @if !e.value.is_empty() { " " code { (e.value) } }
            ": " (e.message)
        }
    }
}

/// A cleanup plan on the bulk plan page: its rows (extension, member, action, finding,
/// what it removes, the seats it frees), the seats freed per code, and Apply. `stale`: apply
/// refused it, and its errors are the rows that no longer match.
pub fn render_cleanup_plan(
    v: &Viewer,
    p: &PlanView,
    emails: &HashMap<String, String>,
    error: Option<&Error>,
    stale: bool,
) -> Markup {
    let freed: Vec<(seatline_domain::Code, u64)> = p
        .seats
        .iter()
        .filter_map(|s| match s {
            SeatChange::Freed(f) => Some((f.code, f.freed)),
            SeatChange::Needed(_) | SeatChange::Moved(_) => None,
        })
        .collect();
    let total: u64 = freed.iter().map(|(_, n)| n).sum();
    let applied = p.status == PlanStatus::Applied;
    let can_apply = p.can_apply && !stale;
    let title = if applied {
        "Cleanup plan applied".to_owned()
    } else {
        format!("Cleanup plan: {}", plural(p.rows as u64, "row", "rows"))
    };
    let bad: HashMap<usize, Vec<&RowError>> = p.errors.iter().fold(HashMap::new(), |mut m, e| {
        if let Some(r) = e.row {
            m.entry(r).or_insert_with(Vec::new).push(e);
        }
        m
    });
    let body = html! {
        (layout::title_bar(&title, None, html! {
            a.btn href="/ui/usage" { "Back to Usage" }
        }))
        p.sub #plan-source {
            "Cleanup of: "
            @if let Some(c) = &p.cleanup {
                @for (i, k) in c.kinds.iter().enumerate() {
                    @if i > 0 { ", " }
                    (kind_label(*k))
                }
            }
            " · made " (layout::when(&p.created_at))
        }
        @if let Some(e) = error { (layout::error_box(e)) }
        section.card #plan-summary {
            div.card-head {
                h2 { "Summary" }
                @if stale { (layout::badge("b-red", "Out of date")) }
                @else if applied { (layout::badge("b-blue", "Applied")) }
                @else { (layout::badge("b-green", "Ready to apply")) }
            }
            div.stat-row {
                div.stat { strong { (count(p.rows as u64)) } span.muted { @if p.rows == 1 { "change" } @else { "changes" } } }
                div.stat #seats-freed { strong { (count(total)) } span.muted { @if applied { "seats freed" } @else { "seats to free" } } }
            }
            @if stale {
                div.alert role="alert" #plan-stale {
                    "The organization changed since this plan was made: "
                    (plural(p.errors.len() as u64, "row no longer matches", "rows no longer match"))
                    ". Nothing was applied. Make a new cleanup plan from the Usage page."
                }
            } @else if applied {
                div.flash.ok role="status" #plan-applied {
                    "Applied: " (plural(total, "seat", "seats")) " freed. "
                    a href="/ui/usage" { "See the usage now" }
                }
            } @else if p.rows == 0 {
                p { "Nothing to clean up for these findings." }
            } @else {
                p { "Review the changes below. Applying makes all of them in one step, or none if the organization changed meanwhile." }
            }
            @if !applied && !stale && p.rows > 0 {
                form method="post" action={ "/ui/bulk/plans/" (p.id) "/apply" } {
                    (csrf(v))
                    div.form-actions {
                        button.btn.btn-primary #apply-submit type="submit" disabled[!can_apply] { "Apply cleanup plan" }
                    }
                }
            }
        }
        @if !p.warnings.is_empty() {
            section.card #plan-warnings {
                h2 { (plural(p.warnings.len() as u64, "warning", "warnings")) }
                ul.warnings { @for w in &p.warnings { (problem(w)) } }
            }
        }
        @if !freed.is_empty() {
            section.card #plan-seats {
                h2 { "Seats freed" }
                div.table-wrap {
                    table.data {
                        thead { tr { th scope="col" { "License" } th.num scope="col" { "Freed" } } }
                        tbody {
                            @for (code, n) in &freed {
                                tr { th scope="row" { (code.name()) " " code.small { (code) } } td.num { (count(*n)) } }
                            }
                        }
                    }
                }
            }
        }
        @if p.rows > 0 {
            section.card #plan-rows {
                h2 { "Changes" }
                div.table-wrap {
                    table.data #plan-table {
                        thead { tr {
                            th.num scope="col" { "Row" }
                            th scope="col" { "Extension" }
                            th scope="col" { "Member" }
                            th scope="col" { "Change" }
                            th scope="col" { "Finding" }
                            th scope="col" { "Removes" }
                            th scope="col" { "Frees" }
                        } }
                        tbody {
                            @for r in p.items.iter().take(SHOW_ROWS) {
                                @let errs = bad.get(&r.row);
                                tr class=[errs.map(|_| "row-bad")] data-row=(r.row) data-action=(r.outcome.as_str()) {
                                    td.num { (r.row) }
                                    td.mono { @if let Some(k) = r.key { a.key href={ "/ui/extensions/" (k) } { (k) } } }
                                    td { @match &r.member {
                                        Some(m) => (emails.get(m.as_str()).map_or(m.as_str(), String::as_str)),
                                        None => span.muted { "Unassigned" },
                                    } }
                                    td {
                                        (action_label(r.outcome))
                                        @if let Some(list) = errs { ul.errors { @for e in list { (problem(e)) } } }
                                    }
                                    td { @if let Some(k) = r.finding { (kind_label(k)) } }
                                    td {
                                        (addon_chips(&r.addons))
                                        @for n in &r.numbers { div.mono { (n) } }
                                    }
                                    td { @for f in &r.freed { div { (f.freed) " " code.small { (f.code) } } } }
                                }
                            }
                        }
                    }
                }
                @if p.items.len() > SHOW_ROWS {
                    p.hint { "And " (plural((p.items.len() - SHOW_ROWS) as u64, "more row", "more rows")) " not shown." }
                }
            }
        }
    };
    layout::page(v, Nav::Usage, &title, body)
}

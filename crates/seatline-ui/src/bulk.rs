//! Bulk Assignment: download the sample, upload a CSV or XLSX file, review the plan (rows
//! with errors highlighted, each error in words with its column, seat changes per code),
//! apply a ready plan, see the result; and export the current extensions.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use seatline_app::bulk::PlanView;
use seatline_domain::bulk::{Outcome, PlanStatus, RowError};
use seatline_domain::{Code, Error, ErrorCode};

use crate::auth::{done, Admin, Post, Viewer};
use crate::error::{status_of, UiError};
use crate::layout::{self, addon_chips, count, csrf, Nav};
use crate::licenses::{all_members, rule_error};
use crate::session;
use crate::UiState;

/// Rows of a plan shown on its page: every row with an error (up to this many), and the
/// first rows that will be created; the rest are counted.
const SHOW_ERROR_ROWS: usize = 1000;
const SHOW_OK_ROWS: usize = 200;

fn upload_form(v: &Viewer, label: &str) -> Markup {
    html! {
        form.upload method="post" action="/ui/bulk/plans" enctype="multipart/form-data" {
            (csrf(v))
            div.field {
                label for="file" { (label) }
                input #file type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
                p.hint { "CSV (UTF-8, comma or semicolon) or Excel .xlsx, up to 100,000 rows." }
            }
            div.form-actions { button.btn.btn-primary #upload-submit type="submit" { "Upload and check" } }
        }
    }
}

fn codes_table() -> Markup {
    html! {
        div.table-wrap {
            table.data.compact {
                thead { tr { th scope="col" { "Add-on" } th scope="col" { "Code for the Addon license column" } } }
                tbody {
                    @for c in Code::addons() {
                        tr { td { (c.name()) } td { code { (c) } } }
                    }
                }
            }
        }
    }
}

fn bulk_page(v: &Viewer, error: Option<&Error>) -> Markup {
    let body = html! {
        (layout::title_bar("Bulk Assignment", Some("Create many new extensions at once from a spreadsheet. Bulk assignment only creates new extensions; it never changes existing ones."), html! {
            a.btn href="/ui/bulk/export.csv" download { "Export current extensions" }
        }))
        div.grid2 {
            section.card aria-labelledby="how-h" {
                h2 #how-h { "How it works" }
                ol.steps {
                    li { div {
                        strong { "Download the sample file" }
                        p.hint { "It has the columns and two example rows that fit your organization." }
                        p { a.btn #sample-link href="/ui/bulk/sample.csv" download { "Download sample (.csv)" } }
                    } }
                    li { div {
                        strong { "Fill in one row per new extension" }
                        p.hint {
                            code { "Ext key" } " (3–5 digits), "
                            code { "Number" } " (optional DID, needs a " code { "license_number" } " add-on in the same row), "
                            code { "User" } " (optional member email), and any number of "
                            code { "Addon license" } " columns, one code per cell."
                        }
                    } }
                    li { div {
                        strong { "Upload it and check the plan" }
                        p.hint { "Nothing changes until you apply a plan without errors." }
                    } }
                }
            }
            section.card aria-labelledby="upload-h" {
                h2 #upload-h { "Upload a file" }
                @if let Some(e) = error { (layout::error_box(e)) }
                (upload_form(v, "Bulk file"))
            }
        }
        section.card aria-labelledby="codes-h" {
            h2 #codes-h { "Add-on codes" }
            (codes_table())
        }
    };
    layout::page(v, Nav::Bulk, "Bulk Assignment", body)
}

pub async fn page(Admin(v): Admin) -> Response {
    Html(bulk_page(&v, None).into_string()).into_response()
}

fn csv_file(name: &str, body: String) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn sample(State(s): State<UiState>, Admin(v): Admin) -> Result<Response, UiError> {
    let body = s.app.bulk_sample(&v.ctx, &v.org).await?;
    Ok(csv_file("seatline-bulk-sample.csv", body))
}

pub async fn export(State(s): State<UiState>, Admin(v): Admin) -> Result<Response, UiError> {
    let body = s.app.export_csv(&v.ctx, &v.org).await?;
    Ok(csv_file("seatline-extensions.csv", body))
}

/// Read the upload form: its CSRF token must match before the file is looked at.
async fn read_upload(
    v: &Viewer,
    mut mp: Multipart,
) -> Result<axum::body::Bytes, Result<Error, UiError>> {
    let malformed = |why: String| Ok(Error::new(ErrorCode::Malformed, why));
    let mut token_ok = false;
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(malformed(format!(
                    "the upload was cut short ({e}); try again"
                )))
            }
        };
        match field.name() {
            Some("csrf") => {
                let t = field.text().await.unwrap_or_default();
                token_ok = session::same(&t, &v.csrf);
            }
            Some("file") if token_ok => match field.bytes().await {
                // Kept as received (no copy): the reader takes it to its own thread.
                Ok(b) => file = Some(b),
                Err(e) => {
                    return Err(malformed(format!(
                        "the upload was cut short ({e}); try again"
                    )))
                }
            },
            _ => {}
        }
    }
    if !token_ok {
        return Err(Err(UiError::Csrf));
    }
    match file {
        Some(f) if !f.is_empty() => Ok(f),
        _ => Err(malformed("choose a CSV or XLSX file to upload".to_owned())),
    }
}

pub async fn upload(
    State(s): State<UiState>,
    Admin(v): Admin,
    mp: Multipart,
) -> Result<Response, UiError> {
    let result = match read_upload(&v, mp).await {
        Ok(bytes) => s.app.bulk_plan(&v.ctx, &v.org, bytes).await,
        Err(Ok(e)) => Err(e.into()),
        Err(Err(ui)) => return Err(ui),
    };
    match result {
        Ok(plan) => Ok(Redirect::to(&format!("/ui/bulk/plans/{}", plan.id)).into_response()),
        Err(e) => {
            let e = rule_error(e)?;
            Ok((
                status_of(e.code),
                Html(bulk_page(&v, Some(&e)).into_string()),
            )
                .into_response())
        }
    }
}

fn status_badge(p: &PlanView) -> Markup {
    match p.status {
        PlanStatus::Ready => layout::badge("b-green", "Ready to apply"),
        PlanStatus::Invalid => layout::badge("b-red", "Has errors"),
        PlanStatus::Applied => layout::badge("b-blue", "Applied"),
    }
}

fn error_line(e: &RowError) -> Markup {
    html! {
        li {
            span.err-col { (e.column) }
            @if !e.value.is_empty() { " " code { (e.value) } }
            ": " (e.message)
        }
    }
}

fn render_plan(
    v: &Viewer,
    p: &PlanView,
    emails: &HashMap<String, String>,
    error: Option<&Error>,
) -> Markup {
    let mut by_row: HashMap<usize, Vec<&RowError>> = HashMap::new();
    let mut file_errors = Vec::new();
    for e in &p.errors {
        match e.row {
            Some(r) => by_row.entry(r).or_default().push(e),
            None => file_errors.push(e),
        }
    }
    let bad_rows = by_row.len();
    let bad: Vec<_> = p
        .items
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .take(SHOW_ERROR_ROWS)
        .collect();
    let good: Vec<_> = p
        .items
        .iter()
        .filter(|r| r.outcome == Outcome::Create)
        .take(SHOW_OK_ROWS)
        .collect();
    let creates = p
        .items
        .iter()
        .filter(|r| r.outcome == Outcome::Create)
        .count();
    let title = match p.status {
        PlanStatus::Applied => "Bulk plan applied".to_owned(),
        _ => format!("Bulk plan: {} row(s)", p.rows),
    };
    let body = html! {
        (layout::title_bar(&title, Some(&format!("Uploaded {}", p.created_at.replace('T', " ").trim_end_matches('Z'))), html! {
            a.btn href="/ui/bulk" { "Back to Bulk Assignment" }
        }))
        @if let Some(e) = error { (layout::error_box(e)) }
        section.card #plan-summary {
            div.card-head { h2 { "Summary" } (status_badge(p)) }
            div.stat-row {
                div.stat { strong { (count(p.rows as u64)) } span.muted { "rows in the file" } }
                div.stat { strong { (count(creates as u64)) } span.muted {
                    @if p.status == PlanStatus::Applied { "extensions created" } @else { "extensions to create" } } }
                @if p.status != PlanStatus::Applied {
                    div.stat { strong { (count(p.errors.len() as u64)) } span.muted { "problems in " (bad_rows) " row(s)" } }
                }
            }
            @match p.status {
                PlanStatus::Ready => {
                    p { "Every row checks out. Applying creates all " (creates) " extension(s) in one step, or none if the organization changed meanwhile." }
                }
                PlanStatus::Invalid => {
                    div.alert role="alert" #plan-invalid {
                        "This plan cannot be applied: " (p.errors.len()) " problem(s) need fixing. Correct them in your file and upload it again."
                    }
                }
                PlanStatus::Applied => {
                    div.flash.ok role="status" #plan-applied {
                        "Created " (creates) " extension(s). "
                        a href="/ui/licenses" { "See them on Licenses" }
                    }
                }
            }
            @if p.status != PlanStatus::Applied {
                form method="post" action={ "/ui/bulk/plans/" (p.id) "/apply" } {
                    (csrf(v))
                    div.form-actions {
                        button.btn.btn-primary #apply-submit type="submit" disabled[!p.can_apply] aria-describedby="apply-hint" { "Apply plan" }
                        span.hint #apply-hint {
                            @if p.can_apply { "Creates the extensions listed below." }
                            @else { "Apply is available once the plan has no errors." }
                        }
                    }
                }
            }
            @if p.status == PlanStatus::Invalid {
                div.reupload { (upload_form(v, "Upload the corrected file")) }
            }
        }
        @if !p.seats.is_empty() {
            section.card #plan-seats {
                h2 { "Seat changes" }
                div.table-wrap {
                    table.data {
                        thead { tr {
                            th scope="col" { "License" }
                            th.num scope="col" { "Needed" }
                            th.num scope="col" { "Available" }
                            th scope="col" { span.sr-only { "Enough?" } }
                        } }
                        tbody {
                            @for n in &p.seats {
                                tr {
                                    th scope="row" { (n.code.name()) " " code.small { (n.code) } }
                                    td.num { (count(n.needed)) }
                                    td.num { (count(n.available)) }
                                    td {
                                        @if p.status == PlanStatus::Applied { (layout::badge("b-blue", "Used")) }
                                        @else if n.needed <= n.available { (layout::badge("b-green", "Enough")) }
                                        @else { (layout::badge("b-red", &format!("{} short", n.needed - n.available))) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !file_errors.is_empty() {
            section.card #file-errors {
                h2 { "Problems with the whole file" }
                ul.errors { @for e in &file_errors { (error_line(e)) } }
            }
        }
        section.card #plan-rows {
            h2 { "Rows" }
            div.table-wrap {
                table.data #plan-table {
                    thead { tr {
                        th.num scope="col" { "Row" }
                        th scope="col" { "Ext key" }
                        th scope="col" { "Number" }
                        th scope="col" { "User" }
                        th scope="col" { "Add-ons" }
                        th scope="col" { "Result" }
                    } }
                    tbody {
                        @for r in bad.iter().chain(good.iter()) {
                            @let errs = by_row.get(&r.row);
                            tr class=[errs.map(|_| "row-bad")] data-row=(r.row) {
                                td.num { (r.row) }
                                td.mono { @match r.key {
                                    Some(k) if p.status == PlanStatus::Applied => a.key href={ "/ui/extensions/" (k) } { (k) },
                                    Some(k) => (k),
                                    None => span.muted { "–" },
                                } }
                                td { @for n in &r.numbers { div.mono { (n) } } }
                                td { @match &r.member {
                                    Some(m) => (emails.get(m.as_str()).map_or(m.as_str(), String::as_str)),
                                    None => span.muted { "Unassigned" },
                                } }
                                td { (addon_chips(&r.addons)) }
                                td {
                                    @match errs {
                                        Some(list) => { ul.errors { @for e in list { (error_line(e)) } } }
                                        None => {
                                            @if p.status == PlanStatus::Applied { (layout::badge("b-blue", "Created")) }
                                            @else { (layout::badge("b-green", "Will be created")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @let hidden = p.items.len() - bad.len() - good.len();
            @if hidden > 0 { p.hint { "And " (count(hidden as u64)) " more row(s) not shown." } }
        }
    };
    layout::page(v, Nav::Bulk, &title, body)
}

async fn emails(s: &UiState, v: &Viewer) -> Result<HashMap<String, String>, UiError> {
    Ok(all_members(s, v)
        .await?
        .into_iter()
        .map(|m| (m.id, m.email))
        .collect())
}

pub async fn plan(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let p = s.app.bulk_get_plan(&v.ctx, &v.org, &id).await?;
    let names = emails(&s, &v).await?;
    Ok(Html(render_plan(&v, &p, &names, None).into_string()).into_response())
}

pub async fn apply(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    match s.app.bulk_apply(&v.ctx, &v.org, &id).await {
        Ok(plan) => {
            let created = plan
                .items
                .iter()
                .filter(|r| r.outcome == Outcome::Create)
                .count();
            Ok(done(
                &s,
                &format!("/ui/bulk/plans/{id}"),
                format!("Applied the plan: {created} extension(s) created."),
            ))
        }
        Err(e) => {
            let e = rule_error(e)?;
            let plan = s.app.bulk_get_plan(&v.ctx, &v.org, &id).await?;
            let names = emails(&s, v).await?;
            Ok((
                status_of(e.code),
                Html(render_plan(v, &plan, &names, Some(&e)).into_string()),
            )
                .into_response())
        }
    }
}

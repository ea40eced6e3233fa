//! Bulk Assignment: download the sample, upload a CSV or XLSX file, review the plan (rows
//! with errors highlighted, each error in words with its column, seat changes per code),
//! apply a ready plan, see the result; and export the current extensions.

use std::collections::{HashMap, HashSet};

use axum::extract::{Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use seatline_app::bulk::{BulkFile, PlanOptions, PlanView};
use seatline_domain::plans::{Outcome, PlanStatus, RowError, RowPlan, SeatChange};
use seatline_domain::{Code, Error, ErrorCode};

use crate::auth::{done, Admin, Post, Viewer};
use crate::csv;
use crate::error::{rule_error, status_of, UiError};
use crate::layout::{self, addon_chips, count, csrf, plural, Nav};
use crate::session;
use crate::widgets::all_members;
use crate::UiState;

/// The bulk pages' routes.
pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/ui/bulk", get(page))
        .route("/ui/bulk/sample.csv", get(sample))
        .route("/ui/bulk/export.csv", get(export))
        .route("/ui/bulk/export.xlsx", get(export_xlsx))
        .route("/ui/bulk/plans", post(upload))
        .route("/ui/bulk/plans/{id}", get(plan))
        .route("/ui/bulk/plans/{id}/apply", post(apply))
        .route("/ui/bulk/plans/{id}/errors.csv", get(errors_csv))
}

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
            a.btn href="/ui/bulk/export.csv" download { "Export (.csv)" }
            a.btn href="/ui/bulk/export.xlsx" download { "Export (.xlsx)" }
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

/// The same export as an Excel workbook whose Number cells are text, so that a round trip
/// through Excel keeps `+6561230001` as it is.
pub async fn export_xlsx(State(s): State<UiState>, Admin(v): Admin) -> Result<Response, UiError> {
    let body = s.app.export_xlsx(&v.ctx, &v.org).await?;
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"seatline-extensions.xlsx\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// Read the upload form, answering the file's name and bytes: its CSRF token must match
/// before the file is looked at.
async fn read_upload(
    v: &Viewer,
    mut mp: Multipart,
) -> Result<(String, axum::body::Bytes), Result<Error, UiError>> {
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
            Some("file") if token_ok => {
                let name = field.file_name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    // Kept as received (no copy): the reader takes it to its own thread.
                    Ok(b) => file = Some((name, b)),
                    Err(e) => {
                        return Err(malformed(format!(
                            "the upload was cut short ({e}); try again"
                        )))
                    }
                }
            }
            _ => {}
        }
    }
    if !token_ok {
        return Err(Err(UiError::Csrf));
    }
    match file {
        Some((name, f)) if !f.is_empty() => Ok((name, f)),
        _ => Err(malformed("choose a CSV or XLSX file to upload".to_owned())),
    }
}

pub async fn upload(
    State(s): State<UiState>,
    Admin(v): Admin,
    mp: Multipart,
) -> Result<Response, UiError> {
    let result = match read_upload(&v, mp).await {
        Ok((name, bytes)) => {
            s.app
                .bulk_plan(
                    &v.ctx,
                    &v.org,
                    BulkFile::bytes(bytes),
                    PlanOptions::default().named(&name),
                )
                .await
        }
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

/// Why a plan page is shown: as stored, or after apply found the organization changed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    AsStored,
    /// Apply refused the plan as stale: its errors are the new ones, and it cannot be
    /// applied again as it is.
    Stale,
}

/// What the User column of a row said: the member's email, or, for a User the plan could
/// not match, the value as typed in the file.
fn user_cell(
    r: &RowPlan,
    errs: Option<&Vec<&RowError>>,
    emails: &HashMap<String, String>,
) -> Markup {
    let typed = errs
        .into_iter()
        .flatten()
        .find(|e| e.column == "User" && !e.value.is_empty());
    html! {
        @match (&r.member, typed) {
            (Some(m), _) => (emails.get(m.as_str()).map_or(m.as_str(), String::as_str)),
            (None, Some(e)) => span.typed title="As typed in the file" { (e.value) },
            (None, None) => span.muted { "Unassigned" },
        }
    }
}

fn render_plan(
    v: &Viewer,
    p: &PlanView,
    emails: &HashMap<String, String>,
    error: Option<&Error>,
    shown: Shown,
) -> Markup {
    let rows_in_plan: HashSet<usize> = p.items.iter().map(|r| r.row).collect();
    let mut by_row: HashMap<usize, Vec<&RowError>> = HashMap::new();
    // Errors no row of the table shows: the whole file's (seats), the header's (row 1).
    let mut file_errors = Vec::new();
    for e in &p.errors {
        match e.row {
            Some(r) if rows_in_plan.contains(&r) => by_row.entry(r).or_default().push(e),
            _ => file_errors.push(e),
        }
    }
    // Warnings never block: shown beside their row, or above the rows when no row has them.
    let mut warned: HashMap<usize, Vec<&RowError>> = HashMap::new();
    let mut file_warnings = Vec::new();
    for w in &p.warnings {
        match w.row {
            Some(r) if rows_in_plan.contains(&r) => warned.entry(r).or_default().push(w),
            _ => file_warnings.push(w),
        }
    }
    let bad_rows = by_row.len();
    // Rows in file order: every row with an error (up to a bound) and the first good ones.
    let (mut bad_shown, mut good_shown) = (0, 0);
    let shown_rows: Vec<&RowPlan> = p
        .items
        .iter()
        .filter(|r| {
            if by_row.contains_key(&r.row)
                || warned.contains_key(&r.row)
                || r.outcome == Outcome::Error
            {
                bad_shown += 1;
                bad_shown <= SHOW_ERROR_ROWS
            } else {
                good_shown += 1;
                good_shown <= SHOW_OK_ROWS
            }
        })
        .collect();
    let creates = p
        .items
        .iter()
        .filter(|r| r.outcome == Outcome::Create)
        .count();
    let problems = plural(
        p.error_count.max(p.errors.len()) as u64,
        "problem",
        "problems",
    );
    let title = match p.status {
        PlanStatus::Applied => "Bulk plan applied".to_owned(),
        _ => format!("Bulk plan: {}", plural(p.rows as u64, "row", "rows")),
    };
    let can_apply = p.can_apply && shown == Shown::AsStored;
    let body = html! {
        (layout::title_bar(&title, None, html! {
            @if !p.errors.is_empty() {
                a.btn href={ "/ui/bulk/plans/" (p.id) "/errors.csv" } download #errors-csv { "Download errors (.csv)" }
            }
            a.btn href="/ui/bulk" { "Back to Bulk Assignment" }
        }))
        p.sub #plan-source {
            @if let Some(f) = &p.file_name { strong.mono { (f) } " · " }
            "Uploaded " (layout::when(&p.created_at))
        }
        @if let Some(e) = error { (layout::error_box(e)) }
        section.card #plan-summary {
            div.card-head {
                h2 { "Summary" }
                @if shown == Shown::Stale { (layout::badge("b-red", "Out of date")) } @else { (status_badge(p)) }
            }
            div.stat-row {
                div.stat { strong { (count(p.rows as u64)) } span.muted { @if p.rows == 1 { "row in the file" } @else { "rows in the file" } } }
                div.stat { strong { (count(creates as u64)) } span.muted {
                    @match (p.status == PlanStatus::Applied, creates == 1) {
                        (true, true) => "extension created",
                        (true, false) => "extensions created",
                        (false, true) => "extension to create",
                        (false, false) => "extensions to create",
                    } } }
                @if p.status != PlanStatus::Applied {
                    div.stat { strong { (count(p.error_count.max(p.errors.len()) as u64)) } span.muted {
                        @if p.error_count.max(p.errors.len()) == 1 { "problem" } @else { "problems" }
                        @if bad_rows > 0 { " in " (plural(bad_rows as u64, "row", "rows")) } } }
                }
            }
            @match (p.status, shown) {
                (_, Shown::Stale) => {
                    div.alert role="alert" #plan-stale {
                        "The organization changed since this plan was made: " (problems)
                        " now stand in the way, listed below. Nothing was applied. Correct your file and upload it again."
                    }
                }
                (PlanStatus::Ready, _) => {
                    p { "Every row checks out. Applying creates "
                        @if creates == 1 { "the extension" } @else { "all " (count(creates as u64)) " extensions" }
                        " in one step, or none if the organization changed meanwhile." }
                }
                (PlanStatus::Invalid, _) => {
                    div.alert role="alert" #plan-invalid {
                        "This plan cannot be applied: " (problems) " to fix. Correct them in your file and upload it again."
                    }
                }
                (PlanStatus::Applied, _) => {
                    div.flash.ok role="status" #plan-applied {
                        "Created " (plural(creates as u64, "extension", "extensions")) ". "
                        a href="/ui/licenses" { "See them on Licenses" }
                    }
                }
            }
            @if p.status != PlanStatus::Applied && shown == Shown::AsStored {
                form method="post" action={ "/ui/bulk/plans/" (p.id) "/apply" } {
                    (csrf(v))
                    div.form-actions {
                        button.btn.btn-primary #apply-submit type="submit" disabled[!can_apply] aria-describedby="apply-hint" { "Apply plan" }
                        span.hint #apply-hint {
                            @if can_apply { "Creates the extensions listed below." }
                            @else { "Apply is available once the plan has no errors." }
                        }
                    }
                }
            }
            @if p.status == PlanStatus::Invalid || shown == Shown::Stale {
                div.reupload { (upload_form(v, "Upload the corrected file")) }
            }
        }
        @if !file_errors.is_empty() {
            section.card #file-errors {
                h2 { "Problems with the file" }
                ul.errors { @for e in &file_errors {
                    li {
                        @match e.row { Some(1) => { strong { "Header (row 1)" } " · " } Some(r) => { strong { "Row " (r) } " · " } None => {} }
                        span.err-col { (e.column) }
                        @if !e.value.is_empty() { " " code { (e.value) } }
                        ": " (e.message)
                    }
                } }
            }
        }
        @if !p.warnings.is_empty() {
            section.card #plan-warnings {
                h2 { (plural(p.warnings.len() as u64, "warning", "warnings")) }
                p.hint { "Warnings do not stop the plan: read them, then apply if that is what you want." }
                @if !file_warnings.is_empty() {
                    ul.warnings { @for w in &file_warnings { (error_line(w)) } }
                }
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
                            @for n in p.seats.iter().filter_map(|s| match s { SeatChange::Needed(n) => Some(n), SeatChange::Freed(_) | SeatChange::Moved(_) => None }) {
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
        section.card #plan-rows {
            h2 { "Rows" }
            p.hint { "In file order; rows with a problem are highlighted." }
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
                        @for r in &shown_rows {
                            @let errs = by_row.get(&r.row);
                            tr class=[errs.map(|_| "row-bad").or(warned.get(&r.row).map(|_| "row-warn"))] data-row=(r.row) {
                                td.num { (r.row) }
                                td.mono { @match r.key {
                                    Some(k) if p.status == PlanStatus::Applied => a.key href={ "/ui/extensions/" (k) } { (k) },
                                    Some(k) => (k),
                                    None => span.muted { "–" },
                                } }
                                td { @for n in &r.numbers { div.mono { (n) } } }
                                td { (user_cell(r, errs, emails)) }
                                td { (addon_chips(&r.addons)) }
                                td {
                                    @if let Some(list) = warned.get(&r.row) {
                                        ul.warnings { @for w in list { (error_line(w)) } }
                                    }
                                    @match errs {
                                        Some(list) => { ul.errors { @for e in list { (error_line(e)) } } }
                                        None => {
                                            @if p.status == PlanStatus::Applied { (layout::badge("b-blue", "Created")) }
                                            @else if shown == Shown::Stale { (layout::badge("b-gray", "Not applied")) }
                                            @else { (layout::badge("b-green", "Will be created")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @let hidden = p.items.len() - shown_rows.len();
            @if hidden > 0 { p.hint { "And " (plural(hidden as u64, "more row", "more rows")) " not shown." } }
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
    if p.cleanup.is_some() {
        let page = crate::usage::render_cleanup_plan(&v, &p, &names, None, false);
        return Ok(Html(page.into_string()).into_response());
    }
    Ok(Html(render_plan(&v, &p, &names, None, Shown::AsStored).into_string()).into_response())
}

pub async fn apply(
    State(s): State<UiState>,
    Path(id): Path<String>,
    p: Post<Admin>,
) -> Result<Response, UiError> {
    let v = &p.user.0;
    match s
        .app
        .bulk_apply(&v.ctx, &v.org, &id, Default::default())
        .await
    {
        Ok(plan) if plan.cleanup.is_some() => {
            let freed: u64 = plan
                .seats
                .iter()
                .map(|s| match s {
                    SeatChange::Freed(f) => f.freed,
                    SeatChange::Needed(_) | SeatChange::Moved(_) => 0,
                })
                .sum();
            Ok(done(
                &s,
                &format!("/ui/bulk/plans/{id}"),
                format!(
                    "Applied the cleanup plan: {} freed.",
                    plural(freed, "seat", "seats")
                ),
            ))
        }
        Ok(plan) => {
            let created = plan
                .items
                .iter()
                .filter(|r| r.outcome == Outcome::Create)
                .count();
            Ok(done(
                &s,
                &format!("/ui/bulk/plans/{id}"),
                format!(
                    "Applied the plan: {} created.",
                    plural(created as u64, "extension", "extensions")
                ),
            ))
        }
        Err(e) => {
            let e = rule_error(e)?;
            let mut plan = s.app.bulk_get_plan(&v.ctx, &v.org, &id).await?;
            let names = emails(&s, v).await?;
            // A stale plan is shown with the problems that stand in the way now.
            let shown = match stale_errors(&e) {
                Some(errors) => {
                    plan.errors = errors;
                    plan.can_apply = false;
                    Shown::Stale
                }
                None => Shown::AsStored,
            };
            if plan.cleanup.is_some() {
                let page = crate::usage::render_cleanup_plan(
                    v,
                    &plan,
                    &names,
                    Some(&e),
                    shown == Shown::Stale,
                );
                return Ok((status_of(e.code), Html(page.into_string())).into_response());
            }
            Ok((
                status_of(e.code),
                Html(render_plan(v, &plan, &names, Some(&e), shown).into_string()),
            )
                .into_response())
        }
    }
}

/// The row errors a `plan_stale` refusal carries.
fn stale_errors(e: &Error) -> Option<Vec<RowError>> {
    if e.code != ErrorCode::PlanStale {
        return None;
    }
    serde_json::from_value(e.details.get("errors")?.clone()).ok()
}

/// A plan's errors as CSV, in file order, to fix the file beside them.
pub async fn errors_csv(
    State(s): State<UiState>,
    Admin(v): Admin,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let p = s.app.bulk_get_plan(&v.ctx, &v.org, &id).await?;
    let mut out = csv::line(["row", "column", "value", "code", "message"]);
    for e in &p.errors {
        let row = e.row.map_or(String::new(), |r| r.to_string());
        out.push_str(&csv::line([
            row.as_str(),
            &e.column,
            &e.value,
            e.code.as_str(),
            &e.message,
        ]));
    }
    Ok(csv_file(&format!("seatline-plan-{id}-errors.csv"), out))
}

//! `seatline bulk`: the sample file, planning a CSV or XLSX file with a readable error table,
//! applying a plan, and the export. A spinner shows on a terminal while a large file is read,
//! planned or applied; nothing is drawn when stderr is not a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use seatline_app::bulk::{read_sheet, PlanView};
use seatline_app::{App, AppError, AppResult};
use seatline_domain::bulk::{PlanStatus, RowError};
use seatline_domain::{Error, ErrorCode};

use crate::admin::{ctx, OrgArg};
use crate::output::{fail, print_json, table, EXIT_REFUSED};

#[derive(Subcommand)]
pub enum BulkCmd {
    /// Print a sample file for the organization: the header and two rows that would pass.
    Sample(OrgArg),
    /// Plan a CSV or XLSX file: every problem, grouped by row; exits 1 when the plan is invalid.
    Plan(PlanArgs),
    /// Apply a ready plan: every row in one transaction, or nothing.
    Apply(ApplyArgs),
    /// Print the organization's extensions as a bulk file (re-imports unchanged).
    Export(OrgArg),
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The CSV or XLSX file.
    file: PathBuf,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The plan id printed by `seatline bulk plan`.
    plan: String,
}

/// A spinner on a terminal, hidden otherwise.
fn spinner(message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn secs(since: Instant) -> String {
    format!("{:.2} s", since.elapsed().as_secs_f64())
}

/// Errors or warnings as a table, grouped by row: the row number shows once per group,
/// problems of the whole file (seats) first.
fn problem_table(problems: &[RowError]) -> String {
    let mut errors: Vec<_> = problems.iter().collect();
    errors.sort_by_key(|e| e.row);
    let mut last = None;
    let rows = errors
        .into_iter()
        .map(|e| {
            let row = if last == Some(e.row) {
                String::new()
            } else {
                e.row.map_or("file".to_owned(), |r| r.to_string())
            };
            last = Some(e.row);
            vec![
                row,
                e.column.clone(),
                e.value.clone(),
                e.code.as_str().to_owned(),
                e.message.clone(),
            ]
        })
        .collect();
    table(&["row", "column", "value", "code", "message"], rows)
}

fn seat_table(view: &PlanView) -> String {
    let rows = view
        .seats
        .iter()
        .map(|s| {
            vec![
                s.code.as_str().to_owned(),
                s.needed.to_string(),
                s.available.to_string(),
            ]
        })
        .collect();
    table(&["code", "needed", "available"], rows)
}

pub async fn run(app: &App, cmd: BulkCmd, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(code) => code,
        Err(e) => fail(e, json),
    }
}

async fn exec(app: &App, cmd: BulkCmd, json: bool) -> AppResult<ExitCode> {
    match cmd {
        BulkCmd::Sample(o) => {
            let (c, org) = ctx(app, &o, false).await?;
            print!("{}", app.bulk_sample(&c, &org).await?);
        }
        BulkCmd::Export(o) => {
            let (c, org) = ctx(app, &o, false).await?;
            print!("{}", app.export_csv(&c, &org).await?);
        }
        BulkCmd::Plan(p) => {
            let (c, org) = ctx(app, &p.org, false).await?;
            let bar = spinner("reading");
            let start = Instant::now();
            let bytes = std::fs::read(&p.file).map_err(|e| {
                AppError::from(Error::new(
                    ErrorCode::FileUnreadable,
                    format!("cannot read {}: {e}", p.file.display()),
                ))
            })?;
            let sheet = read_sheet(&bytes)?;
            drop(bytes);
            let rows = sheet.rows.len();
            let read = secs(start);
            bar.set_message("planning");
            let start = Instant::now();
            let view = app.bulk_plan_sheet(&c, &org, sheet).await?;
            bar.finish_and_clear();
            eprintln!(
                "read {rows} rows in {read}; planned and stored in {}",
                secs(start)
            );
            if json {
                print_json(&view);
            } else {
                println!(
                    "plan {}: {} ({} rows, {} errors, {} warnings)",
                    view.id,
                    view.status.as_str(),
                    view.rows,
                    view.errors.len(),
                    view.warnings.len()
                );
                println!("{}", seat_table(&view));
                if !view.warnings.is_empty() {
                    println!("warnings (the plan can still be applied):");
                    println!("{}", problem_table(&view.warnings));
                }
                if view.errors.is_empty() {
                    println!("apply it with: seatline bulk apply --org {org} {}", view.id);
                } else {
                    println!("{}", problem_table(&view.errors));
                }
            }
            if view.status == PlanStatus::Invalid {
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
        }
        BulkCmd::Apply(a) => {
            let (c, org) = ctx(app, &a.org, false).await?;
            let bar = spinner("applying");
            let start = Instant::now();
            let view = app.bulk_apply(&c, &org, &a.plan).await;
            bar.finish_and_clear();
            let view = view?;
            eprintln!("applied {} rows in {}", view.rows, secs(start));
            if json {
                print_json(&view);
            } else {
                println!(
                    "plan {}: {}, {} extensions",
                    view.id,
                    view.status.as_str(),
                    view.rows
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `seatline bulk`: the sample file, planning a CSV or XLSX file with a readable error table,
//! applying a plan (a stale one shows the same table), and the export as CSV or XLSX. On a
//! terminal a progress bar follows planning and applying (`progress.rs`); when stderr is not
//! a terminal nothing is drawn and nothing extra is printed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use seatline_app::bulk::{ApplyOptions, BulkFile, PlanOptions, PlanView};
use seatline_app::{App, AppError, AppResult};
use seatline_domain::plans::{PlanStatus, RowError, SeatChange};
use seatline_domain::words::plural;
use seatline_domain::{Error, ErrorCode};

use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table, EXIT_IO, EXIT_REFUSED};
use crate::progress::Bar;

#[derive(Subcommand)]
pub enum BulkCmd {
    /// Print a sample file for the organization: the header and two rows that would pass.
    Sample(OrgArg),
    /// Plan a CSV or XLSX file: every problem, grouped by row; exits 1 when the plan is invalid.
    Plan(PlanArgs),
    /// Apply a ready plan: every row in one transaction, or nothing.
    Apply(ApplyArgs),
    /// Print the organization's extensions as a bulk CSV file (re-imports unchanged), or
    /// write them as an XLSX workbook with `--xlsx FILE`.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    org: OrgArg,
    /// Write an XLSX workbook (every cell text, so Excel keeps the numbers) to this file
    /// instead of printing CSV.
    #[arg(long, value_name = "FILE")]
    xlsx: Option<PathBuf>,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The CSV or XLSX file.
    file: PathBuf,
    /// Print only the plan's id on stdout (its problems go to stderr), for
    /// `seatline bulk apply "$(seatline bulk plan FILE --id-only)"`.
    #[arg(long)]
    id_only: bool,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The plan id printed by `seatline bulk plan`.
    plan: String,
}

/// A spinner on a terminal while a file is read, hidden otherwise.
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

/// "plan plan_…: ready (1 row, 0 errors, 1 warning)".
fn plan_summary(view: &PlanView) -> String {
    format!(
        "plan {}: {} ({}, {}, {})",
        view.id,
        view.status.as_str(),
        plural(view.rows as u64, "row", "rows"),
        plural(view.error_count as u64, "error", "errors"),
        plural(view.warning_count as u64, "warning", "warnings")
    )
}

fn secs(since: Instant) -> String {
    format!("{:.2} s", since.elapsed().as_secs_f64())
}

/// Errors or warnings as a table, grouped by row: the row number shows once per group,
/// problems of the whole file (seats) first.
pub(crate) fn problem_table(problems: &[RowError]) -> String {
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

/// A bulk plan's seats needed and available per code, or a cleanup plan's seats freed.
pub(crate) fn seat_table(view: &PlanView) -> String {
    if view.cleanup.is_some() {
        let rows = view
            .seats
            .iter()
            .filter_map(|s| match s {
                SeatChange::Freed(f) => Some(vec![f.code.as_str().to_owned(), f.freed.to_string()]),
                SeatChange::Needed(_) | SeatChange::Moved(_) => None,
            })
            .collect();
        return table(&["code", "freed"], rows);
    }
    if view.template.is_some() {
        let rows = view
            .seats
            .iter()
            .filter_map(|s| match s {
                SeatChange::Moved(m) => Some(vec![
                    m.code.as_str().to_owned(),
                    m.needed.to_string(),
                    m.freed.to_string(),
                    m.available.to_string(),
                ]),
                SeatChange::Needed(_) | SeatChange::Freed(_) => None,
            })
            .collect();
        return table(&["code", "needed", "freed", "available"], rows);
    }
    let rows = view
        .seats
        .iter()
        .filter_map(|s| match s {
            SeatChange::Needed(s) => Some(vec![
                s.code.as_str().to_owned(),
                s.needed.to_string(),
                s.available.to_string(),
            ]),
            SeatChange::Freed(_) | SeatChange::Moved(_) => None,
        })
        .collect();
    table(&["code", "needed", "available"], rows)
}

/// A stale plan: the message on stderr, and the problems that now stand in the way as the
/// same table `bulk plan` prints. Exits 1, like every refusal.
pub(crate) fn stale(e: &Error) -> ExitCode {
    eprintln!("error [{}]: {}", e.code.as_str(), e.message);
    let problems: Vec<RowError> = e
        .details
        .get("errors")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    println!("{}", problem_table(&problems));
    ExitCode::from(EXIT_REFUSED)
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
        BulkCmd::Export(e) => {
            let (c, org) = ctx(app, &e.org, false).await?;
            match e.xlsx {
                None => print!("{}", app.export_csv(&c, &org).await?),
                Some(path) => {
                    let bytes = app.export_xlsx(&c, &org).await?;
                    if let Err(err) = std::fs::write(&path, bytes) {
                        eprintln!("error: cannot write {}: {err}", path.display());
                        return Ok(ExitCode::from(EXIT_IO));
                    }
                }
            }
        }
        BulkCmd::Plan(p) => {
            let (c, org) = ctx(app, &p.org, false).await?;
            let reading = spinner("reading");
            let start = Instant::now();
            let bytes = std::fs::read(&p.file).map_err(|e| {
                AppError::from(Error::new(
                    ErrorCode::FileUnreadable,
                    format!("cannot read {}: {e}", p.file.display()),
                ))
            })?;
            // Read on a blocking thread, as the server does: a reader panic is an error
            // message, not a crash. The turn is held while the sheet is planned.
            let sheet = app.read_upload(bytes).await;
            reading.finish_and_clear();
            let (sheet, _turn) = sheet?;
            let rows = sheet.rows.len();
            let read = secs(start);
            let bar = Bar::new();
            let start = Instant::now();
            let view = app
                .bulk_plan(
                    &c,
                    &org,
                    BulkFile::Sheet(sheet),
                    PlanOptions::default()
                        .reporting(&|step, done, total| bar.report(step, done, total)),
                )
                .await;
            bar.clear();
            let view = view?;
            if bar.timings() {
                eprintln!(
                    "read {} in {read}; planned and stored in {}",
                    plural(rows as u64, "row", "rows"),
                    secs(start)
                );
            }
            if p.id_only {
                println!("{}", view.id);
                for problems in [&view.warnings, &view.errors] {
                    if !problems.is_empty() {
                        eprintln!("{}", problem_table(problems));
                    }
                }
            } else if json {
                print_json(&view);
            } else {
                println!("{}", plan_summary(&view));
                println!("{}", seat_table(&view));
                if !view.warnings.is_empty() {
                    println!("warnings (the plan can still be applied):");
                    println!("{}", problem_table(&view.warnings));
                }
                if view.errors.is_empty() {
                    println!("apply it with: seatline bulk apply --org {org} {}", view.id);
                } else {
                    println!("{}", problem_table(&view.errors));
                    if view.error_count > view.errors.len() {
                        println!(
                            "… and {}; fix these and plan the file again",
                            plural(
                                (view.error_count - view.errors.len()) as u64,
                                "more error",
                                "more errors"
                            )
                        );
                    }
                }
            }
            if view.status == PlanStatus::Invalid {
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
        }
        BulkCmd::Apply(a) => {
            let (c, org) = ctx(app, &a.org, false).await?;
            let bar = Bar::new();
            let start = Instant::now();
            let view = app
                .bulk_apply(
                    &c,
                    &org,
                    &a.plan,
                    ApplyOptions::default()
                        .reporting(&|step, done, total| bar.report(step, done, total)),
                )
                .await;
            bar.clear();
            let view = match view {
                Ok(view) => view,
                Err(AppError::Rule(e)) if e.code == ErrorCode::PlanStale && !json => {
                    return Ok(stale(&e));
                }
                Err(e) => return Err(e),
            };
            if bar.timings() {
                eprintln!(
                    "applied {} in {}",
                    plural(view.rows as u64, "row", "rows"),
                    secs(start)
                );
            }
            if json {
                print_json(&view);
            } else {
                println!(
                    "plan {}: {}, {}",
                    view.id,
                    view.status.as_str(),
                    plural(view.rows as u64, "extension", "extensions")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `seatline report usage|findings` (product.md §11) and `seatline cleanup plan|apply`: a
//! cleanup plan is a bulk plan, so `cleanup apply` is `bulk apply` with the same stale table.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use seatline_app::{App, AppError, AppResult};
use seatline_domain::plans::RowPlan;
use seatline_domain::words::plural;
use seatline_domain::ErrorCode;

use crate::bulk::{problem_table, seat_table, stale};
use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum ReportCmd {
    /// Per code: purchased, in use, assigned, effective, productive, idle, monthly cost and
    /// waste.
    Usage(UsageArgs),
    /// What is paid for and not used, with the action that fixes each finding.
    Findings(FindingsArgs),
}

/// When idle copies are judged (product.md §14).
#[derive(Args)]
pub struct IdleArgs {
    /// Judge idle copies at this instant (RFC 3339, at most 400 days ahead; default now): a
    /// forecast, e.g. at renewal.
    #[arg(long)]
    at: Option<String>,
    /// Days without activity that make a copy idle, 1 to 3650 (default 30).
    #[arg(long)]
    idle_days: Option<String>,
}

impl IdleArgs {
    fn params(&self) -> seatline_app::reports::IdleParams {
        seatline_app::reports::IdleParams {
            at: self.at.clone(),
            idle_days: self.idle_days.clone(),
        }
    }
}

#[derive(Args)]
pub struct UsageArgs {
    #[command(flatten)]
    org: OrgArg,
    #[command(flatten)]
    idle: IdleArgs,
}

#[derive(Args)]
pub struct FindingsArgs {
    #[command(flatten)]
    org: OrgArg,
    #[command(flatten)]
    idle: IdleArgs,
    /// Only findings of this kind (e.g. extension_unassigned).
    #[arg(long)]
    kind: Option<String>,
    /// Print CSV (formula cells neutralised) instead of a table.
    #[arg(long)]
    csv: bool,
}

#[derive(Subcommand)]
pub enum CleanupCmd {
    /// Plan the cleanup of findings: prints the rows and the seats they free, and how to apply.
    Plan(CleanupPlanArgs),
    /// Apply a cleanup plan: every row in one transaction, or nothing (`plan_stale`).
    Apply(CleanupApplyArgs),
}

#[derive(Args)]
pub struct CleanupPlanArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The finding kinds to clean up, comma-separated (e.g. extension_unassigned,not_effective).
    #[arg(long, value_delimiter = ',', required = true)]
    kinds: Vec<String>,
    /// Only these extension keys, comma-separated.
    #[arg(long, value_delimiter = ',')]
    extensions: Option<Vec<String>>,
    /// Print only the plan's id.
    #[arg(long)]
    id_only: bool,
}

#[derive(Args)]
pub struct CleanupApplyArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The plan id printed by `seatline cleanup plan`.
    plan: String,
}

fn money(m: Option<impl ToString>) -> String {
    m.map_or("-".to_owned(), |m| m.to_string())
}

fn rows_table(items: &[RowPlan]) -> String {
    let rows = items
        .iter()
        .map(|r| {
            let codes: Vec<&str> = r.addons.iter().map(|c| c.as_str()).collect();
            let numbers: Vec<&str> = r.numbers.iter().map(|n| n.as_str()).collect();
            let freed: Vec<String> = r
                .freed
                .iter()
                .map(|f| format!("{} {}", f.freed, f.code))
                .collect();
            vec![
                r.row.to_string(),
                r.key.map_or(String::new(), |k| k.to_string()),
                r.outcome.as_str().to_owned(),
                r.finding.map_or(String::new(), |k| k.to_string()),
                codes.join(" "),
                numbers.join(" "),
                freed.join(", "),
            ]
        })
        .collect();
    table(
        &[
            "row",
            "extension",
            "action",
            "finding",
            "add-ons",
            "numbers",
            "frees",
        ],
        rows,
    )
}

pub async fn report(app: &App, cmd: ReportCmd, json: bool) -> ExitCode {
    let done = async {
        match cmd {
            ReportCmd::Usage(o) => {
                let (c, org) = ctx(app, &o.org, false).await?;
                let u = app.usage_report_at(&c, &org, &o.idle.params()).await?;
                if json {
                    print_json(&u);
                    return Ok(());
                }
                let rows = u
                    .items
                    .iter()
                    .map(|i| {
                        vec![
                            i.code.as_str().to_owned(),
                            i.purchased.to_string(),
                            i.in_use.to_string(),
                            i.assigned.to_string(),
                            i.effective.to_string(),
                            i.productive.to_string(),
                            i.idle.to_string(),
                            i.over_allocated.to_string(),
                            money(i.unit_price.as_ref()),
                            money(i.monthly_cost),
                            money(i.monthly_waste),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "code",
                            "purchased",
                            "in use",
                            "assigned",
                            "effective",
                            "productive",
                            "idle",
                            "over",
                            "unit price",
                            "monthly cost",
                            "monthly waste",
                        ],
                        rows
                    )
                );
                let cur = u.totals.currency.clone().unwrap_or_default();
                println!(
                    "total: monthly cost {} {cur}, monthly waste {} {cur}",
                    money(u.totals.monthly_cost),
                    money(u.totals.monthly_waste)
                );
            }
            ReportCmd::Findings(f) => {
                let (c, org) = ctx(app, &f.org, false).await?;
                let items = app
                    .findings_at(&c, &org, f.kind.as_deref(), &f.idle.params())
                    .await?;
                if f.csv {
                    print!("{}", seatline_app::reports::findings_csv(&items));
                } else if json {
                    // Written as it is serialized: no copy of a full-scale list in memory.
                    let out = std::io::BufWriter::new(std::io::stdout().lock());
                    let list = seatline_app::reports::FindingList {
                        items: &items,
                        next_cursor: None,
                    };
                    if let Err(e) = serde_json::to_writer_pretty(out, &list) {
                        eprintln!("error: cannot write the findings: {e}");
                    }
                    println!();
                } else {
                    let rows = items
                        .iter()
                        .map(|x| {
                            let codes: Vec<&str> = x.codes.iter().map(|c| c.as_str()).collect();
                            vec![
                                x.kind.to_string(),
                                x.extension.map_or(String::new(), |k| k.to_string()),
                                x.member.as_ref().map_or(String::new(), |m| m.email.clone()),
                                codes.join(" "),
                                money(x.monthly_waste),
                                x.suggested_action.as_str().to_owned(),
                            ]
                        })
                        .collect();
                    println!(
                        "{}",
                        table(
                            &["kind", "extension", "member", "codes", "waste", "action"],
                            rows
                        )
                    );
                }
            }
        }
        AppResult::Ok(())
    };
    match done.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

pub async fn cleanup(app: &App, cmd: CleanupCmd, json: bool) -> ExitCode {
    let done = async {
        match cmd {
            CleanupCmd::Plan(p) => {
                let (c, org) = ctx(app, &p.org, false).await?;
                let view = app
                    .cleanup_plan(&c, &org, &p.kinds, p.extensions.as_deref())
                    .await?;
                if p.id_only {
                    println!("{}", view.id);
                } else if json {
                    print_json(&view);
                } else {
                    println!(
                        "cleanup plan {}: {} ({})",
                        view.id,
                        view.status.as_str(),
                        plural(view.rows as u64, "row", "rows")
                    );
                    println!("{}", rows_table(&view.items));
                    println!("{}", seat_table(&view));
                    if !view.warnings.is_empty() {
                        println!("warnings (the plan can still be applied):");
                        println!("{}", problem_table(&view.warnings));
                    }
                    println!(
                        "apply it with: seatline cleanup apply --org {org} {}",
                        view.id
                    );
                }
            }
            CleanupCmd::Apply(a) => {
                let (c, org) = ctx(app, &a.org, false).await?;
                let view = match app.bulk_apply(&c, &org, &a.plan, Default::default()).await {
                    Ok(v) => v,
                    Err(AppError::Rule(e)) if e.code == ErrorCode::PlanStale && !json => {
                        return Ok(Some(stale(&e)));
                    }
                    Err(e) => return Err(e),
                };
                if json {
                    print_json(&view);
                } else {
                    println!(
                        "cleanup plan {}: {}, {}",
                        view.id,
                        view.status.as_str(),
                        plural(view.rows as u64, "row", "rows")
                    );
                    println!("{}", seat_table(&view));
                }
            }
        }
        AppResult::Ok(None)
    };
    match done.await {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(code)) => code,
        Err(e) => fail(e, json),
    }
}

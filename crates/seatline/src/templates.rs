//! `seatline teams template get|set|plan|status|reprocess|delete` and `seatline waiting-room`:
//! team license templates (product.md §13). Runs as the owner unless `--as` names another
//! member, whose permissions and scope then apply as they do over the API.

use std::process::ExitCode;

use clap::Subcommand;
use seatline_app::templates::{LicenseStateEntry, TemplateStatus, TemplateView};
use seatline_app::{App, AppResult};
use seatline_domain::{Error, ErrorCode};
use serde_json::{json, Map, Value};

use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum TemplateCmd {
    /// Show a team's template.
    Get {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
    /// Set a team's template: its members are granted (or wait) and what it no longer asks
    /// for is revoked, at once.
    Set {
        #[command(flatten)]
        org: OrgArg,
        team: String,
        /// `next` (the organization's lowest free key), `FROM-TO` (the lowest free key of the
        /// range) or `none`.
        #[arg(long, default_value = "next")]
        extension: String,
        /// An add-on each member's extension carries: `CODE` or `CODE=COUNT`; repeat it.
        #[arg(long = "addon")]
        addons: Vec<String>,
    },
    /// Plan setting a team's template (or, with `--delete`, deleting it): one row per member
    /// and the seats it moves; nothing changes until `seatline bulk apply PLAN`.
    Plan {
        #[command(flatten)]
        org: OrgArg,
        team: String,
        /// As for `set`.
        #[arg(long, default_value = "next")]
        extension: String,
        #[arg(long = "addon")]
        addons: Vec<String>,
        /// Plan deleting the template instead.
        #[arg(long, conflicts_with_all = ["extension", "addons"])]
        delete: bool,
    },
    /// The counts of the team's members by license state, with those waiting or in error.
    Status {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
    /// Try every member's grant again now.
    Reprocess {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
    /// Delete a team's template: what it alone granted is revoked.
    Delete {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
}

/// The template body the options describe, as the API reads it.
fn body(extension: &str, addons: &[String]) -> Result<Value, Error> {
    let extension = match extension.trim() {
        "next" | "true" => json!(true),
        "none" | "null" => Value::Null,
        range => match range.split_once('-') {
            Some((from, to)) => json!({"from": from.trim(), "to": to.trim()}),
            None => {
                return Err(Error::new(
                    ErrorCode::InvalidTemplate,
                    format!("--extension is next, none or FROM-TO (2000-2999), not {range:?}"),
                )
                .detail("field", "extension"))
            }
        },
    };
    let mut map = Map::new();
    for a in addons {
        let (code, count) = match a.split_once('=') {
            Some((c, n)) => (c.trim(), n.trim()),
            None => (a.trim(), "1"),
        };
        let count: Value = count
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(count.to_owned()));
        map.insert(code.to_owned(), count);
    }
    Ok(json!({"extension": extension, "addons": map}))
}

fn show_template(t: &TemplateView, json: bool) {
    if json {
        print_json(t);
    } else {
        println!(
            "team {}: extension {} addons {}",
            t.team, t.extension, t.addons
        );
    }
}

fn entries(items: &[LicenseStateEntry]) -> String {
    table(
        &["member", "state", "code", "since", "teams"],
        items
            .iter()
            .map(|e| {
                let s = &e.license_state;
                vec![
                    e.member.clone(),
                    s.state.clone(),
                    s.code.clone().unwrap_or_default(),
                    s.since.clone(),
                    s.teams.join(" "),
                ]
            })
            .collect(),
    )
}

fn show_status(s: &TemplateStatus, json: bool) {
    if json {
        print_json(s);
    } else {
        println!(
            "team {}: {} ok, {} waiting, {} in error",
            s.team, s.ok, s.waiting, s.error
        );
        if !s.members.is_empty() {
            println!("{}", entries(&s.members));
        }
    }
}

pub async fn exec(app: &App, cmd: TemplateCmd, json: bool) -> AppResult<()> {
    match cmd {
        TemplateCmd::Get { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            show_template(&app.template(&c, &org, &team).await?, json);
        }
        TemplateCmd::Set {
            org,
            team,
            extension,
            addons,
        } => {
            let (c, org) = ctx(app, &org, false).await?;
            let b = body(&extension, &addons)?;
            show_template(&app.set_template(&c, &org, &team, &b).await?, json);
        }
        TemplateCmd::Plan {
            org,
            team,
            extension,
            addons,
            delete,
        } => {
            let (c, org) = ctx(app, &org, false).await?;
            let b = if delete {
                Value::Null
            } else {
                body(&extension, &addons)?
            };
            let plan = app.plan_template(&c, &org, &team, &b).await?;
            if json {
                print_json(&plan);
            } else {
                let rows = plan
                    .items
                    .iter()
                    .map(|r| {
                        vec![
                            r.member.as_ref().map(|m| m.to_string()).unwrap_or_default(),
                            r.outcome.as_str().to_owned(),
                            r.key.map(|k| k.to_string()).unwrap_or_default(),
                            r.addons
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(" "),
                        ]
                    })
                    .collect();
                println!("plan {} ({})", plan.id, plan.status.as_str());
                println!(
                    "{}",
                    table(&["member", "outcome", "extension", "addons"], rows)
                );
                println!("{}", crate::bulk::seat_table(&plan));
                println!("apply it with: seatline bulk apply --org {org} {}", plan.id);
            }
        }
        TemplateCmd::Status { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            show_status(&app.template_status(&c, &org, &team).await?, json);
        }
        TemplateCmd::Reprocess { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            show_status(&app.reprocess_team(&c, &org, &team).await?, json);
        }
        TemplateCmd::Delete { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            app.delete_template(&c, &org, &team).await?;
            if !json {
                println!("deleted the template of {team}");
            }
        }
    }
    Ok(())
}

/// `seatline waiting-room`: the members waiting for seats, in join order.
pub async fn waiting_room(app: &App, org: OrgArg, json: bool) -> ExitCode {
    let shown = async {
        let (c, org) = ctx(app, &org, false).await?;
        let items = app.waiting_room(&c, &org).await?;
        if json {
            print_json(&items);
        } else {
            println!("{}", entries(&items));
        }
        AppResult::Ok(())
    };
    match shown.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

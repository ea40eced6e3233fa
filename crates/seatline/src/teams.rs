//! `seatline teams list|create|rename|enable|disable|delete|members|template|scope`: the organization's
//! teams and admins' scopes (product.md §12). Runs as the owner unless `--as` names another
//! member, whose scope then applies as it does over the API.

use std::process::ExitCode;

use clap::Subcommand;
use seatline_app::{App, AppResult, TeamChange, TeamView};

use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum TeamsCmd {
    /// List the teams (a team-scoped admin sees its own).
    List(OrgArg),
    /// Create a team, optionally with its first members.
    Create {
        #[command(flatten)]
        org: OrgArg,
        name: String,
        /// Member ids or emails.
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Rename a team.
    Rename {
        #[command(flatten)]
        org: OrgArg,
        team: String,
        name: String,
    },
    /// Enable a team.
    Enable {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
    /// Disable a team: admins scoped to it no longer reach its members.
    Disable {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
    /// Delete a team; its members stay.
    Delete {
        #[command(flatten)]
        org: OrgArg,
        team: String,
    },
    /// Replace a team's members (ids or emails; none empties it).
    Members {
        #[command(flatten)]
        org: OrgArg,
        team: String,
        members: Vec<String>,
    },
    /// A team's license template: `template get|set|plan|status|reprocess|delete` (§13).
    #[command(subcommand)]
    Template(crate::templates::TemplateCmd),
    /// Limit an admin to teams, or with `--whole-org` give it the whole organization.
    Scope {
        #[command(flatten)]
        org: OrgArg,
        /// The admin (id or email).
        member: String,
        /// Team ids.
        #[arg(long = "team", conflicts_with = "whole_org")]
        teams: Vec<String>,
        #[arg(long)]
        whole_org: bool,
    },
}

fn rows(items: &[TeamView]) -> String {
    table(
        &["id", "name", "state", "members"],
        items
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    t.name.clone(),
                    if t.enabled { "enabled" } else { "disabled" }.to_owned(),
                    t.members.len().to_string(),
                ]
            })
            .collect(),
    )
}

pub async fn run(app: &App, cmd: TeamsCmd, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

fn show(t: &TeamView, json: bool) {
    if json {
        print_json(t);
    } else {
        println!("{}", rows(std::slice::from_ref(t)));
    }
}

async fn exec(app: &App, cmd: TeamsCmd, json: bool) -> AppResult<()> {
    match cmd {
        TeamsCmd::List(org) => {
            let (c, org) = ctx(app, &org, false).await?;
            let items = app.teams(&c, &org).await?;
            if json {
                print_json(&items);
            } else {
                println!("{}", rows(&items));
            }
        }
        TeamsCmd::Create { org, name, members } => {
            let (c, org) = ctx(app, &org, false).await?;
            show(&app.create_team(&c, &org, &name, &members).await?, json);
        }
        TeamsCmd::Rename { org, team, name } => {
            let (c, org) = ctx(app, &org, false).await?;
            show(
                &app.update_team(&c, &org, &team, Some(&name), None).await?,
                json,
            );
        }
        TeamsCmd::Enable { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            show(
                &app.update_team(&c, &org, &team, None, Some(true)).await?,
                json,
            );
        }
        TeamsCmd::Disable { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            show(
                &app.update_team(&c, &org, &team, None, Some(false)).await?,
                json,
            );
        }
        TeamsCmd::Delete { org, team } => {
            let (c, org) = ctx(app, &org, false).await?;
            app.delete_team(&c, &org, &team).await?;
            if !json {
                println!("deleted {team}");
            }
        }
        TeamsCmd::Members { org, team, members } => {
            let (c, org) = ctx(app, &org, false).await?;
            let change = TeamChange {
                members: Some(members),
                ..TeamChange::default()
            };
            show(&app.change_team(&c, &org, &team, change).await?, json);
        }
        TeamsCmd::Template(cmd) => crate::templates::exec(app, cmd, json).await?,
        TeamsCmd::Scope {
            org,
            member,
            teams,
            whole_org,
        } => {
            let (c, org) = ctx(app, &org, false).await?;
            let scope = (!whole_org).then_some(teams);
            let s = app.set_member_scope(&c, &org, &member, scope).await?;
            if json {
                print_json(&s);
            } else {
                match s.teams {
                    None => println!("{} manages the whole organization", s.member),
                    Some(t) => println!("{} is limited to: {}", s.member, t.join(", ")),
                }
            }
        }
    }
    Ok(())
}

//! `seatline token`: a member's bearer token; `seatline integration-token`: the read-only
//! tokens a PBX or contact center uses.

use std::process::ExitCode;

use clap::Subcommand;
use seatline_app::{App, AppResult};

use crate::context::{ctx, OrgArg, OrgMember};
use crate::output::{fail, print_json, show, table};

#[derive(Subcommand)]
pub enum IntegrationTokenCmd {
    /// Create a read-only integration token (the secret is printed once).
    Create {
        #[command(flatten)]
        org: OrgArg,
        /// What it is for, e.g. PBX.
        name: String,
        /// Let it report activity (POST …/activity), its only write.
        #[arg(long)]
        can_report_activity: bool,
    },
    /// List the organization's integration tokens.
    List(OrgArg),
    /// Revoke an integration token.
    Revoke {
        #[command(flatten)]
        org: OrgArg,
        /// The token's id.
        id: String,
    },
}

pub async fn issue(app: &App, t: OrgMember, json: bool) -> AppResult<()> {
    let (c, org) = ctx(app, &t.org, true).await?;
    let m = app.member(&c, &org, &t.member).await?;
    let tok = app.issue_token(&c, &org, &m.id).await?;
    show(json, &tok, |t| {
        format!("token for {} (shown once): {}", t.member_id, t.token)
    });
    Ok(())
}

pub async fn integration_token(app: &App, cmd: IntegrationTokenCmd, json: bool) -> ExitCode {
    let run = async {
        match cmd {
            IntegrationTokenCmd::Create {
                org,
                name,
                can_report_activity,
            } => {
                let (ctx, org) = ctx(app, &org, false).await?;
                let t = app
                    .create_integration_token(&ctx, &org, &name, can_report_activity)
                    .await?;
                if json {
                    print_json(&t);
                } else {
                    println!("{}", t.token);
                    eprintln!(
                        "integration token {} ({}): the secret above is shown once",
                        t.id, t.name
                    );
                }
            }
            IntegrationTokenCmd::List(org) => {
                let (ctx, org) = ctx(app, &org, false).await?;
                let page = app.integration_tokens(&ctx, &org).await?;
                if json {
                    print_json(&page);
                } else {
                    let rows = page
                        .items
                        .iter()
                        .map(|t| {
                            vec![
                                t.id.clone(),
                                t.name.clone(),
                                t.created_at.clone(),
                                if t.revoked { "revoked" } else { "active" }.to_owned(),
                            ]
                        })
                        .collect();
                    println!("{}", table(&["id", "name", "created", "status"], rows));
                }
            }
            IntegrationTokenCmd::Revoke { org, id } => {
                let (ctx, org) = ctx(app, &org, false).await?;
                app.revoke_integration_token(&ctx, &org, &id).await?;
                eprintln!("revoked {id}");
            }
        }
        Ok(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

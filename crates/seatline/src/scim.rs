//! `seatline scim-token create|list|revoke`: the organization's SCIM tokens for Entra ID,
//! Okta and other identity providers (product.md §9). Runs as the owner, like every
//! organization command.

use std::process::ExitCode;

use clap::Subcommand;
use seatline_app::scim::ScimTokenView;
use seatline_app::{App, AppResult};

use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum ScimTokenCmd {
    /// Create a SCIM token; its secret is printed once.
    Create {
        #[command(flatten)]
        org: OrgArg,
        /// What the token is for, e.g. "Entra ID".
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the organization's SCIM tokens (never their secrets).
    List(OrgArg),
    /// Revoke a SCIM token by its id; it stops working at once.
    Revoke {
        #[command(flatten)]
        org: OrgArg,
        /// Token id (not the secret).
        id: String,
    },
}

fn rows(items: &[ScimTokenView]) -> String {
    table(
        &["id", "name", "created", "state"],
        items
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    t.name.clone(),
                    t.created_at.clone(),
                    if t.revoked { "revoked" } else { "active" }.to_owned(),
                ]
            })
            .collect(),
    )
}

pub async fn run(app: &App, cmd: ScimTokenCmd, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

async fn exec(app: &App, cmd: ScimTokenCmd, json: bool) -> AppResult<()> {
    match cmd {
        ScimTokenCmd::Create { org, name } => {
            let (c, org) = ctx(app, &org, false).await?;
            let t = app.create_scim_token(&c, &org, &name).await?;
            if json {
                print_json(&t);
            } else {
                println!("SCIM token {} ({}), shown once:\n{}", t.id, t.name, t.token);
            }
        }
        ScimTokenCmd::List(org) => {
            let (c, org) = ctx(app, &org, false).await?;
            // The API's list shape, {"items", "next_cursor"}, in --json too.
            let page = app.scim_tokens(&c, &org).await?;
            if json {
                print_json(&page);
            } else {
                println!("{}", rows(&page.items));
            }
        }
        ScimTokenCmd::Revoke { org, id } => {
            let (c, org) = ctx(app, &org, false).await?;
            app.revoke_scim_token(&c, &org, &id).await?;
            if !json {
                println!("revoked {id}");
            }
        }
    }
    Ok(())
}

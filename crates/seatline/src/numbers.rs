//! `seatline number`: the organization's number inventory (operator).

use clap::Subcommand;
use seatline_app::{App, AppResult};

use crate::context::{ctx, OrgArg};
use crate::output::{show, table};

#[derive(Subcommand)]
pub enum NumberCmd {
    /// Add numbers to the inventory.
    Add {
        #[command(flatten)]
        org: OrgArg,
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// Remove an unattached number.
    Remove {
        #[command(flatten)]
        org: OrgArg,
        number: String,
    },
    /// List the inventory.
    List(OrgArg),
}

pub async fn run(app: &App, cmd: NumberCmd, json: bool) -> AppResult<()> {
    match cmd {
        NumberCmd::Add { org, numbers } => {
            let (c, id) = ctx(app, &org, true).await?;
            let mut added = Vec::new();
            for n in numbers {
                added.push(app.add_number(&c, &id, &n).await?);
            }
            show(json, &serde_json::json!({"items": added}), |_| {
                format!(
                    "added {}",
                    added
                        .iter()
                        .map(|n| n.number.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        }
        NumberCmd::Remove { org, number } => {
            let (c, id) = ctx(app, &org, true).await?;
            app.remove_number(&c, &id, &number).await?;
            show(json, &serde_json::json!({"removed": number}), |_| {
                format!("removed {number}")
            });
        }
        NumberCmd::List(o) => {
            let (c, org) = ctx(app, &o, true).await?;
            let p = app
                .numbers(&c, &org, None, Some(seatline_app::MAX_PAGE))
                .await?;
            show(json, &p, |p| {
                let rows = p
                    .items
                    .iter()
                    .map(|n| vec![n.number.clone(), n.extension.clone().unwrap_or_default()])
                    .collect();
                table(&["number", "extension"], rows)
            });
        }
    }
    Ok(())
}

//! `seatline audit`: the audit log, newest first.

use clap::Args;
use seatline_app::{App, AppResult};
use seatline_store::AuditQuery;

use crate::context::{ctx, OrgArg};
use crate::output::{show, table};

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    org: OrgArg,
    /// Only this action, e.g. extension.assign.
    #[arg(long)]
    action: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

pub async fn run(app: &App, a: AuditArgs, json: bool) -> AppResult<()> {
    let (c, org) = ctx(app, &a.org, true).await?;
    let q = AuditQuery {
        action: a.action,
        limit: a.limit,
        ..Default::default()
    };
    let p = app.audit(&c, &org, q).await?;
    show(json, &p, |p| {
        let rows = p
            .items
            .iter()
            .map(|e| {
                vec![
                    e.at.clone(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.target.clone(),
                ]
            })
            .collect();
        table(&["at", "actor", "action", "target"], rows)
    });
    Ok(())
}

//! `seatline ext`: extensions: provision, assign, add-ons, numbers.

use clap::{Args, Subcommand};
use seatline_app::views::ExtensionView;
use seatline_app::{App, AppResult};
use seatline_store::ExtensionQuery;

use crate::context::{ctx, OrgArg};
use crate::output::{show, table};

#[derive(Subcommand)]
pub enum ExtCmd {
    /// Provision COUNT extensions from START.
    Provision {
        #[command(flatten)]
        org: OrgArg,
        /// How many extensions, at least 1.
        #[arg(long)]
        count: i64,
        /// The first key (3 to 5 digits); keys START … START+COUNT−1 must all be free.
        #[arg(long)]
        start: String,
    },
    /// List extensions.
    List {
        #[command(flatten)]
        org: OrgArg,
        /// Only unassigned extensions.
        #[arg(long)]
        unassigned: bool,
        /// Only extensions with this add-on.
        #[arg(long)]
        addon: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Show one extension.
    Show(OrgKey),
    /// Deprovision an unassigned extension.
    Deprovision(OrgKey),
    /// Assign a member (id or email) to an extension.
    Assign {
        #[command(flatten)]
        ext: OrgKey,
        member: String,
        /// Replace the current member.
        #[arg(long)]
        reassign: bool,
    },
    /// Remove the member from an extension (add-ons and numbers stay).
    Unassign(OrgKey),
    /// Replace the extension's add-ons with these codes (none clears them).
    Addons {
        #[command(flatten)]
        ext: OrgKey,
        codes: Vec<String>,
    },
    /// Replace the extension's numbers (none detaches all).
    Numbers {
        #[command(flatten)]
        ext: OrgKey,
        numbers: Vec<String>,
    },
}

#[derive(Args)]
pub struct OrgKey {
    #[command(flatten)]
    org: OrgArg,
    /// Extension key.
    key: String,
}

fn ext_rows(items: &[ExtensionView]) -> String {
    let rows = items
        .iter()
        .map(|e| {
            vec![
                e.key.clone(),
                e.member
                    .as_ref()
                    .map(|m| m.email.clone())
                    .unwrap_or_default(),
                e.numbers.join(" "),
                e.addons
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    table(&["key", "member", "numbers", "add-ons"], rows)
}

pub async fn run(app: &App, cmd: ExtCmd, json: bool) -> AppResult<()> {
    match cmd {
        ExtCmd::Provision { org, count, start } => {
            let (c, id) = ctx(app, &org, false).await?;
            let items = app.provision(&c, &id, count, &start).await?;
            show(json, &serde_json::json!({"items": items}), |_| {
                ext_rows(&items)
            });
        }
        ExtCmd::List {
            org,
            unassigned,
            addon,
            limit,
        } => {
            let (c, id) = ctx(app, &org, true).await?;
            let addon = addon.map(|a| a.parse()).transpose()?;
            let q = ExtensionQuery {
                unassigned,
                addon,
                limit,
                ..Default::default()
            };
            let p = app.extensions(&c, &id, q, None).await?;
            show(json, &p, |p| ext_rows(&p.items));
        }
        ExtCmd::Show(k) => {
            let (c, org) = ctx(app, &k.org, true).await?;
            let e = app.extension(&c, &org, &k.key).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        ExtCmd::Deprovision(k) => {
            let (c, org) = ctx(app, &k.org, false).await?;
            app.deprovision(&c, &org, &k.key).await?;
            show(json, &serde_json::json!({"deprovisioned": k.key}), |_| {
                format!("deprovisioned {}", k.key)
            });
        }
        ExtCmd::Assign {
            ext,
            member,
            reassign,
        } => {
            let (c, org) = ctx(app, &ext.org, false).await?;
            let e = app.assign(&c, &org, &ext.key, &member, reassign).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        ExtCmd::Unassign(k) => {
            let (c, org) = ctx(app, &k.org, false).await?;
            let e = app.unassign(&c, &org, &k.key).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        ExtCmd::Addons { ext, codes } => {
            let (c, org) = ctx(app, &ext.org, false).await?;
            let e = app.set_addons(&c, &org, &ext.key, &codes).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        ExtCmd::Numbers { ext, numbers } => {
            let (c, org) = ctx(app, &ext.org, false).await?;
            let e = app.set_numbers(&c, &org, &ext.key, &numbers).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
    }
    Ok(())
}

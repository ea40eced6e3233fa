//! `seatline org` and `seatline license`: organizations (operator), their purchased
//! quantities and the license summary.

use clap::Subcommand;
use seatline_app::views::LicenseView;
use seatline_app::{App, AppResult, Ctx};

use crate::context::{ctx, OrgArg};
use crate::output::{show, table};

#[derive(Subcommand)]
pub enum OrgCmd {
    /// Create an organization with its owner.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_email: String,
        /// The owner's display name (default: the email).
        #[arg(long, default_value = "", hide_default_value = true)]
        owner_name: String,
        /// Print only the new organization's id, for `export SEATLINE_ORG=$(…)`.
        #[arg(long)]
        id_only: bool,
        /// Where people reach the admin UI (https://host[:port]): also print the owner's
        /// one-time sign-in link.
        #[arg(long, value_parser = crate::sign_in_links::base_url)]
        base_url: Option<String>,
    },
    /// Show an organization.
    Show(OrgArg),
}

#[derive(Subcommand)]
pub enum LicenseCmd {
    /// Set the purchased quantity of a code (operator).
    Set {
        #[command(flatten)]
        org: OrgArg,
        code: String,
        quantity: i64,
    },
    /// The summary per code: purchased, in use, assigned, available.
    Summary(OrgArg),
}

pub(crate) fn license_rows(items: &[LicenseView]) -> String {
    let rows = items
        .iter()
        .map(|l| {
            vec![
                l.code.as_str().to_owned(),
                l.name.to_owned(),
                l.purchased.to_string(),
                l.in_use.to_string(),
                l.assigned.map(|a| a.to_string()).unwrap_or_default(),
                l.available.to_string(),
                l.state.as_str().to_owned(),
                l.term_end.clone().unwrap_or_default(),
                l.over_allocated.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "code",
            "name",
            "purchased",
            "in use",
            "assigned",
            "available",
            "state",
            "term end",
            "over",
        ],
        rows,
    )
}

pub async fn org(app: &App, cmd: OrgCmd, json: bool) -> AppResult<()> {
    match cmd {
        OrgCmd::Create {
            name,
            owner_email,
            owner_name,
            id_only,
            base_url,
        } => {
            let o = app
                .create_org(&Ctx::operator(), &name, &owner_email, &owner_name)
                .await?;
            if id_only {
                println!("{}", o.id);
                return Ok(());
            }
            if let Some(base) = base_url {
                crate::sign_in_links::created(json, &o, &base);
                return Ok(());
            }
            show(json, &o, |o| {
                format!(
                    "created organization {} ({}) with owner {} ({})",
                    o.id, o.name, o.owner.email, o.owner.id
                )
            });
        }
        OrgCmd::Show(o) => {
            let (c, org) = ctx(app, &o, true).await?;
            let v = app.org(&c, &org).await?;
            show(json, &v, |v| {
                table(
                    &["id", "name", "created"],
                    vec![vec![v.id.clone(), v.name.clone(), v.created_at.clone()]],
                )
            });
        }
    }
    Ok(())
}

pub async fn license(app: &App, cmd: LicenseCmd, json: bool) -> AppResult<()> {
    match cmd {
        LicenseCmd::Set {
            org,
            code,
            quantity,
        } => {
            let (c, id) = ctx(app, &org, true).await?;
            let l = app.set_quantity(&c, &id, &code, quantity).await?;
            show(json, &l, |l| license_rows(std::slice::from_ref(l)));
        }
        LicenseCmd::Summary(o) => {
            let (c, org) = ctx(app, &o, true).await?;
            let items = app.licenses(&c, &org).await?;
            show(json, &serde_json::json!({"items": items}), |_| {
                license_rows(&items)
            });
        }
    }
    Ok(())
}

//! `seatline member`: members, roles and status, ownership, deletion and passwords; and the
//! member table the entitlements and Contact Center commands print too.

use clap::Subcommand;
use seatline_app::views::MemberView;
use seatline_app::{App, AppResult};
use seatline_domain::{Error, ErrorCode};

use crate::context::{ctx, OrgArg, OrgMember};
use crate::output::{show, table};

#[derive(Subcommand)]
pub enum MemberCmd {
    /// Add a member.
    Add {
        #[command(flatten)]
        org: OrgArg,
        /// The member's email (unique in the organization).
        email: String,
        /// Display name (default: the email).
        #[arg(long, default_value = "", hide_default_value = true)]
        name: String,
        /// `member` or `admin`.
        #[arg(long, default_value = "member")]
        role: String,
    },
    /// List members with their extension and Contact Center readiness.
    List(OrgArg),
    /// Show one member.
    Show(OrgMember),
    /// Change role (admin/member) or status (active/disabled).
    Set {
        #[command(flatten)]
        target: OrgMember,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        status: Option<String>,
    },
    /// Transfer ownership to this member.
    Transfer(OrgMember),
    /// Delete a disabled member; its extension stays, unassigned.
    Delete(OrgMember),
    /// Set a member's admin UI password, read from the first line of standard input (so it
    /// never shows in the process list). Runs as the operator unless `--as` names a member.
    Password(OrgMember),
    /// Print a one-time sign-in link for a member (the owner too), valid 24 hours; it
    /// replaces the member's earlier unused link.
    SignInLink(crate::sign_in_links::SignInLinkArgs),
}

pub fn member_rows(items: &[MemberView]) -> String {
    let rows = items
        .iter()
        .map(|m| {
            let cc = &m.contact_center;
            let ready = if cc.ready {
                "ready".to_owned()
            } else {
                let missing: Vec<String> = cc.missing.iter().map(json_word).collect();
                format!("missing {}", missing.join(", "))
            };
            vec![
                m.id.clone(),
                m.email.clone(),
                m.name.clone(),
                m.role.as_str().to_owned(),
                m.status.as_str().to_owned(),
                m.extension.clone().unwrap_or_default(),
                json_word(&cc.role),
                ready,
            ]
        })
        .collect();
    table(
        &[
            "id",
            "email",
            "name",
            "role",
            "status",
            "extension",
            "contact center",
            "readiness",
        ],
        rows,
    )
}

fn json_word(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn run(app: &App, cmd: MemberCmd, json: bool) -> AppResult<()> {
    match cmd {
        MemberCmd::Add {
            org,
            email,
            name,
            role,
        } => {
            let (c, id) = ctx(app, &org, false).await?;
            let m = app.create_member(&c, &id, &email, &name, &role).await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        MemberCmd::List(o) => {
            let (c, org) = ctx(app, &o, true).await?;
            let p = app
                .members(&c, &org, None, Some(seatline_app::MAX_PAGE))
                .await?;
            show(json, &p, |p| member_rows(&p.items));
        }
        MemberCmd::Show(t) => {
            let (c, org) = ctx(app, &t.org, true).await?;
            let m = app.member(&c, &org, &t.member).await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        MemberCmd::Set {
            target,
            role,
            status,
        } => {
            let (c, org) = ctx(app, &target.org, false).await?;
            let m = app
                .update_member(&c, &org, &target.member, role.as_deref(), status.as_deref())
                .await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        MemberCmd::Transfer(t) => {
            let (c, org) = ctx(app, &t.org, false).await?;
            let m = app.transfer_ownership(&c, &org, &t.member).await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        MemberCmd::Delete(t) => {
            let (c, org) = ctx(app, &t.org, false).await?;
            app.delete_member(&c, &org, &t.member).await?;
            show(json, &serde_json::json!({"deleted": t.member}), |_| {
                format!("deleted {}", t.member)
            });
        }
        MemberCmd::SignInLink(a) => {
            crate::sign_in_links::member(app, a, json).await?;
        }
        MemberCmd::Password(t) => {
            let (c, org) = ctx(app, &t.org, true).await?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| {
                Error::new(
                    ErrorCode::Malformed,
                    format!("cannot read the password: {e}"),
                )
            })?;
            let password = line.trim_end_matches(['\r', '\n']);
            app.set_password(&c, &org, &t.member, password).await?;
            show(json, &serde_json::json!({"password_set": t.member}), |_| {
                format!("password set for {}", t.member)
            });
        }
    }
    Ok(())
}

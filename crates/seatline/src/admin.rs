//! Admin commands: every operation of product.md §4 from a shell. Whoever can open the
//! database is trusted: operator actions run as the operator, organization actions as the
//! owner unless `--as` names another member (the audit log records who).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use seatline_app::views::{ExtensionView, LicenseView, MemberView};
use seatline_app::{App, AppResult, Ctx};
use seatline_domain::{Error, ErrorCode, OrgId, Role};
use seatline_store::{AuditQuery, ExtensionQuery};

use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum Command {
    /// Organizations (operator).
    #[command(subcommand)]
    Org(OrgCmd),
    /// Purchased quantities and the license summary.
    #[command(subcommand)]
    License(LicenseCmd),
    /// The organization's number inventory (operator).
    #[command(subcommand)]
    Number(NumberCmd),
    /// Members, roles and status.
    #[command(subcommand)]
    Member(MemberCmd),
    /// Extensions: provision, assign, add-ons, numbers.
    #[command(subcommand)]
    Ext(ExtCmd),
    /// Issue a bearer token for a member.
    Token(OrgMember),
    /// What a member may use, and its Contact Center readiness.
    Entitlements(OrgMember),
    /// Every member's Contact Center role, readiness and what is missing.
    ContactCenter(OrgArg),
    /// The audit log, newest first.
    Audit(AuditArgs),
}

#[derive(Args)]
pub struct OrgArg {
    /// Organization id; required unless SEATLINE_ORG is set.
    #[arg(long, env = "SEATLINE_ORG")]
    org: Option<String>,
    /// Act as this member (id or email) instead of the owner.
    #[arg(long = "as")]
    as_member: Option<String>,
}

#[derive(Args)]
pub struct OrgMember {
    #[command(flatten)]
    org: OrgArg,
    /// Member id or email.
    member: String,
}

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

/// The context a command acts in: the operator, or a member of the org (default: the owner).
pub(crate) async fn ctx(app: &App, o: &OrgArg, operator: bool) -> AppResult<(Ctx, OrgId)> {
    // Optional on the command line (SEATLINE_ORG usually names it), required here: a
    // missing organization is a command-line error, exit 2 like clap's own.
    let Some(org) = o.org.clone().map(OrgId) else {
        clap::Error::raw(
            clap::error::ErrorKind::MissingRequiredArgument,
            "no organization: pass --org ORG_ID or set SEATLINE_ORG\n",
        )
        .exit()
    };
    if operator && o.as_member.is_none() {
        return Ok((Ctx::operator(), org));
    }
    let op = Ctx::operator();
    let m = match &o.as_member {
        Some(r) => app.member(&op, &org, r).await?,
        None => app
            .members(&op, &org, None, Some(seatline_app::MAX_PAGE))
            .await?
            .items
            .into_iter()
            .find(|m| m.role == Role::Owner)
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "the organization has no owner"))?,
    };
    let actor = app
        .actor_of(
            &org,
            seatline_domain::Member {
                id: seatline_domain::MemberId(m.id),
                email: m.email.parse()?,
                name: m.name,
                role: m.role,
                status: m.status,
            },
        )
        .await?;
    Ok((
        Ctx {
            actor,
            org: Some(org.clone()),
            request_id: None,
        },
        org,
    ))
}

fn member_rows(items: &[MemberView]) -> String {
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

/// Print a value as JSON or through its table renderer.
pub(crate) fn show<T: serde::Serialize>(json: bool, v: &T, human: impl FnOnce(&T) -> String) {
    if json {
        print_json(v)
    } else {
        println!("{}", human(v))
    }
}

pub async fn run(app: &App, cmd: Command, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

async fn exec(app: &App, cmd: Command, json: bool) -> AppResult<()> {
    match cmd {
        Command::Org(OrgCmd::Create {
            name,
            owner_email,
            owner_name,
            id_only,
            base_url,
        }) => {
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
        Command::Org(OrgCmd::Show(o)) => {
            let (c, org) = ctx(app, &o, true).await?;
            let v = app.org(&c, &org).await?;
            show(json, &v, |v| {
                table(
                    &["id", "name", "created"],
                    vec![vec![v.id.clone(), v.name.clone(), v.created_at.clone()]],
                )
            });
        }
        Command::License(LicenseCmd::Set {
            org,
            code,
            quantity,
        }) => {
            let (c, id) = ctx(app, &org, true).await?;
            let l = app.set_quantity(&c, &id, &code, quantity).await?;
            show(json, &l, |l| license_rows(std::slice::from_ref(l)));
        }
        Command::License(LicenseCmd::Summary(o)) => {
            let (c, org) = ctx(app, &o, true).await?;
            let items = app.licenses(&c, &org).await?;
            show(json, &serde_json::json!({"items": items}), |_| {
                license_rows(&items)
            });
        }
        Command::Number(NumberCmd::Add { org, numbers }) => {
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
        Command::Number(NumberCmd::Remove { org, number }) => {
            let (c, id) = ctx(app, &org, true).await?;
            app.remove_number(&c, &id, &number).await?;
            show(json, &serde_json::json!({"removed": number}), |_| {
                format!("removed {number}")
            });
        }
        Command::Number(NumberCmd::List(o)) => {
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
        Command::Member(MemberCmd::Add {
            org,
            email,
            name,
            role,
        }) => {
            let (c, id) = ctx(app, &org, false).await?;
            let m = app.create_member(&c, &id, &email, &name, &role).await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        Command::Member(MemberCmd::List(o)) => {
            let (c, org) = ctx(app, &o, true).await?;
            let p = app
                .members(&c, &org, None, Some(seatline_app::MAX_PAGE))
                .await?;
            show(json, &p, |p| member_rows(&p.items));
        }
        Command::Member(MemberCmd::Show(t)) => {
            let (c, org) = ctx(app, &t.org, true).await?;
            let m = app.member(&c, &org, &t.member).await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        Command::Member(MemberCmd::Set {
            target,
            role,
            status,
        }) => {
            let (c, org) = ctx(app, &target.org, false).await?;
            let m = app
                .update_member(&c, &org, &target.member, role.as_deref(), status.as_deref())
                .await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        Command::Member(MemberCmd::Transfer(t)) => {
            let (c, org) = ctx(app, &t.org, false).await?;
            let m = app.transfer_ownership(&c, &org, &t.member).await?;
            show(json, &m, |m| member_rows(std::slice::from_ref(m)));
        }
        Command::Member(MemberCmd::Delete(t)) => {
            let (c, org) = ctx(app, &t.org, false).await?;
            app.delete_member(&c, &org, &t.member).await?;
            show(json, &serde_json::json!({"deleted": t.member}), |_| {
                format!("deleted {}", t.member)
            });
        }
        Command::Member(MemberCmd::SignInLink(a)) => {
            crate::sign_in_links::member(app, a, json).await?;
        }
        Command::Member(MemberCmd::Password(t)) => {
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
        Command::Ext(ExtCmd::Provision { org, count, start }) => {
            let (c, id) = ctx(app, &org, false).await?;
            let items = app.provision(&c, &id, count, &start).await?;
            show(json, &serde_json::json!({"items": items}), |_| {
                ext_rows(&items)
            });
        }
        Command::Ext(ExtCmd::List {
            org,
            unassigned,
            addon,
            limit,
        }) => {
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
        Command::Ext(ExtCmd::Show(k)) => {
            let (c, org) = ctx(app, &k.org, true).await?;
            let e = app.extension(&c, &org, &k.key).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        Command::Ext(ExtCmd::Deprovision(k)) => {
            let (c, org) = ctx(app, &k.org, false).await?;
            app.deprovision(&c, &org, &k.key).await?;
            show(json, &serde_json::json!({"deprovisioned": k.key}), |_| {
                format!("deprovisioned {}", k.key)
            });
        }
        Command::Ext(ExtCmd::Assign {
            ext,
            member,
            reassign,
        }) => {
            let (c, org) = ctx(app, &ext.org, false).await?;
            let e = app.assign(&c, &org, &ext.key, &member, reassign).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        Command::Ext(ExtCmd::Unassign(k)) => {
            let (c, org) = ctx(app, &k.org, false).await?;
            let e = app.unassign(&c, &org, &k.key).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        Command::Ext(ExtCmd::Addons { ext, codes }) => {
            let (c, org) = ctx(app, &ext.org, false).await?;
            let e = app.set_addons(&c, &org, &ext.key, &codes).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        Command::Ext(ExtCmd::Numbers { ext, numbers }) => {
            let (c, org) = ctx(app, &ext.org, false).await?;
            let e = app.set_numbers(&c, &org, &ext.key, &numbers).await?;
            show(json, &e, |e| ext_rows(std::slice::from_ref(e)));
        }
        Command::Token(t) => {
            let (c, org) = ctx(app, &t.org, true).await?;
            let m = app.member(&c, &org, &t.member).await?;
            let tok = app.issue_token(&c, &org, &m.id).await?;
            show(json, &tok, |t| {
                format!("token for {} (shown once): {}", t.member_id, t.token)
            });
        }
        Command::Entitlements(t) => {
            let (c, org) = ctx(app, &t.org, true).await?;
            let e = app.entitlements(&c, &org, &t.member).await?;
            show(json, &e, |e| {
                let mut s = member_rows(std::slice::from_ref(&e.member));
                s.push('\n');
                s.push_str(&format!(
                    "entitled: {}",
                    e.entitled
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                s
            });
        }
        Command::ContactCenter(o) => {
            let (c, org) = ctx(app, &o, true).await?;
            let p = app
                .contact_center(&c, &org, None, Some(seatline_app::MAX_PAGE))
                .await?;
            show(json, &p, |p| member_rows(&p.items));
        }
        Command::Audit(a) => {
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
        }
    }
    Ok(())
}

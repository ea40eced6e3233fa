//! Which organization a command acts on, and as whom. Whoever can open the database is
//! trusted: operator actions run as the operator, organization actions as the owner unless
//! `--as` names another member (the audit log records who).

use clap::Args;
use seatline_app::{App, AppResult, Ctx};
use seatline_domain::{Error, ErrorCode, OrgId, Role};

#[derive(Args)]
pub struct OrgArg {
    /// Organization id; required unless SEATLINE_ORG is set.
    #[arg(long, env = "SEATLINE_ORG")]
    pub org: Option<String>,
    /// Act as this member (id or email) instead of the owner.
    #[arg(long = "as")]
    pub as_member: Option<String>,
}

#[derive(Args)]
pub struct OrgMember {
    #[command(flatten)]
    pub org: OrgArg,
    /// Member id or email.
    pub member: String,
}

/// The context a command acts in: the operator, or a member of the org (default: the owner).
pub async fn ctx(app: &App, o: &OrgArg, operator: bool) -> AppResult<(Ctx, OrgId)> {
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

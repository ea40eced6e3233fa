//! One-time links, stored by the hash of their secret and used once: password resets
//! (`password_resets`) and sign-in links (`sign_in_links`). Both tables have the same columns
//! and rules — one live link per member, taken (deleted) inside the org lock — so one
//! implementation serves both, and they cannot drift apart.

use rusqlite::Connection;
use seatline_domain::{Member, MemberId, OrgId};
use seatline_store::Result;

use crate::members::member_row;
use crate::sql::{exec, row, Get};

#[derive(Clone, Copy)]
pub(crate) enum Links {
    Resets,
    SignIn,
}

impl Links {
    fn table(self) -> &'static str {
        match self {
            Links::Resets => "password_resets",
            Links::SignIn => "sign_in_links",
        }
    }
}

/// A stored link with the member it is for.
pub(crate) struct Stored {
    pub member: Member,
    pub org: OrgId,
    pub created_at: String,
    pub expires_at: String,
}

/// The link with this hash, in any organization: the page a link opens knows nothing else.
pub(crate) fn read(conn: &Connection, links: Links, hash: &str) -> Result<Option<Stored>> {
    row(
        conn,
        &format!(
            "SELECT m.id, m.email, m.name, m.role, m.status, l.org_id, l.created_at, l.expires_at
             FROM {} l JOIN members m ON m.org_id = l.org_id AND m.id = l.member_id
             WHERE l.hash = ?",
            links.table()
        ),
        (hash,),
        |r| {
            Ok(Stored {
                member: member_row(r)?,
                org: OrgId(r.at(5)?),
                created_at: r.at(6)?,
                expires_at: r.at(7)?,
            })
        },
    )
}

/// Store a member's new link; it replaces the member's older one.
pub(crate) fn insert(
    conn: &Connection,
    links: Links,
    org: &OrgId,
    member: &MemberId,
    [hash, created_at, expires_at]: [&str; 3],
) -> Result<()> {
    let table = links.table();
    exec(
        conn,
        &format!("DELETE FROM {table} WHERE org_id = ? AND member_id = ?"),
        (org.as_str(), member.as_str()),
    )?;
    exec(
        conn,
        &format!(
            "INSERT INTO {table} (hash, org_id, member_id, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)"
        ),
        (hash, org.as_str(), member.as_str(), created_at, expires_at),
    )?;
    Ok(())
}

/// Use a link up: delete it and answer whom it was for and until when.
pub(crate) fn take(
    conn: &Connection,
    links: Links,
    org: &OrgId,
    hash: &str,
) -> Result<Option<(MemberId, String)>> {
    row(
        conn,
        &format!(
            "DELETE FROM {} WHERE org_id = ? AND hash = ? RETURNING member_id, expires_at",
            links.table()
        ),
        (org.as_str(), hash),
        |r| Ok((MemberId(r.at(0)?), r.at(1)?)),
    )
}

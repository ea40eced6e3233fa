//! Sign-in links (the `sign_in_links` table): stored by the hash of their secret, used once.

use rusqlite::Connection;
use seatline_domain::{MemberId, OrgId};
use seatline_store::{Result, SignInLinkRow};

use crate::members::member_row;
use crate::sql::{exec, row, Get};

pub(crate) fn link(conn: &Connection, hash: &str) -> Result<Option<SignInLinkRow>> {
    row(
        conn,
        "SELECT m.id, m.email, m.name, m.role, m.status, l.org_id, l.created_at, l.expires_at
         FROM sign_in_links l JOIN members m ON m.org_id = l.org_id AND m.id = l.member_id
         WHERE l.hash = ?",
        (hash,),
        |r| {
            Ok(SignInLinkRow {
                member: member_row(r)?,
                org: OrgId(r.at(5)?),
                created_at: r.at(6)?,
                expires_at: r.at(7)?,
            })
        },
    )
}

pub(crate) fn insert(
    conn: &Connection,
    org: &OrgId,
    member: &MemberId,
    hash: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<()> {
    // One live link per member: a newer one replaces what an older one would have allowed.
    exec(
        conn,
        "DELETE FROM sign_in_links WHERE org_id = ? AND member_id = ?",
        (org.as_str(), member.as_str()),
    )?;
    exec(
        conn,
        "INSERT INTO sign_in_links (hash, org_id, member_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?)",
        (hash, org.as_str(), member.as_str(), created_at, expires_at),
    )?;
    Ok(())
}

pub(crate) fn take(
    conn: &Connection,
    org: &OrgId,
    hash: &str,
) -> Result<Option<(MemberId, String)>> {
    row(
        conn,
        "DELETE FROM sign_in_links WHERE org_id = ? AND hash = ?
         RETURNING member_id, expires_at",
        (org.as_str(), hash),
        |r| Ok((MemberId(r.at(0)?), r.at(1)?)),
    )
}

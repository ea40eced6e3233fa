//! Passwords: a member's password hash, and reset links (the `password_resets` table),
//! stored by the hash of their secret and used once.

use rusqlite::Connection;
use seatline_domain::{MemberId, OrgId};
use seatline_store::{PasswordReset, Result};

use crate::members::member_row;
use crate::sql::{exec, row, Get};

pub(crate) fn reset(conn: &Connection, hash: &str) -> Result<Option<PasswordReset>> {
    row(
        conn,
        "SELECT m.id, m.email, m.name, m.role, m.status, r.org_id, r.created_at, r.expires_at
         FROM password_resets r JOIN members m ON m.org_id = r.org_id AND m.id = r.member_id
         WHERE r.hash = ?",
        (hash,),
        |r| {
            Ok(PasswordReset {
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
    exec(
        conn,
        "DELETE FROM password_resets WHERE org_id = ? AND member_id = ?",
        (org.as_str(), member.as_str()),
    )?;
    exec(
        conn,
        "INSERT INTO password_resets (hash, org_id, member_id, created_at, expires_at)
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
        "DELETE FROM password_resets WHERE org_id = ? AND hash = ?
         RETURNING member_id, expires_at",
        (org.as_str(), hash),
        |r| Ok((MemberId(r.at(0)?), r.at(1)?)),
    )
}

/// Set or clear a member's password hash, which ends the sessions made with the old one.
pub(crate) fn set_hash(
    conn: &Connection,
    org: &OrgId,
    member: &MemberId,
    hash: Option<&str>,
) -> Result<()> {
    exec(
        conn,
        "UPDATE members SET password_hash = ?, session_epoch = session_epoch + 1
         WHERE org_id = ? AND id = ?",
        (hash, org.as_str(), member.as_str()),
    )?;
    Ok(())
}

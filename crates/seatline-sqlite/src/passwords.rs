//! Passwords: a member's password hash, and reset links (the `password_resets` table, kept
//! by `links`).

use rusqlite::Connection;
use seatline_domain::{MemberId, OrgId};
use seatline_store::{PasswordReset, Result};

use crate::links::{self, Links};
use crate::sql::exec;

pub(crate) fn reset(conn: &Connection, hash: &str) -> Result<Option<PasswordReset>> {
    Ok(
        links::read(conn, Links::Resets, hash)?.map(|l| PasswordReset {
            member: l.member,
            org: l.org,
            created_at: l.created_at,
            expires_at: l.expires_at,
        }),
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

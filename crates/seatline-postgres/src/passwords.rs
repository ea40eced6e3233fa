//! Passwords: a member's password hash, and reset links (the `password_resets` table, kept
//! by `links`).

use seatline_domain::{MemberId, OrgId};
use seatline_store::{PasswordReset, Result};
use sqlx::{PgConnection, PgPool};

use crate::links::{self, Links};
use crate::sql::db;

pub(crate) async fn reset(pool: &PgPool, hash: &str) -> Result<Option<PasswordReset>> {
    Ok(links::read(pool, Links::Resets, hash)
        .await?
        .map(|l| PasswordReset {
            member: l.member,
            org: l.org,
            created_at: l.created_at,
            expires_at: l.expires_at,
        }))
}

/// Set or clear a member's password hash, which ends the sessions made with the old one.
pub(crate) async fn set_hash(
    c: &mut PgConnection,
    org: &OrgId,
    member: &MemberId,
    hash: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE members SET password_hash = $3, session_epoch = session_epoch + 1
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_str())
    .bind(member.as_str())
    .bind(hash)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

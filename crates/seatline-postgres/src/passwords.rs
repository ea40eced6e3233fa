//! Passwords: a member's password hash, and reset links (the `password_resets` table),
//! stored by the hash of their secret and used once.

use seatline_domain::{MemberId, OrgId};
use seatline_store::{PasswordReset, Result};
use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction};

use crate::members::member_row;
use crate::sql::db;

pub(crate) async fn reset(pool: &PgPool, hash: &str) -> Result<Option<PasswordReset>> {
    let row = sqlx::query(
        "SELECT m.id, m.email, m.name, m.role, m.status, r.org_id, r.created_at, r.expires_at
         FROM password_resets r JOIN members m ON m.org_id = r.org_id AND m.id = r.member_id
         WHERE r.hash = $1",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(|r| {
        Ok(PasswordReset {
            member: member_row(&r)?,
            org: OrgId(r.get(5)),
            created_at: r.get(6),
            expires_at: r.get(7),
        })
    })
    .transpose()
}

pub(crate) async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    org: &OrgId,
    member: &MemberId,
    hash: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM password_resets WHERE org_id = $1 AND member_id = $2")
        .bind(org.as_str())
        .bind(member.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO password_resets (hash, org_id, member_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(org.as_str())
    .bind(member.as_str())
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn take(
    tx: &mut Transaction<'static, Postgres>,
    org: &OrgId,
    hash: &str,
) -> Result<Option<(MemberId, String)>> {
    let row = sqlx::query(
        "DELETE FROM password_resets WHERE org_id = $1 AND hash = $2
         RETURNING member_id, expires_at",
    )
    .bind(org.as_str())
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    Ok(row.map(|r| (MemberId(r.get(0)), r.get(1))))
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

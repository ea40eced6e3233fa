//! Password reset links (the `password_resets` table): stored by the hash of their secret,
//! used once.

use seatline_domain::{MemberId, OrgId};
use seatline_store::{PasswordReset, Result};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use crate::{db, member_row};

pub(crate) async fn reset(pool: &SqlitePool, hash: &str) -> Result<Option<PasswordReset>> {
    let row = sqlx::query(
        "SELECT m.id, m.email, m.name, m.role, m.status, r.org_id, r.created_at, r.expires_at
         FROM password_resets r JOIN members m ON m.org_id = r.org_id AND m.id = r.member_id
         WHERE r.hash = ?",
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
    tx: &mut Transaction<'static, Sqlite>,
    org: &OrgId,
    member: &MemberId,
    hash: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM password_resets WHERE org_id = ? AND member_id = ?")
        .bind(org.as_str())
        .bind(member.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO password_resets (hash, org_id, member_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?)",
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
    tx: &mut Transaction<'static, Sqlite>,
    org: &OrgId,
    hash: &str,
) -> Result<Option<(MemberId, String)>> {
    let row = sqlx::query(
        "DELETE FROM password_resets WHERE org_id = ? AND hash = ?
         RETURNING member_id, expires_at",
    )
    .bind(org.as_str())
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    Ok(row.map(|r| (MemberId(r.get(0)), r.get(1))))
}

//! Sign-in links (the `sign_in_links` table): stored by the hash of their secret, used once.

use seatline_domain::{MemberId, OrgId};
use seatline_store::{Result, SignInLinkRow};
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::members::member_row;
use crate::sql::db;

pub(crate) async fn link(pool: &PgPool, hash: &str) -> Result<Option<SignInLinkRow>> {
    let row = sqlx::query(
        "SELECT m.id, m.email, m.name, m.role, m.status, l.org_id, l.created_at, l.expires_at
         FROM sign_in_links l JOIN members m ON m.org_id = l.org_id AND m.id = l.member_id
         WHERE l.hash = $1",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(|r| {
        Ok(SignInLinkRow {
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
    // One live link per member: a newer one replaces what an older one would have allowed.
    sqlx::query("DELETE FROM sign_in_links WHERE org_id = $1 AND member_id = $2")
        .bind(org.as_str())
        .bind(member.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO sign_in_links (hash, org_id, member_id, created_at, expires_at)
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
        "DELETE FROM sign_in_links WHERE org_id = $1 AND hash = $2
         RETURNING member_id, expires_at",
    )
    .bind(org.as_str())
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    Ok(row.map(|r| (MemberId(r.get(0)), r.get(1))))
}

//! One-time links, stored by the hash of their secret and used once: password resets
//! (`password_resets`) and sign-in links (`sign_in_links`). Both tables have the same columns
//! and rules — one live link per member, taken (deleted) inside the org lock — so one
//! implementation serves both, and they cannot drift apart.

use seatline_domain::{Member, MemberId, OrgId};
use seatline_store::Result;
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::members::member_row;
use crate::sql::db;

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
pub(crate) async fn read(pool: &PgPool, links: Links, hash: &str) -> Result<Option<Stored>> {
    let sql = format!(
        "SELECT m.id, m.email, m.name, m.role, m.status, l.org_id, l.created_at, l.expires_at
         FROM {} l JOIN members m ON m.org_id = l.org_id AND m.id = l.member_id
         WHERE l.hash = $1",
        links.table()
    );
    let row = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| {
        Ok(Stored {
            member: member_row(&r)?,
            org: OrgId(r.get(5)),
            created_at: r.get(6),
            expires_at: r.get(7),
        })
    })
    .transpose()
}

/// Store a member's new link; it replaces the member's older one.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    links: Links,
    org: &OrgId,
    member: &MemberId,
    [hash, created_at, expires_at]: [&str; 3],
) -> Result<()> {
    let table = links.table();
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE org_id = $1 AND member_id = $2"
    ))
    .bind(org.as_str())
    .bind(member.as_str())
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query(&format!(
        "INSERT INTO {table} (hash, org_id, member_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)"
    ))
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

/// Use a link up: delete it and answer whom it was for and until when.
pub(crate) async fn take(
    tx: &mut Transaction<'static, Postgres>,
    links: Links,
    org: &OrgId,
    hash: &str,
) -> Result<Option<(MemberId, String)>> {
    let row = sqlx::query(&format!(
        "DELETE FROM {} WHERE org_id = $1 AND hash = $2 RETURNING member_id, expires_at",
        links.table()
    ))
    .bind(org.as_str())
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    Ok(row.map(|r| (MemberId(r.get(0)), r.get(1))))
}

//! Bearer tokens, stored as the hash of their secret: a member's API tokens, and the named
//! tokens of an organization. SCIM tokens and read-only integration tokens have the same
//! columns in tables of their own; one implementation serves both kinds.

use seatline_domain::{Member, MemberId, OrgId};
use seatline_store::{decode, IntegrationTokenRow, Result, ScimTokenRow, TokenRow};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, PgPool, Postgres, Row};

use crate::sql::db;

pub(crate) async fn insert_member_token(c: &mut PgConnection, t: &TokenRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO tokens (id, org_id, member_id, hash, created_at, revoked)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.id)
    .bind(t.org.as_str())
    .bind(t.member.as_str())
    .bind(&t.hash)
    .bind(&t.created_at)
    .bind(t.revoked)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn member_tokens(
    c: &mut PgConnection,
    org: &OrgId,
    member: &MemberId,
) -> Result<Vec<TokenRow>> {
    let rows = sqlx::query(
        "SELECT id, org_id, member_id, hash, created_at, revoked FROM tokens
         WHERE org_id = $1 AND member_id = $2 ORDER BY created_at, id COLLATE \"C\"",
    )
    .bind(org.as_str())
    .bind(member.as_str())
    .fetch_all(c)
    .await
    .map_err(db)?;
    Ok(rows.iter().map(token_row).collect())
}

/// False when the member has no such token.
pub(crate) async fn revoke_member_token(
    c: &mut PgConnection,
    org: &OrgId,
    member: &MemberId,
    id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tokens SET revoked = TRUE WHERE org_id = $1 AND member_id = $2 AND id = $3",
    )
    .bind(org.as_str())
    .bind(member.as_str())
    .bind(id)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// The member token with this hash, whatever its organization, and its member.
pub(crate) async fn holder(pool: &PgPool, hash: &str) -> Result<Option<(TokenRow, Member)>> {
    let row = sqlx::query(
        "SELECT t.id, t.org_id, t.member_id, t.hash, t.created_at, t.revoked,
                m.id, m.email, m.name, m.role, m.status
         FROM tokens t JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
         WHERE t.hash = $1",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(|r| {
        let m = decode::member(r.get(6), r.get(7), r.get(8), r.get(9), r.get(10))?;
        Ok((token_row(&r), m))
    })
    .transpose()
}

fn token_row(r: &PgRow) -> TokenRow {
    TokenRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        member: MemberId(r.get(2)),
        hash: r.get(3),
        created_at: r.get(4),
        revoked: r.get(5),
    }
}

/// A statement with its arguments bound so far.
type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

/// A kind of named token: the statements on its table, and its row.
pub(crate) trait Named: Sized + Send + Sync {
    const SQL: NamedSql;
    fn from_row(r: &PgRow) -> Self;
    /// The insert statement with this token's columns bound, in its order.
    fn bind_insert<'q>(&'q self, insert: PgQuery<'q>) -> PgQuery<'q>;
}

/// The statements on one named-token table.
pub(crate) struct NamedSql {
    insert: &'static str,
    /// Oldest first, revoked ones included.
    list: &'static str,
    revoke: &'static str,
    by_hash: &'static str,
}

/// `Named` for a row type on its table. `$revoke_only_live` narrows the revoke statement: a
/// SCIM token's revoke answers false for a token revoked already, an integration token's
/// answers true again.
macro_rules! named {
    ($row:ident, $table:literal, $revoke_only_live:literal) => {
        impl Named for $row {
            const SQL: NamedSql = NamedSql {
                insert: concat!("INSERT INTO ", $table, " (id, org_id, name, hash, created_at, revoked) VALUES ($1, $2, $3, $4, $5, $6)"),
                list: concat!("SELECT id, org_id, name, hash, created_at, revoked FROM ", $table, " WHERE org_id = $1 ORDER BY created_at, id COLLATE \"C\""),
                revoke: concat!("UPDATE ", $table, " SET revoked = TRUE WHERE org_id = $1 AND id = $2", $revoke_only_live),
                by_hash: concat!("SELECT id, org_id, name, hash, created_at, revoked FROM ", $table, " WHERE hash = $1"),
            };

            fn from_row(r: &PgRow) -> Self {
                $row {
                    id: r.get(0),
                    org: OrgId(r.get(1)),
                    name: r.get(2),
                    hash: r.get(3),
                    created_at: r.get(4),
                    revoked: r.get(5),
                }
            }

            fn bind_insert<'q>(&'q self, insert: PgQuery<'q>) -> PgQuery<'q> {
                insert
                    .bind(&self.id)
                    .bind(self.org.as_str())
                    .bind(&self.name)
                    .bind(&self.hash)
                    .bind(&self.created_at)
                    .bind(self.revoked)
            }
        }
    };
}

named!(ScimTokenRow, "scim_tokens", " AND NOT revoked");
named!(IntegrationTokenRow, "integration_tokens", "");

pub(crate) async fn insert<T: Named>(c: &mut PgConnection, t: &T) -> Result<()> {
    t.bind_insert(sqlx::query(T::SQL.insert))
        .execute(c)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn list<T: Named>(c: &mut PgConnection, org: &OrgId) -> Result<Vec<T>> {
    let rows = sqlx::query(T::SQL.list)
        .bind(org.as_str())
        .fetch_all(c)
        .await
        .map_err(db)?;
    Ok(rows.iter().map(T::from_row).collect())
}

/// False when the organization has no such token (for a SCIM token: no such live one).
pub(crate) async fn revoke<T: Named>(c: &mut PgConnection, org: &OrgId, id: &str) -> Result<bool> {
    let done = sqlx::query(T::SQL.revoke)
        .bind(org.as_str())
        .bind(id)
        .execute(c)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// The token with this hash, whatever its organization.
pub(crate) async fn by_hash<T: Named>(pool: &PgPool, hash: &str) -> Result<Option<T>> {
    let row = sqlx::query(T::SQL.by_hash)
        .bind(hash)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.as_ref().map(T::from_row))
}

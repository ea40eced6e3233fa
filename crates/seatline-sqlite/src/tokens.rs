//! Bearer tokens, stored as the hash of their secret: a member's API tokens, and the named
//! tokens of an organization. SCIM tokens and read-only integration tokens have the same
//! columns in tables of their own; one implementation serves both kinds.

use rusqlite::Connection;
use seatline_domain::{Member, MemberId, OrgId};
use seatline_store::{decode, IntegrationTokenRow, Result, ScimTokenRow, TokenRow};

use crate::sql::{exec, row, rows, Get};

pub(crate) fn insert_member_token(c: &Connection, t: &TokenRow) -> Result<()> {
    exec(
            c,
            "INSERT INTO tokens (id, org_id, member_id, hash, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?)",
            (&t.id, t.org.as_str(), t.member.as_str(), &t.hash, &t.created_at, t.revoked),
        )?;
    Ok(())
}

pub(crate) fn member_tokens(
    c: &Connection,
    org: &OrgId,
    member: &MemberId,
) -> Result<Vec<TokenRow>> {
    rows(
            c,
            "SELECT id, org_id, member_id, hash, created_at, revoked FROM tokens WHERE org_id = ? AND member_id = ? ORDER BY created_at",
            (org.as_str(), member.as_str()),
            token_row,
        )
}

/// False when the member has no such token.
pub(crate) fn revoke_member_token(
    c: &Connection,
    org: &OrgId,
    member: &MemberId,
    id: &str,
) -> Result<bool> {
    let n = exec(
        c,
        "UPDATE tokens SET revoked = 1 WHERE org_id = ? AND member_id = ? AND id = ?",
        (org.as_str(), member.as_str(), id),
    )?;
    Ok(n == 1)
}

/// The member token with this hash, whatever its organization, and its member.
pub(crate) fn holder(conn: &Connection, hash: &str) -> Result<Option<(TokenRow, Member)>> {
    row(
        conn,
        "SELECT t.id, t.org_id, t.member_id, t.hash, t.created_at, t.revoked,
                m.id, m.email, m.name, m.role, m.status
         FROM tokens t JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
         WHERE t.hash = ?",
        (hash,),
        |r| {
            let m = decode::member(
                r.at(6)?,
                &r.at::<String>(7)?,
                r.at(8)?,
                &r.at::<String>(9)?,
                &r.at::<String>(10)?,
            )?;
            Ok((token_row(r)?, m))
        },
    )
}

fn token_row(r: &rusqlite::Row<'_>) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.at(0)?,
        org: OrgId(r.at(1)?),
        member: MemberId(r.at(2)?),
        hash: r.at(3)?,
        created_at: r.at(4)?,
        revoked: r.at(5)?,
    })
}

/// A kind of named token: the statements on its table, and its row.
pub(crate) trait Named: Sized {
    const INSERT: &'static str;
    /// Oldest first, revoked ones included.
    const LIST: &'static str;
    const REVOKE: &'static str;
    const BY_HASH: &'static str;
    fn from_row(r: &rusqlite::Row<'_>) -> Result<Self>;
    /// Its columns in the order `INSERT` binds them.
    fn columns(&self) -> (&str, &str, &str, &str, &str, bool);
}

/// `Named` for a row type on its table. `$revoke_only_live` narrows the revoke statement: a
/// SCIM token's revoke answers false for a token revoked already, an integration token's
/// answers true again.
macro_rules! named {
    ($row:ident, $table:literal, $revoke_only_live:literal) => {
        impl Named for $row {
            const INSERT: &'static str = concat!(
                "INSERT INTO ",
                $table,
                " (id, org_id, name, hash, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?)"
            );
            const LIST: &'static str = concat!(
                "SELECT id, org_id, name, hash, created_at, revoked FROM ",
                $table,
                " WHERE org_id = ? ORDER BY created_at, id"
            );
            const REVOKE: &'static str = concat!(
                "UPDATE ",
                $table,
                " SET revoked = 1 WHERE org_id = ? AND id = ?",
                $revoke_only_live
            );
            const BY_HASH: &'static str = concat!(
                "SELECT id, org_id, name, hash, created_at, revoked FROM ",
                $table,
                " WHERE hash = ?"
            );

            fn from_row(r: &rusqlite::Row<'_>) -> Result<Self> {
                Ok($row {
                    id: r.at(0)?,
                    org: OrgId(r.at(1)?),
                    name: r.at(2)?,
                    hash: r.at(3)?,
                    created_at: r.at(4)?,
                    revoked: r.at(5)?,
                })
            }

            fn columns(&self) -> (&str, &str, &str, &str, &str, bool) {
                let t = self;
                (
                    &t.id,
                    t.org.as_str(),
                    &t.name,
                    &t.hash,
                    &t.created_at,
                    t.revoked,
                )
            }
        }
    };
}

named!(ScimTokenRow, "scim_tokens", " AND revoked = 0");
named!(IntegrationTokenRow, "integration_tokens", "");

pub(crate) fn insert<T: Named>(conn: &Connection, t: &T) -> Result<()> {
    exec(conn, T::INSERT, t.columns())?;
    Ok(())
}

pub(crate) fn list<T: Named>(conn: &Connection, org: &OrgId) -> Result<Vec<T>> {
    rows(conn, T::LIST, (org.as_str(),), T::from_row)
}

/// False when the organization has no such token (for a SCIM token: no such live one).
pub(crate) fn revoke<T: Named>(conn: &Connection, org: &OrgId, id: &str) -> Result<bool> {
    Ok(exec(conn, T::REVOKE, (org.as_str(), id))? == 1)
}

/// The token with this hash, whatever its organization.
pub(crate) fn by_hash<T: Named>(conn: &Connection, hash: &str) -> Result<Option<T>> {
    row(conn, T::BY_HASH, (hash,), T::from_row)
}

//! The entitlement read: one member's sources in one statement, because the PBX asks on
//! every registration and call. The read by a bearer token adds the token and its holder to
//! that same statement, one read transaction instead of two (issue 15).

use std::sync::LazyLock;

use rusqlite::Connection;
use seatline_domain::OrgId;
use seatline_store::decode::{self, TaggedRow};
use seatline_store::{EntitlementSources, MemberRef, Result, TokenEntitlements};

use crate::sql::{rows, Get};

/// The member's parts as tagged text rows (see `decode::TaggedRow`), after the CTE `m` that
/// picks the member: only the subscriptions of the codes its extension holds, the ones its
/// entitlements depend on.
const PARTS: &str = "
     e AS (SELECT key FROM extensions WHERE org_id = ?1 AND member_id = (SELECT id FROM m))
SELECT 'm', id, email, name, role, status, NULL, NULL FROM m
UNION ALL
SELECT 'e', CAST(key AS TEXT), NULL, NULL, NULL, NULL, NULL, NULL FROM e
UNION ALL
SELECT 'a', CAST(ext_key AS TEXT), code, CAST(copies AS TEXT), NULL, NULL, NULL, NULL
FROM extension_addons WHERE org_id = ?1 AND ext_key = (SELECT key FROM e)
UNION ALL
SELECT 'n', CAST(ext_key AS TEXT), number, NULL, NULL, NULL, NULL, NULL
FROM numbers WHERE org_id = ?1 AND ext_key = (SELECT key FROM e)
UNION ALL
SELECT 's', code, CAST(quantity AS TEXT), state, term_end, state_since, unit_price, currency
FROM subscriptions WHERE org_id = ?1 AND EXISTS (SELECT 1 FROM e)
  AND (code = 'phone_system' OR code IN
       (SELECT code FROM extension_addons WHERE org_id = ?1 AND ext_key = (SELECT key FROM e)))";

/// `m` picks the member by id or by email (`{member}`), each through its own index.
const MEMBER: &str =
    "m AS (SELECT id, email, name, role, status FROM members WHERE org_id = ?1 AND {member} = ?2";

/// A member token (`?3` its hash) as `t`, and its holder as an `h` row.
const MEMBER_TOKEN: (&str, &str) = (
    "t AS (SELECT id, org_id, member_id AS who, hash, created_at, revoked
           FROM tokens WHERE hash = ?3)",
    "SELECT 'h', h.id, h.email, h.name, h.role, h.status, NULL, NULL
     FROM members h JOIN t ON h.org_id = t.org_id AND h.id = t.who",
);

/// An integration token (`?3` its hash) as `t`; it has no holder row.
const INTEGRATION_TOKEN: (&str, &str) = (
    "t AS (SELECT id, org_id, name AS who, hash, created_at, revoked
           FROM integration_tokens WHERE hash = ?3)",
    "SELECT 'h', NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0",
);

/// Every statement text, built once.
static STATEMENTS: LazyLock<[String; 6]> = LazyLock::new(|| {
    decode::entitlement_statements(MEMBER, PARTS, [MEMBER_TOKEN, INTEGRATION_TOKEN], "?1")
});

fn tagged_rows(
    conn: &Connection,
    org: &OrgId,
    member: &MemberRef,
    token: Option<(&str, bool)>,
) -> Result<Vec<TaggedRow>> {
    let (i, value) = decode::entitlement_statement(member, token.map(|(_, i)| i));
    let tagged = |r: &rusqlite::Row<'_>| {
        Ok((
            r.at(0)?,
            [
                r.at(1)?,
                r.at(2)?,
                r.at(3)?,
                r.at(4)?,
                r.at(5)?,
                r.at(6)?,
                r.at(7)?,
            ],
        ))
    };
    let sql = &STATEMENTS[i];
    match token {
        None => rows(conn, sql, (org.as_str(), value), tagged),
        Some((hash, _)) => rows(conn, sql, (org.as_str(), value, hash), tagged),
    }
}

pub(crate) fn read(
    conn: &Connection,
    org: &OrgId,
    member: &MemberRef,
) -> Result<Option<EntitlementSources>> {
    decode::entitlement_sources(tagged_rows(conn, org, member, None)?)
}

/// [`seatline_store::Store::token_entitlements`] in one statement.
pub(crate) fn read_by_token(
    conn: &Connection,
    hash: &str,
    integration: bool,
    org: &OrgId,
    member: &MemberRef,
) -> Result<TokenEntitlements> {
    let rows = tagged_rows(conn, org, member, Some((hash, integration)))?;
    decode::token_entitlements(rows, integration)
}

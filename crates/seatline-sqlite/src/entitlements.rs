//! The entitlement read: one member's sources in one statement, because the PBX asks on
//! every registration and call.

use rusqlite::Connection;
use seatline_domain::OrgId;
use seatline_store::{decode, EntitlementSources, MemberRef, Result};

use crate::{rows, Get};

/// Every part as tagged text rows (see `decode::TaggedRow`); `{member}` picks the member by
/// id or by email, each through its own index.
const READ: &str = "
WITH m AS (SELECT id, email, name, role, status FROM members WHERE org_id = ?1 AND {member} = ?2),
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
FROM subscriptions WHERE org_id = ?1 AND EXISTS (SELECT 1 FROM m)";

/// The statement by id and by email, built once.
static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| READ.replace("{member}", "id"));
static BY_EMAIL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| READ.replace("{member}", "email"));

pub(crate) fn read(
    conn: &Connection,
    org: &OrgId,
    member: &MemberRef,
) -> Result<Option<EntitlementSources>> {
    let (sql, value) = match member {
        MemberRef::Id(id) => (&*BY_ID, id.as_str()),
        MemberRef::Email(email) => (&*BY_EMAIL, email.as_str()),
    };
    let found = rows(conn, sql, (org.as_str(), value), |r| {
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
    })?;
    decode::entitlement_sources(found)
}

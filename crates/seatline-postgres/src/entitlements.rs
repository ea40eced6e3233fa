//! The entitlement read: one member's sources in one statement, because the PBX asks on
//! every registration and call and each statement is a round trip to PostgreSQL.

use seatline_domain::OrgId;
use seatline_store::{decode, EntitlementSources, MemberRef, Result};
use sqlx::{PgPool, Row};

use crate::db;

/// Every part as tagged text rows (see `decode::TaggedRow`); `{member}` picks the member by
/// id or by email, each through its own index.
const READ: &str = "
WITH m AS (SELECT id, email, name, role, status FROM members WHERE org_id = $1 AND {member} = $2),
     e AS (SELECT key FROM extensions WHERE org_id = $1 AND member_id = (SELECT id FROM m))
SELECT 'm', id, email, name, role, status, NULL::text, NULL::text FROM m
UNION ALL
SELECT 'e', CAST(key AS TEXT), NULL, NULL, NULL, NULL, NULL, NULL FROM e
UNION ALL
SELECT 'a', CAST(ext_key AS TEXT), code, CAST(copies AS TEXT), NULL, NULL, NULL, NULL
FROM extension_addons WHERE org_id = $1 AND ext_key = (SELECT key FROM e)
UNION ALL
SELECT 'n', CAST(ext_key AS TEXT), number, NULL, NULL, NULL, NULL, NULL
FROM numbers WHERE org_id = $1 AND ext_key = (SELECT key FROM e)
UNION ALL
SELECT 's', code, CAST(quantity AS TEXT), state, term_end, state_since, unit_price, currency
FROM subscriptions WHERE org_id = $1 AND EXISTS (SELECT 1 FROM m)";

pub(crate) async fn read(
    pool: &PgPool,
    org: &OrgId,
    member: &MemberRef,
) -> Result<Option<EntitlementSources>> {
    let (column, value) = match member {
        MemberRef::Id(id) => ("id", id.as_str()),
        MemberRef::Email(email) => ("email", email.as_str()),
    };
    let rows = sqlx::query(&READ.replace("{member}", column))
        .bind(org.as_str())
        .bind(value)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    decode::entitlement_sources(rows.iter().map(|r| {
        (
            r.get(0),
            [1, 2, 3, 4, 5, 6, 7].map(|i| r.get::<Option<String>, _>(i)),
        )
    }))
}

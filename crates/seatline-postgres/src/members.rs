//! Members: reads by id, email and page, sign-in's lookup across organizations, and the
//! session epoch that ends a member's sessions.

use seatline_domain::{Email, Member, MemberId, OrgId};
use seatline_store::{decode, Credentials, Result};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use crate::sql::{db, limit};

pub(crate) async fn by_id(
    c: &mut PgConnection,
    org: &OrgId,
    id: &MemberId,
) -> Result<Option<Member>> {
    let row = sqlx::query(
        "SELECT id, email, name, role, status FROM members WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    row.map(|r| member_row(&r)).transpose()
}

pub(crate) async fn by_email(
    c: &mut PgConnection,
    org: &OrgId,
    email: &Email,
) -> Result<Option<Member>> {
    let row = sqlx::query(
        "SELECT id, email, name, role, status FROM members WHERE org_id = $1 AND email = $2",
    )
    .bind(org.as_str())
    .bind(email.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    row.map(|r| member_row(&r)).transpose()
}

pub(crate) async fn page(
    c: &mut PgConnection,
    org: &OrgId,
    after: Option<&str>,
    n: u32,
) -> Result<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT id, email, name, role, status FROM members
         WHERE org_id = $1 AND email > $2 ORDER BY email LIMIT $3",
    )
    .bind(org.as_str())
    .bind(after.unwrap_or(""))
    .bind(limit(n))
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    rows.iter().map(member_row).collect()
}

pub(crate) async fn with_ids(
    c: &mut PgConnection,
    org: &OrgId,
    ids: &[MemberId],
) -> Result<Vec<Member>> {
    let ids: Vec<&str> = ids.iter().map(MemberId::as_str).collect();
    let rows = sqlx::query(
        "SELECT id, email, name, role, status FROM members
         WHERE org_id = $1 AND id = ANY($2) ORDER BY email",
    )
    .bind(org.as_str())
    .bind(&ids)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    rows.iter().map(member_row).collect()
}

pub(crate) async fn with_epoch(
    c: &mut PgConnection,
    org: &OrgId,
    id: &MemberId,
) -> Result<Option<(Member, i64)>> {
    let row = sqlx::query(
        "SELECT id, email, name, role, status, session_epoch FROM members
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    row.map(|r| Ok((member_row(&r)?, r.get::<i32, _>(5).into())))
        .transpose()
}

pub(crate) async fn end_sessions(
    c: &mut PgConnection,
    org: &OrgId,
    id: &MemberId,
) -> Result<Option<i64>> {
    let epoch: Option<i32> = sqlx::query_scalar(
        "UPDATE members SET session_epoch = session_epoch + 1 WHERE org_id = $1 AND id = $2
         RETURNING session_epoch",
    )
    .bind(org.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    Ok(epoch.map(i64::from))
}

/// Every member with this email, in any organization, with its password hash.
pub(crate) async fn credentials(pool: &PgPool, email: &Email) -> Result<Vec<Credentials>> {
    let rows = sqlx::query(
        "SELECT id, email, name, role, status, org_id, password_hash FROM members
         WHERE email = $1 ORDER BY org_id COLLATE \"C\"",
    )
    .bind(email.as_str())
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Credentials {
                member: member_row(r)?,
                org: OrgId(r.get(5)),
                password_hash: r.get(6),
            })
        })
        .collect()
}

pub(crate) fn member_row(r: &PgRow) -> Result<Member> {
    decode::member(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

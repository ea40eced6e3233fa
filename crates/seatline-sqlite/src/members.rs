//! Members: reads by id, email and page, sign-in's lookup across organizations, and the
//! session epoch that ends a member's sessions.

use rusqlite::Connection;
use seatline_domain::{Email, Member, MemberId, OrgId};
use seatline_store::{decode, Credentials, Result};

use crate::sql::{heavy, json_list, row, rows, Get, MANY};
pub(crate) fn by_id(c: &Connection, org: &OrgId, id: &MemberId) -> Result<Option<Member>> {
    row(
        c,
        "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND id = ?",
        (org.as_str(), id.as_str()),
        member_row,
    )
}

pub(crate) fn by_email(c: &Connection, org: &OrgId, email: &Email) -> Result<Option<Member>> {
    row(
        c,
        "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND email = ?",
        (org.as_str(), email.as_str()),
        member_row,
    )
}

pub(crate) fn page(
    c: &Connection,
    org: &OrgId,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Member>> {
    rows(
            c,
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND email > ? ORDER BY email LIMIT ?",
            (org.as_str(), after.unwrap_or(""), limit),
            member_row,
        )
}

/// The members with these ids, ordered by email.
pub(crate) fn with_ids(c: &Connection, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>> {
    let mut found = heavy(ids.len() > MANY, || {
        rows(
            c,
            "SELECT id, email, name, role, status FROM members
                 WHERE org_id = ? AND id IN (SELECT value FROM json_each(?))",
            (org.as_str(), json_list(ids.iter().map(|m| m.as_str()))),
            member_row,
        )
    })?;
    found.sort_by(|a, b| a.email.cmp(&b.email));
    Ok(found)
}

pub(crate) fn with_epoch(
    c: &Connection,
    org: &OrgId,
    id: &MemberId,
) -> Result<Option<(Member, i64)>> {
    row(
            c,
            "SELECT id, email, name, role, status, session_epoch FROM members WHERE org_id = ? AND id = ?",
            (org.as_str(), id.as_str()),
            |r| Ok((member_row(r)?, r.at(5)?)),
        )
}

pub(crate) fn end_sessions(c: &Connection, org: &OrgId, id: &MemberId) -> Result<Option<i64>> {
    row(
        c,
        "UPDATE members SET session_epoch = session_epoch + 1 WHERE org_id = ? AND id = ?
             RETURNING session_epoch",
        (org.as_str(), id.as_str()),
        |r| r.at(0),
    )
}

/// Every member with this email, in any organization, with its password hash.
pub(crate) fn credentials(conn: &Connection, email: &Email) -> Result<Vec<Credentials>> {
    rows(
        conn,
        "SELECT id, email, name, role, status, org_id, password_hash FROM members WHERE email = ? ORDER BY org_id",
        (email.as_str(),),
        |r| {
            Ok(Credentials {
                member: member_row(r)?,
                org: OrgId(r.at(5)?),
                password_hash: r.at(6)?,
            })
        },
    )
}

pub(crate) fn member_row(r: &rusqlite::Row<'_>) -> Result<Member> {
    decode::member(
        r.at(0)?,
        &r.at::<String>(1)?,
        r.at(2)?,
        &r.at::<String>(3)?,
        &r.at::<String>(4)?,
    )
}

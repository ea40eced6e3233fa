//! SCIM (product.md §9): the member fields a SCIM User adds, and the SCIM member query. The
//! identity provider's tokens are stored in `tokens`.

use seatline_domain::{MemberId, OrgId};
use seatline_store::{Result, ScimMember, ScimQuery};

use crate::members::member_row;
use crate::sql::{exec, Get, Sql};
use crate::tx::SqliteTx;

/// The WHERE clause of a SCIM query, after `FROM members`.
fn filter<'a>(sql: &mut Sql<'a>, org: &'a OrgId, q: &'a ScimQuery) {
    sql.push(" WHERE org_id = ").bind(org.as_str());
    if let Some(id) = &q.id {
        sql.push(" AND id = ").bind(id.as_str());
    }
    if let Some(email) = &q.email {
        sql.push(" AND email = ").bind(email.as_str());
    }
    if let Some(x) = &q.external_id {
        sql.push(" AND external_id = ").bind(x.as_str());
    }
    if let Some(s) = &q.status {
        sql.push(" AND status = ").bind(s.as_str());
    }
}

impl SqliteTx {
    pub(crate) fn scim_members_impl(
        &self,
        org: &OrgId,
        q: &ScimQuery,
    ) -> Result<(u64, Vec<ScimMember>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM members");
        filter(&mut count, org, q);
        let total: i64 = count
            .rows(&self.conn, |r| r.at(0))?
            .pop()
            .unwrap_or_default();
        if q.limit == 0 {
            return Ok((total as u64, Vec::new()));
        }
        let mut page = Sql::new(
            "SELECT id, email, name, role, status, external_id, created_at, updated_at, given_name,
             family_name FROM members",
        );
        filter(&mut page, org, q);
        page.push(" ORDER BY created_at, id LIMIT ")
            .bind(i64::from(q.limit))
            .push(" OFFSET ")
            .bind(q.offset as i64);
        let members = page.rows(&self.conn, |r| {
            Ok(ScimMember {
                member: member_row(r)?,
                external_id: r.at(5)?,
                created_at: r.at(6)?,
                updated_at: r.at(7)?,
                given_name: r.at(8)?,
                family_name: r.at(9)?,
            })
        })?;
        Ok((total as u64, members))
    }

    /// Apply [`seatline_domain::Change::SetScimFields`]: `fields` are the external id, the
    /// given name and the family name.
    pub(crate) fn set_scim_fields(
        &self,
        org: &OrgId,
        id: &MemberId,
        [external_id, given_name, family_name]: [Option<&str>; 3],
        updated_at: &str,
    ) -> Result<()> {
        exec(
            &self.conn,
            "UPDATE members SET external_id = ?, given_name = ?, family_name = ?, updated_at = ?
             WHERE org_id = ? AND id = ?",
            (
                external_id,
                given_name,
                family_name,
                updated_at,
                org.as_str(),
                id.as_str(),
            ),
        )?;
        Ok(())
    }
}

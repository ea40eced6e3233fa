//! SCIM (product.md §9): the member fields a SCIM User adds, and the SCIM member query. The
//! identity provider's tokens are stored in `tokens`.

use seatline_domain::{MemberId, OrgId};
use seatline_store::{Result, ScimMember, ScimQuery};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::members::member_row;
use crate::sql::db;
use crate::tx::PgTx;

/// The WHERE clause of a SCIM query, after `FROM members`.
fn filter<'a>(qb: &mut QueryBuilder<'a, Postgres>, org: &'a OrgId, q: &'a ScimQuery) {
    qb.push(" WHERE org_id = ").push_bind(org.as_str());
    if let Some(id) = &q.id {
        qb.push(" AND id = ").push_bind(id.as_str());
    }
    if let Some(email) = &q.email {
        qb.push(" AND email = ").push_bind(email.as_str());
    }
    if let Some(x) = &q.external_id {
        qb.push(" AND external_id = ").push_bind(x.as_str());
    }
    if let Some(s) = &q.status {
        qb.push(" AND status = ").push_bind(s.as_str());
    }
}

impl PgTx {
    pub(crate) async fn scim_members_impl(
        &mut self,
        org: &OrgId,
        q: &ScimQuery,
    ) -> Result<(u64, Vec<ScimMember>)> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM members");
        filter(&mut count, org, q);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)?;
        if q.limit == 0 {
            return Ok((total as u64, Vec::new()));
        }
        let mut page = QueryBuilder::<Postgres>::new(
            "SELECT id, email, name, role, status, external_id, created_at, updated_at, given_name,
             family_name FROM members",
        );
        filter(&mut page, org, q);
        page.push(" ORDER BY created_at, id COLLATE \"C\" LIMIT ")
            .push_bind(i64::from(q.limit))
            .push(" OFFSET ")
            .push_bind(q.offset as i64);
        let rows = page.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        let members = rows
            .iter()
            .map(|r| {
                Ok(ScimMember {
                    member: member_row(r)?,
                    external_id: r.get(5),
                    created_at: r.get(6),
                    updated_at: r.get(7),
                    given_name: r.get(8),
                    family_name: r.get(9),
                })
            })
            .collect::<Result<_>>()?;
        Ok((total as u64, members))
    }

    /// Apply [`seatline_domain::Change::SetScimFields`]: `fields` are the external id, the
    /// given name and the family name.
    pub(crate) async fn set_scim_fields(
        &mut self,
        org: &OrgId,
        id: &MemberId,
        [external_id, given_name, family_name]: [Option<&str>; 3],
        updated_at: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE members SET external_id = $1, given_name = $2, family_name = $3,
             updated_at = $4 WHERE org_id = $5 AND id = $6",
        )
        .bind(external_id)
        .bind(given_name)
        .bind(family_name)
        .bind(updated_at)
        .bind(org.as_str())
        .bind(id.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}

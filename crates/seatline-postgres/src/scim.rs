//! SCIM (product.md §9): identity-provider tokens and the member fields a SCIM User adds.

use seatline_domain::{MemberId, OrgId};
use seatline_store::{Result, ScimMember, ScimQuery, ScimTokenRow};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use crate::tx::PgTx;
use crate::{db, member_row};

const TOKEN_COLUMNS: &str = "id, org_id, name, hash, created_at, revoked";

fn token_row(r: &sqlx::postgres::PgRow) -> ScimTokenRow {
    ScimTokenRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        name: r.get(2),
        hash: r.get(3),
        created_at: r.get(4),
        revoked: r.get(5),
    }
}

pub(crate) async fn token(pool: &PgPool, hash: &str) -> Result<Option<ScimTokenRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM scim_tokens WHERE hash = $1"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.as_ref().map(token_row))
}

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

    pub(crate) async fn insert_scim_token_impl(&mut self, t: &ScimTokenRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO scim_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&t.id)
        .bind(t.org.as_str())
        .bind(&t.name)
        .bind(&t.hash)
        .bind(&t.created_at)
        .bind(t.revoked)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn scim_tokens_impl(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM scim_tokens WHERE org_id = $1 ORDER BY created_at, id COLLATE \"C\""
        ))
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(rows.iter().map(token_row).collect())
    }

    pub(crate) async fn revoke_scim_token_impl(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE scim_tokens SET revoked = TRUE WHERE org_id = $1 AND id = $2 AND NOT revoked",
        )
        .bind(org.as_str())
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}

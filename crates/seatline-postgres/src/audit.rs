//! The audit log: entries appended with a decision's changes (arrays through `UNNEST`, in
//! order), read newest first.

use seatline_domain::OrgId;
use seatline_store::{AuditEntry, AuditQuery, Result};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::sql::{db, limit};
use crate::tx::PgTx;

impl PgTx {
    pub(crate) async fn read_audit(
        &mut self,
        org: &OrgId,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEntry>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, at, actor, action, target, before::text, after::text, request_id, teams FROM audit WHERE org_id = ",
        );
        qb.push_bind(org.as_str());
        if let Some(a) = &q.action {
            qb.push(" AND action = ").push_bind(a);
        }
        if let Some(t) = &q.target {
            qb.push(" AND target = ").push_bind(t);
        }
        if let Some(b) = q.before_id {
            qb.push(" AND id < ").push_bind(b);
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.get(0),
                    at: r.get(1),
                    actor: r.get(2),
                    action: r.get(3),
                    target: r.get(4),
                    before: serde_json::from_str(r.get(5)).map_err(db)?,
                    after: serde_json::from_str(r.get(6)).map_err(db)?,
                    request_id: r.get(7),
                    teams: serde_json::from_str(r.get(8)).map_err(db)?,
                })
            })
            .collect()
    }

    /// Keep entries to send with the next events' insert (or [`PgTx::flush_audit`]).
    pub(crate) async fn defer_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        if self.audit.as_ref().is_some_and(|(o, _)| o != org) {
            self.flush_audit().await?;
        }
        self.audit
            .get_or_insert_with(|| (org.clone(), Vec::new()))
            .1
            .extend_from_slice(entries);
        Ok(())
    }

    /// Send the entries kept by [`PgTx::defer_audit`], if any, in a statement of their own.
    pub(crate) async fn flush_audit(&mut self) -> Result<()> {
        let Some((org, entries)) = self.audit.take() else {
            return Ok(());
        };
        let sql = format!("WITH {AUDITED} SELECT 1");
        bind_audit(sqlx::query(&sql), &org, &entries)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }
}

/// The audit entries' insert as a data-modifying CTE, binding $1 (the org) and $2–$9, so the
/// events' insert can carry it: `WITH audited AS (…), …`. WITH ORDINALITY keeps the entries'
/// order in their ids.
pub(crate) const AUDITED: &str = "audited AS (
    INSERT INTO audit (org_id, at, actor, action, target, before, after, request_id, teams)
    SELECT $1, at, actor, action, target, before::jsonb, after::jsonb, request_id, teams
    FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         WITH ORDINALITY AS v(at, actor, action, target, before, after, request_id, teams, ord)
    ORDER BY ord
)";

/// Bind [`AUDITED`]'s parameters: $1 the org, $2–$9 the entries' columns.
pub(crate) fn bind_audit<'q>(
    q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    org: &OrgId,
    entries: &[AuditEntry],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    let col = |f: fn(&AuditEntry) -> String| entries.iter().map(f).collect::<Vec<_>>();
    let request_ids: Vec<Option<String>> = entries.iter().map(|e| e.request_id.clone()).collect();
    q.bind(org.as_str().to_owned())
        .bind(col(|e| e.at.clone()))
        .bind(col(|e| e.actor.clone()))
        .bind(col(|e| e.action.clone()))
        .bind(col(|e| e.target.clone()))
        .bind(col(|e| e.before.to_string()))
        .bind(col(|e| e.after.to_string()))
        .bind(request_ids)
        .bind(col(|e| serde_json::to_string(&e.teams).unwrap_or_default()))
}

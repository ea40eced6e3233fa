//! The audit log: entries appended with a decision's changes, read newest first.

use seatline_domain::OrgId;
use seatline_store::{AuditEntry, AuditQuery, Result};

use crate::sql::{db, json, Get, Sql};
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn read_audit(&self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = Sql::new(
            "SELECT id, at, actor, action, target, before, after, request_id, teams FROM audit WHERE org_id = ",
        );
        sql.bind(org.as_str());
        if let Some(a) = &q.action {
            sql.push(" AND action = ").bind(a.as_str());
        }
        if let Some(t) = &q.target {
            sql.push(" AND target = ").bind(t.as_str());
        }
        if let Some(b) = q.before_id {
            sql.push(" AND id < ").bind(b);
        }
        sql.push(" ORDER BY id DESC LIMIT ").bind(q.limit);
        sql.rows(&self.conn, |r| {
            Ok(AuditEntry {
                id: r.at(0)?,
                at: r.at(1)?,
                actor: r.at(2)?,
                action: r.at(3)?,
                target: r.at(4)?,
                before: serde_json::from_str(&r.at::<String>(5)?).map_err(json)?,
                after: serde_json::from_str(&r.at::<String>(6)?).map_err(json)?,
                request_id: r.at(7)?,
                teams: serde_json::from_str(&r.at::<String>(8)?).map_err(json)?,
            })
        })
    }

    pub(crate) fn insert_audit(&self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO audit (org_id, at, actor, action, target, before, after, request_id, teams)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .map_err(db)?;
        for e in entries {
            st.execute((
                org.as_str(),
                &e.at,
                &e.actor,
                &e.action,
                &e.target,
                e.before.to_string(),
                e.after.to_string(),
                &e.request_id,
                serde_json::to_string(&e.teams).unwrap_or_default(),
            ))
            .map_err(db)?;
        }
        Ok(())
    }
}

//! Activity from the PBX and the contact center (product.md §14): the latest `at` per
//! extension, kind and device, kept by one set-based upsert per report, and the integration
//! tokens allowed to report it.

use std::collections::BTreeSet;

use seatline_domain::{ExtKey, OrgId};
use seatline_store::{decode, ActivityRow, Result};
use sqlx::Row;

use crate::sql::db;
use crate::tx::PgTx;

fn keys_of(keys: &[ExtKey]) -> Vec<i32> {
    keys.iter().map(|k| k.get() as i32).collect()
}

fn activity_row(r: &sqlx::postgres::PgRow) -> Result<ActivityRow> {
    let device: String = r.get(2);
    Ok(ActivityRow {
        extension: ExtKey::new(r.get::<i32, _>(0) as u32)
            .ok_or_else(|| decode::corrupt("activity extension key", "out of range"))?,
        kind: r.get(1),
        device: (!device.is_empty()).then_some(device),
        at: r.get(3),
    })
}

impl PgTx {
    pub(crate) async fn existing_keys_impl(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<BTreeSet<ExtKey>> {
        let found = sqlx::query("SELECT key FROM extensions WHERE org_id = $1 AND key = ANY($2)")
            .bind(org.as_str())
            .bind(keys_of(keys))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(found
            .iter()
            .filter_map(|r| ExtKey::new(r.get::<i32, _>(0) as u32))
            .collect())
    }

    /// One statement over the rows as arrays: the upsert keeps the later `at` ('' is the
    /// device the reporter could not tell, so that it can be part of the primary key).
    pub(crate) async fn upsert_activity_impl(
        &mut self,
        org: &OrgId,
        rows: &[ActivityRow],
    ) -> Result<u64> {
        let keys: Vec<i32> = rows.iter().map(|a| a.extension.get() as i32).collect();
        let kinds: Vec<&str> = rows.iter().map(|a| a.kind.as_str()).collect();
        let devices: Vec<&str> = rows
            .iter()
            .map(|a| a.device.as_deref().unwrap_or(""))
            .collect();
        let ats: Vec<&str> = rows.iter().map(|a| a.at.as_str()).collect();
        let done = sqlx::query(
            "INSERT INTO activity (org_id, ext_key, kind, device, at)
             SELECT $1, k, t, d, a FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS u(k, t, d, a)
             ON CONFLICT (org_id, ext_key, kind, device) DO UPDATE SET at = excluded.at
             WHERE excluded.at > activity.at",
        )
        .bind(org.as_str())
        .bind(keys)
        .bind(kinds)
        .bind(devices)
        .bind(ats)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn activity_impl(
        &mut self,
        org: &OrgId,
        keys: Option<&[ExtKey]>,
    ) -> Result<Vec<ActivityRow>> {
        let found = match keys {
            None => {
                sqlx::query(
                    "SELECT ext_key, kind, device, at FROM activity WHERE org_id = $1
                 ORDER BY ext_key, kind, device",
                )
                .bind(org.as_str())
                .fetch_all(&mut *self.tx)
                .await
            }
            Some(keys) => {
                sqlx::query(
                    "SELECT ext_key, kind, device, at FROM activity
                 WHERE org_id = $1 AND ext_key = ANY($2) ORDER BY ext_key, kind, device",
                )
                .bind(org.as_str())
                .bind(keys_of(keys))
                .fetch_all(&mut *self.tx)
                .await
            }
        }
        .map_err(db)?;
        found.iter().map(activity_row).collect()
    }

    pub(crate) async fn allow_activity_reports_impl(
        &mut self,
        org: &OrgId,
        token: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE integration_tokens SET can_report_activity = TRUE WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(token)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn activity_reporters_impl(
        &mut self,
        org: &OrgId,
    ) -> Result<BTreeSet<String>> {
        let found = sqlx::query(
            "SELECT id FROM integration_tokens WHERE org_id = $1 AND can_report_activity",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(found.iter().map(|r| r.get(0)).collect())
    }

    /// One grouped read over the audit log (its org index narrows it to the organization).
    pub(crate) async fn extension_handovers_impl(
        &mut self,
        org: &OrgId,
        actions: &[&str],
    ) -> Result<Vec<(ExtKey, String)>> {
        let found = sqlx::query(
            "SELECT target, MAX(at) AS at FROM audit
             WHERE org_id = $1 AND target LIKE 'extension:%' AND action = ANY($2)
             GROUP BY target",
        )
        .bind(org.as_str())
        .bind(actions)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        // A target that is not an extension key is skipped: nothing to hand over.
        Ok(found
            .iter()
            .filter_map(|r| {
                let t: String = r.get("target");
                let at: String = r.get("at");
                Some((t.strip_prefix("extension:")?.parse().ok()?, at))
            })
            .collect())
    }
}

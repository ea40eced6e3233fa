//! Activity from the PBX and the contact center (product.md §14): the latest `at` per
//! extension, kind and device, kept by one set-based upsert per report, and the integration
//! tokens allowed to report it.

use std::collections::BTreeSet;

use seatline_domain::{ExtKey, OrgId};
use seatline_store::{ActivityRow, Result};

use crate::sql::{exec, heavy, json_list, rows, Get, MANY};
use crate::tx::SqliteTx;

/// The device as stored: '' for "the reporter could not tell", so that it can be part of
/// the primary key.
fn stored(device: &Option<String>) -> &str {
    device.as_deref().unwrap_or("")
}

fn activity_row(r: &rusqlite::Row<'_>) -> Result<ActivityRow> {
    let device: String = r.at(2)?;
    Ok(ActivityRow {
        extension: ExtKey::new(r.at(0)?).ok_or_else(|| {
            seatline_store::decode::corrupt("activity extension key", "out of range")
        })?,
        kind: r.at(1)?,
        device: (!device.is_empty()).then_some(device),
        at: r.at(3)?,
    })
}

impl SqliteTx {
    pub(crate) fn existing_keys_impl(
        &self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<BTreeSet<ExtKey>> {
        let found = rows(
            &self.conn,
            "SELECT key FROM extensions WHERE org_id = ? AND key IN (SELECT value FROM json_each(?))",
            (org.as_str(), json_list(keys.iter().map(|k| k.get()))),
            |r| r.at::<u32>(0),
        )?;
        Ok(found.into_iter().filter_map(ExtKey::new).collect())
    }

    /// One statement over the rows as a JSON array: SQLite's upsert keeps the later `at`.
    pub(crate) fn upsert_activity_impl(
        &mut self,
        org: &OrgId,
        list: &[ActivityRow],
    ) -> Result<u64> {
        let long = list.len() > MANY;
        self.long |= long;
        let json = serde_json::to_string(
            &list
                .iter()
                .map(|a| (a.extension.get(), &a.kind, stored(&a.device), &a.at))
                .collect::<Vec<_>>(),
        )
        .expect("rows serialize");
        let n = heavy(long, || {
            exec(
                &self.conn,
                "INSERT INTO activity (org_id, ext_key, kind, device, at)
                 SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?2) WHERE true
                 ON CONFLICT (org_id, ext_key, kind, device) DO UPDATE SET at = excluded.at
                 WHERE excluded.at > activity.at",
                (org.as_str(), json),
            )
        })?;
        Ok(n as u64)
    }

    pub(crate) fn activity_impl(
        &self,
        org: &OrgId,
        keys: Option<&[ExtKey]>,
    ) -> Result<Vec<ActivityRow>> {
        match keys {
            None => heavy(true, || {
                rows(
                    &self.conn,
                    "SELECT ext_key, kind, device, at FROM activity WHERE org_id = ?
                     ORDER BY ext_key, kind, device",
                    (org.as_str(),),
                    activity_row,
                )
            }),
            Some(keys) => rows(
                &self.conn,
                "SELECT ext_key, kind, device, at FROM activity
                 WHERE org_id = ? AND ext_key IN (SELECT value FROM json_each(?))
                 ORDER BY ext_key, kind, device",
                (org.as_str(), json_list(keys.iter().map(|k| k.get()))),
                activity_row,
            ),
        }
    }

    pub(crate) fn allow_activity_reports_impl(&self, org: &OrgId, token: &str) -> Result<()> {
        exec(
            &self.conn,
            "UPDATE integration_tokens SET can_report_activity = 1 WHERE org_id = ? AND id = ?",
            (org.as_str(), token),
        )?;
        Ok(())
    }

    pub(crate) fn activity_reporters_impl(&self, org: &OrgId) -> Result<BTreeSet<String>> {
        Ok(rows(
            &self.conn,
            "SELECT id FROM integration_tokens WHERE org_id = ? AND can_report_activity = 1",
            (org.as_str(),),
            |r| r.at(0),
        )?
        .into_iter()
        .collect())
    }

    /// One grouped read over the audit log (its org index narrows it to the organization).
    pub(crate) fn extension_handovers_impl(
        &self,
        org: &OrgId,
        actions: &[&str],
    ) -> Result<Vec<(ExtKey, String)>> {
        let found: Vec<(String, String)> = heavy(true, || {
            rows(
                &self.conn,
                "SELECT target, MAX(at) FROM audit
                 WHERE org_id = ? AND target LIKE 'extension:%'
                   AND action IN (SELECT value FROM json_each(?))
                 GROUP BY target",
                (org.as_str(), json_list(actions.iter().copied())),
                |r| Ok((r.at(0)?, r.at(1)?)),
            )
        })?;
        // A target that is not an extension key is skipped: nothing to hand over.
        Ok(found
            .into_iter()
            .filter_map(|(t, at)| Some((t.strip_prefix("extension:")?.parse().ok()?, at)))
            .collect())
    }
}

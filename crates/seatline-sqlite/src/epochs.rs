//! Feed epochs (issue 25): the SQL behind `Tx::feed_epoch`, `Tx::feed_epochs` and
//! `Tx::start_feed_epoch`. The arithmetic is the trait's; see migration 0011.

use seatline_domain::OrgId;
use seatline_store::{FeedEpoch, Result};

use crate::sql::{exec, row, rows, Get};
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn current_epoch(&self, org: &OrgId) -> Result<i64> {
        let epoch: Option<i64> = row(
            &self.conn,
            "SELECT feed_epoch FROM orgs WHERE id = ?",
            (org.as_str(),),
            |r| r.at(0),
        )?;
        // An organization this transaction is creating has no row yet: its first epoch.
        Ok(epoch.unwrap_or(0))
    }

    pub(crate) fn epochs(&self, org: &OrgId) -> Result<Vec<FeedEpoch>> {
        rows(
            &self.conn,
            "SELECT epoch, prior_head, started_at FROM feed_epochs WHERE org_id = ? ORDER BY epoch",
            (org.as_str(),),
            |r| {
                Ok(FeedEpoch {
                    epoch: r.at(0)?,
                    prior_head: r.at(1)?,
                    started_at: r.at(2)?,
                })
            },
        )
    }

    pub(crate) fn start_epoch(
        &mut self,
        org: &OrgId,
        at_least: i64,
        started_at: &str,
    ) -> Result<FeedEpoch> {
        let head: i64 = row(
            &self.conn,
            "SELECT event_seq FROM orgs WHERE id = ?",
            (org.as_str(),),
            |r| r.at(0),
        )?
        .ok_or_else(|| {
            seatline_store::StoreError::Db(format!("no organization {}", org.as_str()).into())
        })?;
        let epoch = at_least.max(head + 1);
        exec(
            &self.conn,
            "UPDATE orgs SET feed_epoch = ?2, event_seq = ?2 WHERE id = ?1",
            (org.as_str(), epoch),
        )?;
        exec(
            &self.conn,
            "INSERT INTO feed_epochs (org_id, epoch, prior_head, started_at) VALUES (?, ?, ?, ?)",
            (org.as_str(), epoch, head, started_at),
        )?;
        // The lock cached the counter: the next reservation starts the new epoch.
        self.next_seq = Some(epoch + 1);
        Ok(FeedEpoch {
            epoch,
            prior_head: head,
            started_at: started_at.to_owned(),
        })
    }
}

pub(crate) fn org_ids(conn: &rusqlite::Connection) -> Result<Vec<OrgId>> {
    rows(conn, "SELECT id FROM orgs ORDER BY id", (), |r| {
        Ok(OrgId(r.at(0)?))
    })
}

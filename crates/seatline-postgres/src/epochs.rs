//! Feed epochs (issue 25): the SQL behind `Tx::feed_epoch`, `Tx::feed_epochs` and
//! `Tx::start_feed_epoch`. The arithmetic is the trait's; see migration 0011.

use seatline_domain::OrgId;
use seatline_store::{FeedEpoch, Result, StoreError};
use sqlx::{PgPool, Row};

use crate::db;
use crate::tx::PgTx;

impl PgTx {
    pub(crate) async fn current_epoch(&mut self, org: &OrgId) -> Result<i64> {
        if let Some(epoch) = self.epoch {
            return Ok(epoch);
        }
        let epoch: Option<i64> = sqlx::query_scalar("SELECT feed_epoch FROM orgs WHERE id = $1")
            .bind(org.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        // An organization this transaction is creating has no row yet: its first epoch.
        Ok(epoch.unwrap_or(0))
    }

    pub(crate) async fn epochs(&mut self, org: &OrgId) -> Result<Vec<FeedEpoch>> {
        let rows = sqlx::query(
            "SELECT epoch, prior_head, started_at FROM feed_epochs WHERE org_id = $1 ORDER BY epoch",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| FeedEpoch {
                epoch: r.get(0),
                prior_head: r.get(1),
                started_at: r.get(2),
            })
            .collect())
    }

    pub(crate) async fn start_epoch(
        &mut self,
        org: &OrgId,
        at_least: i64,
        started_at: &str,
    ) -> Result<FeedEpoch> {
        // One statement: the counter as the lock holds it becomes the prior head.
        let row = sqlx::query(
            "WITH o AS (SELECT event_seq AS head, GREATEST($2::int8, event_seq + 1) AS epoch
                        FROM orgs WHERE id = $1),
                  moved AS (UPDATE orgs SET feed_epoch = o.epoch, event_seq = o.epoch
                            FROM o WHERE orgs.id = $1),
                  kept AS (INSERT INTO feed_epochs (org_id, epoch, prior_head, started_at)
                           SELECT $1, o.epoch, o.head, $3 FROM o)
             SELECT head, epoch FROM o",
        )
        .bind(org.as_str())
        .bind(at_least)
        .bind(started_at)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::Db(format!("no organization {}", org.as_str()).into()))?;
        let (prior_head, epoch): (i64, i64) = (row.get(0), row.get(1));
        // The lock cached the counter and the epoch: the next reservation starts the new one.
        self.next_seq = Some(epoch + 1);
        self.epoch = Some(epoch);
        Ok(FeedEpoch {
            epoch,
            prior_head,
            started_at: started_at.to_owned(),
        })
    }
}

pub(crate) async fn org_ids(pool: &PgPool) -> Result<Vec<OrgId>> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM orgs ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(db)?;
    Ok(ids.into_iter().map(OrgId).collect())
}

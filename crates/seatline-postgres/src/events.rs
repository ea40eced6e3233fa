//! The change feed's SQL (product.md §8): events appended under the org lock (arrays through
//! `UNNEST`, one round trip whatever the count), read after a cursor, pruned by age; extension
//! versions; LISTEN/NOTIFY so every process's long polls wake on a commit.

use seatline_domain::{ExtKey, OrgId};
use seatline_store::{decode, EventHorizon, EventQuery, EventRow, EventWakeups, NewEvent, Result};
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use crate::audit::{bind_audit, AUDITED};
use crate::sql::{db, pg_key};
use crate::tx::PgTx;

/// The channel announcing commits with events, with the organization's id as payload.
const CHANNEL: &str = "seatline_events";

impl PgTx {
    pub(crate) async fn reserve_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        let first = match self.next_seq {
            Some(next) => next,
            // Not under the org lock: read the counter locking the row until the end; an
            // organization this transaction is creating has no row yet and starts at 1.
            None => {
                let last: Option<i64> =
                    sqlx::query_scalar("SELECT event_seq FROM orgs WHERE id = $1 FOR UPDATE")
                        .bind(org.as_str())
                        .fetch_optional(&mut *self.tx)
                        .await
                        .map_err(db)?;
                last.unwrap_or(0) + 1
            }
        };
        self.next_seq = Some(first + i64::from(count));
        Ok(first)
    }

    /// The events, the versions of the extensions they name, the organization's counter and
    /// the notification in ONE statement: a write with events costs one round trip more than
    /// one without (data-modifying CTEs all run, whether or not the query reads them).
    pub(crate) async fn insert_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let col = |f: fn(&NewEvent) -> &str| events.iter().map(f).collect::<Vec<_>>();
        let seqs: Vec<i64> = events.iter().map(|e| e.row.seq).collect();
        // Events come in seq order, so the last one naming an extension sets its version.
        let mut versions = std::collections::BTreeMap::new();
        for e in events {
            if let Some(k) = e.extension {
                versions.insert(k, e.row.seq);
            }
        }
        // Those written with their rows already (an update of a row this transaction
        // inserted would re-run its foreign-key checks).
        versions.retain(|k, seq| self.written.get(k) != Some(seq));
        // The expectations were for these events: none outlives them.
        self.expected.clear();
        let (keys, versions): (Vec<i32>, Vec<i64>) =
            versions.into_iter().map(|(k, v)| (pg_key(k), v)).unzip();
        // The audit entries kept for this insert travel with it: one round trip for both.
        if self.audit.as_ref().is_some_and(|(o, _)| o != org) {
            self.flush_audit().await?;
        }
        let audit = self
            .audit
            .take()
            .map(|(_, entries)| entries)
            .unwrap_or_default();
        let sql = format!(
            "WITH {AUDITED}, appended AS (
                 INSERT INTO events (org_id, seq, id, type, at, subject, body)
                 SELECT $1, * FROM UNNEST($10::int8[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
             ), versioned AS (
                 UPDATE extensions e SET version = v.seq
                 FROM UNNEST($16::int4[], $17::int8[]) AS v(key, seq)
                 WHERE e.org_id = $1 AND e.key = v.key
             ), counted AS (
                 UPDATE orgs SET event_seq = $18 WHERE id = $1
             )
             SELECT 1"
        );
        bind_audit(sqlx::query(&sql), org, &audit)
            .bind(&seqs)
            .bind(col(|e| &e.row.id))
            .bind(col(|e| &e.row.kind))
            .bind(col(|e| &e.row.at))
            .bind(col(|e| &e.subject))
            .bind(col(|e| &e.row.body))
            .bind(&keys)
            .bind(&versions)
            .bind(last.row.seq)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn read_events(
        &mut self,
        org: &OrgId,
        q: &EventQuery,
    ) -> Result<Vec<EventRow>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT seq, id, type, at, body FROM events WHERE org_id = ",
        );
        qb.push_bind(org.as_str())
            .push(" AND seq > ")
            .push_bind(q.after);
        let (exact, prefixes) = q.type_filter();
        if !exact.is_empty() || !prefixes.is_empty() {
            let exact: Vec<String> = exact.into_iter().map(str::to_owned).collect();
            let prefixes: Vec<String> = prefixes.into_iter().map(str::to_owned).collect();
            qb.push(" AND (type = ANY(")
                .push_bind(exact)
                .push(") OR EXISTS (SELECT 1 FROM UNNEST(")
                .push_bind(prefixes)
                .push("::text[]) p WHERE left(type, length(p)) = p))");
        }
        qb.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| EventRow {
                seq: r.get(0),
                id: r.get(1),
                kind: r.get(2),
                at: r.get(3),
                body: r.get(4),
            })
            .collect())
    }

    pub(crate) async fn horizon(&mut self, org: &OrgId) -> Result<EventHorizon> {
        let row = sqlx::query(
            "SELECT event_seq, (SELECT min(seq) FROM events WHERE org_id = $1) FROM orgs WHERE id = $1",
        )
        .bind(org.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        let (last, oldest): (i64, Option<i64>) = row.map_or((0, None), |r| (r.get(0), r.get(1)));
        Ok(EventHorizon {
            oldest: oldest.unwrap_or(last + 1),
            last,
        })
    }

    pub(crate) async fn versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>> {
        let keys: Vec<i32> = keys.iter().map(|k| pg_key(*k)).collect();
        let rows = sqlx::query(
            "SELECT key, version FROM extensions WHERE org_id = $1 AND key = ANY($2) ORDER BY key",
        )
        .bind(org.as_str())
        .bind(&keys)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| Ok((decode::key(r.get::<i32, _>(0).into())?, r.get(1))))
            .collect()
    }
}

pub(crate) async fn prune(pool: &PgPool, before: &str) -> Result<u64> {
    // Each organization's feed loses the prefix before its first event stamped at or after
    // the cutoff (all of it when there is none): clocks of several processes may disagree a
    // little, and a hole in the middle of a feed would look like a gap to a consumer.
    let r = sqlx::query(
        "DELETE FROM events e
         USING (SELECT o.id, COALESCE(
                    (SELECT y.seq FROM events y WHERE y.org_id = o.id AND y.at >= $1
                     ORDER BY y.seq LIMIT 1),
                    o.event_seq + 1) AS first
                FROM orgs o) k
         WHERE e.org_id = k.id AND e.seq < k.first",
    )
    .bind(before)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(r.rows_affected())
}

/// LISTEN on the events channel and forward each notification until nobody receives them.
/// The listener reconnects by itself after a lost connection; wake-ups missed meanwhile are
/// covered by the readers' slow poll.
/// Announce committed events of `org` to every process LISTENing (see `Store::announce_events`).
pub(crate) async fn announce(pool: &PgPool, org: &OrgId) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(org.as_str())
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn listen(pool: &PgPool) -> Result<EventWakeups> {
    let mut listener = PgListener::connect_with(pool).await.map_err(db)?;
    listener.listen(CHANNEL).await.map_err(db)?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if tx.send(OrgId(n.payload().to_owned())).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event listener lost its connection; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    if tx.is_closed() {
                        return;
                    }
                }
            }
        }
    });
    Ok(rx)
}

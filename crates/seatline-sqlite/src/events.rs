//! The change feed's SQL (product.md §8): events appended under the org lock, read after a
//! cursor, pruned by age; extension versions; integration tokens.

use seatline_domain::{ExtKey, OrgId};
use seatline_store::{
    decode, EventHorizon, EventQuery, EventRow, IntegrationTokenRow, NewEvent, Result,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::{db, SqliteTx, BATCH};

/// Event rows bind 7 parameters each.
const EVENT_BATCH: usize = 4_000;

impl SqliteTx {
    pub(crate) async fn reserve_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        let last: i64 = sqlx::query_scalar(
            "UPDATE orgs SET event_seq = event_seq + ?2 WHERE id = ?1 RETURNING event_seq",
        )
        .bind(org.as_str())
        .bind(i64::from(count))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(last - i64::from(count) + 1)
    }

    pub(crate) async fn insert_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        for chunk in events.chunks(EVENT_BATCH) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (org_id, seq, id, type, at, subject, body) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(org.as_str())
                    .push_bind(e.row.seq)
                    .push_bind(&e.row.id)
                    .push_bind(&e.row.kind)
                    .push_bind(&e.row.at)
                    .push_bind(&e.subject)
                    .push_bind(&e.row.body);
            });
            qb.build().execute(&mut *self.tx).await.map_err(db)?;
        }
        // Events come in seq order, so the last one naming an extension sets its version.
        let mut versions = std::collections::BTreeMap::new();
        for e in events {
            if let Some(k) = e.extension {
                versions.insert(k.get(), e.row.seq);
            }
        }
        let versions: Vec<(u32, i64)> = versions.into_iter().collect();
        for chunk in versions.chunks(BATCH) {
            let mut qb = QueryBuilder::<Sqlite>::new("WITH v(key, seq) AS (");
            qb.push_values(chunk, |mut b, (k, seq)| {
                b.push_bind(*k).push_bind(*seq);
            });
            qb.push(") UPDATE extensions SET version = v.seq FROM v WHERE extensions.org_id = ")
                .push_bind(org.as_str())
                .push(" AND extensions.key = v.key");
            qb.build().execute(&mut *self.tx).await.map_err(db)?;
        }
        Ok(())
    }

    pub(crate) async fn read_events(
        &mut self,
        org: &OrgId,
        q: &EventQuery,
    ) -> Result<Vec<EventRow>> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT seq, id, type, at, body FROM events WHERE org_id = ",
        );
        qb.push_bind(org.as_str())
            .push(" AND seq > ")
            .push_bind(q.after);
        let (exact, prefixes) = q.type_filter();
        if !exact.is_empty() || !prefixes.is_empty() {
            qb.push(" AND (0");
            for t in exact {
                qb.push(" OR type = ").push_bind(t);
            }
            for p in prefixes {
                qb.push(" OR substr(type, 1, ")
                    .push_bind(p.len() as i64)
                    .push(") = ")
                    .push_bind(p);
            }
            qb.push(")");
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
            "SELECT event_seq, (SELECT min(seq) FROM events WHERE org_id = ?1) FROM orgs WHERE id = ?1",
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
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH) {
            let listed = serde_json::to_string(&chunk.iter().map(|k| k.get()).collect::<Vec<_>>())
                .expect("keys serialize");
            let rows = sqlx::query(
                "SELECT key, version FROM extensions
                 WHERE org_id = ? AND key IN (SELECT value FROM json_each(?)) ORDER BY key",
            )
            .bind(org.as_str())
            .bind(listed)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
            for r in rows {
                out.push((decode::key(r.get(0))?, r.get(1)));
            }
        }
        Ok(out)
    }

    pub(crate) async fn insert_integration(&mut self, t: &IntegrationTokenRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO integration_tokens (id, org_id, name, hash, created_at, revoked)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
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

    pub(crate) async fn integrations(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>> {
        let rows = sqlx::query(
            "SELECT id, org_id, name, hash, created_at, revoked FROM integration_tokens
             WHERE org_id = ? ORDER BY created_at, id",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(rows.iter().map(integration_row).collect())
    }

    pub(crate) async fn revoke_integration(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE integration_tokens SET revoked = 1 WHERE org_id = ? AND id = ?")
                .bind(org.as_str())
                .bind(id)
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}

pub(crate) async fn integration_token(
    pool: &SqlitePool,
    hash: &str,
) -> Result<Option<IntegrationTokenRow>> {
    let row = sqlx::query(
        "SELECT id, org_id, name, hash, created_at, revoked FROM integration_tokens WHERE hash = ?",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.as_ref().map(integration_row))
}

pub(crate) async fn prune(pool: &SqlitePool, before: &str) -> Result<u64> {
    // Each organization's feed loses the prefix before its first event stamped at or after
    // the cutoff (all of it when there is none): clocks of several processes may disagree a
    // little, and a hole in the middle of a feed would look like a gap to a consumer.
    let firsts = sqlx::query(
        "SELECT o.id, COALESCE(
             (SELECT y.seq FROM events y WHERE y.org_id = o.id AND y.at >= ?1 ORDER BY y.seq LIMIT 1),
             o.event_seq + 1)
         FROM orgs o",
    )
    .bind(before)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut pruned = 0;
    for r in firsts {
        let done = sqlx::query("DELETE FROM events WHERE org_id = ? AND seq < ?")
            .bind(r.get::<&str, _>(0))
            .bind(r.get::<i64, _>(1))
            .execute(pool)
            .await
            .map_err(db)?;
        pruned += done.rows_affected();
    }
    Ok(pruned)
}

fn integration_row(r: &sqlx::sqlite::SqliteRow) -> IntegrationTokenRow {
    IntegrationTokenRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        name: r.get(2),
        hash: r.get(3),
        created_at: r.get(4),
        revoked: r.get(5),
    }
}

//! The change feed's SQL (product.md §8): events appended under the org lock, read after a
//! cursor, pruned by age; extension versions.

use rusqlite::Connection;
use seatline_domain::{ExtKey, OrgId};
use seatline_store::{decode, EventHorizon, EventQuery, EventRow, NewEvent, Result};

use crate::sql::{db, exec, json_list, row, rows, Get, Sql};
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn reserve_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        let first = match self.next_seq {
            Some(next) => next,
            // Not under the org lock (a write transaction holds SQLite's lock anyway); an
            // organization this transaction is creating has no row yet and starts at 1.
            None => {
                let last: Option<i64> = row(
                    &self.conn,
                    "SELECT event_seq FROM orgs WHERE id = ?",
                    (org.as_str(),),
                    |r| r.at(0),
                )?;
                last.unwrap_or(0) + 1
            }
        };
        self.next_seq = Some(first + i64::from(count));
        Ok(first)
    }

    pub(crate) fn insert_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO events (org_id, seq, id, type, at, subject, body)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .map_err(db)?;
        for e in events {
            st.execute((
                org.as_str(),
                e.row.seq,
                &e.row.id,
                &e.row.kind,
                &e.row.at,
                &e.subject,
                &e.row.body,
            ))
            .map_err(db)?;
        }
        drop(st);
        exec(
            &self.conn,
            "UPDATE orgs SET event_seq = ?2 WHERE id = ?1",
            (org.as_str(), last.row.seq),
        )?;
        // Events come in seq order, so the last one naming an extension sets its version;
        // not those written with their rows already.
        let mut versions = std::collections::BTreeMap::new();
        for e in events {
            if let Some(k) = e.extension {
                versions.insert(k, e.row.seq);
            }
        }
        let written = std::mem::take(&mut self.versions.written);
        // The expectations were for these events: none outlives them.
        self.versions.expected.clear();
        let mut st = self
            .conn
            .prepare_cached("UPDATE extensions SET version = ?3 WHERE org_id = ?1 AND key = ?2")
            .map_err(db)?;
        for (key, seq) in versions {
            if written.get(&key) != Some(&seq) {
                st.execute((org.as_str(), key.get(), seq)).map_err(db)?;
            }
        }
        Ok(())
    }

    pub(crate) fn read_events(&self, org: &OrgId, q: &EventQuery) -> Result<Vec<EventRow>> {
        let mut sql = Sql::new("SELECT seq, id, type, at, body FROM events WHERE org_id = ");
        sql.bind(org.as_str()).push(" AND seq > ").bind(q.after);
        let (exact, prefixes) = q.type_filter();
        if !exact.is_empty() || !prefixes.is_empty() {
            sql.push(" AND (0");
            for t in exact {
                sql.push(" OR type = ").bind(t);
            }
            for p in prefixes {
                sql.push(" OR substr(type, 1, ")
                    .bind(p.len() as i64)
                    .push(") = ")
                    .bind(p);
            }
            sql.push(")");
        }
        sql.push(" ORDER BY seq LIMIT ").bind(i64::from(q.limit));
        sql.rows(&self.conn, |r| {
            Ok(EventRow {
                seq: r.at(0)?,
                id: r.at(1)?,
                kind: r.at(2)?,
                at: r.at(3)?,
                body: r.at(4)?,
            })
        })
    }

    pub(crate) fn horizon(&self, org: &OrgId) -> Result<EventHorizon> {
        let found = row(
            &self.conn,
            "SELECT event_seq, (SELECT min(seq) FROM events WHERE org_id = ?1) FROM orgs WHERE id = ?1",
            (org.as_str(),),
            |r| Ok((r.at::<i64>(0)?, r.at::<Option<i64>>(1)?)),
        )?;
        let (last, oldest) = found.unwrap_or((0, None));
        Ok(EventHorizon {
            oldest: oldest.unwrap_or(last + 1),
            last,
        })
    }

    pub(crate) fn versions(&self, org: &OrgId, keys: &[ExtKey]) -> Result<Vec<(ExtKey, i64)>> {
        rows(
            &self.conn,
            "SELECT key, version FROM extensions
             WHERE org_id = ? AND key IN (SELECT value FROM json_each(?)) ORDER BY key",
            (org.as_str(), json_list(keys.iter().map(|k| k.get()))),
            |r| Ok((decode::key(r.at(0)?)?, r.at(1)?)),
        )
    }
}

pub(crate) fn prune(conn: &Connection, before: &str) -> Result<u64> {
    // Each organization's feed loses the prefix before its first event stamped at or after
    // the cutoff (all of it when there is none): clocks of several processes may disagree a
    // little, and a hole in the middle of a feed would look like a gap to a consumer.
    let firsts = rows(
        conn,
        "SELECT o.id, COALESCE(
             (SELECT y.seq FROM events y WHERE y.org_id = o.id AND y.at >= ?1 ORDER BY y.seq LIMIT 1),
             o.event_seq + 1)
         FROM orgs o",
        (before,),
        |r| Ok((r.at::<String>(0)?, r.at::<i64>(1)?)),
    )?;
    let mut pruned = 0;
    for (org, first) in firsts {
        pruned += exec(
            conn,
            "DELETE FROM events WHERE org_id = ? AND seq < ?",
            (org, first),
        )? as u64;
    }
    Ok(pruned)
}

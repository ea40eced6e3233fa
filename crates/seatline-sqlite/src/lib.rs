//! The SQLite backend, Seatline's embedded default: one file, WAL, foreign keys on.
//!
//! Write transactions start with `UPDATE orgs SET version = version + 1`, which takes
//! SQLite's single write lock at once (other writers wait on the busy timeout), so the
//! state a use case reads inside [`Store::lock`] cannot change before it commits.

mod entitlements;
mod events;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use seatline_domain::{
    Change, Code, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, E164,
};
use seatline_store::{
    AuditEntry, AuditQuery, Credentials, ExtensionQuery, IdempotencyRow, PasswordReset, PlanRow,
    Result, ScimMember, ScimQuery, ScimTokenRow, Snapshot, Store, StoreError, TokenRow, Tx,
};
use seatline_store::{
    EventHorizon, EventQuery, EventRow, EventWakeups, IntegrationTokenRow, NewEvent,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use seatline_store::decode::{self, KeyedParts};
use seatline_store::{DeliveryOutcome, DeliveryQuery, DeliveryRow, WebhookRow};
use seatline_store::{EntitlementSources, MemberRef};

mod webhooks;

mod scim;

mod lifecycle;
mod passwords;
mod teams;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Rows per multi-row INSERT: stays under SQLite's 32,766 bound parameters.
pub(crate) const BATCH: usize = 5_000;

/// Rows per page when a snapshot reads members and numbers.
const SNAPSHOT_PAGE: u32 = 10_000;
/// Audit rows bind 9 parameters each, so fewer fit in one INSERT.
const AUDIT_BATCH: usize = 3_500;

pub struct SqliteStore {
    pool: SqlitePool,
    /// Held by every write transaction of this process, in arrival order. SQLite lets one
    /// writer in at a time; without this queue the others wait in its busy handler, which
    /// sleeps and retries (up to 100 ms a try), so a write that lost one race could wait
    /// hundreds of milliseconds while the lock sat free (issues 10 and 15).
    writer: Arc<Mutex<()>>,
}

impl SqliteStore {
    /// Open (creating if missing) the database at a `sqlite:` URL or a plain path.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .or_else(|_| SqliteConnectOptions::from_str(&format!("sqlite://{url}")))
            .map_err(db)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(db)?;
        Ok(SqliteStore {
            pool,
            writer: Arc::new(Mutex::new(())),
        })
    }
}

struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    /// A write transaction's turn (see `SqliteStore::writer`), released after `tx` ends:
    /// fields drop in order.
    _writer: Option<OwnedMutexGuard<()>>,
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(db)
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)
            .map(|_| ())
    }

    async fn entitlement_sources(
        &self,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<Option<EntitlementSources>> {
        entitlements::read(&self.pool, org, member).await
    }

    async fn password_reset(&self, hash: &str) -> Result<Option<PasswordReset>> {
        passwords::reset(&self.pool, hash).await
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx {
            tx: self.pool.begin().await.map_err(db)?,
            _writer: None,
        }))
    }

    async fn begin_write(&self) -> Result<Box<dyn Tx>> {
        let turn = self.writer.clone().lock_owned().await;
        Ok(Box::new(SqliteTx {
            tx: self.pool.begin().await.map_err(db)?,
            _writer: Some(turn),
        }))
    }

    async fn lock(&self, org: &OrgId) -> Result<Option<Box<dyn Tx>>> {
        let turn = self.writer.clone().lock_owned().await;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let bumped = sqlx::query("UPDATE orgs SET version = version + 1 WHERE id = ?")
            .bind(org.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        Ok((bumped.rows_affected() == 1).then(|| {
            Box::new(SqliteTx {
                tx,
                _writer: Some(turn),
            }) as Box<dyn Tx>
        }))
    }

    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>> {
        let row = sqlx::query(
            "SELECT t.id, t.org_id, t.member_id, t.hash, t.created_at, t.revoked,
                    m.id, m.email, m.name, m.role, m.status
             FROM tokens t JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
             WHERE t.hash = ?",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            let m = decode::member(r.get(6), r.get(7), r.get(8), r.get(9), r.get(10))?;
            Ok((token_row(&r)?, m))
        })
        .transpose()
    }

    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
        let row = sqlx::query(
            "SELECT scope, key, request_hash, status, body, created_at FROM idempotency WHERE scope = ? AND key = ?",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(row.map(|r| IdempotencyRow {
            scope: r.get(0),
            key: r.get(1),
            request_hash: r.get(2),
            status: r.get::<i64, _>(3) as u16,
            body: r.get(4),
            created_at: r.get(5),
        }))
    }

    async fn idempotency_claim(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        at: &str,
        stale_before: &str,
    ) -> Result<bool> {
        // One statement, so the primary key decides between concurrent claimers; a
        // conflicting pending row of the same request is taken over only once it is stale.
        let r = sqlx::query(
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
             VALUES (?, ?, ?, 0, '', ?)
             ON CONFLICT (scope, key) DO UPDATE SET created_at = excluded.created_at
             WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash
               AND idempotency.created_at < ?",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(at)
        .bind(stale_before)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn idempotency_complete(&self, row: &IdempotencyRow) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE idempotency SET status = ?, body = ?
             WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?
               AND request_hash = ?",
        )
        .bind(i64::from(row.status))
        .bind(&row.body)
        .bind(&row.scope)
        .bind(&row.key)
        .bind(&row.created_at)
        .bind(&row.request_hash)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn idempotency_release(&self, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency
             WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?",
        )
        .bind(scope)
        .bind(key)
        .bind(claimed_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn credentials_by_email(&self, email: &Email) -> Result<Vec<Credentials>> {
        let rows = sqlx::query(
            "SELECT id, email, name, role, status, org_id, password_hash FROM members WHERE email = ? ORDER BY org_id",
        )
        .bind(email.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Credentials {
                    member: member_row(r)?,
                    org: OrgId(r.get(5)),
                    password_hash: r.get(6),
                })
            })
            .collect()
    }

    async fn idempotency_prune(&self, before: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM idempotency WHERE created_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(r.rows_affected())
    }

    async fn lifecycle_candidates(&self, today: &str) -> Result<Vec<OrgId>> {
        lifecycle::candidates(&self.pool, today).await
    }

    async fn scim_token(&self, hash: &str) -> Result<Option<ScimTokenRow>> {
        scim::token(&self.pool, hash).await
    }

    async fn enabled_webhooks(&self) -> Result<Vec<WebhookRow>> {
        webhooks::enabled_webhooks(&self.pool).await
    }

    async fn claim_deliveries(
        &self,
        now: &str,
        claim: &str,
        until: &str,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>> {
        let _turn = self.writer.lock().await;
        webhooks::claim_deliveries(&self.pool, now, claim, until, limit).await
    }

    async fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<bool>> {
        let _turn = self.writer.lock().await;
        webhooks::finish_deliveries(&self.pool, outcomes).await
    }

    // ---- the change feed: SQL in events.rs ----
    async fn integration_token(&self, hash: &str) -> Result<Option<IntegrationTokenRow>> {
        events::integration_token(&self.pool, hash).await
    }

    async fn events_prune(&self, before: &str) -> Result<u64> {
        events::prune(&self.pool, before).await
    }

    async fn listen_events(&self) -> Result<Option<EventWakeups>> {
        // SQLite cannot push: readers in other processes poll.
        Ok(None)
    }
}

impl SqliteTx {
    /// Add-ons and numbers of the extensions with keys in `lo..=hi`.
    /// Add-ons and numbers of the extensions with these keys (sorted), in one round trip: a
    /// row with a number is a number, else an add-on. A dense run of keys is read as a range;
    /// a sparse one (a filtered page) also names its keys, so the rest of the range is not read.
    async fn parts(&mut self, org: &OrgId, keys: &[i64]) -> Result<KeyedParts> {
        let (lo, hi) = (keys[0], keys[keys.len() - 1]);
        let sparse = (hi - lo + 1) as usize > 4 * keys.len();
        let listed = sparse.then(|| serde_json::to_string(keys).expect("keys serialize"));
        let mut rows = sqlx::query(
            "SELECT ext_key, code, copies, NULL AS number FROM extension_addons
             WHERE org_id = ?1 AND ext_key BETWEEN ?2 AND ?3
               AND (?4 IS NULL OR ext_key IN (SELECT value FROM json_each(?4)))
             UNION ALL
             SELECT ext_key, NULL, NULL, number FROM numbers
             WHERE org_id = ?1 AND ext_key BETWEEN ?2 AND ?3
               AND (?4 IS NULL OR ext_key IN (SELECT value FROM json_each(?4)))
             ORDER BY number",
        )
        .bind(org.as_str())
        .bind(lo)
        .bind(hi)
        .bind(listed)
        // Streamed: a whole organization's add-on and number rows held at once as raw rows
        // cost more than the extensions they complete (reports and exports read them all).
        .fetch(&mut *self.tx);
        let mut parts = KeyedParts::default();
        while let Some(r) = rows.try_next().await.map_err(db)? {
            match r.get::<Option<&str>, _>(3) {
                Some(number) => parts.add_number(r.get(0), number)?,
                None => parts.add_addon(r.get(0), r.get(1), r.get(2))?,
            }
        }
        Ok(parts)
    }

    /// Extensions from rows of (key, member_id) ordered by key, completed with their add-ons
    /// and numbers.
    async fn complete(
        &mut self,
        org: &OrgId,
        rows: Vec<(i64, Option<String>)>,
    ) -> Result<Vec<Extension>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut parts = self.parts(org, &keys).await?;
        rows.into_iter()
            .map(|(k, m)| parts.extension(k, m))
            .collect()
    }

    async fn set_numbers(&mut self, org: &OrgId, key: ExtKey, numbers: &[E164]) -> Result<()> {
        sqlx::query("UPDATE numbers SET ext_key = NULL WHERE org_id = ? AND ext_key = ?")
            .bind(org.as_str())
            .bind(key.get())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        self.attach(org, &numbers.iter().map(|n| (key, n)).collect::<Vec<_>>())
            .await
    }

    /// Attach free inventory numbers; a number missing or taken is a constraint violation.
    async fn attach(&mut self, org: &OrgId, pairs: &[(ExtKey, &E164)]) -> Result<()> {
        for chunk in pairs.chunks(BATCH) {
            // One UPDATE ... FROM per chunk, driven by the VALUES and joining on the primary
            // key: no per-number round trip. The unary `+` keeps the planner off the
            // (org_id, ext_key) index, from which it would scan the VALUES once per free number.
            let mut qb = QueryBuilder::<Sqlite>::new("WITH v(number, ext_key) AS (");
            qb.push_values(chunk, |mut b, (k, n)| {
                b.push_bind(n.as_str()).push_bind(k.get());
            });
            qb.push(") UPDATE numbers SET ext_key = v.ext_key FROM v WHERE numbers.org_id = ")
                .push_bind(org.as_str())
                .push(" AND +numbers.ext_key IS NULL AND numbers.number = v.number");
            let done = qb.build().execute(&mut *self.tx).await.map_err(db)?;
            if done.rows_affected() as usize != chunk.len() {
                return Err(StoreError::Constraint(
                    "a number to attach is not free in the inventory".into(),
                ));
            }
        }
        Ok(())
    }

    async fn insert_addons(&mut self, org: &OrgId, rows: &[(ExtKey, Code, u32)]) -> Result<()> {
        for chunk in rows.chunks(BATCH) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO extension_addons (org_id, ext_key, code, copies) ",
            );
            qb.push_values(chunk, |mut b, (k, c, n)| {
                b.push_bind(org.as_str())
                    .push_bind(k.get())
                    .push_bind(c.as_str())
                    .push_bind(*n);
            });
            qb.build().execute(&mut *self.tx).await.map_err(db)?;
        }
        Ok(())
    }

    async fn insert_extensions(&mut self, org: &OrgId, exts: &[Extension]) -> Result<()> {
        for chunk in exts.chunks(BATCH) {
            let mut qb =
                QueryBuilder::<Sqlite>::new("INSERT INTO extensions (org_id, key, member_id) ");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(org.as_str())
                    .push_bind(e.key.get())
                    .push_bind(e.member.as_ref().map(|m| m.as_str()));
            });
            qb.build().execute(&mut *self.tx).await.map_err(db)?;
        }
        let addons: Vec<_> = exts
            .iter()
            .flat_map(|e| e.addons.iter().map(|(c, n)| (e.key, c, n)))
            .collect();
        self.insert_addons(org, &addons).await?;
        let numbers: Vec<_> = exts
            .iter()
            .flat_map(|e| e.numbers.iter().map(|n| (e.key, n)))
            .collect();
        self.attach(org, &numbers).await
    }

    async fn exec(&mut self, sql: &str, org: &OrgId, args: &[&str]) -> Result<u64> {
        let mut q = sqlx::query(sql).bind(org.as_str());
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.execute(&mut *self.tx).await.map_err(db)?.rows_affected())
    }
}

#[async_trait]
impl Tx for SqliteTx {
    async fn org(&mut self, org: &OrgId) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT id, name, created_at FROM orgs WHERE id = ?")
            .bind(org.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(row.map(|r| Org {
            id: OrgId(r.get(0)),
            name: r.get(1),
            created_at: r.get(2),
        }))
    }

    async fn member(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<Member>> {
        let row = sqlx::query(
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND id = ?",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        row.map(|r| member_row(&r)).transpose()
    }

    async fn member_by_email(&mut self, org: &OrgId, email: &Email) -> Result<Option<Member>> {
        let row = sqlx::query(
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND email = ?",
        )
        .bind(org.as_str())
        .bind(email.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        row.map(|r| member_row(&r)).transpose()
    }

    async fn members(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND email > ? ORDER BY email LIMIT ?",
        )
        .bind(org.as_str())
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(member_row).collect()
    }

    async fn members_by_id(&mut self, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "SELECT id, email, name, role, status FROM members WHERE org_id = ",
            );
            qb.push_bind(org.as_str()).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            qb.push(")");
            let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
            for r in &rows {
                found.push(member_row(r)?);
            }
        }
        found.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(found)
    }

    async fn extension(&mut self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>> {
        let row = sqlx::query("SELECT key, member_id FROM extensions WHERE org_id = ? AND key = ?")
            .bind(org.as_str())
            .bind(key.get())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        let rows: Vec<(i64, Option<String>)> =
            row.map(|r| (r.get(0), r.get(1))).into_iter().collect();
        Ok(self.complete(org, rows).await?.pop())
    }

    async fn extension_of(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Extension>> {
        let row =
            sqlx::query("SELECT key, member_id FROM extensions WHERE org_id = ? AND member_id = ?")
                .bind(org.as_str())
                .bind(member.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        let rows: Vec<(i64, Option<String>)> =
            row.map(|r| (r.get(0), r.get(1))).into_iter().collect();
        Ok(self.complete(org, rows).await?.pop())
    }

    async fn extensions(&mut self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>> {
        let mut qb =
            QueryBuilder::<Sqlite>::new("SELECT key, member_id FROM extensions e WHERE org_id = ");
        qb.push_bind(org.as_str());
        if let Some(after) = q.after {
            qb.push(" AND key > ").push_bind(after);
        }
        if !q.members.is_empty() {
            qb.push(" AND member_id IN (");
            let mut ids = qb.separated(", ");
            for m in &q.members {
                ids.push_bind(m.as_str());
            }
            qb.push(")");
        }
        if q.unassigned {
            qb.push(" AND member_id IS NULL");
        }
        if let Some(code) = q.addon {
            qb.push(" AND EXISTS (SELECT 1 FROM extension_addons a WHERE a.org_id = e.org_id AND a.ext_key = e.key AND a.code = ")
                .push_bind(code.as_str())
                .push(")");
        }
        if let Some(p) = &q.key_prefix {
            qb.push(" AND CAST(key AS TEXT) LIKE ")
                .push_bind(format!("{}%", p.replace(['%', '_'], "")));
        }
        if let Some(teams) = &q.teams {
            qb.push(" AND (member_id IS NULL OR member_id IN (");
            teams::push_team_members(&mut qb, org, teams);
            qb.push("))");
        }
        qb.push(" ORDER BY key LIMIT ").push_bind(q.limit);
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        let rows = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        self.complete(org, rows).await
    }

    async fn taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>> {
        let rows = sqlx::query("SELECT key FROM extensions WHERE org_id = ?")
            .bind(org.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get::<i64, _>(0) as u32).collect())
    }

    async fn seats(&mut self, org: &OrgId) -> Result<Seats> {
        let rows = sqlx::query(
            "SELECT code, quantity, 0, state FROM subscriptions WHERE org_id = ?1
             UNION ALL SELECT code, 0, SUM(copies), NULL FROM extension_addons WHERE org_id = ?1 GROUP BY code
             UNION ALL SELECT 'phone_system', 0, COUNT(*), NULL FROM extensions WHERE org_id = ?1
             UNION ALL SELECT 'assigned', 0, COUNT(member_id), NULL FROM extensions WHERE org_id = ?1",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        decode::seats(rows.iter().map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<i64, _>(1),
                r.get::<i64, _>(2),
                r.get::<Option<String>, _>(3),
            )
        }))
    }

    async fn number(&mut self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>> {
        let row =
            sqlx::query("SELECT number, ext_key FROM numbers WHERE org_id = ? AND number = ?")
                .bind(org.as_str())
                .bind(number.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        row.map(|r| decode::number(r.get(0), r.get(1))).transpose()
    }

    async fn numbers(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<NumberRow>> {
        let rows =
            sqlx::query("SELECT number, ext_key FROM numbers WHERE org_id = ? AND number > ? ORDER BY number LIMIT ?")
                .bind(org.as_str())
                .bind(after.unwrap_or(""))
                .bind(limit)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db)?;
        rows.iter()
            .map(|r| decode::number(r.get(0), r.get(1)))
            .collect()
    }

    async fn snapshot(&mut self, org: &OrgId) -> Result<Snapshot> {
        // Members and numbers are read a page at a time: a whole result set of raw rows
        // would hold every value twice (about 80 MB for 100,000 members).
        let mut members: Vec<Member> = Vec::new();
        loop {
            let after = members.last().map(|m| m.email.as_str().to_owned());
            let page = self.members(org, after.as_deref(), SNAPSHOT_PAGE).await?;
            let done = page.len() < SNAPSHOT_PAGE as usize;
            members.extend(page);
            if done {
                break;
            }
        }
        let ext_rows =
            sqlx::query("SELECT key, member_id FROM extensions WHERE org_id = ? ORDER BY key")
                .bind(org.as_str())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db)?;
        let ext_rows = ext_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let extensions = self.complete(org, ext_rows).await?;
        let mut numbers: Vec<NumberRow> = Vec::new();
        loop {
            let after = numbers.last().map(|n| n.number.as_str().to_owned());
            let page = self.numbers(org, after.as_deref(), SNAPSHOT_PAGE).await?;
            let done = page.len() < SNAPSHOT_PAGE as usize;
            numbers.extend(page);
            if done {
                break;
            }
        }
        let seats = self.seats(org).await?;
        Ok(Snapshot {
            members,
            extensions,
            numbers,
            seats,
        })
    }

    async fn apply(&mut self, org: &OrgId, changes: &[Change]) -> Result<()> {
        for change in changes {
            match change {
                Change::InsertOrg(o) => {
                    sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)")
                        .bind(o.id.as_str())
                        .bind(&o.name)
                        .bind(&o.created_at)
                        .execute(&mut *self.tx)
                        .await
                        .map_err(db)?;
                }
                Change::SetPurchased { code, quantity } => {
                    sqlx::query(
                        "INSERT INTO subscriptions (org_id, code, quantity) VALUES (?, ?, ?)
                         ON CONFLICT (org_id, code) DO UPDATE SET quantity = excluded.quantity",
                    )
                    .bind(org.as_str())
                    .bind(code.as_str())
                    .bind(*quantity)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
                }
                Change::InsertNumber(n) => {
                    self.exec(
                        "INSERT INTO numbers (org_id, number) VALUES (?, ?)",
                        org,
                        &[n.as_str()],
                    )
                    .await?;
                }
                Change::DeleteNumber(n) => {
                    self.exec(
                        "DELETE FROM numbers WHERE org_id = ? AND number = ?",
                        org,
                        &[n.as_str()],
                    )
                    .await?;
                }
                Change::InsertMember(m) => {
                    let args = [
                        m.id.as_str(),
                        m.email.as_str(),
                        &m.name,
                        m.role.as_str(),
                        m.status.as_str(),
                    ];
                    self.exec(
                        "INSERT INTO members (org_id, id, email, name, role, status) VALUES (?, ?, ?, ?, ?, ?)",
                        org,
                        &args,
                    )
                    .await?;
                }
                Change::UpdateMember(m) => {
                    let args = [
                        m.email.as_str(),
                        &m.name,
                        m.role.as_str(),
                        m.status.as_str(),
                        m.id.as_str(),
                    ];
                    // The owner role moves by transfer: demote first so one owner holds at all times.
                    self.exec(
                        "UPDATE members SET email = ?2, name = ?3, role = ?4, status = ?5 WHERE org_id = ?1 AND id = ?6",
                        org,
                        &args,
                    )
                    .await?;
                }
                Change::DeleteMember(id) => {
                    self.exec(
                        "DELETE FROM members WHERE org_id = ? AND id = ?",
                        org,
                        &[id.as_str()],
                    )
                    .await?;
                }
                Change::InsertExtensions(exts) => self.insert_extensions(org, exts).await?,
                Change::DeleteExtension(key) => {
                    let k = key.to_string();
                    self.exec(
                        "UPDATE numbers SET ext_key = NULL WHERE org_id = ? AND ext_key = ?",
                        org,
                        &[&k],
                    )
                    .await?;
                    self.exec(
                        "DELETE FROM extensions WHERE org_id = ? AND key = ?",
                        org,
                        &[&k],
                    )
                    .await?;
                }
                Change::SetExtensionMember { key, member } => {
                    sqlx::query("UPDATE extensions SET member_id = ? WHERE org_id = ? AND key = ?")
                        .bind(member.as_ref().map(|m| m.as_str()))
                        .bind(org.as_str())
                        .bind(key.get())
                        .execute(&mut *self.tx)
                        .await
                        .map_err(db)?;
                }
                Change::SetAddons { key, addons } => {
                    let k = key.to_string();
                    self.exec(
                        "DELETE FROM extension_addons WHERE org_id = ? AND ext_key = ?",
                        org,
                        &[&k],
                    )
                    .await?;
                    let rows: Vec<_> = addons.iter().map(|(c, n)| (*key, c, n)).collect();
                    self.insert_addons(org, &rows).await?;
                }
                Change::SetNumbers { key, numbers } => self.set_numbers(org, *key, numbers).await?,
                Change::SetSubscription(s) => self.write_subscription(org, s).await?,
                Change::SetScimFields {
                    member,
                    external_id,
                    modified_at,
                } => {
                    self.set_scim_fields(org, member, external_id.as_deref(), modified_at)
                        .await?
                }
                Change::InsertTeam(t) => self.insert_team(org, t).await?,
                Change::UpdateTeam(t) => self.update_team(org, t).await?,
                Change::DeleteTeam(id) => self.delete_team(org, id).await?,
                Change::SetTeamMembers { team, members } => {
                    self.set_team_members(org, team, members).await?
                }
                Change::SetScope { member, teams } => {
                    self.set_scope(org, member, teams.as_deref()).await?
                }
            }
        }
        Ok(())
    }

    async fn append_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        for chunk in entries.chunks(AUDIT_BATCH) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO audit (org_id, at, actor, action, target, before, after, request_id, teams) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(org.as_str())
                    .push_bind(&e.at)
                    .push_bind(&e.actor)
                    .push_bind(&e.action)
                    .push_bind(&e.target)
                    .push_bind(e.before.to_string())
                    .push_bind(e.after.to_string())
                    .push_bind(&e.request_id)
                    .push_bind(serde_json::to_string(&e.teams).unwrap_or_default());
            });
            qb.build().execute(&mut *self.tx).await.map_err(db)?;
        }
        Ok(())
    }

    async fn audit(&mut self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT id, at, actor, action, target, before, after, request_id, teams FROM audit WHERE org_id = ",
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
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(q.limit);
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

    async fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        sqlx::query("INSERT INTO tokens (id, org_id, member_id, hash, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&t.id)
            .bind(t.org.as_str())
            .bind(t.member.as_str())
            .bind(&t.hash)
            .bind(&t.created_at)
            .bind(t.revoked)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn tokens(&mut self, org: &OrgId, member: &MemberId) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT id, org_id, member_id, hash, created_at, revoked FROM tokens WHERE org_id = ? AND member_id = ? ORDER BY created_at",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(token_row).collect()
    }

    async fn revoke_token(&mut self, org: &OrgId, member: &MemberId, id: &str) -> Result<bool> {
        let n = self
            .exec(
                "UPDATE tokens SET revoked = 1 WHERE org_id = ? AND member_id = ? AND id = ?",
                org,
                &[member.as_str(), id],
            )
            .await?;
        Ok(n == 1)
    }

    async fn insert_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.exec(
            "INSERT INTO plans (org_id, id, created_at, status, body) VALUES (?, ?, ?, ?, ?)",
            org,
            &[&p.id, &p.created_at, &p.status, &p.body],
        )
        .await
        .map(|_| ())
    }

    async fn plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        let row = sqlx::query(
            "SELECT id, created_at, status, body FROM plans WHERE org_id = ? AND id = ?",
        )
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(row.map(|r| PlanRow {
            id: r.get(0),
            created_at: r.get(1),
            status: r.get(2),
            body: r.get(3),
        }))
    }

    async fn update_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.exec(
            "UPDATE plans SET status = ?2, body = ?3 WHERE org_id = ?1 AND id = ?4",
            org,
            &[&p.status, &p.body, &p.id],
        )
        .await
        .map(|_| ())
    }

    async fn session_member(
        &mut self,
        org: &OrgId,
        id: &MemberId,
    ) -> Result<Option<(Member, i64)>> {
        let row = sqlx::query(
            "SELECT id, email, name, role, status, session_epoch FROM members WHERE org_id = ? AND id = ?",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        row.map(|r| Ok((member_row(&r)?, r.get(5)))).transpose()
    }

    async fn end_sessions(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<i64>> {
        sqlx::query_scalar(
            "UPDATE members SET session_epoch = session_epoch + 1 WHERE org_id = ? AND id = ?
             RETURNING session_epoch",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)
    }

    async fn set_password_hash(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE members SET password_hash = ?, session_epoch = session_epoch + 1
             WHERE org_id = ? AND id = ?",
        )
        .bind(hash)
        .bind(org.as_str())
        .bind(member.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn subscriptions(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Subscription>> {
        self.read_subscriptions(org).await
    }

    async fn teams(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Team>> {
        self.teams_impl(org).await
    }

    async fn admin_scope(
        &mut self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Vec<seatline_domain::TeamId>>> {
        self.admin_scope_impl(org, member).await
    }

    async fn members_in_teams(
        &mut self,
        org: &OrgId,
        teams: &[seatline_domain::TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        self.members_in_teams_impl(org, teams, after, limit).await
    }

    async fn scim_members(&mut self, org: &OrgId, q: &ScimQuery) -> Result<(u64, Vec<ScimMember>)> {
        self.scim_members_impl(org, q).await
    }

    async fn insert_scim_token(&mut self, token: &ScimTokenRow) -> Result<()> {
        self.insert_scim_token_impl(token).await
    }

    async fn scim_tokens(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>> {
        self.scim_tokens_impl(org).await
    }

    async fn revoke_scim_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.revoke_scim_token_impl(org, id).await
    }

    // ---- the change feed: SQL in events.rs ----
    async fn reserve_event_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        self.reserve_seqs(org, count).await
    }

    async fn append_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        self.insert_events(org, events).await
    }

    async fn events(&mut self, org: &OrgId, q: &EventQuery) -> Result<Vec<EventRow>> {
        self.read_events(org, q).await
    }

    async fn event_horizon(&mut self, org: &OrgId) -> Result<EventHorizon> {
        self.horizon(org).await
    }

    async fn extension_versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>> {
        self.versions(org, keys).await
    }

    async fn insert_integration_token(&mut self, t: &IntegrationTokenRow) -> Result<()> {
        self.insert_integration(t).await
    }

    async fn integration_tokens(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>> {
        self.integrations(org).await
    }

    async fn revoke_integration_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.revoke_integration(org, id).await
    }

    async fn insert_password_reset(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        passwords::insert(&mut self.tx, org, member, hash, created_at, expires_at).await
    }

    async fn take_password_reset(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        passwords::take(&mut self.tx, org, hash).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(db)
    }

    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()> {
        webhooks::insert_webhook(&mut self.tx, w).await
    }
    async fn webhook(&mut self, org: &OrgId, id: &str) -> Result<Option<WebhookRow>> {
        webhooks::webhook(&mut self.tx, org, id).await
    }
    async fn webhooks(&mut self, org: &OrgId) -> Result<Vec<WebhookRow>> {
        webhooks::webhooks(&mut self.tx, org).await
    }
    async fn update_webhook(&mut self, w: &WebhookRow) -> Result<bool> {
        webhooks::update_webhook(&mut self.tx, w).await
    }
    async fn delete_webhook(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        webhooks::delete_webhook(&mut self.tx, org, id).await
    }
    async fn advance_webhook(&mut self, org: &OrgId, id: &str, from: i64, to: i64) -> Result<bool> {
        webhooks::advance_webhook(&mut self.tx, org, id, from, to).await
    }
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<()> {
        webhooks::insert_deliveries(&mut self.tx, rows).await
    }
    async fn deliveries(
        &mut self,
        org: &OrgId,
        endpoint: &str,
        q: &DeliveryQuery,
    ) -> Result<Vec<DeliveryRow>> {
        webhooks::deliveries(&mut self.tx, org, endpoint, q).await
    }
}

fn db(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    if let Some(sqlx::Error::Database(d)) =
        (&e as &dyn std::error::Error).downcast_ref::<sqlx::Error>()
    {
        if d.is_unique_violation() || d.is_foreign_key_violation() || d.is_check_violation() {
            return StoreError::Constraint(d.message().to_owned());
        }
    }
    StoreError::Db(Box::new(e))
}

fn member_row(r: &sqlx::sqlite::SqliteRow) -> Result<Member> {
    decode::member(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

fn token_row(r: &sqlx::sqlite::SqliteRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        member: MemberId(r.get(2)),
        hash: r.get(3),
        created_at: r.get(4),
        revoked: r.get(5),
    })
}

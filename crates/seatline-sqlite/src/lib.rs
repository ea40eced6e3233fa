//! The SQLite backend, Seatline's embedded default: one file, WAL, foreign keys on.
//!
//! Statements run on the calling task's thread through rusqlite with cached prepared
//! statements: SQLite answers them in microseconds, and a hand-off to a worker thread per
//! statement (sqlx's driver) cost more than the statements (issue 15). Write transactions
//! queue on one async mutex of this process and then start with `BEGIN IMMEDIATE`, which
//! takes SQLite's single write lock at once, so the state a use case reads inside
//! [`Store::lock`] cannot change before it commits. Migrations stay sqlx's, so databases keep
//! their `_sqlx_migrations` history.

mod checkpoint;
mod entitlements;
mod events;
mod lifecycle;
mod liveness;
mod passwords;
mod pool;
mod scim;
mod sign_in_links;
mod teams;
mod webhooks;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, ToSql};
use seatline_domain::{
    Change, Code, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, E164,
};
use seatline_store::decode::{self, KeyedParts};
use seatline_store::{
    AuditEntry, AuditQuery, Credentials, ExtensionQuery, IdempotencyRow, PasswordReset, PlanRow,
    Result, ScimMember, ScimQuery, ScimTokenRow, Snapshot, Store, StoreError, TokenRow, Tx,
};
use seatline_store::{DeliveryOutcome, DeliveryQuery, DeliveryRow, WebhookRow};
use seatline_store::{EntitlementSources, MemberRef};
use seatline_store::{
    EventHorizon, EventQuery, EventRow, EventWakeups, IntegrationTokenRow, NewEvent,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::{Mutex, OwnedMutexGuard};

use pool::{Conn, Pool};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Rows per page when a snapshot reads members and numbers.
const SNAPSHOT_PAGE: u32 = 10_000;

/// Beyond this many rows a write or a read is run by [`heavy`].
const MANY: usize = 500;

pub struct SqliteStore {
    pool: Arc<Pool>,
    /// Held by every write of this process, in arrival order: write transactions and the
    /// writes outside one (idempotency, prunes, webhook claims …). SQLite lets one writer in
    /// at a time; without this queue the others wait in its busy handler, which sleeps and
    /// retries (up to 100 ms a try), so a write that lost one race could wait hundreds of
    /// milliseconds while the lock sat free (issues 10 and 15). With statements inline, a
    /// write waiting in the busy handler also blocks its thread: on a current-thread runtime
    /// it would wait out the whole timeout for a lock held by a task of that same thread.
    writer: Arc<Mutex<()>>,
}

/// The WAL size past which the checkpoint thread truncates the WAL between two writes
/// (see `checkpoint`): under continuous writes, passive checkpoints alone let it grow
/// without end (issue 28).
pub const WAL_LIMIT: u64 = 32 << 20;

impl SqliteStore {
    /// Open (creating if missing) the database at a `sqlite:` URL or a plain path, its WAL
    /// bounded by [`WAL_LIMIT`].
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with_wal_limit(url, Some(WAL_LIMIT)).await
    }

    /// [`SqliteStore::connect`] with another WAL bound; `None` keeps passive checkpoints
    /// only, the behaviour before issue 28, which `scripts/bench-wal` measures as its baseline.
    pub async fn connect_with_wal_limit(url: &str, wal_limit: Option<u64>) -> Result<Self> {
        let writer = Arc::new(Mutex::new(()));
        Ok(SqliteStore {
            pool: Pool::open(url, writer.clone(), wal_limit)?,
            writer,
        })
    }

    /// A transaction on a pooled connection: `BEGIN` (deferred) for reads; under the
    /// writer's turn `BEGIN IMMEDIATE`, which may wait for another process's write lock.
    fn begin_tx(&self, turn: Option<OwnedMutexGuard<()>>) -> Result<SqliteTx> {
        let conn = self.pool.take()?;
        match turn {
            Some(_) => begin_immediate(&conn)?,
            None => {
                exec(&conn, "BEGIN", ())?;
            }
        };
        Ok(SqliteTx {
            conn,
            open: true,
            long: false,
            writer: self.writer.clone(),
            turn,
            next_seq: None,
            versions: Versions::default(),
        })
    }

    /// The id claims of this store record as their holder (see `liveness`).
    fn holder(&self) -> Option<&str> {
        self.pool.boot.as_ref().map(|b| b.holders.own.as_str())
    }

    async fn write_tx(&self) -> Result<SqliteTx> {
        let turn = self.writer.clone().lock_owned().await;
        self.begin_tx(Some(turn))
    }
}

/// `BEGIN IMMEDIATE`, inline while SQLite's write lock is free (this process's writers are
/// already queued); when another process holds it, the wait in the busy handler goes
/// through [`heavy`]. Trying first costs one statement; `block_in_place` on every write
/// would cost a thread hand-off each.
fn begin_immediate(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::ZERO).map_err(db)?;
    let first = conn
        .prepare_cached("BEGIN IMMEDIATE")
        .and_then(|mut st| st.execute(()));
    conn.busy_timeout(pool::BUSY_TIMEOUT).map_err(db)?;
    match first {
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
            heavy(true, || exec(conn, "BEGIN IMMEDIATE", ()))?;
        }
        other => {
            other.map_err(db)?;
        }
    }
    Ok(())
}

/// Run `f`, statements that may take long (a bulk write, a whole organization's rows, a
/// prune, a wait for another process's write lock), so that it cannot starve the runtime:
/// on a multi-threaded runtime through `block_in_place`, which hands this worker's other
/// tasks to another thread first; inline otherwise (block_in_place is not allowed on a
/// current-thread runtime) and when `long` is false, since the hand-off costs more than a
/// short statement.
pub(crate) fn heavy<T>(long: bool, f: impl FnOnce() -> T) -> T {
    let multi = long
        && Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

// ---- statements: every one prepared once per connection and kept in its cache ----

/// The rows of a query, each decoded by `f`.
pub(crate) fn rows<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = c.prepare_cached(sql).map_err(db)?;
    let mut rows = st.query(params).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// The first row of a query, decoded by `f`.
pub(crate) fn row<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut st = c.prepare_cached(sql).map_err(db)?;
    let mut rows = st.query(params).map_err(db)?;
    rows.next().map_err(db)?.map(f).transpose()
}

/// Run a statement that returns no rows; the rows it changed.
pub(crate) fn exec(c: &Connection, sql: &str, params: impl Params) -> Result<usize> {
    c.prepare_cached(sql)
        .map_err(db)?
        .execute(params)
        .map_err(db)
}

/// A text column as borrowed from the row (no copy), or NULL.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    r.get_ref(i)
        .map_err(db)?
        .as_str_or_null()
        .map_err(|e| StoreError::Db(Box::new(e)))
}

/// A column of a row, its error a [`StoreError`].
pub(crate) trait Get {
    fn at<T: FromSql>(&self, i: usize) -> Result<T>;
}

impl Get for rusqlite::Row<'_> {
    fn at<T: FromSql>(&self, i: usize) -> Result<T> {
        self.get(i).map_err(db)
    }
}

/// A statement whose text depends on a query's filters, with its bound values; each shape
/// is cached like any other statement.
pub(crate) struct Sql<'a> {
    text: String,
    args: Vec<Box<dyn ToSql + 'a>>,
}

impl<'a> Sql<'a> {
    pub(crate) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl ToSql + 'a) -> &mut Self {
        self.text.push('?');
        self.args.push(Box::new(value));
        self
    }

    pub(crate) fn rows<T>(
        &self,
        c: &Connection,
        f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        rows(c, &self.text, rusqlite::params_from_iter(&self.args), f)
    }
}

/// A JSON array of `items`, bound where a statement reads a list with `json_each`: one
/// statement text for any length, so it stays cached.
pub(crate) fn json_list<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> String {
    serde_json::to_string(&items.into_iter().collect::<Vec<_>>()).expect("a list serializes")
}

struct SqliteTx {
    /// Dropped before `turn` (fields drop in order), after `Drop` rolled back.
    conn: Conn,
    /// `BEGIN` was sent and neither COMMIT nor ROLLBACK yet.
    open: bool,
    /// Many rows were written, so the commit may take a while too.
    long: bool,
    writer: Arc<Mutex<()>>,
    /// This transaction's turn among the writers (see `SqliteStore::writer`): taken before
    /// `BEGIN IMMEDIATE` by a write transaction, or before its first write by a read one.
    turn: Option<OwnedMutexGuard<()>>,
    /// The seq the next event of this transaction gets, once known (the org lock reads the
    /// counter); the events' insert writes the counter back.
    next_seq: Option<i64>,
    /// Versions the coming events give extensions ([`Tx::expect_versions`]), and those
    /// already written with inserted rows, which the events' insert need not set again.
    versions: Versions,
}

/// See [`SqliteTx::versions`].
#[derive(Default)]
pub(crate) struct Versions {
    pub(crate) expected: HashMap<ExtKey, i64>,
    pub(crate) written: HashMap<ExtKey, i64>,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            // A failed rollback leaves the transaction open; the pool then closes the
            // connection, which ends it.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        // One short-lived sqlx connection, so the history stays in `_sqlx_migrations`.
        let _turn = self.writer.lock().await;
        let opts = SqliteConnectOptions::new()
            .filename(&self.pool.path)
            .read_only(self.pool.read_only)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(pool::BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(sqlx_err)?;
        let done = MIGRATOR.run(&pool).await.map_err(sqlx_err);
        pool.close().await;
        done
    }

    async fn ping(&self) -> Result<()> {
        let conn = self.pool.take()?;
        row(&conn, "SELECT 1", (), |_| Ok(())).map(|_| ())
    }

    async fn entitlement_sources(
        &self,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<Option<EntitlementSources>> {
        entitlements::read(&*self.pool.take()?, org, member)
    }

    async fn token_entitlements(
        &self,
        hash: &str,
        integration: bool,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<seatline_store::TokenEntitlements> {
        entitlements::read_by_token(&*self.pool.take()?, hash, integration, org, member)
    }

    async fn password_reset(&self, hash: &str) -> Result<Option<PasswordReset>> {
        passwords::reset(&*self.pool.take()?, hash)
    }

    async fn sign_in_link(&self, hash: &str) -> Result<Option<seatline_store::SignInLinkRow>> {
        sign_in_links::link(&*self.pool.take()?, hash)
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(self.begin_tx(None)?))
    }

    async fn begin_write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(self.write_tx().await?))
    }

    async fn lock(&self, org: &OrgId) -> Result<Option<Box<dyn Tx>>> {
        let mut tx = self.write_tx().await?;
        let event_seq: Option<i64> = row(
            &tx.conn,
            "UPDATE orgs SET version = version + 1 WHERE id = ? RETURNING event_seq",
            (org.as_str(),),
            |r| r.at(0),
        )?;
        Ok(event_seq.map(|seq| {
            tx.next_seq = Some(seq + 1);
            Box::new(tx) as Box<dyn Tx>
        }))
    }

    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>> {
        row(
            &*self.pool.take()?,
            "SELECT t.id, t.org_id, t.member_id, t.hash, t.created_at, t.revoked,
                    m.id, m.email, m.name, m.role, m.status
             FROM tokens t JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
             WHERE t.hash = ?",
            (hash,),
            |r| {
                let m = decode::member(
                    r.at(6)?,
                    &r.at::<String>(7)?,
                    r.at(8)?,
                    &r.at::<String>(9)?,
                    &r.at::<String>(10)?,
                )?;
                Ok((token_row(r)?, m))
            },
        )
    }

    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
        row(
            &*self.pool.take()?,
            "SELECT scope, key, request_hash, status, body, created_at FROM idempotency WHERE scope = ? AND key = ?",
            (scope, key),
            |r| {
                Ok(IdempotencyRow {
                    scope: r.at(0)?,
                    key: r.at(1)?,
                    request_hash: r.at(2)?,
                    status: r.at::<i64>(3)? as u16,
                    body: r.at(4)?,
                    created_at: r.at(5)?,
                })
            },
        )
    }

    async fn idempotency_claim(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        at: &str,
        stale_before: &str,
    ) -> Result<bool> {
        let _turn = self.writer.lock().await;
        // One statement, so the primary key decides between concurrent claimers; a
        // conflicting pending row of the same request is taken over once it is stale or its
        // holder is gone (`liveness`: a restarted server retries at once).
        let n = exec(
            &*self.pool.take()?,
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at, holder)
             VALUES (?1, ?2, ?3, 0, '', ?4, ?6)
             ON CONFLICT (scope, key) DO UPDATE
             SET created_at = excluded.created_at, holder = excluded.holder
             WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash
               AND (idempotency.created_at < ?5 OR NOT holder_alive(idempotency.holder))",
            (scope, key, request_hash, at, stale_before, self.holder()),
        )?;
        Ok(n == 1)
    }

    async fn idempotency_complete(&self, r: &IdempotencyRow) -> Result<bool> {
        let _turn = self.writer.lock().await;
        let n = exec(
            &*self.pool.take()?,
            "UPDATE idempotency SET status = ?, body = ?
             WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?
               AND request_hash = ?",
            (
                i64::from(r.status),
                &r.body,
                &r.scope,
                &r.key,
                &r.created_at,
                &r.request_hash,
            ),
        )?;
        Ok(n == 1)
    }

    async fn idempotency_release(&self, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
        let _turn = self.writer.lock().await;
        exec(
            &*self.pool.take()?,
            "DELETE FROM idempotency
             WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?",
            (scope, key, claimed_at),
        )?;
        Ok(())
    }

    async fn credentials_by_email(&self, email: &Email) -> Result<Vec<Credentials>> {
        rows(
            &*self.pool.take()?,
            "SELECT id, email, name, role, status, org_id, password_hash FROM members WHERE email = ? ORDER BY org_id",
            (email.as_str(),),
            |r| {
                Ok(Credentials {
                    member: member_row(r)?,
                    org: OrgId(r.at(5)?),
                    password_hash: r.at(6)?,
                })
            },
        )
    }

    async fn idempotency_prune(&self, before: &str) -> Result<u64> {
        let _turn = self.writer.lock().await;
        let conn = self.pool.take()?;
        let n = heavy(true, || {
            exec(
                &conn,
                "DELETE FROM idempotency WHERE created_at < ?",
                (before,),
            )
        })?;
        Ok(n as u64)
    }

    async fn lifecycle_candidates(&self, today: &str) -> Result<Vec<OrgId>> {
        lifecycle::candidates(&*self.pool.take()?, today)
    }

    async fn scim_token(&self, hash: &str) -> Result<Option<ScimTokenRow>> {
        scim::token(&*self.pool.take()?, hash)
    }

    async fn enabled_webhooks(&self) -> Result<Vec<WebhookRow>> {
        webhooks::enabled_webhooks(&*self.pool.take()?)
    }

    async fn claim_deliveries(
        &self,
        now: &str,
        claim: &str,
        until: &str,
        limit: u32,
        per_endpoint: u32,
    ) -> Result<Vec<DeliveryRow>> {
        let _turn = self.writer.lock().await;
        let holder = self.holder();
        let conn = self.pool.take()?;
        webhooks::claim_deliveries(&conn, now, claim, holder, until, (limit, per_endpoint))
    }

    async fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<bool>> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.write_tx().await?;
        let recorded = webhooks::finish_deliveries(&tx.conn, outcomes)?;
        tx.finish()?;
        Ok(recorded)
    }

    // ---- the change feed: SQL in events.rs ----
    async fn integration_token(&self, hash: &str) -> Result<Option<IntegrationTokenRow>> {
        events::integration_token(&*self.pool.take()?, hash)
    }

    async fn events_prune(&self, before: &str) -> Result<u64> {
        let _turn = self.writer.lock().await;
        let conn = self.pool.take()?;
        heavy(true, || events::prune(&conn, before))
    }

    async fn listen_events(&self) -> Result<Option<EventWakeups>> {
        // SQLite cannot push: readers in other processes poll.
        Ok(None)
    }
}

impl SqliteTx {
    /// Take the writer's turn before the first write of a read transaction (`Store::begin`).
    /// A use case should write in `lock` or `begin_write`; this keeps one that does not from
    /// waiting in SQLite's busy handler on its own thread (see `SqliteStore::writer`).
    async fn writing(&mut self) {
        if self.turn.is_none() {
            self.turn = Some(self.writer.clone().lock_owned().await);
        }
    }

    fn finish(mut self) -> Result<()> {
        // A large transaction's commit writes many pages to the WAL.
        heavy(self.long, || exec(&self.conn, "COMMIT", ()))?;
        self.open = false;
        Ok(())
    }

    /// Add-ons and numbers of the extensions with these keys (sorted), in one statement: a
    /// row with a number is a number, else an add-on. A dense run of keys is read as a range;
    /// a sparse one (a filtered page) also names its keys, so the rest of the range is not read.
    fn parts(&self, org: &OrgId, keys: &[i64]) -> Result<KeyedParts> {
        let (lo, hi) = (keys[0], keys[keys.len() - 1]);
        let sparse = (hi - lo + 1) as usize > 4 * keys.len();
        let listed = sparse.then(|| json_list(keys));
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT ext_key, code, copies, NULL AS number FROM extension_addons
                 WHERE org_id = ?1 AND ext_key BETWEEN ?2 AND ?3
                   AND (?4 IS NULL OR ext_key IN (SELECT value FROM json_each(?4)))
                 UNION ALL
                 SELECT ext_key, NULL, NULL, number FROM numbers
                 WHERE org_id = ?1 AND ext_key BETWEEN ?2 AND ?3
                   AND (?4 IS NULL OR ext_key IN (SELECT value FROM json_each(?4)))
                 ORDER BY number",
            )
            .map_err(db)?;
        // Rows are decoded as they come: a whole organization's add-on and number rows
        // held at once cost more than the extensions they complete.
        let mut rows = st.query((org.as_str(), lo, hi, listed)).map_err(db)?;
        let mut parts = KeyedParts::default();
        while let Some(r) = rows.next().map_err(db)? {
            let key: i64 = r.at(0)?;
            match text(r, 3)? {
                Some(number) => parts.add_number(key, number)?,
                None => parts.add_addon(key, text(r, 1)?.unwrap_or_default(), r.at(2)?)?,
            }
        }
        Ok(parts)
    }

    /// Extensions from rows of (key, member_id) ordered by key, completed with their add-ons
    /// and numbers.
    fn complete(&self, org: &OrgId, rows: Vec<(i64, Option<String>)>) -> Result<Vec<Extension>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut parts = self.parts(org, &keys)?;
        rows.into_iter()
            .map(|(k, m)| parts.extension(k, m))
            .collect()
    }

    fn one_extension(&self, org: &OrgId, sql: &str, arg: &dyn ToSql) -> Result<Option<Extension>> {
        let found = row(&self.conn, sql, (org.as_str(), arg), |r| {
            Ok((r.at(0)?, r.at(1)?))
        })?;
        Ok(self.complete(org, found.into_iter().collect())?.pop())
    }

    fn set_numbers(&self, org: &OrgId, key: ExtKey, numbers: &[E164]) -> Result<()> {
        exec(
            &self.conn,
            "UPDATE numbers SET ext_key = NULL WHERE org_id = ? AND ext_key = ?",
            (org.as_str(), key.get()),
        )?;
        self.attach(org, numbers.iter().map(|n| (key, n)))
    }

    /// Attach free inventory numbers; a number missing or taken is a constraint violation.
    /// One prepared UPDATE per number by primary key: with statements on this thread a row
    /// costs no round trip.
    fn attach<'n>(
        &self,
        org: &OrgId,
        pairs: impl IntoIterator<Item = (ExtKey, &'n E164)>,
    ) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "UPDATE numbers SET ext_key = ?3 WHERE org_id = ?1 AND number = ?2 AND ext_key IS NULL",
            )
            .map_err(db)?;
        for (k, n) in pairs {
            if st
                .execute((org.as_str(), n.as_str(), k.get()))
                .map_err(db)?
                != 1
            {
                return Err(StoreError::Constraint(
                    "a number to attach is not free in the inventory".into(),
                ));
            }
        }
        Ok(())
    }

    fn insert_addons(
        &self,
        org: &OrgId,
        rows: impl IntoIterator<Item = (ExtKey, Code, u32)>,
    ) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO extension_addons (org_id, ext_key, code, copies) VALUES (?, ?, ?, ?)",
            )
            .map_err(db)?;
        for (k, c, n) in rows {
            st.execute((org.as_str(), k.get(), c.as_str(), n))
                .map_err(db)?;
        }
        Ok(())
    }

    /// Each with the version its event will give it, when known (see `Tx::expect_versions`).
    fn insert_extensions(&self, org: &OrgId, exts: &[Extension]) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO extensions (org_id, key, member_id, version) VALUES (?, ?, ?, ?)",
            )
            .map_err(db)?;
        for e in exts {
            st.execute((
                org.as_str(),
                e.key.get(),
                e.member.as_ref().map(|m| m.as_str()),
                self.versions.expected.get(&e.key).copied().unwrap_or(0),
            ))
            .map_err(db)?;
        }
        self.insert_addons(
            org,
            exts.iter()
                .flat_map(|e| e.addons.iter().map(|(c, n)| (e.key, c, n))),
        )?;
        self.attach(
            org,
            exts.iter()
                .flat_map(|e| e.numbers.iter().map(|n| (e.key, n))),
        )
    }

    /// A statement bound to the organization, then `args`; the rows it changed.
    fn exec(&self, sql: &str, org: &OrgId, args: &[&dyn ToSql]) -> Result<usize> {
        let org: &dyn ToSql = &org.as_str();
        exec(
            &self.conn,
            sql,
            rusqlite::params_from_iter(std::iter::once(org).chain(args.iter().copied())),
        )
    }

    fn apply_changes(&self, org: &OrgId, changes: &[Change]) -> Result<()> {
        for change in changes {
            match change {
                Change::InsertOrg(o) => {
                    exec(
                        &self.conn,
                        "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
                        (o.id.as_str(), &o.name, &o.created_at),
                    )?;
                }
                Change::SetPurchased { code, quantity } => {
                    self.exec(
                        "INSERT INTO subscriptions (org_id, code, quantity) VALUES (?, ?, ?)
                         ON CONFLICT (org_id, code) DO UPDATE SET quantity = excluded.quantity",
                        org,
                        &[&code.as_str(), quantity],
                    )?;
                }
                Change::InsertNumber(n) => {
                    self.exec(
                        "INSERT INTO numbers (org_id, number) VALUES (?, ?)",
                        org,
                        &[&n.as_str()],
                    )?;
                }
                Change::DeleteNumber(n) => {
                    self.exec(
                        "DELETE FROM numbers WHERE org_id = ? AND number = ?",
                        org,
                        &[&n.as_str()],
                    )?;
                }
                Change::InsertMember(m) => {
                    self.exec(
                        "INSERT INTO members (org_id, id, email, name, role, status) VALUES (?, ?, ?, ?, ?, ?)",
                        org,
                        &[
                            &m.id.as_str(),
                            &m.email.as_str(),
                            &m.name,
                            &m.role.as_str(),
                            &m.status.as_str(),
                        ],
                    )?;
                }
                Change::UpdateMember(m) => {
                    // The owner role moves by transfer: demote first so one owner holds at all times.
                    self.exec(
                        "UPDATE members SET email = ?2, name = ?3, role = ?4, status = ?5 WHERE org_id = ?1 AND id = ?6",
                        org,
                        &[
                            &m.email.as_str(),
                            &m.name,
                            &m.role.as_str(),
                            &m.status.as_str(),
                            &m.id.as_str(),
                        ],
                    )?;
                }
                Change::DeleteMember(id) => {
                    self.exec(
                        "DELETE FROM members WHERE org_id = ? AND id = ?",
                        org,
                        &[&id.as_str()],
                    )?;
                }
                Change::InsertExtensions(exts) => self.insert_extensions(org, exts)?,
                Change::DeleteExtension(key) => {
                    self.exec(
                        "UPDATE numbers SET ext_key = NULL WHERE org_id = ? AND ext_key = ?",
                        org,
                        &[&key.get()],
                    )?;
                    self.exec(
                        "DELETE FROM extensions WHERE org_id = ? AND key = ?",
                        org,
                        &[&key.get()],
                    )?;
                }
                Change::SetExtensionMember { key, member } => {
                    self.exec(
                        "UPDATE extensions SET member_id = ?2 WHERE org_id = ?1 AND key = ?3",
                        org,
                        &[&member.as_ref().map(|m| m.as_str()), &key.get()],
                    )?;
                }
                Change::SetAddons { key, addons } => {
                    self.exec(
                        "DELETE FROM extension_addons WHERE org_id = ? AND ext_key = ?",
                        org,
                        &[&key.get()],
                    )?;
                    self.insert_addons(org, addons.iter().map(|(c, n)| (*key, c, n)))?;
                }
                Change::SetNumbers { key, numbers } => self.set_numbers(org, *key, numbers)?,
                Change::SetSubscription(s) => self.write_subscription(org, s)?,
                Change::SetScimFields {
                    member,
                    external_id,
                    given_name,
                    family_name,
                    modified_at,
                } => self.set_scim_fields(
                    org,
                    member,
                    [external_id, given_name, family_name].map(Option::as_deref),
                    modified_at,
                )?,
                Change::InsertTeam(t) => self.insert_team(org, t)?,
                Change::UpdateTeam(t) => self.update_team(org, t)?,
                Change::DeleteTeam(id) => self.delete_team(org, id)?,
                Change::SetTeamMembers { team, members } => {
                    self.set_team_members(org, team, members)?
                }
                Change::SetScope { member, teams } => {
                    self.set_scope(org, member, teams.as_deref())?
                }
            }
        }
        Ok(())
    }

    fn members_page(&self, org: &OrgId, after: Option<&str>, limit: u32) -> Result<Vec<Member>> {
        rows(
            &self.conn,
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND email > ? ORDER BY email LIMIT ?",
            (org.as_str(), after.unwrap_or(""), limit),
            member_row,
        )
    }

    fn numbers_page(&self, org: &OrgId, after: Option<&str>, limit: u32) -> Result<Vec<NumberRow>> {
        rows(
            &self.conn,
            "SELECT number, ext_key FROM numbers WHERE org_id = ? AND number > ? ORDER BY number LIMIT ?",
            (org.as_str(), after.unwrap_or(""), limit),
            |r| decode::number(&r.at::<String>(0)?, r.at(1)?),
        )
    }

    fn seats_now(&self, org: &OrgId) -> Result<Seats> {
        let found = rows(
            &self.conn,
            "SELECT code, quantity, 0, state FROM subscriptions WHERE org_id = ?1
             UNION ALL SELECT code, 0, SUM(copies), NULL FROM extension_addons WHERE org_id = ?1 GROUP BY code
             UNION ALL SELECT 'phone_system', 0, COUNT(*), NULL FROM extensions WHERE org_id = ?1
             UNION ALL SELECT 'assigned', 0, COUNT(member_id), NULL FROM extensions WHERE org_id = ?1",
            (org.as_str(),),
            |r| Ok((r.at::<String>(0)?, r.at::<i64>(1)?, r.at::<i64>(2)?, r.at::<Option<String>>(3)?)),
        )?;
        decode::seats(found)
    }

    fn read_snapshot(&self, org: &OrgId) -> Result<Snapshot> {
        // Members and numbers are read a page at a time: a whole result set of raw rows
        // would hold every value twice (about 80 MB for 100,000 members).
        let mut members: Vec<Member> = Vec::new();
        loop {
            let after = members.last().map(|m| m.email.as_str().to_owned());
            let page = self.members_page(org, after.as_deref(), SNAPSHOT_PAGE)?;
            let done = page.len() < SNAPSHOT_PAGE as usize;
            members.extend(page);
            if done {
                break;
            }
        }
        let ext_rows = rows(
            &self.conn,
            "SELECT key, member_id FROM extensions WHERE org_id = ? ORDER BY key",
            (org.as_str(),),
            |r| Ok((r.at(0)?, r.at(1)?)),
        )?;
        let extensions = self.complete(org, ext_rows)?;
        let mut numbers: Vec<NumberRow> = Vec::new();
        loop {
            let after = numbers.last().map(|n| n.number.as_str().to_owned());
            let page = self.numbers_page(org, after.as_deref(), SNAPSHOT_PAGE)?;
            let done = page.len() < SNAPSHOT_PAGE as usize;
            numbers.extend(page);
            if done {
                break;
            }
        }
        let seats = self.seats_now(org)?;
        Ok(Snapshot {
            members,
            extensions,
            numbers,
            seats,
        })
    }

    fn read_extensions(&self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>> {
        let mut sql = Sql::new("SELECT key, member_id FROM extensions e WHERE org_id = ");
        sql.bind(org.as_str());
        if let Some(after) = q.after {
            sql.push(" AND key > ").bind(after);
        }
        if !q.members.is_empty() {
            sql.push(" AND member_id IN (SELECT value FROM json_each(")
                .bind(json_list(q.members.iter().map(|m| m.as_str())))
                .push("))");
        }
        if q.unassigned {
            sql.push(" AND member_id IS NULL");
        }
        if let Some(code) = q.addon {
            sql.push(" AND EXISTS (SELECT 1 FROM extension_addons a WHERE a.org_id = e.org_id AND a.ext_key = e.key AND a.code = ")
                .bind(code.as_str())
                .push(")");
        }
        if let Some(p) = &q.key_prefix {
            sql.push(" AND CAST(key AS TEXT) LIKE ")
                .bind(format!("{}%", p.replace(['%', '_'], "")));
        }
        if let Some(teams) = &q.teams {
            sql.push(" AND (member_id IS NULL OR member_id IN (");
            teams::push_team_members(&mut sql, org, teams);
            sql.push("))");
        }
        sql.push(" ORDER BY key LIMIT ").bind(q.limit);
        let found = sql.rows(&self.conn, |r| Ok((r.at(0)?, r.at(1)?)))?;
        self.complete(org, found)
    }

    fn read_audit(&self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
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

    fn insert_audit(&self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
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

#[async_trait]
impl Tx for SqliteTx {
    async fn org(&mut self, org: &OrgId) -> Result<Option<Org>> {
        row(
            &self.conn,
            "SELECT id, name, created_at FROM orgs WHERE id = ?",
            (org.as_str(),),
            |r| {
                Ok(Org {
                    id: OrgId(r.at(0)?),
                    name: r.at(1)?,
                    created_at: r.at(2)?,
                })
            },
        )
    }

    async fn member(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<Member>> {
        row(
            &self.conn,
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND id = ?",
            (org.as_str(), id.as_str()),
            member_row,
        )
    }

    async fn member_by_email(&mut self, org: &OrgId, email: &Email) -> Result<Option<Member>> {
        row(
            &self.conn,
            "SELECT id, email, name, role, status FROM members WHERE org_id = ? AND email = ?",
            (org.as_str(), email.as_str()),
            member_row,
        )
    }

    async fn members(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        heavy(limit as usize > MANY, || {
            self.members_page(org, after, limit)
        })
    }

    async fn members_by_id(&mut self, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>> {
        let mut found = heavy(ids.len() > MANY, || {
            rows(
                &self.conn,
                "SELECT id, email, name, role, status FROM members
                 WHERE org_id = ? AND id IN (SELECT value FROM json_each(?))",
                (org.as_str(), json_list(ids.iter().map(|m| m.as_str()))),
                member_row,
            )
        })?;
        found.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(found)
    }

    async fn extension(&mut self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>> {
        self.one_extension(
            org,
            "SELECT key, member_id FROM extensions WHERE org_id = ? AND key = ?",
            &key.get(),
        )
    }

    async fn extension_of(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Extension>> {
        self.one_extension(
            org,
            "SELECT key, member_id FROM extensions WHERE org_id = ? AND member_id = ?",
            &member.as_str(),
        )
    }

    async fn extensions(&mut self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>> {
        heavy(q.limit as usize > MANY, || self.read_extensions(org, q))
    }

    async fn taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>> {
        let keys = heavy(true, || {
            rows(
                &self.conn,
                "SELECT key FROM extensions WHERE org_id = ?",
                (org.as_str(),),
                |r| r.at::<u32>(0),
            )
        })?;
        Ok(keys.into_iter().collect())
    }

    async fn seats(&mut self, org: &OrgId) -> Result<Seats> {
        self.seats_now(org)
    }

    async fn number(&mut self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>> {
        row(
            &self.conn,
            "SELECT number, ext_key FROM numbers WHERE org_id = ? AND number = ?",
            (org.as_str(), number.as_str()),
            |r| decode::number(&r.at::<String>(0)?, r.at(1)?),
        )
    }

    async fn numbers(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<NumberRow>> {
        heavy(limit as usize > MANY, || {
            self.numbers_page(org, after, limit)
        })
    }

    async fn snapshot(&mut self, org: &OrgId) -> Result<Snapshot> {
        heavy(true, || self.read_snapshot(org))
    }

    async fn apply(&mut self, org: &OrgId, changes: &[Change]) -> Result<()> {
        self.writing().await;
        let long = changes.len() > MANY
            || changes
                .iter()
                .any(|c| matches!(c, Change::InsertExtensions(e) if e.len() > MANY));
        self.long |= long;
        heavy(long, || self.apply_changes(org, changes))?;
        // The inserted extensions that got their version with the row.
        let Versions { expected, written } = &mut self.versions;
        for c in changes {
            if let Change::InsertExtensions(exts) = c {
                written.extend(
                    exts.iter()
                        .filter_map(|e| expected.get(&e.key).map(|v| (e.key, *v))),
                );
            }
        }
        Ok(())
    }

    async fn append_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        self.writing().await;
        self.long |= entries.len() > MANY;
        heavy(entries.len() > MANY, || self.insert_audit(org, entries))
    }

    async fn audit(&mut self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        heavy(q.limit as usize > MANY, || self.read_audit(org, q))
    }

    async fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        self.writing().await;
        exec(
            &self.conn,
            "INSERT INTO tokens (id, org_id, member_id, hash, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?)",
            (&t.id, t.org.as_str(), t.member.as_str(), &t.hash, &t.created_at, t.revoked),
        )?;
        Ok(())
    }

    async fn tokens(&mut self, org: &OrgId, member: &MemberId) -> Result<Vec<TokenRow>> {
        rows(
            &self.conn,
            "SELECT id, org_id, member_id, hash, created_at, revoked FROM tokens WHERE org_id = ? AND member_id = ? ORDER BY created_at",
            (org.as_str(), member.as_str()),
            token_row,
        )
    }

    async fn revoke_token(&mut self, org: &OrgId, member: &MemberId, id: &str) -> Result<bool> {
        self.writing().await;
        let n = self.exec(
            "UPDATE tokens SET revoked = 1 WHERE org_id = ? AND member_id = ? AND id = ?",
            org,
            &[&member.as_str(), &id],
        )?;
        Ok(n == 1)
    }

    async fn insert_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.writing().await;
        self.exec(
            "INSERT INTO plans (org_id, id, created_at, status, body) VALUES (?, ?, ?, ?, ?)",
            org,
            &[&p.id, &p.created_at, &p.status, &p.body],
        )
        .map(|_| ())
    }

    async fn plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        row(
            &self.conn,
            "SELECT id, created_at, status, body FROM plans WHERE org_id = ? AND id = ?",
            (org.as_str(), id),
            |r| {
                Ok(PlanRow {
                    id: r.at(0)?,
                    created_at: r.at(1)?,
                    status: r.at(2)?,
                    body: r.at(3)?,
                })
            },
        )
    }

    async fn update_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.writing().await;
        self.exec(
            "UPDATE plans SET status = ?2, body = ?3 WHERE org_id = ?1 AND id = ?4",
            org,
            &[&p.status, &p.body, &p.id],
        )
        .map(|_| ())
    }

    async fn session_member(
        &mut self,
        org: &OrgId,
        id: &MemberId,
    ) -> Result<Option<(Member, i64)>> {
        row(
            &self.conn,
            "SELECT id, email, name, role, status, session_epoch FROM members WHERE org_id = ? AND id = ?",
            (org.as_str(), id.as_str()),
            |r| Ok((member_row(r)?, r.at(5)?)),
        )
    }

    async fn end_sessions(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<i64>> {
        self.writing().await;
        row(
            &self.conn,
            "UPDATE members SET session_epoch = session_epoch + 1 WHERE org_id = ? AND id = ?
             RETURNING session_epoch",
            (org.as_str(), id.as_str()),
            |r| r.at(0),
        )
    }

    async fn set_password_hash(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: Option<&str>,
    ) -> Result<()> {
        self.writing().await;
        exec(
            &self.conn,
            "UPDATE members SET password_hash = ?, session_epoch = session_epoch + 1
             WHERE org_id = ? AND id = ?",
            (hash, org.as_str(), member.as_str()),
        )?;
        Ok(())
    }

    async fn subscriptions(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Subscription>> {
        self.read_subscriptions(org)
    }

    async fn teams(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Team>> {
        self.teams_impl(org)
    }

    async fn admin_scope(
        &mut self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Vec<seatline_domain::TeamId>>> {
        self.admin_scope_impl(org, member)
    }

    async fn members_in_teams(
        &mut self,
        org: &OrgId,
        teams: &[seatline_domain::TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        heavy(limit as usize > MANY, || {
            self.members_in_teams_impl(org, teams, after, limit)
        })
    }

    async fn scim_members(&mut self, org: &OrgId, q: &ScimQuery) -> Result<(u64, Vec<ScimMember>)> {
        self.scim_members_impl(org, q)
    }

    async fn insert_scim_token(&mut self, token: &ScimTokenRow) -> Result<()> {
        self.writing().await;
        self.insert_scim_token_impl(token)
    }

    async fn scim_tokens(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>> {
        self.scim_tokens_impl(org)
    }

    async fn revoke_scim_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.writing().await;
        self.revoke_scim_token_impl(org, id)
    }

    // ---- the change feed: SQL in events.rs ----
    async fn reserve_event_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        self.writing().await;
        self.reserve_seqs(org, count)
    }

    async fn expect_versions(&mut self, versions: &[(ExtKey, i64)]) -> Result<()> {
        self.versions.expected.extend(versions.iter().copied());
        Ok(())
    }

    async fn append_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        self.writing().await;
        self.long |= events.len() > MANY;
        heavy(events.len() > MANY, || self.insert_events(org, events))
    }

    async fn events(&mut self, org: &OrgId, q: &EventQuery) -> Result<Vec<EventRow>> {
        heavy(q.limit as usize > MANY, || self.read_events(org, q))
    }

    async fn event_horizon(&mut self, org: &OrgId) -> Result<EventHorizon> {
        self.horizon(org)
    }

    async fn extension_versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>> {
        heavy(keys.len() > MANY, || self.versions(org, keys))
    }

    async fn insert_integration_token(&mut self, t: &IntegrationTokenRow) -> Result<()> {
        self.writing().await;
        self.insert_integration(t)
    }

    async fn integration_tokens(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>> {
        self.integrations(org)
    }

    async fn revoke_integration_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.writing().await;
        self.revoke_integration(org, id)
    }

    async fn insert_password_reset(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.writing().await;
        passwords::insert(&self.conn, org, member, hash, created_at, expires_at)
    }

    async fn take_password_reset(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        self.writing().await;
        passwords::take(&self.conn, org, hash)
    }

    async fn insert_sign_in_link(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.writing().await;
        sign_in_links::insert(&self.conn, org, member, hash, created_at, expires_at)
    }

    async fn take_sign_in_link(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        self.writing().await;
        sign_in_links::take(&self.conn, org, hash)
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.finish()
    }

    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()> {
        self.writing().await;
        webhooks::insert_webhook(&self.conn, w)
    }
    async fn webhook(&mut self, org: &OrgId, id: &str) -> Result<Option<WebhookRow>> {
        webhooks::webhook(&self.conn, org, id)
    }
    async fn webhooks(&mut self, org: &OrgId) -> Result<Vec<WebhookRow>> {
        webhooks::webhooks(&self.conn, org)
    }
    async fn update_webhook(&mut self, w: &WebhookRow) -> Result<bool> {
        self.writing().await;
        webhooks::update_webhook(&self.conn, w)
    }
    async fn delete_webhook(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.writing().await;
        webhooks::delete_webhook(&self.conn, org, id)
    }
    async fn advance_webhook(&mut self, org: &OrgId, id: &str, from: i64, to: i64) -> Result<bool> {
        self.writing().await;
        webhooks::advance_webhook(&self.conn, org, id, from, to)
    }
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<()> {
        self.writing().await;
        self.long |= rows.len() > MANY;
        heavy(rows.len() > MANY, || {
            webhooks::insert_deliveries(&self.conn, rows)
        })
    }
    async fn deliveries(
        &mut self,
        org: &OrgId,
        endpoint: &str,
        q: &DeliveryQuery,
    ) -> Result<Vec<DeliveryRow>> {
        heavy(q.limit as usize > MANY, || {
            webhooks::deliveries(&self.conn, org, endpoint, q)
        })
    }
}

/// A database error; a unique, foreign-key or check violation is a refused change
/// ([`StoreError::Constraint`], as sqlx classified them before).
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    if let rusqlite::Error::SqliteFailure(f, message) = &e {
        if matches!(
            f.extended_code,
            ffi::SQLITE_CONSTRAINT_UNIQUE
                | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                | ffi::SQLITE_CONSTRAINT_FOREIGNKEY
                | ffi::SQLITE_CONSTRAINT_CHECK
        ) {
            return StoreError::Constraint(message.clone().unwrap_or_else(|| f.to_string()));
        }
    }
    StoreError::Db(Box::new(e))
}

/// A stored JSON column that does not parse, or a value that does not serialize.
pub(crate) fn json(e: serde_json::Error) -> StoreError {
    StoreError::Db(Box::new(e))
}

/// An error of the migration's sqlx connection.
fn sqlx_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Db(Box::new(e))
}

pub(crate) fn member_row(r: &rusqlite::Row<'_>) -> Result<Member> {
    decode::member(
        r.at(0)?,
        &r.at::<String>(1)?,
        r.at(2)?,
        &r.at::<String>(3)?,
        &r.at::<String>(4)?,
    )
}

fn token_row(r: &rusqlite::Row<'_>) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.at(0)?,
        org: OrgId(r.at(1)?),
        member: MemberId(r.at(2)?),
        hash: r.at(3)?,
        created_at: r.at(4)?,
        revoked: r.at(5)?,
    })
}

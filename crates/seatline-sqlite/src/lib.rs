//! The SQLite backend, Seatline's embedded default: one file, WAL, foreign keys on.
//!
//! Statements run on the calling task's thread through rusqlite with cached prepared
//! statements: SQLite answers them in microseconds, and a hand-off to a worker thread per
//! statement (sqlx's driver) cost more than the statements (issue 15). Write transactions
//! queue on one async mutex of this process and then start with `BEGIN IMMEDIATE`, which
//! takes SQLite's single write lock at once, so the state a use case reads inside
//! [`Store::lock`] cannot change before it commits. Migrations stay sqlx's, so databases keep
//! their `_sqlx_migrations` history.
//!
//! Each capability's statements are in a file of its name, the names the PostgreSQL backend
//! uses too; `tx` runs a transaction's methods through them, `sql` and `pool` run statements.

mod activity;
mod audit;
pub mod backup;
mod bulk;
mod changes;
mod checkpoint;
mod entitlements;
mod epochs;
mod events;
mod extensions;
mod idempotency;
mod lifecycle;
mod links;
mod liveness;
mod members;
mod numbers;
mod orgs;
mod passwords;
mod pool;
mod scim;
mod sign_in_links;
mod sql;
mod teams;
mod templates;
mod tokens;
mod tx;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::Connection;
use seatline_domain::{Email, Member, OrgId};
use seatline_store::{
    Credentials, DeliveryOutcome, DeliveryRow, EntitlementSources, EventWakeups, IdempotencyRow,
    IntegrationTokenRow, MemberRef, PasswordReset, Result, ScimTokenRow, Store, StoreError,
    TokenRow, Tx, WebhookRow,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, OwnedMutexGuard};

use pool::Pool;
use sql::{db, exec, heavy, row, Get};
use tx::{SqliteTx, Versions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

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

// Every method runs in a span, so a slow request can be followed into the store. The spans
// are DEBUG: under the default filter (`info`) the hottest reads pay only the check of a
// disabled callsite, not a recorded span each; `RUST_LOG=info,seatline_sqlite=debug` shows
// them. `skip_all`: only the organization (or a scalar where there is none) is recorded,
// never a hash or a whole row.
#[async_trait]
impl Store for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all)]
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
        // No idle timeout nor lifetime: sqlx then starts no maintenance task. Its task could
        // race `close()` (sqlx 0.8's idle count wrapped below zero) and spin without yielding,
        // so the runtime never shut down and a `seatline` command hung at exit, once in a CI
        // run of the lifecycle test.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(sqlx_err)?;
        let done = async {
            seatline_store::check_schema_version(newest_applied(&pool).await?, newest_known())?;
            MIGRATOR.run(&pool).await.map_err(sqlx_err)
        }
        .await;
        pool.close().await;
        done
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> Result<()> {
        let conn = self.pool.take()?;
        row(&conn, "SELECT 1", (), |_| Ok(())).map(|_| ())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org))]
    async fn entitlement_sources(
        &self,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<Option<EntitlementSources>> {
        entitlements::read(&*self.pool.take()?, org, member)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org, integration = integration))]
    async fn token_entitlements(
        &self,
        hash: &str,
        integration: bool,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<seatline_store::TokenEntitlements> {
        entitlements::read_by_token(&*self.pool.take()?, hash, integration, org, member)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn password_reset(&self, hash: &str) -> Result<Option<PasswordReset>> {
        passwords::reset(&*self.pool.take()?, hash)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn sign_in_link(&self, hash: &str) -> Result<Option<seatline_store::SignInLinkRow>> {
        sign_in_links::link(&*self.pool.take()?, hash)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(self.begin_tx(None)?))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn begin_write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(self.write_tx().await?))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org))]
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

    #[tracing::instrument(level = "debug", skip_all)]
    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>> {
        tokens::holder(&*self.pool.take()?, hash)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope))]
    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
        idempotency::get(&*self.pool.take()?, scope, key)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope))]
    async fn idempotency_claim(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        at: &str,
        stale_before: &str,
    ) -> Result<bool> {
        let _turn = self.writer.lock().await;
        let holder = self.holder();
        idempotency::claim(
            &*self.pool.take()?,
            [scope, key, request_hash],
            at,
            stale_before,
            holder,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = %r.scope))]
    async fn idempotency_complete(&self, r: &IdempotencyRow) -> Result<bool> {
        let _turn = self.writer.lock().await;
        idempotency::complete(&*self.pool.take()?, r)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope))]
    async fn idempotency_release(&self, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
        let _turn = self.writer.lock().await;
        idempotency::release(&*self.pool.take()?, scope, key, claimed_at)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn credentials_by_email(&self, email: &Email) -> Result<Vec<Credentials>> {
        members::credentials(&*self.pool.take()?, email)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(before = before))]
    async fn idempotency_prune(&self, before: &str) -> Result<u64> {
        let _turn = self.writer.lock().await;
        idempotency::prune(&*self.pool.take()?, before)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(today = today))]
    async fn lifecycle_candidates(&self, today: &str) -> Result<Vec<OrgId>> {
        lifecycle::candidates(&*self.pool.take()?, today)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn scim_token(&self, hash: &str) -> Result<Option<ScimTokenRow>> {
        tokens::by_hash(&*self.pool.take()?, hash)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn enabled_webhooks(&self) -> Result<Vec<WebhookRow>> {
        webhooks::enabled_webhooks(&*self.pool.take()?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit, per_endpoint = per_endpoint))]
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

    #[tracing::instrument(level = "debug", skip_all, fields(outcomes = outcomes.len()))]
    async fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<bool>> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.write_tx().await?;
        let recorded = webhooks::finish_deliveries(&tx.conn, outcomes)?;
        tx.finish()?;
        Ok(recorded)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn integration_token(&self, hash: &str) -> Result<Option<IntegrationTokenRow>> {
        tokens::by_hash(&*self.pool.take()?, hash)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(before = before))]
    async fn events_prune(&self, before: &str) -> Result<u64> {
        let _turn = self.writer.lock().await;
        let conn = self.pool.take()?;
        heavy(true, || events::prune(&conn, before))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn org_ids(&self) -> Result<Vec<OrgId>> {
        epochs::org_ids(&*self.pool.take()?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn orgs_with_waiting(&self) -> Result<Vec<OrgId>> {
        templates::orgs_with_waiting(&*self.pool.take()?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn listen_events(&self) -> Result<Option<EventWakeups>> {
        // SQLite cannot push: readers in other processes poll.
        Ok(None)
    }
}

/// An error of the migration's sqlx connection.
/// The newest migration this binary carries.
fn newest_known() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The newest migration the database records as applied; `None` on a new database.
async fn newest_applied(pool: &sqlx::SqlitePool) -> Result<Option<i64>> {
    let table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await
    .map_err(sqlx_err)?;
    if table.is_none() {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map_err(sqlx_err)
}

fn sqlx_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Db(Box::new(e))
}

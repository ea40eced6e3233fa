//! The PostgreSQL backend: the same schema and behaviour as the SQLite store, for several
//! Seatline processes sharing one database.
//!
//! Write transactions start with `UPDATE orgs SET version = version + 1 WHERE id = $1`, whose
//! row lock is held to commit. Every writer of an organization takes it first, so under READ
//! COMMITTED each later statement sees everything committed before the lock was granted and
//! nothing can change it until commit: the seat checks the domain makes stay true. Read
//! transactions ([`Store::begin`]) are REPEATABLE READ, so all their reads see one snapshot.
//!
//! Bulk writes travel as arrays (`UNNEST`), one round trip per statement whatever the row count.
//! Timestamps are TEXT in RFC 3339, as on SQLite: they sort as text and read back identically
//! from both stores.
//!
//! Each capability's statements are in a file of its name, the names the SQLite backend uses
//! too; `tx` runs a transaction's methods through them, `sql` holds what they share.

mod activity;
mod audit;
mod bulk;
mod changes;
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
mod scim;
mod sign_in_links;
mod sql;
mod teams;
mod templates;
mod tokens;
mod tx;
mod webhooks;

use std::str::FromStr;

use async_trait::async_trait;
use seatline_domain::{Email, Member, OrgId};
use seatline_store::{
    Credentials, DeliveryOutcome, DeliveryRow, EntitlementSources, EventWakeups, IdempotencyRow,
    IntegrationTokenRow, MemberRef, PasswordReset, Result, ScimTokenRow, Store, StoreError,
    TokenEntitlements, TokenRow, Tx, WebhookRow,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use sql::db;
use tx::PgTx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections per process: transactions are short, and writers of one organization queue
/// on its row lock while holding one, so a few suffice and many processes fit the server's limit.
const MAX_CONNECTIONS: u32 = 10;

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// How long connecting at startup may take before Seatline gives up and says why.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub struct PostgresStore {
    pool: PgPool,
    /// This process's boot, which claims record as their holder (`liveness`).
    boot: liveness::Boot,
}

impl PostgresStore {
    /// Connect to the database at a `postgres://` or `postgresql://` URL.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url).map_err(db)?;
        // The pool retries a refused connection until its acquire timeout (30 s) and then
        // reports only that it timed out: one direct attempt first says why, within 5 s.
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&opts)).await {
            Ok(Ok(probe)) => {
                let _ = probe.close().await;
            }
            Ok(Err(e)) => return Err(db(e)),
            Err(_) => {
                return Err(StoreError::Db(
                    format!(
                        "PostgreSQL at {}:{} did not answer within {} s",
                        opts.get_host(),
                        opts.get_port(),
                        CONNECT_TIMEOUT.as_secs()
                    )
                    .into(),
                ))
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // sqlx pings every connection it hands out by default: a round trip per request.
            // A connection used within the last seconds is alive; one idle longer is checked
            // (a restarted server or a dropped link shows there, not in a request).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts.clone())
            .await
            .map_err(db)?;
        let boot = liveness::Boot::start(&opts).await?;
        Ok(PostgresStore { pool, boot })
    }
}

// Every method runs in a span, so a slow request can be followed into the store. The spans
// are DEBUG: under the default filter (`info`) the hottest reads pay only the check of a
// disabled callsite, not a recorded span each; `RUST_LOG=info,seatline_postgres=debug` shows
// them. `skip_all`: only the organization (or a scalar where there is none) is recorded,
// never a hash or a whole row.
#[async_trait]
impl Store for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> Result<()> {
        // The schema guard: a database a newer seatline migrated is refused, not misread.
        let history: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
        let newest_applied: Option<i64> = if history {
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(db)?
        } else {
            None
        };
        let newest_known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        seatline_store::check_schema_version(newest_applied, newest_known)?;
        MIGRATOR.run(&self.pool).await.map_err(db)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)
            .map(|_| ())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org))]
    async fn entitlement_sources(
        &self,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<Option<EntitlementSources>> {
        entitlements::read(&self.pool, org, member).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org, integration = integration))]
    async fn token_entitlements(
        &self,
        hash: &str,
        integration: bool,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<TokenEntitlements> {
        entitlements::read_by_token(&self.pool, hash, integration, org, member).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn password_reset(&self, hash: &str) -> Result<Option<PasswordReset>> {
        passwords::reset(&self.pool, hash).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn sign_in_link(&self, hash: &str) -> Result<Option<seatline_store::SignInLinkRow>> {
        sign_in_links::link(&self.pool, hash).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        // One snapshot for every read of the transaction, as a SQLite read transaction has: a
        // page or a bulk plan never mixes states. Such a transaction only inserts new rows, so
        // it cannot meet a serialization failure.
        let tx = sql::begin(&self.pool, Some("BEGIN ISOLATION LEVEL REPEATABLE READ")).await?;
        Ok(Box::new(PgTx::new(tx)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org))]
    async fn lock(&self, org: &OrgId) -> Result<Option<Box<dyn Tx>>> {
        let mut tx = sql::begin(&self.pool, None).await?;
        // The feed epoch too, which every event's body carries: no round trip of its own.
        // Only the locked row's own columns: a subquery here would read the snapshot taken
        // before the lock was granted, so a writer that waited for the lock would miss what
        // the one before it committed (issue 27 tried the subscriptions here; check-deploy's
        // three schedulers then suspended one subscription twice).
        let counter: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE orgs SET version = version + 1 WHERE id = $1 RETURNING event_seq, feed_epoch",
        )
        .bind(org.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        Ok(counter.map(|(seq, epoch)| Box::new(PgTx::locked(tx, seq, epoch)) as Box<dyn Tx>))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>> {
        tokens::holder(&self.pool, hash).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope))]
    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
        idempotency::get(&self.pool, scope, key).await
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
        let holder = &self.boot.id;
        idempotency::claim(
            &self.pool,
            scope,
            key,
            request_hash,
            at,
            stale_before,
            holder,
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = %row.scope))]
    async fn idempotency_complete(&self, row: &IdempotencyRow) -> Result<bool> {
        idempotency::complete(&self.pool, row).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope))]
    async fn idempotency_release(&self, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
        idempotency::release(&self.pool, scope, key, claimed_at).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn credentials_by_email(&self, email: &Email) -> Result<Vec<Credentials>> {
        members::credentials(&self.pool, email).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(before = before))]
    async fn idempotency_prune(&self, before: &str) -> Result<u64> {
        idempotency::prune(&self.pool, before).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(today = today))]
    async fn lifecycle_candidates(&self, today: &str) -> Result<Vec<OrgId>> {
        lifecycle::candidates(&self.pool, today).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn scim_token(&self, hash: &str) -> Result<Option<ScimTokenRow>> {
        tokens::by_hash(&self.pool, hash).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn enabled_webhooks(&self) -> Result<Vec<WebhookRow>> {
        webhooks::enabled_webhooks(&self.pool).await
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
        let holder = &self.boot.id;
        webhooks::claim_deliveries(&self.pool, now, claim, holder, until, (limit, per_endpoint))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(outcomes = outcomes.len()))]
    async fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<bool>> {
        webhooks::finish_deliveries(&self.pool, outcomes).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn integration_token(&self, hash: &str) -> Result<Option<IntegrationTokenRow>> {
        tokens::by_hash(&self.pool, hash).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn org_ids(&self) -> Result<Vec<OrgId>> {
        epochs::org_ids(&self.pool).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn orgs_with_waiting(&self) -> Result<Vec<OrgId>> {
        templates::orgs_with_waiting(&self.pool).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(before = before))]
    async fn events_prune(&self, before: &str) -> Result<u64> {
        events::prune(&self.pool, before).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn listen_events(&self) -> Result<Option<EventWakeups>> {
        events::listen(&self.pool).await.map(Some)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %org))]
    async fn announce_events(&self, org: &OrgId) -> Result<()> {
        events::announce(&self.pool, org).await
    }
}

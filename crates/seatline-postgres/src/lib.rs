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

mod entitlements;
mod events;
mod lifecycle;
mod liveness;
mod passwords;
mod scim;
mod sign_in_links;
mod teams;
mod tx;
mod webhooks;
mod writes;

use std::str::FromStr;

use async_trait::async_trait;
use seatline_domain::{Email, Member, MemberId, OrgId};
use seatline_store::{
    decode, Credentials, IdempotencyRow, PasswordReset, Result, ScimTokenRow, Store, StoreError,
    TokenRow, Tx,
};
use seatline_store::{DeliveryOutcome, DeliveryRow, WebhookRow};
use seatline_store::{EntitlementSources, MemberRef, TokenEntitlements};
use seatline_store::{EventWakeups, IntegrationTokenRow};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, PgPool, Row};

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

#[async_trait]
impl Store for PostgresStore {
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

    async fn token_entitlements(
        &self,
        hash: &str,
        integration: bool,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<TokenEntitlements> {
        entitlements::read_by_token(&self.pool, hash, integration, org, member).await
    }

    async fn password_reset(&self, hash: &str) -> Result<Option<PasswordReset>> {
        passwords::reset(&self.pool, hash).await
    }

    async fn sign_in_link(&self, hash: &str) -> Result<Option<seatline_store::SignInLinkRow>> {
        sign_in_links::link(&self.pool, hash).await
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        // One snapshot for every read of the transaction, as a SQLite read transaction has: a
        // page or a bulk plan never mixes states. Such a transaction only inserts new rows, so
        // it cannot meet a serialization failure.
        let tx = begin(&self.pool, Some("BEGIN ISOLATION LEVEL REPEATABLE READ")).await?;
        Ok(Box::new(PgTx::new(tx)))
    }

    async fn lock(&self, org: &OrgId) -> Result<Option<Box<dyn Tx>>> {
        let mut tx = begin(&self.pool, None).await?;
        let event_seq: Option<i64> = sqlx::query_scalar(
            "UPDATE orgs SET version = version + 1 WHERE id = $1 RETURNING event_seq",
        )
        .bind(org.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        Ok(event_seq.map(|seq| Box::new(PgTx::locked(tx, seq)) as Box<dyn Tx>))
    }

    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>> {
        let row = sqlx::query(
            "SELECT t.id, t.org_id, t.member_id, t.hash, t.created_at, t.revoked,
                    m.id, m.email, m.name, m.role, m.status
             FROM tokens t JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
             WHERE t.hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            let m = decode::member(r.get(6), r.get(7), r.get(8), r.get(9), r.get(10))?;
            Ok((token_row(&r), m))
        })
        .transpose()
    }

    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
        let row = sqlx::query(
            "SELECT scope, key, request_hash, status, body, created_at FROM idempotency
             WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(IdempotencyRow {
                scope: r.get(0),
                key: r.get(1),
                request_hash: r.get(2),
                status: u16::try_from(r.get::<i32, _>(3))
                    .map_err(|_| decode::corrupt("status", r.get::<i32, _>(3)))?,
                body: r.get(4),
                created_at: r.get(5),
            })
        })
        .transpose()
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
        // conflicting pending row of the same request is taken over once it is stale or its
        // holder is gone (`liveness`: a restarted server retries at once).
        let r = sqlx::query(&format!(
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at, holder)
             VALUES ($1, $2, $3, 0, '', $4, $6)
             ON CONFLICT (scope, key) DO UPDATE
             SET created_at = excluded.created_at, holder = excluded.holder
             WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash
               AND (idempotency.created_at < $5 OR idempotency.holder NOT IN ({LIVE}))",
            LIVE = liveness::LIVE
        ))
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(at)
        .bind(stale_before)
        .bind(&self.boot.id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn idempotency_complete(&self, row: &IdempotencyRow) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE idempotency SET status = $1, body = $2
             WHERE scope = $3 AND key = $4 AND status = 0 AND created_at = $5
               AND request_hash = $6",
        )
        .bind(i32::from(row.status))
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
             WHERE scope = $1 AND key = $2 AND status = 0 AND created_at = $3",
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
            "SELECT id, email, name, role, status, org_id, password_hash FROM members
             WHERE email = $1 ORDER BY org_id COLLATE \"C\"",
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
        let r = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
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
        per_endpoint: u32,
    ) -> Result<Vec<DeliveryRow>> {
        let holder = &self.boot.id;
        webhooks::claim_deliveries(&self.pool, now, claim, holder, until, (limit, per_endpoint))
            .await
    }

    async fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<bool>> {
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
        events::listen(&self.pool).await.map(Some)
    }

    async fn announce_events(&self, org: &OrgId) -> Result<()> {
        events::announce(&self.pool, org).await
    }
}

/// Schema constraints refusing a change become [`StoreError::Constraint`]; anything else is
/// a database failure.
/// `BEGIN` (or `statement`) on a pooled connection, in a task of its own. sqlx 0.8 rolls a
/// transaction back on drop only once `BEGIN` has been answered: a request dropped while the
/// answer was on the way (its client went away) sent its connection back to the pool inside
/// a transaction, where the next `BEGIN ISOLATION LEVEL` failed and left it aborted for good
/// (38 % of the requests after a wrk run answered 500). In a task the `BEGIN` completes
/// whatever happens to the request, and a transaction nobody takes is dropped, rolled back.
pub(crate) async fn begin(
    pool: &PgPool,
    statement: Option<&'static str>,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    let pool = pool.clone();
    let begun = tokio::spawn(async move {
        match statement {
            Some(s) => pool.begin_with(s).await,
            None => pool.begin().await,
        }
    });
    begun
        .await
        .map_err(|e| StoreError::Db(Box::new(e)))?
        .map_err(db)
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

fn member_row(r: &PgRow) -> Result<Member> {
    decode::member(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

fn token_row(r: &PgRow) -> TokenRow {
    TokenRow {
        id: r.get(0),
        org: OrgId(r.get(1)),
        member: MemberId(r.get(2)),
        hash: r.get(3),
        created_at: r.get(4),
        revoked: r.get(5),
    }
}

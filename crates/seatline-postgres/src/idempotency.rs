//! Remembered responses to requests carrying an Idempotency-Key, and the claims of requests
//! still running: each one statement outside any transaction.

use seatline_store::{decode, IdempotencyRow, Result};
use sqlx::{PgConnection, PgPool, Row};

use crate::liveness;
use crate::sql::db;

pub(crate) async fn get(pool: &PgPool, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
    let row = sqlx::query(
        "SELECT scope, key, request_hash, status, body, created_at FROM idempotency
         WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(pool)
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

pub(crate) async fn claim(
    pool: &PgPool,
    scope: &str,
    key: &str,
    request_hash: &str,
    at: &str,
    stale_before: &str,
    holder: &str,
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
    .bind(holder)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(r.rows_affected() == 1)
}

/// See `Tx::idempotency_applied`.
pub(crate) async fn applied(
    c: &mut PgConnection,
    scope: &str,
    key: &str,
    claimed_at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency SET status = 1
         WHERE scope = $1 AND key = $2 AND status = 0 AND created_at = $3",
    )
    .bind(scope)
    .bind(key)
    .bind(claimed_at)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

/// Record the response of a claim, pending or applied (`IDEMPOTENCY_APPLIED`).
pub(crate) async fn complete(pool: &PgPool, row: &IdempotencyRow) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE idempotency SET status = $1, body = $2
         WHERE scope = $3 AND key = $4 AND status IN (0, 1) AND created_at = $5
           AND request_hash = $6",
    )
    .bind(i32::from(row.status))
    .bind(&row.body)
    .bind(&row.scope)
    .bind(&row.key)
    .bind(&row.created_at)
    .bind(&row.request_hash)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(r.rows_affected() == 1)
}

pub(crate) async fn release(pool: &PgPool, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM idempotency
         WHERE scope = $1 AND key = $2 AND status = 0 AND created_at = $3",
    )
    .bind(scope)
    .bind(key)
    .bind(claimed_at)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn prune(pool: &PgPool, before: &str) -> Result<u64> {
    let r = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(r.rows_affected())
}

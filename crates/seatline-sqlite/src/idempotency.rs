//! Remembered responses to requests carrying an Idempotency-Key, and the claims of requests
//! still running. Each is one statement outside any transaction; the writes run under the
//! store's writer turn, which the caller holds.

use rusqlite::Connection;
use seatline_store::{IdempotencyRow, Result};

use crate::sql::{exec, heavy, row, Get};

pub(crate) fn get(conn: &Connection, scope: &str, key: &str) -> Result<Option<IdempotencyRow>> {
    row(
        conn,
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

/// See `Store::idempotency_claim`; `holder` is this store's boot.
pub(crate) fn claim(
    conn: &Connection,
    [scope, key, request_hash]: [&str; 3],
    at: &str,
    stale_before: &str,
    holder: Option<&str>,
) -> Result<bool> {
    // One statement, so the primary key decides between concurrent claimers; a
    // conflicting pending row of the same request is taken over once it is stale or its
    // holder is gone (`liveness`: a restarted server retries at once).
    let n = exec(
        conn,
        "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at, holder)
         VALUES (?1, ?2, ?3, 0, '', ?4, ?6)
         ON CONFLICT (scope, key) DO UPDATE
         SET created_at = excluded.created_at, holder = excluded.holder
         WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash
           AND (idempotency.created_at < ?5 OR NOT holder_alive(idempotency.holder))",
        (scope, key, request_hash, at, stale_before, holder),
    )?;
    Ok(n == 1)
}

/// See `Tx::idempotency_applied`.
pub(crate) fn applied(conn: &Connection, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
    exec(
        conn,
        "UPDATE idempotency SET status = 1
         WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?",
        (scope, key, claimed_at),
    )?;
    Ok(())
}

/// Record the response of a claim, pending or applied (`IDEMPOTENCY_APPLIED`).
pub(crate) fn complete(conn: &Connection, r: &IdempotencyRow) -> Result<bool> {
    let n = exec(
        conn,
        "UPDATE idempotency SET status = ?, body = ?
         WHERE scope = ? AND key = ? AND status IN (0, 1) AND created_at = ?
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

pub(crate) fn release(conn: &Connection, scope: &str, key: &str, claimed_at: &str) -> Result<()> {
    exec(
        conn,
        "DELETE FROM idempotency
         WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?",
        (scope, key, claimed_at),
    )?;
    Ok(())
}

pub(crate) fn prune(conn: &Connection, before: &str) -> Result<u64> {
    let n = heavy(true, || {
        exec(
            conn,
            "DELETE FROM idempotency WHERE created_at < ?",
            (before,),
        )
    })?;
    Ok(n as u64)
}

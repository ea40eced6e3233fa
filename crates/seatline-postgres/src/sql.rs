//! Plumbing every capability shares: opening a transaction, mapping errors, and the value
//! shapes SQL wants.

use seatline_domain::ExtKey;
use seatline_store::{Result, StoreError};
use sqlx::PgPool;

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

/// Schema constraints refusing a change become [`StoreError::Constraint`]; anything else is
/// a database failure.
pub(crate) fn db(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    if let Some(sqlx::Error::Database(d)) =
        (&e as &dyn std::error::Error).downcast_ref::<sqlx::Error>()
    {
        if d.is_unique_violation() || d.is_foreign_key_violation() || d.is_check_violation() {
            return StoreError::Constraint(d.message().to_owned());
        }
    }
    StoreError::Db(Box::new(e))
}

/// A page size as SQL wants it; `u32::MAX` means everything and still fits.
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n)
}

/// An extension key as stored: INTEGER.
pub(crate) fn pg_key(k: ExtKey) -> i32 {
    // Keys are at most 99,999.
    k.get() as i32
}

//! Whether the process that holds a claim still lives (issue 26): idempotency claims and
//! webhook delivery claims record their holder, and a claim whose holder is gone is taken
//! over at once instead of after its lease.
//!
//! Each store is a *boot*: a random key under which it holds a session-level advisory lock
//! on a connection of its own for as long as it lives. PostgreSQL drops the lock when that
//! session ends, however the process ended, so a holder is alive exactly while its lock is
//! granted: statements compare a claim's holder with [`LIVE`], the keys locked right now. A
//! NULL holder (a claim made before holders were recorded) is in no list, so statements test
//! `holder NOT IN (LIVE)`, which is not true for NULL, and leave such a claim to its lease.

use std::time::Duration;

use seatline_store::Result;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::oneshot;

use crate::sql::db;

/// The first half of every boot's advisory lock key, so Seatline's boots stay apart from
/// any other advisory lock in the database.
const CLASS: i32 = 0x5345; // "SE"

/// The holders alive now: the boots whose advisory lock is granted in this database.
pub(crate) const LIVE: &str = "SELECT l.objid::text FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 21317 AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

/// How often the lock's connection is checked; a lost one is replaced and locked again.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// This store's boot: the id its claims record, and the task holding its lock, which closes
/// the lock's session when the boot is dropped.
pub(crate) struct Boot {
    pub(crate) id: String,
    _stop: oneshot::Sender<()>,
}

impl Boot {
    pub(crate) async fn start(opts: &PgConnectOptions) -> Result<Boot> {
        let mut conn = PgConnection::connect_with(opts).await.map_err(db)?;
        let key = loop {
            // Positive, so the key reads back from pg_locks' unsigned objid unchanged.
            let key = rand::random_range(1..=i32::MAX);
            let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(CLASS)
                .bind(key)
                .fetch_one(&mut conn)
                .await
                .map_err(db)?;
            if taken {
                break key;
            }
        };
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(hold(conn, opts.clone(), key, stopped));
        Ok(Boot {
            id: key.to_string(),
            _stop: stop,
        })
    }
}

/// Keep the lock until the boot is dropped. If its session is lost (a network failure, a
/// restarted server) the claims look dead to the others meanwhile — which is what they are
/// to a server that lost us — and the lock is taken again on a new connection.
async fn hold(
    conn: PgConnection,
    opts: PgConnectOptions,
    key: i32,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut conn = Some(conn);
    let mut every = tokio::time::interval(CHECK_EVERY);
    loop {
        tokio::select! {
            _ = &mut stopped => {
                if let Some(c) = conn {
                    let _ = c.close().await;
                }
                return;
            }
            _ = every.tick() => {}
        }
        let ok = match conn.as_mut() {
            Some(c) => c.ping().await.is_ok(),
            None => false,
        };
        if ok {
            continue;
        }
        conn = relock(&opts, key).await;
    }
}

async fn relock(opts: &PgConnectOptions, key: i32) -> Option<PgConnection> {
    let attempt = async {
        let mut c = PgConnection::connect_with(opts).await?;
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(CLASS)
            .bind(key)
            .execute(&mut c)
            .await?;
        Ok::<_, sqlx::Error>(c)
    };
    match attempt.await {
        Ok(c) => {
            tracing::warn!("the liveness lock's session was lost and is held again");
            Some(c)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot hold the liveness lock; retrying");
            None
        }
    }
}

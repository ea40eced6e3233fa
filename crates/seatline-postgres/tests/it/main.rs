//! The store conformance suite on PostgreSQL: each test creates a database with a random name
//! under the admin URL `SEATLINE_TEST_PG_URL` (default the local cluster), migrates it, runs
//! its case and drops the database. An unreachable server skips loudly, or fails under CI=true.

use std::sync::Arc;

use async_trait::async_trait;
use seatline_postgres::PostgresStore;
use seatline_store::conformance::Backend;
use seatline_store::Store;
use seatline_testdb::TempPostgres;
use sqlx::{Connection, PgConnection};

/// A fresh database, dropped when the test ends, whether it passed or not.
struct TempDatabase(TempPostgres);

#[async_trait]
impl Backend for TempDatabase {
    async fn store(&self) -> Arc<dyn Store> {
        Arc::new(PostgresStore::connect(&self.0.url).await.expect("connect"))
    }
}

async fn postgres() -> Option<TempDatabase> {
    let db = TempDatabase(
        TempPostgres::create(
            "seatline_test",
            "the PostgreSQL conformance cases pass without running",
        )
        .await?,
    );
    db.store().await.migrate().await.expect("migrate");
    Some(db)
}

seatline_store::conformance_tests!(postgres());
seatline_store::conformance_epoch_tests!(postgres());

/// A request whose client goes away is dropped wherever it is, a transaction's `BEGIN`
/// included. sqlx 0.8 does not roll back a `BEGIN` whose answer had not arrived, so such a
/// connection went back to the pool inside a transaction: the next `BEGIN ISOLATION LEVEL`
/// on it failed and left it aborted for good (wrk closing its connections at the end of a
/// run made 38 % of the next run's requests answer 500). No connection may stay in one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_begins_leave_no_transaction_open() {
    use std::time::Duration;
    let Some(db) = postgres().await else { return };
    let store = db.store().await;
    let org = seatline_domain::OrgId("org_dropped".into());
    let mut conn = PgConnection::connect(&db.0.url).await.expect("connect");
    sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, 'Dropped', '2026-01-01T00:00:00.000Z')")
        .bind(org.as_str())
        .execute(&mut conn)
        .await
        .expect("org");
    // Other transactions keep the server busy, so a BEGIN's answer takes a while to come.
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut load = Vec::new();
    for _ in 0..3 {
        let (store, busy) = (store.clone(), busy.clone());
        load.push(tokio::spawn(async move {
            while busy.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(tx) = store.begin().await {
                    drop(tx.commit().await);
                }
            }
        }));
    }
    // Each begun in a task and aborted after 0 to 300 µs: before its BEGIN is sent, while
    // the answer is on the way, or after.
    for i in 0..900u64 {
        let (store, org) = (store.clone(), org.clone());
        let task = tokio::spawn(async move {
            match i % 3 {
                0 => drop(store.begin().await),
                1 => drop(store.begin_write().await),
                _ => drop(store.lock(&org).await),
            }
        });
        std::thread::sleep(Duration::from_micros(i % 150 * 2));
        task.abort();
        let _ = task.await;
    }
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    for l in load {
        l.await.expect("load");
    }
    // The pool gives connections back in tasks of its own; then none may be in a transaction.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND state LIKE 'idle in transaction%' GROUP BY state",
    )
    .fetch_all(&mut conn)
    .await
    .expect("activity");
    assert_eq!(open, [], "connections left inside a transaction");
    // And every transaction still begins.
    for _ in 0..30 {
        store
            .begin()
            .await
            .expect("begin")
            .commit()
            .await
            .expect("commit");
    }
}

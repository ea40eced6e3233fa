//! The store conformance suite on a temporary SQLite file, one per test.

mod wal_bound;

use std::sync::Arc;

use async_trait::async_trait;
use seatline_sqlite::SqliteStore;
use seatline_store::conformance::Backend;
use seatline_store::Store;

struct TempSqlite {
    /// Removed with the test.
    _dir: tempfile::TempDir,
    path: String,
}

#[async_trait]
impl Backend for TempSqlite {
    async fn store(&self) -> Arc<dyn Store> {
        Arc::new(SqliteStore::connect(&self.path).await.expect("open"))
    }
}

async fn sqlite() -> Option<TempSqlite> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("seatline.db").display().to_string();
    let store = SqliteStore::connect(&path).await.expect("create");
    store.migrate().await.expect("migrate");
    Some(TempSqlite { _dir: dir, path })
}

seatline_store::conformance_tests!(sqlite());
seatline_store::conformance_epoch_tests!(sqlite());

/// The store's checkpoint thread copies committed WAL pages back into the database file
/// while the database stays open: the commits themselves do not (their automatic
/// checkpoint is off), so without the thread the file would not grow until the last
/// connection closed.
#[tokio::test]
async fn the_wal_is_checkpointed_while_open() {
    let db = sqlite().await.expect("sqlite");
    let store = SqliteStore::connect(&db.path).await.expect("open");
    let file_len = || std::fs::metadata(&db.path).expect("database file").len();
    // Another connection writes 4 MB with SQLite's automatic checkpoint off, as the store's
    // own connections do; it stays open, so closing cannot be what checkpoints.
    let writer = rusqlite::Connection::open(&db.path).expect("connect");
    writer
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE filler (b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1024)
             INSERT INTO filler SELECT randomblob(4096) FROM n;",
        )
        .expect("write");
    let before = file_len();
    assert!(
        before < 4 << 20,
        "the pages are in the WAL, not yet in the file"
    );
    let mut after = before;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = file_len();
        if after >= 4 << 20 {
            break;
        }
    }
    assert!(
        after >= 4 << 20,
        "checkpointed within 5 s: {before} -> {after} bytes"
    );
    drop(store);
}

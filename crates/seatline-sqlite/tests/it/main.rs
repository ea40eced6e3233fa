//! The store conformance suite on a temporary SQLite file, one per test.

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

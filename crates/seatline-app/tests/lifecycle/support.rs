//! A fresh SQLite file and, when reachable, a fresh PostgreSQL database for the whole run;
//! each generated case works in an organization of its own.

use std::sync::Arc;

use seatline_app::App;
use seatline_postgres::PostgresStore;
use seatline_sqlite::SqliteStore;
use seatline_store::Store;
use seatline_testdb::TempPostgres;

pub struct World {
    pub app: App,
    pub name: &'static str,
    /// Held for its drop: the database goes with the world.
    _db: Db,
}

/// Dropped after `app` (fields drop in order): the pool closes before the database goes.
enum Db {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] TempPostgres),
}

impl World {
    async fn sqlite() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lifecycle.db");
        let store = SqliteStore::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("open sqlite");
        store.migrate().await.expect("migrate");
        World {
            app: App::new(Arc::new(store)),
            name: "sqlite",
            _db: Db::Sqlite(dir),
        }
    }

    /// A fresh PostgreSQL database under `SEATLINE_TEST_PG_URL`; `None` (said loudly) when
    /// the server is unreachable, a failure under `CI=true`.
    async fn postgres() -> Option<World> {
        let db = TempPostgres::create(
            "seatline_lifecycle",
            "the lifecycle property test ran on SQLite only",
        )
        .await?;
        let store = PostgresStore::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        Some(World {
            app: App::new(Arc::new(store)),
            name: "postgres",
            _db: Db::Postgres(db),
        })
    }

    /// Every world the test runs on: SQLite, and PostgreSQL when reachable.
    pub async fn all() -> Vec<World> {
        let mut worlds = vec![World::sqlite().await];
        worlds.extend(World::postgres().await);
        worlds
    }
}

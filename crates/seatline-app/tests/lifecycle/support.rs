//! A fresh SQLite file and, when reachable, a fresh PostgreSQL database for the whole run;
//! each generated case works in an organization of its own.

use std::io::Write;
use std::sync::{Arc, Once};

use seatline_app::App;
use seatline_postgres::PostgresStore;
use seatline_sqlite::SqliteStore;
use seatline_store::Store;
use sqlx::Connection;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct World {
    pub app: App,
    pub name: &'static str,
    db: Db,
}

enum Db {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl Drop for World {
    fn drop(&mut self) {
        let Db::Postgres { admin, name } = &self.db else {
            return;
        };
        // Drop may run inside the test's runtime: a thread and a runtime of its own.
        let (admin, db) = (admin.clone(), name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut c = sqlx::PgConnection::connect(&admin).await?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                    .execute(&mut c)
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {name}");
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
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
            db: Db::Sqlite(dir),
        }
    }

    /// A fresh PostgreSQL database under `SEATLINE_TEST_PG_URL`; `None` (said loudly) when
    /// the server is unreachable, a failure under `CI=true`.
    async fn postgres() -> Option<World> {
        let admin =
            std::env::var("SEATLINE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let mut c = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("PostgreSQL unreachable at {admin} under CI=true: {e}")
            }
            Err(e) => {
                static SAID: Once = Once::new();
                SAID.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED: PostgreSQL unreachable at {admin} ({e}); the lifecycle property test ran on SQLite only"
                    );
                });
                return None;
            }
        };
        let name = format!("seatline_lifecycle_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut c)
            .await
            .expect("create test database");
        let url = with_database(&admin, &name);
        let store = PostgresStore::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        Some(World {
            app: App::new(Arc::new(store)),
            name: "postgres",
            db: Db::Postgres { admin, name },
        })
    }

    /// Every world the test runs on: SQLite, and PostgreSQL when reachable.
    pub async fn all() -> Vec<World> {
        let mut worlds = vec![World::sqlite().await];
        worlds.extend(World::postgres().await);
        worlds
    }
}

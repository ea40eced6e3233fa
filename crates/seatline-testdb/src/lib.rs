//! Tests only: a PostgreSQL database of one test's own, for the suites that run on SQLite
//! and on PostgreSQL. It is created fresh on the server of `SEATLINE_TEST_PG_URL` and dropped
//! (with whatever connections are still open on it) when its guard is dropped, so a test run
//! leaves no databases behind.

use std::io::Write;
use std::sync::Once;

use sqlx::Connection;

/// The server tests use when `SEATLINE_TEST_PG_URL` is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database; dropping it drops the database.
pub struct TempPostgres {
    /// The database's URL, for stores and connections of the test.
    pub url: String,
    admin: String,
    name: String,
}

impl TempPostgres {
    /// A new database named `prefix_<uuid>`. When PostgreSQL is unreachable: a failure under
    /// `CI=true`, elsewhere `None` and one `SKIPPED` line per test binary on stderr (past the
    /// harness's capture) saying `skipped`, what ran without it.
    pub async fn create(prefix: &str, skipped: &str) -> Option<TempPostgres> {
        let admin =
            std::env::var("SEATLINE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("PostgreSQL unreachable at {admin} under CI=true: {e}")
            }
            Err(e) => {
                static SAID: Once = Once::new();
                SAID.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED: PostgreSQL unreachable at {admin} ({e}); {skipped}. Set SEATLINE_TEST_PG_URL."
                    );
                });
                return None;
            }
        };
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create test database");
        Some(TempPostgres {
            url: with_database(&admin, &name),
            admin,
            name,
        })
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let (admin, db) = (self.admin.clone(), self.name.clone());
        // A thread and a runtime of its own: the guard may be dropped inside the test's
        // runtime, where blocking on another future is not allowed.
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
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// `url` with its database name replaced by `name` (its query string kept).
pub fn with_database(url: &str, name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::{with_database, TempPostgres};

    #[tokio::test]
    async fn a_dropped_guard_drops_its_database() {
        let Some(db) = TempPostgres::create("seatline_testdb", "the guard test did not run").await
        else {
            return;
        };
        let exists = |admin: String, name: String| async move {
            let mut c = sqlx::PgConnection::connect(&admin).await.expect("admin");
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_one(&mut c)
                .await
                .expect("count");
            n == 1
        };
        let (admin, name) = (db.admin.clone(), db.name.clone());
        // A connection still open on it does not keep it.
        let _open = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        assert!(exists(admin.clone(), name.clone()).await, "{name} created");
        drop(db);
        assert!(!exists(admin, name.clone()).await, "{name} still there");
    }

    #[test]
    fn database_names_replace_the_path_only() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t2"),
            "postgresql://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
    }
}

//! A fresh SQLite file per test, and an organization with an owner, an admin and a member,
//! each acting through a context obtained from a real bearer token.

use std::fmt::Debug;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Once};

use seatline_app::{App, AppResult, Ctx};
use seatline_domain::{ErrorCode, OrgId};
use seatline_sqlite::SqliteStore;
use seatline_store::{AuditEntry, AuditQuery, Store};
use sqlx::Connection;
use tempfile::TempDir;

pub struct World {
    pub app: App,
    pub dir: TempDir,
    pub path: PathBuf,
}

pub async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("seatline.db");
    let store = SqliteStore::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("open sqlite");
    store.migrate().await.expect("migrate");
    World {
        app: App::new(Arc::new(store)),
        dir,
        path,
    }
}

/// An organization and its people, each with a context from its own token.
pub struct Org {
    pub id: OrgId,
    pub owner_id: String,
    pub admin_id: String,
    pub member_id: String,
    pub owner: Ctx,
    pub admin: Ctx,
    pub member: Ctx,
}

pub fn op() -> Ctx {
    Ctx::operator()
}

/// The context a member's freshly issued token authenticates as.
pub async fn login(app: &App, org: &OrgId, member: &str) -> Ctx {
    let t = app.issue_token(&op(), org, member).await.expect("token");
    app.authenticate(&t.token).await.expect("authenticate")
}

/// An org named `name` with 10 phone_system seats, a few add-ons, and two numbers.
pub async fn org(app: &App, name: &str) -> Org {
    let created = app
        .create_org(&op(), name, &format!("owner@{name}.example"), "Owner")
        .await
        .expect("create org");
    let id = OrgId(created.id.clone());
    for (code, q) in [
        ("phone_system", 10),
        ("license_center", 5),
        ("device_web_rtc", 5),
        ("license_number", 5),
    ] {
        app.set_quantity(&op(), &id, code, q)
            .await
            .expect("quantity");
    }
    for n in ["+6531230001", "+6531230002"] {
        app.add_number(&op(), &id, n).await.expect("number");
    }
    let owner = login(app, &id, &created.owner.id).await;
    let admin = app
        .create_member(
            &owner,
            &id,
            &format!("admin@{name}.example"),
            "Admin",
            "admin",
        )
        .await
        .expect("admin");
    let member = app
        .create_member(
            &owner,
            &id,
            &format!("member@{name}.example"),
            "Member",
            "member",
        )
        .await
        .expect("member");
    Org {
        owner,
        admin: login(app, &id, &admin.id).await,
        member: login(app, &id, &member.id).await,
        owner_id: created.owner.id,
        admin_id: admin.id,
        member_id: member.id,
        id,
    }
}

/// The error code of a refused use case; fails the test if it succeeded.
#[track_caller]
pub fn code<T: Debug>(r: AppResult<T>) -> ErrorCode {
    match r {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => e.code().unwrap_or_else(|| panic!("a storage error: {e}")),
    }
}

/// The org's whole audit log, newest first, read straight from the store.
pub async fn audit_log(app: &App, org: &OrgId) -> Vec<AuditEntry> {
    let mut tx = app.store().begin().await.expect("begin");
    tx.audit(
        org,
        &AuditQuery {
            limit: u32::MAX,
            ..Default::default()
        },
    )
    .await
    .expect("audit")
}

// ---- a database of one test's own, dropped with it ----

/// Keeps a test's database for as long as the test holds it: the temp directory of a
/// SQLite file, or a fresh PostgreSQL database, dropped (with its connections) on drop.
pub enum Guard {
    Sqlite(#[allow(dead_code)] TempDir),
    Postgres { admin: String, name: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Guard::Postgres { admin, name } = self else {
            return;
        };
        let (admin, db) = (admin.clone(), name.clone());
        // A thread of its own: the test's runtime may be the one dropping the guard.
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

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `url` with its database name replaced by `name`.
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

/// A fresh PostgreSQL database named `prefix_<uuid>` on `SEATLINE_TEST_PG_URL`'s server:
/// its URL and the guard that drops it. Unreachable PostgreSQL fails the test under
/// `CI=true`; elsewhere it is said once and the caller runs on SQLite only.
pub async fn fresh_postgres(prefix: &str) -> Option<(String, Guard)> {
    let admin = std::env::var("SEATLINE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
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
                    "SKIPPED: PostgreSQL unreachable at {admin} ({e}); the feed and webhook tests ran on SQLite only"
                );
            });
            return None;
        }
    };
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut c)
        .await
        .expect("create test database");
    let url = with_database(&admin, &name);
    Some((url, Guard::Postgres { admin, name }))
}

//! A fresh SQLite file per test, and an organization with an owner, an admin and a member,
//! each acting through a context obtained from a real bearer token.

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;

use seatline_app::{App, AppResult, Ctx};
use seatline_domain::{ErrorCode, OrgId};
use seatline_sqlite::SqliteStore;
use seatline_store::{AuditEntry, AuditQuery, Store};
use seatline_testdb::TempPostgres;
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
/// SQLite file, or a fresh PostgreSQL database (dropped with the guard).
pub enum Guard {
    Sqlite(#[allow(dead_code)] TempDir),
    Postgres(#[allow(dead_code)] TempPostgres),
}

/// A fresh PostgreSQL database named `prefix_<uuid>`: its URL and its guard; `None` when
/// PostgreSQL is unreachable outside CI (see [`TempPostgres::create`]).
pub async fn fresh_postgres(prefix: &str) -> Option<(String, Guard)> {
    let db = TempPostgres::create(prefix, "the feed and webhook tests ran on SQLite only").await?;
    Some((db.url.clone(), Guard::Postgres(db)))
}

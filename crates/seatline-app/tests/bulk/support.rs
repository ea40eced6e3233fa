//! A fresh database per test world (SQLite temp file always; PostgreSQL when reachable), an
//! organization fixture with members, numbers and seats, and a failure a test can inject
//! into the store with a trigger.

use std::path::PathBuf;
use std::sync::Arc;

use seatline_app::{App, Ctx};
use seatline_domain::permissions::Actor;
use seatline_domain::{MemberId, OrgId, Role, Status};
use seatline_sqlite::SqliteStore;
use seatline_store::{AuditQuery, Store};
use sqlx::Connection;

pub struct World {
    pub app: App,
    pub name: &'static str,
    db: Db,
}

enum Db {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
}

impl World {
    pub async fn sqlite() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bulk.db");
        let store = SqliteStore::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("open sqlite");
        store.migrate().await.expect("migrate");
        World {
            app: App::new(Arc::new(store)),
            name: "sqlite",
            db: Db::Sqlite { path, _dir: dir },
        }
    }

    /// Every world the tests run on.
    pub async fn all() -> Vec<World> {
        vec![World::sqlite().await]
    }

    /// Make the store refuse the audit entry of one target: a failure in the middle of a
    /// transaction, after its extensions, add-ons and numbers were written.
    pub async fn fail_audit_of(&self, target: &str) {
        let sql = format!(
            "CREATE TRIGGER injected_failure BEFORE INSERT ON audit WHEN NEW.target = '{target}' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        );
        self.exec(&sql).await;
    }

    pub async fn heal(&self) {
        self.exec("DROP TRIGGER injected_failure").await;
    }

    async fn exec(&self, sql: &str) {
        match &self.db {
            Db::Sqlite { path, .. } => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
            }
        }
    }
}

pub struct Org {
    pub id: OrgId,
    pub owner: Ctx,
}

pub const MEMBERS: [&str; 8] = [
    "m1@example.com",
    "m2@example.com",
    "m3@example.com",
    "m4@example.com",
    "m5@example.com",
    "m6@example.com",
    "+plus@example.com",
    "-dash@example.com",
];

pub fn number(i: usize) -> String {
    format!("+65312300{i:02}")
}

/// An organization with the members above, numbers 1–20 and seats of every code.
pub async fn org(app: &App, name: &str) -> Org {
    let op = Ctx::operator();
    let created = app
        .create_org(&op, name, "owner@example.com", "Owner")
        .await
        .expect("create org");
    let id = OrgId(created.id.clone());
    let quantities = [
        ("phone_system", 200),
        ("license_number", 20),
        ("license_center", 10),
        ("device_ip_phone", 10),
        ("device_mobile_app", 50),
        ("device_desktop_app", 50),
        ("device_web_rtc", 10),
        ("call_recording", 10),
        ("license_dnc_checking_enabled", 10),
        ("team_chat", 10),
    ];
    for (code, q) in quantities {
        app.set_quantity(&op, &id, code, q).await.expect("quantity");
    }
    for i in 1..=20 {
        app.add_number(&op, &id, &number(i)).await.expect("number");
    }
    let owner = Ctx {
        actor: Actor::Member {
            id: MemberId(created.owner.id.clone()),
            role: Role::Owner,
            status: Status::Active,
        },
        org: Some(id.clone()),
        request_id: None,
    };
    for m in MEMBERS {
        app.create_member(&owner, &id, m, "", "member")
            .await
            .expect("member");
    }
    Org { id, owner }
}

/// What an organization looks like from outside: its extensions as an export, its seats,
/// and how many audit entries it has.
pub async fn observe(app: &App, o: &Org) -> (String, String, usize) {
    let export = app.export_csv(&o.owner, &o.id).await.expect("export");
    let licenses = app.licenses(&o.owner, &o.id).await.expect("licenses");
    let audit = app
        .audit(
            &o.owner,
            &o.id,
            AuditQuery {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    (
        export,
        serde_json::to_string(&licenses).expect("json"),
        audit.items.len(),
    )
}

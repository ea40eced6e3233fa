//! A fresh database per test world (SQLite temp file always; PostgreSQL when reachable), an
//! organization fixture with members, numbers and seats, and a failure a test can inject
//! into the store with a trigger.

use std::path::PathBuf;
use std::sync::Arc;

use seatline_app::{App, Ctx};
use seatline_domain::permissions::Actor;
use seatline_domain::{MemberId, OrgId, Role, Status};
use seatline_postgres::PostgresStore;
use seatline_sqlite::SqliteStore;
use seatline_store::{AuditQuery, Store};
use seatline_testdb::TempPostgres;
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
    /// Dropped after `app` (fields drop in order): the pool closes before the database goes.
    Postgres(TempPostgres),
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

    /// A fresh PostgreSQL database under `SEATLINE_TEST_PG_URL`; `None` (said loudly) when
    /// the server is unreachable, a failure under `CI=true`.
    pub async fn postgres() -> Option<World> {
        let db = TempPostgres::create("seatline_bulk", "the bulk tests ran on SQLite only").await?;
        let world = World {
            app: App::new(Arc::new(
                PostgresStore::connect(&db.url).await.expect("connect"),
            )),
            name: "postgres",
            db: Db::Postgres(db),
        };
        world.app.store().migrate().await.expect("migrate");
        Some(world)
    }

    /// Every world the tests run on: SQLite, and PostgreSQL when reachable.
    pub async fn all() -> Vec<World> {
        let mut worlds = vec![World::sqlite().await];
        worlds.extend(World::postgres().await);
        worlds
    }

    /// Make the store refuse the audit entry of one target: a failure in the middle of a
    /// transaction, after its extensions, add-ons and numbers were written.
    pub async fn fail_audit_of(&self, target: &str) {
        let sql = match self.db {
            Db::Sqlite { .. } => format!(
                "CREATE TRIGGER injected_failure BEFORE INSERT ON audit WHEN NEW.target = '{target}' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            ),
            Db::Postgres(_) => format!(
                "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.target = '{target}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER injected_failure BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION injected_failure();"
            ),
        };
        self.exec(&sql).await;
    }

    pub async fn heal(&self) {
        let sql = match self.db {
            Db::Sqlite { .. } => "DROP TRIGGER injected_failure",
            Db::Postgres(_) => {
                "DROP TRIGGER injected_failure ON audit; DROP FUNCTION injected_failure();"
            }
        };
        self.exec(sql).await;
    }

    async fn exec(&self, sql: &str) {
        match &self.db {
            Db::Sqlite { path, .. } => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
            }
            Db::Postgres(db) => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
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
            scope: None,
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

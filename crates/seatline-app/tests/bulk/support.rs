//! A fresh database per test world (SQLite temp file always; PostgreSQL when reachable), an
//! organization fixture with members, numbers and seats, and a failure a test can inject
//! into the store with a trigger.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Once};

use seatline_app::{App, Ctx};
use seatline_domain::permissions::Actor;
use seatline_domain::{MemberId, OrgId, Role, Status};
use seatline_postgres::PostgresStore;
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
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

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

impl Drop for World {
    fn drop(&mut self) {
        let Db::Postgres { admin, name, .. } = &self.db else {
            return;
        };
        // Drop may run inside the test's runtime: use a thread and a runtime of its own.
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
                        "SKIPPED: PostgreSQL unreachable at {admin} ({e}); the bulk tests ran on SQLite only"
                    );
                });
                return None;
            }
        };
        let name = format!("seatline_bulk_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut c)
            .await
            .expect("create test database");
        let url = with_database(&admin, &name);
        let world = World {
            app: App::new(Arc::new(
                PostgresStore::connect(&url).await.expect("connect"),
            )),
            name: "postgres",
            db: Db::Postgres { admin, name, url },
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
            Db::Postgres { .. } => format!(
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
            Db::Postgres { .. } => {
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
            Db::Postgres { url, .. } => {
                let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
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

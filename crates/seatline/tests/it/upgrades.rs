//! Upgrades (issue 25): a database made by every earlier schema, holding the rows that
//! schema's seatline kept (`tests/fixtures/upgrades/NNNN.sql`, loaded right after migration
//! NNNN, so a fixture is always written against the schema of its time), is migrated to the
//! latest by `seatline migrate` and then read and written through the binary, on SQLite and
//! on PostgreSQL. A database migrated by a newer seatline is refused with `schema_too_new`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::{Connection, PgConnection, SqliteConnection};

static SQLITE: Migrator = sqlx::migrate!("../seatline-sqlite/migrations");
static POSTGRES: Migrator = sqlx::migrate!("../seatline-postgres/migrations");

const ORG: &str = "org_fixture";

/// The rows a seatline of schema `version` kept, when that migration has a fixture.
fn fixture(version: i64) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upgrades")
        .join(format!("{version:04}.sql"));
    std::fs::read_to_string(path).ok()
}

/// Migrations up to `upto`, each followed by its fixture, as that schema's binary left them.
async fn build<C: Connection + Migrate>(conn: &mut C, migrator: &Migrator, upto: i64)
where
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
{
    conn.ensure_migrations_table().await.expect("history table");
    for m in migrator.iter().filter(|m| m.version <= upto) {
        conn.apply(m).await.expect("an earlier migration");
        if let Some(sql) = fixture(m.version) {
            sqlx::raw_sql(&sql)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("fixture {:04}: {e}", m.version));
        }
    }
}

fn run(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seatline"))
        .env_remove("SEATLINE_DATABASE_URL")
        .env_remove("SEATLINE_ORG")
        .env_remove("RUST_LOG")
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .expect("run seatline")
}

fn json(url: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(url, &all);
    assert!(
        out.status.success(),
        "seatline {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "seatline {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn items(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(a)) => a,
            _ => panic!("no items in {o:?}"),
        },
        other => panic!("not a list: {other}"),
    }
}

/// What every upgraded database must answer, whatever schema its rows were written in:
/// the reads of every capability the fixtures hold, then a write that extends the history.
fn check(url: &str, from: i64) {
    let out = run(url, &["migrate"]);
    assert!(
        out.status.success(),
        "migrating from schema {from}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let members = items(json(url, &["member", "list", "--org", ORG]));
    assert_eq!(members.len(), 4, "from schema {from}: {members:?}");
    let agent = members
        .iter()
        .find(|m| m["email"] == "agent@fixture.example")
        .unwrap_or_else(|| panic!("from schema {from}: no agent in {members:?}"));
    assert_eq!(agent["status"], "active", "{agent}");
    let gone = members
        .iter()
        .find(|m| m["email"] == "gone@fixture.example")
        .expect("the disabled member");
    assert_eq!(gone["status"], "disabled", "{gone}");

    let exts = items(json(url, &["ext", "list", "--org", ORG]));
    let keys: Vec<String> = exts.iter().map(|e| e["key"].to_string()).collect();
    assert_eq!(exts.len(), 3, "from schema {from}: {keys:?}");
    let e1001 = exts
        .iter()
        .find(|e| e["key"] == "1001" || e["key"] == 1001)
        .unwrap_or_else(|| panic!("from schema {from}: no 1001 in {exts:?}"));
    let text = e1001.to_string();
    for part in ["license_center", "device_mobile_app", "+6580000001"] {
        assert!(text.contains(part), "from schema {from}: {text}");
    }

    let ent = json(
        url,
        &["entitlements", "--org", ORG, "agent@fixture.example"],
    );
    let ent_text = ent.to_string();
    assert!(
        ent_text.contains("1001") && ent_text.contains("license_center"),
        "from schema {from}: {ent_text}"
    );

    let summary = json(url, &["license", "summary", "--org", ORG]);
    let phone = items(summary)
        .into_iter()
        .find(|l| l["code"] == "phone_system")
        .expect("phone_system");
    assert_eq!(phone["in_use"], 3, "from schema {from}: {phone}");

    let audit = items(json(url, &["audit", "--org", ORG]));
    assert!(audit.len() >= 3, "from schema {from}: {audit:?}");
    assert!(
        audit.iter().any(|a| a["action"] == "org.create"),
        "from schema {from}: {audit:?}"
    );

    // A write after the upgrade: its event follows the history the database kept.
    let before = events(url);
    let out = run(
        url,
        &[
            "ext",
            "provision",
            "--org",
            ORG,
            "--start",
            "1004",
            "--count",
            "1",
        ],
    );
    assert!(
        out.status.success(),
        "from schema {from}: provisioning after the upgrade: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = events(url);
    assert_eq!(
        after.len(),
        before.len() + 1,
        "from schema {from}: one event for the new extension"
    );
    let last_before = before.last().map_or(0, |e| e["seq"].as_i64().unwrap());
    assert_eq!(
        after.last().unwrap()["seq"].as_i64().unwrap(),
        last_before + 1,
        "from schema {from}: the seq goes on from the kept history"
    );
    if from >= 3 {
        assert_eq!(before.len(), 2, "from schema {from}: the kept events");
        assert_eq!(before[0]["id"], "evt_fixture_1", "{before:?}");
    }
    if from >= 8 {
        templates_keep_direct_copies(url, from);
    }
}

/// Copies held before templates are direct (migration 0013): a template granting the same
/// codes to the Support team, then deleted, leaves them where they were.
fn templates_keep_direct_copies(url: &str, from: i64) {
    let addons = |key: &str| -> Value {
        let exts = items(json(url, &["ext", "list", "--org", ORG]));
        let e = exts
            .into_iter()
            .find(|e| e["key"] == key)
            .unwrap_or_else(|| panic!("from schema {from}: no {key}"));
        e["addons"].clone()
    };
    let (agent, admin) = (addons("1001"), addons("1002"));
    json(
        url,
        &[
            "teams",
            "template",
            "set",
            "--org",
            ORG,
            "team_support",
            "--addon",
            "license_center",
            "--addon",
            "device_mobile_app",
        ],
    );
    let status = json(
        url,
        &["teams", "template", "status", "--org", ORG, "team_support"],
    );
    // The agent holds both codes already; the admin (in the team from schema 12) needs a
    // license_center copy, whose subscription the fixtures suspended: an error, not a wait.
    assert_eq!(status["ok"], 1, "from schema {from}: {status}");
    assert_eq!(
        status["error"],
        i64::from(from >= 12),
        "from schema {from}: {status}"
    );
    let out = run(
        url,
        &["teams", "template", "delete", "--org", ORG, "team_support"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        addons("1001"),
        agent,
        "from schema {from}: the agent's direct copies"
    );
    assert_eq!(
        addons("1002"),
        admin,
        "from schema {from}: the admin's direct copies"
    );
}

/// The feed's events, oldest first (`events tail` prints one JSON object per line).
fn events(url: &str) -> Vec<Value> {
    let out = run(url, &["events", "tail", "--org", ORG]);
    assert!(
        out.status.success(),
        "events tail: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an event per line"))
        .collect()
}

fn latest(m: &Migrator) -> i64 {
    m.iter().map(|m| m.version).max().expect("migrations")
}

#[tokio::test]
async fn every_earlier_sqlite_schema_upgrades_with_its_rows() {
    for from in 1..latest(&SQLITE) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seatline.db");
        let url = format!("sqlite:{}", path.display());
        let opts = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = SqliteConnection::connect(&opts).await.expect("open");
        build(&mut conn, &SQLITE, from).await;
        conn.close().await.expect("close");
        check(&url, from);
    }
}

#[tokio::test]
async fn every_earlier_postgres_schema_upgrades_with_its_rows() {
    for from in 1..latest(&POSTGRES) {
        let Some(db) = seatline_testdb::TempPostgres::create(
            "seatline_upgrade",
            "the PostgreSQL upgrade cases pass without running",
        )
        .await
        else {
            return;
        };
        let mut conn = PgConnection::connect(&db.url).await.expect("connect");
        build(&mut conn, &POSTGRES, from).await;
        conn.close().await.expect("close");
        check(&db.url, from);
    }
}

/// A database a newer seatline migrated: this one refuses it, naming both versions, and
/// leaves it as it was.
async fn refuses_newer(url: &str, known: i64) {
    let out = run(url, &["member", "list", "--org", ORG]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let newer = known + 1;
    assert!(
        stderr.contains("schema_too_new")
            && stderr.contains(&format!("version {newer}"))
            && stderr.contains(&format!("up to {known}")),
        "{stderr}"
    );
}

const NEWER: &str = "INSERT INTO _sqlx_migrations \
    (version, description, success, checksum, execution_time) \
    VALUES ($1, 'from a newer seatline', TRUE, $2, 1)";

#[tokio::test]
async fn a_newer_sqlite_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seatline.db");
    let url = format!("sqlite:{}", path.display());
    assert!(run(&url, &["migrate"]).status.success());
    let known = latest(&SQLITE);
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    sqlx::query(NEWER)
        .bind(known + 1)
        .bind(vec![0u8; 48])
        .execute(&mut conn)
        .await
        .expect("record a newer migration");
    conn.close().await.expect("close");
    refuses_newer(&url, known).await;
}

#[tokio::test]
async fn a_newer_postgres_schema_is_refused() {
    let Some(db) = seatline_testdb::TempPostgres::create(
        "seatline_upgrade",
        "the PostgreSQL schema guard case passes without running",
    )
    .await
    else {
        return;
    };
    assert!(run(&db.url, &["migrate"]).status.success());
    let known = latest(&POSTGRES);
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query(NEWER)
        .bind(known + 1)
        .bind(vec![0u8; 48])
        .execute(&mut conn)
        .await
        .expect("record a newer migration");
    conn.close().await.expect("close");
    refuses_newer(&db.url, known).await;
}

//! The walk-through (docs/walkthrough.md), end to end, through the real `seatline` binary on a temp SQLite
//! file: an org with 10 Phone System seats provisions 10 extensions from 1001, assigns a
//! member and the owner, gives them Contact Center and a device, shows a ready agent and a
//! ready supervisor, and has an 11th provision refused with `seats_exhausted` on stderr.
//! Also checks the documented exit codes: 0 success, 1 refused, 2 usage.

mod activity;
mod backup;
mod bulk;
mod lifecycle;
mod memory;
mod observed;
mod readme;
mod reports;
mod scim_token;
mod serve_demo;
mod serve_lifecycle;
mod serve_race;
mod serve_waiting_room;
mod shutdown;
mod sign_in_links;
mod teams;
mod templates;
mod upgrades;
mod webhooks;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

/// The binary, run in `dir` against `dir/seatline.db`, with no inherited Seatline settings.
struct Cli<'a> {
    dir: &'a Path,
}

impl Cli<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_seatline"));
        c.current_dir(self.dir)
            .env_remove("SEATLINE_DATABASE_URL")
            .env_remove("SEATLINE_ORG")
            .env_remove("RUST_LOG")
            .arg("--database-url")
            .arg(format!("sqlite:{}", self.dir.join("seatline.db").display()))
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run seatline")
    }

    /// Run a command that must succeed, and return its stdout.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seatline {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Run a command with `--json` that must succeed, and parse its stdout.
    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("seatline {args:?}: {e}: {out}"))
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn readme_walkthrough() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };

    assert_eq!(cli.run(&["migrate"]).status.code(), Some(0));

    // The operator creates the org with its owner and sets the purchased quantities.
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Acme",
        "--owner-email",
        "owner@acme.example",
        "--owner-name",
        "Olivia Owner",
    ]);
    let id = org["id"].as_str().expect("org id").to_owned();
    let owner_id = org["owner"]["id"].as_str().expect("owner id").to_owned();
    assert_eq!(org["owner"]["role"], "owner");
    let o = id.as_str();
    for (code, q) in [
        ("phone_system", "10"),
        ("license_center", "5"),
        ("device_web_rtc", "5"),
    ] {
        let l = cli.json(&["license", "set", "--org", o, code, q]);
        assert_eq!(l["code"], code);
        assert_eq!(l["purchased"].to_string(), q);
    }

    // The owner adds a member and provisions 10 extensions from 1001.
    let ann = cli.json(&[
        "member",
        "add",
        "--org",
        o,
        "ann@acme.example",
        "--name",
        "Ann",
    ]);
    assert_eq!(
        (&ann["role"], &ann["status"]),
        (&json!("member"), &json!("active"))
    );
    let provisioned = cli.json(&[
        "ext",
        "provision",
        "--org",
        o,
        "--count",
        "10",
        "--start",
        "1001",
    ]);
    let keys: Vec<&str> = provisioned["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["key"].as_str().expect("key"))
        .collect();
    assert_eq!(
        keys,
        ["1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010"]
    );

    // Assign the member and the owner, and give both Contact Center and a Web Phone.
    for (key, who) in [("1001", "ann@acme.example"), ("1002", "owner@acme.example")] {
        let e = cli.json(&["ext", "assign", "--org", o, key, who]);
        assert_eq!(e["member"]["email"], who);
        let e = cli.json(&[
            "ext",
            "addons",
            "--org",
            o,
            key,
            "license_center",
            "device_web_rtc",
        ]);
        assert_eq!(e["addons"], json!(["device_web_rtc", "license_center"]));
    }

    // A ready agent and a ready supervisor.
    let cc = cli.json(&["contact-center", "--org", o]);
    let people: Vec<(&str, &Value)> = cc["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m))
        .collect();
    assert_eq!(people.len(), 2);
    let find = |email: &str| people.iter().find(|(e, _)| *e == email).expect(email).1;
    let agent = find("ann@acme.example");
    assert_eq!(agent["extension"], "1001");
    assert_eq!(
        agent["contact_center"],
        json!({"role": "agent", "ready": true, "missing": []})
    );
    let supervisor = find("owner@acme.example");
    assert_eq!(supervisor["id"], owner_id);
    assert_eq!(
        supervisor["contact_center"],
        json!({"role": "supervisor", "ready": true, "missing": []})
    );
    // The human table says the same.
    let table = cli.ok(&["contact-center", "--org", o]);
    assert_eq!(table.matches("ready").count(), 2, "{table}");
    assert!(
        table.contains("agent") && table.contains("supervisor"),
        "{table}"
    );

    // The seats are all in use.
    let summary = cli.json(&["license", "summary", "--org", o]);
    let ps = summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "phone_system")
        .expect("phone_system");
    assert_eq!(
        (
            &ps["purchased"],
            &ps["in_use"],
            &ps["assigned"],
            &ps["available"]
        ),
        (&json!(10), &json!(10), &json!(2), &json!(0))
    );

    // An 11th extension is refused with seats_exhausted and exit code 1, as text ...
    let out = cli.run(&[
        "ext",
        "provision",
        "--org",
        o,
        "--count",
        "1",
        "--start",
        "1011",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("seats_exhausted"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // ... and as JSON, with the details a script needs.
    let out = cli.run(&[
        "--json",
        "ext",
        "provision",
        "--org",
        o,
        "--count",
        "1",
        "--start",
        "1011",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_str(stderr(&out).trim()).expect("a JSON error on stderr");
    assert_eq!(err["error"]["code"], "seats_exhausted");
    assert_eq!(
        err["error"]["details"],
        json!({"code": "phone_system", "needed": 1, "available": 0})
    );

    // Nothing was provisioned by the refused requests.
    let exts = cli.json(&["ext", "list", "--org", o]);
    assert_eq!(exts["items"].as_array().unwrap().len(), 10);

    // The member's entitlements, and the audit log of it all.
    let ent = cli.json(&["entitlements", "--org", o, "ann@acme.example"]);
    assert_eq!(
        ent["entitled"],
        json!(["phone_system", "device_web_rtc", "license_center"])
    );
    let audit = cli.json(&["audit", "--org", o, "--limit", "100"]);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "extension.provision")
            .count(),
        10
    );
    assert_eq!(actions.last(), Some(&"org.create"));
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Acme",
        "--owner-email",
        "o@acme.example",
    ]);
    let o = org["id"].as_str().unwrap();

    // 2: the command line itself is wrong.
    for args in [
        &["ext", "provision", "--org", o, "--start", "1001"][..],
        &["no-such-command"],
        &["license", "show-me", "--org", o],
        // Neither --org nor SEATLINE_ORG.
        &["ext", "list"],
        &[
            "ext",
            "provision",
            "--org",
            o,
            "--count",
            "ten",
            "--start",
            "1001",
        ],
    ] {
        let out = cli.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }

    // 1: a rule refused, with its code.
    let refused: &[(&[&str], &str)] = &[
        (
            &[
                "ext",
                "provision",
                "--org",
                o,
                "--count",
                "1",
                "--start",
                "0100",
            ],
            "invalid_ext_key",
        ),
        (
            &[
                "ext",
                "provision",
                "--org",
                o,
                "--count",
                "2",
                "--start",
                "99999",
            ],
            "invalid_ext_key",
        ),
        (
            &[
                "ext",
                "provision",
                "--org",
                o,
                "--count",
                "0",
                "--start",
                "1001",
            ],
            "invalid_count",
        ),
        (&["license", "set", "--org", o, "fax", "1"], "unknown_code"),
        (
            &["member", "add", "--org", o, "not-an-email"],
            "invalid_email",
        ),
        (&["org", "show", "--org", "org_nowhere"], "not_found"),
    ];
    for (args, code) in refused {
        let out = cli.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(code), "{args:?}: {}", stderr(&out));
    }

    // The environment names the database and the org as well as the flags do.
    let out = Command::new(env!("CARGO_BIN_EXE_seatline"))
        .current_dir(dir.path())
        .env(
            "SEATLINE_DATABASE_URL",
            format!("sqlite:{}", dir.path().join("seatline.db").display()),
        )
        .env("SEATLINE_ORG", o)
        .env_remove("RUST_LOG")
        .args(["--json", "org", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["name"], "Acme");
}

/// `serve` exits 2 naming the address when it cannot listen there (mistyped, or taken), and
/// 3 with the connection error when the database does not answer, within 5 seconds.
#[test]
fn serve_listen_and_database_failures() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let out = cli.run(&["serve", "--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot listen on not-an-address"),
        "{}",
        stderr(&out)
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = cli.run(&["serve", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot listen on {addr}")),
        "{}",
        stderr(&out)
    );

    // Nothing listens on port 1: PostgreSQL refuses, and is not retried for 30 s.
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_seatline"))
        .current_dir(dir.path())
        .env_remove("SEATLINE_DATABASE_URL")
        .args([
            "--database-url",
            "postgres://postgres@127.0.0.1:1/seatline",
            "migrate",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    let text = stderr(&out).to_lowercase();
    assert!(text.contains("refused"), "the connection error: {text}");
}

/// `--help` says what the tool does, not what the crate is; logs written to a pipe carry
/// no colour codes.
#[test]
fn help_and_plain_logs() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let help = cli.ok(&["--help"]);
    assert!(help.contains("cloud phone system"), "{help}");
    assert!(!help.contains("names a backend"), "{help}");
    let serve = cli.ok(&["serve", "--help"]);
    assert!(serve.contains("[default: 127.0.0.1:8080]"), "{serve}");
    // --org may come from SEATLINE_ORG: the usage line does not demand it.
    let provision = cli.ok(&["ext", "provision", "--help"]);
    let usage = provision.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert_eq!(
        usage,
        "Usage: seatline ext provision [OPTIONS] --count <COUNT> --start <START>"
    );
    assert!(provision.contains("How many extensions"), "{provision}");

    let mut child = cli
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let mut seen = Vec::new();
    for line in lines {
        let line = line.unwrap();
        let done = line.starts_with("Seatline listening");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = seen.join("\n");
    assert!(text.contains("seatline serving"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a pipe: {text:?}");
}

//! `seatline teams template …` and `seatline waiting-room` (product.md §13): the owner sets a
//! team's template, its member becomes a ready agent, the one without a seat waits, and
//! deleting the template revokes what it granted.

use serde_json::json;

use crate::{stderr, Cli};

#[test]
fn templates_and_the_waiting_room_from_the_cli() {
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
    cli.ok(&["license", "set", "--org", o, "phone_system", "5"]);
    cli.ok(&["license", "set", "--org", o, "license_center", "1"]);
    for email in ["ann@acme.example", "bob@acme.example"] {
        cli.ok(&["member", "add", "--org", o, email]);
    }
    let t = cli.json(&["teams", "create", "--org", o, "Agents"]);
    let team = t["id"].as_str().unwrap();
    let set = cli.json(&[
        "teams",
        "template",
        "set",
        "--org",
        o,
        team,
        "--extension",
        "2000-2009",
        "--addon",
        "license_center",
    ]);
    assert_eq!(set["extension"], json!({"from": "2000", "to": "2009"}));
    assert_eq!(set["addons"], json!({"license_center": 1}));
    cli.ok(&[
        "teams",
        "members",
        "--org",
        o,
        team,
        "ann@acme.example",
        "bob@acme.example",
    ]);
    let status = cli.json(&["teams", "template", "status", "--org", o, team]);
    assert_eq!(
        (status["ok"].as_u64(), status["waiting"].as_u64()),
        (Some(1), Some(1)),
        "{status}"
    );
    let room = cli.json(&["waiting-room", "--org", o]);
    assert_eq!(room.as_array().unwrap().len(), 1, "{room}");
    assert_eq!(room[0]["state"], "waiting");
    let table = cli.ok(&["waiting-room", "--org", o]);
    assert!(table.contains("seats_exhausted"), "{table}");
    // A bad add-on count is refused naming its field, exit 1.
    let out = cli.run(&[
        "teams",
        "template",
        "set",
        "--org",
        o,
        team,
        "--addon",
        "license_center=2",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("addons.license_center"),
        "{}",
        stderr(&out)
    );
    // Deleting it as a plan: every member's row says revoke, then the bulk path applies it.
    let plan = cli.json(&["teams", "template", "plan", "--org", o, team, "--delete"]);
    let outcomes: Vec<&str> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "revoke").count(),
        1,
        "{plan}"
    );
    let table = cli.ok(&["teams", "template", "plan", "--org", o, team, "--delete"]);
    assert!(
        table.contains("revoke") && table.contains("freed"),
        "{table}"
    );
    let id = plan["id"].as_str().unwrap();
    cli.ok(&["bulk", "apply", "--org", o, id]);
    let out = cli.run(&["teams", "template", "get", "--org", o, team]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let exts = cli.json(&["ext", "list", "--org", o]);
    assert!(
        exts["items"].as_array().unwrap().is_empty(),
        "revoked: {exts}"
    );
}

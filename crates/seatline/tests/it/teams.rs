//! `seatline teams …`: the owner makes a team and limits an admin to it; acting `--as` that
//! admin, the CLI sees only its team's members and may not manage teams.

use crate::{stderr, Cli};

#[test]
fn teams_and_a_scoped_admin() {
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
    for (email, role) in [
        ("adm@acme.example", "admin"),
        ("ann@acme.example", "member"),
        ("bob@acme.example", "member"),
    ] {
        cli.ok(&["member", "add", "--org", o, email, "--role", role]);
    }
    let t = cli.json(&[
        "teams",
        "create",
        "--org",
        o,
        "Support",
        "--member",
        "ann@acme.example",
    ]);
    let team = t["id"].as_str().unwrap();
    assert_eq!(t["members"].as_array().unwrap().len(), 1);
    let s = cli.json(&[
        "teams",
        "scope",
        "--org",
        o,
        "adm@acme.example",
        "--team",
        team,
    ]);
    assert_eq!(s["teams"][0], team);
    let as_admin = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--org", o, "--as", "adm@acme.example"]);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let args = as_admin(&["member", "list"]);
    let listed = cli.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let emails: Vec<&str> = listed["items"]
        .as_array()
        .or(listed.as_array())
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"ann@acme.example"), "{emails:?}");
    assert!(!emails.contains(&"bob@acme.example"), "{emails:?}");
    let args = as_admin(&["teams", "create", "Other"]);
    let refused = cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("forbidden"),
        "{}",
        stderr(&refused)
    );
    let s = cli.json(&[
        "teams",
        "scope",
        "--org",
        o,
        "adm@acme.example",
        "--whole-org",
    ]);
    assert!(s["teams"].is_null(), "{s}");
    cli.ok(&["teams", "disable", "--org", o, team]);
    let listed = cli.json(&["teams", "list", "--org", o]);
    assert_eq!(listed[0]["enabled"], false);
    cli.ok(&["teams", "delete", "--org", o, team]);
    assert_eq!(
        cli.json(&["teams", "list", "--org", o]),
        serde_json::json!([])
    );
}

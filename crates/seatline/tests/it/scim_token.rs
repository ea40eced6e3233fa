//! `seatline scim-token create|list|revoke`: the secret is printed once, lists never show it,
//! a revoked token is listed as revoked and cannot be revoked twice.

use crate::{stderr, Cli};

#[test]
fn create_list_revoke() {
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
    let t = cli.json(&["scim-token", "create", "--org", o, "--name", "Okta"]);
    let (id, secret) = (t["id"].as_str().unwrap(), t["token"].as_str().unwrap());
    assert!(secret.starts_with("scim_"), "{t}");
    assert_eq!(t["name"], "Okta");
    // The API's list shape.
    let listed = cli.json(&["scim-token", "list", "--org", o]);
    assert_eq!(listed["next_cursor"], serde_json::Value::Null, "{listed}");
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(listed["items"][0]["revoked"], false);
    let table = cli.ok(&["scim-token", "list", "--org", o]);
    assert!(table.contains(id) && table.contains("active"), "{table}");
    assert!(!table.contains(secret), "the secret is shown once");
    cli.ok(&["scim-token", "revoke", "--org", o, id]);
    assert_eq!(
        cli.json(&["scim-token", "list", "--org", o])["items"][0]["revoked"],
        true
    );
    let again = cli.run(&["scim-token", "revoke", "--org", o, id]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("not_found"), "{}", stderr(&again));
}

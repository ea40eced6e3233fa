//! `seatline activity report FILE` through the real binary (product.md §14).

use crate::Cli;

/// An organization `Calls` with extensions 1001 and 1002; its id.
pub(crate) fn calls_org(cli: &Cli) -> String {
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Calls",
        "--owner-email",
        "owner@calls.example",
    ]);
    let o = org["id"].as_str().unwrap().to_owned();
    cli.ok(&["license", "set", "--org", &o, "phone_system", "5"]);
    cli.ok(&[
        "ext",
        "provision",
        "--org",
        &o,
        "--count",
        "2",
        "--start",
        "1001",
    ]);
    o
}

#[test]
fn report_from_a_json_file() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let o = calls_org(&cli);
    let file = dir.path().join("items.json");
    std::fs::write(
        &file,
        r#"{"items": [
            {"extension": "1001", "kind": "call", "device": null, "at": "2026-01-02T03:04:05Z"},
            {"extension": "1999", "kind": "call", "device": null, "at": "2026-01-02T03:04:05Z"},
            {"extension": "1002", "kind": "call", "device": "fax", "at": "2026-01-02T03:04:05Z"}
        ]}"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let r = cli.json(&["activity", "report", "--org", &o, f]);
    assert_eq!(r["recorded"], 1, "{r}");
    assert_eq!(r["ignored"][0]["extension"], "1999");
    assert_eq!(r["refused"][0]["field"], "device");
    let table = cli.ok(&["activity", "report", "--org", &o, f]);
    assert!(
        table.contains("recorded 1, changed 0, ignored 1 (unknown extensions), refused 1"),
        "{table}"
    );
    assert!(table.contains("invalid_device"), "{table}");
}

//! `seatline report usage|findings [--csv]` and `seatline cleanup plan --kinds … / apply`
//! through the real binary (product.md §11).

use crate::{stderr, Cli};

#[test]
fn report_then_clean_up_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Waste",
        "--owner-email",
        "owner@waste.example",
    ]);
    let o = org["id"].as_str().unwrap().to_owned();
    let o = o.as_str();
    cli.json(&[
        "lifecycle",
        "set",
        "--org",
        o,
        "phone_system",
        "--quantity",
        "4",
        "--unit-price",
        "10",
        "--currency",
        "EUR",
    ]);
    cli.ok(&[
        "ext",
        "provision",
        "--org",
        o,
        "--count",
        "2",
        "--start",
        "1001",
    ]);
    cli.ok(&["ext", "assign", "--org", o, "1001", "owner@waste.example"]);

    let usage = cli.json(&["report", "usage", "--org", o]);
    assert_eq!(usage["items"][0]["monthly_waste"], "30.00", "{usage}");
    assert_eq!(usage["totals"]["monthly_cost"], "40.00");
    let table = cli.ok(&["report", "usage", "--org", o]);
    assert!(
        table.contains("total: monthly cost 40.00 EUR, monthly waste 30.00 EUR"),
        "{table}"
    );

    let csv = cli.ok(&["report", "findings", "--org", o, "--csv"]);
    assert_eq!(
        csv,
        "kind,extension,member,codes,numbers,monthly_waste,suggested_action\r\n\
         extension_unassigned,1002,,phone_system,,10.00,deprovision\r\n"
    );
    let bad = cli.run(&["report", "findings", "--org", o, "--kind", "nope"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("invalid_finding_kind"),
        "{}",
        stderr(&bad)
    );

    // Forecast: 40 days ahead the owner's extension, handed over now and never used, is idle.
    let later = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
    let idle = cli.ok(&[
        "report",
        "findings",
        "--org",
        o,
        "--csv",
        "--at",
        &later,
        "--idle-days",
        "30",
    ]);
    assert!(
        idle.contains("idle_extension,1001,owner@waste.example,phone_system,,10.00,unassign"),
        "{idle}"
    );
    let usage = cli.json(&["report", "usage", "--org", o, "--at", &later]);
    assert_eq!(usage["items"][0]["idle"], 1, "{usage}");
    let table = cli.ok(&["report", "usage", "--org", o, "--at", &later]);
    assert!(table.contains("idle"), "{table}");
    let bad = cli.run(&["report", "usage", "--org", o, "--idle-days", "0"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("idle_days"), "{}", stderr(&bad));
    let refused = cli.run(&["cleanup", "plan", "--org", o, "--kinds", "idle_extension"]);
    assert!(
        stderr(&refused).contains("remove it from kinds"),
        "{}",
        stderr(&refused)
    );

    let shown = cli.ok(&[
        "cleanup",
        "plan",
        "--org",
        o,
        "--kinds",
        "extension_unassigned",
    ]);
    assert!(shown.contains("deprovision"), "{shown}");
    assert!(
        shown.contains("apply it with: seatline cleanup apply"),
        "{shown}"
    );
    let id = cli.ok(&[
        "cleanup",
        "plan",
        "--org",
        o,
        "--kinds",
        "extension_unassigned",
        "--id-only",
    ]);
    let applied = cli.json(&["cleanup", "apply", "--org", o, id.trim()]);
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["seats"][0]["freed"], 1);
    // The first plan no longer matches: 1002 is gone.
    let first = shown
        .split_whitespace()
        .nth(2)
        .unwrap()
        .trim_end_matches(':');
    let stale = cli.run(&["cleanup", "apply", "--org", o, first]);
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
    assert!(stderr(&stale).contains("plan_stale"), "{}", stderr(&stale));
    let csv = cli.ok(&["report", "findings", "--org", o, "--csv"]);
    assert_eq!(csv.lines().count(), 1, "{csv}");
}

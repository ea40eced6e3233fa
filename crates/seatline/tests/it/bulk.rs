//! `seatline bulk` through the real binary on a temp SQLite file: the sample, a file with
//! errors (exit 1, a table naming row, column and code), the fixed file planned as JSON,
//! apply, export giving the rows back, and a second apply that changes nothing.

use serde_json::Value;

use crate::{stderr, Cli};

/// An org with seats for three extensions, two members and two numbers; its id.
fn org(cli: &Cli<'_>) -> String {
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Bulk",
        "--owner-email",
        "owner@bulk.example",
    ]);
    let o = org["id"].as_str().expect("org id").to_owned();
    for (code, q) in [
        ("phone_system", "3"),
        ("license_number", "2"),
        ("device_mobile_app", "3"),
    ] {
        cli.json(&["license", "set", "--org", &o, code, q]);
    }
    for email in ["ann@bulk.example", "bob@bulk.example"] {
        cli.json(&["member", "add", "--org", &o, email]);
    }
    cli.json(&["number", "add", "--org", &o, "+6531000001", "+6531000002"]);
    o
}

/// The (row, column, code) of each line of the error table, cut at the header's columns.
fn error_rows(table: &str) -> Vec<[String; 3]> {
    let lines: Vec<Vec<char>> = table.lines().map(|l| l.chars().collect()).collect();
    let header = lines
        .iter()
        .position(|l| String::from_iter(l).contains(" column "))
        .unwrap_or_else(|| panic!("no error table in:\n{table}"));
    let text = String::from_iter(&lines[header]);
    let at = |name: &str| text[..text.find(name).unwrap()].chars().count();
    let starts = ["row", "column", "value", "code", "message"].map(at);
    let cell = |l: &[char], i: usize| {
        let end = starts.get(i + 1).map_or(l.len(), |e| (*e).min(l.len()));
        String::from_iter(&l[starts[i].min(end)..end])
            .trim()
            .to_owned()
    };
    lines[header + 1..]
        .iter()
        .filter(|l| l.iter().any(char::is_ascii_alphanumeric))
        .map(|l| [cell(l, 0), cell(l, 1), cell(l, 3)])
        .collect()
}

#[test]
fn bulk_sample_plan_apply_export() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    assert_eq!(cli.run(&["migrate"]).status.code(), Some(0));
    let o = org(&cli);
    let o = o.as_str();

    let sample = cli.ok(&["bulk", "sample", "--org", o]);
    let mut lines = sample.lines();
    assert_eq!(
        lines.next(),
        Some("Ext key,Number,User,Addon license,Addon license")
    );
    assert_eq!(lines.count(), 2, "{sample}");

    // Row 2: a number without its license; row 3: an unknown member; row 4: an unknown code.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Ext key,Number,User,Addon license\n\
         1001,+6531000001,ann@bulk.example,\n\
         1002,,zed@bulk.example,device_mobile_app\n\
         1003,,,fax\n",
    )
    .unwrap();
    let out = cli.run(&["bulk", "plan", "--org", o, bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("invalid"), "{table}");
    let errors = error_rows(&table);
    for expected in [
        ["2", "Number", "number_needs_license"],
        ["3", "User", "unknown_member"],
        ["4", "Addon license", "unknown_code"],
    ] {
        assert!(
            errors.contains(&expected.map(str::to_owned)),
            "{expected:?} in {errors:?}:\n{table}"
        );
    }

    let good = dir.path().join("good.csv");
    // Add-ons in catalog order, as the export writes them.
    let rows = "1001,+6531000001,ann@bulk.example,device_mobile_app,license_number\r\n\
                1002,,bob@bulk.example,device_mobile_app,\r\n\
                1003,+6531000002,,device_mobile_app,license_number\r\n";
    std::fs::write(
        &good,
        format!("Ext key,Number,User,Addon license,Addon license\r\n{rows}"),
    )
    .unwrap();
    let plan = cli.json(&["bulk", "plan", "--org", o, good.to_str().unwrap()]);
    assert_eq!(plan["status"], "ready", "{plan}");
    assert_eq!(plan["rows"], 3);
    assert_eq!(plan["errors"], Value::Array(Vec::new()));
    let id = plan["id"].as_str().expect("plan id");

    let out = cli.run(&["bulk", "apply", "--org", o, id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("applied"),
        "{out:?}"
    );

    let export = cli.ok(&["bulk", "export", "--org", o]);
    assert_eq!(
        export,
        format!("Ext key,Number,User,Addon license,Addon license\r\n{rows}")
    );

    // Applying again answers with the applied plan and writes nothing.
    let again = cli.json(&["bulk", "apply", "--org", o, id]);
    assert_eq!(again["status"], "applied");
    assert_eq!(cli.ok(&["bulk", "export", "--org", o]), export);
    let exts = cli.json(&["ext", "list", "--org", o]);
    assert_eq!(exts["items"].as_array().unwrap().len(), 3);
    let audit = cli.json(&["audit", "--org", o, "--limit", "100"]);
    let created = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "extension.bulk_create")
        .count();
    assert_eq!(created, 3);
}

/// A plan the organization no longer allows: `bulk apply` exits 1 and prints the problems
/// as the same table `bulk plan` does, with the file's values. Piped, nothing else is
/// printed: no progress, no timings.
#[test]
fn stale_apply_prints_the_error_table() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let o = org(&cli);
    let o = o.as_str();
    let file = dir.path().join("two.csv");
    std::fs::write(
        &file,
        "Ext key,User\n1001,ann@bulk.example\n1002,bob@bulk.example\n",
    )
    .unwrap();
    let out = cli.run(&[
        "bulk",
        "plan",
        "--org",
        o,
        file.to_str().unwrap(),
        "--id-only",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing but the id when piped");
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(id.starts_with("plan_"), "{id}");
    // Meanwhile 1002 is provisioned and Ann gets an extension.
    cli.json(&[
        "ext",
        "provision",
        "--org",
        o,
        "--count",
        "2",
        "--start",
        "1002",
    ]);
    cli.json(&["ext", "assign", "--org", o, "1003", "ann@bulk.example"]);

    let out = cli.run(&["bulk", "apply", "--org", o, &id]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("plan_stale"), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let errors = error_rows(&table);
    assert_eq!(
        errors,
        [
            ["file", "Ext key", "seats_exhausted"].map(str::to_owned),
            ["2", "User", "member_has_extension"].map(str::to_owned),
            ["3", "Ext key", "extension_exists"].map(str::to_owned),
        ],
        "{table}"
    );
    assert!(table.contains("ann@bulk.example"), "{table}");
    assert!(!table.contains("mem_"), "no internal ids: {table}");
}

/// A disabled member's row plans ready with a warning table; the export also writes XLSX.
#[test]
fn warnings_and_xlsx_export() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let o = org(&cli);
    let o = o.as_str();
    cli.json(&[
        "member",
        "set",
        "--org",
        o,
        "bob@bulk.example",
        "--status",
        "disabled",
    ]);
    let file = dir.path().join("one.csv");
    std::fs::write(&file, "Ext key,User\n1001,bob@bulk.example\n").unwrap();
    let out = cli.run(&["bulk", "plan", "--org", o, file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("ready (1 row, 0 errors, 1 warning)"),
        "{text}"
    );
    assert!(
        text.contains("warnings (the plan can still be applied)"),
        "{text}"
    );
    let (warnings, rest) = text.split_once("apply it with:").expect("a ready plan");
    assert_eq!(
        error_rows(warnings),
        [["2", "User", "member_disabled"].map(str::to_owned)],
        "{text}"
    );
    assert!(rest.contains(" bulk apply --org "), "{text}");

    let xlsx = dir.path().join("out.xlsx");
    cli.ok(&[
        "bulk",
        "export",
        "--org",
        o,
        "--xlsx",
        xlsx.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX workbook");
}

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

#[test]
fn import_the_sample_cdr_file() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let o = calls_org(&cli);
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/samples/Master.csv");
    let r = cli.json(&[
        "activity",
        "import",
        "--org",
        &o,
        "--format",
        "asterisk-cdr",
        sample,
    ]);
    assert_eq!(r["recorded"], 2, "{r}");
    assert_eq!(r["refused_total"], 3);
    let table = cli.ok(&[
        "activity",
        "import",
        "--org",
        &o,
        "--format",
        "asterisk-cdr",
        "--utc-offset",
        "-01:00",
        sample,
    ]);
    assert!(
        table.contains("lines 9, records 5, recorded 2 extensions, changed 2, ignored 1 (unknown extensions), refused 3 lines"),
        "{table}"
    );
    assert!(table.contains("invalid_time"), "{table}");
    let out = cli.run(&["activity", "import", "--org", &o, "--format", "csv", sample]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::stderr(&out));
    assert!(crate::stderr(&out).contains("asterisk-cdr"));
}

/// The peak resident memory of `child` (VmHWM), read until it exits; and its exit status.
fn peak_while_running(mut child: std::process::Child) -> (u64, std::process::ExitStatus) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb * 1024);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A 100 MB `Master.csv` (about 600,000 calls among 1,000 extensions, every 97th line
/// malformed) is read as a stream: the import finishes with every line accounted for and the
/// process stays far below the file's size.
#[test]
fn a_100_mb_cdr_file_imports_in_bounded_memory() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Big",
        "--owner-email",
        "owner@big.example",
    ]);
    let o = org["id"].as_str().unwrap().to_owned();
    cli.ok(&["license", "set", "--org", &o, "phone_system", "1000"]);
    cli.ok(&[
        "ext",
        "provision",
        "--org",
        &o,
        "--count",
        "1000",
        "--start",
        "1000",
    ]);
    let path = dir.path().join("Master.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let (mut written, mut lines, mut bad) = (0usize, 0usize, 0usize);
    while written < 100 * 1000 * 1000 {
        lines += 1;
        let line = if lines % 97 == 0 {
            bad += 1;
            "\"\",\"1001\",\"broken\n".to_owned()
        } else {
            let (src, dst) = (1000 + lines % 1000, 1000 + (lines * 7) % 1000);
            let (d, s) = (1 + lines % 28, lines % 60);
            format!(
                "\"acct\",\"{src}\",\"{dst}\",\"internal\",\"\"\"Agent {src}\"\" <{src}>\",\"PJSIP/{src}-0000{lines:x}\",\"PJSIP/{dst}-0001{lines:x}\",\"Dial\",\"PJSIP/{dst},30,tT\",\"2026-11-{d:02} 10:{s:02}:00\",\"2026-11-{d:02} 10:{s:02}:05\",\"2026-11-{d:02} 10:{s:02}:59\",59,54,\"ANSWERED\",\"DOCUMENTATION\"\n"
            )
        };
        written += line.len();
        f.write_all(line.as_bytes()).unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let child = cli
        .command(&[
            "--json",
            "activity",
            "import",
            "--org",
            &o,
            "--format",
            "asterisk-cdr",
            path.to_str().unwrap(),
        ])
        // Not read while it runs: a pipe would fill with the answer and block the child.
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (peak, status) = peak_while_running(child);
    assert!(status.success(), "import of pid {pid} failed");
    assert!(
        peak < 128 * 1024 * 1024,
        "the import of a 100 MB file peaked at {} MiB",
        peak / (1024 * 1024)
    );
    let r = cli.json(&[
        "activity",
        "import",
        "--org",
        &o,
        "--format",
        "asterisk-cdr",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r["lines"], lines, "{r:#}");
    assert_eq!(r["records"], lines - bad);
    assert_eq!(r["refused_total"], bad);
    assert_eq!(r["refused"].as_array().unwrap().len(), 1000);
    assert_eq!(r["recorded"], 1000);
    assert_eq!(
        r["changed"], 0,
        "the second import of the same file changes nothing"
    );
}

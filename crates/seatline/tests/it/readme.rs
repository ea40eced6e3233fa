//! The walk-through of docs/walkthrough.md, run as written: its shell block, line by line
//! under `sh -e`, with the built `seatline` first on the PATH, in an empty directory. A step
//! that fails (a bulk plan that cannot be applied, a renamed flag) fails this test.

use std::process::Command;

/// The first `sh` block of docs/walkthrough.md.
fn walkthrough() -> String {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/walkthrough.md"
    ))
    .expect("docs/walkthrough.md");
    let block = guide
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("its sh block");
    block.to_owned()
}

#[test]
fn readme_walkthrough_runs_as_written() {
    let script = walkthrough();
    assert!(script.contains("seatline bulk apply"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_seatline"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-euc")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("SEATLINE_DATABASE_URL")
        .env_remove("SEATLINE_ORG")
        .env_remove("RUST_LOG")
        .output()
        .expect("run sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the walk-through stopped:\n{stdout}\n{stderr}"
    );
    // The bulk step applied both sample rows: 10 provisioned + 2 from the file.
    assert!(stdout.contains(": applied, 2 extensions"), "{stdout}");
    assert!(stderr.contains("seats_exhausted"), "{stderr}");
    let export = std::fs::read_to_string(dir.path().join("extensions.csv")).unwrap();
    assert_eq!(export.lines().count(), 13, "{export}");
    assert!(export.contains("bob@acme.test"), "{export}");
    let xlsx = std::fs::read(dir.path().join("extensions.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a zip file");
}

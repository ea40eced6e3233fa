//! The domain does no IO (issue 2, "Done when"): its manifest names no IO, async, database or
//! web crate, and its source touches no file, socket, process, environment or clock.

const IO_CRATES: &[&str] = &[
    "tokio",
    "async-std",
    "futures",
    "async-trait",
    "sqlx",
    "rusqlite",
    "postgres",
    "tokio-postgres",
    "diesel",
    "axum",
    "hyper",
    "reqwest",
    "tower",
    "mio",
    "uuid",
    "rand",
    "tracing",
];

/// The crate names of the manifest's `[dependencies]` table.
fn dependencies(manifest: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[dependencies]";
        } else if inside && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            names.push(name.trim_matches('"'));
        }
    }
    names
}

#[test]
fn the_manifest_names_no_io_crate() {
    let manifest = include_str!("../../Cargo.toml");
    let deps = dependencies(manifest);
    assert!(
        deps.contains(&"serde"),
        "the parser found no dependencies: {deps:?}"
    );
    for dep in deps {
        assert!(
            !IO_CRATES.contains(&dep),
            "seatline-domain depends on {dep}"
        );
    }
    // Dates and durations come from chrono, but never its clock: time stays an input.
    let chrono = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("chrono"))
        .unwrap_or_default();
    if !chrono.is_empty() {
        assert!(
            chrono.contains("default-features = false") && !chrono.contains("clock"),
            "chrono must come without its clock: {chrono}"
        );
    }
}

#[test]
fn the_source_touches_no_file_socket_process_environment_or_clock() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for banned in [
            "std::fs",
            "std::net",
            "std::process",
            "std::env",
            "std::thread",
            "SystemTime",
            "Instant::now",
            "Utc::now",
            "Local::now",
        ] {
            assert!(!text.contains(banned), "{} uses {banned}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} source files found");
}

//! `seatline` runs with glibc's mmap threshold and arena count set (see the binary's
//! `memory` module): the process it leaves running was re-executed once with the tunables,
//! under the pid it was started with (an operator's own value is kept: see the module's
//! unit test).

use crate::serve_race::Server;

/// The value of `name` in the environment the running process `pid` was started with.
fn started_with(pid: u32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("read environ");
    let prefix = format!("{name}=");
    environ
        .split(|b| *b == 0)
        .find_map(|v| v.strip_prefix(prefix.as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

#[test]
fn serve_runs_with_large_buffers_returned_when_freed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("memory.db").display());
    let s = Server::start_with(&db, &["--operator-token", "memory-operator-token"]);
    assert_eq!(
        started_with(s.pid(), "SEATLINE_ALLOCATOR_TUNED").as_deref(),
        Some("1")
    );
    // glibc 2.36 cuts this copy of the variable after its first value while parsing it.
    let set = started_with(s.pid(), "GLIBC_TUNABLES").unwrap_or_default();
    assert!(
        set.starts_with("glibc.malloc.mmap_threshold=262144"),
        "{set:?}"
    );
}

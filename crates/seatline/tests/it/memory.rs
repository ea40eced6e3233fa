//! `seatline` runs with glibc's mmap threshold fixed (see the binary's `memory` module):
//! the process it leaves running has the tunable in its environment, under the pid it was
//! started with (an operator's own value is kept: see the module's unit test).

use crate::serve_race::Server;

/// The `GLIBC_TUNABLES` the running process `pid` has.
fn tunables(pid: u32) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("read environ");
    environ
        .split(|b| *b == 0)
        .find_map(|v| v.strip_prefix(b"GLIBC_TUNABLES="))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

#[test]
fn serve_runs_with_large_buffers_returned_when_freed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("memory.db").display());
    let s = Server::start_with(&db, &["--operator-token", "memory-operator-token"]);
    let set = tunables(s.pid()).unwrap_or_default();
    assert!(set.contains("glibc.malloc.mmap_threshold="), "{set:?}");
}

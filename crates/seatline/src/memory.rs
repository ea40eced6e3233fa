//! glibc's allocator tuned for large, short-lived buffers, before anything else runs.
//!
//! A bulk upload passes through buffers of tens of megabytes (the file, the plan's JSON,
//! SQLite's copies of it, the answer) and hundreds of thousands of small ones (cells, plan
//! rows). glibc maps a large buffer on its own and unmaps it when freed, but each such free
//! raises its mapping threshold to that size (up to 32 MiB): from then on buffers that
//! large come from the heap of whichever thread allocated them and stay resident after
//! they are freed. And glibc gives threads up to eight heaps ("arenas") per core, so the
//! async workers, the blocking threads that read uploads and SQLite's thread each keep
//! their own high-water mark. Two tunables fix both:
//! - [`MMAP_THRESHOLD`]: buffers from this size on are always mapped, so freeing one
//!   returns it to the system;
//! - `arena_max` = the number of cores: no more heaps than threads that can run at once,
//!   so freed memory is reused by the next upload whichever thread serves it.
//!
//! Measured on the hostile corpus and full-scale file of `scripts/hostile-uploads`, in its
//! order (docs/bulk.md), the peak went from 274 MB to 157–191 MB with the
//! threshold alone and to 133–173 MB with both (2 heaps on the 2-core machine); the
//! script itself reports 272 MB before and 132–154 MB after.
//!
//! Both can be set by `mallopt`, which needs `unsafe` (forbidden here), or by the
//! `GLIBC_TUNABLES` environment variable, which glibc reads only when a process starts. So
//! the process replaces itself once with the variable set, keeping its pid, arguments and
//! the rest of its environment, and marked by [`TUNED`] so that it never does so twice
//! (whatever a glibc does to the variable while parsing it: 2.36 cuts the copy that
//! `/proc/PID/environ` shows after the first value). A tunable the operator set is kept as
//! set; if the re-execution fails the process carries on untuned.

/// Allocations from this size on are mapped on their own and returned when freed.
pub const MMAP_THRESHOLD: usize = 256 * 1024;

/// Set in the environment of the re-executed process.
pub const TUNED: &str = "SEATLINE_ALLOCATOR_TUNED";

const THRESHOLD: &str = "glibc.malloc.mmap_threshold";
const ARENAS: &str = "glibc.malloc.arena_max";

/// Re-execute this process with the tunables set, unless it is the re-executed one or the
/// operator set both. Call first thing in `main`, before any thread starts.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;

        if std::env::var_os(TUNED).is_some() {
            return;
        }
        let current = std::env::var_os("GLIBC_TUNABLES").unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let Some(tunables) = with_tunables(&current.to_string_lossy(), cores) else {
            return;
        };
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(name) = args.next() {
            command.arg0(name);
        }
        // `exec` only returns on failure: then run as we are.
        let _ = command
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .env(TUNED, "1")
            .exec();
    }
}

/// `GLIBC_TUNABLES` with ours added where it does not name them, or `None` when it names
/// both.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
fn with_tunables(current: &str, cores: usize) -> Option<String> {
    let named = |name: &str| {
        current
            .split(':')
            .any(|t| t.split('=').next() == Some(name))
    };
    let mut all: Vec<String> = current
        .split(':')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let before = all.len();
    if !named(THRESHOLD) {
        all.push(format!("{THRESHOLD}={MMAP_THRESHOLD}"));
    }
    if !named(ARENAS) {
        all.push(format!("{ARENAS}={}", cores.max(1)));
    }
    (all.len() > before).then(|| all.join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunables_are_added_once_and_an_operators_choice_kept() {
        assert_eq!(
            with_tunables("", 2).as_deref(),
            Some("glibc.malloc.mmap_threshold=262144:glibc.malloc.arena_max=2")
        );
        assert_eq!(
            with_tunables("glibc.malloc.arena_max=8", 2).as_deref(),
            Some("glibc.malloc.arena_max=8:glibc.malloc.mmap_threshold=262144")
        );
        assert_eq!(
            with_tunables("glibc.malloc.tcache_count=0", 4).as_deref(),
            Some("glibc.malloc.tcache_count=0:glibc.malloc.mmap_threshold=262144:glibc.malloc.arena_max=4")
        );
        assert_eq!(
            with_tunables(
                "glibc.malloc.mmap_threshold=1048576:glibc.malloc.arena_max=1",
                2
            ),
            None
        );
    }
}

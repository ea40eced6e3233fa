//! glibc's allocator tuned for large, short-lived buffers, before anything else runs.
//!
//! A bulk upload passes through buffers of tens of megabytes (the file, the plan's JSON,
//! SQLite's copies of it, the answer). glibc maps such a buffer on its own and unmaps it
//! when freed, but each free of a mapped buffer raises its mapping threshold to that size
//! (up to 32 MiB): from then on buffers that large come from the heap of whichever thread
//! allocated them (async workers, blocking readers, SQLite's thread each have their own)
//! and stay resident after they are freed. Measured on `scripts/hostile-uploads`, the
//! server's peak went from 274 MB to 158 MB once the threshold was fixed at
//! [`MMAP_THRESHOLD`]; capping the number of heaps as well gained nothing more (155 MB),
//! so it is left alone.
//!
//! The threshold can be fixed by `mallopt`, which needs `unsafe` (forbidden here), or by
//! the `GLIBC_TUNABLES` environment variable, which glibc reads only when a process
//! starts. So the process replaces itself once with the variable set, keeping its pid,
//! arguments and the rest of its environment; an operator who sets the tunable chooses
//! their own value, and if the re-execution fails the process carries on untuned.

/// Allocations from this size on are mapped on their own and returned when freed.
pub const MMAP_THRESHOLD: usize = 256 * 1024;

const TUNABLE: &str = "glibc.malloc.mmap_threshold";

/// Re-execute this process with the tunable set, unless it is set already (which is also
/// what stops a second re-execution). Call first thing in `main`, before any thread starts.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;

        let current = std::env::var_os("GLIBC_TUNABLES").unwrap_or_default();
        let Some(tunables) = with_threshold(&current.to_string_lossy()) else {
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
        let _ = command.args(args).env("GLIBC_TUNABLES", tunables).exec();
    }
}

/// `GLIBC_TUNABLES` with the threshold added, or `None` when it already names it.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
fn with_threshold(current: &str) -> Option<String> {
    if current
        .split(':')
        .any(|t| t.split('=').next() == Some(TUNABLE))
    {
        return None;
    }
    let ours = format!("{TUNABLE}={MMAP_THRESHOLD}");
    Some(if current.is_empty() {
        ours
    } else {
        format!("{current}:{ours}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_added_once_and_an_operators_choice_kept() {
        assert_eq!(
            with_threshold("").as_deref(),
            Some("glibc.malloc.mmap_threshold=262144")
        );
        assert_eq!(
            with_threshold("glibc.malloc.arena_max=2").as_deref(),
            Some("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=262144")
        );
        assert_eq!(with_threshold("glibc.malloc.mmap_threshold=1048576"), None);
        assert_eq!(
            with_threshold("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=0"),
            None
        );
    }
}

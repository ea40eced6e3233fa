//! Failed sign-ins per email, so that guessing a password takes more than a script: after
//! [`MAX_FAILURES`] failures in [`WINDOW`], that email cannot sign in until the window ends.
//! Kept in the process; each process of a deployment counts on its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Emails remembered at most, so a flood of made-up emails cannot grow the map unbounded.
const MAX_TRACKED: usize = 100_000;

#[derive(Clone, Default)]
pub struct Throttle(Arc<Mutex<HashMap<String, (u32, Instant)>>>);

impl Throttle {
    /// How long this email must wait before trying again, if it must.
    pub fn wait(&self, email: &str) -> Option<Duration> {
        let map = self.0.lock().expect("throttle lock");
        let (n, since) = map.get(&key(email))?;
        let left = WINDOW.checked_sub(since.elapsed())?;
        (*n >= MAX_FAILURES).then_some(left)
    }

    pub fn failed(&self, email: &str) {
        let mut map = self.0.lock().expect("throttle lock");
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(key(email)).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, email: &str) {
        self.0.lock().expect("throttle lock").remove(&key(email));
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_waits_after_too_many_failures_and_success_forgets_them() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed("Ann@x.test");
        }
        assert_eq!(t.wait("ann@x.test"), None);
        t.succeeded("ann@x.test");
        for _ in 0..MAX_FAILURES {
            t.failed("ann@x.test ");
        }
        assert!(t.wait("ANN@x.test").is_some_and(|d| d <= WINDOW));
        assert_eq!(t.wait("bob@x.test"), None);
    }
}

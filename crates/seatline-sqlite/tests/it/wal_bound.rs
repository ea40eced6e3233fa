//! The WAL stays bounded under continuous writes (issue 28): with passive checkpoints alone,
//! a writer that never pauses keeps the WAL from ever being reset, and it grew to gigabytes.
//! Two writers commit back to back (the org lock's version bump and an audit entry, as a use
//! case does) until 20,000 commits; the WAL file, sampled all along, never passes its bound.
//! Each commit adds about 20 KB of WAL (pages of the table and its indexes), so before, the
//! WAL passed the bound within 2,500 commits and was 50 MB then.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use seatline_domain::{rules, MemberId, OrgId, Role};
use seatline_sqlite::SqliteStore;
use seatline_store::{AuditEntry, Store};

/// The store's WAL limit in this test: small, so a few thousand commits pass it many times.
const LIMIT: u64 = 1 << 20;
/// What the WAL may reach: the limit, plus what the writers add in one round of the
/// checkpoint thread: its 100 ms between looks, the passive checkpoint, the wait for its
/// turn and the truncating checkpoint (50–200 ms here in a debug build, at some 60 MB of WAL
/// a second: 27 MB seen at most on a quiet machine, 90–137 MB while other builds starved
/// the checkpoint thread of CPU). Two fifths of what an unbounded WAL reaches, so only a bound
/// that works passes; the resets below are the load-proof half of the check.
const BOUND: u64 = 160 * LIMIT;
/// How many times the WAL must have been started over (its file seen shrinking): an
/// unbounded WAL never shrinks while the writers run, however fast the machine.
const RESETS: u32 = 3;
/// The writers run at least this long, so the checkpoint thread has many rounds.
const MIN_RUN: Duration = Duration::from_secs(3);
/// Commits of both writers together: 400 MB of WAL frames, two and a half times `BOUND`, if
/// nothing starts the WAL over.
const COMMITS: u64 = 20_000;

async fn create_org(store: &dyn Store, tag: &str) -> OrgId {
    let at = "2026-01-01T00:00:00.000Z".to_owned();
    let org = rules::new_org(OrgId(format!("org_{tag}")), tag, at).expect("org");
    let email = format!("owner@{tag}.example").parse().expect("email");
    let owner = rules::new_member(MemberId(format!("own_{tag}")), email, "Owner", Role::Owner)
        .expect("owner");
    let id = org.id.clone();
    let d = rules::create_org(org, owner);
    let mut tx = store.begin_write().await.expect("begin");
    tx.apply(&id, &d.changes).await.expect("apply");
    tx.commit().await.expect("commit");
    id
}

/// One write transaction as a use case makes it: the org lock, an audit entry, commit.
async fn write(store: &dyn Store, org: &OrgId, n: u64) {
    let mut tx = store.lock(org).await.expect("lock").expect("org exists");
    let entry = AuditEntry {
        id: 0,
        at: "2026-01-01T00:00:00.000Z".to_owned(),
        actor: "operator".to_owned(),
        action: "wal.test".to_owned(),
        target: format!("write {n}"),
        before: serde_json::Value::Null,
        after: serde_json::json!({ "filler": "x".repeat(1500) }),
        request_id: None,
        teams: Vec::new(),
    };
    tx.append_audit(org, &[entry]).await.expect("audit");
    tx.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_bounded_under_continuous_writes() {
    let db = crate::sqlite().await.expect("sqlite");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::connect_with_wal_limit(&db.path, Some(LIMIT))
            .await
            .expect("open"),
    );
    let wal = format!("{}-wal", db.path);
    let wal_len = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    let done = Arc::new(AtomicBool::new(false));
    let commits = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for tag in ["a", "b"] {
        let org = create_org(&*store, tag).await;
        let (store, done, commits) = (store.clone(), done.clone(), commits.clone());
        writers.push(tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let n = commits.fetch_add(1, Ordering::Relaxed);
                write(&*store, &org, n).await;
            }
        }));
    }
    // Sample the WAL until the writers are through (or it is plainly unbounded).
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let (mut peak, mut last, mut resets) = (0, 0, 0);
    // At least `MIN_RUN` too: on a fast machine 12,000 commits take under a second, a few
    // rounds of the checkpoint thread.
    while (commits.load(Ordering::Relaxed) < COMMITS || started.elapsed() < MIN_RUN)
        && peak <= 2 * BOUND
    {
        assert!(
            Instant::now() < deadline,
            "{} commits in 120 s",
            commits.load(Ordering::Relaxed)
        );
        let now = wal_len();
        resets += u32::from(now < last);
        (peak, last) = (peak.max(now), now);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    done.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("writer");
    }
    peak = peak.max(wal_len());
    assert!(
        resets >= RESETS,
        "the WAL was started over {resets} times in {} commits (peak {peak} bytes)",
        commits.load(Ordering::Relaxed)
    );
    assert!(
        peak <= BOUND,
        "the WAL reached {peak} bytes in {} commits; its bound is {BOUND}",
        commits.load(Ordering::Relaxed)
    );
}

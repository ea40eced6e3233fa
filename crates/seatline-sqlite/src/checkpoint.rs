//! WAL checkpoints on a thread of their own, off the write path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: that
//! commit copies the pages back into the database file and fsyncs both files while this
//! process's writer turn is still held, so every write queued behind it waits (issue 10: the
//! change feed's extra pages per commit brought the checkpoints around more often). Here the
//! pool's connections have the automatic checkpoint off and one thread per read-write pool
//! runs a PASSIVE checkpoint — which never waits for, nor blocks, writers or readers — a
//! short while after the database changed. The last connection closed still checkpoints the
//! whole WAL and removes it, as SQLite always does.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use crate::pool::Pool;

/// How often the thread looks whether the database changed. A write rate of a few thousand
/// commits a second adds a few thousand WAL pages in this time, so the WAL stays a few MB.
const INTERVAL: Duration = Duration::from_millis(200);

/// Start the checkpoint thread of `pool` on a connection of its own; it ends within
/// [`INTERVAL`] of the pool's drop.
pub(crate) fn start(pool: &Arc<Pool>, conn: Connection) -> std::io::Result<()> {
    let pool = Arc::downgrade(pool);
    thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&pool, &conn))
        .map(drop)
}

fn run(pool: &Weak<Pool>, conn: &Connection) {
    // `data_version` changes when another connection commits: a change since the last look
    // means there are pages to copy back.
    let mut seen = None;
    loop {
        thread::sleep(INTERVAL);
        if pool.strong_count() == 0 {
            return;
        }
        let version: Option<i64> = conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ok();
        if version.is_none() || version == seen {
            continue;
        }
        // PASSIVE copies what no reader still needs; if another checkpoint (another
        // process's) is running it fails at once, and the next look tries again.
        if conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .is_ok()
        {
            seen = version;
        }
    }
}

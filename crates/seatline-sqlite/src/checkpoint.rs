//! WAL checkpoints on a thread of their own, off the write path, and the WAL's bound.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: that
//! commit copies the pages back into the database file and fsyncs both files while this
//! process's writer turn is still held, so every write queued behind it waits (issue 10: the
//! change feed's extra pages per commit brought the checkpoints around more often). Here the
//! pool's connections have the automatic checkpoint off and one thread per read-write pool
//! runs a PASSIVE checkpoint — which never waits for, nor blocks, writers or readers — a
//! short while after the database changed.
//!
//! Passive checkpoints alone let the WAL grow without end under continuous writes (issue 28:
//! 1.72 GB after 60 s of four writers): SQLite starts writing the WAL from its beginning
//! again only when a write begins after a checkpoint copied every frame, and while writes
//! keep coming there is always a newer frame. So when the WAL file has passed its limit, the
//! thread takes its turn in the store's writer queue — no write of this process is then in a
//! transaction — and runs a TRUNCATE checkpoint: the passive one just before copied nearly
//! everything, so this one copies the last frames, waits for readers still on older frames
//! (at most [`TRUNCATE_WAIT`]) and empties the file. The writers queue behind it for that
//! long, rather than in SQLite's busy handler.
//!
//! The pool's drop stops the thread and waits for it to close its connection, so the last
//! connection closed checkpoints the whole WAL and removes it before the process exits.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Mutex;

/// How often the thread looks whether the database changed and how large the WAL is. At a
/// few thousand commits a second the WAL grows a few MB in this time: what it may pass its
/// limit by.
const INTERVAL: Duration = Duration::from_millis(100);

/// Longest the TRUNCATE checkpoint waits for readers (and another process's writer) while
/// this process's writers wait for it; when they take longer, the next look tries again.
const TRUNCATE_WAIT: Duration = Duration::from_millis(250);

/// Longest the pool's drop waits for the thread to end. It only waits longer when the
/// thread waits for a writer turn held by whoever drops the pool.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The running checkpoint thread; dropping this stops it and waits for its connection to
/// close.
pub(crate) struct Checkpoints {
    stop: Option<mpsc::Sender<()>>,
    /// Disconnected once the thread closed its connection (in a mutex only to be `Sync`).
    ended: std::sync::Mutex<mpsc::Receiver<()>>,
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        drop(self.stop.take());
        let ended = self.ended.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = ended.recv_timeout(CLOSE_WAIT);
    }
}

/// Start the checkpoint thread of the database at `path` on a connection of its own.
/// `writer` is the store's writer queue; `limit` the WAL size past which the WAL is truncated
/// (`None`: passive checkpoints only).
pub(crate) fn start(
    path: &Path,
    conn: Connection,
    writer: Arc<Mutex<()>>,
    limit: Option<u64>,
) -> std::io::Result<Checkpoints> {
    conn.busy_timeout(TRUNCATE_WAIT)
        .map_err(std::io::Error::other)?;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    let (stop, stopped) = mpsc::channel();
    let (ended, ended_rx) = mpsc::channel::<()>();
    thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            run(&conn, &wal, &writer, limit, &stopped);
            // The connection closes before `ended` tells the pool's drop it may go on.
            drop(conn);
            drop(ended);
        })?;
    Ok(Checkpoints {
        stop: Some(stop),
        ended: std::sync::Mutex::new(ended_rx),
    })
}

fn run(
    conn: &Connection,
    wal: &Path,
    writer: &Mutex<()>,
    limit: Option<u64>,
    stopped: &mpsc::Receiver<()>,
) {
    // `data_version` changes when another connection commits: a change since the last look
    // means there are pages to copy back.
    let mut seen = None;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let version: Option<i64> = conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ok();
        // PASSIVE copies what no reader still needs; if another checkpoint (another
        // process's) is running it fails at once, and the next look tries again.
        if version.is_some()
            && version != seen
            && conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .is_ok()
        {
            seen = version;
        }
        let size = std::fs::metadata(wal).map_or(0, |m| m.len());
        if limit.is_some_and(|limit| size > limit) {
            truncate(conn, writer);
        }
    }
}

/// A TRUNCATE checkpoint between two writes of this process.
fn truncate(conn: &Connection, writer: &Mutex<()>) {
    // Fair: the writes queued before this one go first, the ones after wait.
    let _turn = writer.blocking_lock();
    // Its row says whether a reader or another process kept it from finishing (busy = 1);
    // the next look tries again.
    match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(0) => {}
        Ok(_) => tracing::debug!("the WAL could not be truncated yet: readers on old frames"),
        Err(e) => tracing::warn!(error = %e, "truncating the WAL failed"),
    }
}

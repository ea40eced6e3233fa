//! Connections: the database URL, the settings every connection gets, and the idle ones
//! kept for the next statement.
//!
//! The pool never makes anyone wait for a connection: one is taken from the idle list or
//! opened. A task may hold a transaction across awaits, and on a current-thread runtime a
//! task blocked waiting for a connection would keep that holder from ever giving it back.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use seatline_store::{Result, StoreError};

use crate::checkpoint::{self, Checkpoints};
use crate::liveness::Boot;
use crate::sql::db;

/// Idle connections kept for reuse; more may be open while busy, and are closed when given
/// back beyond this.
const IDLE: usize = 8;

/// Other processes (the CLI beside `serve`) may hold the write lock this long.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepared statements kept per connection: every statement of the backend, and the
/// shapes of the filtered queries.
const STATEMENT_CACHE: usize = 256;

pub(crate) struct Pool {
    pub(crate) path: PathBuf,
    pub(crate) read_only: bool,
    /// This process's boot, which claims record as their holder (`liveness`); none when
    /// read-only, as such a store claims nothing.
    pub(crate) boot: Option<Boot>,
    /// The WAL's bound (see `checkpoint`), also each connection's `journal_size_limit`.
    wal_limit: Option<u64>,
    /// Closed first when the pool drops (fields drop in order) …
    idle: Mutex<Vec<Connection>>,
    /// … then the checkpoint thread's connection, the last: closing it checkpoints the WAL
    /// and removes it. `None` for a read-only pool.
    checkpoints: Option<Checkpoints>,
}

/// The file and mode of a database URL, in the forms `SqliteConnectOptions` accepted:
/// `sqlite:PATH`, `sqlite://PATH`, `sqlite:///abs/path` or a plain path, each with an
/// optional `?mode=ro|rw|rwc`. The file is created if missing unless `mode=ro`.
pub(crate) fn parse(url: &str) -> Result<(PathBuf, bool)> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(config(format!("no database file in `{url}`")));
    }
    let mut read_only = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("mode", "ro")) => read_only = true,
            Some(("mode", "rw" | "rwc")) => read_only = false,
            _ => {
                return Err(config(format!(
                    "unknown query parameter `{pair}` in `{url}`"
                )))
            }
        }
    }
    Ok((PathBuf::from(path), read_only))
}

fn config(message: String) -> StoreError {
    StoreError::Db(message.into())
}

impl Pool {
    /// The pool of the database at `url`, with one connection opened (and the file created)
    /// so a wrong path fails here. `writer` is the store's writer queue, which the checkpoint
    /// thread takes its turn in to truncate a WAL past `wal_limit`.
    pub(crate) fn open(
        url: &str,
        writer: Arc<tokio::sync::Mutex<()>>,
        wal_limit: Option<u64>,
    ) -> Result<Arc<Pool>> {
        let (path, read_only) = parse(url)?;
        let boot = if read_only {
            None
        } else {
            // Opened first, so a wrong path fails with SQLite's own message.
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
            Connection::open_with_flags(&path, flags).map_err(db)?;
            Some(Boot::start(&path)?)
        };
        let mut pool = Pool {
            path,
            read_only,
            boot,
            wal_limit,
            idle: Mutex::new(Vec::new()),
            checkpoints: None,
        };
        let first = pool.connect()?;
        pool.idle().push(first);
        if !read_only {
            let conn = pool.connect()?;
            pool.checkpoints = Some(
                checkpoint::start(&pool.path, conn, writer, wal_limit)
                    .map_err(|e| config(format!("cannot start the WAL checkpoint thread: {e}")))?,
            );
        }
        Ok(Arc::new(pool))
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while the list was held cannot leave it inconsistent: push and pop only.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle connection, or a new one.
    pub(crate) fn take(self: &Arc<Self>) -> Result<Conn> {
        let conn = match self.idle().pop() {
            Some(c) => c,
            None => self.connect()?,
        };
        Ok(Conn {
            conn: Some(conn),
            pool: self.clone(),
        })
    }

    /// A new connection with the settings sqlx's options gave before: WAL, synchronous
    /// NORMAL, foreign keys on, a 30 s busy timeout; and no automatic checkpoint in its
    /// commits (the pool's checkpoint thread does them, see `checkpoint`), the WAL file cut
    /// back to its limit when it starts over.
    fn connect(&self) -> Result<Connection> {
        let flags = if self.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(&self.path, flags).map_err(db)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // journal_mode answers with the mode now in effect, so it is a query.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        if !self.read_only {
            conn.pragma_update(None, "wal_autocheckpoint", 0)
                .map_err(db)?;
            // When the WAL starts over from its beginning, a file past this is cut back to it.
            if let Some(limit) = self.wal_limit {
                conn.query_row(&format!("PRAGMA journal_size_limit = {limit}"), [], |_| {
                    Ok(())
                })
                .map_err(db)?;
            }
        }
        if let Some(boot) = &self.boot {
            boot.holders.register(&conn)?;
        }
        Ok(conn)
    }
}

/// A connection taken from the pool, given back when dropped (unless a transaction is still
/// open on it, which only a failed rollback leaves: then it is closed).
pub(crate) struct Conn {
    conn: Option<Connection>,
    pool: Arc<Pool>,
}

impl Deref for Conn {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a connection until dropped")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if conn.is_autocommit() {
                let mut idle = self.pool.idle();
                if idle.len() < IDLE {
                    idle.push(conn);
                }
            }
        }
    }
}

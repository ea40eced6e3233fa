//! Whether the process that holds a claim still lives (issue 26): idempotency claims and
//! webhook delivery claims record their holder, and a claim whose holder is gone is taken
//! over at once instead of after its lease.
//!
//! Each read-write store is a *boot*: a random id, and a file of that name in the
//! `<database>-boots` folder that the store keeps exclusively locked (`flock`) while it
//! lives. The operating system drops the lock when the process ends, however it ends, so a
//! holder is alive exactly while its file is locked: a file that can be locked, or that is
//! missing, names a dead boot. Statements ask through the SQL function `holder_alive(id)`,
//! registered on every connection of the pool; a NULL holder (a claim made before holders
//! were recorded) counts as alive, leaving it to its lease.

use std::ffi::OsString;
use std::fs::{self, File, TryLockError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use seatline_store::{Result, StoreError};

use crate::sql::db;

/// This store's boot: its id and the locked file that says it lives.
pub(crate) struct Boot {
    pub(crate) holders: Arc<Holders>,
    /// Locked from creation to drop; its lock is what other processes test.
    _file: File,
}

/// What `holder_alive` needs: where the boots' files are, and this boot's own id.
pub(crate) struct Holders {
    dir: PathBuf,
    pub(crate) own: String,
}

impl Boot {
    /// Start this store's boot beside the database at `db`, and forget the files of boots
    /// that ended.
    pub(crate) fn start(db: &Path) -> Result<Boot> {
        let mut dir = OsString::from(db.as_os_str());
        dir.push("-boots");
        let dir = PathBuf::from(dir);
        // Not create_dir_all: a database path whose folder is missing still fails to open.
        match fs::create_dir(&dir) {
            Err(e) if e.kind() != ErrorKind::AlreadyExists => return Err(io(&dir, e)),
            _ => {}
        }
        let own = format!("{:032x}", rand::random::<u128>());
        // Locked under a name no one tests, then renamed (the lock stays with the open
        // file): a checker never finds this boot's file unlocked.
        let tmp = dir.join(format!(".{own}"));
        let file = File::create(&tmp).map_err(|e| io(&tmp, e))?;
        file.lock().map_err(|e| io(&tmp, e))?;
        fs::rename(&tmp, dir.join(&own)).map_err(|e| io(&tmp, e))?;
        let holders = Arc::new(Holders { dir, own });
        holders.sweep();
        Ok(Boot {
            holders,
            _file: file,
        })
    }
}

impl Drop for Boot {
    fn drop(&mut self) {
        // Still locked here, so no checker mistakes it for a dead boot's file before it goes.
        let _ = fs::remove_file(self.holders.dir.join(&self.holders.own));
    }
}

impl Holders {
    /// Whether the boot `id` still lives. Anything that cannot be decided counts as alive:
    /// the claim's lease still ends it.
    pub(crate) fn alive(&self, id: &str) -> bool {
        if id == self.own {
            return true;
        }
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return true;
        }
        let path = self.dir.join(id);
        let file = match File::options().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return false,
            Err(_) => return true,
        };
        match file.try_lock() {
            Ok(()) => {
                // Removed while this check holds its lock: the boot is gone for good.
                let _ = fs::remove_file(&path);
                false
            }
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(_)) => true,
        }
    }

    /// Remove the files of boots that ended (crashed or killed processes leave theirs).
    fn sweep(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            if let Some(id) = e.file_name().to_str() {
                if !id.starts_with('.') {
                    self.alive(id);
                }
            }
        }
    }

    /// Register `holder_alive(id)` on a connection.
    pub(crate) fn register(self: &Arc<Self>, conn: &Connection) -> Result<()> {
        let holders = self.clone();
        conn.create_scalar_function(
            "holder_alive",
            1,
            // Not deterministic: the same id may die between two calls.
            FunctionFlags::SQLITE_UTF8,
            move |ctx| {
                Ok(match ctx.get::<Option<String>>(0)? {
                    Some(id) => holders.alive(&id),
                    None => true,
                })
            },
        )
        .map_err(db)
    }
}

/// How many live stores (a `serve`, or another command) hold the database at `db` read-write:
/// what `restore` must find zero of. Files of ended boots are removed on the way.
pub(crate) fn live_boots(db: &Path) -> usize {
    let mut dir = OsString::from(db.as_os_str());
    dir.push("-boots");
    let holders = Holders {
        dir: PathBuf::from(dir),
        own: String::new(),
    };
    let Ok(entries) = fs::read_dir(&holders.dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|id| !id.starts_with('.') && holders.alive(id))
        })
        .count()
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Db(
        format!(
            "cannot keep this process's boot file {}: {e}",
            path.display()
        )
        .into(),
    )
}

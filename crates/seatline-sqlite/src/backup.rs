//! `seatline backup` and `seatline restore` for SQLite (issue 25).
//!
//! A backup is `VACUUM INTO`: one read transaction, so it is a consistent copy however busy
//! the database is (WAL readers never block writers), compacted, in a single file. A restore
//! puts such a file in the database's place while no process holds the database (its
//! `-boots` liveness files, see `liveness`), atomically: copied beside it, synced, renamed.
//! Starting the new feed epochs is the caller's, through the store, once the file is in place.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};

use crate::liveness::live_boots;
use crate::MIGRATOR;

/// Why a backup or a restore did not happen: a sentence naming what is wrong and the fix.
#[derive(Debug)]
pub struct BackupError(pub String);

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackupError {}

type Result<T> = std::result::Result<T, BackupError>;

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupDone {
    pub bytes: u64,
    pub elapsed: std::time::Duration,
}

/// The database file a `sqlite:` URL (or plain path) names.
pub fn database_path(url: &str) -> Result<PathBuf> {
    crate::pool::parse(url)
        .map(|(path, _)| path)
        .map_err(|e| BackupError(e.to_string()))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = OsString::from(path.as_os_str());
    p.push(suffix);
    PathBuf::from(p)
}

fn io(what: &str, path: &Path, e: std::io::Error) -> BackupError {
    BackupError(format!("cannot {what} {}: {e}", path.display()))
}

/// Copy the database at `db` into `to`, consistently while other processes write to it.
/// An existing `to` is refused unless `force`; it is replaced only once the copy is complete.
pub fn backup(db: &Path, to: &Path, force: bool) -> Result<BackupDone> {
    let started = Instant::now();
    if !db.exists() {
        return Err(BackupError(format!(
            "there is no database at {}; pass the database to back up with --database-url sqlite:FILE",
            db.display()
        )));
    }
    if to.exists() && !force {
        return Err(BackupError(format!(
            "{} exists; pass --force to replace it, or back up to another file",
            to.display()
        )));
    }
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| BackupError(format!("cannot open {}: {e}", db.display())))?;
    // A writer of `serve` may hold the write lock; VACUUM INTO only reads, but opening a
    // WAL database's read snapshot can wait for a checkpoint's moment.
    conn.busy_timeout(crate::pool::BUSY_TIMEOUT)
        .map_err(|e| BackupError(e.to_string()))?;
    // Written beside the target and renamed: a failed or interrupted backup never leaves a
    // truncated file under the name an operator would restore from.
    let tmp = sibling(to, &format!(".partial-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let tmp_str = tmp.to_str().ok_or_else(|| {
        BackupError(format!(
            "{} is not valid UTF-8; back up to a plainer path",
            to.display()
        ))
    })?;
    conn.execute("VACUUM INTO ?1", (tmp_str,)).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        BackupError(format!(
            "cannot back up {} into {}: {e}",
            db.display(),
            to.display()
        ))
    })?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync", &tmp, e))?;
    fs::rename(&tmp, to).map_err(|e| io("move the backup to", to, e))?;
    let bytes = fs::metadata(to).map_err(|e| io("read", to, e))?.len();
    Ok(BackupDone {
        bytes,
        elapsed: started.elapsed(),
    })
}

/// Check that `file` is a Seatline database this binary can open: intact, with Seatline's
/// migration history, none newer than the migrations this binary carries.
pub fn verify(file: &Path) -> Result<()> {
    let conn =
        Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            BackupError(format!(
                "cannot open {} as a SQLite database: {e}",
                file.display()
            ))
        })?;
    let not_seatline = |why: String| {
        BackupError(format!(
            "{} is not a Seatline database ({why}); pass a file written by `seatline backup`",
            file.display()
        ))
    };
    let check: String = conn
        .query_row("PRAGMA quick_check", (), |r| r.get(0))
        .map_err(|e| not_seatline(e.to_string()))?;
    if check != "ok" {
        return Err(BackupError(format!(
            "{} is damaged (quick_check: {check}); restore another backup",
            file.display()
        )));
    }
    let (migrations, newest): (i64, Option<i64>) = conn
        .query_row(
            "SELECT count(*), max(version) FROM _sqlx_migrations WHERE success",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|_| not_seatline("no migration history".to_owned()))?;
    let has_orgs: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'orgs'",
            (),
            |r| r.get(0),
        )
        .map_err(|e| not_seatline(e.to_string()))?;
    if migrations == 0 || !has_orgs {
        return Err(not_seatline("no organizations table".to_owned()));
    }
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(newest) = newest.filter(|&v| v > known) {
        return Err(BackupError(format!(
            "{} has schema version {newest}, newer than this seatline knows ({known}); restore it with the seatline release that wrote it, or a newer one",
            file.display()
        )));
    }
    Ok(())
}

/// Put the backup `from` in the place of the database at `db`, refused while a process holds
/// the database. The caller then opens the store (which migrates an older schema forward)
/// and starts a new feed epoch in every organization.
pub fn restore(from: &Path, db: &Path) -> Result<()> {
    let live = live_boots(db);
    if live > 0 {
        return Err(BackupError(format!(
            "cannot restore while seatline is using {}: {live} running process(es) (a `seatline serve`, or another command) hold it; stop them, then run restore again",
            db.display()
        )));
    }
    verify(from)?;
    // The old database's WAL must not outlive it: SQLite would replay its frames onto the
    // restored file. Checkpointed into the old file first (nothing else has it open), so
    // removing it loses nothing even if the restore stops half-way.
    if db.exists() {
        let old = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| BackupError(format!("cannot open {}: {e}", db.display())))?;
        old.query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| {
            BackupError(format!(
                "cannot checkpoint {} before replacing it: {e}; is another program using it?",
                db.display()
            ))
        })?;
        drop(old);
    }
    for suffix in ["-wal", "-shm"] {
        let side = sibling(db, suffix);
        match fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io("remove", &side, e))
            }
            _ => {}
        }
    }
    let tmp = sibling(db, &format!(".restore-{}", std::process::id()));
    fs::copy(from, &tmp).map_err(|e| io("copy the backup beside the database as", &tmp, e))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync", &tmp, e))?;
    fs::rename(&tmp, db).map_err(|e| io("move the restored file to", db, e))?;
    // The rename is durable once the folder is synced.
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("sync the folder", dir, e))?;
    }
    Ok(())
}

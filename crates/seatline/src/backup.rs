//! `seatline backup`, `seatline restore` (SQLite) and `seatline events new-epoch` (issue 25).
//!
//! Backup and restore work on the database file, so they run before the store is opened:
//! a restore must find no process holding the database, its own store included. After the
//! file is in place the store opens it (migrating an older schema forward) and every
//! organization's feed starts a new epoch, so consumers that read past the backup are told
//! to resync instead of silently skipping (see `seatline_app::epochs`). PostgreSQL is backed
//! up with its own tools; these commands print them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use seatline_app::{App, Ctx};
use seatline_domain::OrgId;
use seatline_sqlite::backup as file;

use crate::output::{fail, print_json, EXIT_IO, EXIT_REFUSED};

#[derive(Args)]
pub struct BackupArgs {
    /// The file to write: a complete SQLite database, consistent even while `serve` writes.
    #[arg(long)]
    to: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A file written by `seatline backup`.
    file: PathBuf,
}

#[derive(Args)]
pub struct NewEpochArgs {
    /// Only this organization (default: every organization).
    #[arg(long)]
    org: Option<String>,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// What to run instead on PostgreSQL; exit 1, as nothing was done.
fn postgres_instead(what: &str) -> ExitCode {
    eprintln!(
        "error: seatline {what} is for SQLite databases; this one is PostgreSQL. Use PostgreSQL's tools:\n\
         \x20 back up:  pg_dump -Fc --dbname=\"$SEATLINE_DATABASE_URL\" --file=seatline.dump\n\
         \x20 restore:  createdb seatline_restored && pg_restore --no-owner --exit-on-error --dbname=postgres://…/seatline_restored seatline.dump\n\
         \x20 then:     seatline --database-url postgres://…/seatline_restored events new-epoch\n\
         (the last command starts a new feed epoch in every organization, so feed consumers resync; see docs/operations.md)"
    );
    ExitCode::from(EXIT_REFUSED)
}

fn refused(e: file::BackupError, json: bool) -> ExitCode {
    if json {
        eprintln!("{}", serde_json::json!({"error": {"message": e.0}}));
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::from(EXIT_REFUSED)
}

pub fn backup(url: &str, a: BackupArgs, json: bool) -> ExitCode {
    if is_postgres(url) {
        return postgres_instead("backup");
    }
    let done = match file::database_path(url).and_then(|db| file::backup(&db, &a.to, a.force)) {
        Ok(d) => d,
        Err(e) => return refused(e, json),
    };
    if json {
        print_json(&serde_json::json!({
            "file": a.to.display().to_string(),
            "bytes": done.bytes,
            "seconds": done.elapsed.as_secs_f64(),
        }));
    } else {
        println!(
            "backed up to {}: {} bytes in {:.2} s",
            a.to.display(),
            done.bytes,
            done.elapsed.as_secs_f64()
        );
    }
    ExitCode::SUCCESS
}

pub async fn restore(url: &str, a: RestoreArgs, json: bool) -> ExitCode {
    if is_postgres(url) {
        return postgres_instead("restore");
    }
    if let Err(e) = file::database_path(url).and_then(|db| file::restore(&a.file, &db)) {
        return refused(e, json);
    }
    let store = match crate::open_store(url, false).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: restored {}, but cannot open it: {e}; run `seatline events new-epoch` once it opens",
                a.file.display()
            );
            return ExitCode::from(EXIT_IO);
        }
    };
    let app = App::new(store);
    let reason = format!("restored from {}", a.file.display());
    match app.start_feed_epochs(&Ctx::operator(), None, &reason).await {
        Ok(started) => {
            if json {
                print_json(
                    &serde_json::json!({"restored_from": a.file.display().to_string(), "epochs": started}),
                );
            } else {
                println!("restored {}", a.file.display());
                for s in &started {
                    println!(
                        "{}: new feed epoch {} (events kept up to seq {}; consumers past it resync from /entitlements)",
                        s.org, s.epoch, s.prior_head
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("the database is restored, but starting the new feed epochs failed; run `seatline events new-epoch` before serving it");
            fail(e, json)
        }
    }
}

pub async fn new_epoch(app: &App, a: NewEpochArgs, json: bool) -> ExitCode {
    let org = a.org.map(OrgId);
    match app
        .start_feed_epochs(&Ctx::operator(), org.as_ref(), "seatline events new-epoch")
        .await
    {
        Ok(started) => {
            if json {
                print_json(&started);
            } else {
                for s in &started {
                    println!(
                        "{}: new feed epoch {} (events kept up to seq {})",
                        s.org, s.epoch, s.prior_head
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, json),
    }
}

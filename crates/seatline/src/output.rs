//! How the CLI prints: a table for people, JSON with `--json`, and documented exit codes.

use std::process::ExitCode;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};
use seatline_app::{AppError, AppResult};
use serde::Serialize;

/// Exit codes: 0 success, 1 a rule refused the request, 2 bad command line (clap) or a
/// listen address that cannot be bound, 3 the database could not be reached or failed.
pub const EXIT_REFUSED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_IO: u8 = 3;

pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY).set_header(header.to_vec());
    for r in rows {
        t.add_row(r);
    }
    t.to_string()
}

pub fn print_json(v: &impl Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("views serialize")
    );
}

/// Print a value as JSON or through its table renderer.
pub fn show<T: serde::Serialize>(json: bool, v: &T, human: impl FnOnce(&T) -> String) {
    if json {
        print_json(v)
    } else {
        println!("{}", human(v))
    }
}

/// The exit of a command that printed its answer, or the report of why it failed.
pub fn done(result: AppResult<()>, json: bool) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

/// Report a failed use case on stderr and pick its exit code.
pub fn fail(e: AppError, json: bool) -> ExitCode {
    match e {
        AppError::Rule(e) => {
            if json {
                let body = serde_json::json!({"error": {"code": e.code.as_str(), "message": e.message, "details": e.details}});
                eprintln!("{body}");
            } else {
                eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            }
            ExitCode::from(EXIT_REFUSED)
        }
        AppError::Store(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_IO)
        }
    }
}

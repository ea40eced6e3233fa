//! `seatline activity report FILE`: activity seen by the PBX or the contact center
//! (product.md §14), from a JSON file shaped as the API's body (`{"items": [...]}`, at most
//! 10,000 items); `seatline activity import --format asterisk-cdr FILE`: a PBX's call
//! records (docs/activity.md), read as a stream. Runs as the owner unless `--as` names
//! another member.

use std::process::ExitCode;

use clap::Subcommand;
use seatline_app::activity::{ActivityReport, CdrImport, RefusedItem};
use seatline_app::{App, AppResult};
use seatline_domain::activity::cdr;
use seatline_domain::{Error, ErrorCode};
use serde_json::Value;

use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum ActivityCmd {
    /// Report activity from a JSON file `{"items": [{extension, kind, device, at}, ...]}`.
    Report {
        #[command(flatten)]
        org: OrgArg,
        /// The JSON file; `-` reads standard input.
        file: String,
    },
    /// Import call records: each src and dst that is an extension key is a call at start.
    Import {
        #[command(flatten)]
        org: OrgArg,
        /// The file's format: asterisk-cdr (Asterisk's cdr_csv Master.csv).
        #[arg(long)]
        format: String,
        /// The PBX's UTC offset (+02:00, -05:30, Z): Asterisk writes local time unless
        /// cdr.conf sets usegmtime.
        #[arg(long, default_value = "Z", allow_hyphen_values = true)]
        utc_offset: String,
        /// The CDR file; `-` reads standard input.
        file: String,
    },
}

pub async fn run(app: &App, cmd: ActivityCmd, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

async fn exec(app: &App, cmd: ActivityCmd, json: bool) -> AppResult<()> {
    match cmd {
        ActivityCmd::Report { org, file } => {
            let (c, org) = ctx(app, &org, false).await?;
            let items = read_items(&file)?;
            let report = app.report_activity(&c, &org, &items).await?;
            show(&report, json);
        }
        ActivityCmd::Import {
            org,
            format,
            utc_offset,
            file,
        } => {
            cdr::check_format(&format)?;
            let offset = cdr::parse_offset(&utc_offset)?;
            let (c, org) = ctx(app, &org, false).await?;
            let unreadable = |e: std::io::Error| {
                Error::new(
                    ErrorCode::FileUnreadable,
                    format!("cannot read {file}: {e}"),
                )
            };
            let done = if file == "-" {
                let input = tokio::io::BufReader::new(tokio::io::stdin());
                app.import_cdr(&c, &org, input, offset).await?
            } else {
                let f = tokio::fs::File::open(&file).await.map_err(unreadable)?;
                let input = tokio::io::BufReader::with_capacity(256 * 1024, f);
                app.import_cdr(&c, &org, input, offset).await?
            };
            show_import(&done, json);
        }
    }
    Ok(())
}

fn show_import(r: &CdrImport, json: bool) {
    if json {
        print_json(r);
        return;
    }
    println!(
        "lines {}, records {}, recorded {} extensions, changed {}, ignored {} (unknown extensions), refused {} lines",
        r.lines, r.records, r.recorded, r.changed, r.ignored_total, r.refused_total
    );
    refused_table(&r.refused, "line");
    if r.refused_total > r.refused.len() {
        println!("(the first {} refused lines are listed)", r.refused.len());
    }
}

fn refused_table(refused: &[RefusedItem], what: &str) {
    if refused.is_empty() {
        return;
    }
    let rows = refused
        .iter()
        .map(|f| {
            vec![
                f.index.to_string(),
                f.field.clone(),
                f.code.clone(),
                f.message.clone(),
            ]
        })
        .collect();
    println!("{}", table(&[what, "field", "code", "message"], rows));
}

fn read_items(file: &str) -> Result<Vec<Value>, Error> {
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| {
        Error::new(
            ErrorCode::FileUnreadable,
            format!("cannot read {file}: {e}"),
        )
    })?;
    let body: Value = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            ErrorCode::Malformed,
            format!("{file} is not JSON ({e}); write {{\"items\": [...]}}"),
        )
    })?;
    match body.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(Error::new(
            ErrorCode::Malformed,
            format!("{file} has no \"items\" list; write {{\"items\": [...]}}"),
        )),
    }
}

/// What a report or an import did: the counts, then a table of every refused item.
fn show(r: &ActivityReport, json: bool) {
    if json {
        print_json(r);
        return;
    }
    println!(
        "recorded {}, changed {}, ignored {} (unknown extensions), refused {}",
        r.recorded,
        r.changed,
        r.ignored.len(),
        r.refused.len()
    );
    refused_table(&r.refused, "item");
}

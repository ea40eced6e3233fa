//! `seatline activity report FILE`: activity seen by the PBX or the contact center
//! (product.md §14), from a JSON file shaped as the API's body (`{"items": [...]}`, at most
//! 10,000 items). Runs as the owner unless `--as` names another member.

use std::process::ExitCode;

use clap::Subcommand;
use seatline_app::activity::ActivityReport;
use seatline_app::{App, AppResult};
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
    }
    Ok(())
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
pub(crate) fn show(r: &ActivityReport, json: bool) {
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
    if !r.refused.is_empty() {
        let rows = r
            .refused
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
        println!("{}", table(&["item", "field", "code", "message"], rows));
    }
}

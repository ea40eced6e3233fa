//! `seatline events tail`: the change feed as JSON lines, optionally followed as it grows
//! (`events new-epoch` is in `backup`).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use seatline_app::events::EventsRequest;
use seatline_app::App;

use crate::context::{ctx, OrgArg};
use crate::output::fail;

#[derive(Subcommand)]
pub enum EventsCmd {
    /// Print the organization's events after a seq, one JSON object per line.
    Tail(TailArgs),
    /// Start a new epoch of the feed (every organization, or --org): after a PostgreSQL
    /// pg_restore or any other reset, so consumers past the restored head resync.
    NewEpoch(crate::backup::NewEpochArgs),
}

#[derive(Args)]
pub struct TailArgs {
    #[command(flatten)]
    org: OrgArg,
    /// The seq of the last event already seen (0: from the oldest kept).
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// Keep waiting for new events (until interrupted).
    #[arg(long)]
    follow: bool,
    /// Only these types or prefixes, comma-separated, e.g. `extension.*,member.disabled`.
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
}

pub async fn tail(app: &App, cmd: EventsCmd, json: bool) -> ExitCode {
    let a = match cmd {
        EventsCmd::Tail(a) => a,
        EventsCmd::NewEpoch(a) => return crate::backup::new_epoch(app, a, json).await,
    };
    let (ctx, org) = match ctx(app, &a.org, false).await {
        Ok(c) => c,
        Err(e) => return fail(e, json),
    };
    if a.follow {
        // Other processes' commits wake this one at once on PostgreSQL; SQLite is polled.
        if let Err(e) = app.listen_events().await {
            return fail(e, json);
        }
    }
    let mut after = a.after;
    loop {
        let req = EventsRequest {
            after,
            limit: Some(seatline_app::events::MAX_EVENTS_PAGE),
            types: a.types.clone(),
            wait: if a.follow {
                Duration::from_secs(30)
            } else {
                Duration::ZERO
            },
        };
        let page = match app.events(&ctx, &org, req).await {
            Ok(p) => p,
            Err(e) => return fail(e, json),
        };
        for item in &page.items {
            println!("{}", item.get());
        }
        after = page.next_cursor.parse().unwrap_or(after);
        if !a.follow && !page.has_more {
            return ExitCode::SUCCESS;
        }
    }
}

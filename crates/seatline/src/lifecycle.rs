//! `seatline lifecycle`: the operator's subscription changes from a shell (product.md §10), and
//! `tick`, which makes the time-driven transitions due now or at `--now`.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use seatline_app::{App, AppResult};
use seatline_domain::lifecycle::{parse_term_end, SubscriptionUpdate, DEFAULT_GRACE_DAYS};
use seatline_domain::words::plural;
use seatline_domain::{Error, ErrorCode};

use crate::context::{ctx, OrgArg};
use crate::orgs::license_rows;
use crate::output::{fail, show, table};

#[derive(Subcommand)]
pub enum LifecycleCmd {
    /// Set a subscription's quantity, state, term end or price (what billing sends to
    /// `PUT …/subscriptions/{code}`); absent flags leave the value as it is.
    Set {
        #[command(flatten)]
        org: OrgArg,
        /// The catalog code.
        code: String,
        #[arg(long)]
        quantity: Option<i64>,
        /// Allow a quantity below what is in use (a renewal for fewer seats).
        #[arg(long)]
        allow_over_allocation: bool,
        /// active | expired | suspended | terminated.
        #[arg(long)]
        state: Option<String>,
        /// With `--state active`: start a new subscription, from any state.
        #[arg(long)]
        renew: bool,
        /// Last day of service, YYYY-MM-DD, or `none` for no end.
        #[arg(long)]
        term_end: Option<String>,
        /// Unit price per seat and month (decimal), or `none`.
        #[arg(long)]
        unit_price: Option<String>,
        /// ISO 4217 currency, or `none`.
        #[arg(long)]
        currency: Option<String>,
    },
    /// Make every time-driven transition due (expire, suspend, terminate), then exit.
    Tick {
        /// The time to tick at (RFC 3339); default now. For tests and for catching up.
        #[arg(long)]
        now: Option<String>,
        /// Days an expired subscription stays in grace before it is suspended.
        #[arg(long, env = "SEATLINE_GRACE_DAYS", default_value_t = DEFAULT_GRACE_DAYS)]
        grace_days: u32,
    },
}

/// `none` clears an optional value; anything else is parsed.
fn optional<T>(
    v: Option<String>,
    parse: impl Fn(&str) -> Result<T, Error>,
) -> Result<Option<Option<T>>, Error> {
    v.map(|s| {
        if s.eq_ignore_ascii_case("none") {
            Ok(None)
        } else {
            parse(&s).map(Some)
        }
    })
    .transpose()
}

pub fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, Error> {
    match now {
        None => Ok(Utc::now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Error::new(
                    ErrorCode::Malformed,
                    format!("--now {s:?} must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z"),
                )
                .detail("field", "now")
            }),
    }
}

pub async fn run(app: &App, cmd: LifecycleCmd, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

async fn exec(app: &App, cmd: LifecycleCmd, json: bool) -> AppResult<()> {
    match cmd {
        LifecycleCmd::Set {
            org,
            code,
            quantity,
            allow_over_allocation,
            state,
            renew,
            term_end,
            unit_price,
            currency,
        } => {
            let req = SubscriptionUpdate {
                quantity,
                allow_over_allocation,
                state: state.map(|s| s.parse()).transpose()?,
                renew,
                term_end: optional(term_end, parse_term_end)?,
                unit_price: optional(unit_price, str::parse)?,
                currency: optional(currency, str::parse)?,
            };
            let (c, id) = ctx(app, &org, true).await?;
            let l = app.set_subscription(&c, &id, &code, req).await?;
            show(json, &l, |l| license_rows(std::slice::from_ref(l)));
        }
        LifecycleCmd::Tick { now, grace_days } => {
            let now = parse_now(now.as_deref())?;
            let r = app.lifecycle_tick(now, grace_days).await?;
            show(json, &r, |r| {
                let rows = r
                    .transitions
                    .iter()
                    .map(|t| {
                        vec![
                            t.org.clone(),
                            t.code.as_str().to_owned(),
                            t.to.as_str().to_owned(),
                            t.at.clone(),
                        ]
                    })
                    .collect();
                format!(
                    "{} checked, {}\n{}",
                    plural(r.orgs_checked as u64, "organization", "organizations"),
                    plural(r.transitions.len() as u64, "transition", "transitions"),
                    table(&["org", "code", "now", "since"], rows)
                )
            });
        }
    }
    Ok(())
}

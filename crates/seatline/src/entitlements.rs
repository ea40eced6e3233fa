//! `seatline entitlements`: what a member may use, and its Contact Center readiness.

use seatline_app::{App, AppResult};

use crate::context::{ctx, OrgMember};
use crate::members::member_rows;
use crate::output::show;

pub async fn run(app: &App, t: OrgMember, json: bool) -> AppResult<()> {
    let (c, org) = ctx(app, &t.org, true).await?;
    let e = app.entitlements(&c, &org, &t.member).await?;
    show(json, &e, |e| {
        let mut s = member_rows(std::slice::from_ref(&e.member));
        s.push('\n');
        s.push_str(&format!(
            "entitled: {}",
            e.entitled
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        s
    });
    Ok(())
}

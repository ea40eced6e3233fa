//! `seatline contact-center`: every member's Contact Center role, readiness and what is
//! missing.

use seatline_app::{App, AppResult};

use crate::context::{ctx, OrgArg};
use crate::members::member_rows;
use crate::output::show;

pub async fn run(app: &App, o: OrgArg, json: bool) -> AppResult<()> {
    let (c, org) = ctx(app, &o, true).await?;
    let p = app
        .contact_center(&c, &org, None, Some(seatline_app::MAX_PAGE))
        .await?;
    show(json, &p, |p| member_rows(&p.items));
    Ok(())
}

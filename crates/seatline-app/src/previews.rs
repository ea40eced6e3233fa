//! Dry runs: a use case's rule judged against the organization as it is now, nothing
//! written, so that a form can say before it is sent what sending it would do.

use seatline_domain::permissions::Action;
use seatline_domain::{rules, ExtKey, OrgId};

use crate::{App, AppResult, Ctx};

impl App {
    /// What [`App::provision`] would answer now: the first and last key it would create, or
    /// the error it would refuse with (taken keys and the next free start, seats, key range).
    pub async fn provision_preview(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        count: i64,
        start: &str,
    ) -> AppResult<(u32, u32)> {
        self.guard(ctx, org, Action::Provision, None)?;
        let start: ExtKey = start
            .parse::<ExtKey>()
            .map_err(|e| e.detail("field", "start"))?;
        let mut tx = self.read(org).await?;
        let taken = tx.taken_keys(org).await?;
        let seats = tx.seats(org).await?;
        rules::provision(count, start, &taken, &seats)?;
        // The rule accepted count ≥ 1 and a last key within range.
        Ok((start.get(), start.get() + (count - 1) as u32))
    }
}

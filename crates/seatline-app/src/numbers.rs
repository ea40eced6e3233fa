//! The organization's number inventory.

use seatline_domain::permissions::Action;
use seatline_domain::{rules, Error, OrgId, E164};

use crate::views::*;
use crate::{page_limit, App, AppResult, Ctx};

impl App {
    pub async fn numbers(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<NumberView>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(limit);
        let mut tx = self.read(org).await?;
        let rows = tx.numbers(org, after, limit + 1).await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.number.to_string(),
            |r| NumberView {
                number: r.number.to_string(),
                extension: r.extension.map(|k| k.to_string()),
            },
        ))
    }

    pub async fn add_number(&self, ctx: &Ctx, org: &OrgId, number: &str) -> AppResult<NumberView> {
        self.guard(ctx, org, Action::ManageNumbers, None)?;
        let number: E164 = number.parse()?;
        let mut tx = self.lock(org).await?;
        let existing = tx.number(org, &number).await?;
        let d = rules::add_number(number.clone(), existing.as_ref())?;
        self.commit(tx, ctx, org, d).await?;
        Ok(NumberView {
            number: number.to_string(),
            extension: None,
        })
    }

    pub async fn remove_number(&self, ctx: &Ctx, org: &OrgId, number: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::ManageNumbers, None)?;
        let number: E164 = number
            .parse()
            .map_err(|_| Error::not_found("number", number))?;
        let mut tx = self.lock(org).await?;
        let row = tx.number(org, &number).await?;
        let d = rules::remove_number(&number, row.as_ref())?;
        self.commit(tx, ctx, org, d).await
    }
}

//! The organization's number inventory.

use std::collections::HashSet;

use seatline_domain::permissions::Action;
use seatline_domain::{rules, Error, ExtKey, NumberRow, OrgId, Scope, E164};
use seatline_store::{ExtensionQuery, Tx};

/// Numbers read per statement while a team-scoped admin's list skips those out of reach.
const SCAN_BATCH: u32 = 1000;

use crate::views::*;
use crate::{page_limit, App, AppResult, Ctx};

impl App {
    /// The inventory rows of `numbers` as the actor may see them: a number attached to an
    /// extension out of a team-scoped admin's reach reads as absent, so attaching it is
    /// refused exactly as a number not in the inventory is (product.md §12).
    pub(crate) async fn scoped_numbers(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        scope: &Scope,
        numbers: &[E164],
    ) -> AppResult<Vec<Option<NumberRow>>> {
        let mut rows = Vec::with_capacity(numbers.len());
        for n in numbers {
            let mut row = tx.number(org, n).await?;
            let attached = row.as_ref().and_then(|r| r.extension);
            if let (Some(k), false) = (attached, scope.is_org()) {
                if Self::scoped_extension(tx, org, scope, k).await?.is_none() {
                    row = None;
                }
            }
            rows.push(row);
        }
        Ok(rows)
    }

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
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let rows = match scope {
            Scope::Org => tx.numbers(org, after, limit + 1).await?,
            // A team-scoped admin sees the free numbers and those on extensions in its reach
            // (product.md §12): the others would name extensions it cannot see.
            scope => {
                let all = ExtensionQuery {
                    limit: u32::MAX,
                    ..Default::default()
                };
                let reach: HashSet<ExtKey> = tx
                    .extensions(org, &all)
                    .await?
                    .into_iter()
                    .filter(|e| scope.contains_extension(e))
                    .map(|e| e.key)
                    .collect();
                let mut kept = Vec::new();
                let mut cursor = after.map(str::to_owned);
                loop {
                    let batch = tx.numbers(org, cursor.as_deref(), SCAN_BATCH).await?;
                    let last = batch.len() < SCAN_BATCH as usize;
                    cursor = batch.last().map(|r| r.number.to_string());
                    kept.extend(
                        batch
                            .into_iter()
                            .filter(|r| r.extension.is_none_or(|k| reach.contains(&k))),
                    );
                    if last || kept.len() > limit as usize {
                        break;
                    }
                }
                kept
            }
        };
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

    #[tracing::instrument(skip_all, fields(org = %org))]
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

    #[tracing::instrument(skip_all, fields(org = %org))]
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

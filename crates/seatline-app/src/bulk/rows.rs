//! A stored plan's rows a page at a time, and a plan as an API answer shows it: its first
//! rows only, so a full-scale plan's answer stays small (issue 26: 21,000 rows answered
//! 3.9 MB). The stored plan keeps every row; apply, the admin UI and the CLI read it whole.

use seatline_domain::plans::RowPlan;
use seatline_domain::{Error, ErrorCode, OrgId};
use serde::Serialize;

use super::{doc, PlanView};
use crate::{App, AppResult, Ctx};

/// Rows an API answer lists in a plan's `items`; every row is at `…/plans/{plan}/rows`.
pub const SUMMARY_ITEMS: usize = 1_000;
/// Rows per page of `…/plans/{plan}/rows` (and findings per page) when `limit` is absent.
pub const ROWS_PAGE: u32 = 500;
/// The most rows (and findings) one page holds.
pub const MAX_ROWS_PAGE: u32 = 5_000;

/// One page of a plan's rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanRows {
    #[schema(schema_with = doc::items)]
    pub items: Vec<RowPlan>,
    /// Pass it back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl PlanView {
    /// The plan as an API answer: `items` holds the first [`SUMMARY_ITEMS`] rows, and
    /// `items_truncated` says whether more are at `…/rows` (`items_total` counts them all).
    pub fn summary(mut self) -> PlanView {
        self.items_total = self.items.len();
        self.items_truncated = self.items.len() > SUMMARY_ITEMS;
        self.items.truncate(SUMMARY_ITEMS);
        self
    }
}

/// The start and end of one page of `len` items: `cursor` is the index a previous page's
/// `next_cursor` gave (opaque to clients), `limit` is clamped to 1..=[`MAX_ROWS_PAGE`].
pub fn page_bounds(
    len: usize,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<(usize, usize, Option<String>), Error> {
    let start = match cursor.filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| {
            Error::new(
                ErrorCode::Malformed,
                format!("cursor {c:?} is not a cursor of this list; pass the next_cursor of the previous page, or leave cursor out for the first page"),
            )
            .detail("field", "cursor")
        })?,
    }
    .min(len);
    let limit = limit.unwrap_or(ROWS_PAGE).clamp(1, MAX_ROWS_PAGE) as usize;
    let end = start.saturating_add(limit).min(len);
    let next = (end < len).then(|| end.to_string());
    Ok((start, end, next))
}

impl App {
    /// One page of a stored plan's rows, in file order; readable by whoever may read the plan.
    pub async fn bulk_plan_rows(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<PlanRows> {
        let mut items = self.bulk_get_plan(ctx, org, id).await?.items;
        let (start, end, next_cursor) = page_bounds(items.len(), cursor, limit)?;
        items.truncate(end);
        items.drain(..start);
        Ok(PlanRows { items, next_cursor })
    }
}

//! Reading the audit log.

use seatline_domain::permissions::Action;
use seatline_domain::OrgId;
use seatline_store::{AuditEntry, AuditQuery};

use crate::views::*;
use crate::{page_limit, App, AppResult, Ctx};

impl App {
    pub async fn audit(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        mut q: AuditQuery,
    ) -> AppResult<Page<AuditEntry>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(Some(q.limit).filter(|l| *l > 0));
        q.limit = limit + 1;
        let mut tx = self.read(org).await?;
        let rows = tx.audit(org, &q).await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |e| e.id.to_string(),
            |e| e.clone(),
        ))
    }
}

//! Reading the audit log.

use seatline_domain::permissions::Action;
use seatline_domain::{ExtKey, MemberId, OrgId, Scope};
use seatline_store::{AuditEntry, AuditQuery, Tx};

use crate::views::*;
use crate::{page_limit, App, AppResult, Ctx};

/// Entries read per round while a team-scoped admin's page fills.
const SCOPED_BATCH: u32 = 500;

impl App {
    pub async fn audit(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        mut q: AuditQuery,
    ) -> AppResult<Page<AuditEntry>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(Some(q.limit).filter(|l| *l > 0));
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let rows = if scope.is_org() {
            q.limit = limit + 1;
            tx.audit(org, &q).await?
        } else {
            // The audit of the objects in reach (product.md §12): read newest first and keep
            // what concerns them, until the page and one more are found or the log ends.
            let mut kept = Vec::new();
            q.limit = SCOPED_BATCH;
            loop {
                let batch = tx.audit(org, &q).await?;
                let done = batch.len() < SCOPED_BATCH as usize;
                q.before_id = batch.last().map(|e| e.id);
                for e in batch {
                    if concerns(&mut tx, org, &scope, &e).await? {
                        kept.push(e);
                        if kept.len() > limit as usize {
                            break;
                        }
                    }
                }
                if done || kept.len() > limit as usize {
                    break;
                }
            }
            kept
        };
        Ok(Page::from_rows(
            rows,
            limit,
            |e| e.id.to_string(),
            |e| e.clone(),
        ))
    }
}

/// Whether an audit entry's target is a member or an extension in `scope` now, and, for an
/// extension, whether every holder its before and after name is in `scope` too: an
/// unassigned extension is in reach, but its past holders out of reach are not, so the
/// entries naming them are left out like the rest. Nothing else (the organization, teams,
/// tokens, the number inventory) is a team-scoped admin's.
async fn concerns(
    tx: &mut Box<dyn Tx>,
    org: &OrgId,
    scope: &Scope,
    e: &AuditEntry,
) -> AppResult<bool> {
    if let Some(id) = e.target.strip_prefix("member:") {
        return Ok(scope.contains_member(&MemberId(id.to_owned())));
    }
    if let Some(key) = e
        .target
        .strip_prefix("extension:")
        .and_then(|k| k.parse::<ExtKey>().ok())
    {
        let holders_in_reach = [&e.before, &e.after].iter().all(|v| {
            v["member"]
                .as_str()
                .is_none_or(|m| scope.contains_member(&MemberId(m.to_owned())))
        });
        return Ok(holders_in_reach && App::scoped_extension(tx, org, scope, key).await?.is_some());
    }
    Ok(false)
}

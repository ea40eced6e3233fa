//! The usage report, its findings and cleanup plans (product.md §11). Reports read the
//! organization once (one snapshot and its subscriptions, in one read transaction) and let
//! the domain count. A cleanup plan is a bulk plan: stored with them, read and applied at
//! the same paths; [`App::bulk_apply`] hands a plan carrying a cleanup request to
//! [`App::apply_cleanup`], which replays its rows under the org lock and writes them with
//! their audit entries and events in one transaction, or refuses with `plan_stale`.

use seatline_domain::activity::{ActivityKind, Device};
use seatline_domain::cleanup::{self, CleanupRequest};
use seatline_domain::idle::{self, Idle};
use seatline_domain::permissions::Action;
use seatline_domain::plans::PlanStatus;
use seatline_domain::reports::{self, Finding, OrgUsage, Usage};
use seatline_domain::{Error, ErrorCode, ExtKey, FindingKind, OrgId, Scope, Subscription};
use seatline_store::{Snapshot, Tx};

use crate::bulk::{decode, plan_row, PlanView};
use crate::{new_id, now, App, AppResult, Ctx, Locked};

/// An organization as the reports read it.
pub(crate) struct ReportState {
    snap: Snapshot,
    subs: Vec<Subscription>,
}

impl ReportState {
    /// The organization within `scope`: a team-scoped admin's findings and cleanup plans
    /// reach its teams' members and the extensions they hold or that are unassigned
    /// (product.md §12); seat counts and prices stay the organization's, as on the licenses
    /// page, so the usage report is read with [`Scope::Org`].
    async fn load(tx: &mut Box<dyn Tx>, org: &OrgId, scope: &Scope) -> AppResult<Self> {
        let mut snap = tx.snapshot(org).await?;
        if !matches!(scope, Scope::Org) {
            snap.members.retain(|m| scope.contains_member(&m.id));
            snap.extensions.retain(|e| scope.contains_extension(e));
        }
        let subs = tx.subscriptions(org).await?;
        Ok(ReportState { snap, subs })
    }
    fn usage(&self) -> OrgUsage<'_> {
        OrgUsage::new(
            &self.snap.members,
            &self.snap.extensions,
            &self.snap.seats,
            &self.subs,
        )
    }
}

/// One page of findings as the API answers them: `{"items": [...], "next_cursor"}`,
/// serialized straight from the list (a full-scale organization has about 100,000
/// findings, 3.1 MB unpaged: no copy of them is made).
#[derive(serde::Serialize)]
pub struct FindingList<'a> {
    pub items: &'a [Finding],
    pub next_cursor: Option<String>,
}

impl<'a> FindingList<'a> {
    /// The page of `all` after `cursor` (a previous page's `next_cursor`), `limit` findings
    /// (default 500, at most 5,000), as plan rows page.
    pub fn page(
        all: &'a [Finding],
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Self, seatline_domain::Error> {
        let (start, end, next_cursor) = crate::bulk::page_bounds(all.len(), cursor, limit)?;
        Ok(FindingList {
            items: &all[start..end],
            next_cursor,
        })
    }
}

/// The findings as CSV: one line per finding, formula cells neutralised as in the export.
pub fn findings_csv(items: &[Finding]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(96 * (items.len() + 1)));
    w.write_record([
        "kind",
        "extension",
        "member",
        "codes",
        "numbers",
        "monthly_waste",
        "suggested_action",
    ])
    .expect("writing to memory");
    for f in items {
        let codes: Vec<&str> = f.codes.iter().map(|c| c.as_str()).collect();
        let numbers: Vec<&str> = f.numbers.iter().map(|n| n.as_str()).collect();
        let record = [
            f.kind.as_str().to_owned(),
            f.extension.map_or(String::new(), |k| k.to_string()),
            // An email may start with `+`, `-`, `=` or `@`: neutralised like the export's.
            crate::bulk::safe_cell(f.member.as_ref().map_or("", |m| m.email.as_str()), false),
            codes.join(" "),
            // One E.164 number stays as the export writes it; several, joined, start with
            // `+` and are no number: neutralised.
            crate::bulk::safe_cell(&numbers.join(" "), true),
            f.monthly_waste.map_or(String::new(), |m| m.to_string()),
            f.suggested_action.as_str().to_owned(),
        ];
        w.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("cells are UTF-8")
}

/// Parse extension keys a cleanup request names.
fn keys(extensions: &[String]) -> Result<Vec<ExtKey>, Error> {
    extensions
        .iter()
        .map(|k| {
            k.trim().parse::<ExtKey>().map_err(|e| {
                Error::new(
                    e.code,
                    format!("extensions: {k:?} is not an extension key: {}", e.message),
                )
                .detail("field", "extensions")
            })
        })
        .collect()
}

/// When and how idle copies are judged: `at` (RFC 3339, at most 400 days ahead; now when
/// absent) and `idle_days` (1 to 3650; 30 when absent), as the request wrote them.
#[derive(Debug, Clone, Default)]
pub struct IdleParams {
    pub at: Option<String>,
    pub idle_days: Option<String>,
}

/// The activity and hand-overs of the organization, read in the report's transaction.
async fn load_idle(tx: &mut Box<dyn Tx>, org: &OrgId, params: &IdleParams) -> AppResult<Idle> {
    let at = idle::parse_at(params.at.as_deref(), chrono::Utc::now())?;
    let idle_days = idle::parse_idle_days(params.idle_days.as_deref())?;
    let mut out = Idle {
        at,
        idle_days,
        ..Idle::default()
    };
    // Stored instants are the store's own RFC 3339 text; one that does not read is skipped
    // (it cannot make a copy look used).
    let instant = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    for row in tx.activity(org, None).await? {
        let (Some(kind), Some(at)) = (ActivityKind::parse(&row.kind), instant(&row.at)) else {
            continue;
        };
        let device = row.device.as_deref().and_then(Device::parse);
        out.activity
            .entry(row.extension)
            .or_default()
            .push((kind, device, at));
    }
    for (key, at) in tx.extension_handovers(org, &idle::HANDOVER_ACTIONS).await? {
        if let Some(at) = instant(&at) {
            out.handed_over.insert(key, at);
        }
    }
    Ok(out)
}

impl App {
    /// The organization as the report reads it: within the actor's scope when `scoped`.
    async fn report_state(&self, ctx: &Ctx, org: &OrgId, scoped: bool) -> AppResult<ReportState> {
        self.guard(ctx, org, Action::ReadReports, None)?;
        let mut tx = self.read(org).await?;
        let scope = if scoped {
            Self::scope(&mut tx, ctx, org).await?
        } else {
            Scope::Org
        };
        ReportState::load(&mut tx, org, &scope).await
    }

    /// The report's state and its idle judgement, read in one transaction.
    async fn idle_state(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        scoped: bool,
        params: &IdleParams,
    ) -> AppResult<(ReportState, Idle)> {
        self.guard(ctx, org, Action::ReadReports, None)?;
        // The parameters are checked before anything is read: a bad `at` costs nothing.
        idle::parse_at(params.at.as_deref(), chrono::Utc::now())?;
        idle::parse_idle_days(params.idle_days.as_deref())?;
        let mut tx = self.read(org).await?;
        let scope = if scoped {
            Self::scope(&mut tx, ctx, org).await?
        } else {
            Scope::Org
        };
        let s = ReportState::load(&mut tx, org, &scope).await?;
        let idle = load_idle(&mut tx, org, params).await?;
        Ok((s, idle))
    }

    /// Per code: purchased, in use, assigned, effective, productive, idle, cost and waste;
    /// totals. Idle copies judged now, after 30 days.
    pub async fn usage_report(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Usage> {
        self.usage_report_at(ctx, org, &IdleParams::default()).await
    }

    /// The usage report with idle copies judged at `params.at` after `params.idle_days`.
    pub async fn usage_report_at(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        params: &IdleParams,
    ) -> AppResult<Usage> {
        let (s, idle) = self.idle_state(ctx, org, false, params).await?;
        Ok(reports::usage(&s.usage().with_idle(&idle)))
    }

    /// Every finding, or those of one kind (`kind` as the wire names it); idle copies judged
    /// now, after 30 days.
    pub async fn findings(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        kind: Option<&str>,
    ) -> AppResult<Vec<Finding>> {
        self.findings_at(ctx, org, kind, &IdleParams::default())
            .await
    }

    /// The findings with idle copies judged at `params.at` after `params.idle_days`.
    pub async fn findings_at(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        kind: Option<&str>,
        params: &IdleParams,
    ) -> AppResult<Vec<Finding>> {
        let kind: Option<FindingKind> = kind.map(str::parse).transpose()?;
        let (s, idle) = self.idle_state(ctx, org, true, params).await?;
        Ok(reports::findings(&s.usage().with_idle(&idle), kind))
    }

    /// Plan the cleanup of the findings of these kinds (on these extensions only, when
    /// given) and store the plan with the bulk plans.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn cleanup_plan(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        kinds: &[String],
        extensions: Option<&[String]>,
    ) -> AppResult<PlanView> {
        self.guard(ctx, org, Action::Bulk, None)?;
        let request = CleanupRequest {
            kinds: cleanup::parse_kinds(kinds.iter().map(String::as_str))
                .map_err(|e| e.detail("field", "kinds"))?,
            extensions: extensions.map(keys).transpose()?,
        };
        let s = self.report_state(ctx, org, true).await?;
        if let Some(asked) = &request.extensions {
            let have: std::collections::HashSet<ExtKey> =
                s.snap.extensions.iter().map(|e| e.key).collect();
            if let Some(k) = asked.iter().find(|k| !have.contains(k)) {
                return Err(Error::not_found("extension", k)
                    .detail("field", "extensions")
                    .into());
            }
        }
        let plan = cleanup::plan(&s.usage(), &request);
        drop(s);
        let mut view = PlanView::new(new_id("plan"), now(), plan);
        view.cleanup = Some(request);
        let row = plan_row(view);
        let mut tx = self.store.begin().await?;
        tx.insert_plan(org, &row).await?;
        crate::idempotency::mark_applied(&mut *tx).await?;
        tx.commit().await?;
        Ok(decode(&row)?)
    }

    /// Apply a ready cleanup plan inside the org lock `tx` holds: its rows replayed on the
    /// organization as it is now, all written with one audit entry per row and their events,
    /// the plan marked applied, one commit; `plan_stale` (nothing written) when a row no
    /// longer matches its extension.
    pub(crate) async fn apply_cleanup(
        &self,
        mut tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        mut view: PlanView,
    ) -> AppResult<PlanView> {
        // The applier's scope, as for a file's plan: rows out of its reach no longer match.
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let s = ReportState::load(&mut tx, org, &scope).await?;
        let (errors, d) = cleanup::replay(&view.items, &s.usage());
        if !errors.is_empty() {
            let count = seatline_domain::words::plural(
                errors.len() as u64,
                "row no longer matches",
                "rows no longer match",
            );
            let errors = serde_json::to_value(&errors).expect("errors serialize");
            return Err(Error::new(
                ErrorCode::PlanStale,
                format!(
                    "the organization changed since the cleanup plan was made and {count}; nothing was applied: make a new cleanup plan"
                ),
            )
            .detail("errors", errors)
            .into());
        }
        // The events are derived from the organization the replay read, not read again.
        let (before, then) = if self.write_events {
            let ReportState { snap, .. } = s;
            let before = seatline_domain::events::Before {
                extensions: snap.extensions.into_iter().map(|e| (e.key, e)).collect(),
                members: snap
                    .members
                    .into_iter()
                    .map(|m| (m.id.clone(), m))
                    .collect(),
                states: snap.seats,
            };
            let applied = seatline_domain::events::bulk_applied(&view.id, view.items.len());
            (Some(before), vec![applied])
        } else {
            (None, Vec::new())
        };
        self.record_from(&mut tx, ctx, org, d, before, then).await?;
        view.status = PlanStatus::Applied;
        view.can_apply = false;
        let applied = plan_row(view);
        tx.update_plan(org, &applied).await?;
        tx.commit().await?;
        self.committed(org).await;
        Ok(decode(&applied)?)
    }
}

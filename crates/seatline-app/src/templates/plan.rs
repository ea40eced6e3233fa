//! Template changes as plans (product.md §13): `POST …/teams/{team}/template/plan` stores a
//! plan of the bulk kind (one row per member reconciled, the seats it moves), reviewed and
//! applied at the bulk plan paths; applying replays it against the organization as it is
//! then, refused as `plan_stale` when a row would come out differently.

use seatline_domain::permissions::Action;
use seatline_domain::plans::PlanStatus;
use seatline_domain::templates::{self as tpl, Template};
use seatline_domain::{Error, ErrorCode, OrgId, Team};
use serde_json::Value;

use super::{template_change, Computed, TemplatePlanRequest};
use crate::bulk::{decode, plan_row, PlanView};
use crate::{events, need, new_id, now, App, AppResult, Ctx, Locked};

fn template_of(body: &Value) -> AppResult<Option<Template>> {
    Ok(match body {
        Value::Null => None,
        v => Some(Template::parse(v)?),
    })
}

impl App {
    /// The plan of setting `body` (`null`: deleting) as the team's template; nothing changes
    /// until it is applied.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn plan_template(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        team: &str,
        body: &Value,
    ) -> AppResult<PlanView> {
        self.guard(ctx, org, Action::ManageTemplates, None)?;
        let template = template_of(body)?;
        let mut tx = self.read(org).await?;
        let teams = tx.teams(org).await?;
        let t = need(
            teams.into_iter().find(|t| t.id.as_str() == team),
            "team",
            team,
        )?;
        let plan = Self::template_plan(&mut tx, org, &t, template.as_ref()).await?;
        drop(tx);
        let mut view = PlanView::new(new_id("plan"), now(), plan);
        view.template = Some(TemplatePlanRequest {
            team: t.id.to_string(),
            template: template.as_ref().map_or(Value::Null, Template::to_json),
        });
        let row = plan_row(view);
        let mut tx = self.store.begin().await?;
        tx.insert_plan(org, &row).await?;
        crate::idempotency::mark_applied(&mut *tx).await?;
        tx.commit().await?;
        Ok(decode(&row)?)
    }

    async fn template_plan(
        tx: &mut Box<dyn seatline_store::Tx>,
        org: &OrgId,
        t: &Team,
        template: Option<&Template>,
    ) -> AppResult<seatline_domain::plans::Plan> {
        let computed = Self::compute(tx, org, &t.members, Some((&t.id, template))).await?;
        Ok(match computed {
            Some(Computed {
                results,
                pool,
                seats,
                ..
            }) => tpl::plan(&results, &pool, &seats),
            // Nobody to reconcile: a plan of no rows.
            None => {
                let pool = tpl::Pool::new(Default::default(), Default::default());
                tpl::plan(&[], &pool, &Default::default())
            }
        })
    }

    /// Apply a ready template plan inside the org lock `tx` holds: replanned against the
    /// organization as it is now, refused as `plan_stale` (nothing written) when any row or
    /// seat count differs; else the template set and every member granted or revoked, the
    /// plan marked applied, one commit.
    pub(crate) async fn apply_template_plan(
        &self,
        mut tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        mut view: PlanView,
    ) -> AppResult<PlanView> {
        self.guard(ctx, org, Action::ManageTemplates, None)?;
        let req = view.template.clone().expect("a template plan");
        let template = template_of(&req.template)?;
        let teams = tx.teams(org).await?;
        let t = need(
            teams.into_iter().find(|t| t.id.as_str() == req.team),
            "team",
            &req.team,
        )?;
        let now_plan = Self::template_plan(&mut tx, org, &t, template.as_ref()).await?;
        if now_plan.items != view.items || now_plan.seats != view.seats {
            let changed = now_plan
                .items
                .iter()
                .zip(&view.items)
                .filter(|(a, b)| a != b)
                .count()
                + now_plan.items.len().abs_diff(view.items.len());
            return Err(Error::new(
                ErrorCode::PlanStale,
                format!(
                    "the organization changed since the template plan was made ({} would come out differently, or the seats moved); nothing was applied: make a new plan",
                    seatline_domain::words::plural(changed as u64, "row", "rows")
                ),
            )
            .detail("plan", view.id.clone())
            .into());
        }
        let current = tx
            .templates(org)
            .await?
            .into_iter()
            .find(|(id, _)| *id == t.id)
            .map(|(_, b)| b);
        if current != template {
            let (d, changed) = template_change(&t, current.as_ref(), template.as_ref());
            let before = if self.write_events {
                Some(events::load_before(&mut tx, org, &d.changes, events::Seen::default()).await?)
            } else {
                None
            };
            self.record_from(&mut tx, ctx, org, d, before, vec![changed])
                .await?;
        }
        self.reconcile_in(&mut tx, ctx, org, &t.members).await?;
        view.status = PlanStatus::Applied;
        view.can_apply = false;
        let applied = plan_row(view);
        tx.update_plan(org, &applied).await?;
        tx.commit().await?;
        self.committed(org).await;
        Ok(decode(&applied)?)
    }
}

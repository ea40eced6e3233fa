//! Subscription lifecycle (product.md §10): the operator's `PUT …/subscriptions/{code}` and
//! the time-driven transitions the scheduler and `seatline lifecycle tick` make.

use chrono::{DateTime, Utc};
use seatline_domain::lifecycle::{self, SubscriptionUpdate};
use seatline_domain::permissions::Action;
use seatline_domain::{Code, OrgId, Seat, Seats, Subscription};
use seatline_store::Tx;
use serde::Serialize;

use crate::views::LicenseView;
use crate::{App, AppResult, Ctx};

/// What one tick did: the organizations it changed and the transitions it made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub orgs_checked: usize,
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub org: String,
    pub code: Code,
    pub to: seatline_domain::SubState,
    pub at: String,
}

/// The request id the scheduler's audit entries carry, so an operator can tell them apart.
pub const TICK_REQUEST_ID: &str = "lifecycle-tick";

/// Who the scheduler's transitions name: `system:lifecycle` in the audit log and
/// `{"kind": "system", "id": "lifecycle"}` in the feed (product.md §8), never the operator,
/// whose changes are billing's.
fn scheduler() -> Ctx {
    Ctx {
        actor: seatline_domain::permissions::Actor::System { id: "lifecycle" },
        org: None,
        request_id: Some(TICK_REQUEST_ID.to_owned()),
    }
}

impl App {
    /// Each code's subscription state, for the effective flags: only the (few) subscription
    /// rows are read, never the seat counts.
    pub(crate) async fn states(tx: &mut Box<dyn Tx>, org: &OrgId) -> AppResult<Seats> {
        Ok(Self::states_of(tx.subscriptions(org).await?))
    }

    /// The purchased quantities and states of the subscriptions, without counting seats.
    pub(crate) fn states_of(subscriptions: Vec<seatline_domain::Subscription>) -> Seats {
        let mut seats = Seats::default();
        for s in subscriptions {
            seats.by_code.insert(
                s.code,
                Seat {
                    purchased: s.quantity,
                    state: s.state,
                    ..Default::default()
                },
            );
        }
        seats
    }

    /// The operator's update of one subscription: quantity (over-allocation only when asked),
    /// state along §10's table, renewal, term end, unit price and currency.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_subscription(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        code: &str,
        req: SubscriptionUpdate,
    ) -> AppResult<LicenseView> {
        self.set_subscription_at(ctx, org, code, req, Utc::now())
            .await
    }

    /// [`App::set_subscription`] as if it were `now`: the state it sets begins then, and the
    /// reactivation window and term end are judged then. Ticks take their time the same way,
    /// so a test can run billing and the scheduler on one fake clock.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_subscription_at(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        code: &str,
        req: SubscriptionUpdate,
        now: DateTime<Utc>,
    ) -> AppResult<LicenseView> {
        self.guard(ctx, org, Action::SetQuantity, None)?;
        let code = Code::parse_any(code)?;
        let mut tx = self.lock(org).await?;
        let seats = tx.seats(org).await?;
        let subs = tx.subscriptions(org).await?;
        let current = subs
            .iter()
            .find(|s| s.code == code)
            .cloned()
            .unwrap_or_else(|| Subscription::none(code));
        let d = lifecycle::update_subscription(&current, seats.get(code), req, now)?;
        self.commit(tx, ctx, org, d).await?;
        let mut tx = self.store.begin().await?;
        let subs = tx.subscriptions(org).await?;
        Ok(LicenseView::new(
            code,
            &tx.seats(org).await?,
            subs.iter().find(|s| s.code == code),
        ))
    }

    /// Make every time-driven transition due at `now`, one organization at a time, each
    /// under its lock and audited. Idempotent: what is already done is not due any more,
    /// and a second process ticking at once finds it done when it gets the lock.
    #[tracing::instrument(skip_all)]
    pub async fn lifecycle_tick(
        &self,
        now: DateTime<Utc>,
        grace_days: u32,
    ) -> AppResult<TickReport> {
        let today = now.date_naive().to_string();
        let orgs = self.store.lifecycle_candidates(&today).await?;
        let ctx = scheduler();
        let mut report = TickReport {
            orgs_checked: orgs.len(),
            ..Default::default()
        };
        for org in orgs {
            let mut tx = self.lock(&org).await?;
            let subs = tx.subscriptions(&org).await?;
            let d = lifecycle::tick(&subs, now, grace_days);
            if d.is_empty() {
                continue;
            }
            for c in &d.changes {
                if let seatline_domain::Change::SetSubscription(s) = c {
                    report.transitions.push(Transition {
                        org: org.to_string(),
                        code: s.code,
                        to: s.state,
                        at: s.state_since.map(lifecycle::stamp).unwrap_or_default(),
                    });
                }
            }
            self.commit(tx, &ctx, &org, d).await?;
        }
        Ok(report)
    }
}

/// Run [`App::lifecycle_tick`] every `every`, for as long as the server runs. A failed tick
/// is logged and tried again at the next interval.
pub async fn tick_periodically(app: App, every: std::time::Duration, grace_days: u32) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match app.lifecycle_tick(Utc::now(), grace_days).await {
            Ok(r) if !r.transitions.is_empty() => {
                tracing::info!(transitions = r.transitions.len(), "lifecycle tick")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "lifecycle tick failed"),
        }
    }
}

//! Subscription lifecycle (product.md §10): the states a subscription moves through, the
//! operator's transitions, the time-driven ones, and which copies on an extension are
//! effective. Time is an input: nothing here reads a clock.

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::model::{AuditRecord, Change, Decision, Extension, Member, Seat, Seats};
use crate::subscription::{Currency, Price, SubState, Subscription};
use crate::values::{Status, MAX_QUANTITY};

/// Days an expired subscription stays in grace before it is suspended, unless configured.
pub const DEFAULT_GRACE_DAYS: u32 = 30;
/// Days after a suspension during which it can be reactivated; then it is terminated.
pub const REACTIVATION_DAYS: i64 = 60;

/// Parse a `term_end` date (`YYYY-MM-DD`).
pub fn parse_term_end(s: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Error::new(
            ErrorCode::InvalidTermEnd,
            format!("term_end {s:?} must be a date YYYY-MM-DD (the last day of service) or null"),
        )
        .detail("field", "term_end")
    })
}

/// A time as stored and shown: RFC 3339, UTC, milliseconds.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A subscription as its audit records show it.
fn audit_json(s: &Subscription) -> Value {
    json!({
        "purchased": s.quantity,
        "state": s.state,
        "term_end": s.term_end.map(|d| d.to_string()),
        "state_since": s.state_since.map(stamp),
        "unit_price": s.unit_price,
        "currency": s.currency,
    })
}

/// The first instant after a term: service runs through the whole of `term_end` (UTC).
pub fn term_over_at(term_end: NaiveDate) -> DateTime<Utc> {
    (term_end + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// Whether the operator may move a subscription from `from` to `to` (§10's table), ignoring
/// the reactivation window and renewals. Same-state requests are no-ops, decided elsewhere.
pub fn transition_allowed(from: SubState, to: SubState) -> bool {
    use SubState::*;
    matches!(
        (from, to),
        (Active, Expired)
            | (Active, Suspended)
            | (Expired, Active)
            | (Expired, Suspended)
            | (Suspended, Active)
            | (Active | Expired | Suspended, Terminated)
    )
}

fn invalid_transition(from: SubState, to: SubState, why: &str) -> Error {
    Error::new(
        ErrorCode::InvalidTransition,
        format!("a subscription cannot go from {from} to {to}{why}"),
    )
    .detail("from", from.as_str())
    .detail("to", to.as_str())
}

/// What the operator asks for in `PUT …/subscriptions/{code}`; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionUpdate {
    pub quantity: Option<i64>,
    pub allow_over_allocation: bool,
    pub state: Option<SubState>,
    /// Start a new subscription of the code (only with `state: active`), from any state.
    pub renew: bool,
    pub term_end: Option<Option<NaiveDate>>,
    pub unit_price: Option<Option<Price>>,
    pub currency: Option<Option<Currency>>,
}

/// Apply the operator's update to a subscription whose seats are `seat`.
pub fn update_subscription(
    current: &Subscription,
    seat: Seat,
    req: SubscriptionUpdate,
    now: DateTime<Utc>,
) -> Result<Decision, Error> {
    let mut next = current.clone();
    if let Some(q) = req.quantity {
        if !(0..=MAX_QUANTITY as i64).contains(&q) {
            return Err(Error::new(
                ErrorCode::InvalidQuantity,
                format!("quantity {q} must be a whole number from 0 to {MAX_QUANTITY}"),
            )
            .detail("field", "quantity"));
        }
        let q = q as u32;
        if q < seat.in_use && q != current.quantity && !req.allow_over_allocation {
            return Err(Error::new(
                ErrorCode::QuantityBelowUsage,
                format!(
                    "{} in use; set at least {}, free seats first, or send \"allow_over_allocation\": true to renew for fewer",
                    crate::words::plural(
                        seat.in_use,
                        &format!("{} seat is", current.code),
                        &format!("{} seats are", current.code)
                    ),
                    seat.in_use
                ),
            )
            .detail("code", current.code.as_str())
            .detail("in_use", seat.in_use));
        }
        next.quantity = q;
    }
    let mut action = "subscription.set";
    if req.renew {
        if req.state != Some(SubState::Active) {
            return Err(Error::new(
                ErrorCode::Malformed,
                "renew starts a new subscription and needs \"state\": \"active\"",
            )
            .detail("field", "renew"));
        }
        next.state = SubState::Active;
        next.state_since = Some(now);
        next.term_end = None;
        action = "subscription.renew";
    } else if let Some(to) = req.state {
        let from = current.state;
        if to != from {
            if !transition_allowed(from, to) {
                let why = if from == SubState::Terminated {
                    "; terminated is final: send {\"state\": \"active\", \"renew\": true} to start a new subscription"
                } else {
                    ""
                };
                return Err(invalid_transition(from, to, why));
            }
            if from == SubState::Suspended {
                let since = current.state_since.unwrap_or(now);
                if now >= since + Duration::days(REACTIVATION_DAYS) {
                    return Err(invalid_transition(
                        from,
                        to,
                        &format!(" more than {REACTIVATION_DAYS} days after the suspension; renew instead"),
                    ));
                }
            }
            next.state = to;
            next.state_since = Some(now);
            action = "subscription.state";
        }
    }
    if let Some(t) = req.term_end {
        next.term_end = t;
    }
    // An active subscription whose term is already over would be expired by the next tick:
    // refuse the request that would make it so, rather than flip-flop.
    let activates = next.state == SubState::Active
        && (current.state != SubState::Active || req.renew || req.term_end.is_some());
    if let (true, Some(end)) = (activates, next.term_end) {
        if term_over_at(end) <= now {
            return Err(Error::new(
                ErrorCode::InvalidTermEnd,
                format!("term_end {end} has passed; an active subscription needs a term_end from today on, or null"),
            )
            .detail("field", "term_end"));
        }
    }
    if let Some(p) = req.unit_price {
        next.unit_price = p;
    }
    if let Some(c) = req.currency {
        next.currency = c;
    }
    if next == *current {
        return Ok(Decision::default());
    }
    if action == "subscription.set" && next.state == current.state {
        let only_quantity = Subscription {
            quantity: current.quantity,
            ..next.clone()
        } == *current;
        if only_quantity {
            // The summary's quantity change, audited as it always was.
            return Ok(Decision::one(
                Change::SetPurchased {
                    code: current.code,
                    quantity: next.quantity,
                },
                "subscription.set",
                format!("subscription:{}", current.code),
                json!({"purchased": current.quantity}),
                json!({"purchased": next.quantity}),
            ));
        }
        action = "subscription.update";
    }
    let (before, after) = (audit_json(current), audit_json(&next));
    Ok(Decision::one(
        Change::SetSubscription(next),
        action,
        format!("subscription:{}", current.code),
        before,
        after,
    ))
}

/// The time-driven transition due for `sub` at `now`, with the instant it fell due (the new
/// `state_since`), or `None`. Applied repeatedly, a late tick catches up step by step.
pub fn due_transition(
    sub: &Subscription,
    now: DateTime<Utc>,
    grace_days: u32,
) -> Option<(SubState, DateTime<Utc>)> {
    let since = |s: &Subscription| s.state_since.unwrap_or(now);
    let (to, at) = match sub.state {
        SubState::Active => (SubState::Expired, term_over_at(sub.term_end?)),
        SubState::Expired => (
            SubState::Suspended,
            since(sub) + Duration::days(grace_days.into()),
        ),
        SubState::Suspended => (
            SubState::Terminated,
            since(sub) + Duration::days(REACTIVATION_DAYS),
        ),
        SubState::Terminated => return None,
    };
    (at <= now).then_some((to, at))
}

/// Every time-driven transition due in one organization at `now`, in order, each with its
/// audit record. Running it again at the same `now` decides nothing: ticks are idempotent.
pub fn tick(subs: &[Subscription], now: DateTime<Utc>, grace_days: u32) -> Decision {
    let mut d = Decision::default();
    for sub in subs {
        let mut cur = sub.clone();
        while let Some((to, at)) = due_transition(&cur, now, grace_days) {
            let next = Subscription {
                state: to,
                state_since: Some(at),
                ..cur.clone()
            };
            let action = match to {
                SubState::Expired => "subscription.expire",
                SubState::Suspended => "subscription.suspend",
                _ => "subscription.terminate",
            };
            d.audit.push(AuditRecord {
                action,
                target: format!("subscription:{}", cur.code),
                before: audit_json(&cur),
                after: audit_json(&next),
            });
            d.changes.push(Change::SetSubscription(next.clone()));
            cur = next;
        }
    }
    d
}

/// Why a copy is not effective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    SubscriptionSuspended,
    SubscriptionTerminated,
    MemberDisabled,
    PhoneSystemNotEffective,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SubscriptionSuspended => "subscription_suspended",
            Reason::SubscriptionTerminated => "subscription_terminated",
            Reason::MemberDisabled => "member_disabled",
            Reason::PhoneSystemNotEffective => "phone_system_not_effective",
        }
    }
}

/// Whether the copies of one code on an extension give service now, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Effective {
    pub code: Code,
    pub effective: bool,
    pub reason: Option<Reason>,
}

fn state_reason(state: SubState) -> Option<Reason> {
    match state {
        SubState::Active | SubState::Expired => None,
        SubState::Suspended => Some(Reason::SubscriptionSuspended),
        SubState::Terminated => Some(Reason::SubscriptionTerminated),
    }
}

/// The extension itself (`phone_system`) first, then each add-on code it holds in catalog
/// order: effective unless its subscription is suspended or terminated, the extension's
/// Phone System is not effective, or the member holding it is disabled.
pub fn effective(ext: &Extension, member: Option<&Member>, seats: &Seats) -> Vec<Effective> {
    let disabled = member.is_some_and(|m| m.status == Status::Disabled);
    let base_reason = state_reason(seats.get(Code::PhoneSystem).state);
    let base = base_reason.or(disabled.then_some(Reason::MemberDisabled));
    let mut out = vec![Effective {
        code: Code::PhoneSystem,
        effective: base.is_none(),
        reason: base,
    }];
    for (code, _) in ext.addons.iter() {
        let reason = state_reason(seats.get(code).state)
            .or(base_reason.map(|_| Reason::PhoneSystemNotEffective))
            .or(disabled.then_some(Reason::MemberDisabled));
        out.push(Effective {
            code,
            effective: reason.is_none(),
            reason,
        });
    }
    out
}

impl Seats {
    /// Whether `needed` new copies of `code` may be taken: the subscription gives service
    /// and takes new assignments, is not over-allocated, and has the seats free.
    pub fn check_new(&self, code: Code, needed: u64) -> Result<(), Error> {
        let seat = self.get(code);
        let refused = |err: ErrorCode, how: &str| {
            Err(Error::new(
                err,
                format!("the {code} subscription is {}; {how}", seat.state),
            )
            .detail("code", code.as_str())
            .detail("state", seat.state.as_str()))
        };
        match seat.state {
            SubState::Active => {}
            SubState::Expired => {
                return refused(
                    ErrorCode::SubscriptionExpired,
                    "no new copies until it is renewed (copies in place keep working during the grace period)",
                )
            }
            SubState::Suspended => {
                return refused(
                    ErrorCode::SubscriptionSuspended,
                    "no new copies until the operator reactivates it",
                )
            }
            SubState::Terminated => {
                return refused(
                    ErrorCode::SubscriptionTerminated,
                    "only a new subscription brings the code back",
                )
            }
        }
        if seat.in_use > seat.purchased {
            return Err(Error::new(
                ErrorCode::SubscriptionOverAllocated,
                format!(
                    "{} in use but only {} purchased; free {} before adding new copies, or buy more",
                    crate::words::plural(
                        seat.in_use,
                        &format!("{code} copy is"),
                        &format!("{code} copies are")
                    ),
                    if seat.purchased == 1 { "1 is".to_owned() } else { format!("{} are", seat.purchased) },
                    crate::words::plural(seat.over_allocated(), "copy", "copies")
                ),
            )
            .detail("code", code.as_str())
            .detail("in_use", seat.in_use)
            .detail("purchased", seat.purchased)
            .detail("over_allocated", seat.over_allocated()));
        }
        let available = u64::from(seat.available());
        if needed > available {
            return Err(Error::seats(code, needed, available));
        }
        Ok(())
    }
}

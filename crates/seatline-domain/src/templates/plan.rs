//! A template change as a plan (product.md §13, §5): one row per member reconciled, with its
//! outcome (`grant`, `revoke`, `wait`, `unchanged`, or `error`), the seats per code it takes
//! and gives back, and the members that would wait or be in error listed as warnings — they
//! never block the plan: the change commits whatever a member's outcome.

use std::collections::BTreeSet;

use crate::catalog::Code;
use crate::error::ErrorCode;
use crate::model::Seats;
use crate::plans::{Outcome as Row, Plan, Problems, RowPlan, SeatChange, SeatMove};

use super::{Outcome, Pool, Reconciled, State};

/// The plan of `results`, reconciled against `pool` from the organization's `before` seats.
pub fn plan(results: &[Reconciled], pool: &Pool, before: &Seats) -> Plan {
    let mut problems = Problems::default();
    let mut items = Vec::with_capacity(results.len());
    for (i, r) in results.iter().enumerate() {
        let row = i + 1;
        let outcome = match r.outcome {
            Outcome::Grant => Row::Grant,
            Outcome::Revoke => Row::Revoke,
            Outcome::Wait => Row::Wait,
            Outcome::Error => Row::Error,
            Outcome::Unchanged => Row::Unchanged,
        };
        if let Some(State::Waiting(code) | State::Error(code)) = r.state {
            let how = if code == ErrorCode::SeatsExhausted
                || code == ErrorCode::SubscriptionOverAllocated
            {
                "waits for seats"
            } else {
                "cannot be granted"
            };
            problems.warn(
                row,
                "member",
                r.member.as_str(),
                code,
                format!("member {} {how}: {}", r.member, code.description()),
            );
        }
        let ext = r.after.extension.as_ref().filter(|e| e.member.is_some());
        items.push(RowPlan {
            row,
            outcome,
            key: ext.map(|e| e.key),
            member: Some(r.member.clone()),
            user: None,
            numbers: Vec::new(),
            addons: ext.map(|e| e.addons.codes()).unwrap_or_default(),
            freed: Vec::new(),
            finding: None,
        });
    }
    let codes: BTreeSet<Code> = pool
        .needed
        .keys()
        .chain(pool.freed.keys())
        .copied()
        .collect();
    let seats = codes
        .into_iter()
        .map(|code| {
            SeatChange::Moved(SeatMove {
                code,
                needed: pool.needed.get(&code).copied().unwrap_or(0),
                freed: pool.freed.get(&code).copied().unwrap_or(0),
                available: u64::from(before.get(code).available()),
            })
        })
        .collect();
    let mut p = problems.plan(results.len(), seats);
    p.items = items;
    p
}

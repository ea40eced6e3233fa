//! Subscription lifecycle (issue 12, product.md §10): the whole transition table, renewals,
//! the reactivation window, time-driven ticks, over-allocation, the refusals of new copies,
//! and which copies are effective.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use seatline_domain::lifecycle::{
    due_transition, effective, tick, update_subscription, SubscriptionUpdate, DEFAULT_GRACE_DAYS,
};
use seatline_domain::rules::{provision, set_addons};
use seatline_domain::{
    contact_center, entitled_codes, Change, Code, ErrorCode, Missing, Reason, Role, Seat, Seats,
    Status, SubState, Subscription,
};
use serde_json::json;

use crate::support::*;

use SubState::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn sub(code: Code, state: SubState, since: &str) -> Subscription {
    Subscription {
        quantity: 10,
        state,
        state_since: Some(at(since)),
        ..Subscription::none(code)
    }
}

fn to_state(state: SubState) -> SubscriptionUpdate {
    SubscriptionUpdate {
        state: Some(state),
        ..Default::default()
    }
}

const NOW: &str = "2026-06-10T12:00:00Z";

/// §10's table: every from × to, decided by the operator's `PUT {"state": to}`.
#[test]
fn the_whole_transition_table() {
    // (from, to, allowed); same state = allowed and changes nothing.
    let table = [
        (Active, Active, true),
        (Active, Expired, true),
        (Active, Suspended, true),
        (Active, Terminated, true),
        (Expired, Active, true),
        (Expired, Expired, true),
        (Expired, Suspended, true),
        (Expired, Terminated, true),
        (Suspended, Active, true),
        (Suspended, Expired, false),
        (Suspended, Suspended, true),
        (Suspended, Terminated, true),
        (Terminated, Active, false),
        (Terminated, Expired, false),
        (Terminated, Suspended, false),
        (Terminated, Terminated, true),
    ];
    assert_eq!(table.len(), SubState::ALL.len() * SubState::ALL.len());
    for (from, to, allowed) in table {
        let current = sub(Code::LicenseCenter, from, "2026-06-01T00:00:00Z");
        let got = update_subscription(&current, Seat::default(), to_state(to), at(NOW));
        match (allowed, got) {
            (true, Ok(d)) if from == to => {
                assert!(d.is_empty(), "{from} → {to} must change nothing")
            }
            (true, Ok(d)) => {
                let [Change::SetSubscription(next)] = d.changes.as_slice() else {
                    panic!("{from} → {to}: {:?}", d.changes)
                };
                assert_eq!(next.state, to, "{from} → {to}");
                assert_eq!(next.state_since, Some(at(NOW)), "{from} → {to}");
                assert_eq!(next.quantity, 10, "{from} → {to}: nothing else moves");
                assert_eq!(d.audit[0].action, "subscription.state");
                assert_eq!(d.audit[0].before["state"], json!(from.as_str()));
                assert_eq!(d.audit[0].after["state"], json!(to.as_str()));
            }
            (false, Err(e)) => {
                assert_eq!(e.code, ErrorCode::InvalidTransition, "{from} → {to}");
                assert_eq!(e.details["from"], json!(from.as_str()));
                assert_eq!(e.details["to"], json!(to.as_str()));
            }
            (allowed, got) => panic!("{from} → {to}: expected allowed={allowed}, got {got:?}"),
        }
    }
}

#[test]
fn renew_starts_a_new_subscription_from_any_state() {
    for from in SubState::ALL {
        let current = Subscription {
            term_end: Some(date("2026-01-31")),
            ..sub(Code::PhoneSystem, from, "2026-02-01T00:00:00Z")
        };
        let req = SubscriptionUpdate {
            state: Some(Active),
            renew: true,
            quantity: Some(5),
            allow_over_allocation: true,
            term_end: Some(Some(date("2027-01-31"))),
            ..Default::default()
        };
        let d = update_subscription(&current, Seat::default(), req, at(NOW)).unwrap();
        let [Change::SetSubscription(next)] = d.changes.as_slice() else {
            panic!("{from}: {:?}", d.changes)
        };
        assert_eq!(
            (next.state, next.quantity, next.term_end, next.state_since),
            (Active, 5, Some(date("2027-01-31")), Some(at(NOW))),
            "{from}"
        );
        assert_eq!(d.audit[0].action, "subscription.renew");
    }
    let bad = update_subscription(
        &sub(Code::PhoneSystem, Terminated, NOW),
        Seat::default(),
        SubscriptionUpdate {
            state: Some(Suspended),
            renew: true,
            ..Default::default()
        },
        at(NOW),
    );
    assert_eq!(refused(bad).code, ErrorCode::Malformed);
}

#[test]
fn a_suspension_can_be_lifted_only_within_60_days() {
    let suspended = sub(Code::PhoneSystem, Suspended, "2026-04-11T12:00:01Z");
    assert!(update_subscription(&suspended, Seat::default(), to_state(Active), at(NOW)).is_ok());
    let late = sub(Code::PhoneSystem, Suspended, "2026-04-11T12:00:00Z");
    let e = refused(update_subscription(
        &late,
        Seat::default(),
        to_state(Active),
        at(NOW),
    ));
    assert_eq!(e.code, ErrorCode::InvalidTransition);
    assert!(e.message.contains("renew"), "{}", e.message);
}

#[test]
fn activating_with_a_past_term_end_is_refused() {
    let expired = Subscription {
        term_end: Some(date("2026-05-31")),
        ..sub(Code::PhoneSystem, Expired, "2026-06-01T00:00:00Z")
    };
    let e = refused(update_subscription(
        &expired,
        Seat::default(),
        to_state(Active),
        at(NOW),
    ));
    assert_eq!(e.code, ErrorCode::InvalidTermEnd);
    let renewed = SubscriptionUpdate {
        term_end: Some(Some(date("2026-06-10"))),
        ..to_state(Active)
    };
    assert!(update_subscription(&expired, Seat::default(), renewed, at(NOW)).is_ok());
}

#[test]
fn over_allocation_only_when_asked_and_nothing_is_removed() {
    let current = sub(Code::LicenseCenter, Active, NOW);
    let seat = Seat {
        purchased: 10,
        in_use: 8,
        state: Active,
    };
    let fewer = SubscriptionUpdate {
        quantity: Some(5),
        ..Default::default()
    };
    let e = refused(update_subscription(&current, seat, fewer.clone(), at(NOW)));
    assert_eq!(e.code, ErrorCode::QuantityBelowUsage);
    assert!(e.message.contains("allow_over_allocation"));
    let d = update_subscription(
        &current,
        seat,
        SubscriptionUpdate {
            allow_over_allocation: true,
            ..fewer
        },
        at(NOW),
    )
    .unwrap();
    assert_eq!(
        d.changes,
        [Change::SetPurchased {
            code: Code::LicenseCenter,
            quantity: 5
        }]
    );
    // New copies are refused while in use > purchased.
    let mut seats = seats(&[(Code::LicenseCenter, 5, 8), (Code::PhoneSystem, 10, 1)]);
    let e = refused(set_addons(
        &ext(1001, &[]),
        addons(&[Code::LicenseCenter]),
        &seats,
    ));
    assert_eq!(e.code, ErrorCode::SubscriptionOverAllocated);
    assert_eq!(e.details["over_allocated"], json!(3));
    // Back under: allowed again.
    seats.by_code.get_mut(&Code::LicenseCenter).unwrap().in_use = 4;
    assert!(set_addons(&ext(1001, &[]), addons(&[Code::LicenseCenter]), &seats).is_ok());
}

#[test]
fn new_copies_are_refused_unless_active() {
    for (state, code) in [
        (Expired, ErrorCode::SubscriptionExpired),
        (Suspended, ErrorCode::SubscriptionSuspended),
        (Terminated, ErrorCode::SubscriptionTerminated),
    ] {
        let mut s = seats(&[(Code::PhoneSystem, 10, 1), (Code::LicenseCenter, 10, 0)]);
        s.by_code.get_mut(&Code::LicenseCenter).unwrap().state = state;
        let e = refused(set_addons(
            &ext(1001, &[]),
            addons(&[Code::LicenseCenter]),
            &s,
        ));
        assert_eq!(
            (e.code, &e.details["code"]),
            (code, &json!("license_center"))
        );
        // Copies in place are kept: dropping one is allowed.
        let on = ext(1001, &[Code::LicenseCenter]);
        assert!(set_addons(&on, addons(&[]), &s).is_ok(), "{state}");
        s.by_code.get_mut(&Code::PhoneSystem).unwrap().state = state;
        let e = refused(provision(1, key(2000), &taken([]), &s));
        assert_eq!(e.code, code, "{state}");
    }
}

#[test]
fn ticks_expire_suspend_and_terminate_on_time_and_only_once() {
    let s = Subscription {
        term_end: Some(date("2026-03-31")),
        ..sub(Code::PhoneSystem, Active, "2026-01-01T00:00:00Z")
    };
    let g = DEFAULT_GRACE_DAYS;
    // Service runs through the whole last day.
    assert_eq!(due_transition(&s, at("2026-03-31T23:59:59Z"), g), None);
    let d = tick(std::slice::from_ref(&s), at("2026-04-01T00:00:00Z"), g);
    let [Change::SetSubscription(expired)] = d.changes.as_slice() else {
        panic!("{d:?}")
    };
    assert_eq!(expired.state, Expired);
    assert_eq!(d.audit[0].action, "subscription.expire");
    // The same tick again decides nothing.
    assert!(tick(std::slice::from_ref(expired), at("2026-04-01T00:00:00Z"), g).is_empty());
    // 30 days of grace, then suspended; 60 more, terminated.
    let grace_end = at("2026-05-01T00:00:00Z");
    assert!(tick(
        std::slice::from_ref(expired),
        grace_end - Duration::seconds(1),
        g
    )
    .is_empty());
    let d = tick(std::slice::from_ref(expired), grace_end, g);
    assert_eq!(d.audit[0].action, "subscription.suspend");
    // A late tick catches up, each step audited with the instant it fell due.
    let d = tick(std::slice::from_ref(&s), at("2026-07-01T00:00:00Z"), g);
    let states: Vec<_> = d
        .changes
        .iter()
        .map(|c| match c {
            Change::SetSubscription(n) => (n.state, n.state_since),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        states,
        [
            (Expired, Some(at("2026-04-01T00:00:00Z"))),
            (Suspended, Some(at("2026-05-01T00:00:00Z"))),
            (Terminated, Some(at("2026-06-30T00:00:00Z"))),
        ]
    );
    // No term end: active forever.
    let open = sub(Code::PhoneSystem, Active, "2026-01-01T00:00:00Z");
    assert!(tick(&[open], at("2099-01-01T00:00:00Z"), g).is_empty());
}

#[test]
fn effective_flags_and_reasons() {
    let m = active("m1", Role::Member);
    let e = held_by(ext(1001, &[Code::LicenseCenter, Code::DeviceMobileApp]), &m);
    let with = |pairs: &[(Code, SubState)]| {
        let mut s = Seats::default();
        for &(c, st) in pairs {
            s.by_code.insert(
                c,
                Seat {
                    state: st,
                    ..Default::default()
                },
            );
        }
        s
    };
    let reasons = |s: &Seats, m: &seatline_domain::Member| -> Vec<_> {
        effective(&e, Some(m), s)
            .iter()
            .map(|x| (x.code, x.effective, x.reason))
            .collect()
    };
    // In grace (expired) everything still works.
    let s = with(&[(Code::LicenseCenter, Expired)]);
    assert!(effective(&e, Some(&m), &s).iter().all(|x| x.effective));
    assert!(contact_center(&m, Some(&e), &s).ready);

    let s = with(&[(Code::LicenseCenter, Suspended)]);
    assert_eq!(
        reasons(&s, &m),
        [
            (Code::PhoneSystem, true, None),
            (Code::DeviceMobileApp, true, None),
            (
                Code::LicenseCenter,
                false,
                Some(Reason::SubscriptionSuspended)
            ),
        ]
    );
    let cc = contact_center(&m, Some(&e), &s);
    assert_eq!(
        (cc.ready, cc.missing),
        (false, vec![Missing::SubscriptionSuspended])
    );
    assert_eq!(
        entitled_codes(&m, Some(&e), &s),
        [Code::PhoneSystem, Code::DeviceMobileApp]
    );

    let s = with(&[(Code::PhoneSystem, Terminated)]);
    assert_eq!(
        reasons(&s, &m),
        [
            (
                Code::PhoneSystem,
                false,
                Some(Reason::SubscriptionTerminated)
            ),
            (
                Code::DeviceMobileApp,
                false,
                Some(Reason::PhoneSystemNotEffective)
            ),
            (
                Code::LicenseCenter,
                false,
                Some(Reason::PhoneSystemNotEffective)
            ),
        ]
    );
    assert_eq!(
        contact_center(&m, Some(&e), &s).missing,
        [Missing::PhoneSystemNotEffective]
    );
    assert_eq!(entitled_codes(&m, Some(&e), &s), []);

    let off = seatline_domain::Member {
        status: Status::Disabled,
        ..m.clone()
    };
    let all_member_disabled = reasons(&Seats::default(), &off)
        .iter()
        .all(|&(_, on, why)| !on && why == Some(Reason::MemberDisabled));
    assert!(all_member_disabled);
    // The wire shape.
    assert_eq!(
        serde_json::to_value(
            effective(&e, Some(&m), &with(&[(Code::LicenseCenter, Suspended)]))[2]
        )
        .unwrap(),
        json!({"code": "license_center", "effective": false, "reason": "subscription_suspended"})
    );
}

//! Subscription lifecycle (issue 12): subscriptions round-trip.

use seatline_domain::{Change, Code};

use super::fixtures::*;

/// Subscription lifecycle (issue 12): a subscription's state, term, state time and price
/// round-trip exactly; the seats carry the state; a quantity change keeps the rest; the
/// scheduler's candidates are the orgs with a term over or a subscription in grace or
/// suspended; another organization's subscriptions are not seen.
pub async fn subscriptions_round_trip(b: &impl Backend) {
    use seatline_domain::lifecycle::parse_term_end;
    use seatline_domain::{SubState, Subscription};
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "lc", "owner@lc.example").await;
    let (other, _) = create_org(s, "lc2", "owner@lc2.example").await;
    let (quiet, _) = create_org(s, "lc3", "owner@lc3.example").await;
    assert!(read(s)
        .await
        .subscriptions(&org)
        .await
        .expect("subs")
        .is_empty());
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    set_quantity(s, &quiet, Code::PhoneSystem, 10).await;
    let center = suspended(
        Code::LicenseCenter,
        4,
        Some(parse_term_end("2026-03-31").expect("date")),
    );
    force(s, &org, vec![Change::SetSubscription(center.clone())])
        .await
        .expect("set subscription");
    let subs = read(s).await.subscriptions(&org).await.expect("subs");
    assert_eq!(
        subs,
        [
            Subscription {
                quantity: 10,
                ..Subscription::none(Code::PhoneSystem)
            },
            center.clone()
        ]
    );
    let seats = seats(s, &org).await;
    assert_eq!(seats.get(Code::LicenseCenter).state, SubState::Suspended);
    assert_eq!(seats.get(Code::LicenseCenter).purchased, 4);
    assert_eq!(seats.get(Code::PhoneSystem).state, SubState::Active);
    // A plain quantity change leaves state, term and price alone.
    set_quantity(s, &org, Code::LicenseCenter, 6).await;
    let subs = read(s).await.subscriptions(&org).await.expect("subs");
    assert_eq!(
        subs[1],
        Subscription {
            quantity: 6,
            ..center.clone()
        }
    );
    assert!(read(s)
        .await
        .subscriptions(&other)
        .await
        .expect("subs")
        .is_empty());
    // Candidates: suspended (org), and an active one whose term ended before today (other).
    let ended = Subscription {
        code: Code::TeamChat,
        term_end: Some(parse_term_end("2026-06-09").expect("date")),
        ..Subscription::none(Code::TeamChat)
    };
    force(s, &other, vec![Change::SetSubscription(ended)])
        .await
        .expect("set subscription");
    assert_eq!(
        s.lifecycle_candidates("2026-06-09")
            .await
            .expect("candidates"),
        std::slice::from_ref(&org)
    );
    let mut both = vec![org.clone(), other.clone()];
    both.sort();
    assert_eq!(
        s.lifecycle_candidates("2026-06-10")
            .await
            .expect("candidates"),
        both
    );
}

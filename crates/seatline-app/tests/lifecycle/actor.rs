//! Who the scheduler's transitions name (product.md §8): `system`, in the events and in the
//! audit log, so a consumer tells the clock from billing (the operator).

use chrono::{Duration, TimeZone, Utc};
use seatline_app::events::EventsRequest;
use seatline_app::Ctx;
use seatline_domain::lifecycle::SubscriptionUpdate;
use seatline_domain::{OrgId, SubState};
use seatline_store::AuditQuery;

use crate::support::World;

#[tokio::test]
async fn scheduler_transitions_are_the_systems_not_the_operators() {
    for w in World::all().await {
        let app = &w.app;
        let op = Ctx::operator();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let created = app
            .create_org(&op, "clock", "owner@clock.example", "Owner")
            .await
            .expect("org");
        let org = OrgId(created.id);
        let billing = SubscriptionUpdate {
            quantity: Some(5),
            state: Some(SubState::Active),
            renew: true,
            term_end: Some(Some(t0.date_naive() + Duration::days(2))),
            ..Default::default()
        };
        app.set_subscription_at(&op, &org, "phone_system", billing, t0)
            .await
            .expect("billing");
        let head = {
            let mut tx = app.store().begin().await.expect("begin");
            tx.event_horizon(&org).await.expect("horizon").last
        };

        let report = app
            .lifecycle_tick(t0 + Duration::days(5), 30)
            .await
            .expect("tick");
        assert!(!report.transitions.is_empty(), "{}: the term ended", w.name);

        let page = app
            .events(
                &op,
                &org,
                EventsRequest {
                    after: head,
                    limit: Some(1000),
                    ..Default::default()
                },
            )
            .await
            .expect("events");
        assert!(
            !page.items.is_empty(),
            "{}: the tick emitted events",
            w.name
        );
        for e in &page.items {
            let e: serde_json::Value = serde_json::from_str(e.get()).expect("event");
            assert_eq!(e["actor"]["kind"], "system", "{}: {e}", w.name);
        }

        let mut tx = app.store().begin().await.expect("begin");
        let log = tx
            .audit(
                &org,
                &AuditQuery {
                    limit: u32::MAX,
                    ..Default::default()
                },
            )
            .await
            .expect("audit");
        let ticked: Vec<_> = log
            .iter()
            .filter(|a| a.request_id.as_deref() == Some("lifecycle-tick"))
            .collect();
        assert!(!ticked.is_empty(), "{}: the tick is audited", w.name);
        for a in ticked {
            assert_eq!(a.actor, "system:lifecycle", "{}: {a:?}", w.name);
        }
        // The operator's own change stays the operator's.
        assert!(
            log.iter()
                .any(|a| a.actor == "operator" && a.action.starts_with("subscription.")),
            "{}: {log:#?}",
            w.name
        );
    }
}

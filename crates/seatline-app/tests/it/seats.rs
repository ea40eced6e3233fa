//! Seats through the store: the license summary counts what the rules decided, reassigning
//! keeps an extension's add-ons and numbers, and deprovisioning gives everything back.

use seatline_app::views::LicenseView;
use seatline_domain::Code;

use crate::support::*;

fn seat(items: &[LicenseView], code: Code) -> (u32, u32, u32, Option<u32>) {
    let l = items
        .iter()
        .find(|l| l.code == code)
        .expect("every code is listed");
    (l.purchased, l.in_use, l.available, l.assigned)
}

#[tokio::test]
async fn reassigning_keeps_addons_and_numbers_and_deprovisioning_returns_them() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let (id, me) = (&o.id, &o.owner);
    app.provision(me, id, 2, "1001").await.unwrap();
    app.assign(me, id, "1001", &o.member_id, false)
        .await
        .unwrap();
    let codes: Vec<String> = ["license_center", "device_web_rtc", "license_number"]
        .map(String::from)
        .into();
    app.set_addons(me, id, "1001", &codes).await.unwrap();
    app.set_numbers(me, id, "1001", &["+6531230001".into()])
        .await
        .unwrap();

    let l = app.licenses(me, id).await.unwrap();
    assert_eq!(seat(&l, Code::PhoneSystem), (10, 2, 8, Some(1)));
    assert_eq!(seat(&l, Code::LicenseCenter), (5, 1, 4, None));
    assert_eq!(seat(&l, Code::LicenseNumber), (5, 1, 4, None));

    // Reassign to the admin: the member changes, nothing else does.
    let e = app.assign(me, id, "1001", &o.admin_id, true).await.unwrap();
    assert_eq!(e.member.as_ref().unwrap().id, o.admin_id);
    let stored = app.extension(me, id, "1001").await.unwrap();
    assert_eq!(stored.member.unwrap().id, o.admin_id);
    assert_eq!(
        stored.addons,
        [Code::DeviceWebRtc, Code::LicenseCenter, Code::LicenseNumber]
    );
    assert_eq!(stored.numbers, ["+6531230001"]);
    let admin = app.member(me, id, &o.admin_id).await.unwrap();
    assert!(admin.contact_center.ready, "{:?}", admin.contact_center);
    let former = app.member(me, id, &o.member_id).await.unwrap();
    assert_eq!(former.extension, None);

    // Unassign, then deprovision: every seat and the number come back.
    app.unassign(me, id, "1001").await.unwrap();
    app.deprovision(me, id, "1001").await.unwrap();
    let l = app.licenses(me, id).await.unwrap();
    assert_eq!(seat(&l, Code::PhoneSystem), (10, 1, 9, Some(0)));
    assert_eq!(seat(&l, Code::LicenseCenter), (5, 0, 5, None));
    assert_eq!(seat(&l, Code::LicenseNumber), (5, 0, 5, None));
    let numbers = app.numbers(me, id, None, None).await.unwrap();
    assert!(numbers.items.iter().all(|n| n.extension.is_none()));
    assert_eq!(numbers.items.len(), 2);
}

#[tokio::test]
async fn the_last_seat_is_granted_once() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    app.provision(&o.owner, &o.id, 9, "1001").await.unwrap();
    app.provision(&o.admin, &o.id, 1, "2001").await.unwrap();
    let e = app.provision(&o.admin, &o.id, 1, "2002").await.unwrap_err();
    let seatline_app::AppError::Rule(e) = e else {
        panic!("{e}")
    };
    assert_eq!(e.code.as_str(), "seats_exhausted");
    assert_eq!(
        serde_json::Value::Object(e.details),
        serde_json::json!({"code": "phone_system", "needed": 1, "available": 0})
    );
}

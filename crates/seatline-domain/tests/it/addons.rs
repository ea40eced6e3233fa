//! Set an extension's add-ons: codes, per-extension limits, seats, license_number copies.

use seatline_domain::rules::{check_addon_limits, set_addons};
use seatline_domain::{Change, Code, ErrorCode, Seats, CATALOG};
use serde_json::json;

use crate::support::*;

use Code::*;

/// Enough seats of every add-on that only the rule under test can refuse.
fn plenty() -> Seats {
    let rows: Vec<(Code, u32, u32)> = CATALOG.iter().map(|e| (e.code, 1000, 0)).collect();
    seats(&rows)
}

#[test]
fn unknown_codes_are_refused_when_parsed() {
    for raw in ["fax", "License_Center", "", "phone system"] {
        let e = refused(raw.parse::<Code>());
        assert_error(&e, ErrorCode::UnknownCode, json!({"value": raw.trim()}));
    }
    assert_eq!(" team_chat ".parse::<Code>().unwrap(), TeamChat);
}

#[test]
fn phone_system_is_not_an_addon() {
    let e = refused(set_addons(
        &ext(1001, &[]),
        addons(&[PhoneSystem]),
        &plenty(),
    ));
    assert_error(&e, ErrorCode::NotAnAddon, json!({"code": "phone_system"}));
}

#[test]
fn at_most_one_copy_of_each_single_code() {
    for code in [
        DeviceIpPhone,
        DeviceWebRtc,
        LicenseCenter,
        CallRecording,
        LicenseDncCheckingEnabled,
        TeamChat,
    ] {
        assert!(
            set_addons(&ext(1001, &[]), addons(&[code]), &plenty()).is_ok(),
            "one {code}"
        );
        let e = refused(set_addons(
            &ext(1001, &[]),
            addons(&[code, DeviceMobileApp, code]),
            &plenty(),
        ));
        assert_error(
            &e,
            ErrorCode::AddonLimit,
            json!({"code": code.as_str(), "count": 2}),
        );
        assert!(
            check_addon_limits(&addons(&[code, code])).is_err(),
            "{code}"
        );
    }
}

#[test]
fn repeatable_codes_may_repeat() {
    for code in [DeviceMobileApp, DeviceDesktopApp, LicenseNumber] {
        let many = addons(&[code, code, code]);
        let d = set_addons(&ext(1001, &[]), many.clone(), &plenty())
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(
            d.changes,
            [Change::SetAddons {
                key: key(1001),
                addons: many
            }],
            "{code}"
        );
    }
}

#[test]
fn sets_the_multiset_and_audits_before_and_after() {
    let m = active("m1", seatline_domain::Role::Member);
    let e = with_numbers(
        held_by(ext(1001, &[LicenseNumber, DeviceIpPhone]), &m),
        &["+6531234567"],
    );
    let want = addons(&[LicenseCenter, DeviceWebRtc, LicenseNumber]);
    let d = set_addons(&e, want.clone(), &plenty()).unwrap();
    assert_eq!(
        d.changes,
        [Change::SetAddons {
            key: key(1001),
            addons: want
        }]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "extension.addons");
    assert_eq!(a.target, "extension:1001");
    assert_eq!(
        a.before,
        json!({"key": "1001", "member": "m1", "addons": ["device_ip_phone", "license_number"], "numbers": ["+6531234567"]})
    );
    // Catalog order on the wire, whatever order they were given in.
    assert_eq!(
        a.after,
        json!({"key": "1001", "member": "m1", "addons": ["device_web_rtc", "license_center", "license_number"], "numbers": ["+6531234567"]})
    );
}

#[test]
fn the_same_addons_change_nothing() {
    let e = ext(1001, &[DeviceMobileApp, DeviceMobileApp, TeamChat]);
    let d = set_addons(
        &e,
        addons(&[TeamChat, DeviceMobileApp, DeviceMobileApp]),
        &seats(&[]),
    )
    .unwrap();
    assert_noop(&d);
}

#[test]
fn seats_are_counted_as_the_difference_from_the_current_addons() {
    // Mobile: 3 purchased, 2 in use (one of them on this extension): 1 available.
    let s = seats(&[(DeviceMobileApp, 3, 2), (TeamChat, 0, 0)]);
    let e = ext(1001, &[DeviceMobileApp]);
    // (case, the new add-ons, None = granted or Some((code, needed, available)))
    type Case<'a> = (&'a str, &'a [Code], Option<(Code, u32, u32)>);
    let cases: &[Case] = &[
        ("keep the one held", &[DeviceMobileApp], None),
        (
            "one more uses the last seat",
            &[DeviceMobileApp, DeviceMobileApp],
            None,
        ),
        (
            "two more is one too many",
            &[DeviceMobileApp, DeviceMobileApp, DeviceMobileApp],
            Some((DeviceMobileApp, 2, 1)),
        ),
        ("dropping needs no seat", &[], None),
        (
            "a code with none purchased",
            &[DeviceMobileApp, TeamChat],
            Some((TeamChat, 1, 0)),
        ),
    ];
    for (case, codes, refusal) in cases {
        let r = set_addons(&e, addons(codes), &s);
        match refusal {
            None => assert!(r.is_ok(), "{case}: {r:?}"),
            Some((code, needed, available)) => assert_error(
                &refused(r),
                ErrorCode::SeatsExhausted,
                json!({"code": code.as_str(), "needed": needed, "available": available}),
            ),
        }
    }
}

#[test]
fn cannot_drop_a_license_number_an_attached_number_needs() {
    let e = with_numbers(
        ext(1001, &[LicenseNumber, LicenseNumber]),
        &["+6531234567", "+6531234568"],
    );
    let e1 = refused(set_addons(&e, addons(&[LicenseNumber]), &plenty()));
    assert_error(&e1, ErrorCode::NumberNeedsLicense, json!({"numbers": 2}));
    let e0 = refused(set_addons(&e, addons(&[DeviceWebRtc]), &plenty()));
    assert_eq!(e0.code, ErrorCode::NumberNeedsLicense);
    // Keeping both copies, or adding a third, is fine.
    assert!(set_addons(
        &e,
        addons(&[LicenseNumber, LicenseNumber, TeamChat]),
        &plenty()
    )
    .is_ok());
    assert!(set_addons(
        &e,
        addons(&[LicenseNumber, LicenseNumber, LicenseNumber]),
        &plenty()
    )
    .is_ok());
    // Without attached numbers the copies may go.
    assert!(set_addons(&ext(1001, &[LicenseNumber]), addons(&[]), &plenty()).is_ok());
}

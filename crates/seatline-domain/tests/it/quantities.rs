//! Setting a purchased quantity: whole numbers in range, never below what is in use.

use seatline_domain::rules::set_quantity;
use seatline_domain::{Change, Code, ErrorCode, MAX_QUANTITY};
use serde_json::json;

use crate::support::*;

#[test]
fn sets_the_quantity_and_audits_before_and_after() {
    let s = seats(&[(Code::LicenseCenter, 5, 2)]);
    let d = set_quantity(Code::LicenseCenter, 8, &s).unwrap();
    assert_eq!(
        d.changes,
        [Change::SetPurchased {
            code: Code::LicenseCenter,
            quantity: 8
        }]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "subscription.set");
    assert_eq!(a.target, "subscription:license_center");
    assert_eq!(a.before, json!({"purchased": 5}));
    assert_eq!(a.after, json!({"purchased": 8}));
}

#[test]
fn allowed_quantities() {
    let s = seats(&[(Code::PhoneSystem, 10, 4)]);
    for (case, q) in [
        ("exactly what is in use", 4),
        ("raising", 11),
        ("lowering, still above usage", 6),
        ("the largest", MAX_QUANTITY as i64),
    ] {
        let d = set_quantity(Code::PhoneSystem, q, &s).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(d.changes.len(), 1, "{case}");
    }
}

#[test]
fn setting_the_same_quantity_changes_nothing() {
    let s = seats(&[(Code::PhoneSystem, 10, 4)]);
    assert_noop(&set_quantity(Code::PhoneSystem, 10, &s).unwrap());
    // A code never bought is already 0.
    assert_noop(&set_quantity(Code::TeamChat, 0, &seats(&[])).unwrap());
}

#[test]
fn refusals() {
    let s = seats(&[(Code::PhoneSystem, 10, 4)]);
    let cases = [
        (
            "below usage",
            3,
            ErrorCode::QuantityBelowUsage,
            json!({"code": "phone_system", "in_use": 4}),
        ),
        (
            "zero while in use",
            0,
            ErrorCode::QuantityBelowUsage,
            json!({"code": "phone_system", "in_use": 4}),
        ),
        (
            "negative",
            -1,
            ErrorCode::InvalidQuantity,
            json!({"field": "quantity"}),
        ),
        (
            "too large",
            MAX_QUANTITY as i64 + 1,
            ErrorCode::InvalidQuantity,
            json!({"field": "quantity"}),
        ),
        (
            "far too large",
            i64::MAX,
            ErrorCode::InvalidQuantity,
            json!({"field": "quantity"}),
        ),
    ];
    for (case, q, code, details) in cases {
        let e = refused(set_quantity(Code::PhoneSystem, q, &s));
        assert_eq!(e.code, code, "{case}: {e}");
        assert_eq!(serde_json::Value::Object(e.details), details, "{case}");
    }
}

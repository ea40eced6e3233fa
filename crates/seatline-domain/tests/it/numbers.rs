//! Numbers: the inventory (add, remove) and attaching numbers to an extension.

use seatline_domain::rules::{add_number, remove_number, set_numbers};
use seatline_domain::{Change, Code, ErrorCode, NumberRow, E164};
use serde_json::{json, Value};

use crate::support::*;

use Code::LicenseNumber;

#[test]
fn numbers_are_normalised_and_validated_when_parsed() {
    assert_eq!(num("+65 (3123) 45-67").as_str(), "+6531234567");
    for raw in [
        "6531234567",
        "+1234567",
        "+1234567890123456",
        "+65 312a4567",
    ] {
        let e = refused(raw.parse::<E164>());
        assert_error(&e, ErrorCode::InvalidNumber, json!({"value": raw}));
    }
}

#[test]
fn add_number_to_the_inventory() {
    let d = add_number(num("+6531234567"), None).unwrap();
    assert_eq!(d.changes, [Change::InsertNumber(num("+6531234567"))]);
    let a = one_audit(&d);
    assert_eq!(
        (a.action, a.target.as_str()),
        ("number.add", "number:+6531234567")
    );
    assert_eq!(a.before, Value::Null);
    assert_eq!(a.after, json!({"number": "+6531234567"}));

    let row = NumberRow {
        number: num("+6531234567"),
        extension: None,
    };
    let e = refused(add_number(num("+6531234567"), Some(&row)));
    assert_error(
        &e,
        ErrorCode::NumberExists,
        json!({"number": "+6531234567"}),
    );
}

#[test]
fn remove_only_an_unattached_number() {
    let n = num("+6531234567");
    let e = refused(remove_number(&n, None));
    assert_error(&e, ErrorCode::NotFound, json!({"object": "number"}));

    let attached = inventory("+6531234567", Some(1001)).unwrap();
    let e = refused(remove_number(&n, Some(&attached)));
    assert_error(&e, ErrorCode::NumberAttached, json!({"extension": "1001"}));

    let free = inventory("+6531234567", None).unwrap();
    let d = remove_number(&n, Some(&free)).unwrap();
    assert_eq!(d.changes, [Change::DeleteNumber(n)]);
    let a = one_audit(&d);
    assert_eq!(a.action, "number.remove");
    assert_eq!(a.before, json!({"number": "+6531234567"}));
    assert_eq!(a.after, Value::Null);
}

#[test]
fn attach_numbers_from_the_inventory() {
    let e = ext(1001, &[LicenseNumber, LicenseNumber]);
    let given = vec![num("+6531234568"), num("+6531234567")];
    let rows = [
        inventory("+6531234568", None),
        inventory("+6531234567", None),
    ];
    let d = set_numbers(&e, given, &rows).unwrap();
    // Stored sorted, whatever order they were given in.
    assert_eq!(
        d.changes,
        [Change::SetNumbers {
            key: key(1001),
            numbers: vec![num("+6531234567"), num("+6531234568")]
        }]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "extension.numbers");
    assert_eq!(a.target, "extension:1001");
    assert_eq!(a.before["numbers"], json!([]));
    assert_eq!(a.after["numbers"], json!(["+6531234567", "+6531234568"]));
    assert_eq!(
        a.after["addons"],
        json!(["license_number", "license_number"])
    );
}

#[test]
fn a_number_already_on_this_extension_stays_attached() {
    let e = with_numbers(ext(1001, &[LicenseNumber, LicenseNumber]), &["+6531234567"]);
    let rows = [
        inventory("+6531234567", Some(1001)),
        inventory("+6531234568", None),
    ];
    let d = set_numbers(&e, vec![num("+6531234567"), num("+6531234568")], &rows).unwrap();
    assert_eq!(
        d.changes,
        [Change::SetNumbers {
            key: key(1001),
            numbers: vec![num("+6531234567"), num("+6531234568")]
        }]
    );
    // The same set again changes nothing.
    let d = set_numbers(&e, vec![num("+6531234567")], &rows[..1]).unwrap();
    assert_noop(&d);
    // An empty list detaches every number.
    let d = set_numbers(&e, vec![], &[]).unwrap();
    assert_eq!(
        d.changes,
        [Change::SetNumbers {
            key: key(1001),
            numbers: vec![]
        }]
    );
}

#[test]
fn refusals() {
    let two = &[LicenseNumber, LicenseNumber][..];
    // (case, the extension's add-ons, numbers given, their inventory rows, code, details)
    type Case<'a> = (
        &'a str,
        &'a [Code],
        &'a [&'a str],
        Vec<Option<NumberRow>>,
        ErrorCode,
        Value,
    );
    let cases: Vec<Case> = vec![
        (
            "not in the inventory",
            two,
            &["+6531234567"],
            vec![None],
            ErrorCode::NumberUnavailable,
            json!({"number": "+6531234567", "reason": "not_in_inventory"}),
        ),
        (
            "attached to another extension",
            two,
            &["+6531234567"],
            vec![inventory("+6531234567", Some(1002))],
            ErrorCode::NumberUnavailable,
            json!({"number": "+6531234567", "reason": "attached", "extension": "1002"}),
        ),
        (
            "listed twice",
            two,
            &["+6531234567", "+6531234567"],
            vec![
                inventory("+6531234567", None),
                inventory("+6531234567", None),
            ],
            ErrorCode::DuplicateNumber,
            json!({"number": "+6531234567"}),
        ),
        (
            "more numbers than license_number copies",
            two,
            &["+6531234567", "+6531234568", "+6531234569"],
            vec![
                inventory("+6531234567", None),
                inventory("+6531234568", None),
                inventory("+6531234569", None),
            ],
            ErrorCode::NumberNeedsLicense,
            json!({"needed": 3, "available": 2}),
        ),
        (
            "no license_number at all",
            &[],
            &["+6531234567"],
            vec![inventory("+6531234567", None)],
            ErrorCode::NumberNeedsLicense,
            json!({"needed": 1, "available": 0}),
        ),
    ];
    for (case, codes, given, rows, code, details) in cases {
        let given: Vec<E164> = given.iter().map(|n| num(n)).collect();
        let err = refused(set_numbers(&ext(1001, codes), given, &rows));
        assert_eq!(err.code, code, "{case}: {err}");
        assert_eq!(Value::Object(err.details), details, "{case}");
    }
}

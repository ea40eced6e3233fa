//! Provision N extensions from a start key, and deprovision.

use seatline_domain::rules::{deprovision, next_free_start, provision};
use seatline_domain::{Change, Code, ErrorCode, ExtKey, Extension, Role};
use serde_json::{json, Value};

use crate::support::*;

fn plenty() -> seatline_domain::Seats {
    seats(&[(Code::PhoneSystem, 100_000, 0)])
}

/// The keys a successful provision inserts, in order.
fn inserted(d: &seatline_domain::Decision) -> Vec<u32> {
    match d.changes.as_slice() {
        [Change::InsertExtensions(exts)] => exts.iter().map(|e| e.key.get()).collect(),
        other => panic!("expected one InsertExtensions, got {other:?}"),
    }
}

#[test]
fn provisions_every_key_from_the_start() {
    let cases: &[(&str, i64, u32, &[u32])] = &[
        ("one extension", 1, 1001, &[1001]),
        (
            "ten from 1001",
            10,
            1001,
            &[1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010],
        ),
        ("crossing from 3 to 4 digits", 2, 999, &[999, 1000]),
        ("the lowest key", 1, 100, &[100]),
        ("ending on the highest key", 2, 99_998, &[99_998, 99_999]),
    ];
    for &(case, count, start, want) in cases {
        let d = provision(count, key(start), &taken([]), &plenty())
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(inserted(&d), want, "{case}");
        // One audit record per new extension, each empty before and bare after.
        assert_eq!(d.audit.len(), want.len(), "{case}");
        for (a, k) in d.audit.iter().zip(want) {
            assert_eq!(a.action, "extension.provision", "{case}");
            assert_eq!(a.target, format!("extension:{k}"), "{case}");
            assert_eq!(a.before, Value::Null, "{case}");
            assert_eq!(
                a.after,
                json!({"key": k.to_string(), "member": null, "addons": [], "numbers": []}),
                "{case}"
            );
        }
    }
}

#[test]
fn new_extensions_are_empty() {
    let d = provision(3, key(500), &taken([]), &plenty()).unwrap();
    let Change::InsertExtensions(exts) = &d.changes[0] else {
        panic!("{d:?}")
    };
    for e in exts {
        assert_eq!(*e, Extension::new(e.key));
    }
}

#[test]
fn refuses_bad_counts_and_ranges() {
    let cases: &[(&str, i64, u32, ErrorCode, Value)] = &[
        (
            "count 0",
            0,
            1001,
            ErrorCode::InvalidCount,
            json!({"field": "count"}),
        ),
        (
            "negative count",
            -3,
            1001,
            ErrorCode::InvalidCount,
            json!({"field": "count"}),
        ),
        (
            "start 99999 with N=2 runs past the highest key",
            2,
            99_999,
            ErrorCode::InvalidExtKey,
            json!({"field": "start", "last": 100_000}),
        ),
        (
            "a count that would overflow the last key",
            i64::MAX,
            1001,
            ErrorCode::InvalidExtKey,
            json!({"field": "start", "last": i64::MAX}),
        ),
    ];
    for (case, count, start, code, details) in cases {
        let e = refused(provision(*count, key(*start), &taken([]), &plenty()));
        assert_eq!(e.code, *code, "{case}: {e}");
        assert_eq!(Value::Object(e.details), *details, "{case}");
    }
}

#[test]
fn start_keys_are_validated_when_parsed() {
    for (case, raw) in [
        ("leading zero", "0100"),
        ("leading zero, 5 digits", "01001"),
        ("two digits", "99"),
        ("six digits", "100000"),
        ("not digits", "10a1"),
    ] {
        let e = refused(raw.parse::<ExtKey>());
        assert_error(&e, ErrorCode::InvalidExtKey, json!({"value": raw}));
        assert!(e.message.contains("leading zero"), "{case}: {}", e.message);
    }
}

#[test]
fn taken_keys_are_listed_with_the_next_free_start() {
    // (case, taken keys, count, start, keys listed as taken, next_free_start)
    type Case<'a> = (&'a str, &'a [u32], i64, u32, &'a [&'a str], Value);
    let cases: &[Case] = &[
        (
            "the next free run is after the start",
            &[1001, 1002, 1003],
            3,
            1002,
            &["1002", "1003"],
            json!("1004"),
        ),
        (
            "a gap too small for the run is skipped",
            &[1001, 1003, 1006],
            2,
            1001,
            &["1001"],
            json!("1004"),
        ),
        (
            "no free run after the start: the lowest one before it",
            &[99_990, 99_995, 99_999],
            5,
            99_995,
            &["99995", "99999"],
            json!("100"),
        ),
        (
            "the lowest run before the start skips taken keys",
            &[100, 101, 99_998],
            2,
            99_998,
            &["99998"],
            json!("102"),
        ),
        (
            "no run of that length exists anywhere",
            &[50_000],
            50_000,
            50_000,
            &["50000"],
            Value::Null,
        ),
    ];
    for (case, taken_keys, count, start, listed, next) in cases {
        let e = refused(provision(
            *count,
            key(*start),
            &taken(taken_keys.iter().copied()),
            &plenty(),
        ));
        assert_error(
            &e,
            ErrorCode::ExtensionTaken,
            json!({"taken": listed, "next_free_start": next}),
        );
        assert!(
            e.message.contains(&listed.join(", ")),
            "{case}: {}",
            e.message
        );
    }
}

#[test]
fn next_free_start_finds_the_lowest_run() {
    let t = taken([100, 101, 102, 200]);
    assert_eq!(next_free_start(&t, 1, 100), Some(103));
    assert_eq!(next_free_start(&t, 97, 100), Some(103));
    assert_eq!(next_free_start(&t, 98, 100), Some(201));
    assert_eq!(next_free_start(&t, 1, 150), Some(150));
    assert_eq!(next_free_start(&t, 99_899, 100), None);
}

#[test]
fn taken_keys_are_reported_before_seats() {
    // Both problems at once: the caller first needs to pick free keys.
    let e = refused(provision(
        2,
        key(1001),
        &taken([1001]),
        &seats(&[(Code::PhoneSystem, 1, 1)]),
    ));
    assert_eq!(e.code, ErrorCode::ExtensionTaken);
}

#[test]
fn the_last_seat_is_granted_and_one_more_is_refused() {
    // 10 purchased, 7 provisioned: 3 available.
    let s = seats(&[(Code::PhoneSystem, 10, 7)]);
    let d = provision(3, key(2001), &taken([]), &s).expect("exactly the last seats");
    assert_eq!(inserted(&d), [2001, 2002, 2003]);

    let e = refused(provision(4, key(2001), &taken([]), &s));
    assert_error(
        &e,
        ErrorCode::SeatsExhausted,
        json!({"code": "phone_system", "needed": 4, "available": 3}),
    );

    let full = seats(&[(Code::PhoneSystem, 10, 10)]);
    let e = refused(provision(1, key(2001), &taken([]), &full));
    assert_error(
        &e,
        ErrorCode::SeatsExhausted,
        json!({"code": "phone_system", "needed": 1, "available": 0}),
    );

    let none_bought = seats(&[]);
    let e = refused(provision(1, key(2001), &taken([]), &none_bought));
    assert_error(
        &e,
        ErrorCode::SeatsExhausted,
        json!({"code": "phone_system", "needed": 1, "available": 0}),
    );
}

#[test]
fn deprovision_refuses_an_assigned_extension() {
    let m = active("m1", Role::Member);
    let e = refused(deprovision(&held_by(ext(1001, &[]), &m), Some(&m)));
    assert_error(&e, ErrorCode::ExtensionHasMember, json!({"member": "m1"}));
}

#[test]
fn deprovision_deletes_an_unassigned_extension_with_its_addons_and_numbers() {
    let e = with_numbers(
        ext(1001, &[Code::LicenseNumber, Code::DeviceWebRtc]),
        &["+6531234567"],
    );
    let d = deprovision(&e, None).unwrap();
    assert_eq!(d.changes, [Change::DeleteExtension(key(1001))]);
    let a = one_audit(&d);
    assert_eq!(a.action, "extension.deprovision");
    assert_eq!(a.target, "extension:1001");
    assert_eq!(
        a.before,
        json!({"key": "1001", "member": null, "addons": ["device_web_rtc", "license_number"], "numbers": ["+6531234567"]})
    );
    assert_eq!(a.after, Value::Null);
}

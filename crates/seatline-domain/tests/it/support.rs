//! Small builders so each case reads as its state, its call and its outcome.

use std::collections::BTreeSet;
use std::fmt::Debug;

use seatline_domain::{
    Addons, AuditRecord, Code, Decision, Error, ErrorCode, ExtKey, Extension, Member, MemberId,
    NumberRow, Role, Seat, Seats, Status, E164,
};
use serde_json::Value;

pub fn key(n: u32) -> ExtKey {
    ExtKey::new(n).unwrap_or_else(|| panic!("{n} is not a valid key"))
}

pub fn num(s: &str) -> E164 {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub fn member(id: &str, role: Role, status: Status) -> Member {
    Member {
        id: MemberId(id.to_owned()),
        email: format!("{id}@example.com").parse().expect("valid email"),
        name: id.to_owned(),
        role,
        status,
    }
}

pub fn active(id: &str, role: Role) -> Member {
    member(id, role, Status::Active)
}

pub fn addons(codes: &[Code]) -> Addons {
    codes.iter().copied().collect()
}

/// An unassigned extension with these add-ons and no numbers.
pub fn ext(k: u32, codes: &[Code]) -> Extension {
    Extension {
        addons: addons(codes),
        ..Extension::new(key(k))
    }
}

pub fn held_by(mut e: Extension, m: &Member) -> Extension {
    e.member = Some(m.id.clone());
    e
}

pub fn with_numbers(mut e: Extension, numbers: &[&str]) -> Extension {
    e.numbers = numbers.iter().map(|n| num(n)).collect();
    e.numbers.sort();
    e
}

/// Seats per code as (code, purchased, in use).
pub fn seats(rows: &[(Code, u32, u32)]) -> Seats {
    Seats {
        by_code: rows
            .iter()
            .map(|&(c, purchased, in_use)| {
                (
                    c,
                    Seat {
                        purchased,
                        in_use,
                        ..Default::default()
                    },
                )
            })
            .collect(),
        assigned: 0,
    }
}

pub fn taken(keys: impl IntoIterator<Item = u32>) -> BTreeSet<u32> {
    keys.into_iter().collect()
}

pub fn inventory(number: &str, on: Option<u32>) -> Option<NumberRow> {
    Some(NumberRow {
        number: num(number),
        extension: on.map(key),
    })
}

/// The error of a refused call, failing the test if the call succeeded.
#[track_caller]
pub fn refused<T: Debug>(r: Result<T, Error>) -> Error {
    match r {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => e,
    }
}

/// Assert the error's code and that its details are exactly `details`.
#[track_caller]
pub fn assert_error(e: &Error, code: ErrorCode, details: Value) {
    assert_eq!(e.code, code, "{e}");
    assert_eq!(Value::Object(e.details.clone()), details, "{e}");
    assert!(!e.message.is_empty());
}

/// The one audit record of a decision that must have exactly one.
#[track_caller]
pub fn one_audit(d: &Decision) -> &AuditRecord {
    assert_eq!(d.audit.len(), 1, "{d:?}");
    &d.audit[0]
}

/// A decision that changes nothing and writes no audit record.
#[track_caller]
pub fn assert_noop(d: &Decision) {
    assert!(d.changes.is_empty(), "{d:?}");
    assert!(d.audit.is_empty(), "{d:?}");
}

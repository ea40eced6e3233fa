//! Messages that count say it in English ("1 copy is", "2 copies are"), never "(s)" or
//! "1 copies", and name things the way the reader knows them (issue 26).

use seatline_domain::rules::{provision, set_addons, set_numbers, set_quantity};
use seatline_domain::{Code, Error, NumberRow};

use crate::support::*;

fn message<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    refused(r).message
}

#[test]
fn counts_agree_with_their_nouns() {
    // One license_number copy, two numbers given.
    let e = ext(1001, &[Code::LicenseNumber]);
    let rows = [
        Some(NumberRow {
            number: num("+14155550100"),
            extension: None,
        }),
        Some(NumberRow {
            number: num("+14155550101"),
            extension: None,
        }),
    ];
    let m = message(set_numbers(
        &e,
        vec![num("+14155550100"), num("+14155550101")],
        &rows,
    ));
    assert!(
        m.contains("holds 1 license_number copy but 2 numbers were given"),
        "{m}"
    );

    // One attached number, no license_number left.
    let e = with_numbers(ext(1001, &[Code::LicenseNumber]), &["+14155550100"]);
    let m = message(set_addons(&e, addons(&[]), &seats(&[])));
    assert!(
        m.contains("has 1 attached number and needs as many license_number copies"),
        "{m}"
    );

    // One seat in use.
    let m = message(set_quantity(
        Code::TeamChat,
        0,
        &seats(&[(Code::TeamChat, 1, 1)]),
    ));
    assert!(
        m.starts_with("1 team_chat seat is in use; set at least 1"),
        "{m}"
    );

    // One seat needed, none left.
    let m = message(provision(
        1,
        key(1001),
        &taken([]),
        &seats(&[(Code::PhoneSystem, 0, 0)]),
    ));
    assert!(
        m.starts_with("1 phone_system seat needed but 0 available"),
        "{m}"
    );

    // One key taken.
    let m = message(provision(
        2,
        key(1001),
        &taken([1002]),
        &seats(&[(Code::PhoneSystem, 9, 1)]),
    ));
    assert!(m.starts_with("extension key 1002 is taken;"), "{m}");
    let m = message(provision(
        3,
        key(1001),
        &taken([1002, 1003]),
        &seats(&[(Code::PhoneSystem, 9, 2)]),
    ));
    assert!(m.starts_with("extension keys 1002, 1003 are taken;"), "{m}");

    // One copy over-allocated.
    let m = message(set_addons(
        &ext(1001, &[]),
        addons(&[Code::LicenseCenter]),
        &seats(&[(Code::LicenseCenter, 0, 1)]),
    ));
    assert!(
        m.starts_with("1 license_center copy is in use but only 0 are purchased; free 1 copy"),
        "{m}"
    );
    let m = message(set_addons(
        &ext(1001, &[]),
        addons(&[Code::LicenseCenter]),
        &seats(&[(Code::LicenseCenter, 1, 3)]),
    ));
    assert!(
        m.starts_with("3 license_center copies are in use but only 1 is purchased; free 2 copies"),
        "{m}"
    );
}

#[test]
fn an_unknown_organization_is_not_said_to_be_in_itself() {
    let m = Error::not_found("organization", "org_x").message;
    assert_eq!(m, "organization org_x does not exist");
    let m = Error::not_found("member", "mem_x").message;
    assert_eq!(m, "member mem_x does not exist in this organization");
}

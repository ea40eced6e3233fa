//! Bulk planning, table-driven: one case per error code, the header rules, duplicates inside
//! the file and against the organization, and property tests that planning never panics.

use proptest::prelude::*;
use seatline_domain::bulk::{decide, decide_rows, plan, sheet_of, OrgState, Sheet, SheetRow};
use seatline_domain::plans::{Outcome, Plan, PlanStatus, SeatChange};
use seatline_domain::{
    Addons, Change, Code, Email, ErrorCode, ExtKey, Extension, Member, MemberId, NumberRow, Role,
    Seat, Seats, Status, E164,
};

fn member(id: &str, email: &str, status: Status) -> Member {
    Member {
        id: MemberId(id.into()),
        email: email.parse::<Email>().unwrap(),
        name: id.into(),
        role: Role::Member,
        status,
    }
}

fn ext(key: u32, member: Option<&str>) -> Extension {
    Extension {
        member: member.map(|m| MemberId(m.into())),
        ..Extension::new(ExtKey::new(key).unwrap())
    }
}

/// ann, dan and eve are free; bob holds 500; carl is disabled. Keys 500 and 1042–1049 are
/// taken. +6531000002 is attached to 500. No call_recording seats. (Leaked: the state
/// borrows its members and numbers, and each test is a short process.)
fn org() -> OrgState<'static> {
    let members: &'static [Member] = Box::leak(Box::new([
        member("mem_ann", "ann@example.com", Status::Active),
        member("mem_bob", "bob@example.com", Status::Active),
        member("mem_carl", "carl@example.com", Status::Disabled),
        member("mem_dan", "dan@example.com", Status::Active),
        member("mem_eve", "eve@example.com", Status::Active),
    ]));
    let mut exts = vec![ext(500, Some("mem_bob"))];
    exts.extend((1042..=1049).map(|k| ext(k, None)));
    let numbers: &'static [NumberRow] = Box::leak(Box::new(
        [
            ("+6531000001", None),
            ("+6531000002", Some(500)),
            ("+6531000003", None),
        ]
        .map(|(n, k)| NumberRow {
            number: n.parse().unwrap(),
            extension: k.map(|k| ExtKey::new(k).unwrap()),
        }),
    ));
    let mut seats = Seats::default();
    for (code, purchased, in_use) in [
        (Code::PhoneSystem, 20, 9),
        (Code::LicenseNumber, 5, 1),
        (Code::DeviceIpPhone, 5, 0),
        (Code::DeviceMobileApp, 5, 0),
        (Code::LicenseCenter, 1, 0),
    ] {
        seats.by_code.insert(
            code,
            Seat {
                purchased,
                in_use,
                ..Default::default()
            },
        );
    }
    OrgState::new(members, &exts, numbers, seats)
}

/// A sheet from simple comma-separated lines; the first line is the header (row 1).
fn sheet(text: &str) -> Sheet {
    let mut lines = text
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
    Sheet {
        header_row: 1,
        header: lines.next().unwrap_or_default(),
        rows: lines
            .enumerate()
            .map(|(i, cells)| SheetRow {
                number: i + 2,
                cells,
            })
            .collect(),
    }
}

/// Expected problems: row, column, code.
type Want = &'static [(Option<usize>, &'static str, ErrorCode)];

const H: &str = "Ext key,Number,User,Addon license,Addon license";

fn problems(p: &Plan) -> Vec<(Option<usize>, String, ErrorCode)> {
    p.errors
        .iter()
        .map(|e| (e.row, e.column.clone(), e.code))
        .collect()
}

#[test]
fn each_rule_reports_its_code_on_its_row_and_column() {
    use ErrorCode::*;
    let cases: &[(&str, &str, Want)] = &[
        (
            "valid rows",
            "1001,+6531000001,ann@example.com,license_number,device_ip_phone\n1002,,,,",
            &[],
        ),
        ("member by id", "1001,,mem_ann,,", &[]),
        (
            "bad ext key",
            "10a1,,,,",
            &[(Some(2), "Ext key", InvalidExtKey)],
        ),
        (
            "leading zero",
            "0101,,,,",
            &[(Some(2), "Ext key", InvalidExtKey)],
        ),
        (
            "empty ext key",
            ",,ann@example.com,,",
            &[(Some(2), "Ext key", InvalidExtKey)],
        ),
        (
            "ext key twice in the file",
            "1001,,,,\n1001,,,,",
            &[(Some(3), "Ext key", BulkDuplicateExtKey)],
        ),
        (
            "ext key of an existing extension",
            "1042,,,,",
            &[(Some(2), "Ext key", ExtensionExists)],
        ),
        (
            "unknown member",
            "1001,,zed@example.com,,",
            &[(Some(2), "User", UnknownMember)],
        ),
        (
            "unknown member id",
            "1001,,mem_zed,,",
            &[(Some(2), "User", UnknownMember)],
        ),
        // A warning, not an error: see disabled_member_is_a_warning_and_the_row_stands.
        ("disabled member", "1001,,carl@example.com,,", &[]),
        (
            "member holds an extension",
            "1001,,bob@example.com,,",
            &[(Some(2), "User", MemberHasExtension)],
        ),
        (
            "member listed twice, by email and id",
            "1001,,ANN@example.com,,\n1002,,mem_ann,,",
            &[(Some(3), "User", BulkDuplicateMember)],
        ),
        (
            "unknown add-on",
            "1001,,,fax,",
            &[(Some(2), "Addon license", UnknownCode)],
        ),
        (
            "base code as add-on",
            "1001,,,phone_system,",
            &[(Some(2), "Addon license", NotAnAddon)],
        ),
        (
            "per-extension limit",
            "1001,,,device_ip_phone,device_ip_phone",
            &[(Some(2), "Addon license", AddonLimit)],
        ),
        (
            "repeatable add-on twice",
            "1001,,,device_mobile_app,device_mobile_app",
            &[],
        ),
        (
            "invalid number",
            "1001,6531000001,,license_number,",
            &[(Some(2), "Number", InvalidNumber)],
        ),
        (
            "number not in inventory",
            "1001,+6599999999,,license_number,",
            &[(Some(2), "Number", NumberUnavailable)],
        ),
        (
            "number attached",
            "1001,+6531000002,,license_number,",
            &[(Some(2), "Number", NumberAttached)],
        ),
        (
            "number twice",
            "1001,+6531000001,,license_number,\n1002,+65 3100 0001,,license_number,",
            &[(Some(3), "Number", DuplicateNumber)],
        ),
        (
            "number without license_number",
            "1001,+6531000001,,device_ip_phone,",
            &[(Some(2), "Number", NumberNeedsLicense)],
        ),
        (
            "no seats of a code",
            "1001,,,call_recording,",
            &[(None, "Addon license", SeatsExhausted)],
        ),
        (
            "seats short",
            "1001,,,license_center,\n1002,,,license_center,",
            &[(None, "Addon license", SeatsExhausted)],
        ),
    ];
    for (name, rows, want) in cases {
        let p = plan(&sheet(&format!("{H}\n{rows}")), &org());
        let want: Vec<_> = want
            .iter()
            .map(|(r, c, code)| (*r, c.to_string(), *code))
            .collect();
        assert_eq!(problems(&p), want, "{name}");
        let ready = want.is_empty();
        assert_eq!(p.status == PlanStatus::Ready, ready, "{name}");
        assert_eq!(p.can_apply, ready, "{name}");
        for e in &p.errors {
            assert!(
                e.message.len() > 20,
                "{name}: terse message {:?}",
                e.message
            );
            if let Some(r) = e.row {
                let item = p
                    .items
                    .iter()
                    .find(|i| i.row == r)
                    .expect("row has an item");
                assert_eq!(item.outcome, Outcome::Error, "{name}");
            }
        }
    }
}

#[test]
fn disabled_member_is_a_warning_and_the_row_stands() {
    let p = plan(&sheet(&format!("{H}\n1001,,carl@example.com,,")), &org());
    assert_eq!(p.status, PlanStatus::Ready, "{:?}", p.errors);
    assert!(p.can_apply);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let w = &p.warnings[0];
    assert_eq!(
        (w.row, w.column.as_str(), w.value.as_str(), w.code),
        (
            Some(2),
            "User",
            "carl@example.com",
            ErrorCode::MemberDisabled
        )
    );
    assert!(
        w.message.contains("holds the extension")
            && w.message.contains("nothing is effective until"),
        "{}",
        w.message
    );
    assert_eq!(p.items[0].outcome, Outcome::Create);
    assert_eq!(p.items[0].member, Some(MemberId("mem_carl".into())));
    let d = decide(&p).unwrap();
    let Change::InsertExtensions(exts) = &d.changes[0] else {
        panic!("{:?}", d.changes)
    };
    assert_eq!(exts[0].member, Some(MemberId("mem_carl".into())));
}

#[test]
fn header_rules() {
    use ErrorCode::*;
    let cases: &[(&str, Want)] = &[
        (
            "  EXT KEY , number ,USER,addon LICENSE\n1001,,ann@example.com,device_ip_phone",
            &[],
        ),
        ("Ext key\n1001", &[]),
        // The add-on column as people type it: numbered, hyphenated, British.
        (
            "Ext key,Addon license 1,Addon license 2,Add-on license,Addon licence,ADD ON LICENCE\n1001,license_center,device_ip_phone,device_mobile_app,device_mobile_app,license_number",
            &[],
        ),
        (
            "Ext key,Number,User,Addon license,Number\n1001,+6531000001,,license_number",
            &[],
        ),
        (
            "Ext key,Phone,User\n1001,x,",
            &[(Some(1), "Phone", BulkUnknownColumn)],
        ),
        (
            "Number,User\n+6531000001,",
            &[(Some(1), "Ext key", BulkMissingColumn)],
        ),
        (
            "Ext key,User,user\n1001,,",
            &[(Some(1), "user", BulkDuplicateColumn)],
        ),
        ("Ext key,User,,\n1001,,,", &[]),
        (
            "Ext key,User,,\n1001,,x,",
            &[(Some(2), "C", BulkUnknownColumn)],
        ),
        (
            "Ext key,User\n1001,,,,value",
            &[(Some(2), "E", BulkUnknownColumn)],
        ),
        ("Ext key,User\n,\n ,  ", &[(Some(1), "Ext key", BulkEmpty)]),
        ("", &[(Some(1), "Ext key", BulkMissingColumn)]),
    ];
    for (text, want) in cases {
        let p = plan(&sheet(text), &org());
        let want: Vec<_> = want
            .iter()
            .map(|(r, c, code)| (*r, c.to_string(), *code))
            .collect();
        assert_eq!(problems(&p), want, "{text:?}");
    }
}

#[test]
fn addon_header_variants_read_every_code() {
    let p = plan(
        &sheet("Ext key,Addon license 2,Add-on license,Addon licence\n1001,license_center,device_ip_phone,device_mobile_app"),
        &org(),
    );
    assert_eq!(p.status, PlanStatus::Ready, "{:?}", p.errors);
    assert_eq!(
        p.items[0].addons,
        [
            Code::LicenseCenter,
            Code::DeviceIpPhone,
            Code::DeviceMobileApp
        ]
    );
}

#[test]
fn unknown_header_and_misspelled_code_suggest_the_closest() {
    let p = plan(&sheet("Ext key,Numbr,User\n1001,,"), &org());
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert!(
        p.errors[0].message.contains("did you mean \"Number\"?"),
        "{}",
        p.errors[0].message
    );
    let p = plan(&sheet(&format!("{H}\n1001,,,licence_center,")), &org());
    assert_eq!(p.errors[0].code, ErrorCode::UnknownCode);
    assert_eq!(
        p.errors[0].message,
        "unknown license code \"licence_center\"; did you mean license_center?"
    );
}

#[test]
fn taken_key_names_the_next_key_free_in_the_org_and_the_file() {
    let p = plan(&sheet(&format!("{H}\n1042,,,,\n1050,,,,")), &org());
    assert_eq!(p.errors.len(), 1);
    assert_eq!(
        p.errors[0].message,
        "extension 1042 already exists and bulk only creates new extensions: change it on its page in the admin UI (/ui/extensions/1042) or with PUT /api/v1/orgs/{org}/extensions/1042/member, /addons or /numbers; or give this row a new key (the next free key is 1051)"
    );
    assert_eq!(p.errors[0].value, "1042");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "{H}\n1042,+6599999999,zed@example.com,fax,\n1042,bad,carl@example.com,device_ip_phone,device_ip_phone\n,,,,\n1001,+6531000001,bob@example.com,,"
    );
    let p = plan(&sheet(&text), &org());
    let rows: Vec<Option<usize>> = p.errors.iter().map(|e| e.row).collect();
    assert_eq!(p.rows, 3, "the blank row is skipped");
    assert_eq!(p.items.len(), 3);
    // row 2: taken key, number not in inventory, unknown member, unknown code, number without license
    // row 3: duplicate key, invalid number, add-on limit (and a disabled member: a warning)
    // row 5: member holds an extension, number without license
    assert_eq!(rows.iter().filter(|r| **r == Some(2)).count(), 5, "{p:#?}");
    assert_eq!(rows.iter().filter(|r| **r == Some(3)).count(), 3, "{p:#?}");
    assert_eq!(p.warnings.len(), 1, "{p:#?}");
    assert_eq!(rows.iter().filter(|r| **r == Some(5)).count(), 2, "{p:#?}");
}

#[test]
fn seats_list_needed_and_available_per_code() {
    let text = format!("{H}\n1001,+6531000001,,license_number,license_center\n1002,,,license_center,device_mobile_app");
    let p = plan(&sheet(&text), &org());
    let seats: Vec<(Code, u64, u64)> = p
        .seats
        .iter()
        .map(|s| match s {
            SeatChange::Needed(s) => (s.code, s.needed, s.available),
            other => panic!("a bulk plan only needs seats: {other:?}"),
        })
        .collect();
    assert_eq!(
        seats,
        [
            (Code::PhoneSystem, 2, 11),
            (Code::DeviceMobileApp, 1, 5),
            (Code::LicenseCenter, 2, 1),
            (Code::LicenseNumber, 1, 4),
        ]
    );
    let e = &p.errors[0];
    assert_eq!(
        (e.row, e.code, e.value.as_str()),
        (None, ErrorCode::SeatsExhausted, "license_center")
    );
    assert!(e.message.contains("buy 1 more"), "{}", e.message);
}

#[test]
fn phone_system_seats_count_every_row() {
    let rows: String = (2000..2012).map(|k| format!("{k},,,,\n")).collect();
    let p = plan(&sheet(&format!("{H}\n{rows}")), &org());
    assert_eq!(
        problems(&p),
        [(None, "Ext key".to_owned(), ErrorCode::SeatsExhausted)]
    );
}

#[test]
fn exported_apostrophes_are_read_back() {
    let p = plan(&sheet("Ext key,Number,User,Addon license\n'-1,,,"), &org());
    assert_eq!(p.errors[0].value, "-1");
}

#[test]
fn decide_inserts_every_row_with_one_audit_record_each() {
    let text =
        format!("{H}\n1001,+6531000001,ann@example.com,license_number,device_ip_phone\n1002,,,,");
    let p = plan(&sheet(&text), &org());
    let d = decide(&p).unwrap();
    let [Change::InsertExtensions(exts)] = d.changes.as_slice() else {
        panic!("{:?}", d.changes)
    };
    assert_eq!(exts.len(), 2);
    assert_eq!(exts[0].key.get(), 1001);
    assert_eq!(exts[0].member, Some(MemberId("mem_ann".into())));
    assert_eq!(
        exts[0].addons,
        [Code::LicenseNumber, Code::DeviceIpPhone]
            .into_iter()
            .collect::<Addons>()
    );
    assert_eq!(exts[0].numbers, ["+6531000001".parse::<E164>().unwrap()]);
    assert_eq!(exts[1], Extension::new(ExtKey::new(1002).unwrap()));
    assert_eq!(d.audit.len(), 2);
    assert_eq!(d.audit[1].target, "extension:1002");

    let bad = plan(&sheet(&format!("{H}\n1042,,,,")), &org());
    assert_eq!(decide(&bad).unwrap_err().code, ErrorCode::PlanInvalid);
}

#[test]
fn a_ready_plans_rows_plan_again_to_the_same_rows() {
    let text = format!("{H}\n1001,+6531000001,ANN@example.com,license_number,device_ip_phone\n1002,,mem_dan,,\n1003,,,device_mobile_app,device_mobile_app");
    let p = plan(&sheet(&text), &org());
    assert_eq!(p.status, PlanStatus::Ready);
    let again = plan(&sheet_of(&p.items), &org());
    assert_eq!(again, p);
    let d = decide_rows(&p.items[1..]).unwrap();
    assert_eq!(d.audit.len(), 2);
}

#[test]
fn plans_round_trip_through_json() {
    let text = format!("{H}\n1001,+6531000001,ann@example.com,license_number,\n1042,,,,");
    let p = plan(&sheet(&text), &org());
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains(r#""code":"extension_exists""#), "{json}");
    assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), p);
}

/// Cells a near-valid file is made of: good and bad keys, members, numbers and codes.
fn near_valid_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        (100u32..1100).prop_map(|k| k.to_string()),
        Just("1042".to_owned()),
        Just(String::new()),
        Just("  ".to_owned()),
        prop::sample::select(vec![
            "ann@example.com",
            "BOB@example.com",
            "mem_carl",
            "zed@example.com",
            "+6531000001",
            "+6531000002",
            "+65 3100 0003",
            "123",
            "license_number",
            "device_ip_phone",
            "phone_system",
            "call_recording",
            "'=1+1",
            "\"",
            "é",
            "0",
        ])
        .prop_map(str::to_owned),
        ".{0,12}",
    ]
}

fn header_cell() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Ext key",
        "Number",
        "User",
        "Addon license",
        "addon LICENSE",
        "",
        "Other",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #[test]
    fn planning_never_panics_and_is_ready_exactly_without_errors(
        header in prop::collection::vec(header_cell(), 0..7),
        rows in prop::collection::vec(prop::collection::vec(near_valid_cell(), 0..8), 0..30),
    ) {
        let s = Sheet {
            header_row: 1,
            header,
            rows: rows.into_iter().enumerate().map(|(i, cells)| SheetRow { number: i + 2, cells }).collect(),
        };
        let p = plan(&s, &org());
        prop_assert_eq!(p.status == PlanStatus::Ready, p.errors.is_empty());
        prop_assert_eq!(p.can_apply, p.errors.is_empty());
        prop_assert!(p.items.len() <= p.rows);
        prop_assert_eq!(decide(&p).is_ok(), p.errors.is_empty());
        for e in &p.errors {
            prop_assert!(!e.message.is_empty());
        }
    }
}

#[test]
fn a_plan_lists_the_first_thousand_errors_and_counts_the_rest() {
    // Three bad cells on each of 600 rows (key, number, code): 1,800 errors in all.
    let mut text = String::from("Ext key,Number,User,Addon license\n");
    for i in 0..600 {
        text.push_str(&format!("x{i},not-a-number,,no_such_code\n"));
    }
    let p = plan(&sheet(&text), &org());
    assert_eq!(p.status, PlanStatus::Invalid);
    assert!(!p.can_apply);
    let row_errors = p.errors.iter().filter(|e| e.row.is_some()).count();
    assert_eq!(row_errors, seatline_domain::plans::MAX_LISTED);
    // File-level problems (here: too few phone_system seats for 600 rows) are always listed.
    assert!(
        p.errors.iter().any(|e| e.row.is_none()),
        "{:?}",
        p.errors.last()
    );
    assert_eq!(p.error_count, 1_801, "every error is counted");
    // The listed ones are the first, in file order.
    assert_eq!(p.errors[0].row, Some(2));
}

// Issue 26: bulk files read the way admins write them.

fn seat_needed(p: &Plan, code: Code) -> Option<u64> {
    p.seats.iter().find_map(|s| match s {
        SeatChange::Needed(n) if n.code == code => Some(n.needed),
        _ => None,
    })
}

#[test]
fn phone_system_in_an_addon_cell_is_an_error_and_no_extra_seat() {
    let p = plan(&sheet(&format!("{H}\n1001,,,phone_system,")), &org());
    assert_eq!(
        problems(&p),
        [(Some(2), "Addon license".to_owned(), ErrorCode::NotAnAddon)]
    );
    // The row's own extension is the one Phone System seat it needs.
    assert_eq!(seat_needed(&p, Code::PhoneSystem), Some(1));
    assert!(p.items[0].addons.is_empty(), "{:?}", p.items[0].addons);
}

#[test]
fn addon_display_names_read_as_their_codes_with_a_warning() {
    let p = plan(
        &sheet(&format!("{H}\n1001,,,Contact Center, ip  PHONE ")),
        &org(),
    );
    assert_eq!(p.status, PlanStatus::Ready, "{:?}", p.errors);
    assert_eq!(
        p.items[0].addons,
        [Code::LicenseCenter, Code::DeviceIpPhone]
    );
    let got: Vec<_> = p
        .warnings
        .iter()
        .map(|w| (w.row, w.column.as_str(), w.value.as_str(), w.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Some(2),
                "Addon license",
                "Contact Center",
                "addon_display_name"
            ),
            (Some(2), "Addon license", "ip  PHONE", "addon_display_name"),
        ]
    );
    assert!(
        p.warnings[0].message.contains("read as license_center"),
        "{}",
        p.warnings[0].message
    );
    assert!(p.warnings[1].message.contains("read as device_ip_phone"));
    // Display names count seats like their codes.
    assert_eq!(seat_needed(&p, Code::LicenseCenter), Some(1));
    // "Phone System" is the extension itself, as phone_system is.
    let p = plan(&sheet(&format!("{H}\n1001,,,Phone System,")), &org());
    assert_eq!(
        problems(&p),
        [(Some(2), "Addon license".to_owned(), ErrorCode::NotAnAddon)]
    );
}

#[test]
fn numbers_excel_mangled_say_what_happened() {
    let p = plan(
        &sheet(&format!(
            "{H}\n1001,6561234569,,license_number,\n1002,6.56123E+09,,license_number,"
        )),
        &org(),
    );
    let msgs: Vec<_> = p
        .errors
        .iter()
        .map(|e| (e.row, e.code, e.message.as_str()))
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].1, ErrorCode::InvalidNumber);
    assert!(
        msgs[0].2.contains(
            "looks like a number without its +: write +6561234569, or format the column as Text"
        ),
        "{}",
        msgs[0].2
    );
    assert_eq!(msgs[1].1, ErrorCode::InvalidNumber);
    assert!(
        msgs[1].2.contains(
            "Excel turned this number into 6.56123E+09 and lost digits: format the Number column as Text and type the numbers again"
        ),
        "{}",
        msgs[1].2
    );
}

#[test]
fn mistyped_member_email_names_the_closest_member() {
    let user_error = |cell: &str| {
        let p = plan(&sheet(&format!("{H}\n1001,,{cell},,")), &org());
        assert_eq!(p.errors.len(), 1, "{cell}: {:?}", p.errors);
        assert_eq!(p.errors[0].code, ErrorCode::UnknownMember);
        p.errors[0].message.clone()
    };
    for (typed, meant) in [
        ("ann@exmaple.com", "ann@example.com"),
        ("bbo@example.com", "bob@example.com"),
        ("DANX@Example.com", "dan@example.com"),
    ] {
        let m = user_error(typed);
        assert!(
            m.contains(&format!("did you mean {meant}?")),
            "{typed}: {m}"
        );
    }
    // Too far from every member (zed is two edits from eve): no guess.
    for typed in ["zed@example.com", "ann@elsewhere.org"] {
        let m = user_error(typed);
        assert!(!m.contains("did you mean"), "{typed}: {m}");
    }
}

#[test]
fn a_team_scoped_uploader_is_never_suggested_a_member_out_of_reach() {
    // ann is out of the uploader's teams: "did you mean ann@example.com?" would name her.
    let scope = seatline_domain::Scope::Teams {
        teams: Default::default(),
        members: [MemberId("mem_dan".into())].into_iter().collect(),
    };
    let p = plan(
        &sheet(&format!(
            "{H}\n1001,,ann@exmaple.com,,\n1002,,dna@example.com,,"
        )),
        &org().within(scope),
    );
    let msgs: Vec<_> = p.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(!msgs[0].contains("did you mean"), "{}", msgs[0]);
    assert!(
        msgs[1].contains("did you mean dan@example.com?"),
        "{}",
        msgs[1]
    );
}

//! The usage report, findings and cleanup plans of product.md §11 on one organization with
//! one example of every finding kind, priced in EUR: the arithmetic worked out by hand.

use seatline_domain::cleanup::{self, CleanupRequest};
use seatline_domain::plans::{Outcome, PlanStatus, RowPlan, SeatChange, SeatFreed};
use seatline_domain::reports::{findings, usage, Money, OrgUsage};
use seatline_domain::{
    Change, Code, Currency, ErrorCode, Extension, FindingKind, Member, Price, Role, Seat, Seats,
    Status, SubState, Subscription,
};
use serde_json::json;

use crate::support::*;

struct Fixture {
    members: Vec<Member>,
    extensions: Vec<Extension>,
    seats: Seats,
    subs: Vec<Subscription>,
}

impl Fixture {
    fn org(&self) -> OrgUsage<'_> {
        OrgUsage::new(&self.members, &self.extensions, &self.seats, &self.subs)
    }
}

/// (code, purchased, state, price in EUR)
const SUBS: [(Code, u32, SubState, Option<&str>); 7] = [
    (Code::PhoneSystem, 10, SubState::Active, Some("10.00")),
    (Code::LicenseCenter, 3, SubState::Active, Some("20")),
    (Code::DeviceWebRtc, 5, SubState::Active, Some("2.50")),
    (Code::LicenseNumber, 5, SubState::Active, Some("1.25")),
    (Code::CallRecording, 1, SubState::Active, Some("3.0000")),
    (Code::TeamChat, 2, SubState::Suspended, Some("4")),
    (Code::DeviceMobileApp, 4, SubState::Active, None),
];

/// 1001 ann: productive, Contact Center ready. 1002: unassigned, empty. 1003: unassigned
/// with an add-on and a number. 1004: held by a disabled member. 1005 bob: license_center
/// without a device. 1006 the owner: team_chat of a suspended subscription;
/// call_recording is over-allocated (2 in use, 1 purchased).
fn fixture() -> Fixture {
    let owner = active("boss", Role::Owner);
    let ann = active("ann", Role::Member);
    let dis = member("dis", Role::Member, Status::Disabled);
    let bob = active("bob", Role::Member);
    use Code::*;
    let extensions = vec![
        held_by(ext(1001, &[LicenseCenter, DeviceWebRtc]), &ann),
        ext(1002, &[]),
        with_numbers(ext(1003, &[DeviceWebRtc, LicenseNumber]), &["+6531000001"]),
        held_by(ext(1004, &[DeviceWebRtc, CallRecording]), &dis),
        held_by(ext(1005, &[LicenseCenter]), &bob),
        held_by(ext(1006, &[CallRecording, TeamChat]), &owner),
    ];
    let mut seats = Seats::default();
    let mut subs = Vec::new();
    for (code, purchased, state, price) in SUBS {
        seats.by_code.insert(
            code,
            Seat {
                purchased,
                in_use: 0,
                state,
            },
        );
        let mut s = Subscription::none(code);
        s.quantity = purchased;
        s.state = state;
        s.unit_price = price.map(|p| p.parse::<Price>().unwrap());
        s.currency = price.map(|_| "eur".parse::<Currency>().unwrap());
        subs.push(s);
    }
    Fixture {
        members: vec![owner, ann, dis, bob],
        extensions,
        seats,
        subs,
    }
}

#[test]
fn money_is_exact() {
    let m = |s: &str| Money::parse(s).unwrap();
    assert_eq!(m("12.5").times(3).to_string(), "37.50");
    assert_eq!(m("0.0001").times(3).to_string(), "0.0003");
    assert_eq!(m("1.2345").to_string(), "1.2345");
    assert_eq!(m("7").to_string(), "7.00");
    assert_eq!((m("0.1") + m("0.2")).to_string(), "0.30");
    assert_eq!(
        m("999999999.9999").times(1_000_000).0,
        9_999_999_999_999_000_000
    );
}

#[test]
fn usage_per_code_and_totals() {
    let f = fixture();
    let u = usage(&f.org());
    let line = |code: Code| {
        let i = u.items.iter().find(|i| i.code == code).unwrap();
        json!([
            i.purchased,
            i.in_use,
            i.assigned,
            i.effective,
            i.productive,
            i.available,
            i.over_allocated,
            i.monthly_cost.map(|m| m.to_string()),
            i.monthly_waste.map(|m| m.to_string()),
        ])
    };
    // purchased, in use, assigned, effective, productive, available, over, cost, waste
    use Code::*;
    // 6 extensions, 4 held; 1004's holder is disabled; productive: 1001, 1005, 1006.
    assert_eq!(
        line(PhoneSystem),
        json!([10, 6, 4, 5, 3, 4, 0, "100.00", "70.00"])
    );
    assert_eq!(
        line(LicenseCenter),
        json!([3, 2, 2, 2, 2, 1, 0, "60.00", "20.00"])
    );
    // 1001 (productive), 1003 (unassigned, effective), 1004 (disabled holder).
    assert_eq!(
        line(DeviceWebRtc),
        json!([5, 3, 2, 2, 1, 2, 0, "12.50", "10.00"])
    );
    assert_eq!(
        line(LicenseNumber),
        json!([5, 1, 0, 1, 0, 4, 0, "6.25", "6.25"])
    );
    // Over-allocated: one productive copy of one purchased wastes nothing.
    assert_eq!(
        line(CallRecording),
        json!([1, 2, 2, 1, 1, 0, 1, "3.00", "0.00"])
    );
    // Suspended: nothing effective, all wasted.
    assert_eq!(line(TeamChat), json!([2, 1, 1, 0, 0, 1, 0, "8.00", "8.00"]));
    // A code without a price: cost fields null.
    assert_eq!(
        line(DeviceMobileApp),
        json!([4, 0, 0, 0, 0, 4, 0, null, null])
    );
    assert_eq!(u.items.len(), Code::ALL.len());
    assert_eq!(
        serde_json::to_value(&u.totals).unwrap(),
        json!({"monthly_cost": "189.75", "monthly_waste": "114.25", "currency": "EUR"})
    );
}

#[test]
fn totals_are_null_across_currencies_or_without_prices() {
    let mut f = fixture();
    f.subs[1].currency = Some("USD".parse().unwrap());
    let t = usage(&f.org()).totals;
    assert_eq!(
        (t.monthly_cost, t.monthly_waste, t.currency),
        (None, None, None)
    );
    for s in &mut f.subs {
        s.unit_price = None;
    }
    let t = usage(&f.org()).totals;
    assert_eq!((t.monthly_cost, t.currency), (None, None));
}

#[test]
fn findings_of_every_kind() {
    let f = fixture();
    let all = serde_json::to_value(findings(&f.org(), None)).unwrap();
    let m = |id: &str| json!({"id": id, "email": format!("{id}@example.com")});
    assert_eq!(
        all,
        json!([
            {"kind": "extension_unassigned", "extension": "1002", "member": null,
             "codes": ["phone_system"], "monthly_waste": "10.00", "suggested_action": "deprovision"},
            {"kind": "extension_unassigned", "extension": "1003", "member": null,
             "codes": ["phone_system"], "monthly_waste": "10.00", "suggested_action": "deprovision"},
            {"kind": "addon_on_unassigned_extension", "extension": "1003", "member": null,
             "codes": ["device_web_rtc"], "monthly_waste": "2.50", "suggested_action": "remove_addons"},
            {"kind": "number_on_unassigned_extension", "extension": "1003", "member": null,
             "codes": ["license_number"], "numbers": ["+6531000001"], "monthly_waste": "1.25",
             "suggested_action": "detach_numbers"},
            {"kind": "disabled_member_holds_extension", "extension": "1004", "member": m("dis"),
             "codes": ["phone_system", "device_web_rtc", "call_recording"], "monthly_waste": "15.50",
             "suggested_action": "unassign"},
            {"kind": "contact_center_not_ready", "extension": "1005", "member": m("bob"),
             "codes": ["license_center"], "monthly_waste": "20.00", "suggested_action": "remove_addons"},
            {"kind": "not_effective", "extension": "1006", "member": m("boss"),
             "codes": ["team_chat"], "monthly_waste": "4.00", "suggested_action": "remove_addons"},
            {"kind": "over_allocated", "extension": null, "member": null,
             "codes": ["call_recording"], "monthly_waste": "0.00", "suggested_action": "remove_addons"},
        ])
    );
    let only = findings(&f.org(), Some(FindingKind::ExtensionUnassigned));
    assert_eq!(only.len(), 2);
    // Every kind parses from its name; a typo names the closest kind.
    for k in FindingKind::ALL {
        assert_eq!(k.as_str().parse::<FindingKind>().unwrap(), k);
    }
    let e = "over_allocatd".parse::<FindingKind>().unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidFindingKind);
    assert!(e.message.contains("\"over_allocated\""), "{e}");
}

fn request(kinds: &[FindingKind]) -> CleanupRequest {
    CleanupRequest {
        kinds: kinds.to_vec(),
        extensions: None,
    }
}

fn summary(rows: &[RowPlan]) -> Vec<(u32, Outcome, Vec<Code>, usize)> {
    rows.iter()
        .map(|r| {
            (
                r.key.unwrap().get(),
                r.outcome,
                r.addons.clone(),
                r.numbers.len(),
            )
        })
        .collect()
}

/// Apply a decision's changes to the fixture's extensions, as a store would.
fn apply(f: &mut Fixture, changes: &[Change]) {
    for c in changes {
        match c {
            Change::DeleteExtension(k) => f.extensions.retain(|e| e.key != *k),
            Change::SetExtensionMember { key, member } => {
                f.extensions
                    .iter_mut()
                    .find(|e| e.key == *key)
                    .unwrap()
                    .member = member.clone()
            }
            Change::SetAddons { key, addons } => {
                f.extensions
                    .iter_mut()
                    .find(|e| e.key == *key)
                    .unwrap()
                    .addons = addons.clone()
            }
            Change::SetNumbers { key, numbers } => {
                f.extensions
                    .iter_mut()
                    .find(|e| e.key == *key)
                    .unwrap()
                    .numbers = numbers.clone()
            }
            other => panic!("a cleanup makes no {other:?}"),
        }
    }
}

#[test]
fn cleaning_up_every_kind_leaves_no_finding() {
    let mut f = fixture();
    let p = cleanup::plan(&f.org(), &request(&FindingKind::ALL));
    use Code::*;
    assert_eq!(
        summary(&p.items),
        [
            (1002, Outcome::Deprovision, vec![], 0),
            (
                1003,
                Outcome::Deprovision,
                vec![DeviceWebRtc, LicenseNumber],
                1
            ),
            (1004, Outcome::Unassign, vec![], 0),
            (
                1004,
                Outcome::Deprovision,
                vec![DeviceWebRtc, CallRecording],
                0
            ),
            (1005, Outcome::RemoveAddons, vec![LicenseCenter], 0),
            (1006, Outcome::RemoveAddons, vec![TeamChat], 0),
        ]
    );
    assert_eq!(p.status, PlanStatus::Ready);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let freed = |code, freed| SeatChange::Freed(SeatFreed { code, freed });
    assert_eq!(
        p.seats,
        [
            freed(PhoneSystem, 3),
            freed(DeviceWebRtc, 2),
            freed(LicenseCenter, 1),
            freed(LicenseNumber, 1),
            freed(CallRecording, 1),
            freed(TeamChat, 1),
        ]
    );
    assert_eq!(
        serde_json::to_value(&p.seats[0]).unwrap(),
        json!({"code": "phone_system", "freed": 3})
    );
    let d = cleanup::decide(&p.items, &f.org()).unwrap();
    assert_eq!(d.audit.len(), p.items.len(), "one audit record per row");
    apply(&mut f, &d.changes);
    assert_eq!(findings(&f.org(), None), []);
    let keys: Vec<u32> = f.extensions.iter().map(|e| e.key.get()).collect();
    assert_eq!(keys, [1001, 1005, 1006]);
}

#[test]
fn cleaning_up_some_kinds_leaves_the_others() {
    let mut f = fixture();
    let chosen = [
        FindingKind::NumberOnUnassignedExtension,
        FindingKind::AddonOnUnassignedExtension,
        FindingKind::OverAllocated,
    ];
    let p = cleanup::plan(&f.org(), &request(&chosen));
    use Code::*;
    assert_eq!(
        summary(&p.items),
        [
            (1003, Outcome::DetachNumbers, vec![LicenseNumber], 1),
            (1003, Outcome::RemoveAddons, vec![DeviceWebRtc], 0),
            // The disabled holder's copy: the one not in productive use.
            (1004, Outcome::RemoveAddons, vec![CallRecording], 0),
        ]
    );
    assert_eq!(p.items[2].finding, Some(FindingKind::OverAllocated));
    let d = cleanup::decide(&p.items, &f.org()).unwrap();
    apply(&mut f, &d.changes);
    let left: std::collections::BTreeSet<FindingKind> =
        findings(&f.org(), None).iter().map(|x| x.kind).collect();
    assert_eq!(
        left.into_iter().collect::<Vec<_>>(),
        [
            FindingKind::ExtensionUnassigned,
            FindingKind::DisabledMemberHoldsExtension,
            FindingKind::ContactCenterNotReady,
            FindingKind::NotEffective,
        ]
    );
}

#[test]
fn a_plan_for_some_extensions_touches_only_them() {
    let f = fixture();
    let mut r = request(&FindingKind::ALL);
    r.extensions = Some(vec![key(1005)]);
    let p = cleanup::plan(&f.org(), &r);
    assert_eq!(
        summary(&p.items),
        [(1005, Outcome::RemoveAddons, vec![Code::LicenseCenter], 0)]
    );
}

#[test]
fn over_allocation_in_productive_use_is_a_warning() {
    let mut f = fixture();
    // The disabled holder's copy is gone: only the owner's productive copy and one more.
    f.extensions[3].addons = addons(&[Code::DeviceWebRtc]);
    f.extensions[4].addons = addons(&[Code::LicenseCenter, Code::CallRecording]);
    let p = cleanup::plan(&f.org(), &request(&[FindingKind::OverAllocated]));
    assert!(p.items.is_empty(), "{:?}", p.items);
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].code, ErrorCode::SubscriptionOverAllocated);
    assert_eq!(p.warnings[0].value, "call_recording");
    assert!(p.can_apply);
}

#[test]
fn rows_that_no_longer_match_make_the_plan_stale() {
    let f = fixture();
    let p = cleanup::plan(&f.org(), &request(&FindingKind::ALL));
    let stale = |change: &dyn Fn(&mut Fixture)| {
        let mut g = fixture();
        change(&mut g);
        let checked = cleanup::recheck(p.clone(), &g.org());
        assert_eq!(checked.status, PlanStatus::Invalid);
        assert!(!checked.can_apply);
        assert!(cleanup::decide(&p.items, &g.org()).is_err());
        checked.errors
    };
    // 1002 was assigned since.
    let errs = stale(&|g| g.extensions[1].member = Some(g.members[1].id.clone()));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].row, Some(1));
    assert_eq!(errs[0].code, ErrorCode::CleanupRowChanged);
    assert!(errs[0].message.contains("ann@example.com"), "{:?}", errs[0]);
    // The disabled member was enabled again: its unassign row, and the deprovision after it.
    let errs = stale(&|g| g.members[2].status = Status::Active);
    assert!(errs[0].message.contains("no longer disabled"), "{errs:?}");
    // 1003 got another add-on: deprovisioning it would remove what nobody reviewed.
    let errs = stale(&|g| g.extensions[2].addons.add(Code::TeamChat, 1));
    assert!(errs[0].message.contains("changed"), "{errs:?}");
    // 1006 lost its team_chat, 1005 is gone.
    let errs = stale(&|g| {
        g.extensions[5].addons = addons(&[Code::CallRecording]);
        g.extensions.remove(4);
    });
    assert_eq!(errs.len(), 2, "{errs:?}");
    // Unchanged: ready.
    let same = cleanup::recheck(p.clone(), &f.org());
    assert_eq!(same, p);
}

#[test]
fn kinds_parse_once_each_and_not_empty() {
    let k = cleanup::parse_kinds(["not_effective", "over_allocated", "not_effective"]).unwrap();
    assert_eq!(k, [FindingKind::NotEffective, FindingKind::OverAllocated]);
    assert_eq!(
        cleanup::parse_kinds([]).unwrap_err().code,
        ErrorCode::InvalidFindingKind
    );
}

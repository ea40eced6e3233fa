//! One case per rule of product.md §13.

use std::collections::HashMap;

use super::*;
use crate::model::Seat;
use crate::values::{Email, Role};
use crate::SubState;

fn team(s: &str) -> TeamId {
    TeamId(s.into())
}
fn key(k: u32) -> ExtKey {
    ExtKey::new(k).unwrap()
}
fn tpl(v: Value) -> Template {
    Template::parse(&v).unwrap()
}
fn member(status: Status) -> Member {
    Member {
        id: MemberId("m1".into()),
        email: "a@example.com".parse::<Email>().unwrap(),
        name: "A".into(),
        role: Role::Member,
        status,
    }
}
fn pool(seats: &[(Code, u32, u32)], taken: &[u32]) -> Pool {
    let mut s = Seats::default();
    for (c, purchased, in_use) in seats {
        s.by_code.insert(
            *c,
            Seat {
                purchased: *purchased,
                in_use: *in_use,
                state: SubState::Active,
            },
        );
    }
    Pool::new(s, taken.iter().copied().collect())
}
fn addons(list: &[(Code, u32)]) -> Addons {
    let mut a = Addons::default();
    for (c, n) in list {
        a.add(*c, *n);
    }
    a
}
fn wanted(list: &[(&str, Value)]) -> Inherited {
    let ts: Vec<(TeamId, Template)> = list
        .iter()
        .map(|(t, v)| (team(t), tpl(v.clone())))
        .collect();
    Inherited::of(ts.iter().map(|(t, v)| (t, v)))
}
fn holding(k: u32, direct: &[(Code, u32)], inherited: &Inherited) -> Holding {
    let direct = addons(direct);
    let mut e = Extension::new(key(k));
    e.member = Some(MemberId("m1".into()));
    e.addons = held(&direct, inherited);
    Holding {
        extension: Some(e),
        direct,
        inherited: inherited.clone(),
    }
}
fn refusal(v: Value) -> (ErrorCode, String) {
    let e = Template::parse(&v).unwrap_err();
    let field = e
        .details
        .get("field")
        .and_then(|f| f.as_str())
        .unwrap_or("")
        .to_owned();
    (e.code, field)
}

#[test]
fn templates_parse_and_round_trip() {
    for v in [
        json!({"extension": null, "addons": {}}),
        json!({"extension": true, "addons": {"license_center": 1, "device_mobile_app": 2}}),
        json!({"extension": {"from": "2000", "to": "2099"}, "addons": {}}),
    ] {
        assert_eq!(tpl(v.clone()).to_json(), v);
    }
    // Keys are written as strings, as ext keys are everywhere; numbers are read too.
    assert_eq!(
        tpl(json!({"extension": {"from": 2000, "to": 2001}})).extension,
        Some(ExtensionRule::Range {
            from: key(2000),
            to: key(2001)
        })
    );
}

#[test]
fn invalid_templates_name_their_field() {
    use ErrorCode::*;
    let cases = [
        (json!([]), (InvalidTemplate, "template")),
        (json!({"extenshun": true}), (InvalidTemplate, "extenshun")),
        (json!({"extension": 5}), (InvalidTemplate, "extension")),
        (
            json!({"extension": {"from": 2000}}),
            (InvalidTemplate, "extension.to"),
        ),
        (
            json!({"extension": {"from": 99, "to": 200}}),
            (InvalidExtKey, "extension.from"),
        ),
        (
            json!({"extension": {"from": 300, "to": 200}}),
            (InvalidTemplate, "extension.to"),
        ),
        (
            json!({"extension": true, "addons": {"fax": 1}}),
            (UnknownCode, "addons.fax"),
        ),
        (
            json!({"extension": true, "addons": {"phone_system": 1}}),
            (NotAnAddon, "addons.phone_system"),
        ),
        (
            json!({"extension": true, "addons": {"license_center": 2}}),
            (AddonLimit, "addons.license_center"),
        ),
        (
            json!({"extension": true, "addons": {"device_mobile_app": 21}}),
            (AddonLimit, "addons.device_mobile_app"),
        ),
        (
            json!({"extension": true, "addons": {"device_mobile_app": 0}}),
            (InvalidTemplate, "addons.device_mobile_app"),
        ),
        (
            json!({"extension": true, "addons": {"team_chat": "1"}}),
            (InvalidTemplate, "addons.team_chat"),
        ),
        (
            json!({"extension": true, "addons": []}),
            (InvalidTemplate, "addons"),
        ),
        (
            json!({"addons": {"team_chat": 1}}),
            (InvalidTemplate, "extension"),
        ),
    ];
    for (v, (code, field)) in cases {
        assert_eq!(refusal(v.clone()), (code, field.to_owned()), "{v}");
    }
}

#[test]
fn inheritance_is_the_union_with_the_largest_count() {
    let w = wanted(&[
        (
            "a",
            json!({"extension": {"from": 2000, "to": 2009}, "addons": {"device_mobile_app": 2, "license_center": 1}}),
        ),
        (
            "b",
            json!({"extension": true, "addons": {"device_mobile_app": 3, "team_chat": 1}}),
        ),
        ("c", json!({"extension": null})),
    ]);
    assert_eq!(
        w.extension.keys().cloned().collect::<Vec<_>>(),
        [team("a"), team("b")]
    );
    assert_eq!(w.count(Code::DeviceMobileApp), 3, "largest, not the sum 5");
    assert_eq!(w.count(Code::LicenseCenter), 1);
    assert_eq!(w.count(Code::TeamChat), 1);
    assert_eq!(w.count(Code::CallRecording), 0);
}

#[test]
fn held_is_the_larger_of_direct_and_inherited() {
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"device_mobile_app": 2, "team_chat": 1}}),
    )]);
    let h = held(
        &addons(&[
            (Code::DeviceMobileApp, 3),
            (Code::TeamChat, 1),
            (Code::CallRecording, 1),
        ]),
        &w,
    );
    assert_eq!(
        h,
        addons(&[
            (Code::DeviceMobileApp, 3),
            (Code::TeamChat, 1),
            (Code::CallRecording, 1)
        ])
    );
    let h = held(&addons(&[(Code::DeviceMobileApp, 1)]), &w);
    assert_eq!(
        h,
        addons(&[(Code::DeviceMobileApp, 2), (Code::TeamChat, 1)])
    );
}

#[test]
fn a_member_without_an_extension_gets_the_lowest_free_key_in_the_range() {
    let w = wanted(&[(
        "a",
        json!({"extension": {"from": 2000, "to": 2009}, "addons": {"license_center": 1}}),
    )]);
    let mut p = pool(
        &[(Code::PhoneSystem, 10, 2), (Code::LicenseCenter, 5, 0)],
        &[1000, 2000, 2001, 2003],
    );
    let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(r.outcome, Outcome::Grant);
    assert_eq!(r.state, Some(State::Ok));
    let ext = r.after.extension.clone().unwrap();
    assert_eq!(ext.key, key(2002));
    assert_eq!(ext.addons, addons(&[(Code::LicenseCenter, 1)]));
    assert!(matches!(&r.changes[0], Change::InsertExtensions(v) if v[0].key == key(2002)));
    assert_eq!(p.needed.get(&Code::PhoneSystem), Some(&1));
    assert_eq!(p.seats.get(Code::LicenseCenter).in_use, 1);
    assert!(p.taken.contains(&2002));
    let audit = r.audit.unwrap();
    assert_eq!(
        (audit.action, audit.target.as_str()),
        ("template.grant", "member:m1")
    );
    assert_eq!(audit.after["sources"]["assignment"], json!(["team:a"]));
    assert_eq!(
        audit.after["sources"]["addons"]["license_center"],
        json!(["team:a"])
    );
}

#[test]
fn true_takes_the_organizations_lowest_free_key() {
    let w = wanted(&[("a", json!({"extension": true}))]);
    let mut p = pool(&[(Code::PhoneSystem, 10, 2)], &[100, 101, 103]);
    let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(r.after.extension.unwrap().key, key(102));
}

#[test]
fn a_full_range_is_an_error_not_a_wait() {
    let w = wanted(&[("a", json!({"extension": {"from": 2000, "to": 2001}}))]);
    let mut p = pool(&[(Code::PhoneSystem, 10, 2)], &[2000, 2001]);
    let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(
        r.state,
        Some(State::Error(ErrorCode::ExtensionRangeExhausted))
    );
    assert_eq!(r.outcome, Outcome::Error);
    assert!(r.changes.is_empty());
    // Another asking team's range is tried too.
    let w = wanted(&[
        ("a", json!({"extension": {"from": 2000, "to": 2001}})),
        ("b", json!({"extension": {"from": 3000, "to": 3000}})),
    ]);
    let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(r.after.extension.unwrap().key, key(3000));
}

#[test]
fn missing_seats_wait_and_grant_nothing_at_all() {
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"license_center": 1}}),
    )]);
    // A phone_system seat is free, the license_center one is not: all or nothing.
    let mut p = pool(
        &[(Code::PhoneSystem, 10, 2), (Code::LicenseCenter, 1, 1)],
        &[],
    );
    let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(r.state, Some(State::Waiting(ErrorCode::SeatsExhausted)));
    assert_eq!(r.outcome, Outcome::Wait);
    assert!(r.changes.is_empty() && r.audit.is_none());
    assert_eq!(p.seats.get(Code::PhoneSystem).in_use, 2, "nothing taken");
    // Over-allocation waits as well: seats free up by the same causes.
    let mut p = pool(&[(Code::PhoneSystem, 1, 2)], &[]);
    let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(
        r.state,
        Some(State::Waiting(ErrorCode::SubscriptionOverAllocated))
    );
}

#[test]
fn closed_subscriptions_are_errors() {
    let w = wanted(&[("a", json!({"extension": true}))]);
    for (state, code) in [
        (SubState::Expired, ErrorCode::SubscriptionExpired),
        (SubState::Suspended, ErrorCode::SubscriptionSuspended),
        (SubState::Terminated, ErrorCode::SubscriptionTerminated),
    ] {
        let mut p = pool(&[(Code::PhoneSystem, 10, 0)], &[]);
        p.seats.by_code.get_mut(&Code::PhoneSystem).unwrap().state = state;
        let r = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
        assert_eq!(r.state, Some(State::Error(code)));
    }
}

#[test]
fn a_direct_count_over_the_limit_with_inherited_copies_is_addon_limit() {
    // license_center is once per extension; max() keeps it at 1, so only a held state that
    // already breaks the limit could: the rule still checks the result.
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"license_center": 1}}),
    )]);
    let now = holding(2000, &[(Code::LicenseCenter, 2)], &Inherited::default());
    let mut p = pool(
        &[(Code::PhoneSystem, 10, 1), (Code::LicenseCenter, 10, 2)],
        &[2000],
    );
    let r = reconcile(&member(Status::Active), &w, &now, &mut p);
    assert_eq!(r.state, Some(State::Error(ErrorCode::AddonLimit)));
}

#[test]
fn a_held_extension_is_kept_and_copies_are_consumed_once() {
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"device_mobile_app": 2}}),
    )]);
    let now = holding(1000, &[(Code::DeviceMobileApp, 1)], &Inherited::default());
    let mut p = pool(
        &[(Code::PhoneSystem, 10, 1), (Code::DeviceMobileApp, 2, 1)],
        &[1000],
    );
    let r = reconcile(&member(Status::Active), &w, &now, &mut p);
    assert_eq!(r.outcome, Outcome::Grant);
    let after = r.after.clone();
    assert_eq!(after.extension.as_ref().unwrap().key, key(1000));
    assert_eq!(
        after.extension.as_ref().unwrap().addons,
        addons(&[(Code::DeviceMobileApp, 2)])
    );
    assert_eq!(
        p.needed.get(&Code::DeviceMobileApp),
        Some(&1),
        "one more, not two"
    );
    assert_eq!(p.needed.get(&Code::PhoneSystem), None);
    // The direct assignment stays direct: its source is direct, the copies both.
    assert_eq!(after.sources_json()["assignment"], json!(["direct"]));
    assert_eq!(
        after.sources_json()["addons"]["device_mobile_app"],
        json!(["direct", "team:a"])
    );
    // Reconciling again changes nothing.
    let again = reconcile(&member(Status::Active), &w, &after, &mut p);
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert!(again.changes.is_empty());
}

#[test]
fn leaving_removes_only_what_no_source_still_grants() {
    let both = wanted(&[
        (
            "a",
            json!({"extension": true, "addons": {"device_mobile_app": 3, "team_chat": 1}}),
        ),
        (
            "b",
            json!({"extension": true, "addons": {"device_mobile_app": 1}}),
        ),
    ]);
    let now = holding(2000, &[(Code::DeviceMobileApp, 2)], &both);
    let mut p = pool(
        &[
            (Code::PhoneSystem, 10, 1),
            (Code::DeviceMobileApp, 10, 3),
            (Code::TeamChat, 10, 1),
        ],
        &[2000],
    );
    let only_b = wanted(&[(
        "b",
        json!({"extension": true, "addons": {"device_mobile_app": 1}}),
    )]);
    let r = reconcile(&member(Status::Active), &only_b, &now, &mut p);
    assert_eq!(r.outcome, Outcome::Revoke);
    let ext = r.after.extension.clone().unwrap();
    assert_eq!(
        ext.member,
        Some(MemberId("m1".into())),
        "b still grants the assignment"
    );
    // direct 2 beats b's 1; team_chat came from a only.
    assert_eq!(ext.addons, addons(&[(Code::DeviceMobileApp, 2)]));
    assert_eq!(p.freed.get(&Code::DeviceMobileApp), Some(&1));
    assert_eq!(p.freed.get(&Code::TeamChat), Some(&1));
    assert_eq!(r.audit.unwrap().action, "template.revoke");
}

#[test]
fn leaving_the_last_team_unassigns_and_deprovisions_when_nothing_direct_remains() {
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"license_center": 1}}),
    )]);
    let now = holding(2000, &[], &w);
    let mut p = pool(
        &[(Code::PhoneSystem, 10, 1), (Code::LicenseCenter, 10, 1)],
        &[2000],
    );
    let r = reconcile(&member(Status::Active), &Inherited::default(), &now, &mut p);
    assert_eq!(r.state, None, "in no templated team: no state");
    assert!(r.changes.contains(&Change::DeleteExtension(key(2000))));
    assert_eq!(r.after, Holding::default());
    assert_eq!(p.freed.get(&Code::PhoneSystem), Some(&1));
    assert!(!p.taken.contains(&2000));
    // With a direct copy on it, the extension stays, unassigned, with the direct copy.
    let now = holding(2000, &[(Code::TeamChat, 1)], &w);
    let r = reconcile(&member(Status::Active), &Inherited::default(), &now, &mut p);
    assert!(!r.changes.contains(&Change::DeleteExtension(key(2000))));
    let ext = r.after.extension.unwrap();
    assert_eq!(
        (ext.member, ext.addons),
        (None, addons(&[(Code::TeamChat, 1)]))
    );
}

#[test]
fn leaving_never_takes_a_direct_extension() {
    let w = wanted(&[("a", json!({"extension": true, "addons": {"team_chat": 1}}))]);
    let mut inh = w.clone();
    inh.extension.clear();
    let now = holding(1000, &[], &inh);
    let mut p = pool(
        &[(Code::PhoneSystem, 10, 1), (Code::TeamChat, 10, 1)],
        &[1000],
    );
    let r = reconcile(&member(Status::Active), &Inherited::default(), &now, &mut p);
    let ext = r.after.extension.unwrap();
    assert_eq!((ext.member.is_some(), ext.addons.is_empty()), (true, true));
}

#[test]
fn a_member_that_does_not_fit_still_loses_what_no_team_grants() {
    let a = wanted(&[("a", json!({"extension": true, "addons": {"team_chat": 1}}))]);
    let now = holding(2000, &[], &a);
    // Moved from a to b, whose call_recording seat is not there.
    let b = wanted(&[(
        "b",
        json!({"extension": true, "addons": {"call_recording": 1}}),
    )]);
    let mut p = pool(
        &[
            (Code::PhoneSystem, 10, 1),
            (Code::TeamChat, 10, 1),
            (Code::CallRecording, 0, 0),
        ],
        &[2000],
    );
    let r = reconcile(&member(Status::Active), &b, &now, &mut p);
    assert_eq!(r.state, Some(State::Waiting(ErrorCode::SeatsExhausted)));
    // Nothing granted, team_chat and the assignment (a's) revoked: b's grant is not in yet.
    assert!(r.changes.contains(&Change::DeleteExtension(key(2000))));
}

#[test]
fn a_disabled_member_keeps_what_it_holds_and_gains_nothing() {
    let w = wanted(&[("a", json!({"extension": true}))]);
    let mut p = pool(&[(Code::PhoneSystem, 10, 0)], &[]);
    let r = reconcile(&member(Status::Disabled), &w, &Holding::default(), &mut p);
    assert_eq!(r.state, Some(State::Error(ErrorCode::MemberDisabled)));
    assert!(r.changes.is_empty());
    let now = holding(2000, &[], &w);
    let r = reconcile(&member(Status::Disabled), &w, &now, &mut p);
    assert_eq!((r.outcome, r.state), (Outcome::Unchanged, Some(State::Ok)));
}

#[test]
fn a_batch_takes_seats_and_keys_member_by_member() {
    let w = wanted(&[("a", json!({"extension": {"from": 2000, "to": 2009}}))]);
    let mut p = pool(&[(Code::PhoneSystem, 2, 0)], &[]);
    let first = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    let second = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    let third = reconcile(&member(Status::Active), &w, &Holding::default(), &mut p);
    assert_eq!(first.after.extension.unwrap().key, key(2000));
    assert_eq!(second.after.extension.unwrap().key, key(2001));
    assert_eq!(third.outcome, Outcome::Wait);
}

#[test]
fn direct_writes_may_not_drop_inherited_copies_or_assignments() {
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"device_mobile_app": 2}}),
    )]);
    let now = holding(2000, &[], &w);
    let e = check_direct_write(&now, key(2000), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InheritedFromTeam);
    assert_eq!(e.details["teams"], json!(["a"]));
    let e = check_direct_write(
        &now,
        key(2000),
        Some(&addons(&[(Code::DeviceMobileApp, 1)])),
    );
    assert_eq!(e.unwrap_err().code, ErrorCode::InheritedFromTeam);
    assert!(check_direct_write(
        &now,
        key(2000),
        Some(&addons(&[(Code::DeviceMobileApp, 2), (Code::TeamChat, 1)]))
    )
    .is_ok());
    assert!(check_direct_write(&Holding::default(), key(2000), None).is_ok());
}

#[test]
fn direct_writes_own_only_the_copies_beyond_the_inherited_ones() {
    let w = wanted(&[(
        "a",
        json!({"extension": true, "addons": {"device_mobile_app": 2}}),
    )]);
    let now = holding(2000, &[(Code::DeviceMobileApp, 1)], &w);
    // Writing back what was read changes nothing direct.
    assert_eq!(
        direct_after_write(&now, &addons(&[(Code::DeviceMobileApp, 2)])),
        addons(&[(Code::DeviceMobileApp, 1)])
    );
    // Beyond the inherited count the copies are direct.
    assert_eq!(
        direct_after_write(
            &now,
            &addons(&[(Code::DeviceMobileApp, 3), (Code::TeamChat, 1)])
        ),
        addons(&[(Code::DeviceMobileApp, 3), (Code::TeamChat, 1)])
    );
}

#[test]
fn states_split_waiting_from_error() {
    assert_eq!(
        State::refused(ErrorCode::SeatsExhausted).as_str(),
        "waiting"
    );
    assert_eq!(
        State::refused(ErrorCode::ExtensionRangeExhausted).as_str(),
        "error"
    );
    assert_eq!(State::refused(ErrorCode::AddonLimit).as_str(), "error");
    assert_eq!(
        State::parse("waiting", Some(ErrorCode::SeatsExhausted)),
        Some(State::Waiting(ErrorCode::SeatsExhausted))
    );
    assert_eq!(State::parse("waiting", None), None);
}

fn team_of(id: &str, enabled: bool, members: &[&str]) -> crate::model::Team {
    crate::model::Team {
        id: team(id),
        name: id.into(),
        enabled,
        members: members.iter().map(|m| MemberId((*m).into())).collect(),
        created_at: String::new(),
        updated_at: String::new(),
    }
}

#[test]
fn only_enabled_templated_teams_are_inherited_from() {
    let teams = [
        team_of("a", true, &["m1", "m2"]),
        team_of("b", false, &["m1"]),
        team_of("c", true, &["m3"]),
    ];
    let templates = vec![
        (team("a"), tpl(json!({"extension": true}))),
        (
            team("b"),
            tpl(json!({"extension": true, "addons": {"team_chat": 1}})),
        ),
    ];
    let w = wanted_by_member(&teams, &templates);
    assert_eq!(w.len(), 2, "m3's team has no template");
    let m1 = &w[&MemberId("m1".into())];
    assert_eq!(m1.count(Code::TeamChat), 0, "b is disabled");
    assert_eq!(m1.teams().into_iter().collect::<Vec<_>>(), [team("a")]);
}

#[test]
fn a_batch_frees_keys_before_it_inserts_and_writes_only_changed_states() {
    let w = wanted(&[("a", json!({"extension": {"from": 2000, "to": 2000}}))]);
    let mut leaving = member(Status::Active);
    leaving.id = MemberId("m0".into());
    let joining = member(Status::Active);
    let mut holdings = HashMap::new();
    holdings.insert(leaving.id.clone(), holding(2000, &[], &w));
    let mut wants = HashMap::new();
    wants.insert(joining.id.clone(), w.clone());
    let mut p = pool(&[(Code::PhoneSystem, 1, 1)], &[2000]);
    let results = reconcile_all(
        &[leaving.clone(), joining.clone()],
        &wants,
        &holdings,
        &mut p,
    );
    assert_eq!(
        results[1].outcome,
        Outcome::Grant,
        "the key 2000 the first gave back"
    );
    let mut current = HashMap::new();
    current.insert(leaving.id.clone(), (State::Ok, vec![team("a")]));
    let applied = decision(&results, &current);
    let c = &applied.decision.changes;
    let del = c
        .iter()
        .position(|c| *c == Change::DeleteExtension(key(2000)))
        .unwrap();
    let ins = c
        .iter()
        .position(|c| matches!(c, Change::InsertExtensions(_)))
        .unwrap();
    assert!(del < ins, "{c:?}");
    assert_eq!(
        applied.state_changes,
        [
            (leaving.id.clone(), None),
            (joining.id.clone(), Some((State::Ok, vec![team("a")])))
        ]
    );
    assert_eq!(applied.decision.audit.len(), 2);
    // Nothing changed: no state written again.
    let mut current = HashMap::new();
    current.insert(joining.id.clone(), (State::Ok, vec![team("a")]));
    let holdings: HashMap<_, _> = [(joining.id.clone(), results[1].after.clone())].into();
    let again = reconcile_all(std::slice::from_ref(&joining), &wants, &holdings, &mut p);
    assert_eq!(decision(&again, &current), Applied::default());
}

//! Contact Center readiness and role, and what a member is entitled to.

use seatline_domain::rules::{change_role, set_status};
use seatline_domain::{
    contact_center, entitled_codes, CcRole, Change, Code, Decision, Member, Missing, Role, Seats,
    Status,
};
use serde_json::json;

use crate::support::*;

use Code::*;
use Missing::{Device, LicenseCenter as NoCenter, MemberDisabled, NoExtension};

/// The member a decision's last UpdateMember writes.
fn updated(d: &Decision) -> Member {
    match d.changes.last() {
        Some(Change::UpdateMember(m)) => m.clone(),
        other => panic!("expected UpdateMember, got {other:?}"),
    }
}

#[test]
fn readiness_lists_exactly_what_is_missing() {
    // (case, status, the extension's add-ons or None without extension, missing)
    type Case<'a> = (&'a str, Status, Option<&'a [Code]>, &'a [Missing]);
    let cases: &[Case] = &[
        (
            "center and web phone",
            Status::Active,
            Some(&[LicenseCenter, DeviceWebRtc]),
            &[],
        ),
        (
            "center and IP phone",
            Status::Active,
            Some(&[LicenseCenter, DeviceIpPhone]),
            &[],
        ),
        (
            "center and mobile",
            Status::Active,
            Some(&[LicenseCenter, DeviceMobileApp]),
            &[],
        ),
        (
            "center and desktop",
            Status::Active,
            Some(&[LicenseCenter, DeviceDesktopApp]),
            &[],
        ),
        (
            "center, two mobiles and extras",
            Status::Active,
            Some(&[LicenseCenter, DeviceMobileApp, DeviceMobileApp, TeamChat]),
            &[],
        ),
        ("no extension", Status::Active, None, &[NoExtension]),
        (
            "a device but no center",
            Status::Active,
            Some(&[DeviceWebRtc]),
            &[NoCenter],
        ),
        (
            "center but no device",
            Status::Active,
            Some(&[LicenseCenter]),
            &[Device],
        ),
        (
            "center and only non-device add-ons",
            Status::Active,
            Some(&[LicenseCenter, LicenseNumber, CallRecording, TeamChat]),
            &[Device],
        ),
        (
            "a bare extension",
            Status::Active,
            Some(&[]),
            &[NoCenter, Device],
        ),
        (
            "disabled with everything else",
            Status::Disabled,
            Some(&[LicenseCenter, DeviceWebRtc]),
            &[MemberDisabled],
        ),
        (
            "disabled without extension",
            Status::Disabled,
            None,
            &[MemberDisabled, NoExtension],
        ),
        (
            "disabled with a bare extension",
            Status::Disabled,
            Some(&[]),
            &[MemberDisabled, NoCenter, Device],
        ),
    ];
    for (case, status, codes, missing) in cases {
        let m = member("m1", Role::Member, *status);
        let e = codes.map(|c| held_by(ext(1001, c), &m));
        let cc = contact_center(&m, e.as_ref(), &Seats::default());
        assert_eq!(cc.missing, *missing, "{case}");
        assert_eq!(cc.ready, missing.is_empty(), "{case}");
    }
}

#[test]
fn owners_and_admins_supervise_members_are_agents() {
    for (role, want) in [
        (Role::Owner, CcRole::Supervisor),
        (Role::Admin, CcRole::Supervisor),
        (Role::Member, CcRole::Agent),
    ] {
        // The role does not depend on readiness.
        assert_eq!(
            contact_center(&active("x", role), None, &Seats::default()).role,
            want,
            "{role:?}"
        );
    }
}

#[test]
fn a_role_change_flips_supervisor_and_agent() {
    let agent = active("m1", Role::Member);
    let e = held_by(ext(1001, &[LicenseCenter, DeviceWebRtc]), &agent);
    assert_eq!(
        contact_center(&agent, Some(&e), &Seats::default()).role,
        CcRole::Agent
    );

    let admin = updated(&change_role(&agent, Role::Admin).unwrap());
    let cc = contact_center(&admin, Some(&e), &Seats::default());
    assert_eq!((cc.role, cc.ready), (CcRole::Supervisor, true));

    let back = updated(&change_role(&admin, Role::Member).unwrap());
    assert_eq!(
        contact_center(&back, Some(&e), &Seats::default()).role,
        CcRole::Agent
    );
}

#[test]
fn disabling_loses_readiness_and_entitlements_enabling_restores_them() {
    let m = active("m1", Role::Member);
    let e = held_by(ext(1001, &[LicenseCenter, DeviceWebRtc]), &m);
    assert!(contact_center(&m, Some(&e), &Seats::default()).ready);
    assert_eq!(
        entitled_codes(&m, Some(&e), &Seats::default()),
        [PhoneSystem, DeviceWebRtc, LicenseCenter]
    );

    let off = updated(&set_status(&m, Status::Disabled).unwrap());
    let cc = contact_center(&off, Some(&e), &Seats::default());
    assert_eq!(
        (cc.ready, cc.missing.as_slice()),
        (false, &[MemberDisabled][..])
    );
    assert_eq!(entitled_codes(&off, Some(&e), &Seats::default()), []);

    let on = updated(&set_status(&off, Status::Active).unwrap());
    assert!(contact_center(&on, Some(&e), &Seats::default()).ready);
}

#[test]
fn without_an_extension_nothing_is_entitled() {
    assert_eq!(
        entitled_codes(&active("m1", Role::Member), None, &Seats::default()),
        []
    );
}

#[test]
fn wire_shape() {
    let m = active("m1", Role::Admin);
    let e = held_by(ext(1001, &[]), &m);
    assert_eq!(
        serde_json::to_value(contact_center(&m, Some(&e), &Seats::default())).unwrap(),
        json!({"role": "supervisor", "ready": false, "missing": ["license_center", "device"]})
    );
    let off = member("m2", Role::Member, Status::Disabled);
    assert_eq!(
        serde_json::to_value(contact_center(&off, None, &Seats::default())).unwrap(),
        json!({"role": "agent", "ready": false, "missing": ["member_disabled", "no_extension"]})
    );
}

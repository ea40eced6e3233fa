//! Assign, unassign and reassign a member to an extension: add-ons and numbers stay.

use seatline_domain::rules::{assign, unassign};
use seatline_domain::{Change, Code, ErrorCode, Role, Status};
use serde_json::json;

use crate::support::*;

#[test]
fn assigns_an_active_member_without_an_extension() {
    let m = active("m1", Role::Member);
    let e = ext(1001, &[Code::LicenseCenter]);
    let d = assign(&e, None, &m, None, false).unwrap();
    assert_eq!(
        d.changes,
        [Change::SetExtensionMember {
            key: key(1001),
            member: Some(m.id.clone())
        }]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "extension.assign");
    assert_eq!(a.target, "extension:1001");
    assert_eq!(a.before["member"], json!(null));
    assert_eq!(a.after["member"], json!("m1"));
    assert_eq!(a.after["addons"], json!(["license_center"]));
}

#[test]
fn refusals() {
    let m = active("m1", Role::Member);
    let other = active("m2", Role::Member);
    let off = member("m3", Role::Member, Status::Disabled);
    let free = ext(1001, &[]);
    let taken = held_by(ext(1001, &[]), &other);
    let cases = [
        (
            "the extension has another member",
            &taken,
            &m,
            None,
            ErrorCode::ExtensionHasMember,
            json!({"member": "m2"}),
        ),
        (
            "the member is disabled",
            &free,
            &off,
            None,
            ErrorCode::MemberDisabled,
            json!({"member": "m3"}),
        ),
        (
            "the member already holds an extension",
            &free,
            &m,
            Some(key(1002)),
            ErrorCode::MemberHasExtension,
            json!({"extension": "1002"}),
        ),
    ];
    for (case, e, who, held, code, details) in cases {
        let err = refused(assign(e, Some(&other), who, held, false));
        assert_eq!(err.code, code, "{case}: {err}");
        if code == ErrorCode::ExtensionHasMember {
            // The holder by email, as admins know members.
            assert!(
                err.message.contains("to m2@example.com;"),
                "{}",
                err.message
            );
        }
        assert_eq!(serde_json::Value::Object(err.details), details, "{case}");
    }
    // Reassigning still refuses a disabled member or one holding another extension.
    assert_eq!(
        refused(assign(&taken, None, &off, None, true)).code,
        ErrorCode::MemberDisabled
    );
    assert_eq!(
        refused(assign(&taken, None, &m, Some(key(1002)), true)).code,
        ErrorCode::MemberHasExtension
    );
}

#[test]
fn assigning_the_same_member_again_changes_nothing() {
    let m = active("m1", Role::Member);
    let e = held_by(ext(1001, &[]), &m);
    assert_noop(&assign(&e, None, &m, Some(key(1001)), false).unwrap());
    assert_noop(&assign(&e, None, &m, Some(key(1001)), true).unwrap());
}

#[test]
fn reassigning_keeps_addons_and_numbers() {
    let before = active("m1", Role::Member);
    let after = active("m2", Role::Admin);
    let e = with_numbers(
        held_by(
            ext(
                1001,
                &[Code::LicenseCenter, Code::DeviceWebRtc, Code::LicenseNumber],
            ),
            &before,
        ),
        &["+6531234567"],
    );
    let d = assign(&e, None, &after, None, true).unwrap();
    // Only the member changes: no SetAddons, no SetNumbers.
    assert_eq!(
        d.changes,
        [Change::SetExtensionMember {
            key: key(1001),
            member: Some(after.id.clone())
        }]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "extension.reassign");
    let kept = json!({
        "addons": ["device_web_rtc", "license_center", "license_number"],
        "numbers": ["+6531234567"],
    });
    for side in [&a.before, &a.after] {
        assert_eq!(side["addons"], kept["addons"]);
        assert_eq!(side["numbers"], kept["numbers"]);
    }
    assert_eq!(
        (&a.before["member"], &a.after["member"]),
        (&json!("m1"), &json!("m2"))
    );
}

#[test]
fn unassigning_keeps_addons_and_numbers() {
    let m = active("m1", Role::Member);
    let e = with_numbers(
        held_by(ext(1001, &[Code::LicenseNumber, Code::TeamChat]), &m),
        &["+6531234567"],
    );
    let d = unassign(&e);
    assert_eq!(
        d.changes,
        [Change::SetExtensionMember {
            key: key(1001),
            member: None
        }]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "extension.unassign");
    assert_eq!(a.before["member"], json!("m1"));
    assert_eq!(
        a.after,
        json!({"key": "1001", "member": null, "addons": ["license_number", "team_chat"], "numbers": ["+6531234567"]})
    );
    assert_noop(&unassign(&ext(1002, &[Code::TeamChat])));
}

//! The organization with its owner, and members: create, roles, ownership, status, delete.

use seatline_domain::rules::{
    change_role, create_member, create_org, delete_member, may_set_status, new_member, new_org,
    set_status, transfer_ownership,
};
use seatline_domain::{member_json, Change, Code, Email, ErrorCode, MemberId, OrgId, Role, Status};
use serde_json::{json, Value};

use crate::support::*;

#[test]
fn create_org_inserts_the_org_and_an_active_owner() {
    let org = new_org(
        OrgId("o1".into()),
        " Acme ",
        "2026-01-01T00:00:00.000Z".into(),
    )
    .unwrap();
    assert_eq!(org.name, "Acme");
    // Whatever role and status the owner is handed in with, it becomes the active owner.
    let given = member("boss", Role::Member, Status::Disabled);
    let d = create_org(org.clone(), given);
    let owner = active("boss", Role::Owner);
    assert_eq!(
        d.changes,
        [Change::InsertOrg(org), Change::InsertMember(owner.clone())]
    );
    let a = one_audit(&d);
    assert_eq!(a.action, "org.create");
    assert_eq!(a.target, "org:o1");
    assert_eq!(a.before, Value::Null);
    assert_eq!(
        a.after,
        json!({"id": "o1", "name": "Acme", "owner": member_json(&owner)})
    );
}

#[test]
fn names_and_emails_are_validated() {
    let e = refused(new_org(OrgId("o1".into()), "  ", "now".into()));
    assert_error(&e, ErrorCode::InvalidName, json!({"field": "name"}));
    let long = "x".repeat(201);
    let e = refused(new_member(
        MemberId("m".into()),
        "a@example.com".parse().unwrap(),
        &long,
        Role::Member,
    ));
    assert_error(&e, ErrorCode::InvalidName, json!({"field": "name"}));
    let e = refused("ann@example".parse::<Email>());
    assert_error(&e, ErrorCode::InvalidEmail, json!({"value": "ann@example"}));
    let e = refused("boss".parse::<Role>());
    assert_error(&e, ErrorCode::InvalidRole, json!({"value": "boss"}));
    let e = refused("gone".parse::<Status>());
    assert_error(&e, ErrorCode::InvalidStatus, json!({"value": "gone"}));
}

#[test]
fn who_may_create_which_role() {
    // (actor role, None = operator; new member's role; allowed?)
    let cases = [
        (Some(Role::Owner), Role::Admin, None),
        (Some(Role::Owner), Role::Member, None),
        (Some(Role::Admin), Role::Member, None),
        (Some(Role::Admin), Role::Admin, Some(ErrorCode::Forbidden)),
        (Some(Role::Owner), Role::Owner, Some(ErrorCode::Forbidden)),
        (Some(Role::Admin), Role::Owner, Some(ErrorCode::Forbidden)),
        (None, Role::Owner, Some(ErrorCode::Forbidden)),
    ];
    for (actor, role, refusal) in cases {
        let new = active("new", role);
        let r = create_member(actor, new.clone(), false);
        match refusal {
            None => {
                let d = r.unwrap_or_else(|e| panic!("{actor:?} creating {role:?}: {e}"));
                assert_eq!(d.changes, [Change::InsertMember(new.clone())]);
                let a = one_audit(&d);
                assert_eq!(a.action, "member.create");
                assert_eq!(a.target, "member:new");
                assert_eq!(a.before, Value::Null);
                assert_eq!(a.after, member_json(&new));
            }
            Some(code) => assert_eq!(refused(r).code, code, "{actor:?} creating {role:?}"),
        }
    }
}

#[test]
fn a_taken_email_is_refused() {
    let e = refused(create_member(
        Some(Role::Owner),
        active("m1", Role::Member),
        true,
    ));
    assert_error(&e, ErrorCode::EmailTaken, json!({"field": "email"}));
}

#[test]
fn change_role_between_admin_and_member() {
    let m = active("m1", Role::Member);
    let d = change_role(&m, Role::Admin).unwrap();
    let promoted = active("m1", Role::Admin);
    assert_eq!(d.changes, [Change::UpdateMember(promoted.clone())]);
    let a = one_audit(&d);
    assert_eq!(a.action, "member.role");
    assert_eq!(a.target, "member:m1");
    assert_eq!(a.before["role"], "member");
    assert_eq!(a.after, member_json(&promoted));

    assert_noop(&change_role(&promoted, Role::Admin).unwrap());
    // A disabled member's role may change too; it stays disabled.
    let d = change_role(&member("m2", Role::Admin, Status::Disabled), Role::Member).unwrap();
    assert_eq!(
        d.changes,
        [Change::UpdateMember(member(
            "m2",
            Role::Member,
            Status::Disabled
        ))]
    );
}

#[test]
fn the_owner_role_moves_only_by_transfer() {
    let owner = active("boss", Role::Owner);
    for role in [Role::Admin, Role::Member, Role::Owner] {
        assert_eq!(
            refused(change_role(&owner, role)).code,
            ErrorCode::OwnerProtected,
            "owner to {role:?}"
        );
    }
    for from in [Role::Admin, Role::Member] {
        assert_eq!(
            refused(change_role(&active("m1", from), Role::Owner)).code,
            ErrorCode::Forbidden,
            "{from:?} to owner"
        );
    }
}

#[test]
fn transfer_ownership_swaps_owner_and_admin() {
    let owner = active("boss", Role::Owner);
    let heir = active("heir", Role::Member);
    let d = transfer_ownership(&owner, &heir).unwrap();
    // The old owner is demoted first, so there is one owner at every step.
    assert_eq!(
        d.changes,
        [
            Change::UpdateMember(active("boss", Role::Admin)),
            Change::UpdateMember(active("heir", Role::Owner)),
        ]
    );
    let actions: Vec<(&str, &str, &Value, &Value)> = d
        .audit
        .iter()
        .map(|a| (a.action, a.target.as_str(), &a.before, &a.after))
        .collect();
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0].0, "member.role");
    assert_eq!(actions[0].1, "member:boss");
    assert_eq!(
        (&actions[0].2["role"], &actions[0].3["role"]),
        (&json!("owner"), &json!("admin"))
    );
    assert_eq!(actions[1].0, "org.transfer_ownership");
    assert_eq!(actions[1].1, "member:heir");
    assert_eq!(
        (&actions[1].2["role"], &actions[1].3["role"]),
        (&json!("member"), &json!("owner"))
    );

    assert_noop(&transfer_ownership(&owner, &owner).unwrap());
    let e = refused(transfer_ownership(
        &owner,
        &member("heir", Role::Admin, Status::Disabled),
    ));
    assert_eq!(e.code, ErrorCode::MemberDisabled);
}

#[test]
fn disable_and_enable() {
    let cases = [
        (
            active("m1", Role::Member),
            Status::Disabled,
            Ok("member.disable"),
        ),
        (
            active("a1", Role::Admin),
            Status::Disabled,
            Ok("member.disable"),
        ),
        (
            member("m1", Role::Member, Status::Disabled),
            Status::Active,
            Ok("member.enable"),
        ),
        (
            active("boss", Role::Owner),
            Status::Disabled,
            Err(ErrorCode::OwnerProtected),
        ),
    ];
    for (m, status, want) in cases {
        let r = set_status(&m, status);
        match want {
            Ok(action) => {
                let d = r.unwrap_or_else(|e| panic!("{} to {status:?}: {e}", m.id));
                let after = seatline_domain::Member {
                    status,
                    ..m.clone()
                };
                assert_eq!(d.changes, [Change::UpdateMember(after.clone())]);
                let a = one_audit(&d);
                assert_eq!(a.action, action);
                assert_eq!(a.before, member_json(&m));
                assert_eq!(a.after, member_json(&after));
            }
            Err(code) => assert_eq!(refused(r).code, code, "{} to {status:?}", m.id),
        }
    }
    assert_noop(&set_status(&active("boss", Role::Owner), Status::Active).unwrap());
    assert_noop(
        &set_status(
            &member("m1", Role::Member, Status::Disabled),
            Status::Disabled,
        )
        .unwrap(),
    );
}

#[test]
fn admins_set_the_status_of_members_only_and_no_one_their_own() {
    use seatline_domain::permissions::Actor;
    let by = |id: &str, role| Actor::Member {
        id: MemberId(id.into()),
        role,
        status: Status::Active,
        scope: None,
    };
    let cases = [
        (by("boss", Role::Owner), active("a1", Role::Admin), true),
        (by("boss", Role::Owner), active("m1", Role::Member), true),
        // The owner as a target is set_status's: owner_protected.
        (by("boss", Role::Owner), active("boss", Role::Owner), true),
        (by("a1", Role::Admin), active("m1", Role::Member), true),
        (by("a1", Role::Admin), active("a2", Role::Admin), false),
        (by("a1", Role::Admin), active("a1", Role::Admin), false),
        (by("a1", Role::Admin), active("boss", Role::Owner), true),
        (by("a1", Role::Admin), active("a1", Role::Member), false),
        (Actor::Operator, active("a1", Role::Admin), true),
    ];
    for (actor, target, ok) in cases {
        let r = may_set_status(&actor, &target);
        assert_eq!(r.is_ok(), ok, "{actor:?} on {}", target.id);
        if let Err(e) = r {
            assert_eq!(e.code, ErrorCode::Forbidden);
            assert!(e.message.contains("owner"), "{}", e.message);
        }
    }
}

#[test]
fn delete_only_a_disabled_member() {
    let e = refused(delete_member(&active("m1", Role::Member), None));
    assert_error(&e, ErrorCode::MemberActive, json!({}));
    let e = refused(delete_member(&active("boss", Role::Owner), None));
    assert_error(&e, ErrorCode::OwnerProtected, json!({}));
}

#[test]
fn deleting_keeps_the_extension_provisioned_and_unassigned() {
    let gone = member("m1", Role::Member, Status::Disabled);
    let e = with_numbers(
        held_by(
            ext(1001, &[Code::LicenseNumber, Code::LicenseCenter]),
            &gone,
        ),
        &["+6531234567"],
    );
    let d = delete_member(&gone, Some(&e)).unwrap();
    assert_eq!(
        d.changes,
        [
            Change::SetExtensionMember {
                key: key(1001),
                member: None
            },
            Change::DeleteMember(gone.id.clone()),
        ]
    );
    // The extension's unassignment is audited on its own, as every change of an extension.
    assert_eq!(d.audit.len(), 2, "{d:?}");
    assert_eq!(d.audit[0].action, "extension.unassign");
    assert_eq!(d.audit[0].target, "extension:1001");
    assert_eq!(d.audit[0].before["member"], json!("m1"));
    assert_eq!(d.audit[0].after["member"], Value::Null);
    let a = &d.audit[1];
    assert_eq!(a.action, "member.delete");
    assert_eq!(a.target, "member:m1");
    assert_eq!(
        a.before,
        json!({"member": member_json(&gone), "extension": "1001"})
    );
    assert_eq!(a.after, Value::Null);

    // Without an extension only the member goes.
    let d = delete_member(&gone, None).unwrap();
    assert_eq!(d.changes, [Change::DeleteMember(gone.id.clone())]);
    assert_eq!(one_audit(&d).before["extension"], Value::Null);
}

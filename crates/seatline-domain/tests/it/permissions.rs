//! The whole permission table of product.md §4, written out independently of PERMISSIONS:
//! permissions.rs unit-tests a sample; this checks every action for every kind of actor.
//! The actions come from `Action::ALL`, which the compiler fills: an action without its row
//! here fails the test.

use seatline_domain::permissions::{authorize, Action, Actor};
use seatline_domain::{ErrorCode, MemberId, Role, Status};

fn member(id: &str, role: Role, status: Status) -> Actor {
    Actor::Member {
        id: MemberId(id.into()),
        role,
        status,
        scope: None,
    }
}

#[test]
fn every_action_for_every_actor() {
    use Action::*;
    // Columns: operator, owner, admin, a member on itself, a member on another member.
    // Each actor acts on member "other", except the "itself" column which acts on "me".
    let table: &[(Action, [bool; 5])] = &[
        (CreateOrg, [true, false, false, false, false]),
        (SetQuantity, [true, false, false, false, false]),
        (ManageNumbers, [true, false, false, false, false]),
        (CreateMember, [false, true, true, false, false]),
        (ChangeRole, [false, true, false, false, false]),
        (TransferOwnership, [false, true, false, false, false]),
        (SetStatus, [false, true, true, false, false]),
        (DeleteMember, [false, true, false, false, false]),
        (Provision, [false, true, true, false, false]),
        (Deprovision, [false, true, true, false, false]),
        (Assign, [false, true, true, false, false]),
        (SetAddons, [false, true, true, false, false]),
        (SetNumbers, [false, true, true, false, false]),
        (Bulk, [false, true, true, false, false]),
        (ReadOrg, [true, true, true, false, false]),
        (ReadMember, [true, true, true, true, false]),
        (IssueToken, [true, true, false, true, false]),
        (SetPassword, [true, true, false, true, false]),
        (ManageScimTokens, [false, true, false, false, false]),
        (ManageWebhooks, [false, true, true, false, false]),
        (ReadEvents, [true, true, true, false, false]),
        (ReadEntitlements, [true, true, true, false, false]),
        (ReadExtensions, [true, true, true, false, false]),
        (ReadMembers, [true, true, true, false, false]),
        (ReadContactCenter, [true, true, true, false, false]),
        (ManageIntegrationTokens, [false, true, false, false, false]),
        (ResetPassword, [false, true, true, false, false]),
        (SendSignInLink, [false, true, true, false, false]),
        (ReadTeams, [true, true, true, false, false]),
        (ManageTeams, [false, true, true, false, false]),
        (SetScope, [false, true, false, false, false]),
        (ReadReports, [false, true, true, false, false]),
        (ReportActivity, [true, true, true, false, false]),
        (ManageTemplates, [false, true, true, false, false]),
    ];
    for action in Action::ALL {
        let rows = table.iter().filter(|(a, _)| a == action).count();
        assert_eq!(
            rows, 1,
            "{action:?} needs exactly one row in this table, has {rows}"
        );
    }
    let me = MemberId("me".into());
    let other = MemberId("other".into());
    let actors = [
        ("operator", Actor::Operator, &other),
        ("owner", member("boss", Role::Owner, Status::Active), &other),
        ("admin", member("adm", Role::Admin, Status::Active), &other),
        (
            "member on itself",
            member("me", Role::Member, Status::Active),
            &me,
        ),
        (
            "member on another",
            member("me", Role::Member, Status::Active),
            &other,
        ),
    ];
    for (action, allowed) in table {
        for ((who, actor, target), want) in actors.iter().zip(allowed) {
            let got = authorize(actor, *action, Some(target));
            assert_eq!(got.is_ok(), *want, "{who} {action:?}");
            if let Err(e) = got {
                assert_eq!(e.code, ErrorCode::Forbidden, "{who} {action:?}");
                let said = match actor {
                    Actor::Operator => "the operator token may not",
                    _ => "your role may not",
                };
                assert!(e.message.starts_with(said), "{}", e.message);
            }
        }
    }
}

#[test]
fn an_admin_may_read_and_get_tokens_for_itself() {
    let adm = member("adm", Role::Admin, Status::Active);
    let itself = MemberId("adm".into());
    assert!(authorize(&adm, Action::IssueToken, Some(&itself)).is_ok());
    assert!(authorize(&adm, Action::ReadMember, Some(&itself)).is_ok());
}

#[test]
fn a_disabled_member_may_do_nothing_at_all() {
    for role in [Role::Owner, Role::Admin, Role::Member] {
        let off = member("me", role, Status::Disabled);
        let me = MemberId("me".into());
        for action in [
            Action::ReadMember,
            Action::ReadOrg,
            Action::IssueToken,
            Action::Provision,
            Action::CreateMember,
        ] {
            assert_eq!(
                authorize(&off, action, Some(&me)).unwrap_err().code,
                ErrorCode::Forbidden,
                "disabled {role:?} {action:?}"
            );
        }
    }
}

//! Who may do what (product.md §4), as data the use cases consult.

use crate::error::{Error, ErrorCode};
use crate::values::{MemberId, Role, Status, TeamId};

/// Who is acting: the service provider's operator, or a member of the organization.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    Operator,
    Member {
        id: MemberId,
        role: Role,
        status: Status,
        /// The teams an admin is limited to (product.md §12); `None` is the whole
        /// organization, and is what every non-admin carries.
        scope: Option<Vec<TeamId>>,
    },
    /// A read-only integration token of an organization (the PBX, the contact center).
    Integration {
        id: String,
    },
    /// A SCIM token of an organization (the identity provider).
    Scim {
        id: String,
    },
    /// Seatline itself, acting on its own schedule (`lifecycle`: the time-driven
    /// subscription transitions). It holds no token and passes no permission check.
    System {
        id: &'static str,
    },
}

impl Actor {
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Operator
            | Actor::Integration { .. }
            | Actor::Scim { .. }
            | Actor::System { .. } => None,
            Actor::Member { role, .. } => Some(*role),
        }
    }
    /// How the audit log names this actor.
    pub fn label(&self) -> String {
        match self {
            Actor::Operator => "operator".to_owned(),
            Actor::Member { id, .. } => format!("member:{id}"),
            Actor::Integration { id } => format!("integration:{id}"),
            Actor::Scim { id } => format!("scim:{id}"),
            Actor::System { id } => format!("system:{id}"),
        }
    }
}

/// Declares [`Action`] and [`Action::ALL`] from one list, so that the compiler enumerates the
/// actions: a new action is in `ALL` the moment it exists, and the tests that walk `ALL` (one
/// row of [`PERMISSIONS`] per action, one row of the independent table in tests/it) fail
/// until it has its rows.
macro_rules! actions {
    ($($(#[$doc:meta])* $action:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $($(#[$doc])* $action,)*
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$action,)*];
        }
    };
}

actions! {
    CreateOrg,
    SetQuantity,
    ManageNumbers,
    CreateMember,
    ChangeRole,
    TransferOwnership,
    SetStatus,
    DeleteMember,
    Provision,
    Deprovision,
    Assign,
    SetAddons,
    SetNumbers,
    Bulk,
    /// Read anything in the organization.
    ReadOrg,
    /// Read one member's record and entitlements.
    ReadMember,
    IssueToken,
    SetPassword,
    /// Create, list and revoke the organization's SCIM tokens.
    ManageScimTokens,
    /// Create, change, test and replay webhook endpoints and read their deliveries.
    ManageWebhooks,
    // the change feed (product.md §8): what a PBX or contact center reads, as rows an
    // integration token is in
    /// Read the organization's change feed.
    ReadEvents,
    /// Read the entitlements snapshot of every extension.
    ReadEntitlements,
    /// List and read extensions.
    ReadExtensions,
    /// List members (one member's record is `ReadMember`).
    ReadMembers,
    /// Read every member's Contact Center role and readiness.
    ReadContactCenter,
    /// Create, list and revoke integration tokens.
    ManageIntegrationTokens,
    /// Make a one-time password reset link for a member (admin UI).
    ResetPassword,
    /// Make a one-time sign-in link for a member (admin UI, API).
    SendSignInLink,
    // Teams (product.md §12)
    /// List and read teams (a team-scoped admin reads its own).
    ReadTeams,
    /// Create, rename, enable or disable and delete teams, and set their members.
    ManageTeams,
    /// Limit an admin to teams, or give it the whole organization again.
    SetScope,
    /// Read the usage report and its findings (product.md §11); cleanup plans are `Bulk`.
    ReadReports,
    /// Report activity seen by the PBX or the contact center (product.md §14). An
    /// integration token does only if the owner created it with `can_report_activity`: the
    /// use case checks that flag, the one write such a token may do.
    ReportActivity,
    /// Set, plan and delete a team's license template (product.md §13); reading one is
    /// `ReadTeams`. Not SCIM's: an identity provider moves members, an admin sets licenses.
    ManageTemplates,
}

/// A party in the permission table; `Itself` is a member acting on its own record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Operator,
    Owner,
    /// An admin of the whole organization.
    Admin,
    /// An admin limited to teams: every row it is in, it is in only for the members of its
    /// teams and the extensions unassigned or held by them (the app's loading applies the
    /// [`crate::Scope`]); it is in no row that reaches beyond them.
    ScopedAdmin,
    Itself,
    /// An integration token: reads what a PBX or contact center needs, changes nothing.
    Integration,
    /// A SCIM token: provisions members through the same rules.
    Scim,
}

use Who::{Admin, Integration, Itself, Operator, Owner, Scim, ScopedAdmin};

/// The permission table of product.md §4. Finer rules (an admin creates only members, the
/// owner role moves only by transfer) live in the rules themselves.
pub const PERMISSIONS: &[(Action, &[Who])] = &[
    (Action::CreateOrg, &[Operator]),
    (Action::SetQuantity, &[Operator]),
    (Action::ManageNumbers, &[Operator]),
    // A member a team-scoped admin created would be in none of its teams: out of its reach
    // the moment it exists. Members reach its teams through the owner, an admin or SCIM.
    (Action::CreateMember, &[Owner, Admin, Scim]),
    (Action::ChangeRole, &[Owner]),
    (Action::TransferOwnership, &[Owner]),
    (Action::SetStatus, &[Owner, Admin, ScopedAdmin, Scim]),
    (Action::DeleteMember, &[Owner, Scim]),
    (Action::Provision, &[Owner, Admin, ScopedAdmin, Scim]),
    (Action::Deprovision, &[Owner, Admin, ScopedAdmin]),
    (Action::Assign, &[Owner, Admin, ScopedAdmin, Scim]),
    (Action::SetAddons, &[Owner, Admin, ScopedAdmin, Scim]),
    (Action::SetNumbers, &[Owner, Admin, ScopedAdmin, Scim]),
    (Action::Bulk, &[Owner, Admin, ScopedAdmin]),
    // Every read of the organization, the bulk sample, stored plans and the export
    // included: the operator reads all of them, members none (their own record and
    // extension come through ReadMember). A team-scoped admin's audit and export are
    // filtered to its scope.
    (
        Action::ReadOrg,
        &[Operator, Owner, Admin, ScopedAdmin, Scim],
    ),
    (
        Action::ReadMember,
        &[Operator, Owner, Admin, ScopedAdmin, Itself, Integration],
    ),
    (Action::IssueToken, &[Operator, Owner, Itself]),
    (Action::SetPassword, &[Operator, Owner, Itself]),
    (Action::ManageWebhooks, &[Owner, Admin]),
    // the change feed (product.md §8): the whole organization's, so never a scoped admin's
    (Action::ReadEvents, &[Operator, Owner, Admin, Integration]),
    (
        Action::ReadEntitlements,
        &[Operator, Owner, Admin, Integration],
    ),
    (
        Action::ReadExtensions,
        &[Operator, Owner, Admin, ScopedAdmin, Integration],
    ),
    (
        Action::ReadMembers,
        &[Operator, Owner, Admin, ScopedAdmin, Integration],
    ),
    (
        Action::ReadContactCenter,
        &[Operator, Owner, Admin, ScopedAdmin, Integration],
    ),
    (Action::ManageIntegrationTokens, &[Owner]),
    (Action::ManageScimTokens, &[Owner]),
    (Action::ResetPassword, &[Owner, Admin, ScopedAdmin]),
    // The operator gives an owner its first link only by creating the organization.
    (Action::SendSignInLink, &[Owner, Admin, ScopedAdmin]),
    // teams (product.md §12)
    (
        Action::ReadTeams,
        &[Operator, Owner, Admin, ScopedAdmin, Scim],
    ),
    (Action::ManageTeams, &[Owner, Admin, Scim]),
    (Action::SetScope, &[Owner]),
    (Action::ReadReports, &[Owner, Admin, ScopedAdmin]),
    (
        Action::ReportActivity,
        &[Operator, Owner, Admin, Integration],
    ),
    (Action::ManageTemplates, &[Owner, Admin]),
];

fn describe(action: Action) -> &'static str {
    match action {
        Action::CreateOrg => "create organizations",
        Action::SetQuantity => "set purchased quantities",
        Action::ManageNumbers => "manage the number inventory",
        Action::CreateMember => "create members",
        Action::ChangeRole => "change roles",
        Action::TransferOwnership => "transfer ownership",
        Action::SetStatus => "disable or enable members",
        Action::DeleteMember => "delete members",
        Action::Provision => "provision extensions",
        Action::Deprovision => "deprovision extensions",
        Action::Assign => "assign extensions",
        Action::SetAddons => "set add-ons",
        Action::SetNumbers => "attach numbers",
        Action::Bulk => "run bulk assignment",
        Action::ReadOrg => "read the organization",
        Action::ReadMember => "read this member",
        Action::IssueToken => "issue tokens for this member",
        Action::SetPassword => "set this member's password",
        Action::ManageScimTokens => "manage SCIM tokens",
        Action::ManageWebhooks => "manage webhooks",
        Action::ReadEvents => "read the change feed",
        Action::ReadEntitlements => "read the entitlements snapshot",
        Action::ReadExtensions => "read extensions",
        Action::ReadMembers => "list members",
        Action::ReadContactCenter => "read Contact Center readiness",
        Action::ManageIntegrationTokens => "manage integration tokens",
        Action::ResetPassword => "reset members' passwords",
        Action::SendSignInLink => "make sign-in links for members",
        Action::ReadTeams => "read teams",
        Action::ManageTeams => "manage teams",
        Action::SetScope => "set an admin's scope",
        Action::ManageTemplates => "manage team license templates",
        Action::ReadReports => "read the usage report",
        Action::ReportActivity => "report activity",
    }
}

/// Whether `actor` may do `action`; `target` is the member acted on, if any.
pub fn authorize(actor: &Actor, action: Action, target: Option<&MemberId>) -> Result<(), Error> {
    let allowed = PERMISSIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, w)| *w)
        .unwrap_or(&[]);
    let ok = match actor {
        Actor::Operator => allowed.contains(&Operator),
        Actor::Integration { .. } => allowed.contains(&Integration),
        Actor::Scim { .. } => allowed.contains(&Scim),
        Actor::System { .. } => false,
        Actor::Member {
            status: Status::Disabled,
            ..
        } => false,
        Actor::Member {
            id, role, scope, ..
        } => {
            (allowed.contains(&Itself) && target == Some(id))
                || match role {
                    Role::Owner => allowed.contains(&Owner),
                    Role::Admin if scope.is_some() => allowed.contains(&ScopedAdmin),
                    Role::Admin => allowed.contains(&Admin),
                    Role::Member => false,
                }
        }
    };
    if ok {
        return Ok(());
    }
    let what = describe(action);
    // Only members have a role: a token without one is told what it is and what it may do.
    let message = match actor {
        Actor::Member {
            role: Role::Admin,
            scope: Some(_),
            ..
        } => format!(
            "an admin limited to teams may not {what}; ask the owner or an admin of the whole organization"
        ),
        Actor::Member { .. } => return Err(Error::forbidden(what)),
        Actor::Operator => format!(
            "the operator token may not {what}; use a token of the organization's owner or an admin"
        ),
        Actor::Integration { .. } => format!(
            "an integration token only reads what a PBX or contact center needs (extensions, members and their entitlements, the change feed, Contact Center readiness), and reports activity when created with can_report_activity; it may not {what}; use a member's token"
        ),
        Actor::Scim { .. } => format!(
            "a SCIM token provisions members through /scim/v2 and may not {what}; use a member's token"
        ),
        Actor::System { id } => {
            format!("Seatline's own {id} acts without permissions and may not {what}")
        }
    };
    Err(Error::new(ErrorCode::Forbidden, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, role: Role) -> Actor {
        Actor::Member {
            id: MemberId(id.into()),
            role,
            status: Status::Active,
            scope: None,
        }
    }

    fn scoped(id: &str) -> Actor {
        Actor::Member {
            id: MemberId(id.into()),
            role: Role::Admin,
            status: Status::Active,
            scope: Some(vec![TeamId("team_a".into())]),
        }
    }

    fn scim() -> Actor {
        Actor::Scim {
            id: "scim_1".into(),
        }
    }

    #[test]
    fn every_action_has_one_row() {
        for a in Action::ALL {
            let rows = PERMISSIONS.iter().filter(|(x, _)| x == a).count();
            assert_eq!(rows, 1, "{a:?}");
        }
    }

    #[test]
    fn matrix() {
        let me = MemberId("m1".into());
        let other = MemberId("m2".into());
        let cases: &[(Actor, Action, Option<&MemberId>, bool)] = &[
            (Actor::Operator, Action::CreateOrg, None, true),
            (m("o", Role::Owner), Action::CreateOrg, None, false),
            (Actor::Operator, Action::SetQuantity, None, true),
            (m("a", Role::Admin), Action::SetQuantity, None, false),
            (Actor::Operator, Action::Provision, None, false),
            (m("o", Role::Owner), Action::Provision, None, true),
            (m("a", Role::Admin), Action::Provision, None, true),
            (m("m1", Role::Member), Action::Provision, None, false),
            (m("a", Role::Admin), Action::ChangeRole, None, false),
            (m("o", Role::Owner), Action::ChangeRole, None, true),
            (m("a", Role::Admin), Action::DeleteMember, None, false),
            (m("a", Role::Admin), Action::SetStatus, None, true),
            (m("m1", Role::Member), Action::ReadMember, Some(&me), true),
            (
                m("m1", Role::Member),
                Action::ReadMember,
                Some(&other),
                false,
            ),
            (m("m1", Role::Member), Action::ReadOrg, None, false),
            (m("m1", Role::Member), Action::IssueToken, Some(&me), true),
            (m("a", Role::Admin), Action::IssueToken, Some(&other), false),
            (m("o", Role::Owner), Action::IssueToken, Some(&other), true),
            (Actor::Operator, Action::IssueToken, Some(&other), true),
            (scim(), Action::CreateMember, None, true),
            (scim(), Action::DeleteMember, None, true),
            (scim(), Action::Provision, None, true),
            (scim(), Action::SetAddons, None, true),
            (scim(), Action::ChangeRole, None, false),
            (scim(), Action::TransferOwnership, None, false),
            (scim(), Action::Deprovision, None, false),
            (scim(), Action::SetQuantity, None, false),
            (scim(), Action::IssueToken, Some(&other), false),
            (scim(), Action::Bulk, None, false),
            (scim(), Action::ManageScimTokens, None, false),
            (m("a", Role::Admin), Action::ManageScimTokens, None, false),
            (m("o", Role::Owner), Action::ManageScimTokens, None, true),
            (m("o", Role::Owner), Action::ManageWebhooks, None, true),
            (m("a", Role::Admin), Action::ManageWebhooks, None, true),
            (m("m1", Role::Member), Action::ManageWebhooks, None, false),
            (Actor::Operator, Action::ManageWebhooks, None, false),
            (
                Actor::Member {
                    id: me.clone(),
                    role: Role::Owner,
                    status: Status::Disabled,
                    scope: None,
                },
                Action::ReadMember,
                Some(&me),
                false,
            ),
        ];
        for (actor, action, target, want) in cases {
            let got = authorize(actor, *action, *target);
            assert_eq!(got.is_ok(), *want, "{actor:?} {action:?} {target:?}");
            if let Err(e) = got {
                assert_eq!(e.code, ErrorCode::Forbidden);
            }
        }
    }

    #[test]
    fn team_scoped_admins() {
        use Action::*;
        let allowed = [
            SetStatus,
            Provision,
            Deprovision,
            Assign,
            SetAddons,
            SetNumbers,
            Bulk,
            ReadOrg,
            ReadMember,
            ReadExtensions,
            ReadMembers,
            ReadContactCenter,
            ResetPassword,
            SendSignInLink,
            ReadTeams,
            // Its findings and cleanup plans are filtered by its scope (app/reports.rs).
            ReadReports,
        ];
        // §12: never teams, scopes, subscriptions, roles, others' tokens, webhooks or SCIM;
        // nor the whole organization's feed, nor new members (they would be out of scope).
        let refused = [
            ManageTeams,
            ManageTemplates,
            SetScope,
            SetQuantity,
            ChangeRole,
            TransferOwnership,
            DeleteMember,
            IssueToken,
            SetPassword,
            ManageWebhooks,
            ManageScimTokens,
            ManageIntegrationTokens,
            ReadEvents,
            ReadEntitlements,
            ReportActivity,
            CreateMember,
            CreateOrg,
            ManageNumbers,
        ];
        let other = MemberId("m2".into());
        for a in allowed {
            assert!(authorize(&scoped("a"), a, Some(&other)).is_ok(), "{a:?}");
        }
        for a in refused {
            let e = authorize(&scoped("a"), a, Some(&other)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden, "{a:?}");
            assert!(e.message.contains("limited to teams"), "{}", e.message);
        }
        // A scoped admin still acts on itself where anyone may.
        let me = MemberId("a".into());
        assert!(authorize(&scoped("a"), IssueToken, Some(&me)).is_ok());
        // Whole-organization admins and the owner manage teams; only the owner sets scopes.
        assert!(authorize(&m("x", Role::Admin), ManageTeams, None).is_ok());
        assert!(authorize(&m("x", Role::Admin), SetScope, None).is_err());
        assert!(authorize(&m("o", Role::Owner), SetScope, None).is_ok());
        assert!(authorize(&m("u", Role::Member), ReadTeams, None).is_err());
        assert!(authorize(&Actor::Integration { id: "i".into() }, ReadTeams, None).is_err());
        assert!(authorize(&scim(), ManageTeams, None).is_ok());
        // Every action's row is decided for a scoped admin: it is in the row or refused.
        assert_eq!(allowed.len() + refused.len(), PERMISSIONS.len());
    }
}

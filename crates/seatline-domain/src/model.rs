//! The entities of product.md §2 and the changes the rules decide on.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::catalog::Code;
use crate::subscription::{SubState, Subscription};
use crate::values::{Email, ExtKey, MemberId, OrgId, Role, Status, TeamId, E164};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub id: MemberId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub status: Status,
}

/// The multiset of add-on codes on one extension, as copies per code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addons(BTreeMap<Code, u32>);

impl Addons {
    pub fn count(&self, code: Code) -> u32 {
        self.0.get(&code).copied().unwrap_or(0)
    }
    pub fn add(&mut self, code: Code, copies: u32) {
        if copies > 0 {
            *self.0.entry(code).or_default() += copies;
        }
    }
    /// (code, copies) pairs in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = (Code, u32)> + '_ {
        self.0.iter().map(|(c, n)| (*c, *n))
    }
    /// Every copy as a code, in catalog order: the wire format.
    pub fn codes(&self) -> Vec<Code> {
        self.iter()
            .flat_map(|(c, n)| std::iter::repeat_n(c, n as usize))
            .collect()
    }
    pub fn has_device(&self) -> bool {
        self.0.keys().any(|c| c.is_device())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Code> for Addons {
    fn from_iter<I: IntoIterator<Item = Code>>(iter: I) -> Self {
        let mut a = Addons::default();
        for c in iter {
            a.add(c, 1);
        }
        a
    }
}

impl Serialize for Addons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.codes().serialize(s)
    }
}

/// One provisioned Phone System license.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extension {
    pub key: ExtKey,
    pub member: Option<MemberId>,
    pub addons: Addons,
    /// Attached numbers, sorted.
    pub numbers: Vec<E164>,
}

impl Extension {
    pub fn new(key: ExtKey) -> Self {
        Extension {
            key,
            member: None,
            addons: Addons::default(),
            numbers: Vec::new(),
        }
    }
    pub fn audit_json(&self) -> Value {
        json!({"key": self.key, "member": self.member, "addons": self.addons, "numbers": self.numbers})
    }
}

/// A number of the org's inventory and the extension it is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberRow {
    pub number: E164,
    pub extension: Option<ExtKey>,
}

/// Purchased and used seats of one code, and its subscription's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seat {
    pub purchased: u32,
    pub in_use: u32,
    pub state: SubState,
}

impl Seat {
    pub fn available(self) -> u32 {
        self.purchased.saturating_sub(self.in_use)
    }
    /// Copies in use beyond what is purchased (a renewal for fewer seats); nothing is removed.
    pub fn over_allocated(self) -> u32 {
        self.in_use.saturating_sub(self.purchased)
    }
}

/// Seats per code, and how many extensions have a member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seats {
    pub by_code: BTreeMap<Code, Seat>,
    pub assigned: u32,
}

impl Seats {
    pub fn get(&self, code: Code) -> Seat {
        self.by_code.get(&code).copied().unwrap_or_default()
    }
}

/// A team of the organization (product.md §12); its rules are in teams.rs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub enabled: bool,
    /// Sorted, no repeats.
    pub members: Vec<MemberId>,
    /// When the team was created and last changed (its members included): kept by the
    /// database, empty on a team not yet stored, never read by a rule.
    pub created_at: String,
    pub updated_at: String,
}

impl Team {
    pub fn audit_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "enabled": self.enabled, "members": self.members})
    }
}

/// One primitive mutation. A store applies a decision's changes, in order, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    InsertOrg(Org),
    SetPurchased {
        code: Code,
        quantity: u32,
    },
    InsertNumber(E164),
    DeleteNumber(E164),
    InsertMember(Member),
    /// Replace the member's email, name, role and status.
    UpdateMember(Member),
    DeleteMember(MemberId),
    /// New extensions with their member, add-ons and numbers (numbers must be free).
    InsertExtensions(Vec<Extension>),
    /// Remove an extension; its numbers go back to the inventory.
    DeleteExtension(ExtKey),
    SetExtensionMember {
        key: ExtKey,
        member: Option<MemberId>,
    },
    SetAddons {
        key: ExtKey,
        addons: Addons,
    },
    /// Replace the extension's attached numbers.
    SetNumbers {
        key: ExtKey,
        numbers: Vec<E164>,
    },
    /// Insert or replace a subscription: quantity, state, term and price (lifecycle, §10).
    SetSubscription(Subscription),
    /// SCIM (product.md §9): set the identity provider's `externalId` of a member and the
    /// last-modified time of its SCIM User, which also moves when a SCIM write changes only
    /// the member's extension. `given_name` and `family_name` are the User's name parts as
    /// the client wrote them, kept apart from the member's name (its `displayName`).
    SetScimFields {
        member: MemberId,
        external_id: Option<String>,
        given_name: Option<String>,
        family_name: Option<String>,
        modified_at: String,
    },
    // Teams (product.md §12). They change no entitlement, so they emit no events.
    /// A new team (its members as given, usually none).
    InsertTeam(Team),
    /// Replace a team's name and enabled flag (not its members).
    UpdateTeam(Team),
    /// Remove a team, its memberships and its place in admins' scopes.
    DeleteTeam(TeamId),
    /// Replace a team's members.
    SetTeamMembers {
        team: TeamId,
        members: Vec<MemberId>,
    },
    /// Set an admin's scope; `None` is the whole organization.
    SetScope {
        member: MemberId,
        teams: Option<Vec<TeamId>>,
    },
    // Team license templates (product.md §13).
    /// Set (`Some`) or remove a team's template.
    SetTemplate {
        team: TeamId,
        template: Option<crate::templates::Template>,
    },
    /// Replace a member's extension's held and direct add-on counts and its inherited part.
    SetGrant(crate::templates::Grant),
    /// Set (`Some`: state and the templated teams it is about) or clear a member's license
    /// state; its `since` moves only when the state or its code does.
    SetLicenseState {
        member: MemberId,
        state: Option<(crate::templates::State, Vec<TeamId>)>,
    },
}

/// What the audit log says about one decision; the use case adds actor, time and request id.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub action: &'static str,
    pub target: String,
    pub before: Value,
    pub after: Value,
}

/// The outcome of a rule: the changes to make and what to write in the audit log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub changes: Vec<Change>,
    pub audit: Vec<AuditRecord>,
}

impl Decision {
    pub fn one(
        change: Change,
        action: &'static str,
        target: impl Into<String>,
        before: Value,
        after: Value,
    ) -> Self {
        Decision {
            changes: vec![change],
            audit: vec![AuditRecord {
                action,
                target: target.into(),
                before,
                after,
            }],
        }
    }
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

pub fn member_json(m: &Member) -> Value {
    json!({"id": m.id, "email": m.email, "name": m.name, "role": m.role, "status": m.status})
}

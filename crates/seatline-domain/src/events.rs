//! The change feed's events (product.md §8), derived from a decision's changes and the state
//! they start from. The app calls [`derive`] where it applies changes and audit entries
//! together (`App::commit`, bulk apply), so no use case can change something without its events.
//!
//! The derivation replays the changes, in order, over the extensions and members they touch
//! as they were before: each change yields the events its difference makes. Seqs, ids, times
//! and the actor are stamped later ([`Draft::body`]): the feed numbers events under the org lock.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::{json, Value};

use crate::catalog::Code;
use crate::contact_center::{contact_center, ContactCenter};
use crate::lifecycle::{effective, Effective};
use crate::model::{Addons, Change, Extension, Member, Seats};
use crate::permissions::Actor;
use crate::values::{Email, ExtKey, MemberId, Role, Status, E164};

pub const EXTENSION_PROVISIONED: &str = "extension.provisioned";
pub const EXTENSION_DEPROVISIONED: &str = "extension.deprovisioned";
pub const EXTENSION_ASSIGNED: &str = "extension.assigned";
pub const EXTENSION_UNASSIGNED: &str = "extension.unassigned";
pub const EXTENSION_ENTITLEMENTS_CHANGED: &str = "extension.entitlements_changed";
pub const MEMBER_CREATED: &str = "member.created";
pub const MEMBER_UPDATED: &str = "member.updated";
pub const MEMBER_DISABLED: &str = "member.disabled";
pub const MEMBER_ENABLED: &str = "member.enabled";
pub const MEMBER_DELETED: &str = "member.deleted";
pub const SUBSCRIPTION_UPDATED: &str = "subscription.updated";
pub const BULK_APPLIED: &str = "bulk.applied";
pub const WEBHOOK_TEST: &str = "webhook.test";
// Team license templates (product.md §13).
pub const MEMBER_LICENSE_STATE_CHANGED: &str = "member.license_state_changed";
pub const TEAM_TEMPLATE_CHANGED: &str = "team.template_changed";

/// Every event type of product.md §8, in the order of its table.
pub const TYPES: &[&str] = &[
    EXTENSION_PROVISIONED,
    EXTENSION_DEPROVISIONED,
    EXTENSION_ASSIGNED,
    EXTENSION_UNASSIGNED,
    EXTENSION_ENTITLEMENTS_CHANGED,
    MEMBER_CREATED,
    MEMBER_UPDATED,
    MEMBER_DISABLED,
    MEMBER_ENABLED,
    MEMBER_DELETED,
    SUBSCRIPTION_UPDATED,
    BULK_APPLIED,
    WEBHOOK_TEST,
    MEMBER_LICENSE_STATE_CHANGED,
    TEAM_TEMPLATE_CHANGED,
];

/// Whether a `types` filter entry names a known type or a known `prefix.*`.
pub fn valid_type_filter(t: &str) -> bool {
    match t.strip_suffix('*') {
        Some(prefix) => prefix.ends_with('.') && TYPES.iter().any(|k| k.starts_with(prefix)),
        None => TYPES.contains(&t),
    }
}

/// What a decision's events need to know beyond its changes: the state it starts from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Extensions the changes touch.
    pub extensions: BTreeSet<ExtKey>,
    /// Members the changes touch or name, and the holders of the touched extensions.
    pub members: BTreeSet<MemberId>,
    /// Members whose extension (if any) the events must show.
    pub holdings: BTreeSet<MemberId>,
    /// Codes whose subscription changes: the extensions holding them (all extensions for
    /// `phone_system`) get `extension.entitlements_changed` when the code's effectiveness flips.
    pub codes: BTreeSet<Code>,
}

/// The extensions and members a decision touches, as they were before it.
#[derive(Debug, Default, Clone)]
pub struct Before {
    pub extensions: HashMap<ExtKey, Extension>,
    pub members: HashMap<MemberId, Member>,
    /// Each code's subscription state, for the effective flags (only the states are read).
    pub states: Seats,
}

/// What [`derive`] needs loaded for these changes. The holders of the touched extensions are
/// known only once they are loaded: the app adds them to `members` then.
pub fn needs(changes: &[Change]) -> Needs {
    let mut n = Needs::default();
    for c in changes {
        match c {
            Change::InsertOrg(_)
            | Change::InsertNumber(_)
            | Change::DeleteNumber(_)
            | Change::SetPurchased { .. }
            | Change::InsertMember(_)
            | Change::SetScimFields { .. }
            | Change::InsertTeam(_)
            | Change::UpdateTeam(_)
            | Change::DeleteTeam(_)
            | Change::SetTeamMembers { .. }
            | Change::SetScope { .. }
            | Change::SetTemplate { .. }
            | Change::SetLicenseState { .. } => {}
            Change::SetGrant(g) => {
                n.extensions.insert(g.key);
            }
            Change::SetSubscription(s) => {
                n.codes.insert(s.code);
            }
            Change::UpdateMember(m) => {
                n.members.insert(m.id.clone());
                n.holdings.insert(m.id.clone());
            }
            Change::DeleteMember(id) => {
                n.members.insert(id.clone());
                n.holdings.insert(id.clone());
            }
            Change::InsertExtensions(exts) => {
                n.members
                    .extend(exts.iter().filter_map(|e| e.member.clone()));
            }
            Change::DeleteExtension(key)
            | Change::SetAddons { key, .. }
            | Change::SetNumbers { key, .. } => {
                n.extensions.insert(*key);
            }
            Change::SetExtensionMember { key, member } => {
                n.extensions.insert(*key);
                n.members.extend(member.clone());
            }
        }
    }
    n
}

/// One event before the feed numbers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub kind: &'static str,
    /// `extension:1001`, `member:mem_…`, `subscription:license_center`, `plan:plan_…`.
    pub subject: String,
    /// The event's `data`; an extension state's `version` (a deprovisioned one's too) is set
    /// to the event's seq when stamped.
    pub data: Data,
    /// The extension this event leaves in place: its version becomes the event's seq.
    pub extension: Option<ExtKey>,
    /// For `subscription.updated`: the code whose license object the app puts in `data`
    /// (the license view, with its counts after the change, belongs to the app).
    pub license: Option<Code>,
}

#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    seq: i64,
    /// The feed epoch the seq belongs to: 0 until a restore (issue 25).
    epoch: i64,
    #[serde(rename = "type")]
    kind: &'a str,
    at: &'a str,
    actor: &'a Value,
    subject: &'a str,
    /// The teams of the member the event concerns (product.md §12); empty when none.
    teams: &'a [crate::TeamId],
    data: &'a Data,
}

/// An event's `data`, serialized straight into the event's body. Extension and member
/// states are typed: building a `serde_json::Value` map per event and then serializing it
/// was most of a bulk apply's allocations (issue 27).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Data {
    Extension(Box<ExtensionState>),
    Member(Box<MemberState>),
    /// Anything else: a plan's counts, a deleted member never loaded, and the license object
    /// the app puts in `subscription.updated` (null until then).
    Json(Value),
}

/// An extension's state as events and the entitlements snapshot show it, with the extension
/// events' own additions. Fields in alphabetical order: the order the JSON maps built before
/// had, so a body's bytes did not change with its types.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtensionState {
    /// `extension.entitlements_changed`: what the change added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<Delta>,
    pub addons: Addons,
    pub contact_center: Option<ContactCenter>,
    pub effective: Vec<Effective>,
    pub key: ExtKey,
    pub member: Option<MemberRef>,
    pub numbers: Vec<E164>,
    /// `extension.assigned` / `unassigned`: who held it before (`null`: nobody).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_member: Option<Option<MemberRef>>,
    /// `extension.entitlements_changed`: what the change removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Delta>,
    pub version: i64,
}

/// The add-on copies and numbers an `extension.entitlements_changed` added or removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    pub addons: Vec<Code>,
    pub numbers: Vec<E164>,
}

/// A member as its events show it: the member object of product.md §6.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberState {
    pub contact_center: ContactCenter,
    pub email: Email,
    pub extension: Option<ExtKey>,
    pub id: MemberId,
    pub name: String,
    pub role: Role,
    pub status: Status,
}

/// The holder named in an extension's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRef {
    /// Absent for a holder that was not loaded (only its id is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub id: MemberId,
}

impl Draft {
    /// The event JSON as consumers receive it, numbered `seq` in feed epoch `epoch`.
    pub fn body(
        &mut self,
        seq: i64,
        epoch: i64,
        id: &str,
        at: &str,
        actor: &Value,
        teams: &[crate::TeamId],
    ) -> String {
        // An extension's version is the seq of the last event that changed it, its
        // deprovisioning included: a consumer keeps that version as the key's tombstone, so
        // an older state delivered late cannot bring the extension back (product.md §8).
        if let Data::Extension(state) = &mut self.data {
            state.version = seq;
        }
        serde_json::to_string(&Body {
            id,
            seq,
            epoch,
            kind: self.kind,
            at,
            actor,
            subject: &self.subject,
            teams,
            data: &self.data,
        })
        .expect("an event serializes")
    }
}

impl Draft {
    /// The member the event concerns: its subject, or the holder in an extension's state.
    pub fn member(&self) -> Option<MemberId> {
        if let Some(id) = self.subject.strip_prefix("member:") {
            return Some(MemberId(id.to_owned()));
        }
        match &self.data {
            Data::Extension(state) => state.member.as_ref().map(|m| m.id.clone()),
            Data::Member(state) => Some(state.id.clone()),
            Data::Json(_) => None,
        }
    }
}

/// The event's `actor`: who made the change. Seatline's own schedule is `system` with its
/// name (`lifecycle`), so a consumer tells the clock from billing (the operator).
/// Integration tokens never write; they are named `system` should one ever be seen here.
pub fn actor_json(actor: &Actor) -> Value {
    match actor {
        Actor::Operator => json!({"kind": "operator", "id": null}),
        Actor::Member { id, .. } => json!({"kind": "member", "id": id}),
        Actor::Scim { id } => json!({"kind": "scim", "id": id}),
        Actor::Integration { id } => json!({"kind": "system", "id": id}),
        Actor::System { id } => json!({"kind": "system", "id": id}),
    }
}

/// An extension's state as events and the entitlements snapshot show it.
pub fn extension_state(
    ext: &Extension,
    member: Option<&Member>,
    version: i64,
    states: &Seats,
) -> ExtensionState {
    ExtensionState {
        added: None,
        addons: ext.addons.clone(),
        contact_center: member.map(|m| contact_center(m, Some(ext), states)),
        effective: effective(ext, member, states),
        key: ext.key,
        member: member.map(member_ref),
        numbers: ext.numbers.clone(),
        previous_member: None,
        removed: None,
        version,
    }
}

/// A member as its events show it: the member object of product.md §6.
pub fn member_state(m: &Member, ext: Option<&Extension>, states: &Seats) -> MemberState {
    MemberState {
        contact_center: contact_center(m, ext, states),
        email: m.email.clone(),
        extension: ext.map(|e| e.key),
        id: m.id.clone(),
        name: m.name.clone(),
        role: m.role,
        status: m.status,
    }
}

fn member_ref(m: &Member) -> MemberRef {
    MemberRef {
        email: Some(m.email.clone()),
        id: m.id.clone(),
    }
}

/// The `bulk.applied` event, after its row events.
pub fn bulk_applied(plan: &str, rows: usize) -> Draft {
    Draft {
        kind: BULK_APPLIED,
        subject: format!("plan:{plan}"),
        data: Data::Json(json!({"plan": plan, "rows": rows})),
        extension: None,
        license: None,
    }
}

/// The events of a decision's changes, in order, given the state they start from. `state`
/// is left as the changes leave it, so the next changes of one transaction (bulk apply's
/// slices) can follow on.
pub fn derive(changes: &[Change], state: &mut Before) -> Vec<Draft> {
    let mut d = Deriving {
        exts: &mut state.extensions,
        members: &mut state.members,
        states: &mut state.states,
        out: Vec::new(),
    };
    for c in changes {
        d.change(c);
    }
    d.out
}

struct Deriving<'a> {
    exts: &'a mut HashMap<ExtKey, Extension>,
    members: &'a mut HashMap<MemberId, Member>,
    states: &'a mut Seats,
    out: Vec<Draft>,
}

impl Deriving<'_> {
    fn change(&mut self, c: &Change) {
        match c {
            // The identity provider's externalId is no entitlement and not in the member's
            // event shape: a SCIM write that changes only it emits nothing.
            Change::InsertOrg(_)
            | Change::InsertNumber(_)
            | Change::DeleteNumber(_)
            | Change::SetScimFields { .. }
            | Change::InsertTeam(_)
            | Change::UpdateTeam(_)
            | Change::DeleteTeam(_)
            | Change::SetTeamMembers { .. }
            | Change::SetScope { .. } => {}
            Change::SetPurchased { code, .. } => self.out.push(Draft {
                kind: SUBSCRIPTION_UPDATED,
                subject: format!("subscription:{code}"),
                data: Data::Json(Value::Null),
                extension: None,
                license: Some(*code),
            }),
            Change::SetSubscription(s) => {
                let seat = self.states.by_code.entry(s.code).or_default();
                let flips = seat.state.is_effective() != s.state.is_effective();
                seat.state = s.state;
                self.out.push(Draft {
                    kind: SUBSCRIPTION_UPDATED,
                    subject: format!("subscription:{}", s.code),
                    data: Data::Json(Value::Null),
                    extension: None,
                    license: Some(s.code),
                });
                if flips {
                    // Every extension holding the code (every extension, for the base
                    // license) now gives or stops giving service: its effective flags change.
                    let mut keys: Vec<ExtKey> = self
                        .exts
                        .values()
                        .filter(|e| s.code == Code::PhoneSystem || e.addons.count(s.code) > 0)
                        .map(|e| e.key)
                        .collect();
                    keys.sort();
                    for key in keys {
                        self.entitlements_changed(
                            key,
                            (Vec::new(), Vec::new()),
                            (Vec::new(), Vec::new()),
                        );
                    }
                }
            }
            Change::InsertMember(m) => {
                self.members.insert(m.id.clone(), m.clone());
                self.member_event(MEMBER_CREATED, m);
            }
            Change::UpdateMember(m) => self.update_member(m),
            Change::DeleteMember(id) => {
                let data = match self.members.remove(id) {
                    Some(m) => Data::Member(Box::new(member_state(&m, None, self.states))),
                    None => Data::Json(json!({"id": id})),
                };
                self.out.push(Draft {
                    kind: MEMBER_DELETED,
                    subject: format!("member:{id}"),
                    data,
                    extension: None,
                    license: None,
                });
            }
            Change::InsertExtensions(exts) => {
                self.out.reserve(exts.len());
                for e in exts {
                    self.exts.insert(e.key, e.clone());
                    self.extension_event(EXTENSION_PROVISIONED, e.key, |_| {});
                }
            }
            Change::DeleteExtension(key) => {
                if let Some(ext) = self.exts.remove(key) {
                    let member = ext.member.as_ref().and_then(|m| self.members.get(m));
                    self.out.push(Draft {
                        kind: EXTENSION_DEPROVISIONED,
                        subject: format!("extension:{key}"),
                        data: Data::Extension(Box::new(extension_state(
                            &ext,
                            member,
                            0,
                            self.states,
                        ))),
                        extension: None,
                        license: None,
                    });
                }
            }
            Change::SetExtensionMember { key, member } => {
                let Some(ext) = self.exts.get_mut(key) else {
                    return;
                };
                let previous = std::mem::replace(&mut ext.member, member.clone());
                if member.is_none() && previous.is_none() {
                    return;
                }
                let previous = previous.map(|id| match self.members.get(&id) {
                    Some(m) => member_ref(m),
                    None => MemberRef { email: None, id },
                });
                let kind = if member.is_some() {
                    EXTENSION_ASSIGNED
                } else {
                    EXTENSION_UNASSIGNED
                };
                self.extension_event(kind, *key, |state| {
                    state.previous_member = Some(previous);
                });
            }
            Change::SetAddons { key, addons } => {
                let Some(ext) = self.exts.get_mut(key) else {
                    return;
                };
                let old = std::mem::replace(&mut ext.addons, addons.clone());
                let (added, removed) = (minus(addons, &old), minus(&old, addons));
                self.entitlements_changed(*key, (added, Vec::new()), (removed, Vec::new()));
            }
            // A template's grant moves held copies as a direct add-ons write does.
            Change::SetGrant(g) => self.change(&Change::SetAddons {
                key: g.key,
                addons: g.held.clone(),
            }),
            Change::SetTemplate { .. } | Change::SetLicenseState { .. } => {}
            Change::SetNumbers { key, numbers } => {
                let Some(ext) = self.exts.get_mut(key) else {
                    return;
                };
                let old = std::mem::replace(&mut ext.numbers, numbers.clone());
                let added: Vec<E164> = numbers
                    .iter()
                    .filter(|n| !old.contains(n))
                    .cloned()
                    .collect();
                let removed: Vec<E164> = old
                    .iter()
                    .filter(|n| !numbers.contains(n))
                    .cloned()
                    .collect();
                self.entitlements_changed(*key, (Vec::new(), added), (Vec::new(), removed));
            }
        }
    }

    /// A member's role, status, name or email changed. Its extension's state shows the
    /// member's email and Contact Center role and readiness, so that extension changes too
    /// (product.md §10: a disabled member's entitlements are not effective).
    fn update_member(&mut self, m: &Member) {
        let old = self.members.insert(m.id.clone(), m.clone());
        let status_changed = old.as_ref().is_some_and(|o| o.status != m.status);
        let other_changed = old
            .as_ref()
            .is_none_or(|o| o.role != m.role || o.name != m.name || o.email != m.email);
        if status_changed {
            let kind = match m.status {
                Status::Active => MEMBER_ENABLED,
                Status::Disabled => MEMBER_DISABLED,
            };
            self.member_event(kind, m);
        }
        if other_changed {
            self.member_event(MEMBER_UPDATED, m);
        }
        let shown_changed = old
            .as_ref()
            .is_none_or(|o| o.role != m.role || o.status != m.status || o.email != m.email);
        if shown_changed {
            if let Some(key) = self.held(&m.id) {
                self.entitlements_changed(key, (Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
            }
        }
    }

    fn held(&self, member: &MemberId) -> Option<ExtKey> {
        self.exts
            .values()
            .find(|e| e.member.as_ref() == Some(member))
            .map(|e| e.key)
    }

    fn member_event(&mut self, kind: &'static str, m: &Member) {
        let ext = self.held(&m.id).and_then(|k| self.exts.get(&k));
        self.out.push(Draft {
            kind,
            subject: format!("member:{}", m.id),
            data: Data::Member(Box::new(member_state(m, ext, self.states))),
            extension: None,
            license: None,
        });
    }

    fn entitlements_changed(
        &mut self,
        key: ExtKey,
        added: (Vec<Code>, Vec<E164>),
        removed: (Vec<Code>, Vec<E164>),
    ) {
        self.extension_event(EXTENSION_ENTITLEMENTS_CHANGED, key, |state| {
            state.added = Some(Delta {
                addons: added.0,
                numbers: added.1,
            });
            state.removed = Some(Delta {
                addons: removed.0,
                numbers: removed.1,
            });
        });
    }

    /// An event whose data is the extension's state now, plus what `extra` adds.
    fn extension_event(
        &mut self,
        kind: &'static str,
        key: ExtKey,
        extra: impl FnOnce(&mut ExtensionState),
    ) {
        let Some(ext) = self.exts.get(&key) else {
            return;
        };
        let member = ext.member.as_ref().and_then(|m| self.members.get(m));
        let mut state = extension_state(ext, member, 0, self.states);
        extra(&mut state);
        self.out.push(Draft {
            kind,
            subject: format!("extension:{key}"),
            data: Data::Extension(Box::new(state)),
            extension: Some(key),
            license: None,
        });
    }
}

/// The copies in `a` beyond those in `b`, as codes in catalog order.
fn minus(a: &Addons, b: &Addons) -> Vec<Code> {
    a.iter()
        .flat_map(|(c, n)| std::iter::repeat_n(c, n.saturating_sub(b.count(c)) as usize))
        .collect()
}

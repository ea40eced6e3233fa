//! Team license templates (product.md §13): what a team's template asks every member to hold,
//! what a member inherits from all its enabled teams, and the per-member decision that grants
//! or revokes it — whole or not at all.
//!
//! Storage keeps the direct part and the inherited part of every holding apart ([`Holding`]):
//! the add-on copies an extension holds are `max(direct, largest inherited)` per code, so a
//! copy is consumed once however many sources grant it, and leaving a team removes exactly the
//! copies no other source still grants.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::catalog::{Code, PerExtension};
use crate::error::{Error, ErrorCode};
use crate::model::{Addons, AuditRecord, Change, Extension, Member, Seats};
use crate::values::{ExtKey, MemberId, Status, TeamId, MIN_KEY};

/// Copies of one add-on code a template may ask for (codes an extension holds once: 1).
pub const MAX_TEMPLATE_COPIES: u32 = 20;

/// Where a member without an extension gets its new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionRule {
    /// `true`: the organization's lowest free key.
    Next,
    /// The lowest free key from `from` to `to`, both included.
    Range { from: ExtKey, to: ExtKey },
}

/// A team's template: an extension (or not) and the add-on copies each member's extension
/// carries. Add-ons need an extension to be on, so a template with add-ons asks for one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pub extension: Option<ExtensionRule>,
    /// Copies per add-on code; every count is at least 1.
    pub addons: BTreeMap<Code, u32>,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidTemplate, message).detail("field", field)
}

fn parse_key(field: &str, v: &Value) -> Result<ExtKey, Error> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return Err(invalid(
                field,
                format!("{field} must be an extension key (100-99999), not {v}"),
            ))
        }
    };
    text.parse::<ExtKey>()
        .map_err(|e| e.detail("field", field.to_owned()))
}

impl Template {
    /// Read and validate a template body: `{"extension": {"from", "to"} | true | null,
    /// "addons": {code: count}}`. Every problem names its field.
    pub fn parse(v: &Value) -> Result<Template, Error> {
        let Value::Object(o) = v else {
            return Err(invalid(
                "template",
                "a template is an object {\"extension\": ..., \"addons\": {...}}",
            ));
        };
        if let Some(k) = o.keys().find(|k| *k != "extension" && *k != "addons") {
            return Err(invalid(
                k,
                format!("{k:?} is not a template field; the fields are extension and addons"),
            ));
        }
        let extension = match o.get("extension").unwrap_or(&Value::Null) {
            Value::Null | Value::Bool(false) => None,
            Value::Bool(true) => Some(ExtensionRule::Next),
            Value::Object(r) => {
                let get = |f: &str| {
                    r.get(f).ok_or_else(|| {
                        invalid(
                            &format!("extension.{f}"),
                            format!("a key range needs extension.{f}"),
                        )
                    })
                };
                let from = parse_key("extension.from", get("from")?)?;
                let to = parse_key("extension.to", get("to")?)?;
                if from > to {
                    return Err(invalid(
                        "extension.to",
                        format!("the range {from}-{to} is empty; extension.to must be at least extension.from"),
                    ));
                }
                Some(ExtensionRule::Range { from, to })
            }
            other => {
                return Err(invalid(
                    "extension",
                    format!(
                        "extension is true, null or {{\"from\": KEY, \"to\": KEY}}, not {other}"
                    ),
                ))
            }
        };
        let mut addons = BTreeMap::new();
        match o.get("addons").unwrap_or(&Value::Null) {
            Value::Null => {}
            Value::Object(a) => {
                for (name, count) in a {
                    let field = format!("addons.{name}");
                    let code = name
                        .parse::<Code>()
                        .map_err(|e| e.detail("field", field.clone()))?;
                    if !code.is_addon() {
                        return Err(Error::new(
                            ErrorCode::NotAnAddon,
                            "phone_system is the extension itself, not an add-on; set extension instead",
                        )
                        .detail("field", field));
                    }
                    let limit = match code.entry().per_extension {
                        PerExtension::One => 1,
                        PerExtension::Many => MAX_TEMPLATE_COPIES,
                    };
                    let n = count.as_u64().filter(|n| (1..=limit as u64).contains(n));
                    let Some(n) = n else {
                        let code_err = if count.as_u64().is_some_and(|n| n > limit as u64) {
                            ErrorCode::AddonLimit
                        } else {
                            ErrorCode::InvalidTemplate
                        };
                        return Err(Error::new(
                            code_err,
                            format!("{field} must be a whole number from 1 to {limit} (copies on each member's extension), not {count}; leave the code out for none"),
                        )
                        .detail("field", field)
                        .detail("limit", limit));
                    };
                    addons.insert(code, n as u32);
                }
            }
            other => {
                return Err(invalid(
                    "addons",
                    format!("addons is an object of add-on code to count, not {other}"),
                ))
            }
        }
        if !addons.is_empty() && extension.is_none() {
            return Err(invalid(
                "extension",
                "add-ons are carried by an extension: set extension to true or a key range",
            ));
        }
        Ok(Template { extension, addons })
    }

    /// The wire form, the one [`Template::parse`] reads.
    pub fn to_json(&self) -> Value {
        let extension = match self.extension {
            None => Value::Null,
            Some(ExtensionRule::Next) => Value::Bool(true),
            Some(ExtensionRule::Range { from, to }) => json!({"from": from, "to": to}),
        };
        let addons: Map<String, Value> = self
            .addons
            .iter()
            .map(|(c, n)| (c.as_str().to_owned(), json!(n)))
            .collect();
        json!({"extension": extension, "addons": addons})
    }
}

/// What a member inherits: the teams asking for an extension (with their rules, in team id
/// order) and, per add-on code, each granting team's count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inherited {
    pub extension: BTreeMap<TeamId, ExtensionRule>,
    pub addons: BTreeMap<Code, BTreeMap<TeamId, u32>>,
}

impl Inherited {
    /// The union over a member's enabled teams that carry a template.
    pub fn of<'a>(teams: impl IntoIterator<Item = (&'a TeamId, &'a Template)>) -> Inherited {
        let mut out = Inherited::default();
        for (team, t) in teams {
            if let Some(rule) = t.extension {
                out.extension.insert(team.clone(), rule);
            }
            for (code, n) in &t.addons {
                out.addons
                    .entry(*code)
                    .or_default()
                    .insert(team.clone(), *n);
            }
        }
        out
    }
    /// Copies of `code` inherited: the largest count any source asks for (never their sum).
    pub fn count(&self, code: Code) -> u32 {
        self.addons
            .get(&code)
            .and_then(|by| by.values().max().copied())
            .unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.extension.is_empty() && self.addons.is_empty()
    }
    /// Every team named, sorted.
    pub fn teams(&self) -> BTreeSet<TeamId> {
        let mut t: BTreeSet<TeamId> = self.extension.keys().cloned().collect();
        for by in self.addons.values() {
            t.extend(by.keys().cloned());
        }
        t
    }
    /// The part of `self` also in `other`: per code and team the smaller count, and the
    /// extension teams both name. What a member keeps when nothing may be added.
    fn within(&self, other: &Inherited) -> Inherited {
        let mut out = Inherited::default();
        for (team, rule) in &self.extension {
            if other.extension.contains_key(team) {
                out.extension.insert(team.clone(), *rule);
            }
        }
        for (code, by) in &self.addons {
            for (team, n) in by {
                let m = other.addons.get(code).and_then(|o| o.get(team)).copied();
                if let Some(m) = m.filter(|m| *m > 0) {
                    out.addons
                        .entry(*code)
                        .or_default()
                        .insert(team.clone(), (*n).min(m));
                }
            }
        }
        out
    }
}

/// What a member holds now, its direct and inherited parts apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holding {
    /// The member's extension; its `addons` are the copies held (`max(direct, inherited)`).
    pub extension: Option<Extension>,
    /// Copies written directly (by an admin, bulk or SCIM), per code.
    pub direct: Addons,
    /// The teams the extension's assignment is inherited from (empty: the assignment is
    /// direct, or there is no extension) and the inherited copies per code and team.
    pub inherited: Inherited,
}

/// Held copies: per code the larger of the direct count and the inherited one.
pub fn held(direct: &Addons, inherited: &Inherited) -> Addons {
    let mut out = Addons::default();
    for code in Code::addons() {
        out.add(code, direct.count(code).max(inherited.count(code)));
    }
    out
}

/// Where one copy or assignment comes from: `direct` and/or `team:{id}`.
pub fn sources(direct: bool, teams: impl IntoIterator<Item = TeamId>) -> Vec<String> {
    let mut out: Vec<String> = direct.then(|| "direct".to_owned()).into_iter().collect();
    out.extend(teams.into_iter().map(|t| format!("team:{t}")));
    out
}

impl Holding {
    /// `sources` of an extension: of its assignment and of each add-on code it holds.
    pub fn sources_json(&self) -> Value {
        let assignment = match &self.extension {
            Some(e) if e.member.is_some() => sources(
                self.inherited.extension.is_empty(),
                self.inherited.extension.keys().cloned(),
            ),
            _ => Vec::new(),
        };
        let mut addons = Map::new();
        for code in Code::addons() {
            let teams: Vec<TeamId> = self
                .inherited
                .addons
                .get(&code)
                .map(|by| by.keys().cloned().collect())
                .unwrap_or_default();
            if self.direct.count(code) > 0 || !teams.is_empty() {
                addons.insert(
                    code.as_str().to_owned(),
                    json!(sources(self.direct.count(code) > 0, teams)),
                );
            }
        }
        json!({"assignment": assignment, "addons": addons})
    }
    fn audit_json(&self) -> Value {
        json!({
            "extension": self.extension.as_ref().map(|e| e.key),
            "addons": self.extension.as_ref().map(|e| e.addons.clone()).unwrap_or_default(),
            "sources": self.sources_json(),
        })
    }
}

/// A member's license state (product.md §13): `ok`, or `waiting` / `error` with the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ok,
    Waiting(ErrorCode),
    Error(ErrorCode),
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Waiting(_) => "waiting",
            State::Error(_) => "error",
        }
    }
    pub fn code(self) -> Option<ErrorCode> {
        match self {
            State::Ok => None,
            State::Waiting(c) | State::Error(c) => Some(c),
        }
    }
    /// Why a grant did not fit: seats (the waiting room) or a cause an admin must fix.
    pub fn refused(code: ErrorCode) -> State {
        match code {
            ErrorCode::SeatsExhausted | ErrorCode::SubscriptionOverAllocated => {
                State::Waiting(code)
            }
            _ => State::Error(code),
        }
    }
    pub fn parse(state: &str, code: Option<ErrorCode>) -> Option<State> {
        match (state, code) {
            ("ok", _) => Some(State::Ok),
            ("waiting", Some(c)) => Some(State::Waiting(c)),
            ("error", Some(c)) => Some(State::Error(c)),
            _ => None,
        }
    }
}

/// What a reconciliation did to one member, as a template plan's row says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Grant,
    Revoke,
    Wait,
    Error,
    Unchanged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Grant => "grant",
            Outcome::Revoke => "revoke",
            Outcome::Wait => "wait",
            Outcome::Error => "error",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// Seats and keys as a batch of reconciliations consumes and frees them, member by member in
/// join order: what an earlier member took is not there for a later one.
#[derive(Debug, Clone)]
pub struct Pool {
    pub seats: Seats,
    pub taken: BTreeSet<u32>,
    /// Seats per code taken and given back so far (a plan's `needed` and `freed`).
    pub needed: BTreeMap<Code, u64>,
    pub freed: BTreeMap<Code, u64>,
}

impl Pool {
    pub fn new(seats: Seats, taken: BTreeSet<u32>) -> Pool {
        Pool {
            seats,
            taken,
            needed: BTreeMap::new(),
            freed: BTreeMap::new(),
        }
    }
    fn free_key(&self, rule: ExtensionRule) -> Option<ExtKey> {
        let (from, to) = match rule {
            ExtensionRule::Next => (MIN_KEY, crate::values::MAX_KEY),
            ExtensionRule::Range { from, to } => (from.get(), to.get()),
        };
        let mut k = from;
        for t in self.taken.range(from..=to) {
            if *t != k {
                break;
            }
            k += 1;
        }
        (k <= to).then(|| ExtKey::new(k)).flatten()
    }
    fn take(&mut self, code: Code, n: u32) {
        let s = self.seats.by_code.entry(code).or_default();
        s.in_use += n;
        *self.needed.entry(code).or_default() += u64::from(n);
    }
    fn give(&mut self, code: Code, n: u32) {
        let s = self.seats.by_code.entry(code).or_default();
        s.in_use = s.in_use.saturating_sub(n);
        *self.freed.entry(code).or_default() += u64::from(n);
    }
}

/// The stored form of one member's inherited part: replaces what the store keeps for the
/// member's extension (its inherited assignment teams and inherited copies) together with the
/// held and direct counts on its add-on rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub member: MemberId,
    pub key: ExtKey,
    /// Held copies: what `extension_addons` counts and seats are consumed by.
    pub held: Addons,
    pub direct: Addons,
    pub inherited: Inherited,
}

/// One member's reconciliation: the changes (empty when nothing moves), its audit entry, its
/// state afterwards and the teams that state is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    pub member: MemberId,
    pub outcome: Outcome,
    pub state: Option<State>,
    pub teams: Vec<TeamId>,
    pub changes: Vec<Change>,
    pub audit: Option<AuditRecord>,
    /// What the member holds afterwards.
    pub after: Holding,
}

/// Decide what `member` holds given what its enabled templated teams ask for (`wanted`, from
/// [`Inherited::of`]) and what it holds now. The grant is whole or not at all: when the new
/// copies do not fit, the member keeps only what some source still grants (revokes apply,
/// nothing is added) and waits (seats) or is in error (any other cause). A disabled member
/// keeps what it holds but is granted nothing new (§4).
pub fn reconcile(
    member: &Member,
    wanted: &Inherited,
    now: &Holding,
    pool: &mut Pool,
) -> Reconciled {
    let teams: Vec<TeamId> = wanted.teams().into_iter().collect();
    let keep_only = wanted.within(&now.inherited);
    let (target, refused) = if member.status == Status::Disabled {
        let refused = (keep_only != *wanted).then_some(State::Error(ErrorCode::MemberDisabled));
        (keep_only, refused)
    } else {
        match fits(wanted, now, pool) {
            Ok(()) => (wanted.clone(), None),
            Err(e) => (keep_only, Some(State::refused(e.code))),
        }
    };
    let (after, changes) = apply(member, &target, now, pool);
    let state = if wanted.is_empty() && refused.is_none() {
        None
    } else {
        Some(refused.unwrap_or(State::Ok))
    };
    let outcome = match (changes.is_empty(), state) {
        (_, Some(State::Waiting(_))) => Outcome::Wait,
        (_, Some(State::Error(_))) => Outcome::Error,
        (true, _) => Outcome::Unchanged,
        (false, _) if grows(now, &after) => Outcome::Grant,
        (false, _) => Outcome::Revoke,
    };
    let audit = (!changes.is_empty()).then(|| AuditRecord {
        action: if outcome == Outcome::Grant {
            "template.grant"
        } else {
            "template.revoke"
        },
        target: format!("member:{}", member.id),
        before: now.audit_json(),
        after: after.audit_json(),
    });
    Reconciled {
        member: member.id.clone(),
        outcome,
        state,
        teams,
        changes,
        audit,
        after,
    }
}

/// Whether anything was added: a new extension or more copies of a code.
fn grows(before: &Holding, after: &Holding) -> bool {
    let none = Addons::default();
    let b = before.extension.as_ref().map_or(&none, |e| &e.addons);
    let Some(a) = after.extension.as_ref().filter(|e| e.member.is_some()) else {
        return false;
    };
    before.extension.is_none() || Code::addons().any(|c| a.addons.count(c) > b.count(c))
}

/// Whether `wanted` can be granted whole: a key in some asking team's range when a new
/// extension is needed, the subscriptions open and the seats there for every new copy.
fn fits(wanted: &Inherited, now: &Holding, pool: &Pool) -> Result<(), Error> {
    let none = Addons::default();
    let mut needs: Vec<(Code, u32)> = Vec::new();
    if now.extension.is_none() && !wanted.extension.is_empty() {
        if !wanted
            .extension
            .values()
            .any(|r| pool.free_key(*r).is_some())
        {
            let ranges: Vec<String> = wanted
                .extension
                .iter()
                .map(|(t, r)| match r {
                    ExtensionRule::Next => format!("team {t}: any key"),
                    ExtensionRule::Range { from, to } => format!("team {t}: {from}-{to}"),
                })
                .collect();
            return Err(Error::new(
                ErrorCode::ExtensionRangeExhausted,
                format!(
                    "no free extension key is left in {}; widen the template's range or deprovision an extension in it",
                    ranges.join(", ")
                ),
            )
            .detail("teams", wanted.extension.keys().map(|t| t.as_str()).collect::<Vec<_>>()));
        }
        needs.push((Code::PhoneSystem, 1));
    }
    let direct = if now.extension.is_some() {
        &now.direct
    } else {
        &none
    };
    let before = now.extension.as_ref().map_or(&none, |e| &e.addons);
    let after = held(direct, wanted);
    crate::rules::check_addon_limits(&after)?;
    for code in Code::addons() {
        if after.count(code) > before.count(code) {
            needs.push((code, after.count(code) - before.count(code)));
        }
    }
    for (code, n) in needs {
        pool.seats.check_new(code, n.into())?;
    }
    Ok(())
}

/// The changes that make `now` into `target` (which fits), with the pool moved accordingly.
fn apply(
    member: &Member,
    target: &Inherited,
    now: &Holding,
    pool: &mut Pool,
) -> (Holding, Vec<Change>) {
    let mut changes = Vec::new();
    let assigned_inherited = !now.inherited.extension.is_empty();
    match &now.extension {
        None if target.extension.is_empty() => (now.clone(), changes),
        None => {
            let key = target
                .extension
                .values()
                .find_map(|r| pool.free_key(*r))
                .expect("fits() found a free key");
            pool.taken.insert(key.get());
            pool.take(Code::PhoneSystem, 1);
            let held_after = held(&Addons::default(), target);
            for (c, n) in held_after.iter() {
                pool.take(c, n);
            }
            let mut ext = Extension::new(key);
            ext.member = Some(member.id.clone());
            ext.addons = held_after.clone();
            changes.push(Change::InsertExtensions(vec![ext.clone()]));
            changes.push(Change::SetGrant(Grant {
                member: member.id.clone(),
                key,
                held: held_after,
                direct: Addons::default(),
                inherited: target.clone(),
            }));
            let after = Holding {
                extension: Some(ext),
                direct: Addons::default(),
                inherited: target.clone(),
            };
            (after, changes)
        }
        // The assignment was inherited only and no team asks for it any more: the member
        // gives the extension up, and its inherited copies with it.
        Some(ext) if assigned_inherited && target.extension.is_empty() => {
            for code in Code::addons() {
                let freed =
                    ext.addons.count(code) - ext.addons.count(code).min(now.direct.count(code));
                if freed > 0 {
                    pool.give(code, freed);
                }
            }
            let nothing_direct = now.direct.is_empty() && ext.numbers.is_empty();
            let grant = Grant {
                member: member.id.clone(),
                key: ext.key,
                held: now.direct.clone(),
                direct: now.direct.clone(),
                inherited: Inherited::default(),
            };
            changes.push(Change::SetGrant(grant));
            changes.push(Change::SetExtensionMember {
                key: ext.key,
                member: None,
            });
            let after = if nothing_direct {
                changes.push(Change::DeleteExtension(ext.key));
                pool.taken.remove(&ext.key.get());
                pool.give(Code::PhoneSystem, 1);
                Holding::default()
            } else {
                let mut e = ext.clone();
                e.member = None;
                e.addons = now.direct.clone();
                Holding {
                    extension: Some(e),
                    direct: now.direct.clone(),
                    inherited: Inherited::default(),
                }
            };
            (after, changes)
        }
        Some(ext) => {
            // A direct assignment stays direct; an inherited one is now inherited from the
            // teams still asking. Copies follow the target either way.
            let mut inherited = target.clone();
            if !assigned_inherited {
                inherited.extension.clear();
            }
            let held_after = held(&now.direct, &inherited);
            for code in Code::addons() {
                let (b, a) = (ext.addons.count(code), held_after.count(code));
                if a > b {
                    pool.take(code, a - b);
                } else if b > a {
                    pool.give(code, b - a);
                }
            }
            let after = Holding {
                extension: Some(Extension {
                    addons: held_after.clone(),
                    ..ext.clone()
                }),
                direct: now.direct.clone(),
                inherited: inherited.clone(),
            };
            if !same(&after, now) {
                changes.push(Change::SetGrant(Grant {
                    member: member.id.clone(),
                    key: ext.key,
                    held: held_after,
                    direct: now.direct.clone(),
                    inherited,
                }));
            }
            (after, changes)
        }
    }
}

/// Whether two holdings hold the same: the rules teams ask with are not part of a holding
/// (a store reads an inherited assignment back by its team only).
fn same(a: &Holding, b: &Holding) -> bool {
    a.extension == b.extension
        && a.direct == b.direct
        && a.inherited.addons == b.inherited.addons
        && a.inherited
            .extension
            .keys()
            .eq(b.inherited.extension.keys())
}

/// The teams whose inherited copies or assignment a direct write to `ext` would drop: an
/// unassign, reassign or deprovision (`addons: None`), or an add-ons write leaving fewer
/// copies of some code than a team grants. Refused as 409 `inherited_from_team`.
pub fn check_direct_write(
    holding: &Holding,
    key: ExtKey,
    addons: Option<&Addons>,
) -> Result<(), Error> {
    let mut teams: BTreeSet<TeamId> = BTreeSet::new();
    match addons {
        None => teams.extend(holding.inherited.teams()),
        Some(a) => {
            for (code, by) in &holding.inherited.addons {
                for (team, n) in by {
                    if a.count(*code) < *n {
                        teams.insert(team.clone());
                    }
                }
            }
        }
    }
    if teams.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = teams.iter().map(|t| t.as_str()).collect();
    Err(Error::new(
        ErrorCode::InheritedFromTeam,
        format!(
            "extension {key} holds what team {} grants; remove the member from the team or change the team's template",
            list.join(", team ")
        ),
    )
    .detail("extension", key.to_string())
    .detail("teams", list))
}

/// The direct counts after a direct add-ons write of `addons` (held copies, at least what the
/// teams grant): copies beyond the inherited count are direct; at or below it the direct
/// count can only fall, so writing back what was read changes nothing.
pub fn direct_after_write(holding: &Holding, addons: &Addons) -> Addons {
    let mut out = Addons::default();
    for code in Code::addons() {
        let (a, inh) = (addons.count(code), holding.inherited.count(code));
        out.add(
            code,
            if a > inh {
                a
            } else {
                a.min(holding.direct.count(code))
            },
        );
    }
    out
}

mod batch;
mod plan;
pub use batch::{decision, reconcile_all, wanted_by_member, Applied, StateOf};
pub use plan::plan;

#[cfg(test)]
mod tests;

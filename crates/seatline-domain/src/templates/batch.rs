//! Many members reconciled at once (a team's members, a SCIM group's new members, the waiting
//! room): each in the order given — join order — against one [`Pool`], and their changes
//! gathered into one decision a store applies with a few statements.

use std::collections::HashMap;

use crate::model::{Change, Decision, Member, Team};
use crate::values::{MemberId, TeamId};

use super::{reconcile, Holding, Inherited, Pool, Reconciled, State, Template};

/// What each member of an enabled templated team wants: the union of its teams' templates.
/// A member in no such team wants nothing (and is left out).
pub fn wanted_by_member(
    teams: &[Team],
    templates: &[(TeamId, Template)],
) -> HashMap<MemberId, Inherited> {
    let by_team: HashMap<&TeamId, &Template> = templates.iter().map(|(t, v)| (t, v)).collect();
    let mut lists: HashMap<&MemberId, Vec<(&TeamId, &Template)>> = HashMap::new();
    for team in teams.iter().filter(|t| t.enabled) {
        let Some(t) = by_team.get(&team.id) else {
            continue;
        };
        for m in &team.members {
            lists.entry(m).or_default().push((&team.id, t));
        }
    }
    lists
        .into_iter()
        .map(|(m, ts)| (m.clone(), Inherited::of(ts)))
        .collect()
}

/// Reconcile `members` one after the other against `pool`.
pub fn reconcile_all(
    members: &[Member],
    wanted: &HashMap<MemberId, Inherited>,
    holdings: &HashMap<MemberId, Holding>,
    pool: &mut Pool,
) -> Vec<Reconciled> {
    let none = Inherited::default();
    let empty = Holding::default();
    members
        .iter()
        .map(|m| {
            reconcile(
                m,
                wanted.get(&m.id).unwrap_or(&none),
                holdings.get(&m.id).unwrap_or(&empty),
                pool,
            )
        })
        .collect()
}

/// A member's license state with the templated teams it is about; `None`: in no such team.
pub type StateOf = Option<(State, Vec<TeamId>)>;

/// A batch's decision, and the members whose license state it changes (the events'
/// `member.license_state_changed`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    pub decision: Decision,
    pub state_changes: Vec<(MemberId, StateOf)>,
}

/// The changes of a batch, ordered so a store can apply them: the changes to extensions a
/// member already holds first (a key given back is free before a later member takes it), the
/// new extensions as one insert, their grants, then the license states that differ from
/// `current` (each member's stored state and teams).
pub fn decision(
    results: &[Reconciled],
    current: &HashMap<MemberId, (State, Vec<TeamId>)>,
) -> Applied {
    let mut held = Vec::new();
    let mut new_exts = Vec::new();
    let mut new_grants = Vec::new();
    let mut audit = Vec::new();
    let mut state_changes = Vec::new();
    for r in results {
        match r.changes.first() {
            Some(Change::InsertExtensions(exts)) => {
                new_exts.extend(exts.iter().cloned());
                new_grants.extend(r.changes[1..].iter().cloned());
            }
            _ => held.extend(r.changes.iter().cloned()),
        }
        audit.extend(r.audit.clone());
        let after = r.state.map(|s| (s, r.teams.clone()));
        if current.get(&r.member) != after.as_ref() {
            state_changes.push((r.member.clone(), after));
        }
    }
    // The grants first (a store writes a run of them in a few statements), then the
    // unassignments and deprovisionings they leave, in order: a grant never depends on
    // another member's unassignment, and a deprovisioning follows its extension's grant.
    let (mut changes, rest): (Vec<Change>, Vec<Change>) = held
        .into_iter()
        .partition(|c| matches!(c, Change::SetGrant(_)));
    changes.extend(rest);
    if !new_exts.is_empty() {
        changes.push(Change::InsertExtensions(new_exts));
    }
    changes.extend(new_grants);
    changes.extend(
        state_changes
            .iter()
            .map(|(member, state)| Change::SetLicenseState {
                member: member.clone(),
                state: state.clone(),
            }),
    );
    Applied {
        decision: Decision { changes, audit },
        state_changes,
    }
}

//! Teams and team-scoped admins (product.md §12): the teams an owner or whole-organization
//! admin manages, and the [`Scope`] a team-scoped admin's reads and writes are limited to.

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use crate::error::{Error, ErrorCode};
use crate::model::{Change, Decision, Extension, Member, Team};
use crate::values::{MemberId, Role, TeamId};

/// Teams per organization.
pub const MAX_TEAMS: usize = 100;
/// Characters in a team name.
pub const MAX_TEAM_NAME: usize = 100;

/// A team name: trimmed, 1 to 100 characters, no control characters.
pub fn parse_team_name(s: &str) -> Result<String, Error> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_TEAM_NAME || t.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::InvalidName,
            format!("name must be 1 to {MAX_TEAM_NAME} characters without control characters"),
        )
        .detail("field", "name"));
    }
    Ok(t.to_owned())
}

/// What an actor's reads and writes of members and extensions are limited to. Every actor
/// but a team-scoped admin has [`Scope::Org`]: the permission table alone decides for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scope {
    #[default]
    Org,
    /// A team-scoped admin: the members of its enabled teams, and every extension that is
    /// unassigned or held by one of them.
    Teams {
        teams: BTreeSet<TeamId>,
        members: HashSet<MemberId>,
    },
}

impl Scope {
    /// The scope of an admin limited to `scope` among the organization's `teams`. A disabled
    /// team gives no reach (disabling a team is how an owner pauses what it delegates); a
    /// team deleted since is simply gone from the scope.
    pub fn of_teams(scope: &[TeamId], teams: &[Team]) -> Scope {
        let wanted: BTreeSet<&TeamId> = scope.iter().collect();
        let mut members = HashSet::new();
        for t in teams.iter().filter(|t| wanted.contains(&t.id) && t.enabled) {
            members.extend(t.members.iter().cloned());
        }
        Scope::Teams {
            teams: scope.iter().cloned().collect(),
            members,
        }
    }
    pub fn is_org(&self) -> bool {
        matches!(self, Scope::Org)
    }
    pub fn contains_member(&self, id: &MemberId) -> bool {
        match self {
            Scope::Org => true,
            Scope::Teams { members, .. } => members.contains(id),
        }
    }
    /// An extension is in scope when it is unassigned or its holder is.
    pub fn contains_holder(&self, holder: Option<&MemberId>) -> bool {
        holder.is_none_or(|m| self.contains_member(m))
    }
    pub fn contains_extension(&self, e: &Extension) -> bool {
        self.contains_holder(e.member.as_ref())
    }
    pub fn contains_team(&self, id: &TeamId) -> bool {
        match self {
            Scope::Org => true,
            Scope::Teams { teams, .. } => teams.contains(id),
        }
    }
    /// The members a list may show: `None` for every member.
    pub fn members(&self) -> Option<&HashSet<MemberId>> {
        match self {
            Scope::Org => None,
            Scope::Teams { members, .. } => Some(members),
        }
    }
}

/// The teams (ids, sorted) of a member among `teams`: what events and audit entries name.
pub fn teams_of(member: &MemberId, teams: &[Team]) -> Vec<TeamId> {
    let mut out: Vec<TeamId> = teams
        .iter()
        .filter(|t| t.members.binary_search(member).is_ok())
        .map(|t| t.id.clone())
        .collect();
    out.sort();
    out
}

fn name_taken(existing: &[Team], name: &str, except: Option<&TeamId>) -> Result<(), Error> {
    let lower = name.to_lowercase();
    if let Some(t) = existing
        .iter()
        .find(|t| Some(&t.id) != except && t.name.to_lowercase() == lower)
    {
        return Err(Error::new(
            ErrorCode::TeamNameTaken,
            format!(
                "team {} is already named {:?}; choose another name",
                t.id, t.name
            ),
        )
        .detail("field", "name")
        .detail("team", t.id.as_str()));
    }
    Ok(())
}

/// Create a team (enabled, no members) next to the organization's `existing` ones.
pub fn create_team(existing: &[Team], id: TeamId, name: &str) -> Result<Decision, Error> {
    let name = parse_team_name(name)?;
    if existing.len() >= MAX_TEAMS {
        return Err(Error::new(
            ErrorCode::TeamLimit,
            format!("the organization has {MAX_TEAMS} teams already; delete one first"),
        )
        .detail("limit", MAX_TEAMS));
    }
    name_taken(existing, &name, None)?;
    let team = Team {
        id,
        name,
        enabled: true,
        members: Vec::new(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    Ok(Decision::one(
        Change::InsertTeam(team.clone()),
        "team.create",
        format!("team:{}", team.id),
        Value::Null,
        team.audit_json(),
    ))
}

/// Rename and/or enable or disable a team; nothing to change is an empty decision.
pub fn update_team(
    existing: &[Team],
    team: &Team,
    name: Option<&str>,
    enabled: Option<bool>,
) -> Result<Decision, Error> {
    let mut after = team.clone();
    if let Some(n) = name {
        after.name = parse_team_name(n)?;
        name_taken(existing, &after.name, Some(&team.id))?;
    }
    if let Some(e) = enabled {
        after.enabled = e;
    }
    if after == *team {
        return Ok(Decision::default());
    }
    Ok(Decision::one(
        Change::UpdateTeam(after.clone()),
        "team.update",
        format!("team:{}", team.id),
        team.audit_json(),
        after.audit_json(),
    ))
}

/// Delete a team: its members stay members; scopes naming it lose it.
pub fn delete_team(team: &Team) -> Decision {
    Decision::one(
        Change::DeleteTeam(team.id.clone()),
        "team.delete",
        format!("team:{}", team.id),
        team.audit_json(),
        Value::Null,
    )
}

/// Replace a team's members (ids already resolved to members of the organization).
pub fn set_team_members(team: &Team, mut ids: Vec<MemberId>) -> Decision {
    ids.sort();
    ids.dedup();
    if ids == team.members {
        return Decision::default();
    }
    let after = Team {
        members: ids.clone(),
        ..team.clone()
    };
    Decision::one(
        Change::SetTeamMembers {
            team: team.id.clone(),
            members: ids,
        },
        "team.members",
        format!("team:{}", team.id),
        team.audit_json(),
        after.audit_json(),
    )
}

/// Set an admin's scope: `None` is the whole organization. Only an admin has a scope; a
/// scope names existing teams.
pub fn set_scope(
    member: &Member,
    current: Option<&[TeamId]>,
    scope: Option<Vec<TeamId>>,
    teams: &[Team],
) -> Result<Decision, Error> {
    if member.role != Role::Admin {
        return Err(Error::new(
            ErrorCode::ScopeNeedsAdmin,
            format!(
                "{} is {} {}; only an admin is limited to teams",
                member.email,
                if member.role == Role::Owner {
                    "the"
                } else {
                    "a"
                },
                member.role.as_str()
            ),
        )
        .detail("field", "teams"));
    }
    let scope = match scope {
        None => None,
        Some(mut ids) => {
            ids.sort();
            ids.dedup();
            if let Some(unknown) = ids.iter().find(|id| !teams.iter().any(|t| t.id == **id)) {
                return Err(Error::not_found("team", unknown).detail("field", "teams"));
            }
            Some(ids)
        }
    };
    if scope.as_deref() == current {
        return Ok(Decision::default());
    }
    Ok(Decision::one(
        Change::SetScope {
            member: member.id.clone(),
            teams: scope.clone(),
        },
        "member.scope",
        format!("member:{}", member.id),
        json!({"teams": current}),
        json!({"teams": scope}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Status;

    fn team(id: &str, name: &str, members: &[&str]) -> Team {
        Team {
            id: TeamId(id.into()),
            name: name.into(),
            enabled: true,
            members: members.iter().map(|m| MemberId((*m).into())).collect(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn member(id: &str, role: Role) -> Member {
        Member {
            id: MemberId(id.into()),
            email: format!("{id}@example.com").parse().unwrap(),
            name: id.into(),
            role,
            status: Status::Active,
        }
    }

    #[test]
    fn names() {
        assert_eq!(parse_team_name("  Sales ").unwrap(), "Sales");
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(101)] {
            let e = parse_team_name(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidName, "{bad:?}");
        }
        assert!(parse_team_name(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn create_checks_limit_and_names() {
        let existing = vec![team("t1", "Sales", &[])];
        let e = create_team(&existing, TeamId("t2".into()), "sales").unwrap_err();
        assert_eq!(e.code, ErrorCode::TeamNameTaken);
        let d = create_team(&existing, TeamId("t2".into()), "Support").unwrap();
        assert!(
            matches!(&d.changes[..], [Change::InsertTeam(t)] if t.name == "Support" && t.enabled)
        );
        let full: Vec<Team> = (0..MAX_TEAMS)
            .map(|i| team(&format!("t{i}"), &format!("n{i}"), &[]))
            .collect();
        let e = create_team(&full, TeamId("x".into()), "new").unwrap_err();
        assert_eq!(e.code, ErrorCode::TeamLimit);
        let less = &full[..MAX_TEAMS - 1];
        assert!(create_team(less, TeamId("x".into()), "new").is_ok());
    }

    #[test]
    fn update_renames_and_disables() {
        let a = team("a", "A", &[]);
        let b = team("b", "B", &[]);
        let all = vec![a.clone(), b.clone()];
        assert_eq!(
            update_team(&all, &a, Some("b"), None).unwrap_err().code,
            ErrorCode::TeamNameTaken
        );
        // Its own name in another case is a rename, not a clash.
        let d = update_team(&all, &a, Some("a"), Some(false)).unwrap();
        assert!(matches!(&d.changes[..], [Change::UpdateTeam(t)] if t.name == "a" && !t.enabled));
        assert!(update_team(&all, &a, Some("A"), Some(true))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn members_are_sorted_and_deduplicated() {
        let t = team("a", "A", &["m1"]);
        let id = |s: &str| MemberId(s.into());
        let d = set_team_members(&t, vec![id("m2"), id("m1"), id("m2")]);
        assert!(
            matches!(&d.changes[..], [Change::SetTeamMembers { members, .. }]
            if members == &[MemberId("m1".into()), MemberId("m2".into())])
        );
        assert!(set_team_members(&t, vec![id("m1")]).is_empty());
    }

    #[test]
    fn scope_only_for_admins_and_known_teams() {
        let teams = vec![team("a", "A", &[])];
        let a = TeamId("a".into());
        for role in [Role::Owner, Role::Member] {
            let e = set_scope(&member("x", role), None, Some(vec![a.clone()]), &teams).unwrap_err();
            assert_eq!(e.code, ErrorCode::ScopeNeedsAdmin);
        }
        let admin = member("x", Role::Admin);
        let e = set_scope(&admin, None, Some(vec![TeamId("zz".into())]), &teams).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let d = set_scope(&admin, None, Some(vec![a.clone(), a.clone()]), &teams).unwrap();
        assert!(
            matches!(&d.changes[..], [Change::SetScope { teams: Some(t), .. }] if t.len() == 1)
        );
        assert!(set_scope(
            &admin,
            Some(std::slice::from_ref(&a)),
            Some(vec![a.clone()]),
            &teams
        )
        .unwrap()
        .is_empty());
        // An empty list is a scope too: unassigned extensions only, never the whole org.
        let d = set_scope(&admin, Some(&[a]), Some(vec![]), &teams).unwrap();
        assert!(
            matches!(&d.changes[..], [Change::SetScope { teams: Some(t), .. }] if t.is_empty())
        );
    }

    #[test]
    fn scope_contains() {
        let mut b = team("b", "B", &["m2"]);
        b.enabled = false;
        let teams = vec![team("a", "A", &["m1"]), b, team("c", "C", &["m3"])];
        let s = Scope::of_teams(&[TeamId("a".into()), TeamId("b".into())], &teams);
        assert!(s.contains_member(&MemberId("m1".into())));
        assert!(!s.contains_member(&MemberId("m2".into())), "disabled team");
        assert!(!s.contains_member(&MemberId("m3".into())), "other team");
        let mut e = Extension::new("1000".parse().unwrap());
        assert!(s.contains_extension(&e), "unassigned");
        e.member = Some(MemberId("m3".into()));
        assert!(!s.contains_extension(&e));
        e.member = Some(MemberId("m1".into()));
        assert!(s.contains_extension(&e));
        assert!(s.contains_team(&TeamId("b".into())));
        assert!(!s.contains_team(&TeamId("c".into())));
        assert!(Scope::Org.contains_member(&MemberId("anyone".into())));
        assert_eq!(
            teams_of(&MemberId("m1".into()), &teams),
            vec![TeamId("a".into())]
        );
    }
}

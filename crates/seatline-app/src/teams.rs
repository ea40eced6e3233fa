//! Teams and team-scoped admins (product.md §12): the team use cases, and the one place an
//! actor's [`Scope`] is resolved. Use cases load members and extensions through
//! [`App::scope`], [`App::scoped_member`] and [`App::scoped_extension`], so an object outside
//! a team-scoped admin's reach is "not found" exactly as another organization's is; no
//! handler checks a team.

use std::collections::BTreeSet;

use seatline_domain::permissions::{Action, Actor};
use seatline_domain::teams;
use seatline_domain::{
    Error, ExtKey, Extension, Member, MemberId, OrgId, Role, Scope, Team, TeamId,
};
use seatline_store::Tx;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{need, new_id, App, AppResult, Ctx};

/// A team as the API, the CLI and the UI show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    /// Member ids, sorted.
    pub members: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The last change of its name, state or members; RFC 3339, UTC.
    pub updated_at: String,
}

impl From<&Team> for TeamView {
    fn from(t: &Team) -> Self {
        TeamView {
            id: t.id.to_string(),
            name: t.name.clone(),
            enabled: t.enabled,
            members: t.members.iter().map(|m| m.to_string()).collect(),
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
        }
    }
}

/// What [`App::change_team`] does: a new name, the members (ids or emails) replaced, then
/// members added and removed (by id).
#[derive(Debug, Clone, Default)]
pub struct TeamChange {
    pub name: Option<String>,
    pub members: Option<Vec<String>>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// An admin's scope as the API shows it: `teams` null is the whole organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeView {
    pub member: String,
    pub teams: Option<Vec<String>>,
}

/// The member an audit record concerns: its target, or the holder of the extension it
/// targets (after the change, else before it).
pub(crate) fn concerned(a: &seatline_domain::AuditRecord) -> Option<MemberId> {
    if let Some(id) = a.target.strip_prefix("member:") {
        return Some(MemberId(id.to_owned()));
    }
    if a.target.starts_with("extension:") {
        let holder = |v: &serde_json::Value| v["member"].as_str().map(str::to_owned);
        return holder(&a.after).or_else(|| holder(&a.before)).map(MemberId);
    }
    None
}

impl App {
    /// The actor a member acts as, with its scope when it is an admin limited to teams:
    /// what every token, session and CLI `--as` resolves to (one more query, for admins only).
    pub async fn actor_of(&self, org: &OrgId, m: Member) -> AppResult<Actor> {
        let scope = if m.role == Role::Admin {
            let mut tx = self.store.begin().await?;
            tx.admin_scope(org, &m.id).await?
        } else {
            None
        };
        Ok(Actor::Member {
            id: m.id,
            role: m.role,
            status: m.status,
            scope,
        })
    }

    /// What the actor's reads and writes of members and extensions reach, read in the
    /// use case's own transaction: the members of its enabled teams now, and itself.
    pub(crate) async fn scope(tx: &mut Box<dyn Tx>, ctx: &Ctx, org: &OrgId) -> AppResult<Scope> {
        match &ctx.actor {
            Actor::Member {
                id,
                role: Role::Admin,
                scope: Some(limit),
                ..
            } => {
                let all = tx.teams(org).await?;
                let mut scope = Scope::of_teams(limit, &all);
                // An admin always reaches its own record (as any member does).
                if let Scope::Teams { members, .. } = &mut scope {
                    members.insert(id.clone());
                }
                Ok(scope)
            }
            _ => Ok(Scope::Org),
        }
    }

    /// A member by id or email, or `None` when it does not exist or is out of scope.
    pub(crate) async fn scoped_member(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        scope: &Scope,
        reference: &str,
    ) -> AppResult<Option<Member>> {
        Ok(Self::find_member(tx, org, reference)
            .await?
            .filter(|m| scope.contains_member(&m.id)))
    }

    /// An extension, or `None` when it does not exist or is out of scope.
    pub(crate) async fn scoped_extension(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        scope: &Scope,
        key: ExtKey,
    ) -> AppResult<Option<Extension>> {
        Ok(tx
            .extension(org, key)
            .await?
            .filter(|e| scope.contains_extension(e)))
    }

    /// The organization's teams; a team-scoped admin sees the teams of its scope.
    pub async fn teams(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<TeamView>> {
        self.guard(ctx, org, Action::ReadTeams, None)?;
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        Ok(tx
            .teams(org)
            .await?
            .iter()
            .filter(|t| scope.contains_team(&t.id))
            .map(TeamView::from)
            .collect())
    }

    pub async fn team(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<TeamView> {
        self.guard(ctx, org, Action::ReadTeams, None)?;
        let mut tx = self.read(org).await?;
        Ok((&Self::visible_team(&mut tx, ctx, org, id).await?).into())
    }

    /// Team `id` as `ctx` may see it: another scope's team is not found.
    pub(crate) async fn visible_team(
        tx: &mut Box<dyn seatline_store::Tx>,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
    ) -> AppResult<Team> {
        let scope = Self::scope(tx, ctx, org).await?;
        let mut all = tx.teams(org).await?;
        let at = all
            .iter()
            .position(|t| t.id.as_str() == id && scope.contains_team(&t.id));
        Ok(all.swap_remove(need(at, "team", id)?))
    }

    async fn locked_team(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
    ) -> AppResult<(crate::Locked, Vec<Team>, Team)> {
        self.guard(ctx, org, Action::ManageTeams, None)?;
        let mut tx = self.lock(org).await?;
        let all = tx.teams(org).await?;
        let t = need(all.iter().find(|t| t.id.as_str() == id), "team", id)?.clone();
        Ok((tx, all, t))
    }

    /// Create a team with its first members (ids or emails; none from the API and the UI,
    /// which set them afterwards), in one transaction.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn create_team(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        name: &str,
        members: &[String],
    ) -> AppResult<TeamView> {
        self.guard(ctx, org, Action::ManageTeams, None)?;
        let mut tx = self.lock(org).await?;
        let all = tx.teams(org).await?;
        let id = TeamId(new_id("team"));
        let mut d = teams::create_team(&all, id.clone(), name)?;
        if !members.is_empty() {
            let ids = Self::resolve_members(&mut tx, org, members).await?;
            if let Some(seatline_domain::Change::InsertTeam(team)) = d.changes.first() {
                let step = teams::set_team_members(team, ids);
                d.changes.extend(step.changes);
                d.audit.extend(step.audit);
            }
        }
        self.commit(tx, ctx, org, d).await?;
        // Read back: the database keeps its times.
        self.stored_team(org, &id).await
    }

    /// Rename a team and/or enable or disable it (PATCH).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn update_team(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        name: Option<&str>,
        enabled: Option<bool>,
    ) -> AppResult<TeamView> {
        let (tx, all, t) = self.locked_team(ctx, org, id).await?;
        let d = teams::update_team(&all, &t, name, enabled)?;
        // Enabling or disabling a templated team grants or revokes for its members (§13).
        let affected = if enabled.is_some_and(|e| e != t.enabled) {
            t.members.clone()
        } else {
            Vec::new()
        };
        self.commit_reconciling(tx, ctx, org, d, &affected, Vec::new())
            .await?;
        self.stored_team(org, &t.id).await
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn delete_team(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<()> {
        let (mut tx, _, t) = self.locked_team(ctx, org, id).await?;
        // A templated team's grants are revoked first, in the same transaction: the copies
        // it alone granted go, and no inherited row names a team that is gone (§13).
        if tx
            .templates(org)
            .await?
            .iter()
            .any(|(team, _)| *team == t.id)
        {
            let gone = seatline_domain::Decision {
                changes: vec![seatline_domain::Change::SetTemplate {
                    team: t.id.clone(),
                    template: None,
                }],
                audit: Vec::new(),
            };
            self.record(&mut tx, ctx, org, gone, crate::events::Seen::default())
                .await?;
            self.reconcile_in(&mut tx, ctx, org, &t.members).await?;
        }
        self.commit(tx, ctx, org, teams::delete_team(&t)).await
    }

    /// Replace a team's members (ids or emails); an unknown one is refused by name.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_team_members(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        members: &[String],
    ) -> AppResult<TeamView> {
        self.change_team(
            ctx,
            org,
            id,
            TeamChange {
                members: Some(members.to_vec()),
                ..TeamChange::default()
            },
        )
        .await
    }

    /// Members by id or email, each known or refused by its place in the list.
    async fn resolve_members(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        refs: &[String],
    ) -> AppResult<Vec<MemberId>> {
        let mut ids = Vec::with_capacity(refs.len());
        for (i, reference) in refs.iter().enumerate() {
            let m = Self::find_member(tx, org, reference)
                .await?
                .ok_or_else(|| {
                    Error::not_found("member", reference).detail("field", format!("members[{i}]"))
                })?;
            ids.push(m.id);
        }
        Ok(ids)
    }

    /// Rename a team and replace, add or remove members, in one transaction: what a SCIM
    /// PATCH of a Group asks.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn change_team(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        change: TeamChange,
    ) -> AppResult<TeamView> {
        let (mut tx, all, t) = self.locked_team(ctx, org, id).await?;
        let mut d = teams::update_team(&all, &t, change.name.as_deref(), None)?;
        let renamed = match d.changes.first() {
            Some(seatline_domain::Change::UpdateTeam(after)) => after.clone(),
            _ => t.clone(),
        };
        let mut joined_order: Vec<MemberId> = Vec::new();
        let mut ids: BTreeSet<MemberId> = match &change.members {
            Some(refs) => {
                let listed = Self::resolve_members(&mut tx, org, refs).await?;
                joined_order.extend(listed.iter().cloned());
                listed.into_iter().collect()
            }
            None => t.members.iter().cloned().collect(),
        };
        let added = Self::resolve_members(&mut tx, org, &change.add).await?;
        joined_order.extend(added.iter().cloned());
        ids.extend(added);
        for r in &change.remove {
            ids.remove(&MemberId(r.clone()));
        }
        // The members joining and leaving: their grants follow in the same transaction (§13),
        // in the order the request named them (join order).
        let before: BTreeSet<&MemberId> = t.members.iter().collect();
        let mut affected: Vec<MemberId> = Vec::new();
        for m in joined_order {
            if ids.contains(&m) && !before.contains(&m) && !affected.contains(&m) {
                affected.push(m);
            }
        }
        affected.extend(t.members.iter().filter(|m| !ids.contains(m)).cloned());
        let ids: Vec<MemberId> = ids.into_iter().collect();
        let step = teams::set_team_members(&renamed, ids.clone());
        d.changes.extend(step.changes);
        d.audit.extend(step.audit);
        self.commit_reconciling(tx, ctx, org, d, &affected, Vec::new())
            .await?;
        self.stored_team(org, &renamed.id).await
    }

    /// A team as stored, just after the caller's write committed.
    async fn stored_team(&self, org: &OrgId, id: &TeamId) -> AppResult<TeamView> {
        let mut tx = self.read(org).await?;
        let all = tx.teams(org).await?;
        Ok(need(all.iter().find(|t| t.id == *id), "team", id)?.into())
    }

    /// An admin's scope (owner, and whole-organization admins reading teams).
    pub async fn member_scope(&self, ctx: &Ctx, org: &OrgId, member: &str) -> AppResult<ScopeView> {
        self.guard(ctx, org, Action::ReadTeams, None)?;
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let m = need(
            Self::scoped_member(&mut tx, org, &scope, member).await?,
            "member",
            member,
        )?;
        let teams = tx.admin_scope(org, &m.id).await?;
        Ok(ScopeView {
            member: m.id.to_string(),
            teams: teams.map(|ts| ts.into_iter().map(|t| t.0).collect()),
        })
    }

    /// Limit an admin to teams, or (`None`) give it the whole organization (owner only).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_member_scope(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
        teams: Option<Vec<String>>,
    ) -> AppResult<ScopeView> {
        self.guard(ctx, org, Action::SetScope, None)?;
        let mut tx = self.lock(org).await?;
        let m = need(
            Self::find_member(&mut tx, org, member).await?,
            "member",
            member,
        )?;
        let all = tx.teams(org).await?;
        let current = tx.admin_scope(org, &m.id).await?;
        let wanted = teams.map(|ts| ts.into_iter().map(TeamId).collect::<Vec<_>>());
        let d = teams::set_scope(&m, current.as_deref(), wanted, &all)?;
        let after = match d.changes.first() {
            Some(seatline_domain::Change::SetScope { teams, .. }) => teams.clone(),
            _ => current,
        };
        self.commit(tx, ctx, org, d).await?;
        Ok(ScopeView {
            member: m.id.to_string(),
            teams: after.map(|ts| ts.into_iter().map(|t| t.0).collect()),
        })
    }
}

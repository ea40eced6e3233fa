//! Members: create, read, role and status, ownership, deletion, entitlements.

use std::collections::HashMap;

use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{
    rules, Decision, Email, Error, Member, MemberId, OrgId, Role, Scope, Status,
};
use seatline_store::{EntitlementSources, ExtensionQuery, MemberRef, Tx};

use crate::tokens::{hash_secret, is_integration};

use crate::views::*;
use crate::{need, new_id, page_limit, App, AppResult, Ctx};

/// A member reference as the routes take it: an email when it contains `@`, else an id;
/// `None` for a malformed email, which no member can have.
fn member_ref(reference: &str) -> Option<MemberRef> {
    if reference.contains('@') {
        reference.parse::<Email>().ok().map(MemberRef::Email)
    } else {
        Some(MemberRef::Id(MemberId(reference.to_owned())))
    }
}

impl App {
    /// Find a member by id or, when the reference contains `@`, by email.
    pub(crate) async fn find_member(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        reference: &str,
    ) -> AppResult<Option<Member>> {
        match member_ref(reference) {
            Some(MemberRef::Email(e)) => Ok(tx.member_by_email(org, &e).await?),
            Some(MemberRef::Id(id)) => Ok(tx.member(org, &id).await?),
            None => Ok(None),
        }
    }

    pub(crate) async fn member_view(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        m: &Member,
    ) -> AppResult<MemberView> {
        let ext = tx.extension_of(org, &m.id).await?;
        let states = Self::states(tx, org).await?;
        let mut view = MemberView::new(m, ext.as_ref(), &states);
        view.last_activity = Some(match &ext {
            Some(e) => Self::last_activity(tx, org, &[e.key])
                .await?
                .remove(&e.key)
                .unwrap_or_default(),
            None => Vec::new(),
        });
        Ok(view)
    }

    pub async fn members(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<MemberView>> {
        self.guard(ctx, org, Action::ReadMembers, None)?;
        let limit = page_limit(limit);
        let mut tx = self.read(org).await?;
        let rows = match Self::scope(&mut tx, ctx, org).await? {
            Scope::Org => tx.members(org, after, limit + 1).await?,
            // Its teams' members, and itself when it is in none of them.
            Scope::Teams { teams, members } => {
                let teams: Vec<_> = teams.into_iter().collect();
                let mut rows = tx.members_in_teams(org, &teams, after, limit + 1).await?;
                if let Some(me) = ctx.member() {
                    if members.contains(me) && !rows.iter().any(|m| m.id == *me) {
                        let mine = tx.member(org, me).await?;
                        rows.extend(mine.filter(|m| after.is_none_or(|a| m.email.as_str() > a)));
                        rows.sort_by(|a, b| a.email.as_str().cmp(b.email.as_str()));
                    }
                }
                rows
            }
        };
        let q = ExtensionQuery {
            members: rows.iter().map(|m| m.id.clone()).collect(),
            limit: u32::MAX,
            ..Default::default()
        };
        let exts = tx.extensions(org, &q).await?;
        let by_member: HashMap<&MemberId, &seatline_domain::Extension> = exts
            .iter()
            .filter_map(|e| e.member.as_ref().map(|m| (m, e)))
            .collect();
        let states = Self::states(&mut tx, org).await?;
        let keys: Vec<seatline_domain::ExtKey> = exts.iter().map(|e| e.key).collect();
        let activity = Self::last_activity(&mut tx, org, &keys).await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |m| m.email.to_string(),
            |m| {
                let ext = by_member.get(&m.id).copied();
                let mut view = MemberView::new(m, ext, &states);
                view.last_activity = Some(
                    ext.and_then(|e| activity.get(&e.key).cloned())
                        .unwrap_or_default(),
                );
                view
            },
        ))
    }

    pub async fn member(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<MemberView> {
        let mut tx = self.store.begin().await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let m = Self::scoped_member(&mut tx, org, &scope, id).await?;
        self.guard(ctx, org, Action::ReadMember, m.as_ref().map(|m| &m.id))?;
        let m = need(m, "member", id)?;
        let mut view = Self::member_view(&mut tx, org, &m).await?;
        view.license_state = Self::license_state(&mut tx, org, &m.id).await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn create_member(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        email: &str,
        name: &str,
        role: &str,
    ) -> AppResult<MemberView> {
        self.guard(ctx, org, Action::CreateMember, None)?;
        let email: Email = email
            .parse()
            .map_err(|e: Error| e.detail("field", "email"))?;
        let role: Role = role.parse()?;
        let name = if name.trim().is_empty() {
            email.as_str().to_owned()
        } else {
            name.to_owned()
        };
        let member = rules::new_member(MemberId(new_id("mem")), email, &name, role)?;
        let mut tx = self.lock(org).await?;
        let taken = tx.member_by_email(org, &member.email).await?.is_some();
        let d = rules::create_member(ctx.actor.role(), member.clone(), taken)?;
        self.commit(tx, ctx, org, d).await?;
        Ok(MemberView::new(&member, None, &Default::default()))
    }

    /// Change a member's role and/or status (PATCH).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn update_member(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        role: Option<&str>,
        status: Option<&str>,
    ) -> AppResult<MemberView> {
        let role = role.map(str::parse::<Role>).transpose()?;
        let status = status.map(str::parse::<Status>).transpose()?;
        if role.is_some() {
            self.guard(ctx, org, Action::ChangeRole, None)?;
        }
        if status.is_some() {
            self.guard(ctx, org, Action::SetStatus, None)?;
        }
        if role.is_none() && status.is_none() {
            self.guard(ctx, org, Action::ReadOrg, None)?;
        }
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let mut m = need(
            Self::scoped_member(&mut tx, org, &scope, id).await?,
            "member",
            id,
        )?;
        let mut d = Decision::default();
        if let Some(r) = role {
            let step = rules::change_role(&m, r)?;
            if let Some(seatline_domain::Change::UpdateMember(after)) = step.changes.last() {
                m = after.clone();
            }
            d.changes.extend(step.changes);
            d.audit.extend(step.audit);
        }
        if let Some(s) = status {
            rules::may_set_status(&ctx.actor, &m)?;
            let step = rules::set_status(&m, s)?;
            if s == Status::Disabled && m.status != Status::Disabled {
                // Tokens and sessions from before a disable stay dead: enabling the member
                // again does not bring them back (docs/decisions.md).
                for t in tx.tokens(org, &m.id).await? {
                    if !t.revoked {
                        tx.revoke_token(org, &m.id, &t.id).await?;
                    }
                }
                tx.end_sessions(org, &m.id).await?;
            }
            if let Some(seatline_domain::Change::UpdateMember(after)) = step.changes.last() {
                m = after.clone();
            }
            d.changes.extend(step.changes);
            d.audit.extend(step.audit);
        }
        let view = Self::member_view(&mut tx, org, &m).await?;
        // Enabled again: what its templated teams ask for is granted now (§13); a disabled
        // member keeps what it holds, so disabling reconciles nothing.
        let enabled = status == Some(Status::Active);
        let affected = if enabled {
            vec![m.id.clone()]
        } else {
            Vec::new()
        };
        self.commit_reconciling(tx, ctx, org, d, &affected, Vec::new())
            .await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn transfer_ownership(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        to: &str,
    ) -> AppResult<MemberView> {
        self.guard(ctx, org, Action::TransferOwnership, None)?;
        let mut tx = self.lock(org).await?;
        let target = need(Self::find_member(&mut tx, org, to).await?, "member", to)?;
        let owner = tx
            .members(org, None, u32::MAX)
            .await?
            .into_iter()
            .find(|m| m.role == Role::Owner);
        let owner = need(owner, "owner of organization", org)?;
        let d = rules::transfer_ownership(&owner, &target)?;
        let view = Self::member_view(
            &mut tx,
            org,
            &Member {
                role: Role::Owner,
                ..target
            },
        )
        .await?;
        self.commit(tx, ctx, org, d).await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn delete_member(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::DeleteMember, None)?;
        let mut tx = self.lock(org).await?;
        let m = need(Self::find_member(&mut tx, org, id).await?, "member", id)?;
        // Refused before anything is written (an active member, the owner).
        rules::delete_member(&m, None)?;
        // What its teams granted goes with it (§13); what was direct stays, unassigned.
        self.release_inherited(&mut tx, ctx, org, &m).await?;
        let ext = tx.extension_of(org, &m.id).await?;
        let d = rules::delete_member(&m, ext.as_ref())?;
        self.commit(tx, ctx, org, d).await
    }

    /// The PBX and the contact center ask on every registration and call: one statement
    /// reads the member, its extension and the subscription states (issue 15).
    pub async fn entitlements(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<Entitlements> {
        let mut sources = match member_ref(id) {
            Some(r) => self.store.entitlement_sources(org, &r).await?,
            None => None,
        };
        if matches!(&ctx.actor, Actor::Member { scope: Some(_), .. }) {
            // A team-scoped admin reaches its teams' members only (product.md §12).
            let mut tx = self.store.begin().await?;
            let scope = Self::scope(&mut tx, ctx, org).await?;
            sources = sources.filter(|s| scope.contains_member(&s.member.id));
        }
        self.entitlements_of(ctx, org, id, sources)
    }

    /// [`App::entitlements`] for the secret of a bearer token: the token, its holder and the
    /// entitlements are read in one store call, one statement on PostgreSQL (issue 15).
    pub async fn entitlements_by_secret(
        &self,
        secret: &str,
        org: &OrgId,
        id: &str,
    ) -> AppResult<Entitlements> {
        let Some(r) = member_ref(id) else {
            let ctx = self.authenticate(secret).await?;
            return self.entitlements(&ctx, org, id).await;
        };
        let read = self
            .store
            .token_entitlements(&hash_secret(secret), is_integration(secret), org, &r)
            .await?;
        let ctx = self.ctx_of(read.holder).await?;
        if matches!(&ctx.actor, Actor::Member { scope: Some(_), .. }) {
            // The scope is read in a transaction of its own, as above.
            return self.entitlements(&ctx, org, id).await;
        }
        self.entitlements_of(&ctx, org, id, read.sources)
    }

    fn entitlements_of(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        sources: Option<EntitlementSources>,
    ) -> AppResult<Entitlements> {
        self.guard(
            ctx,
            org,
            Action::ReadMember,
            sources.as_ref().map(|s| &s.member.id),
        )?;
        let s = need(sources, "member", id)?;
        let states = Self::states_of(s.subscriptions);
        Ok(Entitlements::new(&s.member, s.extension.as_ref(), &states))
    }

    /// Every member with its Contact Center role, readiness and what is missing.
    pub async fn contact_center(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<MemberView>> {
        self.guard(ctx, org, Action::ReadContactCenter, None)?;
        self.members(ctx, org, after, limit).await
    }
}

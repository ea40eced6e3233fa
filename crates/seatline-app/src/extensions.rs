//! Extensions: provision, assign, add-ons, numbers, deprovision.

use std::collections::HashMap;

use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{
    rules, Addons, Code, Error, ErrorCode, ExtKey, Member, MemberId, OrgId, Scope, E164,
};
use seatline_store::{ExtensionQuery, Tx};

use crate::events::Seen;
use crate::views::*;
use crate::{need, page_limit, path_key, App, AppResult, Ctx};

impl App {
    pub(crate) async fn extension_view(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        e: &seatline_domain::Extension,
    ) -> AppResult<ExtensionView> {
        let m = Self::holder(tx, org, e).await?;
        let states = Self::states(tx, org).await?;
        let mut view = ExtensionView::new(e, m.as_ref(), &states);
        view.last_activity = Some(
            Self::last_activity(tx, org, &[e.key])
                .await?
                .remove(&e.key)
                .unwrap_or_default(),
        );
        Ok(view)
    }

    /// The member holding `e`, if any.
    async fn holder(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        e: &seatline_domain::Extension,
    ) -> AppResult<Option<Member>> {
        Ok(match &e.member {
            Some(id) => tx.member(org, id).await?,
            None => None,
        })
    }

    pub async fn extensions(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        mut q: ExtensionQuery,
        member: Option<&str>,
    ) -> AppResult<Page<ExtensionView>> {
        self.guard(ctx, org, Action::ReadExtensions, None)?;
        let limit = page_limit(Some(q.limit).filter(|l| *l > 0));
        q.limit = limit + 1;
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        if let Scope::Teams { teams, .. } = &scope {
            q.teams = Some(teams.iter().cloned().collect());
        }
        if let Some(reference) = member {
            match Self::scoped_member(&mut tx, org, &scope, reference).await? {
                Some(m) => q.members = vec![m.id],
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: None,
                    })
                }
            }
        }
        let rows = tx.extensions(org, &q).await?;
        // Only the holders of this page, in one query: never the whole member list.
        let holders: Vec<MemberId> = rows.iter().filter_map(|e| e.member.clone()).collect();
        let members: HashMap<MemberId, Member> = if holders.is_empty() {
            HashMap::new()
        } else {
            tx.members_by_id(org, &holders)
                .await?
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect()
        };
        let states = Self::states(&mut tx, org).await?;
        let keys: Vec<ExtKey> = rows.iter().map(|e| e.key).collect();
        let activity = Self::last_activity(&mut tx, org, &keys).await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |e| e.key.to_string(),
            |e| {
                let holder = e.member.as_ref().and_then(|m| members.get(m));
                let mut view = ExtensionView::new(e, holder, &states);
                view.last_activity = Some(activity.get(&e.key).cloned().unwrap_or_default());
                view
            },
        ))
    }

    /// Read one extension: owners, admins and the operator read every extension; a member
    /// reads the one it holds (the table's `ReadMember` on itself), and is refused any other.
    pub async fn extension(&self, ctx: &Ctx, org: &OrgId, key: &str) -> AppResult<ExtensionView> {
        let reads_all = self.guard(ctx, org, Action::ReadExtensions, None);
        if let Err(e) = &reads_all {
            if e.code == ErrorCode::NotFound || !matches!(ctx.actor, Actor::Member { .. }) {
                return Err(e.clone().into());
            }
        }
        let key = path_key(key)?;
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let found = Self::scoped_extension(&mut tx, org, &scope, key).await?;
        if let Err(refused) = reads_all {
            // A member learns nothing about extensions it does not hold, not even whether
            // they exist.
            let holder = found.as_ref().and_then(|e| e.member.as_ref());
            if holder.is_none() {
                return Err(refused.into());
            }
            self.guard(ctx, org, Action::ReadMember, holder)
                .map_err(|_| refused)?;
        }
        let e = need(found, "extension", key)?;
        let mut view = Self::extension_view(&mut tx, org, &e).await?;
        view.sources = Some(Self::sources(&mut tx, org, &e).await?);
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn provision(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        count: i64,
        start: &str,
    ) -> AppResult<Vec<ExtensionView>> {
        self.guard(ctx, org, Action::Provision, None)?;
        let start: ExtKey = start
            .parse::<ExtKey>()
            .map_err(|e| e.detail("field", "start"))?;
        let mut tx = self.lock(org).await?;
        let taken = tx.taken_keys(org).await?;
        let seats = tx.seats(org).await?;
        let d = rules::provision(count, start, &taken, &seats)?;
        let views = match d.changes.first() {
            Some(seatline_domain::Change::InsertExtensions(exts)) => exts
                .iter()
                .map(|e| ExtensionView::new(e, None, &seats))
                .collect(),
            _ => Vec::new(),
        };
        self.commit(tx, ctx, org, d).await?;
        Ok(views)
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn deprovision(&self, ctx: &Ctx, org: &OrgId, key: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::Deprovision, None)?;
        let key = path_key(key)?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let e = need(
            Self::scoped_extension(&mut tx, org, &scope, key).await?,
            "extension",
            key,
        )?;
        let holder = Self::holder(&mut tx, org, &e).await?;
        let d = rules::deprovision(&e, holder.as_ref())?;
        let d = Self::guard_direct_write(&mut tx, org, &e, None, d).await?;
        self.commit(tx, ctx, org, d).await
    }

    /// Assign a member (by id or email) to an extension; with `reassign`, replace its member.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn assign(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        key: &str,
        member: &str,
        reassign: bool,
    ) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::Assign, None)?;
        let key = path_key(key)?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let e = need(
            Self::scoped_extension(&mut tx, org, &scope, key).await?,
            "extension",
            key,
        )?;
        let m = Self::scoped_member(&mut tx, org, &scope, member)
            .await?
            .ok_or_else(|| Error::not_found("member", member).detail("field", "member"))?;
        let held = tx.extension_of(org, &m.id).await?.map(|h| h.key);
        // The extension is in scope, so its holder is too: the refusal may name it.
        let holder = Self::holder(&mut tx, org, &e).await?;
        let d = rules::assign(&e, holder.as_ref(), &m, held, reassign)?;
        let d = if d.is_empty() {
            d
        } else {
            Self::guard_direct_write(&mut tx, org, &e, None, d).await?
        };
        let after = seatline_domain::Extension {
            member: Some(m.id.clone()),
            ..e.clone()
        };
        let e_before = e;
        let states = Self::states(&mut tx, org).await?;
        let seen = Seen {
            extensions: vec![e_before],
            members: vec![m.clone()],
            states: Some(states.clone()),
        };
        self.commit_seen(tx, ctx, org, d, seen).await?;
        Ok(ExtensionView::new(&after, Some(&m), &states))
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn unassign(&self, ctx: &Ctx, org: &OrgId, key: &str) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::Assign, None)?;
        let key = path_key(key)?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let e = need(
            Self::scoped_extension(&mut tx, org, &scope, key).await?,
            "extension",
            key,
        )?;
        let d = Self::guard_direct_write(&mut tx, org, &e, None, rules::unassign(&e)).await?;
        let after = seatline_domain::Extension {
            member: None,
            ..e.clone()
        };
        let states = Self::states(&mut tx, org).await?;
        let seen = Seen {
            extensions: vec![e],
            states: Some(states.clone()),
            ..Seen::default()
        };
        self.commit_seen(tx, ctx, org, d, seen).await?;
        Ok(ExtensionView::new(&after, None, &states))
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_addons(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        key: &str,
        codes: &[String],
    ) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::SetAddons, None)?;
        let key = path_key(key)?;
        let addons: Addons = codes
            .iter()
            .map(|c| c.parse::<Code>())
            .collect::<Result<_, _>>()?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let e = need(
            Self::scoped_extension(&mut tx, org, &scope, key).await?,
            "extension",
            key,
        )?;
        let seats = tx.seats(org).await?;
        let d = rules::set_addons(&e, addons.clone(), &seats)?;
        let d = Self::guard_direct_write(&mut tx, org, &e, Some(&addons), d).await?;
        let m = Self::holder(&mut tx, org, &e).await?;
        let after = seatline_domain::Extension {
            addons,
            ..e.clone()
        };
        // The seats aggregate carries each subscription's state.
        let view = ExtensionView::new(&after, m.as_ref(), &seats);
        let seen = Seen {
            extensions: vec![e],
            members: m.into_iter().collect(),
            states: Some(seats),
        };
        self.commit_seen(tx, ctx, org, d, seen).await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_numbers(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        key: &str,
        numbers: &[String],
    ) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::SetNumbers, None)?;
        let key = path_key(key)?;
        let numbers: Vec<E164> = numbers
            .iter()
            .map(|n| n.parse())
            .collect::<Result<_, _>>()?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let e = need(
            Self::scoped_extension(&mut tx, org, &scope, key).await?,
            "extension",
            key,
        )?;
        let rows = Self::scoped_numbers(&mut tx, org, &scope, &numbers).await?;
        let d = rules::set_numbers(&e, numbers.clone(), &rows)?;
        let mut sorted = numbers;
        sorted.sort();
        let m = Self::holder(&mut tx, org, &e).await?;
        let states = Self::states(&mut tx, org).await?;
        let after = seatline_domain::Extension {
            numbers: sorted,
            ..e.clone()
        };
        let view = ExtensionView::new(&after, m.as_ref(), &states);
        let seen = Seen {
            extensions: vec![e],
            members: m.into_iter().collect(),
            states: Some(states),
        };
        self.commit_seen(tx, ctx, org, d, seen).await?;
        Ok(view)
    }
}

//! Seatline's use cases, one method each: authorize, load what the rule needs (inside the
//! organization's write lock for writes), let the domain decide, and apply the changes with
//! their audit entries in one transaction. The API, the CLI and the admin UI all call these.

pub mod bulk;
mod error;
mod passwords;
pub mod schema;
mod tokens;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use seatline_domain::permissions::{authorize, Action, Actor};
use seatline_domain::{
    rules, Addons, AuditRecord, Code, Decision, Email, Error, ErrorCode, ExtKey, Member, MemberId,
    OrgId, Role, Status, E164,
};
use seatline_store::{AuditEntry, AuditQuery, ExtensionQuery, Store, Tx};

pub use error::{AppError, AppResult};
pub use passwords::{hash_password, verify_password, SignInMatch, MAX_PASSWORD, MIN_PASSWORD};
pub use tokens::hash_secret;
use views::*;

/// Largest page a list answers with.
pub const MAX_PAGE: u32 = 1000;
pub const DEFAULT_PAGE: u32 = 100;

/// Who is asking, and on behalf of which request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    /// The organization a member actor belongs to; `None` for the operator.
    pub org: Option<OrgId>,
    pub request_id: Option<String>,
}

impl Ctx {
    pub fn operator() -> Self {
        Ctx {
            actor: Actor::Operator,
            org: None,
            request_id: None,
        }
    }
}

#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    queues: Arc<WriteQueues>,
}

/// One in-process queue per organization in front of the database's write lock.
#[derive(Default)]
struct WriteQueues(std::sync::Mutex<HashMap<OrgId, Arc<tokio::sync::Mutex<()>>>>);

impl WriteQueues {
    async fn turn(&self, org: &OrgId) -> tokio::sync::OwnedMutexGuard<()> {
        let queue = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            // Forget the queues nobody waits in, so the map stays as small as the busy orgs.
            map.retain(|_, q| Arc::strong_count(q) > 1);
            map.entry(org.clone()).or_default().clone()
        };
        queue.lock_owned().await
    }
}

/// An organization's write transaction, holding its turn in the in-process queue until it
/// commits or is dropped (dropping rolls back).
pub struct Locked {
    tx: Box<dyn Tx>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Locked {
    pub async fn commit(self) -> Result<(), seatline_store::StoreError> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for Locked {
    type Target = Box<dyn Tx>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Locked {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// The current time as stored and shown: RFC 3339, UTC, milliseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The audit entries of a decision's records, stamped with who acted, when, and the request.
pub(crate) fn audit_entries(ctx: &Ctx, records: Vec<AuditRecord>) -> Vec<AuditEntry> {
    let at = now();
    records
        .into_iter()
        .map(|a| AuditEntry {
            id: 0,
            at: at.clone(),
            actor: ctx.actor.label(),
            action: a.action.to_owned(),
            target: a.target,
            before: a.before,
            after: a.after,
            request_id: ctx.request_id.clone(),
        })
        .collect()
}

/// A new opaque id with a readable prefix.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

fn need<T>(v: Option<T>, what: &str, id: impl std::fmt::Display) -> Result<T, Error> {
    v.ok_or_else(|| Error::not_found(what, id))
}

fn page_limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

/// Parse an extension key from a path; a key that cannot exist is simply not found.
fn path_key(key: &str) -> Result<ExtKey, Error> {
    key.parse().map_err(|_| Error::not_found("extension", key))
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        App {
            store,
            queues: Arc::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Check that the actor may act in `org` at all (another org's objects are "not found"),
    /// then the permission table.
    pub fn guard(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        action: Action,
        target: Option<&MemberId>,
    ) -> Result<(), Error> {
        if let Some(own) = &ctx.org {
            if own != org {
                return Err(Error::not_found("organization", org));
            }
        }
        authorize(&ctx.actor, action, target)
    }

    async fn read(&self, org: &OrgId) -> AppResult<Box<dyn Tx>> {
        let mut tx = self.store.begin().await?;
        need(tx.org(org).await?, "organization", org)?;
        Ok(tx)
    }

    /// Open the organization's write transaction. Writers of one organization first queue
    /// in this process, so at most one of its connections per process waits on the
    /// database's lock and a burst of writes to one organization cannot take the whole pool.
    pub async fn lock(&self, org: &OrgId) -> AppResult<Locked> {
        let turn = self.queues.turn(org).await;
        let tx = need(self.store.lock(org).await?, "organization", org)?;
        Ok(Locked { tx, _turn: turn })
    }

    /// Apply a decision's changes and its audit entries in `tx`.
    async fn record(tx: &mut Box<dyn Tx>, ctx: &Ctx, org: &OrgId, d: Decision) -> AppResult<()> {
        if !d.changes.is_empty() {
            tx.apply(org, &d.changes).await?;
        }
        if !d.audit.is_empty() {
            tx.append_audit(org, &audit_entries(ctx, d.audit)).await?;
        }
        Ok(())
    }

    /// Apply a decision and its audit entries, then commit.
    pub async fn commit(
        &self,
        mut tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        d: Decision,
    ) -> AppResult<()> {
        Self::record(&mut tx, ctx, org, d).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- organizations and subscriptions ----

    pub async fn create_org(
        &self,
        ctx: &Ctx,
        name: &str,
        owner_email: &str,
        owner_name: &str,
    ) -> AppResult<CreatedOrg> {
        authorize(&ctx.actor, Action::CreateOrg, None)?;
        let email: Email = owner_email.parse()?;
        let owner_name = if owner_name.trim().is_empty() {
            email.as_str().to_owned()
        } else {
            owner_name.to_owned()
        };
        let org = rules::new_org(OrgId(new_id("org")), name, now())?;
        let owner = rules::new_member(MemberId(new_id("mem")), email, &owner_name, Role::Owner)?;
        let id = org.id.clone();
        let d = rules::create_org(org.clone(), owner.clone());
        let mut tx = self.store.begin().await?;
        Self::record(&mut tx, ctx, &id, d).await?;
        tx.commit().await?;
        Ok(CreatedOrg {
            id: org.id.to_string(),
            name: org.name,
            created_at: org.created_at,
            owner: MemberView::new(&owner, None),
        })
    }

    pub async fn org(&self, ctx: &Ctx, org: &OrgId) -> AppResult<OrgView> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let mut tx = self.store.begin().await?;
        let o = need(tx.org(org).await?, "organization", org)?;
        Ok(OrgView {
            id: o.id.to_string(),
            name: o.name,
            created_at: o.created_at,
        })
    }

    pub async fn set_quantity(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        code: &str,
        quantity: i64,
    ) -> AppResult<LicenseView> {
        self.guard(ctx, org, Action::SetQuantity, None)?;
        let code: Code = code.parse()?;
        let mut tx = self.lock(org).await?;
        let seats = tx.seats(org).await?;
        let d = rules::set_quantity(code, quantity, &seats)?;
        self.commit(tx, ctx, org, d).await?;
        let mut tx = self.store.begin().await?;
        Ok(LicenseView::new(code, &tx.seats(org).await?))
    }

    pub async fn licenses(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<LicenseView>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let mut tx = self.read(org).await?;
        Ok(LicenseView::all(&tx.seats(org).await?))
    }

    // ---- numbers ----

    pub async fn numbers(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<NumberView>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(limit);
        let mut tx = self.read(org).await?;
        let rows = tx.numbers(org, after, limit + 1).await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.number.to_string(),
            |r| NumberView {
                number: r.number.to_string(),
                extension: r.extension.map(|k| k.to_string()),
            },
        ))
    }

    pub async fn add_number(&self, ctx: &Ctx, org: &OrgId, number: &str) -> AppResult<NumberView> {
        self.guard(ctx, org, Action::ManageNumbers, None)?;
        let number: E164 = number.parse()?;
        let mut tx = self.lock(org).await?;
        let existing = tx.number(org, &number).await?;
        let d = rules::add_number(number.clone(), existing.as_ref())?;
        self.commit(tx, ctx, org, d).await?;
        Ok(NumberView {
            number: number.to_string(),
            extension: None,
        })
    }

    pub async fn remove_number(&self, ctx: &Ctx, org: &OrgId, number: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::ManageNumbers, None)?;
        let number: E164 = number
            .parse()
            .map_err(|_| Error::not_found("number", number))?;
        let mut tx = self.lock(org).await?;
        let row = tx.number(org, &number).await?;
        let d = rules::remove_number(&number, row.as_ref())?;
        self.commit(tx, ctx, org, d).await
    }

    // ---- members ----

    /// Find a member by id or, when the reference contains `@`, by email.
    async fn find_member(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        reference: &str,
    ) -> AppResult<Option<Member>> {
        if reference.contains('@') {
            match reference.parse::<Email>() {
                Ok(e) => Ok(tx.member_by_email(org, &e).await?),
                Err(_) => Ok(None),
            }
        } else {
            Ok(tx.member(org, &MemberId(reference.to_owned())).await?)
        }
    }

    async fn member_view(tx: &mut Box<dyn Tx>, org: &OrgId, m: &Member) -> AppResult<MemberView> {
        let ext = tx.extension_of(org, &m.id).await?;
        Ok(MemberView::new(m, ext.as_ref()))
    }

    pub async fn members(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<MemberView>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(limit);
        let mut tx = self.read(org).await?;
        let rows = tx.members(org, after, limit + 1).await?;
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
        Ok(Page::from_rows(
            rows,
            limit,
            |m| m.email.to_string(),
            |m| MemberView::new(m, by_member.get(&m.id).copied()),
        ))
    }

    pub async fn member(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<MemberView> {
        let mut tx = self.store.begin().await?;
        let m = Self::find_member(&mut tx, org, id).await?;
        self.guard(ctx, org, Action::ReadMember, m.as_ref().map(|m| &m.id))?;
        let m = need(m, "member", id)?;
        Self::member_view(&mut tx, org, &m).await
    }

    pub async fn create_member(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        email: &str,
        name: &str,
        role: &str,
    ) -> AppResult<MemberView> {
        self.guard(ctx, org, Action::CreateMember, None)?;
        let email: Email = email.parse()?;
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
        Ok(MemberView::new(&member, None))
    }

    /// Change a member's role and/or status (PATCH).
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
        let mut m = need(Self::find_member(&mut tx, org, id).await?, "member", id)?;
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
            let step = rules::set_status(&m, s)?;
            if let Some(seatline_domain::Change::UpdateMember(after)) = step.changes.last() {
                m = after.clone();
            }
            d.changes.extend(step.changes);
            d.audit.extend(step.audit);
        }
        let view = Self::member_view(&mut tx, org, &m).await?;
        self.commit(tx, ctx, org, d).await?;
        Ok(view)
    }

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

    pub async fn delete_member(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::DeleteMember, None)?;
        let mut tx = self.lock(org).await?;
        let m = need(Self::find_member(&mut tx, org, id).await?, "member", id)?;
        let ext = tx.extension_of(org, &m.id).await?;
        let d = rules::delete_member(&m, ext.as_ref())?;
        self.commit(tx, ctx, org, d).await
    }

    pub async fn entitlements(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<Entitlements> {
        let mut tx = self.store.begin().await?;
        let m = Self::find_member(&mut tx, org, id).await?;
        self.guard(ctx, org, Action::ReadMember, m.as_ref().map(|m| &m.id))?;
        let m = need(m, "member", id)?;
        let ext = tx.extension_of(org, &m.id).await?;
        Ok(Entitlements::new(&m, ext.as_ref()))
    }

    /// Every member with its Contact Center role, readiness and what is missing.
    pub async fn contact_center(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<MemberView>> {
        self.members(ctx, org, after, limit).await
    }

    // ---- extensions ----

    async fn extension_view(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        e: &seatline_domain::Extension,
    ) -> AppResult<ExtensionView> {
        let m = match &e.member {
            Some(id) => tx.member(org, id).await?,
            None => None,
        };
        Ok(ExtensionView::new(e, m.as_ref()))
    }

    pub async fn extensions(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        mut q: ExtensionQuery,
        member: Option<&str>,
    ) -> AppResult<Page<ExtensionView>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(Some(q.limit).filter(|l| *l > 0));
        q.limit = limit + 1;
        let mut tx = self.read(org).await?;
        if let Some(reference) = member {
            match Self::find_member(&mut tx, org, reference).await? {
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
        Ok(Page::from_rows(
            rows,
            limit,
            |e| e.key.to_string(),
            |e| ExtensionView::new(e, e.member.as_ref().and_then(|m| members.get(m))),
        ))
    }

    pub async fn extension(&self, ctx: &Ctx, org: &OrgId, key: &str) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let key = path_key(key)?;
        let mut tx = self.read(org).await?;
        let e = need(tx.extension(org, key).await?, "extension", key)?;
        Self::extension_view(&mut tx, org, &e).await
    }

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
            Some(seatline_domain::Change::InsertExtensions(exts)) => {
                exts.iter().map(|e| ExtensionView::new(e, None)).collect()
            }
            _ => Vec::new(),
        };
        self.commit(tx, ctx, org, d).await?;
        Ok(views)
    }

    pub async fn deprovision(&self, ctx: &Ctx, org: &OrgId, key: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::Deprovision, None)?;
        let key = path_key(key)?;
        let mut tx = self.lock(org).await?;
        let e = need(tx.extension(org, key).await?, "extension", key)?;
        let d = rules::deprovision(&e)?;
        self.commit(tx, ctx, org, d).await
    }

    /// Assign a member (by id or email) to an extension; with `reassign`, replace its member.
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
        let e = need(tx.extension(org, key).await?, "extension", key)?;
        let m = Self::find_member(&mut tx, org, member)
            .await?
            .ok_or_else(|| Error::not_found("member", member).detail("field", "member"))?;
        let held = tx.extension_of(org, &m.id).await?.map(|h| h.key);
        let d = rules::assign(&e, &m, held, reassign)?;
        let after = seatline_domain::Extension {
            member: Some(m.id.clone()),
            ..e
        };
        self.commit(tx, ctx, org, d).await?;
        Ok(ExtensionView::new(&after, Some(&m)))
    }

    pub async fn unassign(&self, ctx: &Ctx, org: &OrgId, key: &str) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::Assign, None)?;
        let key = path_key(key)?;
        let mut tx = self.lock(org).await?;
        let e = need(tx.extension(org, key).await?, "extension", key)?;
        let d = rules::unassign(&e);
        let after = seatline_domain::Extension { member: None, ..e };
        self.commit(tx, ctx, org, d).await?;
        Ok(ExtensionView::new(&after, None))
    }

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
        let e = need(tx.extension(org, key).await?, "extension", key)?;
        let seats = tx.seats(org).await?;
        let d = rules::set_addons(&e, addons.clone(), &seats)?;
        let view =
            Self::extension_view(&mut tx, org, &seatline_domain::Extension { addons, ..e }).await?;
        self.commit(tx, ctx, org, d).await?;
        Ok(view)
    }

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
        let e = need(tx.extension(org, key).await?, "extension", key)?;
        let mut rows = Vec::with_capacity(numbers.len());
        for n in &numbers {
            rows.push(tx.number(org, n).await?);
        }
        let d = rules::set_numbers(&e, numbers.clone(), &rows)?;
        let mut sorted = numbers;
        sorted.sort();
        let view = Self::extension_view(
            &mut tx,
            org,
            &seatline_domain::Extension {
                numbers: sorted,
                ..e
            },
        )
        .await?;
        self.commit(tx, ctx, org, d).await?;
        Ok(view)
    }

    // ---- audit ----

    pub async fn audit(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        mut q: AuditQuery,
    ) -> AppResult<Page<AuditEntry>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let limit = page_limit(Some(q.limit).filter(|l| *l > 0));
        q.limit = limit + 1;
        let mut tx = self.read(org).await?;
        let rows = tx.audit(org, &q).await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |e| e.id.to_string(),
            |e| e.clone(),
        ))
    }
}

/// An error for a request that names an unknown code in a filter.
pub fn unknown_filter(field: &str, value: &str) -> Error {
    Error::new(
        ErrorCode::Malformed,
        format!("{field} {value:?} is not valid"),
    )
    .detail("field", field)
}

//! Seatline's use cases, one method each: authorize, load what the rule needs (inside the
//! organization's write lock for writes), let the domain decide, and apply the changes with
//! their audit entries in one transaction. The API, the CLI and the admin UI all call these.

pub mod activity;
mod audit;
pub mod bulk;
pub mod epochs;
mod error;
pub mod events;
mod extension_parts;
mod extensions;
pub mod idempotency;
pub mod lifecycle;
mod members;
mod numbers;
mod orgs;
mod passwords;
mod previews;
pub mod reports;
pub mod schema;
pub mod scim;
pub mod scim_url;
mod sign_in_links;
mod teams;
pub mod templates;
mod tokens;
pub mod views;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use seatline_domain::permissions::{authorize, Action, Actor};
use seatline_domain::{AuditRecord, Decision, Error, ErrorCode, ExtKey, MemberId, OrgId};
use seatline_store::{AuditEntry, Store, Tx};

pub use error::{AppError, AppResult};
pub use passwords::{
    hash_password, verify_password, ResetHolder, ResetLink, SignInMatch, MAX_PASSWORD,
    MIN_PASSWORD, RESET_LINK_HOURS,
};
pub use sign_in_links::{origin, LinkSignIn, SignInLink, SignInLinkHolder};
pub use teams::{ScopeView, TeamChange, TeamView};
pub use tokens::hash_secret;
pub use tokens::{IntegrationTokenView, IssuedIntegrationToken};
pub use tokens::{Me, TokenKind};

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
    /// A member acting on itself without a token (a reset or sign-in link): the audit's
    /// actor only, so it needs no scope.
    pub(crate) fn member_itself(m: &seatline_domain::Member, org: &OrgId) -> Ctx {
        Ctx {
            actor: Actor::Member {
                id: m.id.clone(),
                role: m.role,
                status: m.status,
                scope: None,
            },
            org: Some(org.clone()),
            request_id: None,
        }
    }

    /// The member acting, if a member is.
    pub fn member(&self) -> Option<&MemberId> {
        match &self.actor {
            Actor::Member { id, .. } => Some(id),
            _ => None,
        }
    }

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
    /// Bulk uploads being read and planned at once, shared by every caller of this App.
    uploads: Arc<tokio::sync::Semaphore>,
    webhooks: Arc<webhooks::Settings>,
    feed: Arc<events::Feed>,
    /// False only in the events benchmark's baseline run: changes commit without events.
    write_events: bool,
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
    pub async fn commit(mut self) -> Result<(), seatline_store::StoreError> {
        idempotency::mark_applied(&mut *self.tx).await?;
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

/// The audit entries of a decision's records, stamped with who acted, when, the request,
/// and the teams (among the organization's `teams`) of the member each concerns.
pub(crate) fn audit_entries(
    ctx: &Ctx,
    records: Vec<AuditRecord>,
    teams: &[seatline_domain::Team],
) -> Vec<AuditEntry> {
    let at = now();
    records
        .into_iter()
        .map(|a| {
            let of = teams::concerned(&a)
                .map(|m| seatline_domain::teams::teams_of(&m, teams))
                .unwrap_or_default();
            AuditEntry {
                id: 0,
                at: at.clone(),
                actor: ctx.actor.label(),
                action: a.action.to_owned(),
                target: a.target,
                before: a.before,
                after: a.after,
                request_id: ctx.request_id.clone(),
                teams: of.into_iter().map(|t| t.0).collect(),
            }
        })
        .collect()
}

/// A new opaque id with a readable prefix.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub(crate) fn need<T>(v: Option<T>, what: &str, id: impl std::fmt::Display) -> Result<T, Error> {
    v.ok_or_else(|| Error::not_found(what, id))
}

pub(crate) fn page_limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

/// Parse an extension key from a path; a key that cannot exist is simply not found.
pub(crate) fn path_key(key: &str) -> Result<ExtKey, Error> {
    key.parse().map_err(|_| Error::not_found("extension", key))
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        App {
            store,
            queues: Arc::default(),
            uploads: Arc::new(tokio::sync::Semaphore::new(bulk::UPLOAD_READERS)),
            webhooks: Arc::default(),
            feed: Arc::default(),
            write_events: true,
        }
    }

    /// The same app with these webhook settings (private targets, the clock).
    pub fn with_webhook_settings(mut self, settings: webhooks::Settings) -> Self {
        self.webhooks = Arc::new(settings);
        self
    }

    /// The same app writing no events: the baseline the events benchmark measures the
    /// cost of the feed against. Never for serving consumers: their feed would have gaps
    /// in what it tells.
    pub fn without_events_for_benchmark(mut self) -> Self {
        self.write_events = false;
        self
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

    /// Apply a decision's changes with its audit entries and its events in `tx`: the one
    /// place a change is written, so none commits without its audit entry and its events.
    async fn record(
        &self,
        tx: &mut Box<dyn Tx>,
        ctx: &Ctx,
        org: &OrgId,
        d: Decision,
        seen: events::Seen,
    ) -> AppResult<()> {
        let before = if self.write_events && !d.changes.is_empty() {
            Some(events::load_before(tx, org, &d.changes, seen).await?)
        } else {
            None
        };
        self.record_from(tx, ctx, org, d, before, Vec::new()).await
    }

    /// [`App::record`] for a caller that already holds the state before the change (a
    /// cleanup plan's apply read the whole organization): the events are derived from
    /// `before` (`None`: this app writes no events), followed by `then` (`bulk.applied`).
    pub(crate) async fn record_from(
        &self,
        tx: &mut Box<dyn Tx>,
        ctx: &Ctx,
        org: &OrgId,
        d: Decision,
        before: Option<seatline_domain::events::Before>,
        then: Vec<seatline_domain::events::Draft>,
    ) -> AppResult<()> {
        let mut drafts = match before {
            Some(mut before) => seatline_domain::events::derive(&d.changes, &mut before),
            None => Vec::new(),
        };
        drafts.extend(then);
        let first = events::reserve(tx, org, &drafts).await?;
        if !d.changes.is_empty() {
            tx.apply(org, &d.changes).await?;
        }
        if d.audit.is_empty() && drafts.is_empty() {
            return Ok(());
        }
        // After the changes: entries and events name the teams the member is in now, and a
        // team's own entries the members it has now. Read once for both.
        let teams = tx.teams(org).await?;
        if !d.audit.is_empty() {
            tx.append_audit(org, &audit_entries(ctx, d.audit, &teams))
                .await?;
        }
        events::append(tx, ctx, org, drafts, first, &teams).await
    }

    /// Apply a decision with its audit entries and events, then commit and wake the
    /// organization's feed readers.
    pub async fn commit(&self, tx: Locked, ctx: &Ctx, org: &OrgId, d: Decision) -> AppResult<()> {
        self.commit_seen(tx, ctx, org, d, events::Seen::default())
            .await
    }

    /// [`App::commit`] for a use case that read, under the lock, state its events need.
    pub(crate) async fn commit_seen(
        &self,
        mut tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        d: Decision,
        seen: events::Seen,
    ) -> AppResult<()> {
        let changed = !d.changes.is_empty();
        self.record(&mut tx, ctx, org, d, seen).await?;
        tx.commit().await?;
        if changed {
            self.committed(org).await;
        }
        Ok(())
    }

    /// Events of `org` committed: wake this process's readers and announce them to the other
    /// processes (PostgreSQL NOTIFY), after the commit and outside the org lock.
    pub(crate) async fn committed(&self, org: &OrgId) {
        self.feed.publish(org);
        if let Err(e) = self.store.announce_events(org).await {
            // The change is committed; listeners find its events at their next poll.
            tracing::warn!(org = %org, error = %e, "announcing committed events failed");
        }
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

//! The change feed (product.md §8): events written with every change, read after a cursor,
//! waited for; the entitlements snapshot a consumer starts from.
//!
//! Writing: [`App::commit`](crate::App) and bulk apply call [`load_before`], [`reserve`] and
//! [`append`] around applying a decision, in the same transaction and under the org lock, so the feed's
//! seqs are gapless and in commit order and a rolled-back change leaves no event.
//!
//! Waiting: [`Feed`] wakes readers in this process right after a commit; on PostgreSQL the
//! store's LISTEN/NOTIFY forwards other processes' commits into it as well. Readers also look
//! again every [`Feed::poll_interval`], which is what SQLite readers rely on for other
//! processes' writes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use seatline_domain::events::{self as ev, Before, Draft};
use seatline_domain::permissions::Action;
use seatline_domain::{Error, ErrorCode, ExtKey, MemberId, OrgId};
use seatline_store::{EventQuery, EventRow, NewEvent, Tx};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use utoipa::openapi::schema::{
    Array, ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, SchemaType, Type,
};
use utoipa::ToSchema;

use crate::views::LicenseView;
use crate::{new_id, now, App, AppResult, Ctx};

/// Longest `wait` a reader may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting reader looks again when commits are not pushed to it (SQLite, other
/// processes): the wake-up latency across processes on SQLite.
const POLL: Duration = Duration::from_millis(250);
/// With PostgreSQL's NOTIFY pushing every commit, looking again is only a safety net.
const POLL_PUSHED: Duration = Duration::from_secs(2);

/// Wakes the readers of an organization's feed when its events commit.
pub struct Feed {
    wake: broadcast::Sender<OrgId>,
    /// Whether the store pushes other processes' commits (PostgreSQL LISTEN/NOTIFY).
    pushed: AtomicBool,
    /// True once the server shuts down: held long polls answer what they have at once.
    closed: watch::Sender<bool>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            wake: broadcast::channel(1024).0,
            pushed: AtomicBool::new(false),
            closed: watch::channel(false).0,
        }
    }
}

impl Feed {
    /// Subscribe before reading, then wait on the subscription if the read found nothing:
    /// a commit between the read and the wait still wakes it.
    pub fn subscribe(&self) -> FeedSubscription {
        FeedSubscription {
            rx: self.wake.subscribe(),
            poll: self.poll_interval(),
            closed: self.closed.subscribe(),
        }
    }

    /// The server is shutting down: wake every waiting reader, and have readers wait no
    /// more, so that held long polls answer at once and the drain need not outlast them.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Whether [`Feed::close`] was called: a reader answers what it has instead of waiting.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// How long a waiting reader goes without looking again.
    pub fn poll_interval(&self) -> Duration {
        if self.pushed.load(Ordering::Relaxed) {
            POLL_PUSHED
        } else {
            POLL
        }
    }

    /// Events of `org` committed (or, from the listener, another process committed them).
    pub(crate) fn publish(&self, org: &OrgId) {
        // Nobody listening is fine.
        let _ = self.wake.send(org.clone());
    }
}

/// Resolves once the feed is closed (at once if it is); never if the feed is gone.
async fn closing(closed: &mut watch::Receiver<bool>) {
    if closed.wait_for(|closed| *closed).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// One reader's wake-ups.
pub struct FeedSubscription {
    rx: broadcast::Receiver<OrgId>,
    poll: Duration,
    closed: watch::Receiver<bool>,
}

impl FeedSubscription {
    /// Wait until events of `org` may have committed, the poll interval passed, `deadline`,
    /// or the feed closed; then the caller reads again.
    pub async fn changed(&mut self, org: &OrgId, deadline: Instant) {
        let tick = tokio::time::sleep_until(deadline.min(Instant::now() + self.poll));
        tokio::pin!(tick);
        loop {
            tokio::select! {
                woke = self.rx.recv() => match woke {
                    Ok(o) if &o == org => return,
                    Ok(_) => {}
                    // Missed some: one of them may have been ours.
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => {
                        tick.as_mut().await;
                        return;
                    }
                },
                () = &mut tick => return,
                // At once when it was closed before this wait began.
                () = closing(&mut self.closed) => return,
            }
        }
    }

    /// The next organization whose events committed; `None` when the poll interval passed
    /// or wake-ups were missed, so the caller should look at every organization it serves.
    pub async fn next(&mut self) -> Option<OrgId> {
        tokio::select! {
            woke = self.rx.recv() => woke.ok(),
            () = tokio::time::sleep(self.poll) => None,
        }
    }
}

/// What a use case already read under its lock before deciding: its events reuse it rather
/// than reading it again (nothing can change in between). What it did not see is read.
#[derive(Default)]
pub(crate) struct Seen {
    pub extensions: Vec<seatline_domain::Extension>,
    pub members: Vec<seatline_domain::Member>,
    /// The subscriptions' states (a seats aggregate holds them too).
    pub states: Option<seatline_domain::Seats>,
}

/// The state before a decision that its events need: what the use case `seen`, the rest
/// read in its transaction.
pub(crate) async fn load_before(
    tx: &mut Box<dyn Tx>,
    org: &OrgId,
    changes: &[seatline_domain::Change],
    seen: Seen,
) -> AppResult<Before> {
    let needs = ev::needs(changes);
    let mut before = Before::default();
    let mut seen_extensions: std::collections::HashMap<ExtKey, seatline_domain::Extension> =
        seen.extensions.into_iter().map(|e| (e.key, e)).collect();
    for key in &needs.extensions {
        let e = match seen_extensions.remove(key) {
            Some(e) => Some(e),
            None => tx.extension(org, *key).await?,
        };
        if let Some(e) = e {
            before.extensions.insert(e.key, e);
        }
    }
    for id in &needs.holdings {
        if let Some(e) = tx.extension_of(org, id).await? {
            before.extensions.insert(e.key, e);
        }
    }
    before.states = match seen.states {
        Some(states) => states,
        None => crate::App::states(tx, org).await?,
    };
    // A subscription change may flip the effective flags of every extension holding its code.
    for code in &needs.codes {
        let q = seatline_store::ExtensionQuery {
            addon: (*code != seatline_domain::Code::PhoneSystem).then_some(*code),
            limit: u32::MAX,
            ..Default::default()
        };
        for e in tx.extensions(org, &q).await? {
            before.extensions.insert(e.key, e);
        }
    }
    let mut ids: BTreeSet<MemberId> = needs.members;
    ids.extend(before.extensions.values().filter_map(|e| e.member.clone()));
    for m in seen.members {
        if ids.remove(&m.id) {
            before.members.insert(m.id.clone(), m);
        }
    }
    if !ids.is_empty() {
        let ids: Vec<MemberId> = ids.into_iter().collect();
        for m in tx.members_by_id(org, &ids).await? {
            before.members.insert(m.id.clone(), m);
        }
    }
    Ok(before)
}

/// Reserve the drafts' seqs from the organization's feed, BEFORE their changes are applied,
/// and tell the store the versions they give the extensions they name (so an inserted
/// extension is written with its version). Inside the org lock. Returns the first seq.
pub(crate) async fn reserve(tx: &mut Box<dyn Tx>, org: &OrgId, drafts: &[Draft]) -> AppResult<i64> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let count = u32::try_from(drafts.len()).expect("fewer than 4 billion events at once");
    let first = tx.reserve_event_seqs(org, count).await?;
    // The last event naming an extension gives its version.
    let versions: std::collections::BTreeMap<ExtKey, i64> = drafts
        .iter()
        .zip(first..)
        .filter_map(|(d, seq)| d.extension.map(|k| (k, seq)))
        .collect();
    if !versions.is_empty() {
        let versions: Vec<(ExtKey, i64)> = versions.into_iter().collect();
        tx.expect_versions(&versions).await?;
    }
    Ok(first)
}

/// Append the drafts, numbered from `first` (what [`reserve`] returned for them), after their
/// changes were applied.
pub(crate) async fn append(
    tx: &mut Box<dyn Tx>,
    ctx: &Ctx,
    org: &OrgId,
    mut drafts: Vec<Draft>,
    first: i64,
    teams: &[seatline_domain::Team],
) -> AppResult<()> {
    if drafts.is_empty() {
        return Ok(());
    }
    if drafts.iter().any(|d| d.license.is_some()) {
        // The license object with its counts after the change.
        let seats = tx.seats(org).await?;
        let subs = tx.subscriptions(org).await?;
        for d in &mut drafts {
            if let Some(code) = d.license {
                let sub = subs.iter().find(|s| s.code == code);
                d.data = ev::Data::Json(
                    serde_json::to_value(LicenseView::new(code, &seats, sub))
                        .expect("a license serializes"),
                );
            }
        }
    }
    let at = now();
    let actor = ev::actor_json(&ctx.actor);
    let epoch = tx.feed_epoch(org).await?;
    let events: Vec<NewEvent> = drafts
        .into_iter()
        .zip(first..)
        .map(|(mut d, seq)| {
            let id = new_id("evt");
            let of = d
                .member()
                .map(|m| seatline_domain::teams::teams_of(&m, teams))
                .unwrap_or_default();
            let body = d.body(seq, epoch, &id, &at, &actor, &of);
            NewEvent {
                row: EventRow {
                    seq,
                    id,
                    kind: d.kind.to_owned(),
                    at: at.clone(),
                    body,
                },
                subject: d.subject,
                extension: d.extension,
            }
        })
        .collect();
    tx.append_events(org, &events).await?;
    Ok(())
}

/// One page of the feed. Items are the stored event JSON, passed through as they are.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    #[schema(schema_with = event_items)]
    pub items: Vec<Box<RawValue>>,
    /// The seq of the last item, or the cursor given when there are none: pass it as `after`.
    pub next_cursor: String,
    pub has_more: bool,
    /// The feed's current epoch (0 until a restore); seqs jump when it changes.
    pub epoch: i64,
}

/// The entitlements snapshot: every extension's state as of one seq.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntitlementsPage {
    /// The seq of the last event the snapshot includes: follow `/events?after=as_of`.
    pub as_of: i64,
    #[schema(schema_with = extension_states)]
    pub items: Vec<ev::ExtensionState>,
    pub next_cursor: Option<String>,
    /// The feed's epoch `as_of` belongs to (0 until a restore).
    pub epoch: i64,
}

// ---- the OpenAPI schemas of the stored JSON the feed passes through ----

fn field(t: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(t)
        .description(Some(description))
}

fn nullable(t: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([t, Type::Null]))
        .description(Some(description))
}

/// An extension's state, as events and the entitlements snapshot carry it.
pub fn extension_state_schema() -> Object {
    let member = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .property("id", field(Type::String, "Member id"))
        .property("email", field(Type::String, "Member email"))
        .description(Some("The member holding the extension, or null."));
    let cc = OneOfBuilder::new()
        .item(crate::schema::contact_center())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "The holder's Contact Center role and readiness; null when unassigned.",
        ));
    ObjectBuilder::new()
        .property("key", field(Type::String, "Extension key"))
        .required("key")
        .property(
            "version",
            field(
                Type::Integer,
                "The seq of the last event that changed this extension: drop anything older than what you hold.",
            ),
        )
        .required("version")
        .property("member", member)
        .required("member")
        .property("addons", crate::schema::codes())
        .required("addons")
        .property(
            "numbers",
            ArrayBuilder::new().items(field(Type::String, "E.164 number")),
        )
        .required("numbers")
        .property("contact_center", cc)
        .required("contact_center")
        .build()
}

/// One event of the feed (product.md §8).
pub fn event_schema() -> Object {
    let actor = ObjectBuilder::new()
        .property(
            "kind",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["operator", "member", "scim", "system"])),
        )
        .required("kind")
        .property(
            "id",
            nullable(Type::String, "Member or token id; null for the operator"),
        )
        .required("id");
    ObjectBuilder::new()
        .property(
            "id",
            field(Type::String, "evt_…: stable, also the webhook-id"),
        )
        .required("id")
        .property(
            "seq",
            field(
                Type::Integer,
                "1, 2, 3, … per organization, in commit order, without gaps within an epoch; jumps to epoch + 1 at a restore",
            ),
        )
        .required("seq")
        .property(
            "epoch",
            field(
                Type::Integer,
                "The feed epoch of seq: 0 until a restore starts a new one (its events are epoch + 1, epoch + 2, …). Absent on events written before epochs existed: 0.",
            ),
        )
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(ev::TYPES.iter().copied())),
        )
        .required("type")
        .property("at", field(Type::String, "RFC 3339 commit time"))
        .required("at")
        .property("actor", actor)
        .required("actor")
        .property(
            "subject",
            field(
                Type::String,
                "extension:1003 | member:mem_… | subscription:CODE | plan:plan_…",
            ),
        )
        .required("subject")
        .property(
            "teams",
            ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(
                    "Ids of the teams of the member the event concerns (its subject, or the \
                     extension's holder); empty when none",
                )),
        )
        .required("teams")
        .property(
            "data",
            field(
                Type::Object,
                "extension.*: the extension state (see ExtensionState), plus previous_member \
                 ({id, email} | null) for assigned/unassigned and added/removed \
                 ({addons, numbers}) for entitlements_changed; member.*: the member; \
                 subscription.updated: the license; bulk.applied: {plan, rows}.",
            ),
        )
        .required("data")
        .build()
}

fn event_items() -> Array {
    ArrayBuilder::new().items(event_schema()).build()
}

fn extension_states() -> Array {
    ArrayBuilder::new().items(extension_state_schema()).build()
}

/// What a reader asks of the feed.
#[derive(Debug, Clone, Default)]
pub struct EventsRequest {
    pub after: i64,
    pub limit: Option<u32>,
    pub types: Vec<String>,
    pub wait: Duration,
}

/// Largest page of events.
pub const MAX_EVENTS_PAGE: u32 = 1000;

/// A page size of events: 100 when not asked, at most [`MAX_EVENTS_PAGE`]. Zero is refused
/// (as the OpenAPI document's `minimum: 1` says) rather than read as one: a page that can
/// hold nothing is never what a consumer meant.
fn events_limit(limit: Option<u32>) -> Result<u32, Error> {
    match limit {
        None => Ok(crate::DEFAULT_PAGE),
        Some(0) => Err(Error::new(
            ErrorCode::Malformed,
            format!("limit is 0; it must be 1 to {MAX_EVENTS_PAGE} events per page (default 100)"),
        )
        .detail("field", "limit")),
        Some(n) => Ok(n.min(MAX_EVENTS_PAGE)),
    }
}

impl App {
    /// The feed's wake-ups, for long polls and the webhook worker.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Have the store push other processes' commits into [`App::feed`] (PostgreSQL
    /// LISTEN/NOTIFY). Without it, or on SQLite, readers poll every 250 ms for them.
    pub async fn listen_events(&self) -> AppResult<()> {
        if let Some(mut rx) = self.store.listen_events().await? {
            self.feed.pushed.store(true, Ordering::Relaxed);
            let app = self.clone();
            tokio::spawn(async move {
                while let Some(org) = rx.recv().await {
                    app.feed.publish(&org);
                }
            });
        }
        Ok(())
    }

    /// Events after the cursor; with a wait, answer as soon as one exists or at its end.
    pub async fn events(&self, ctx: &Ctx, org: &OrgId, req: EventsRequest) -> AppResult<EventPage> {
        self.guard(ctx, org, Action::ReadEvents, None)?;
        for t in &req.types {
            if !ev::valid_type_filter(t) {
                return Err(Error::new(
                    ErrorCode::Malformed,
                    format!(
                        "types: {t:?} is not an event type; use one of {} or a prefix such as extension.*",
                        ev::TYPES.join(", ")
                    ),
                )
                .detail("field", "types")
                .detail("value", t.as_str())
                .into());
            }
        }
        if req.after < 0 {
            return Err(Error::new(
                ErrorCode::Malformed,
                "after must be a seq: 0 or more (0 reads from the start)",
            )
            .detail("field", "after")
            .into());
        }
        let limit = events_limit(req.limit)?;
        let q = EventQuery {
            after: req.after,
            limit: limit + 1,
            types: req.types,
        };
        let deadline = Instant::now() + req.wait.min(MAX_WAIT);
        let mut wake = self.feed.subscribe();
        loop {
            let mut tx = self.read(org).await?;
            let horizon = tx.event_horizon(org).await?;
            let epochs = tx.feed_epochs(org).await?;
            crate::epochs::check_cursor(q.after, horizon, &epochs)?;
            let mut rows = tx.events(org, &q).await?;
            drop(tx);
            if !rows.is_empty() || Instant::now() >= deadline || self.feed.is_closed() {
                let has_more = rows.len() > limit as usize;
                rows.truncate(limit as usize);
                let next_cursor = rows.last().map_or(q.after, |r| r.seq).to_string();
                let items = rows
                    .into_iter()
                    .map(|r| RawValue::from_string(r.body))
                    .collect::<Result<_, _>>()
                    .map_err(|e| seatline_store::StoreError::Db(Box::new(e)))?;
                return Ok(EventPage {
                    items,
                    next_cursor,
                    has_more,
                    epoch: crate::epochs::current(&epochs),
                });
            }
            wake.changed(org, deadline).await;
        }
    }

    /// A page of every extension's state, consistent with `as_of`: one read transaction
    /// reads the feed's last seq and the page.
    pub async fn entitlements_snapshot(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<EntitlementsPage> {
        self.guard(ctx, org, Action::ReadEntitlements, None)?;
        let after = match after {
            None | Some("") => None,
            Some(k) => Some(
                k.parse::<ExtKey>()
                    .map_err(|_| crate::unknown_filter("after", k))?
                    .get(),
            ),
        };
        let limit = crate::page_limit(limit);
        let mut tx = self.read(org).await?;
        let as_of = tx.event_horizon(org).await?.last;
        let epoch = tx.feed_epoch(org).await?;
        let q = seatline_store::ExtensionQuery {
            after,
            limit: limit + 1,
            ..Default::default()
        };
        let mut exts = tx.extensions(org, &q).await?;
        let more = exts.len() > limit as usize;
        exts.truncate(limit as usize);
        let keys: Vec<ExtKey> = exts.iter().map(|e| e.key).collect();
        let versions: std::collections::HashMap<ExtKey, i64> = tx
            .extension_versions(org, &keys)
            .await?
            .into_iter()
            .collect();
        let holders: Vec<MemberId> = exts.iter().filter_map(|e| e.member.clone()).collect();
        let members: std::collections::HashMap<MemberId, seatline_domain::Member> = tx
            .members_by_id(org, &holders)
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let states = crate::App::states(&mut tx, org).await?;
        let items = exts
            .iter()
            .map(|e| {
                let member = e.member.as_ref().and_then(|m| members.get(m));
                let version = versions.get(&e.key).copied().unwrap_or(0);
                ev::extension_state(e, member, version, &states)
            })
            .collect();
        Ok(EntitlementsPage {
            as_of,
            epoch,
            items,
            next_cursor: if more {
                exts.last().map(|e| e.key.to_string())
            } else {
                None
            },
        })
    }

    /// Forget events older than `days` in every organization.
    #[tracing::instrument(skip_all)]
    pub async fn prune_events(&self, days: u32) -> AppResult<u64> {
        let before = (chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Ok(self.store.events_prune(&before).await?)
    }

    /// Prune events older than the retention every hour, for as long as the server runs.
    pub async fn prune_events_periodically(self, days: u32) {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = self.prune_events(days).await {
                tracing::warn!(error = %e, "pruning events failed; trying again in an hour");
            }
        }
    }
}

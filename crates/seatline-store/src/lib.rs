//! The one storage interface. A backend (SQLite, PostgreSQL) implements [`Store`] and [`Tx`]
//! with plain SQL and its own migrations, and must pass [`conformance`].
//!
//! Writes are serialized per organization: [`Store::lock`] opens a transaction whose first
//! statement bumps the organization's version, which takes the row lock on PostgreSQL and
//! the write lock on SQLite. A use case then loads what it needs, lets the domain decide,
//! applies the changes and the audit entries, and commits: all or nothing.

pub mod conformance;
pub mod decode;
mod sign_in_links;
pub mod templates;
pub use sign_in_links::SignInLinkRow;
pub use templates::{LicenseStateQuery, LicenseStateRow};

use std::collections::BTreeSet;

use async_trait::async_trait;
use seatline_domain::{
    Change, Code, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, Status,
    Team, TeamId, E164,
};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A schema constraint refused a change: the last line of defence behind the rules.
    #[error("constraint violated: {0}")]
    Constraint(String),
    #[error("database error: {0}")]
    Db(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was migrated by a newer seatline: reading it with this one could misread
    /// what the newer migrations changed, so the store refuses to open it.
    #[error(
        "schema_too_new: the database's schema is version {found}, and this seatline knows \
         versions up to {known}; run the seatline that upgraded it (or a newer one), or restore \
         a backup made before that upgrade"
    )]
    SchemaTooNew { found: i64, known: i64 },
}

/// The schema guard both backends run before migrating: `found` is the newest migration the
/// database records, `known` the newest this binary carries.
pub fn check_schema_version(found: Option<i64>, known: i64) -> Result<()> {
    match found {
        Some(found) if found > known => Err(StoreError::SchemaTooNew { found, known }),
        _ => Ok(()),
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One audit log entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Value,
    pub after: Value,
    pub request_id: Option<String>,
    /// The teams (ids) of the member the entry concerns, when it was written (§12).
    pub teams: Vec<String>,
}

/// Which audit entries to read: newest first, before the cursor id.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub target: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// Which extensions to list: ordered by key, after the cursor key.
#[derive(Debug, Clone, Default)]
pub struct ExtensionQuery {
    /// Only extensions held by one of these members (no filter when empty).
    pub members: Vec<MemberId>,
    pub unassigned: bool,
    pub addon: Option<Code>,
    pub key_prefix: Option<String>,
    /// A team-scoped admin's reach (product.md §12): only extensions that are unassigned or
    /// held by a member of one of these teams that is enabled. `None`: no such limit.
    pub teams: Option<Vec<TeamId>>,
    pub after: Option<u32>,
    pub limit: u32,
}

/// A bearer token as stored: only the hash of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: String,
    pub org: OrgId,
    pub member: MemberId,
    pub hash: String,
    pub created_at: String,
    pub revoked: bool,
}

/// A stored bulk plan; its body is the plan as JSON, including the rows to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub id: String,
    pub created_at: String,
    pub status: String,
    pub body: String,
}

/// The `status` of an idempotency row whose request is still running.
pub const IDEMPOTENCY_PENDING: u16 = 0;

/// The `status` of an idempotency row whose request committed its write but has not recorded
/// its response yet: the write transaction marks its claim so, so a process that dies between
/// the commit and the response leaves a row no retry may run again (`Tx::idempotency_applied`).
pub const IDEMPOTENCY_APPLIED: u16 = 1;

/// A remembered response to a request carrying an Idempotency-Key, or, with status
/// [`IDEMPOTENCY_PENDING`], the claim of a request still running.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRow {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub created_at: String,
}

/// A member found by email at sign-in, with its organization and password hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub org: OrgId,
    pub member: Member,
    pub password_hash: Option<String>,
}
/// A member named by its id or by its email, as the routes accept either.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberRef {
    Id(MemberId),
    Email(Email),
}

/// What a member's entitlements are computed from: the member, its extension with add-ons
/// and numbers, and the subscriptions of the codes that extension holds (`phone_system` and
/// each add-on's; none without an extension): their states make it and its add-ons
/// effective, and no other subscription changes what the member may use.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitlementSources {
    pub member: Member,
    pub extension: Option<Extension>,
    pub subscriptions: Vec<seatline_domain::Subscription>,
}

/// A one-time password reset link as stored (only the hash of its secret), with the member
/// it lets set a new password.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordReset {
    pub org: OrgId,
    pub member: Member,
    pub created_at: String,
    pub expires_at: String,
}

/// Everything of one organization that bulk planning and export need.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub members: Vec<Member>,
    pub extensions: Vec<Extension>,
    pub numbers: Vec<NumberRow>,
    pub seats: Seats,
}

/// The latest activity kept for one extension, kind and device (product.md §14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub extension: ExtKey,
    /// `registration`, `call` or `contact_center_sign_in`.
    pub kind: String,
    /// `ip_phone`, `mobile_app`, `desktop_app`, `web_rtc`; `None` when the reporter could
    /// not tell.
    pub device: Option<String>,
    /// RFC 3339, UTC, milliseconds: text order is time order.
    pub at: String,
}

// ---- Webhooks (product.md §8): endpoints, their deliveries, the delivery worker's claims ----

/// A signing secret of a webhook endpoint. A rotated-out secret keeps signing beside the new
/// one until `expires_at`; the current secret has none.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct WebhookSecret {
    pub secret: String,
    pub expires_at: Option<String>,
}

/// A webhook endpoint as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub id: String,
    pub org: OrgId,
    pub url: String,
    /// Event type filters (`member.disabled`, `extension.*`); empty means every type.
    pub types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// The current secret first, then rotated-out ones still signing.
    pub secrets: Vec<WebhookSecret>,
    pub created_at: String,
    /// The last event seq the worker has turned into deliveries for this endpoint.
    pub cursor: i64,
    /// When the endpoint's current run of failed attempts began; `None` after a success.
    pub failing_since: Option<String>,
}

/// One event to be sent to one endpoint, with its attempts so far.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    /// Assigned by the store, growing.
    pub id: i64,
    pub org: OrgId,
    pub endpoint: String,
    /// 0 for a `webhook.test` event, which is not in the feed.
    pub event_seq: i64,
    /// The event id, sent as `webhook-id` on every attempt and replay.
    pub event_id: String,
    pub event_type: String,
    /// The event JSON, sent as the body.
    pub body: String,
    /// pending | delivering | succeeded | failed
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// Which deliveries of an endpoint to read: newest first, before the cursor id.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub status: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The outcome of a claimed attempt, recorded by the claimer.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryOutcome {
    pub id: i64,
    /// The claim token the delivery was claimed with; a claim taken over since is not touched.
    pub claim: String,
    pub status: String,
    pub next_attempt_at: String,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_duration_ms: i64,
    pub at: String,
    /// Whether the attempt succeeded: ends the endpoint's run of failures, or starts one at `at`.
    pub succeeded: bool,
}

/// A SCIM token of an organization (product.md §9), as stored: only the hash of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimTokenRow {
    pub id: String,
    pub org: OrgId,
    pub name: String,
    pub hash: String,
    pub created_at: String,
    pub revoked: bool,
}

// ---- the change feed (product.md §8): events and integration tokens ----

/// One stored event; `body` is the complete event JSON of product.md §8 as sent to consumers.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub at: String,
    pub body: String,
}

/// Which events to read: ascending by seq, after the cursor.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub after: i64,
    pub limit: u32,
    /// Exact types or `prefix.*`; empty = all.
    pub types: Vec<String>,
}

impl EventQuery {
    /// The type filter as exact types and prefixes (`extension.*` → `extension.`).
    pub fn type_filter(&self) -> (Vec<&str>, Vec<&str>) {
        let (prefixes, exact): (Vec<&str>, Vec<&str>) = self
            .types
            .iter()
            .map(String::as_str)
            .partition(|t| t.ends_with(".*"));
        let prefixes = prefixes.iter().map(|p| &p[..p.len() - 1]).collect();
        (exact, prefixes)
    }
}

/// An event to append with its subject (`extension:1001`, `member:mem_…`) and, when it
/// leaves an extension in place, that extension: its `version` becomes the event's seq.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub row: EventRow,
    pub subject: String,
    pub extension: Option<ExtKey>,
}

/// The seqs an organization's feed can still answer from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHorizon {
    /// The oldest retained seq, or `last + 1` when nothing is retained.
    pub oldest: i64,
    /// The seq of the organization's latest event (0 before the first).
    pub last: i64,
}

/// An epoch of an organization's feed after its first (issue 25): a restore or another reset
/// started it. Its events are numbered `epoch + 1`, `epoch + 2`, …; the seqs in
/// `(prior_head, epoch]` were never given out by the timeline the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEpoch {
    pub epoch: i64,
    /// The head of the timeline the reset kept.
    pub prior_head: i64,
    pub started_at: String,
}

/// A read-only integration token as stored: only the hash of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationTokenRow {
    pub id: String,
    pub org: OrgId,
    pub name: String,
    pub hash: String,
    pub created_at: String,
    pub revoked: bool,
}

/// A member with what its SCIM User adds: the identity provider's `externalId` and the
/// times the database keeps for every member.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimMember {
    pub member: Member,
    pub external_id: Option<String>,
    /// The SCIM name parts as written; `None` for members never given them over SCIM.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Which members a SCIM list or filter reads: every given field must match; ordered by
/// creation time then id, `offset` rows skipped.
#[derive(Debug, Clone, Default)]
pub struct ScimQuery {
    pub id: Option<MemberId>,
    pub email: Option<Email>,
    pub external_id: Option<String>,
    pub status: Option<Status>,
    pub offset: u64,
    pub limit: u32,
}

/// Wake-ups of committed events from other processes: the organization whose feed grew.
pub type EventWakeups = tokio::sync::mpsc::UnboundedReceiver<OrgId>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Create or update the schema.
    async fn migrate(&self) -> Result<()>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
    /// A transaction for reading (all its reads see one snapshot), or for inserting new rows
    /// such as an organization or a plan.
    async fn begin(&self) -> Result<Box<dyn Tx>>;
    /// A transaction that writes without taking an organization's lock (the webhook worker
    /// moving a cursor and queueing deliveries). Where the database admits one writer at a
    /// time, it waits for its turn among this process's writers instead of in the
    /// database's busy loop.
    async fn begin_write(&self) -> Result<Box<dyn Tx>> {
        self.begin().await
    }
    /// A write transaction holding the organization's lock; `None` when it does not exist.
    async fn lock(&self, org: &OrgId) -> Result<Option<Box<dyn Tx>>>;
    /// The token with this hash, whatever its organization, and the member holding it: one
    /// query, because every authenticated request asks.
    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>>;
    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>>;
    /// Claim a key for a request about to run: insert a pending row (status
    /// [`IDEMPOTENCY_PENDING`], empty body, `at` as its claim time, this store's process as
    /// its holder), or take over a pending row of the same `request_hash` claimed before
    /// `stale_before` or whose holding process is gone (a killed or restarted server: taken
    /// over at once). Atomic across processes sharing the database: true for exactly one
    /// concurrent claimer.
    async fn idempotency_claim(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        at: &str,
        stale_before: &str,
    ) -> Result<bool>;
    /// Store the response of a claimed key. Applies only while the claim made at
    /// `row.created_at` is still pending and not taken over; false otherwise.
    async fn idempotency_complete(&self, row: &IdempotencyRow) -> Result<bool>;
    /// Give up the pending claim made at `claimed_at`, so a retry can run; a completed row
    /// or a claim taken over since is left alone.
    async fn idempotency_release(&self, scope: &str, key: &str, claimed_at: &str) -> Result<()>;
    /// Every member with this email, in any organization, with its password hash: sign-in
    /// looks a person up by email before it knows the organization.
    async fn credentials_by_email(&self, email: &Email) -> Result<Vec<Credentials>>;
    /// Forget remembered responses created before `before` (RFC 3339).
    async fn idempotency_prune(&self, before: &str) -> Result<u64>;

    // Subscription lifecycle (issue 12).
    /// The organizations that may have a time-driven transition due: an active subscription
    /// whose `term_end` is before `today` (YYYY-MM-DD), or one expired or suspended. The
    /// scheduler then decides under each org's lock, so a stale answer does no harm.
    async fn lifecycle_candidates(&self, today: &str) -> Result<Vec<OrgId>>;

    // SCIM (product.md §9).
    /// The SCIM token with this hash, whatever its organization.
    async fn scim_token(&self, hash: &str) -> Result<Option<ScimTokenRow>>;

    // ---- the change feed (product.md §8) ----
    /// The integration token with this hash, whatever its organization.
    async fn integration_token(&self, hash: &str) -> Result<Option<IntegrationTokenRow>>;
    /// Forget, in every organization, the events before its first one stamped at or after
    /// `before` (RFC 3339; all when there is none): always a prefix of the feed, so what
    /// remains stays gapless.
    async fn events_prune(&self, before: &str) -> Result<u64>;
    /// Every organization's id, in id order (a reset of every feed walks them).
    async fn org_ids(&self) -> Result<Vec<OrgId>>;
    /// The organizations where some member waits for seats (product.md §13): what the
    /// waiting-room pass looks at.
    async fn orgs_with_waiting(&self) -> Result<Vec<OrgId>>;
    /// Wake-ups for events committed by any process, when the database can push them
    /// (PostgreSQL LISTEN/NOTIFY); `None` when readers must poll (SQLite).
    async fn listen_events(&self) -> Result<Option<EventWakeups>>;
    /// Tell the other processes that events of `org` committed, right after the commit
    /// (PostgreSQL: NOTIFY on its own, outside the write transaction — a transaction that
    /// notifies holds a database-wide lock through its commit, which lined every write's
    /// commit and WAL flush up behind the last one's). A lost announcement costs a
    /// listener one poll interval, nothing else. Nothing to do where readers poll (SQLite).
    async fn announce_events(&self, _org: &OrgId) -> Result<()> {
        Ok(())
    }

    // ---- Webhooks: the delivery worker, across organizations ----
    /// Every enabled webhook endpoint, whatever its organization.
    async fn enabled_webhooks(&self) -> Result<Vec<WebhookRow>>;
    /// Claim up to `limit` deliveries due at `now` (pending with `next_attempt_at <= now`, or
    /// delivering under a claim that expired before `now` or whose holding process is gone)
    /// of enabled endpoints, at most as many of one endpoint as it has free of
    /// `per_endpoint` slots (its deliveries under live claims take theirs, whichever process
    /// holds them): mark them delivering under `claim`, held by this store's process until
    /// `until`, add one attempt, and return them. Atomic across processes: concurrent
    /// claimers never get the same delivery.
    async fn claim_deliveries(
        &self,
        now: &str,
        claim: &str,
        until: &str,
        limit: u32,
        per_endpoint: u32,
    ) -> Result<Vec<DeliveryRow>>;
    /// Record attempt outcomes in one transaction (the worker records each as it completes;
    /// a batch costs one write on SQLite's single write lock), each only if its claim is still
    /// held, with the endpoints' runs of failures applied in the outcomes' order. One flag per
    /// outcome: false where the claim expired and was taken over.
    async fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<bool>>;

    // ---- password reset links (admin UI) ----
    /// The reset link with this hash, whatever its organization, and its member: the page
    /// the link opens knows nothing else.
    async fn password_reset(&self, hash: &str) -> Result<Option<PasswordReset>>;
    /// The sign-in link with this hash, whatever its organization, and its member.
    async fn sign_in_link(&self, hash: &str) -> Result<Option<SignInLinkRow>>;

    // ---- entitlement reads (the PBX asks on every registration and call) ----
    /// A member's entitlement sources in ONE statement, outside any transaction (a single
    /// statement reads one snapshot): a round trip, not seven, on the hottest read.
    /// `None` when the organization has no such member.
    async fn entitlement_sources(
        &self,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<Option<EntitlementSources>>;

    /// Who holds the bearer token with this hash (an integration token when `integration`,
    /// else a member's) and, when the token is `org`'s, the entitlement sources of `member`:
    /// the PBX's whole read, authentication included, in ONE statement (issue 15). The
    /// answer is exactly [`Store::token_holder`] or [`Store::integration_token`] followed,
    /// for a token of `org`, by [`Store::entitlement_sources`].
    async fn token_entitlements(
        &self,
        hash: &str,
        integration: bool,
        org: &OrgId,
        member: &MemberRef,
    ) -> Result<TokenEntitlements>;
}

/// See [`Store::token_entitlements`]: `sources` is `None` when there is no holder, when the
/// token is another organization's, or when the organization has no such member.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenEntitlements {
    pub holder: Option<TokenHolder>,
    pub sources: Option<EntitlementSources>,
}

/// A bearer token as stored, with the member holding it for a member token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenHolder {
    Member(TokenRow, Member),
    Integration(IntegrationTokenRow),
}

impl TokenHolder {
    pub fn org(&self) -> &OrgId {
        match self {
            TokenHolder::Member(row, _) => &row.org,
            TokenHolder::Integration(row) => &row.org,
        }
    }
}

/// One transaction. Every method is scoped by organization; dropping without `commit` rolls back.
#[async_trait]
pub trait Tx: Send {
    /// Mark the claim `claimed_at` of (scope, key), pending, as applied: called by the write
    /// transaction of a request carrying an Idempotency-Key, so the mark commits with the write
    /// or not at all.
    async fn idempotency_applied(&mut self, scope: &str, key: &str, claimed_at: &str)
        -> Result<()>;
    async fn org(&mut self, org: &OrgId) -> Result<Option<Org>>;
    async fn member(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<Member>>;
    async fn member_by_email(&mut self, org: &OrgId, email: &Email) -> Result<Option<Member>>;
    /// Members ordered by email, after the cursor email.
    async fn members(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>>;
    /// The members with these ids (unknown ids are skipped), ordered by email: one query for
    /// the holders of a page of extensions.
    async fn members_by_id(&mut self, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>>;
    async fn extension(&mut self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>>;
    async fn extension_of(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Extension>>;
    async fn extensions(&mut self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>>;
    async fn taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>>;
    async fn seats(&mut self, org: &OrgId) -> Result<Seats>;
    async fn number(&mut self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>>;
    /// Numbers ordered by number, after the cursor.
    async fn numbers(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<NumberRow>>;
    async fn snapshot(&mut self, org: &OrgId) -> Result<Snapshot>;
    /// Apply a decision's changes in order.
    async fn apply(&mut self, org: &OrgId, changes: &[Change]) -> Result<()>;
    /// Append audit entries; their ids are assigned by the store.
    async fn append_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()>;
    async fn audit(&mut self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
    async fn insert_token(&mut self, token: &TokenRow) -> Result<()>;
    async fn tokens(&mut self, org: &OrgId, member: &MemberId) -> Result<Vec<TokenRow>>;
    /// Revoke a member's token; false when there is no such token.
    async fn revoke_token(&mut self, org: &OrgId, member: &MemberId, id: &str) -> Result<bool>;
    async fn insert_plan(&mut self, org: &OrgId, plan: &PlanRow) -> Result<()>;
    async fn plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>>;
    async fn update_plan(&mut self, org: &OrgId, plan: &PlanRow) -> Result<()>;
    /// A member with its session epoch, in one query: the UI reads both on every request,
    /// and a session is valid only while the epoch it carries equals the stored one.
    async fn session_member(&mut self, org: &OrgId, id: &MemberId)
        -> Result<Option<(Member, i64)>>;
    /// End every session of a member by bumping its session epoch; the new epoch, or `None`
    /// when there is no such member.
    async fn end_sessions(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<i64>>;
    /// Set or clear a member's password hash (argon2id, made by the caller). This also bumps
    /// the member's session epoch: a changed password ends the sessions made with the old one.
    async fn set_password_hash(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: Option<&str>,
    ) -> Result<()>;

    // Subscription lifecycle (issue 12).
    /// The organization's stored subscriptions, in catalog order; a code never set has none.
    async fn subscriptions(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Subscription>>;

    // SCIM (product.md §9).
    /// The members matching `q` in SCIM order, and how many match in all.
    async fn scim_members(&mut self, org: &OrgId, q: &ScimQuery) -> Result<(u64, Vec<ScimMember>)>;
    async fn insert_scim_token(&mut self, token: &ScimTokenRow) -> Result<()>;
    /// The organization's SCIM tokens, oldest first, revoked ones included.
    async fn scim_tokens(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>>;
    /// Revoke a SCIM token; false when the organization has no such live token.
    async fn revoke_scim_token(&mut self, org: &OrgId, id: &str) -> Result<bool>;

    // ---- the change feed (product.md §8) ----
    /// Reserve `count` consecutive seqs of the organization's feed and return the first.
    /// Call only inside [`Store::lock`]: the org lock is what makes the feed gapless and in
    /// commit order. Seqs are reserved before the changes are applied, so an organization
    /// this transaction creates (no row yet) starts at 1. A backend may count in memory and
    /// store the counter with the events ([`Tx::append_events`] follows every reservation).
    async fn reserve_event_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64>;
    /// The versions the coming [`Tx::append_events`] will give these extensions, told before
    /// the changes that insert them are applied: a backend may write each inserted
    /// extension with its version at once instead of updating the row again afterwards
    /// (on PostgreSQL an update of a row inserted by the same transaction re-runs its
    /// foreign-key checks). Only a saving: `append_events` sets every version either way.
    async fn expect_versions(&mut self, _versions: &[(ExtKey, i64)]) -> Result<()> {
        Ok(())
    }
    /// Append events (their seqs reserved), set each named extension's version to the seq of
    /// the last event naming it, and the organization's counter to the last seq.
    async fn append_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()>;
    async fn events(&mut self, org: &OrgId, q: &EventQuery) -> Result<Vec<EventRow>>;
    async fn event_horizon(&mut self, org: &OrgId) -> Result<EventHorizon>;
    /// The organization's current feed epoch: 0 until its feed is first reset (and for an
    /// organization this transaction is creating).
    async fn feed_epoch(&mut self, org: &OrgId) -> Result<i64>;
    /// Every epoch started after the first, oldest first.
    async fn feed_epochs(&mut self, org: &OrgId) -> Result<Vec<FeedEpoch>>;
    /// Start a new epoch of the organization's feed: `epoch = max(at_least, head + 1)`,
    /// `prior_head` = the head, and the next event is `epoch + 1`. Call only inside
    /// [`Store::lock`]; `at_least` is what makes the epoch exceed every seq a discarded
    /// timeline may have reached (the caller derives it from the clock).
    async fn start_feed_epoch(
        &mut self,
        org: &OrgId,
        at_least: i64,
        started_at: &str,
    ) -> Result<FeedEpoch>;
    /// The versions of these extensions (missing keys are skipped).
    async fn extension_versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>>;
    async fn insert_integration_token(&mut self, t: &IntegrationTokenRow) -> Result<()>;
    /// The organization's integration tokens, oldest first.
    async fn integration_tokens(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>>;
    /// Revoke an integration token; false when there is no such token.
    async fn revoke_integration_token(&mut self, org: &OrgId, id: &str) -> Result<bool>;

    async fn commit(self: Box<Self>) -> Result<()>;

    // ---- Webhooks: endpoints and deliveries of one organization ----
    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()>;
    async fn webhook(&mut self, org: &OrgId, id: &str) -> Result<Option<WebhookRow>>;
    /// The organization's endpoints, oldest first.
    async fn webhooks(&mut self, org: &OrgId) -> Result<Vec<WebhookRow>>;
    /// Store an endpoint's url, types, description, enabled, disabled reason and secrets
    /// (not its cursor, which only [`Tx::advance_webhook`] moves); false when it is gone.
    async fn update_webhook(&mut self, w: &WebhookRow) -> Result<bool>;
    /// Delete an endpoint and its deliveries; false when there is no such endpoint.
    async fn delete_webhook(&mut self, org: &OrgId, id: &str) -> Result<bool>;
    /// Move an endpoint's cursor from `from` to `to`; false (nothing changed) when it is no
    /// longer at `from`, because another worker moved it first.
    async fn advance_webhook(&mut self, org: &OrgId, id: &str, from: i64, to: i64) -> Result<bool>;
    /// Insert deliveries; their ids are assigned by the store.
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<()>;
    async fn deliveries(
        &mut self,
        org: &OrgId,
        endpoint: &str,
        q: &DeliveryQuery,
    ) -> Result<Vec<DeliveryRow>>;

    // ---- teams (product.md §12) ----
    /// The organization's teams with their members, ordered by name ignoring case, then id.
    async fn teams(&mut self, org: &OrgId) -> Result<Vec<Team>>;
    /// The teams an admin is limited to; `None` is the whole organization.
    async fn admin_scope(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Vec<TeamId>>>;
    /// The members of the enabled teams among `teams`, ordered by email after the cursor:
    /// a team-scoped admin's member list.
    async fn members_in_teams(
        &mut self,
        org: &OrgId,
        teams: &[TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>>;

    // ---- activity (product.md §14) ----
    /// Which of `keys` are provisioned extensions of the organization.
    async fn existing_keys(&mut self, org: &OrgId, keys: &[ExtKey]) -> Result<BTreeSet<ExtKey>>;
    /// Keep each row's `at` as its extension, kind and device's latest activity unless a
    /// later one is kept already: one set-based statement, each key at most once in `rows`,
    /// every extension provisioned. Answers how many rows it inserted or moved forward.
    async fn upsert_activity(&mut self, org: &OrgId, rows: &[ActivityRow]) -> Result<u64>;
    /// The activity kept for these extensions (every extension's when `None`), ordered by
    /// extension, kind and device.
    async fn activity(&mut self, org: &OrgId, keys: Option<&[ExtKey]>) -> Result<Vec<ActivityRow>>;
    /// The latest audit `at` per extension among entries of these actions on an
    /// `extension:KEY` target: when each extension was last handed over (idle rules, §14).
    async fn extension_handovers(
        &mut self,
        org: &OrgId,
        actions: &[&str],
    ) -> Result<Vec<(ExtKey, String)>>;
    /// Allow an integration token of the organization to report activity.
    async fn allow_activity_reports(&mut self, org: &OrgId, token: &str) -> Result<()>;
    /// The ids of the organization's integration tokens allowed to report activity, revoked
    /// ones included.
    async fn activity_reporters(&mut self, org: &OrgId) -> Result<BTreeSet<String>>;
    // ---- team license templates (product.md §13) ----
    /// Every team's template, by team id.
    async fn templates(
        &mut self,
        org: &OrgId,
    ) -> Result<Vec<(TeamId, seatline_domain::templates::Template)>>;
    /// Whether `member`'s assignment or a copy on its extension is inherited from a team: one
    /// statement, so a direct write by a member that inherits nothing (every write in an
    /// organization without templates) reads no holdings.
    async fn inherits(&mut self, org: &OrgId, member: &MemberId) -> Result<bool>;
    /// What each of `members` that holds an extension holds, direct and inherited apart; one
    /// statement per part whatever the number of members.
    async fn holdings(
        &mut self,
        org: &OrgId,
        members: &[MemberId],
    ) -> Result<Vec<(MemberId, seatline_domain::templates::Holding)>>;
    /// Members' license states, in join order (`seq`).
    async fn license_states(
        &mut self,
        org: &OrgId,
        q: &LicenseStateQuery,
    ) -> Result<Vec<LicenseStateRow>>;

    // ---- password reset links (admin UI) ----
    /// Store a member's reset link, replacing any earlier link of that member.
    async fn insert_password_reset(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()>;
    /// Use up a reset link: delete it and answer whose it was and when it expires; `None`
    /// when there is no such link in this organization (never made, or used already).
    async fn take_password_reset(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>>;

    // ---- sign-in links (first sign-in without a shell) ----
    /// Store a member's sign-in link, replacing any earlier unused link of that member.
    async fn insert_sign_in_link(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()>;
    /// Use up a sign-in link: delete it and answer whose it was and when it expires; `None`
    /// when there is no such link in this organization (never made, replaced, or used).
    async fn take_sign_in_link(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>>;
}

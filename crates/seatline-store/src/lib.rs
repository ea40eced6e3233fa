//! The one storage interface. A backend (SQLite, PostgreSQL) implements [`Store`] and [`Tx`]
//! with plain SQL and its own migrations, and must pass [`conformance`].
//!
//! Writes are serialized per organization: [`Store::lock`] opens a transaction whose first
//! statement bumps the organization's version, which takes the row lock on PostgreSQL and
//! the write lock on SQLite. A use case then loads what it needs, lets the domain decide,
//! applies the changes and the audit entries, and commits: all or nothing.

pub mod conformance;
pub mod decode;

use std::collections::BTreeSet;

use async_trait::async_trait;
use seatline_domain::{
    Change, Code, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, E164,
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

/// Everything of one organization that bulk planning and export need.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub members: Vec<Member>,
    pub extensions: Vec<Extension>,
    pub numbers: Vec<NumberRow>,
    pub seats: Seats,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Create or update the schema.
    async fn migrate(&self) -> Result<()>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
    /// A transaction for reading (all its reads see one snapshot), or for inserting new rows
    /// such as an organization or a plan.
    async fn begin(&self) -> Result<Box<dyn Tx>>;
    /// A write transaction holding the organization's lock; `None` when it does not exist.
    async fn lock(&self, org: &OrgId) -> Result<Option<Box<dyn Tx>>>;
    /// The token with this hash, whatever its organization, and the member holding it: one
    /// query, because every authenticated request asks.
    async fn token_holder(&self, hash: &str) -> Result<Option<(TokenRow, Member)>>;
    async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRow>>;
    /// Claim a key for a request about to run: insert a pending row (status
    /// [`IDEMPOTENCY_PENDING`], empty body, `at` as its claim time), or take over a pending
    /// row of the same `request_hash` claimed before `stale_before` (its claimer died). Atomic
    /// across processes sharing the database: true for exactly one concurrent claimer.
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
}

/// One transaction. Every method is scoped by organization; dropping without `commit` rolls back.
#[async_trait]
pub trait Tx: Send {
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

    async fn commit(self: Box<Self>) -> Result<()>;
}

//! One transaction: the [`Tx`] methods, each running the statements of its capability's
//! file (`members`, `extensions`, `events` …), and what the transaction carries between them.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use seatline_domain::{
    Change, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, E164,
};
use seatline_store::{
    AuditEntry, AuditQuery, DeliveryQuery, DeliveryRow, EventHorizon, EventQuery, EventRow,
    ExtensionQuery, IntegrationTokenRow, NewEvent, PlanRow, Result, ScimMember, ScimQuery,
    ScimTokenRow, Snapshot, TokenRow, Tx, WebhookRow,
};
use sqlx::{Postgres, Transaction};

use crate::links::{self, Links};
use crate::sql::db;
use crate::{idempotency, members, passwords, tokens, webhooks};

pub(crate) struct PgTx {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// The seq the next event of this transaction gets, once known: the org lock reads the
    /// organization's counter as it takes the row, so reserving seqs costs no round trip and
    /// the events' insert writes the counter back (issue 10).
    pub(crate) next_seq: Option<i64>,
    /// The organization's feed epoch, read with the counter by the org lock.
    pub(crate) epoch: Option<i64>,
    /// Versions the coming events give extensions ([`Tx::expect_versions`]): extensions
    /// inserted meanwhile are written with theirs and leave this map for `written`.
    pub(crate) expected: HashMap<ExtKey, i64>,
    /// Versions already written with the rows, which the events' insert need not set again.
    pub(crate) written: HashMap<ExtKey, i64>,
    /// Audit entries not yet sent: they travel with the events' insert that follows them in
    /// every write use case (one round trip for both, issue 27), or alone before the commit
    /// or a read of the audit log.
    pub(crate) audit: Option<(OrgId, Vec<AuditEntry>)>,
}

impl PgTx {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        PgTx {
            tx,
            next_seq: None,
            epoch: None,
            expected: HashMap::new(),
            written: HashMap::new(),
            audit: None,
        }
    }

    /// A transaction holding the organization's lock, whose event counter stood at `event_seq`.
    pub(crate) fn locked(tx: Transaction<'static, Postgres>, event_seq: i64, epoch: i64) -> Self {
        PgTx {
            next_seq: Some(event_seq + 1),
            epoch: Some(epoch),
            ..PgTx::new(tx)
        }
    }
}

#[async_trait]
impl Tx for PgTx {
    async fn org(&mut self, org: &OrgId) -> Result<Option<Org>> {
        self.read_org(org).await
    }

    async fn member(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<Member>> {
        members::by_id(&mut self.tx, org, id).await
    }

    async fn member_by_email(&mut self, org: &OrgId, email: &Email) -> Result<Option<Member>> {
        members::by_email(&mut self.tx, org, email).await
    }

    async fn members(&mut self, org: &OrgId, after: Option<&str>, n: u32) -> Result<Vec<Member>> {
        members::page(&mut self.tx, org, after, n).await
    }

    async fn members_by_id(&mut self, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>> {
        members::with_ids(&mut self.tx, org, ids).await
    }

    async fn extension(&mut self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>> {
        self.extension_by_key(org, key).await
    }

    async fn extension_of(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Extension>> {
        self.extension_held_by(org, member).await
    }

    async fn extensions(&mut self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>> {
        self.read_extensions(org, q).await
    }

    async fn taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>> {
        self.read_taken_keys(org).await
    }

    async fn seats(&mut self, org: &OrgId) -> Result<Seats> {
        self.seats_now(org).await
    }

    async fn number(&mut self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>> {
        self.read_number(org, number).await
    }

    async fn numbers(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        n: u32,
    ) -> Result<Vec<NumberRow>> {
        self.numbers_page(org, after, n).await
    }

    async fn snapshot(&mut self, org: &OrgId) -> Result<Snapshot> {
        self.read_snapshot(org).await
    }

    async fn apply(&mut self, org: &OrgId, changes: &[Change]) -> Result<()> {
        self.apply_changes(org, changes).await
    }

    async fn append_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        self.defer_audit(org, entries).await
    }

    async fn audit(&mut self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.flush_audit().await?;
        self.read_audit(org, q).await
    }

    async fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        tokens::insert_member_token(&mut self.tx, t).await
    }

    async fn tokens(&mut self, org: &OrgId, member: &MemberId) -> Result<Vec<TokenRow>> {
        tokens::member_tokens(&mut self.tx, org, member).await
    }

    async fn revoke_token(&mut self, org: &OrgId, member: &MemberId, id: &str) -> Result<bool> {
        tokens::revoke_member_token(&mut self.tx, org, member, id).await
    }

    async fn insert_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.insert_plan_row(org, p).await
    }

    async fn plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        self.read_plan(org, id).await
    }

    async fn update_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.update_plan_row(org, p).await
    }

    async fn session_member(
        &mut self,
        org: &OrgId,
        id: &MemberId,
    ) -> Result<Option<(Member, i64)>> {
        members::with_epoch(&mut self.tx, org, id).await
    }

    async fn end_sessions(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<i64>> {
        members::end_sessions(&mut self.tx, org, id).await
    }

    async fn idempotency_applied(
        &mut self,
        scope: &str,
        key: &str,
        claimed_at: &str,
    ) -> Result<()> {
        idempotency::applied(&mut self.tx, scope, key, claimed_at).await
    }

    async fn set_password_hash(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: Option<&str>,
    ) -> Result<()> {
        passwords::set_hash(&mut self.tx, org, member, hash).await
    }

    async fn subscriptions(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Subscription>> {
        self.read_subscriptions(org).await
    }

    async fn templates(
        &mut self,
        org: &OrgId,
    ) -> Result<
        Vec<(
            seatline_domain::TeamId,
            seatline_domain::templates::Template,
        )>,
    > {
        self.templates_impl(org).await
    }

    async fn inherits(&mut self, org: &OrgId, member: &MemberId) -> Result<bool> {
        self.inherits_impl(org, member).await
    }

    async fn holdings(
        &mut self,
        org: &OrgId,
        members: &[MemberId],
    ) -> Result<Vec<(MemberId, seatline_domain::templates::Holding)>> {
        self.holdings_impl(org, members).await
    }

    async fn license_states(
        &mut self,
        org: &OrgId,
        q: &seatline_store::LicenseStateQuery,
    ) -> Result<Vec<seatline_store::LicenseStateRow>> {
        self.license_states_impl(org, q).await
    }

    async fn teams(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Team>> {
        self.teams_impl(org).await
    }

    async fn admin_scope(
        &mut self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Vec<seatline_domain::TeamId>>> {
        self.admin_scope_impl(org, member).await
    }

    async fn members_in_teams(
        &mut self,
        org: &OrgId,
        teams: &[seatline_domain::TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        self.members_in_teams_impl(org, teams, after, limit).await
    }

    async fn scim_members(&mut self, org: &OrgId, q: &ScimQuery) -> Result<(u64, Vec<ScimMember>)> {
        self.scim_members_impl(org, q).await
    }

    async fn insert_scim_token(&mut self, token: &ScimTokenRow) -> Result<()> {
        tokens::insert(&mut self.tx, token).await
    }

    async fn scim_tokens(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>> {
        tokens::list(&mut self.tx, org).await
    }

    async fn revoke_scim_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        tokens::revoke::<ScimTokenRow>(&mut self.tx, org, id).await
    }

    async fn reserve_event_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        self.reserve_seqs(org, count).await
    }

    async fn expect_versions(&mut self, versions: &[(ExtKey, i64)]) -> Result<()> {
        self.expected.extend(versions.iter().copied());
        Ok(())
    }

    async fn append_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        self.insert_events(org, events).await
    }

    async fn events(&mut self, org: &OrgId, q: &EventQuery) -> Result<Vec<EventRow>> {
        self.read_events(org, q).await
    }

    async fn event_horizon(&mut self, org: &OrgId) -> Result<EventHorizon> {
        self.horizon(org).await
    }

    // ---- feed epochs: SQL in epochs.rs ----
    async fn feed_epoch(&mut self, org: &OrgId) -> Result<i64> {
        self.current_epoch(org).await
    }

    async fn feed_epochs(&mut self, org: &OrgId) -> Result<Vec<seatline_store::FeedEpoch>> {
        self.epochs(org).await
    }

    async fn start_feed_epoch(
        &mut self,
        org: &OrgId,
        at_least: i64,
        started_at: &str,
    ) -> Result<seatline_store::FeedEpoch> {
        self.start_epoch(org, at_least, started_at).await
    }

    async fn extension_versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>> {
        self.versions(org, keys).await
    }

    async fn insert_integration_token(&mut self, t: &IntegrationTokenRow) -> Result<()> {
        tokens::insert(&mut self.tx, t).await
    }

    async fn integration_tokens(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>> {
        tokens::list(&mut self.tx, org).await
    }

    async fn revoke_integration_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        tokens::revoke::<IntegrationTokenRow>(&mut self.tx, org, id).await
    }

    async fn insert_password_reset(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        links::insert(
            &mut self.tx,
            Links::Resets,
            org,
            member,
            [hash, created_at, expires_at],
        )
        .await
    }

    async fn take_password_reset(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        links::take(&mut self.tx, Links::Resets, org, hash).await
    }

    async fn insert_sign_in_link(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        links::insert(
            &mut self.tx,
            Links::SignIn,
            org,
            member,
            [hash, created_at, expires_at],
        )
        .await
    }

    async fn take_sign_in_link(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        links::take(&mut self.tx, Links::SignIn, org, hash).await
    }

    async fn existing_keys(&mut self, org: &OrgId, keys: &[ExtKey]) -> Result<BTreeSet<ExtKey>> {
        self.existing_keys_impl(org, keys).await
    }

    async fn upsert_activity(
        &mut self,
        org: &OrgId,
        rows: &[seatline_store::ActivityRow],
    ) -> Result<u64> {
        self.upsert_activity_impl(org, rows).await
    }

    async fn activity(
        &mut self,
        org: &OrgId,
        keys: Option<&[ExtKey]>,
    ) -> Result<Vec<seatline_store::ActivityRow>> {
        self.activity_impl(org, keys).await
    }

    async fn extension_handovers(
        &mut self,
        org: &OrgId,
        actions: &[&str],
    ) -> Result<Vec<(ExtKey, String)>> {
        self.extension_handovers_impl(org, actions).await
    }

    async fn allow_activity_reports(&mut self, org: &OrgId, token: &str) -> Result<()> {
        self.allow_activity_reports_impl(org, token).await
    }

    async fn activity_reporters(&mut self, org: &OrgId) -> Result<BTreeSet<String>> {
        self.activity_reporters_impl(org).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.flush_audit().await?;
        self.tx.commit().await.map_err(db)
    }

    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()> {
        webhooks::insert_webhook(&mut self.tx, w).await
    }
    async fn webhook(&mut self, org: &OrgId, id: &str) -> Result<Option<WebhookRow>> {
        webhooks::webhook(&mut self.tx, org, id).await
    }
    async fn webhooks(&mut self, org: &OrgId) -> Result<Vec<WebhookRow>> {
        webhooks::webhooks(&mut self.tx, org).await
    }
    async fn update_webhook(&mut self, w: &WebhookRow) -> Result<bool> {
        webhooks::update_webhook(&mut self.tx, w).await
    }
    async fn delete_webhook(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        webhooks::delete_webhook(&mut self.tx, org, id).await
    }
    async fn advance_webhook(&mut self, org: &OrgId, id: &str, from: i64, to: i64) -> Result<bool> {
        webhooks::advance_webhook(&mut self.tx, org, id, from, to).await
    }
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<()> {
        webhooks::insert_deliveries(&mut self.tx, rows).await
    }
    async fn deliveries(
        &mut self,
        org: &OrgId,
        endpoint: &str,
        q: &DeliveryQuery,
    ) -> Result<Vec<DeliveryRow>> {
        webhooks::deliveries(&mut self.tx, org, endpoint, q).await
    }
}

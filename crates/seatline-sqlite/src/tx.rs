//! One transaction on a pooled connection: its turn among this process's writers, its
//! rollback when dropped, and the [`Tx`] methods, each running the statements of its
//! capability's file (`members`, `extensions`, `events` …).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::ToSql;
use seatline_domain::{
    Change, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, E164,
};
use seatline_store::{
    AuditEntry, AuditQuery, DeliveryQuery, DeliveryRow, EventHorizon, EventQuery, EventRow,
    ExtensionQuery, IntegrationTokenRow, NewEvent, PlanRow, Result, ScimMember, ScimQuery,
    ScimTokenRow, Snapshot, TokenRow, Tx, WebhookRow,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::links::{self, Links};
use crate::pool::Conn;
use crate::sql::{exec, heavy, MANY};
use crate::{idempotency, members, passwords, tokens, webhooks};

pub(crate) struct SqliteTx {
    /// Dropped before `turn` (fields drop in order), after `Drop` rolled back.
    pub(crate) conn: Conn,
    /// `BEGIN` was sent and neither COMMIT nor ROLLBACK yet.
    pub(crate) open: bool,
    /// Many rows were written, so the commit may take a while too.
    pub(crate) long: bool,
    pub(crate) writer: Arc<Mutex<()>>,
    /// This transaction's turn among the writers (see `SqliteStore::writer`): taken before
    /// `BEGIN IMMEDIATE` by a write transaction, or before its first write by a read one.
    pub(crate) turn: Option<OwnedMutexGuard<()>>,
    /// The seq the next event of this transaction gets, once known (the org lock reads the
    /// counter); the events' insert writes the counter back.
    pub(crate) next_seq: Option<i64>,
    /// Versions the coming events give extensions ([`Tx::expect_versions`]), and those
    /// already written with inserted rows, which the events' insert need not set again.
    pub(crate) versions: Versions,
}

/// See [`SqliteTx::versions`].
#[derive(Default)]
pub(crate) struct Versions {
    pub(crate) expected: HashMap<ExtKey, i64>,
    pub(crate) written: HashMap<ExtKey, i64>,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            // A failed rollback leaves the transaction open; the pool then closes the
            // connection, which ends it.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl SqliteTx {
    /// Take the writer's turn before the first write of a read transaction (`Store::begin`).
    /// A use case should write in `lock` or `begin_write`; this keeps one that does not from
    /// waiting in SQLite's busy handler on its own thread (see `SqliteStore::writer`).
    pub(crate) async fn writing(&mut self) {
        if self.turn.is_none() {
            self.turn = Some(self.writer.clone().lock_owned().await);
        }
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        // A large transaction's commit writes many pages to the WAL.
        heavy(self.long, || exec(&self.conn, "COMMIT", ()))?;
        self.open = false;
        Ok(())
    }

    /// A statement bound to the organization, then `args`; the rows it changed.
    pub(crate) fn exec(&self, sql: &str, org: &OrgId, args: &[&dyn ToSql]) -> Result<usize> {
        let org: &dyn ToSql = &org.as_str();
        exec(
            &self.conn,
            sql,
            rusqlite::params_from_iter(std::iter::once(org).chain(args.iter().copied())),
        )
    }
}

#[async_trait]
impl Tx for SqliteTx {
    async fn org(&mut self, org: &OrgId) -> Result<Option<Org>> {
        self.read_org(org)
    }

    async fn member(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<Member>> {
        members::by_id(&self.conn, org, id)
    }

    async fn member_by_email(&mut self, org: &OrgId, email: &Email) -> Result<Option<Member>> {
        members::by_email(&self.conn, org, email)
    }

    async fn members(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        heavy(limit as usize > MANY, || {
            members::page(&self.conn, org, after, limit)
        })
    }

    async fn members_by_id(&mut self, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>> {
        members::with_ids(&self.conn, org, ids)
    }

    async fn extension(&mut self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>> {
        self.extension_by_key(org, key)
    }

    async fn extension_of(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Extension>> {
        self.extension_held_by(org, member)
    }

    async fn extensions(&mut self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>> {
        heavy(q.limit as usize > MANY, || self.read_extensions(org, q))
    }

    async fn taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>> {
        let keys = heavy(true, || self.read_taken_keys(org))?;
        Ok(keys.into_iter().collect())
    }

    async fn seats(&mut self, org: &OrgId) -> Result<Seats> {
        self.seats_now(org)
    }

    async fn number(&mut self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>> {
        self.read_number(org, number)
    }

    async fn numbers(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<NumberRow>> {
        heavy(limit as usize > MANY, || {
            self.numbers_page(org, after, limit)
        })
    }

    async fn snapshot(&mut self, org: &OrgId) -> Result<Snapshot> {
        heavy(true, || self.read_snapshot(org))
    }

    async fn apply(&mut self, org: &OrgId, changes: &[Change]) -> Result<()> {
        self.writing().await;
        let long = changes.len() > MANY
            || changes
                .iter()
                .any(|c| matches!(c, Change::InsertExtensions(e) if e.len() > MANY));
        self.long |= long;
        heavy(long, || self.apply_changes(org, changes))?;
        // The inserted extensions that got their version with the row.
        let Versions { expected, written } = &mut self.versions;
        for c in changes {
            if let Change::InsertExtensions(exts) = c {
                written.extend(
                    exts.iter()
                        .filter_map(|e| expected.get(&e.key).map(|v| (e.key, *v))),
                );
            }
        }
        Ok(())
    }

    async fn append_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        self.writing().await;
        self.long |= entries.len() > MANY;
        heavy(entries.len() > MANY, || self.insert_audit(org, entries))
    }

    async fn audit(&mut self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        heavy(q.limit as usize > MANY, || self.read_audit(org, q))
    }

    async fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        self.writing().await;
        tokens::insert_member_token(&self.conn, t)
    }

    async fn tokens(&mut self, org: &OrgId, member: &MemberId) -> Result<Vec<TokenRow>> {
        tokens::member_tokens(&self.conn, org, member)
    }

    async fn revoke_token(&mut self, org: &OrgId, member: &MemberId, id: &str) -> Result<bool> {
        self.writing().await;
        tokens::revoke_member_token(&self.conn, org, member, id)
    }

    async fn insert_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.writing().await;
        self.insert_plan_row(org, p)
    }

    async fn plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        self.read_plan(org, id)
    }

    async fn update_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        self.writing().await;
        self.update_plan_row(org, p)
    }

    async fn session_member(
        &mut self,
        org: &OrgId,
        id: &MemberId,
    ) -> Result<Option<(Member, i64)>> {
        members::with_epoch(&self.conn, org, id)
    }

    async fn end_sessions(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<i64>> {
        self.writing().await;
        members::end_sessions(&self.conn, org, id)
    }

    async fn idempotency_applied(
        &mut self,
        scope: &str,
        key: &str,
        claimed_at: &str,
    ) -> Result<()> {
        self.writing().await;
        idempotency::applied(&self.conn, scope, key, claimed_at)
    }

    async fn insert_sign_in_link(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.writing().await;
        links::insert(
            &self.conn,
            Links::SignIn,
            org,
            member,
            [hash, created_at, expires_at],
        )
    }

    async fn take_sign_in_link(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        self.writing().await;
        links::take(&self.conn, Links::SignIn, org, hash)
    }

    async fn existing_keys(&mut self, org: &OrgId, keys: &[ExtKey]) -> Result<BTreeSet<ExtKey>> {
        self.existing_keys_impl(org, keys)
    }

    async fn upsert_activity(
        &mut self,
        org: &OrgId,
        rows: &[seatline_store::ActivityRow],
    ) -> Result<u64> {
        self.writing().await;
        self.upsert_activity_impl(org, rows)
    }

    async fn activity(
        &mut self,
        org: &OrgId,
        keys: Option<&[ExtKey]>,
    ) -> Result<Vec<seatline_store::ActivityRow>> {
        self.activity_impl(org, keys)
    }

    async fn extension_handovers(
        &mut self,
        org: &OrgId,
        actions: &[&str],
    ) -> Result<Vec<(ExtKey, String)>> {
        self.extension_handovers_impl(org, actions)
    }

    async fn allow_activity_reports(&mut self, org: &OrgId, token: &str) -> Result<()> {
        self.writing().await;
        self.allow_activity_reports_impl(org, token)
    }

    async fn activity_reporters(&mut self, org: &OrgId) -> Result<BTreeSet<String>> {
        self.activity_reporters_impl(org)
    }

    async fn set_password_hash(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: Option<&str>,
    ) -> Result<()> {
        self.writing().await;
        passwords::set_hash(&self.conn, org, member, hash)
    }

    async fn subscriptions(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Subscription>> {
        self.read_subscriptions(org)
    }

    async fn teams(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Team>> {
        self.teams_impl(org)
    }

    async fn admin_scope(
        &mut self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Vec<seatline_domain::TeamId>>> {
        self.admin_scope_impl(org, member)
    }

    async fn members_in_teams(
        &mut self,
        org: &OrgId,
        teams: &[seatline_domain::TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        heavy(limit as usize > MANY, || {
            self.members_in_teams_impl(org, teams, after, limit)
        })
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
        self.templates_impl(org)
    }

    async fn inherits(&mut self, org: &OrgId, member: &MemberId) -> Result<bool> {
        self.inherits_impl(org, member)
    }

    async fn holdings(
        &mut self,
        org: &OrgId,
        members: &[MemberId],
    ) -> Result<Vec<(MemberId, seatline_domain::templates::Holding)>> {
        heavy(members.len() > MANY, || self.holdings_impl(org, members))
    }

    async fn license_states(
        &mut self,
        org: &OrgId,
        q: &seatline_store::LicenseStateQuery,
    ) -> Result<Vec<seatline_store::LicenseStateRow>> {
        heavy(true, || self.license_states_impl(org, q))
    }

    async fn scim_members(&mut self, org: &OrgId, q: &ScimQuery) -> Result<(u64, Vec<ScimMember>)> {
        self.scim_members_impl(org, q)
    }

    async fn insert_scim_token(&mut self, token: &ScimTokenRow) -> Result<()> {
        self.writing().await;
        tokens::insert(&self.conn, token)
    }

    async fn scim_tokens(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>> {
        tokens::list(&self.conn, org)
    }

    async fn revoke_scim_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.writing().await;
        tokens::revoke::<ScimTokenRow>(&self.conn, org, id)
    }

    async fn reserve_event_seqs(&mut self, org: &OrgId, count: u32) -> Result<i64> {
        self.writing().await;
        self.reserve_seqs(org, count)
    }

    async fn expect_versions(&mut self, versions: &[(ExtKey, i64)]) -> Result<()> {
        self.versions.expected.extend(versions.iter().copied());
        Ok(())
    }

    async fn append_events(&mut self, org: &OrgId, events: &[NewEvent]) -> Result<()> {
        self.writing().await;
        self.long |= events.len() > MANY;
        heavy(events.len() > MANY, || self.insert_events(org, events))
    }

    async fn events(&mut self, org: &OrgId, q: &EventQuery) -> Result<Vec<EventRow>> {
        heavy(q.limit as usize > MANY, || self.read_events(org, q))
    }

    async fn event_horizon(&mut self, org: &OrgId) -> Result<EventHorizon> {
        self.horizon(org)
    }

    // ---- feed epochs: SQL in epochs.rs ----
    async fn feed_epoch(&mut self, org: &OrgId) -> Result<i64> {
        self.current_epoch(org)
    }

    async fn feed_epochs(&mut self, org: &OrgId) -> Result<Vec<seatline_store::FeedEpoch>> {
        self.epochs(org)
    }

    async fn start_feed_epoch(
        &mut self,
        org: &OrgId,
        at_least: i64,
        started_at: &str,
    ) -> Result<seatline_store::FeedEpoch> {
        self.writing().await;
        self.start_epoch(org, at_least, started_at)
    }

    async fn extension_versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>> {
        heavy(keys.len() > MANY, || self.versions(org, keys))
    }

    async fn insert_integration_token(&mut self, t: &IntegrationTokenRow) -> Result<()> {
        self.writing().await;
        tokens::insert(&self.conn, t)
    }

    async fn integration_tokens(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>> {
        tokens::list(&self.conn, org)
    }

    async fn revoke_integration_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.writing().await;
        tokens::revoke::<IntegrationTokenRow>(&self.conn, org, id)
    }

    async fn insert_password_reset(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.writing().await;
        links::insert(
            &self.conn,
            Links::Resets,
            org,
            member,
            [hash, created_at, expires_at],
        )
    }

    async fn take_password_reset(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        self.writing().await;
        links::take(&self.conn, Links::Resets, org, hash)
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.finish()
    }

    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()> {
        self.writing().await;
        webhooks::insert_webhook(&self.conn, w)
    }
    async fn webhook(&mut self, org: &OrgId, id: &str) -> Result<Option<WebhookRow>> {
        webhooks::webhook(&self.conn, org, id)
    }
    async fn webhooks(&mut self, org: &OrgId) -> Result<Vec<WebhookRow>> {
        webhooks::webhooks(&self.conn, org)
    }
    async fn update_webhook(&mut self, w: &WebhookRow) -> Result<bool> {
        self.writing().await;
        webhooks::update_webhook(&self.conn, w)
    }
    async fn delete_webhook(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.writing().await;
        webhooks::delete_webhook(&self.conn, org, id)
    }
    async fn advance_webhook(&mut self, org: &OrgId, id: &str, from: i64, to: i64) -> Result<bool> {
        self.writing().await;
        webhooks::advance_webhook(&self.conn, org, id, from, to)
    }
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<()> {
        self.writing().await;
        self.long |= rows.len() > MANY;
        heavy(rows.len() > MANY, || {
            webhooks::insert_deliveries(&self.conn, rows)
        })
    }
    async fn deliveries(
        &mut self,
        org: &OrgId,
        endpoint: &str,
        q: &DeliveryQuery,
    ) -> Result<Vec<DeliveryRow>> {
        heavy(q.limit as usize > MANY, || {
            webhooks::deliveries(&self.conn, org, endpoint, q)
        })
    }
}

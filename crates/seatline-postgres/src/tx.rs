//! One transaction: the reads of [`Tx`], each scoped by organization.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use seatline_domain::{
    Change, Email, ExtKey, Extension, Member, MemberId, NumberRow, Org, OrgId, Seats, E164,
};
use seatline_store::decode::{self, KeyedParts};
use seatline_store::{
    AuditEntry, AuditQuery, ExtensionQuery, PlanRow, Result, ScimMember, ScimQuery, ScimTokenRow,
    Snapshot, TokenRow, Tx,
};
use seatline_store::{EventHorizon, EventQuery, EventRow, IntegrationTokenRow, NewEvent};
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

use crate::{db, member_row, token_row, webhooks};
use seatline_store::{DeliveryQuery, DeliveryRow, WebhookRow};

pub(crate) struct PgTx {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// The seq the next event of this transaction gets, once known: the org lock reads the
    /// organization's counter as it takes the row, so reserving seqs costs no round trip and
    /// the events' insert writes the counter back (issue 10).
    pub(crate) next_seq: Option<i64>,
    /// Versions the coming events give extensions ([`Tx::expect_versions`]): extensions
    /// inserted meanwhile are written with theirs and leave this map for `written`.
    pub(crate) expected: HashMap<ExtKey, i64>,
    /// Versions already written with the rows, which the events' insert need not set again.
    pub(crate) written: HashMap<ExtKey, i64>,
}

/// A page size as SQL wants it; `u32::MAX` means everything and still fits.
fn limit(n: u32) -> i64 {
    i64::from(n)
}

/// An extension key as stored: INTEGER.
pub(crate) fn pg_key(k: ExtKey) -> i32 {
    // Keys are at most 99,999.
    k.get() as i32
}

impl PgTx {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        PgTx {
            tx,
            next_seq: None,
            expected: HashMap::new(),
            written: HashMap::new(),
        }
    }

    /// A transaction holding the organization's lock, whose event counter stood at `event_seq`.
    pub(crate) fn locked(tx: Transaction<'static, Postgres>, event_seq: i64) -> Self {
        PgTx {
            next_seq: Some(event_seq + 1),
            ..PgTx::new(tx)
        }
    }

    /// Extensions from rows of (key, member_id) ordered by key, completed with their add-ons
    /// and numbers. `all` says the rows are every extension of the org, so no key filter.
    async fn complete(
        &mut self,
        org: &OrgId,
        rows: Vec<(i32, Option<String>)>,
        all: bool,
    ) -> Result<Vec<Extension>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Option<Vec<i32>> = (!all).then(|| rows.iter().map(|r| r.0).collect());
        // Add-ons and numbers in one round trip: a row with a number is a number, else an add-on.
        let found = sqlx::query(
            "SELECT ext_key, code, copies, NULL::text COLLATE \"C\" AS number FROM extension_addons
             WHERE org_id = $1 AND ($2::int4[] IS NULL OR ext_key = ANY($2))
             UNION ALL
             SELECT ext_key, NULL, NULL, number FROM numbers
             WHERE org_id = $1 AND ext_key IS NOT NULL AND ($2::int4[] IS NULL OR ext_key = ANY($2))
             ORDER BY number",
        )
        .bind(org.as_str())
        .bind(&keys)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        let mut parts = KeyedParts::default();
        for r in found {
            let key: i64 = r.get::<i32, _>(0).into();
            match r.get::<Option<&str>, _>(3) {
                Some(number) => parts.add_number(key, number)?,
                None => parts.add_addon(key, r.get(1), r.get::<i32, _>(2).into())?,
            }
        }
        rows.into_iter()
            .map(|(k, m)| parts.extension(k.into(), m))
            .collect()
    }

    /// The one extension a (key, member_id) row names, if any.
    async fn one(
        &mut self,
        org: &OrgId,
        row: Option<sqlx::postgres::PgRow>,
    ) -> Result<Option<Extension>> {
        let rows = row.map(|r| (r.get(0), r.get(1))).into_iter().collect();
        Ok(self.complete(org, rows, false).await?.pop())
    }
}

#[async_trait]
impl Tx for PgTx {
    async fn org(&mut self, org: &OrgId) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT id, name, created_at FROM orgs WHERE id = $1")
            .bind(org.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(row.map(|r| Org {
            id: OrgId(r.get(0)),
            name: r.get(1),
            created_at: r.get(2),
        }))
    }

    async fn member(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<Member>> {
        let row = sqlx::query(
            "SELECT id, email, name, role, status FROM members WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        row.map(|r| member_row(&r)).transpose()
    }

    async fn member_by_email(&mut self, org: &OrgId, email: &Email) -> Result<Option<Member>> {
        let row = sqlx::query(
            "SELECT id, email, name, role, status FROM members WHERE org_id = $1 AND email = $2",
        )
        .bind(org.as_str())
        .bind(email.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        row.map(|r| member_row(&r)).transpose()
    }

    async fn members(&mut self, org: &OrgId, after: Option<&str>, n: u32) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT id, email, name, role, status FROM members
             WHERE org_id = $1 AND email > $2 ORDER BY email LIMIT $3",
        )
        .bind(org.as_str())
        .bind(after.unwrap_or(""))
        .bind(limit(n))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(member_row).collect()
    }

    async fn members_by_id(&mut self, org: &OrgId, ids: &[MemberId]) -> Result<Vec<Member>> {
        let ids: Vec<&str> = ids.iter().map(MemberId::as_str).collect();
        let rows = sqlx::query(
            "SELECT id, email, name, role, status FROM members
             WHERE org_id = $1 AND id = ANY($2) ORDER BY email",
        )
        .bind(org.as_str())
        .bind(&ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(member_row).collect()
    }

    async fn extension(&mut self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>> {
        let row =
            sqlx::query("SELECT key, member_id FROM extensions WHERE org_id = $1 AND key = $2")
                .bind(org.as_str())
                .bind(pg_key(key))
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        self.one(org, row).await
    }

    async fn extension_of(&mut self, org: &OrgId, member: &MemberId) -> Result<Option<Extension>> {
        let row = sqlx::query(
            "SELECT key, member_id FROM extensions WHERE org_id = $1 AND member_id = $2",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        self.one(org, row).await
    }

    async fn extensions(&mut self, org: &OrgId, q: &ExtensionQuery) -> Result<Vec<Extension>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT key, member_id FROM extensions e WHERE org_id = ",
        );
        qb.push_bind(org.as_str());
        if let Some(after) = q.after {
            qb.push(" AND key > ").push_bind(i64::from(after));
        }
        if !q.members.is_empty() {
            let ids: Vec<&str> = q.members.iter().map(|m| m.as_str()).collect();
            qb.push(" AND member_id = ANY(").push_bind(ids).push(")");
        }
        if q.unassigned {
            qb.push(" AND member_id IS NULL");
        }
        if let Some(code) = q.addon {
            qb.push(" AND EXISTS (SELECT 1 FROM extension_addons a WHERE a.org_id = e.org_id AND a.ext_key = e.key AND a.code = ")
                .push_bind(code.as_str())
                .push(")");
        }
        if let Some(p) = &q.key_prefix {
            qb.push(" AND CAST(key AS TEXT) LIKE ")
                .push_bind(format!("{}%", p.replace(['%', '_', '\\'], "")));
        }
        if let Some(teams) = &q.teams {
            qb.push(" AND (member_id IS NULL OR member_id IN (");
            crate::teams::push_team_members(&mut qb, org, teams);
            qb.push("))");
        }
        qb.push(" ORDER BY key LIMIT ").push_bind(limit(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        let rows = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        self.complete(org, rows, false).await
    }

    async fn taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>> {
        let rows = sqlx::query("SELECT key FROM extensions WHERE org_id = $1")
            .bind(org.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get::<i32, _>(0) as u32).collect())
    }

    async fn seats(&mut self, org: &OrgId) -> Result<Seats> {
        let rows = sqlx::query(
            "SELECT code, quantity::int8, 0::int8, state FROM subscriptions WHERE org_id = $1
             UNION ALL SELECT code, 0, SUM(copies)::int8, NULL FROM extension_addons WHERE org_id = $1 GROUP BY code
             UNION ALL SELECT 'phone_system', 0, COUNT(*), NULL FROM extensions WHERE org_id = $1
             UNION ALL SELECT 'assigned', 0, COUNT(member_id), NULL FROM extensions WHERE org_id = $1",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        decode::seats(rows.iter().map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<i64, _>(1),
                r.get::<i64, _>(2),
                r.get::<Option<String>, _>(3),
            )
        }))
    }

    async fn number(&mut self, org: &OrgId, number: &E164) -> Result<Option<NumberRow>> {
        let row =
            sqlx::query("SELECT number, ext_key FROM numbers WHERE org_id = $1 AND number = $2")
                .bind(org.as_str())
                .bind(number.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        row.map(|r| number_row(&r)).transpose()
    }

    async fn numbers(
        &mut self,
        org: &OrgId,
        after: Option<&str>,
        n: u32,
    ) -> Result<Vec<NumberRow>> {
        let rows = sqlx::query(
            "SELECT number, ext_key FROM numbers
             WHERE org_id = $1 AND number > $2 ORDER BY number LIMIT $3",
        )
        .bind(org.as_str())
        .bind(after.unwrap_or(""))
        .bind(limit(n))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(number_row).collect()
    }

    async fn snapshot(&mut self, org: &OrgId) -> Result<Snapshot> {
        // Members and numbers are read a page at a time (the transaction's one snapshot
        // keeps the pages consistent): a whole result set of raw rows would hold every value
        // twice, about 35 MB more for 100,000 members.
        const PAGE: u32 = 10_000;
        let mut members: Vec<Member> = Vec::new();
        loop {
            let after = members.last().map(|m| m.email.as_str().to_owned());
            let page = self.members(org, after.as_deref(), PAGE).await?;
            let done = page.len() < PAGE as usize;
            members.extend(page);
            if done {
                break;
            }
        }
        let ext_rows =
            sqlx::query("SELECT key, member_id FROM extensions WHERE org_id = $1 ORDER BY key")
                .bind(org.as_str())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db)?;
        let ext_rows = ext_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let extensions = self.complete(org, ext_rows, true).await?;
        let mut numbers: Vec<NumberRow> = Vec::new();
        loop {
            let after = numbers.last().map(|n| n.number.as_str().to_owned());
            let page = self.numbers(org, after.as_deref(), PAGE).await?;
            let done = page.len() < PAGE as usize;
            numbers.extend(page);
            if done {
                break;
            }
        }
        let seats = self.seats(org).await?;
        Ok(Snapshot {
            members,
            extensions,
            numbers,
            seats,
        })
    }

    async fn apply(&mut self, org: &OrgId, changes: &[Change]) -> Result<()> {
        self.apply_changes(org, changes).await
    }

    async fn append_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        self.insert_audit(org, entries).await
    }

    async fn audit(&mut self, org: &OrgId, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, at, actor, action, target, before::text, after::text, request_id, teams FROM audit WHERE org_id = ",
        );
        qb.push_bind(org.as_str());
        if let Some(a) = &q.action {
            qb.push(" AND action = ").push_bind(a);
        }
        if let Some(t) = &q.target {
            qb.push(" AND target = ").push_bind(t);
        }
        if let Some(b) = q.before_id {
            qb.push(" AND id < ").push_bind(b);
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.get(0),
                    at: r.get(1),
                    actor: r.get(2),
                    action: r.get(3),
                    target: r.get(4),
                    before: serde_json::from_str(r.get(5)).map_err(db)?,
                    after: serde_json::from_str(r.get(6)).map_err(db)?,
                    request_id: r.get(7),
                    teams: serde_json::from_str(r.get(8)).map_err(db)?,
                })
            })
            .collect()
    }

    async fn insert_token(&mut self, t: &TokenRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (id, org_id, member_id, hash, created_at, revoked)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t.id)
        .bind(t.org.as_str())
        .bind(t.member.as_str())
        .bind(&t.hash)
        .bind(&t.created_at)
        .bind(t.revoked)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn tokens(&mut self, org: &OrgId, member: &MemberId) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT id, org_id, member_id, hash, created_at, revoked FROM tokens
             WHERE org_id = $1 AND member_id = $2 ORDER BY created_at, id COLLATE \"C\"",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(rows.iter().map(token_row).collect())
    }

    async fn revoke_token(&mut self, org: &OrgId, member: &MemberId, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked = TRUE WHERE org_id = $1 AND member_id = $2 AND id = $3",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO plans (org_id, id, created_at, status, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.as_str())
        .bind(&p.id)
        .bind(&p.created_at)
        .bind(&p.status)
        .bind(&p.body)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn plan(&mut self, org: &OrgId, id: &str) -> Result<Option<PlanRow>> {
        let row = sqlx::query(
            "SELECT id, created_at, status, body FROM plans WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(row.map(|r| PlanRow {
            id: r.get(0),
            created_at: r.get(1),
            status: r.get(2),
            body: r.get(3),
        }))
    }

    async fn update_plan(&mut self, org: &OrgId, p: &PlanRow) -> Result<()> {
        sqlx::query("UPDATE plans SET status = $2, body = $3 WHERE org_id = $1 AND id = $4")
            .bind(org.as_str())
            .bind(&p.status)
            .bind(&p.body)
            .bind(&p.id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn session_member(
        &mut self,
        org: &OrgId,
        id: &MemberId,
    ) -> Result<Option<(Member, i64)>> {
        let row = sqlx::query(
            "SELECT id, email, name, role, status, session_epoch FROM members
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        row.map(|r| Ok((member_row(&r)?, r.get::<i32, _>(5).into())))
            .transpose()
    }

    async fn end_sessions(&mut self, org: &OrgId, id: &MemberId) -> Result<Option<i64>> {
        let epoch: Option<i32> = sqlx::query_scalar(
            "UPDATE members SET session_epoch = session_epoch + 1 WHERE org_id = $1 AND id = $2
             RETURNING session_epoch",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(epoch.map(i64::from))
    }

    async fn set_password_hash(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE members SET password_hash = $3, session_epoch = session_epoch + 1
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .bind(hash)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn subscriptions(&mut self, org: &OrgId) -> Result<Vec<seatline_domain::Subscription>> {
        self.read_subscriptions(org).await
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
        self.insert_scim_token_impl(token).await
    }

    async fn scim_tokens(&mut self, org: &OrgId) -> Result<Vec<ScimTokenRow>> {
        self.scim_tokens_impl(org).await
    }

    async fn revoke_scim_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.revoke_scim_token_impl(org, id).await
    }

    // ---- the change feed: SQL in events.rs ----
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

    async fn extension_versions(
        &mut self,
        org: &OrgId,
        keys: &[ExtKey],
    ) -> Result<Vec<(ExtKey, i64)>> {
        self.versions(org, keys).await
    }

    async fn insert_integration_token(&mut self, t: &IntegrationTokenRow) -> Result<()> {
        self.insert_integration(t).await
    }

    async fn integration_tokens(&mut self, org: &OrgId) -> Result<Vec<IntegrationTokenRow>> {
        self.integrations(org).await
    }

    async fn revoke_integration_token(&mut self, org: &OrgId, id: &str) -> Result<bool> {
        self.revoke_integration(org, id).await
    }

    async fn insert_password_reset(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        crate::passwords::insert(&mut self.tx, org, member, hash, created_at, expires_at).await
    }

    async fn take_password_reset(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        crate::passwords::take(&mut self.tx, org, hash).await
    }

    async fn insert_sign_in_link(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        hash: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        crate::sign_in_links::insert(&mut self.tx, org, member, hash, created_at, expires_at).await
    }

    async fn take_sign_in_link(
        &mut self,
        org: &OrgId,
        hash: &str,
    ) -> Result<Option<(MemberId, String)>> {
        crate::sign_in_links::take(&mut self.tx, org, hash).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
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

fn number_row(r: &sqlx::postgres::PgRow) -> Result<NumberRow> {
    decode::number(r.get(0), r.get::<Option<i32>, _>(1).map(i64::from))
}

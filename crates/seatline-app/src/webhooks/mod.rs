//! Webhook endpoints (product.md §8): their management use cases, the signing of deliveries
//! (`sign`), the guard against internal targets (`target`) and the delivery worker
//! (`worker`). Every change to an endpoint goes through the organization's lock and commits
//! with its audit entry; deliveries are rows the worker claims, sends and records.

pub mod sign;
pub mod target;
pub mod worker;

use std::sync::Arc;

use seatline_domain::permissions::Action;
use seatline_domain::webhooks::{self as policy, DeliveryStatus, MAX_DESCRIPTION};
use seatline_domain::{AuditRecord, Decision, Error, ErrorCode, OrgId};
use seatline_store::{DeliveryQuery, DeliveryRow, WebhookRow, WebhookSecret};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::views::Page;
use crate::{need, new_id, page_limit, App, AppResult, Ctx};

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600 * 1_000;

/// The time as webhooks see it; tests drive it by hand.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A time as stored: RFC 3339, UTC, milliseconds.
pub fn stamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored time back in milliseconds; `None` when it is not RFC 3339.
pub fn millis(stamp: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// What the webhook use cases and the worker share in one process.
pub struct Settings {
    /// `serve --webhooks-allow-private`: let endpoints target loopback and private networks.
    pub allow_private: bool,
    pub clock: Arc<dyn Clock>,
    /// Rung when a delivery is created outside the feed (a test, a replay), so the worker
    /// sends it without waiting for its next poll.
    pub wake: tokio::sync::Notify,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_private: false,
            clock: Arc::new(SystemClock),
            wake: tokio::sync::Notify::new(),
        }
    }
}

// ---- wire shapes ----

/// `POST …/webhooks`
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
    /// Event types (`member.disabled`) or prefixes (`extension.*`); absent or empty: every type.
    #[serde(default)]
    pub types: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH …/webhooks/{id}`: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// `POST …/webhooks/{id}/replay`: deliver again the events with `after < seq <= until`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    pub after: i64,
    pub until: i64,
}

/// The most events one replay may cover.
pub const MAX_REPLAY: i64 = 10_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    /// Empty: every event type.
    pub types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Why the endpoint is disabled (by whom, or 410 Gone, or five days of failures).
    pub disabled_reason: Option<String>,
    pub created_at: String,
    /// Until when a rotated-out secret still signs beside the current one.
    pub previous_secret_expires_at: Option<String>,
    /// When the endpoint's current run of failed attempts began.
    pub failing_since: Option<String>,
}

impl WebhookView {
    fn new(w: &WebhookRow) -> Self {
        WebhookView {
            id: w.id.clone(),
            url: w.url.clone(),
            types: w.types.clone(),
            description: w.description.clone(),
            enabled: w.enabled,
            disabled_reason: w.disabled_reason.clone(),
            created_at: w.created_at.clone(),
            previous_secret_expires_at: w.secrets.iter().filter_map(|s| s.expires_at.clone()).max(),
            failing_since: w.failing_since.clone(),
        }
    }
}

/// An endpoint as created: its signing secret is shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` + base64: give it to any Standard Webhooks library to verify deliveries.
    pub secret: String,
}

/// A rotated secret, shown once; the previous one signs beside it until `previous_expires_at`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub secret: String,
    pub previous_expires_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The event id, sent as `webhook-id` on every attempt and replay.
    pub event_id: String,
    /// 0 for a `webhook.test` event, which is not in the feed.
    pub event_seq: i64,
    pub event_type: String,
    /// pending | delivering | succeeded | failed
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// The receiver's HTTP status at the last attempt.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl DeliveryView {
    fn new(d: &DeliveryRow) -> Self {
        DeliveryView {
            id: d.id,
            event_id: d.event_id.clone(),
            event_seq: d.event_seq,
            event_type: d.event_type.clone(),
            status: d.status.clone(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending.as_str())
                .then(|| d.next_attempt_at.clone()),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            last_duration_ms: d.last_duration_ms,
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
        }
    }
}

/// How many deliveries a test or a replay queued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Queued {
    pub deliveries: usize,
}

fn description(input: Option<String>) -> Result<String, Error> {
    let d = input.unwrap_or_default().trim().to_owned();
    if d.chars().count() > MAX_DESCRIPTION || d.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::Malformed,
            format!(
                "description must be at most {MAX_DESCRIPTION} characters without control characters"
            ),
        )
        .detail("field", "description"));
    }
    Ok(d)
}

fn audit(action: &'static str, w: &WebhookRow, before: serde_json::Value) -> Decision {
    Decision {
        changes: Vec::new(),
        audit: vec![AuditRecord {
            action,
            target: format!("webhook:{}", w.id),
            before,
            after: serde_json::to_value(WebhookView::new(w)).unwrap_or_default(),
        }],
    }
}

/// A delivery row for an event to send now.
pub(crate) fn new_delivery(
    w: &WebhookRow,
    seq: i64,
    event_id: &str,
    kind: &str,
    body: String,
    at: &str,
) -> DeliveryRow {
    DeliveryRow {
        id: 0,
        org: w.org.clone(),
        endpoint: w.id.clone(),
        event_seq: seq,
        event_id: event_id.to_owned(),
        event_type: kind.to_owned(),
        body,
        status: DeliveryStatus::Pending.as_str().to_owned(),
        attempts: 0,
        next_attempt_at: at.to_owned(),
        last_status: None,
        last_error: None,
        last_duration_ms: None,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    }
}

impl App {
    pub fn webhook_settings(&self) -> &Settings {
        &self.webhooks
    }

    fn webhook_now(&self) -> i64 {
        self.webhooks.clock.now_ms()
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn create_webhook(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        input: NewWebhook,
    ) -> AppResult<CreatedWebhook> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let url = target::check_url(&input.url, self.webhooks.allow_private).await?;
        let types = policy::parse_types(&input.types.unwrap_or_default())?;
        let description = description(input.description)?;
        let secret = sign::new_secret();
        let mut tx = self.lock(org).await?;
        let row = WebhookRow {
            id: new_id("whk"),
            org: org.clone(),
            url,
            types,
            description,
            enabled: true,
            disabled_reason: None,
            secrets: vec![WebhookSecret {
                secret: secret.clone(),
                expires_at: None,
            }],
            created_at: stamp(self.webhook_now()),
            // An endpoint receives the events committed after it: those after the feed's head.
            cursor: tx.event_horizon(org).await?.last,
            failing_since: None,
        };
        tx.insert_webhook(&row).await?;
        let d = audit("webhook.create", &row, serde_json::Value::Null);
        self.commit(tx, ctx, org, d).await?;
        Ok(CreatedWebhook {
            webhook: WebhookView::new(&row),
            secret,
        })
    }

    pub async fn webhooks(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<WebhookView>> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let mut tx = self.read(org).await?;
        Ok(tx
            .webhooks(org)
            .await?
            .iter()
            .map(WebhookView::new)
            .collect())
    }

    pub async fn webhook(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<WebhookView> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let mut tx = self.read(org).await?;
        let w = need(tx.webhook(org, id).await?, "webhook", id)?;
        Ok(WebhookView::new(&w))
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn update_webhook(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        patch: WebhookPatch,
    ) -> AppResult<WebhookView> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let url = match &patch.url {
            Some(u) => Some(target::check_url(u, self.webhooks.allow_private).await?),
            None => None,
        };
        let types = patch
            .types
            .as_deref()
            .map(policy::parse_types)
            .transpose()?;
        let new_description = patch
            .description
            .map(|d| description(Some(d)))
            .transpose()?;
        let mut tx = self.lock(org).await?;
        let before = need(tx.webhook(org, id).await?, "webhook", id)?;
        let mut w = before.clone();
        if let Some(url) = url {
            w.url = url;
        }
        if let Some(types) = types {
            w.types = types;
        }
        if let Some(d) = new_description {
            w.description = d;
        }
        match patch.enabled {
            Some(true) if !w.enabled => {
                // A fresh start: the run of failures that may have disabled it is forgotten.
                w.enabled = true;
                w.disabled_reason = None;
                w.failing_since = None;
            }
            Some(false) if w.enabled => {
                w.enabled = false;
                w.disabled_reason = Some(format!("disabled by {}", ctx.actor.label()));
            }
            _ => {}
        }
        tx.update_webhook(&w).await?;
        let d = audit(
            "webhook.update",
            &w,
            serde_json::to_value(WebhookView::new(&before)).unwrap_or_default(),
        );
        self.commit(tx, ctx, org, d).await?;
        if w.enabled {
            self.webhooks.wake.notify_waiters();
        }
        Ok(WebhookView::new(&w))
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn delete_webhook(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let mut tx = self.lock(org).await?;
        let w = need(tx.webhook(org, id).await?, "webhook", id)?;
        tx.delete_webhook(org, id).await?;
        let mut d = audit("webhook.delete", &w, serde_json::Value::Null);
        d.audit[0].before = std::mem::take(&mut d.audit[0].after);
        self.commit(tx, ctx, org, d).await
    }

    /// A new current secret; the previous one keeps signing beside it for 24 hours, so
    /// receivers can switch without losing a delivery. Secrets rotated out earlier go now.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn rotate_webhook_secret(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
    ) -> AppResult<RotatedSecret> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let now = self.webhook_now();
        let mut tx = self.lock(org).await?;
        let mut w = need(tx.webhook(org, id).await?, "webhook", id)?;
        let before = serde_json::to_value(WebhookView::new(&w)).unwrap_or_default();
        let expires = stamp(now + ROTATION_OVERLAP_MS);
        let secret = sign::new_secret();
        let previous = w.secrets.iter().find(|s| s.expires_at.is_none()).cloned();
        w.secrets = std::iter::once(WebhookSecret {
            secret: secret.clone(),
            expires_at: None,
        })
        .chain(previous.map(|p| WebhookSecret {
            secret: p.secret,
            expires_at: Some(expires.clone()),
        }))
        .collect();
        tx.update_webhook(&w).await?;
        let mut d = audit("webhook.rotate_secret", &w, before);
        d.audit[0].after = json!({"previous_secret_expires_at": expires});
        self.commit(tx, ctx, org, d).await?;
        Ok(RotatedSecret {
            secret,
            previous_expires_at: expires,
        })
    }

    /// Queue a `webhook.test` event to this endpoint only (it is not in the feed).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn test_webhook(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<Queued> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let at = stamp(self.webhook_now());
        let mut tx = self.lock(org).await?;
        let w = need(tx.webhook(org, id).await?, "webhook", id)?;
        enabled(&w)?;
        let event_id = new_id("evt");
        let body = json!({
            "id": event_id,
            "seq": 0,
            "type": "webhook.test",
            "at": at,
            "actor": actor_json(ctx),
            "subject": format!("webhook:{}", w.id),
            "data": {},
        });
        tx.insert_deliveries(&[new_delivery(
            &w,
            0,
            &event_id,
            "webhook.test",
            body.to_string(),
            &at,
        )])
        .await?;
        let mut d = audit("webhook.test", &w, serde_json::Value::Null);
        d.audit[0].after = json!({"event_id": event_id});
        self.commit(tx, ctx, org, d).await?;
        self.webhooks.wake.notify_waiters();
        Ok(Queued { deliveries: 1 })
    }

    /// Queue the endpoint's events with `after < seq <= until` again, each under its own event
    /// id, so a receiver that deduplicates on `webhook-id` sees them as the same events.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn replay_webhook(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        r: ReplayRequest,
    ) -> AppResult<Queued> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        if r.after < 0 || r.until <= r.after || r.until - r.after > MAX_REPLAY {
            return Err(Error::new(
                ErrorCode::InvalidReplayRange,
                format!(
                    "replay after {} until {} is not a range of event seqs: after must be at \
                     least 0 and below until, and they may be at most {MAX_REPLAY} apart",
                    r.after, r.until
                ),
            )
            .detail("field", "until")
            .into());
        }
        let at = stamp(self.webhook_now());
        let mut tx = self.lock(org).await?;
        let w = need(tx.webhook(org, id).await?, "webhook", id)?;
        enabled(&w)?;
        let events = tx
            .events(
                org,
                &seatline_store::EventQuery {
                    after: r.after,
                    limit: (r.until - r.after) as u32,
                    types: w.types.clone(),
                },
            )
            .await?;
        let rows: Vec<DeliveryRow> = events
            .into_iter()
            .filter(|e| e.seq <= r.until)
            .map(|e| new_delivery(&w, e.seq, &e.id, &e.kind, e.body, &at))
            .collect();
        tx.insert_deliveries(&rows).await?;
        let mut d = audit("webhook.replay", &w, serde_json::Value::Null);
        d.audit[0].after = json!({"after": r.after, "until": r.until, "deliveries": rows.len()});
        self.commit(tx, ctx, org, d).await?;
        self.webhooks.wake.notify_waiters();
        Ok(Queued {
            deliveries: rows.len(),
        })
    }

    /// An endpoint's deliveries, newest first; `cursor` is the last id of the previous page.
    pub async fn webhook_deliveries(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Page<DeliveryView>> {
        self.guard(ctx, org, Action::ManageWebhooks, None)?;
        let status = status.map(DeliveryStatus::parse).transpose()?;
        let before_id = cursor
            .map(|c| {
                c.parse::<i64>().map_err(|_| {
                    Error::new(
                        ErrorCode::Malformed,
                        format!("cursor {c:?} is not a delivery id"),
                    )
                    .detail("field", "cursor")
                })
            })
            .transpose()?;
        let limit = page_limit(limit);
        let mut tx = self.read(org).await?;
        need(tx.webhook(org, id).await?, "webhook", id)?;
        let rows = tx
            .deliveries(
                org,
                id,
                &DeliveryQuery {
                    status: status.map(|s| s.as_str().to_owned()),
                    before_id,
                    limit: limit + 1,
                },
            )
            .await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |d| d.id.to_string(),
            DeliveryView::new,
        ))
    }

    /// Disable an endpoint on the worker's behalf (410 Gone, five days of failures), with an
    /// audit entry saying why; nothing happens when it is already disabled or gone.
    pub(crate) async fn disable_webhook_for(
        &self,
        org: &OrgId,
        id: &str,
        reason: &str,
    ) -> AppResult<()> {
        let mut tx = self.lock(org).await?;
        let Some(before) = tx.webhook(org, id).await? else {
            return Ok(());
        };
        if !before.enabled {
            return Ok(());
        }
        let mut w = before.clone();
        w.enabled = false;
        w.disabled_reason = Some(reason.to_owned());
        tx.update_webhook(&w).await?;
        // The worker acts on no one's behalf: its audit entry names the system and the reason.
        let entry = seatline_store::AuditEntry {
            id: 0,
            at: stamp(self.webhook_now()),
            actor: "system:webhooks".to_owned(),
            action: "webhook.disable".to_owned(),
            target: format!("webhook:{id}"),
            before: serde_json::to_value(WebhookView::new(&before)).unwrap_or_default(),
            after: serde_json::to_value(WebhookView::new(&w)).unwrap_or_default(),
            request_id: None,
            teams: Vec::new(),
        };
        tx.append_audit(org, &[entry]).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn enabled(w: &WebhookRow) -> Result<(), Error> {
    if w.enabled {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::WebhookDisabled,
        format!(
            "webhook {} is disabled ({}); enable it first with PATCH {{\"enabled\": true}}",
            w.id,
            w.disabled_reason.as_deref().unwrap_or("no reason recorded")
        ),
    )
    .detail("webhook", w.id.as_str()))
}

fn actor_json(ctx: &Ctx) -> serde_json::Value {
    use seatline_domain::permissions::Actor;
    match &ctx.actor {
        Actor::Operator => json!({"kind": "operator", "id": null}),
        Actor::Member { id, .. } => json!({"kind": "member", "id": id.to_string()}),
        other => json!({"kind": "system", "id": other.label()}),
    }
}

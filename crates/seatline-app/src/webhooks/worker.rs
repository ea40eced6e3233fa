//! The delivery worker that runs inside `seatline serve`. Deliveries are rows, so the worker
//! keeps no state of its own beyond the attempts it has in flight:
//! 1. it advances every enabled endpoint's cursor over the event feed, turning the events its
//!    filters want into pending deliveries (cursor move and rows in one transaction, the move
//!    a compare-and-set, so two processes never queue an event twice);
//! 2. it claims the due deliveries (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a claim column
//!    with its holder and an expiry on both), so no two processes send the same attempt; of
//!    one endpoint only as many as it has free slots (`per_endpoint`), so a slow receiver
//!    holds its own slots and nobody else's, and its backlog stays pending, unclaimed;
//! 3. it sends each claimed delivery in a task of its own, signed, and records that attempt's
//!    outcome (and the next attempt the policy of `seatline_domain::webhooks` decides) as soon
//!    as it completes, only under its claim; a freed slot starts the next claim at once.
//!
//! Attempts never wait on each other: a receiver answering in 12 s delays only its own
//! endpoint's deliveries. A crash between claim and record leaves a claim held by a process
//! that is gone, which the next claimer takes over at once (the holder's liveness, see the
//! stores' `liveness` modules; the claim's expiry is the fallback): delivery is at least once,
//! and receivers deduplicate on `webhook-id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use rand::Rng;
use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use seatline_domain::webhooks::{after_attempt, AttemptFacts, AttemptResult};
use seatline_store::{DeliveryOutcome, DeliveryRow, EventQuery, WebhookRow};

use super::{millis, new_delivery, sign, stamp, target};
use crate::{new_id, App, AppResult};

/// How the worker runs; the defaults are product.md §8's.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// How often the worker looks for work when nothing wakes it.
    pub poll: Duration,
    /// Most attempts this process has in flight at once, all endpoints together.
    pub batch: u32,
    /// Most attempts in flight to one endpoint, all processes together: a slow receiver
    /// holds at most these, and the rest of its backlog waits unclaimed.
    pub per_endpoint: u32,
    /// Most events turned into deliveries per endpoint and round.
    pub events_per_round: u32,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            timeout: Duration::from_secs(15),
            poll: Duration::from_millis(250),
            batch: 64,
            per_endpoint: 8,
            events_per_round: 500,
        }
    }
}

/// What started a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Events were committed.
    Commit,
    /// A test, a replay or an enabled endpoint asked for a round.
    Wake,
    /// The `poll` interval passed, or an attempt ended and freed a slot.
    Poll,
}

/// A claimed delivery and its endpoint.
type Due = (DeliveryRow, WebhookRow);

/// The source of each scheduled retry's jitter, in [-1, 1]; tests fix it.
pub type Jitter = Arc<dyn Fn() -> f64 + Send + Sync>;

pub struct Worker {
    app: App,
    config: WorkerConfig,
    client: reqwest::Client,
    jitter: Jitter,
}

impl Worker {
    pub fn new(app: App, config: WorkerConfig) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            // A proxy would connect on the worker's behalf, past the resolver's guard.
            .no_proxy()
            .dns_resolver(Arc::new(target::GuardedResolver {
                allow_private: app.webhook_settings().allow_private,
            }))
            .user_agent(concat!("Seatline-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Worker {
            app,
            config,
            client,
            jitter: Arc::new(|| rand::rng().random_range(-1.0..=1.0)),
        })
    }

    /// Replace the jitter source (tests use a fixed one).
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Run rounds until `stop` turns true: right after a wake-up (events committed in this
    /// process or, on PostgreSQL, in another; a test, a replay, an enabled endpoint), after an
    /// attempt ended (its slot is free), or after `poll`. Once stopped it claims nothing
    /// more, waits for the attempts in flight (each bounded by `timeout`) and records them,
    /// then returns. A dropped sender never stops it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let wake = &this.app.webhook_settings().wake;
        // Commits of this process, and of others where the database pushes them.
        let mut committed = this.app.feed().subscribe();
        let mut flight: JoinSet<()> = JoinSet::new();
        let mut watching = true;
        let mut why = Why::Poll;
        while !*stop.borrow() {
            // Registered before the round, so a wake-up during it is not lost.
            let woken = wake.notified();
            let free = (this.config.batch as usize).saturating_sub(flight.len());
            match this.claim_after(why, free).await {
                Ok((claim, due)) => {
                    for (d, w) in due {
                        let (this, claim) = (this.clone(), claim.clone());
                        flight.spawn(async move { this.deliver(d, w, &claim).await });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhook round failed; retrying"),
            }
            why = tokio::select! {
                changed = stop.changed(), if watching => {
                    watching = changed.is_ok();
                    continue;
                }
                Some(_) = flight.join_next() => {
                    // Others may have ended too: one claim for all their slots.
                    while flight.try_join_next().is_some() {}
                    Why::Poll
                }
                () = woken => Why::Wake,
                _ = committed.next() => Why::Commit,
                () = tokio::time::sleep(this.config.poll) => Why::Poll,
            };
        }
        // Each attempt records its own outcome; a panicked one leaves its claim to expire.
        while flight.join_next().await.is_some() {}
    }

    /// One round, all of it awaited: queue new events, then send what is due, each attempt
    /// recorded as it completes. Returns how many attempts it made.
    pub async fn round(&self) -> AppResult<usize> {
        self.queue_events().await?;
        self.send_due().await
    }

    /// Claim what is due and send it, each attempt recorded as it completes; returns when all
    /// are recorded, with how many attempts it made.
    pub async fn send_due(&self) -> AppResult<usize> {
        let (claim, due) = self.claim_due(self.config.batch as usize).await?;
        let count = due.len();
        let attempts = due.into_iter().map(|(d, w)| self.deliver(d, w, &claim));
        futures_util::future::join_all(attempts).await;
        Ok(count)
    }

    /// A round's claim for a reason. After a commit only new events can have become due, so
    /// when they queued nothing (no endpoint wants them) the claim is skipped: on SQLite a
    /// claim is a write, and one per commit would take every other turn of the writers'
    /// queue. Retries, freed slots and other processes' rows are claimed on the other rounds.
    async fn claim_after(&self, why: Why, free: usize) -> AppResult<(String, Vec<Due>)> {
        let queued = self.queue_events().await?;
        if why == Why::Commit && queued == 0 {
            return Ok((String::new(), Vec::new()));
        }
        self.claim_due(free).await
    }

    /// Turn new events of every enabled endpoint into pending deliveries.
    pub async fn queue_events(&self) -> AppResult<usize> {
        let store = self.app.store();
        let mut queued = 0;
        for w in store.enabled_webhooks().await? {
            match self.queue_for(&w).await {
                Ok(n) => queued += n,
                // Another process moved the cursor at the same moment; the next round goes on.
                Err(e) => tracing::debug!(webhook = %w.id, error = %e, "queueing deferred"),
            }
        }
        Ok(queued)
    }

    async fn queue_for(&self, w: &WebhookRow) -> AppResult<usize> {
        // Read first, in a transaction of its own, then write in one whose first statement is
        // the cursor's compare-and-set. On SQLite a transaction that reads and then writes
        // fails at once ("database is locked", which no busy timeout waits out) whenever any
        // writer committed in between — at a steady write rate most rounds — and the events
        // then waited for the next wake-up, piling up. A transaction that writes first waits
        // for the write lock instead. The compare-and-set still makes the read and the write
        // one step: committed events below the cursor's new value do not change, and a cursor
        // moved by another process in between turns this round into a no-op.
        let events = {
            let mut read = self.app.store().begin().await?;
            read.events(
                &w.org,
                &EventQuery {
                    after: w.cursor,
                    limit: self.config.events_per_round,
                    types: Vec::new(),
                },
            )
            .await?
        };
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };
        let mut tx = self.app.store().begin_write().await?;
        if !tx.advance_webhook(&w.org, &w.id, w.cursor, last).await? {
            return Ok(0);
        }
        let at = stamp(self.app.webhook_settings().clock.now_ms());
        let rows: Vec<DeliveryRow> = events
            .into_iter()
            .filter(|e| seatline_domain::webhooks::wants(&w.types, &e.kind))
            .map(|e| new_delivery(w, e.seq, &e.id, &e.kind, e.body, &at))
            .collect();
        tx.insert_deliveries(&rows).await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Claim up to `free` due deliveries (fewer where their endpoints' slots are taken), with
    /// their endpoints, under one new claim token.
    async fn claim_due(&self, free: usize) -> AppResult<(String, Vec<Due>)> {
        let claim = new_id("clm");
        if free == 0 {
            return Ok((claim, Vec::new()));
        }
        let now = self.app.webhook_settings().clock.now_ms();
        // The lease outlives the longest attempt; a claim ends before it only when its
        // holder is seen dead.
        let until = now + self.config.timeout.as_millis() as i64 + 5_000;
        let store = self.app.store();
        let due = store
            .claim_deliveries(
                &stamp(now),
                &claim,
                &stamp(until),
                free as u32,
                self.config.per_endpoint,
            )
            .await?;
        if due.is_empty() {
            return Ok((claim, Vec::new()));
        }
        let mut endpoints: HashMap<String, Option<WebhookRow>> = HashMap::new();
        let mut tx = store.begin().await?;
        for d in &due {
            if !endpoints.contains_key(&d.endpoint) {
                let w = tx.webhook(&d.org, &d.endpoint).await?;
                endpoints.insert(d.endpoint.clone(), w);
            }
        }
        drop(tx);
        let due = due
            .into_iter()
            .filter_map(|d| {
                // An endpoint deleted since took its deliveries with it.
                let w = endpoints.get(&d.endpoint).cloned().flatten()?;
                Some((d, w))
            })
            .collect();
        Ok((claim, due))
    }

    /// Send one claimed delivery and record its outcome at once; disable the endpoint when
    /// the policy says so.
    async fn deliver(&self, d: DeliveryRow, w: WebhookRow, claim: &str) {
        let (outcome, disable) = self.attempt(d, w, claim).await;
        let recorded = match self
            .app
            .store()
            .finish_deliveries(std::slice::from_ref(&outcome))
            .await
        {
            Ok(r) => r.first().copied().unwrap_or(false),
            Err(e) => {
                // The claim stays; it is taken again once it expires.
                tracing::warn!(delivery = outcome.id, error = %e, "recording an attempt failed");
                return;
            }
        };
        if !recorded {
            tracing::info!(
                delivery = outcome.id,
                "claim expired before the attempt was recorded"
            );
            return;
        }
        if let Some((w, reason)) = disable {
            tracing::warn!(webhook = %w.id, %reason, "webhook endpoint disabled");
            if let Err(e) = self.app.disable_webhook_for(&w.org, &w.id, &reason).await {
                tracing::warn!(webhook = %w.id, error = %e, "disabling the endpoint failed");
            }
        }
    }

    /// Send one claimed delivery; its outcome, and the endpoint to disable (with the reason)
    /// if the policy says so once the outcome is recorded.
    async fn attempt(
        &self,
        d: DeliveryRow,
        w: WebhookRow,
        claim: &str,
    ) -> (DeliveryOutcome, Option<(WebhookRow, String)>) {
        let clock = &self.app.webhook_settings().clock;
        let sent_at = clock.now_ms();
        let started = Instant::now();
        let (result, error) = self.send(&d, &w, sent_at).await;
        let duration = started.elapsed().as_millis() as i64;
        let now = clock.now_ms();
        let after = after_attempt(
            &result,
            &AttemptFacts {
                attempts: d.attempts as u32,
                now_ms: now,
                failing_since_ms: w.failing_since.as_deref().and_then(millis),
                jitter: (self.jitter)(),
            },
        );
        let outcome = DeliveryOutcome {
            id: d.id,
            claim: claim.to_owned(),
            status: after.status.as_str().to_owned(),
            next_attempt_at: after
                .next_attempt_ms
                .map_or_else(|| d.next_attempt_at.clone(), stamp),
            last_status: match result {
                AttemptResult::Answered { status, .. } => Some(i64::from(status)),
                AttemptResult::NoAnswer => None,
            },
            last_error: error,
            last_duration_ms: duration,
            at: stamp(now),
            succeeded: after.failing_since_ms.is_none(),
        };
        let disable = after.disable.map(|reason| (w, reason));
        (outcome, disable)
    }

    /// One signed POST; what came back, and why it failed when it did.
    async fn send(
        &self,
        d: &DeliveryRow,
        w: &WebhookRow,
        now_ms: i64,
    ) -> (AttemptResult, Option<String>) {
        if !self.app.webhook_settings().allow_private {
            if let Some(ip) = target::literal_forbidden(&w.url) {
                return (
                    AttemptResult::NoAnswer,
                    Some(format!(
                        "{ip} is an internal address, which webhooks may not reach"
                    )),
                );
            }
        }
        let now = stamp(now_ms);
        let live = w
            .secrets
            .iter()
            .filter(|s| s.expires_at.as_deref().is_none_or(|e| e > now.as_str()))
            .map(|s| s.secret.as_str());
        let timestamp = now_ms.div_euclid(1_000);
        let signed = sign::sign(live, &d.event_id, timestamp, d.body.as_bytes());
        let request = self
            .client
            .post(&w.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", &signed.id)
            .header("webhook-timestamp", signed.timestamp.to_string())
            .header("webhook-signature", &signed.signature)
            .body(d.body.clone());
        match request.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after_secs = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, now_ms));
                let ok = resp.status().is_success();
                (
                    AttemptResult::Answered {
                        status,
                        retry_after_secs,
                    },
                    (!ok).then(|| format!("the endpoint answered {}", resp.status())),
                )
            }
            Err(e) if e.is_timeout() => (
                AttemptResult::NoAnswer,
                Some(format!(
                    "no answer within {} ms",
                    self.config.timeout.as_millis()
                )),
            ),
            Err(e) => (AttemptResult::NoAnswer, Some(error_chain(&e))),
        }
    }
}

/// A `Retry-After` value in seconds: delta-seconds, or an HTTP date relative to `now_ms`.
fn retry_after(value: &str, now_ms: i64) -> Option<i64> {
    if let Ok(secs) = value.trim().parse::<i64>() {
        return Some(secs);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some((at.timestamp_millis() - now_ms).div_euclid(1_000).max(0))
}

/// An error and its causes on one line: reqwest's own message names only the outermost.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_values() {
        assert_eq!(retry_after("120", 0), Some(120));
        assert_eq!(retry_after(" 7 ", 0), Some(7));
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 s.
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_470_000),
            Some(10)
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_490_000),
            Some(0)
        );
        assert_eq!(retry_after("soon", 0), None);
    }
}

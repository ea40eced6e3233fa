//! Webhooks end to end inside one process: the signer against the `standardwebhooks` crate,
//! endpoint management, and the delivery worker with an injected clock and a receiver on
//! 127.0.0.1 — retries on schedule, 410 disables, Retry-After, timeouts, replay, the SSRF
//! guard — on SQLite and, when reachable, PostgreSQL.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use seatline_app::webhooks::worker::{Worker, WorkerConfig};
use seatline_app::webhooks::{
    sign, stamp, Clock, NewWebhook, ReplayRequest, Settings, WebhookPatch,
};
use seatline_app::App;
use seatline_domain::ErrorCode;
use seatline_store::Store;

use crate::support::*;

// ---- the signer against an independent implementation ----

fn headers_of(h: &sign::SignedHeaders) -> HeaderMap {
    let mut m = HeaderMap::new();
    m.insert("webhook-id", h.id.parse().unwrap());
    m.insert(
        "webhook-timestamp",
        h.timestamp.to_string().parse().unwrap(),
    );
    m.insert("webhook-signature", h.signature.parse().unwrap());
    m
}

#[test]
fn reference_vector() {
    let s = sign::sign(
        ["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        1649367553,
        br#"{"email":"test@example.com","username":"test_user"}"#,
    );
    assert_eq!(
        s.signature,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

#[test]
fn the_standardwebhooks_crate_verifies_our_signatures() {
    let secret = sign::new_secret();
    let body = br#"{"id":"evt_1","seq":7,"type":"extension.provisioned"}"#;
    let now = chrono::Utc::now().timestamp();
    let h = sign::sign([secret.as_str()], "evt_1", now, body);
    let wh = standardwebhooks::Webhook::new(&secret).expect("secret accepted");
    wh.verify(body, &headers_of(&h)).expect("verifies");

    // A tampered body fails.
    let tampered = br#"{"id":"evt_1","seq":8,"type":"extension.provisioned"}"#;
    assert!(wh.verify(tampered, &headers_of(&h)).is_err());
    // A stale timestamp (10 minutes old, beyond the 5 minute tolerance) fails.
    let stale = sign::sign([secret.as_str()], "evt_1", now - 600, body);
    assert!(wh.verify(body, &headers_of(&stale)).is_err());
    // During rotation either secret verifies the same delivery.
    let next = sign::new_secret();
    let both = sign::sign([next.as_str(), secret.as_str()], "evt_1", now, body);
    wh.verify(body, &headers_of(&both))
        .expect("old secret verifies");
    standardwebhooks::Webhook::new(&next)
        .unwrap()
        .verify(body, &headers_of(&both))
        .expect("new secret verifies");
}

// ---- worlds: SQLite always, PostgreSQL when reachable ----

struct ManualClock(AtomicI64);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl ManualClock {
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

struct Db {
    store: Arc<dyn Store>,
    _guard: Guard,
    name: &'static str,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("w.db").display());
    let store = seatline_sqlite::SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    Db {
        store: Arc::new(store),
        _guard: Guard::Sqlite(dir),
        name: "sqlite",
    }
}

async fn postgres() -> Option<Db> {
    let (url, guard) = fresh_postgres("seatline_wh").await?;
    let store = seatline_postgres::PostgresStore::connect(&url)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    Some(Db {
        store: Arc::new(store),
        _guard: guard,
        name: "postgres",
    })
}

async fn dbs() -> Vec<Db> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

/// Starts at a real time, so signatures carry plausible timestamps.
const T0: i64 = 1_780_000_000_000;

struct Setup {
    app: App,
    clock: Arc<ManualClock>,
    org: Org,
}

async fn setup(db: &Db, allow_private: bool) -> Setup {
    let clock = Arc::new(ManualClock(AtomicI64::new(T0)));
    let app = App::new(db.store.clone()).with_webhook_settings(Settings {
        allow_private,
        clock: clock.clone(),
        ..Default::default()
    });
    let org = org(&app, &format!("wh{}", uuid::Uuid::new_v4().simple())).await;
    Setup { app, clock, org }
}

fn worker(app: &App, timeout: Duration) -> Worker {
    Worker::new(
        app.clone(),
        WorkerConfig {
            timeout,
            ..Default::default()
        },
    )
    .unwrap()
    .with_jitter(Arc::new(|| 0.0))
}

// ---- a scripted receiver on 127.0.0.1 ----

#[derive(Clone)]
enum Answer {
    Status(u16),
    RetryAfter(u16, &'static str),
    Hang,
}

#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<VecDeque<Answer>>>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<Answer>) -> (Receiver, String) {
        let r = Receiver {
            script: Arc::new(Mutex::new(script.into())),
            got: Arc::default(),
        };
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
                    state.got.lock().unwrap().push(Received {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp").parse().unwrap(),
                        signature: h("webhook-signature"),
                        body,
                    });
                    let answer = state
                        .script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or(Answer::Status(200));
                    match answer {
                        Answer::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
                        Answer::RetryAfter(s, v) => {
                            (StatusCode::from_u16(s).unwrap(), [("retry-after", v)]).into_response()
                        }
                        Answer::Hang => {
                            tokio::time::sleep(Duration::from_secs(10)).await;
                            StatusCode::OK.into_response()
                        }
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn create(s: &Setup, url: &str, types: &[&str]) -> (String, String) {
    let created = s
        .app
        .create_webhook(
            &s.org.owner,
            &s.org.id,
            NewWebhook {
                url: url.to_owned(),
                types: Some(types.iter().map(|t| t.to_string()).collect()),
                description: Some("PBX".into()),
            },
        )
        .await
        .unwrap();
    (created.webhook.id, created.secret)
}

async fn deliveries(s: &Setup, id: &str) -> Vec<seatline_app::webhooks::DeliveryView> {
    s.app
        .webhook_deliveries(&s.org.owner, &s.org.id, id, None, None, None)
        .await
        .unwrap()
        .items
}

/// The delivery carries a valid signature under `secret` (the freshness window is not checked:
/// the clock is injected).
fn verify(secret: &str, r: &Received) {
    let expected = sign::signature(secret, &r.id, r.timestamp, r.body.as_bytes()).unwrap();
    assert!(
        r.signature.split(' ').any(|s| s == expected),
        "signed with {secret}"
    );
}

// ---- the delivery engine ----

#[tokio::test]
async fn failures_retry_on_schedule_until_a_success() {
    for db in dbs().await {
        let s = setup(&db, true).await;
        let (rx, url) = Receiver::start(vec![
            Answer::Status(500),
            Answer::Status(500),
            Answer::Status(200),
        ])
        .await;
        let (id, secret) = create(&s, &url, &[]).await;
        let w = worker(&s.app, Duration::from_secs(5));
        s.app
            .test_webhook(&s.org.owner, &s.org.id, &id)
            .await
            .unwrap();

        assert_eq!(w.round().await.unwrap(), 1, "{}", db.name);
        let d = &deliveries(&s, &id).await[0];
        assert_eq!(
            (d.status.as_str(), d.attempts, d.last_status),
            ("pending", 1, Some(500))
        );
        assert_eq!(
            d.next_attempt_at.as_deref(),
            Some(stamp(T0 + 5_000).as_str())
        );

        // Not due yet: nothing is sent a millisecond early.
        s.clock.advance(4_999);
        assert_eq!(w.round().await.unwrap(), 0);
        s.clock.advance(1);
        assert_eq!(w.round().await.unwrap(), 1);
        let d = &deliveries(&s, &id).await[0];
        assert_eq!((d.status.as_str(), d.attempts), ("pending", 2));
        assert_eq!(
            d.next_attempt_at.as_deref(),
            Some(stamp(T0 + 5_000 + 300_000).as_str())
        );

        s.clock.advance(300_000);
        assert_eq!(w.round().await.unwrap(), 1);
        let d = &deliveries(&s, &id).await[0];
        assert_eq!(
            (d.status.as_str(), d.attempts, d.last_status),
            ("succeeded", 3, Some(200))
        );
        assert_eq!(d.next_attempt_at, None);

        let got = rx.received();
        assert_eq!(got.len(), 3);
        let times: Vec<i64> = got.iter().map(|r| r.timestamp).collect();
        assert_eq!(times, vec![T0 / 1000, T0 / 1000 + 5, T0 / 1000 + 305]);
        for r in &got {
            assert_eq!(r.id, d.event_id, "the same webhook-id on every attempt");
            verify(&secret, r);
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(body["type"], "webhook.test");
            assert_eq!(body["id"], d.event_id);
        }
        let hook = s.app.webhook(&s.org.owner, &s.org.id, &id).await.unwrap();
        assert_eq!(
            hook.failing_since, None,
            "a success ends the run of failures"
        );
        assert_eq!(w.round().await.unwrap(), 0, "nothing left to send");
    }
}

#[tokio::test]
async fn gone_disables_the_endpoint_with_an_audit_entry() {
    for db in dbs().await {
        let s = setup(&db, true).await;
        let (rx, url) = Receiver::start(vec![Answer::Status(410)]).await;
        let (id, _) = create(&s, &url, &[]).await;
        let w = worker(&s.app, Duration::from_secs(5));
        s.app
            .test_webhook(&s.org.owner, &s.org.id, &id)
            .await
            .unwrap();
        w.round().await.unwrap();
        let d = &deliveries(&s, &id).await[0];
        assert_eq!(
            (d.status.as_str(), d.last_status),
            ("failed", Some(410)),
            "{}",
            db.name
        );
        let hook = s.app.webhook(&s.org.owner, &s.org.id, &id).await.unwrap();
        assert!(!hook.enabled);
        assert!(hook.disabled_reason.unwrap().contains("410"));
        let log = audit_log(&s.app, &s.org.id).await;
        let entry = log
            .iter()
            .find(|e| e.action == "webhook.disable")
            .expect("audited");
        assert_eq!(entry.actor, "system:webhooks");
        // A disabled endpoint gets nothing, even a test.
        assert_eq!(
            code(s.app.test_webhook(&s.org.owner, &s.org.id, &id).await),
            ErrorCode::WebhookDisabled
        );
        s.clock.advance(3_600_000);
        assert_eq!(w.round().await.unwrap(), 0);
        assert_eq!(rx.received().len(), 1);
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    for db in dbs().await {
        let s = setup(&db, true).await;
        let (rx, url) = Receiver::start(vec![
            Answer::RetryAfter(429, "120"),
            Answer::RetryAfter(503, "9999"),
        ])
        .await;
        let (id, _) = create(&s, &url, &[]).await;
        let w = worker(&s.app, Duration::from_secs(5));
        s.app
            .test_webhook(&s.org.owner, &s.org.id, &id)
            .await
            .unwrap();
        w.round().await.unwrap();
        let d = &deliveries(&s, &id).await[0];
        assert_eq!(d.last_status, Some(429), "{}", db.name);
        assert_eq!(
            d.next_attempt_at.as_deref(),
            Some(stamp(T0 + 120_000).as_str())
        );
        // The schedule's 5 s would be too early.
        s.clock.advance(5_000);
        assert_eq!(w.round().await.unwrap(), 0);
        s.clock.advance(115_000);
        assert_eq!(w.round().await.unwrap(), 1);
        // 9999 s is capped at an hour.
        let d = &deliveries(&s, &id).await[0];
        assert_eq!(d.last_status, Some(503));
        assert_eq!(
            d.next_attempt_at.as_deref(),
            Some(stamp(T0 + 120_000 + 3_600_000).as_str())
        );
        assert_eq!(rx.received().len(), 2);
    }
}

#[tokio::test]
async fn a_hanging_receiver_times_out() {
    let db = sqlite().await;
    let s = setup(&db, true).await;
    let (_rx, url) = Receiver::start(vec![Answer::Hang]).await;
    let (id, _) = create(&s, &url, &[]).await;
    let w = worker(&s.app, Duration::from_millis(300));
    s.app
        .test_webhook(&s.org.owner, &s.org.id, &id)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    w.round().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the attempt gave up"
    );
    let d = &deliveries(&s, &id).await[0];
    assert_eq!(
        (d.status.as_str(), d.attempts, d.last_status),
        ("pending", 1, None)
    );
    assert!(
        d.last_error
            .as_deref()
            .unwrap()
            .contains("no answer within 300 ms"),
        "{d:?}"
    );
    assert_eq!(
        d.next_attempt_at.as_deref(),
        Some(stamp(T0 + 5_000).as_str())
    );
}

/// Poll `check` every 10 ms until it holds; how long that took, or a panic after `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Issue 28: a receiver that hangs holds only its own endpoint's slots. While its attempt is
/// in flight, another endpoint's new delivery arrives within a small bound and its outcome
/// is recorded at once; told to stop, the worker claims nothing more, waits for the hanging
/// attempt's timeout and records it before it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_delays_no_other_and_outcomes_are_recorded_as_they_complete() {
    for db in dbs().await {
        let s = setup(&db, true).await;
        let (slow_rx, slow_url) = Receiver::start(vec![Answer::Hang]).await;
        let (fast_rx, fast_url) = Receiver::start(vec![]).await;
        let (slow, _) = create(&s, &slow_url, &[]).await;
        let (fast, _) = create(&s, &fast_url, &[]).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(worker(&s.app, Duration::from_secs(3)).run(stopped));

        s.app
            .test_webhook(&s.org.owner, &s.org.id, &slow)
            .await
            .unwrap();
        within(
            Duration::from_secs(5),
            "the slow receiver is called",
            || {
                let n = slow_rx.received().len();
                async move { n == 1 }
            },
        )
        .await;
        s.app
            .test_webhook(&s.org.owner, &s.org.id, &fast)
            .await
            .unwrap();
        let took = within(
            Duration::from_secs(10),
            "the fast receiver is called",
            || {
                let n = fast_rx.received().len();
                async move { n == 1 }
            },
        )
        .await;
        assert!(
            took < Duration::from_millis(1_500),
            "{}: the fast endpoint waited {took:?} for the slow one",
            db.name
        );
        let (sr, fr) = (&s, &fast);
        within(
            Duration::from_secs(1),
            "the fast outcome is recorded",
            || async move { deliveries(sr, fr).await[0].status == "succeeded" },
        )
        .await;
        assert_eq!(
            deliveries(&s, &slow).await[0].status,
            "delivering",
            "{}: recorded while the slow attempt is still in flight",
            db.name
        );

        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), running)
            .await
            .expect("the worker stops once its attempts end")
            .unwrap();
        let d = &deliveries(&s, &slow).await[0];
        assert_eq!(
            (d.status.as_str(), d.attempts),
            ("pending", 1),
            "{}",
            db.name
        );
        assert!(
            d.last_error.as_deref().unwrap().contains("no answer"),
            "{}: {d:?}",
            db.name
        );
    }
}

#[tokio::test]
async fn the_schedule_ends_in_failed_and_replay_sends_again_under_the_same_id() {
    for db in dbs().await {
        let s = setup(&db, true).await;
        let (rx, url) = Receiver::start(vec![Answer::Status(500); 8]).await;
        let (id, _) = create(&s, &url, &[]).await;
        let w = worker(&s.app, Duration::from_secs(5));
        s.app
            .test_webhook(&s.org.owner, &s.org.id, &id)
            .await
            .unwrap();
        for delay in [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000] {
            s.clock.advance(delay * 1_000);
            assert_eq!(w.round().await.unwrap(), 1, "{} after {delay}", db.name);
        }
        let failed = s
            .app
            .webhook_deliveries(&s.org.owner, &s.org.id, &id, Some("failed"), None, None)
            .await
            .unwrap()
            .items;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].attempts, 8);
        s.clock.advance(100 * 3_600_000);
        assert_eq!(w.round().await.unwrap(), 0, "failed is final");
        assert_eq!(rx.received().len(), 8);
    }
}

#[tokio::test]
async fn events_reach_matching_endpoints_and_replay_keeps_the_webhook_id() {
    for db in dbs().await {
        let s = setup(&db, true).await;
        let (rx, url) = Receiver::start(vec![]).await;
        let (id, secret) = create(&s, &url, &["extension.*"]).await;
        let (other_rx, other_url) = Receiver::start(vec![]).await;
        create(&s, &other_url, &["member.disabled"]).await;
        let w = worker(&s.app, Duration::from_secs(5));

        s.app
            .provision(&s.org.owner, &s.org.id, 2, "1001")
            .await
            .unwrap();
        w.round().await.unwrap();
        let got = rx.received();
        assert_eq!(got.len(), 2, "{}: one per extension", db.name);
        for r in &got {
            verify(&secret, r);
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(body["type"], "extension.provisioned");
            assert_eq!(body["id"], r.id);
        }
        assert!(other_rx.received().is_empty(), "filtered out");

        let seqs: Vec<i64> = got
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["seq"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        let (first, last) = (seqs.iter().min().unwrap(), seqs.iter().max().unwrap());
        let q = s
            .app
            .replay_webhook(
                &s.org.owner,
                &s.org.id,
                &id,
                ReplayRequest {
                    after: first - 1,
                    until: *last,
                },
            )
            .await
            .unwrap();
        assert_eq!(q.deliveries, 2);
        w.round().await.unwrap();
        let again = rx.received();
        assert_eq!(again.len(), 4);
        let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        let mut replayed: Vec<&str> = again[2..].iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        replayed.sort();
        assert_eq!(ids, replayed, "a replay keeps each event's webhook-id");

        assert_eq!(
            code(
                s.app
                    .replay_webhook(
                        &s.org.owner,
                        &s.org.id,
                        &id,
                        ReplayRequest { after: 5, until: 5 }
                    )
                    .await
            ),
            ErrorCode::InvalidReplayRange
        );
    }
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_for_a_day() {
    let db = sqlite().await;
    let s = setup(&db, true).await;
    let (rx, url) = Receiver::start(vec![]).await;
    let (id, old) = create(&s, &url, &[]).await;
    let w = worker(&s.app, Duration::from_secs(5));
    let rotated = s
        .app
        .rotate_webhook_secret(&s.org.owner, &s.org.id, &id)
        .await
        .unwrap();
    assert_eq!(rotated.previous_expires_at, stamp(T0 + 24 * 3_600_000));
    s.app
        .test_webhook(&s.org.owner, &s.org.id, &id)
        .await
        .unwrap();
    w.round().await.unwrap();
    let r = &rx.received()[0];
    assert_eq!(r.signature.split(' ').count(), 2);
    verify(&old, r);
    verify(&rotated.secret, r);

    s.clock.advance(24 * 3_600_000 + 1);
    s.app
        .test_webhook(&s.org.owner, &s.org.id, &id)
        .await
        .unwrap();
    w.round().await.unwrap();
    let r = &rx.received()[1];
    assert_eq!(r.signature.split(' ').count(), 1, "the old secret expired");
    verify(&rotated.secret, r);
}

#[tokio::test]
async fn five_days_of_failures_disable_the_endpoint() {
    let db = sqlite().await;
    let s = setup(&db, true).await;
    let (_rx, url) = Receiver::start(vec![Answer::Status(500); 20]).await;
    let (id, _) = create(&s, &url, &[]).await;
    let w = worker(&s.app, Duration::from_secs(5));
    for _ in 0..3 {
        s.app
            .test_webhook(&s.org.owner, &s.org.id, &id)
            .await
            .unwrap();
    }
    // Day 0: the first failures start the run; day 5: still failing → disabled.
    w.round().await.unwrap();
    assert!(
        s.app
            .webhook(&s.org.owner, &s.org.id, &id)
            .await
            .unwrap()
            .enabled
    );
    s.clock.advance(5 * 24 * 3_600_000);
    w.round().await.unwrap();
    let hook = s.app.webhook(&s.org.owner, &s.org.id, &id).await.unwrap();
    assert!(!hook.enabled);
    assert!(hook.disabled_reason.unwrap().contains("5 days"));
    // Enabling starts afresh.
    let hook = s
        .app
        .update_webhook(
            &s.org.owner,
            &s.org.id,
            &id,
            WebhookPatch {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(hook.enabled);
    assert_eq!((hook.disabled_reason, hook.failing_since), (None, None));
}

// ---- the SSRF guard ----

#[tokio::test]
async fn internal_targets_are_refused_unless_allowed() {
    let db = sqlite().await;
    let s = setup(&db, false).await;
    for url in [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
    ] {
        let r = s
            .app
            .create_webhook(
                &s.org.owner,
                &s.org.id,
                NewWebhook {
                    url: url.into(),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(code(r), ErrorCode::WebhookTargetForbidden, "{url}");
    }
    for url in ["ftp://example.com/x", "not a url", "http://", "/relative"] {
        let r = s
            .app
            .create_webhook(
                &s.org.owner,
                &s.org.id,
                NewWebhook {
                    url: url.into(),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(code(r), ErrorCode::InvalidWebhookUrl, "{url}");
    }
    let r = s
        .app
        .create_webhook(
            &s.org.owner,
            &s.org.id,
            NewWebhook {
                url: "https://93.184.216.34/hook".into(),
                types: Some(vec!["Bad*".into()]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(code(r), ErrorCode::InvalidWebhookTypes);
    // A public literal address is accepted without any lookup.
    let ok = s
        .app
        .create_webhook(
            &s.org.owner,
            &s.org.id,
            NewWebhook {
                url: "https://93.184.216.34/hook".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(ok.secret.starts_with("whsec_"));

    // Checked again at delivery time: an endpoint made while private targets were allowed is
    // not called by a worker that does not allow them.
    let allowed = setup(&db, true).await;
    let (rx, url) = Receiver::start(vec![]).await;
    let (id, _) = create(&allowed, &url, &[]).await;
    allowed
        .app
        .test_webhook(&allowed.org.owner, &allowed.org.id, &id)
        .await
        .unwrap();
    let strict = App::new(db.store.clone()).with_webhook_settings(Settings {
        allow_private: false,
        clock: allowed.clock.clone(),
        ..Default::default()
    });
    worker(&strict, Duration::from_secs(5))
        .round()
        .await
        .unwrap();
    assert!(rx.received().is_empty());
    let d = &deliveries(&allowed, &id).await[0];
    assert!(
        d.last_error
            .as_deref()
            .unwrap()
            .contains("internal address"),
        "{d:?}"
    );
}

/// Every form of an address that reaches inside (issue 28), and this host's own interface
/// addresses, are refused at creation.
#[tokio::test]
async fn every_form_of_an_internal_address_is_refused() {
    let db = sqlite().await;
    let s = setup(&db, false).await;
    let mut urls: Vec<String> = [
        "http://[::7f00:1]/hook",
        "http://[::ffff:0:7f00:1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[2002:7f00:1::1]/hook",
        "http://[2002:a00:1::]/hook",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
        "http://[fec0::1]/hook",
        "http://198.18.0.1/hook",
        "http://198.19.7.7/hook",
        "http://240.0.0.1/hook",
        "http://192.0.0.8/hook",
    ]
    .map(str::to_owned)
    .to_vec();
    for i in if_addrs::get_if_addrs().unwrap() {
        urls.push(match i.ip() {
            std::net::IpAddr::V4(v4) => format!("http://{v4}/hook"),
            std::net::IpAddr::V6(v6) => format!("http://[{v6}]/hook"),
        });
    }
    for url in &urls {
        let r = s
            .app
            .create_webhook(
                &s.org.owner,
                &s.org.id,
                NewWebhook {
                    url: url.clone(),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(code(r), ErrorCode::WebhookTargetForbidden, "{url}");
    }
    // Public addresses in the same forms stay allowed.
    for url in [
        "http://[64:ff9b::808:808]/hook",
        "http://[2002:808:808::1]/hook",
        "http://198.20.0.1/hook",
    ] {
        s.app
            .create_webhook(
                &s.org.owner,
                &s.org.id,
                NewWebhook {
                    url: url.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
    }
}

// ---- management ----

#[tokio::test]
async fn owners_and_admins_manage_webhooks_members_may_not() {
    let db = sqlite().await;
    let s = setup(&db, true).await;
    let (id, secret) = create(
        &s,
        "http://127.0.0.1:9/hook",
        &["extension.*", "member.disabled"],
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    let list = s.app.webhooks(&s.org.admin, &s.org.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].types, vec!["extension.*", "member.disabled"]);
    let json = serde_json::to_string(&list).unwrap();
    assert!(!json.contains(&secret), "the secret is shown once");
    assert_eq!(
        code(s.app.webhooks(&s.org.member, &s.org.id).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        code(
            s.app
                .create_webhook(
                    &s.org.member,
                    &s.org.id,
                    NewWebhook {
                        url: "http://127.0.0.1/".into(),
                        ..Default::default()
                    }
                )
                .await
        ),
        ErrorCode::Forbidden
    );
    let other = org(&s.app, &format!("other{}", uuid::Uuid::new_v4().simple())).await;
    assert_eq!(
        code(s.app.webhook(&other.owner, &s.org.id, &id).await),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(s.app.webhook(&other.owner, &other.id, &id).await),
        ErrorCode::NotFound
    );

    let patched = s
        .app
        .update_webhook(
            &s.org.admin,
            &s.org.id,
            &id,
            WebhookPatch {
                enabled: Some(false),
                types: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!patched.enabled && patched.types.is_empty());
    assert!(patched
        .disabled_reason
        .unwrap()
        .starts_with("disabled by member:"));
    s.app
        .delete_webhook(&s.org.owner, &s.org.id, &id)
        .await
        .unwrap();
    assert_eq!(
        code(s.app.webhook(&s.org.owner, &s.org.id, &id).await),
        ErrorCode::NotFound
    );
    let actions: Vec<String> = audit_log(&s.app, &s.org.id)
        .await
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("webhook."))
        .collect();
    assert_eq!(
        actions,
        vec!["webhook.delete", "webhook.update", "webhook.create"]
    );
}

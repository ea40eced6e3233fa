//! Webhooks through real `seatline serve` processes: a process killed with SIGKILL in the
//! middle of a delivery loses none of them after a restart, and two processes on one
//! PostgreSQL database deliver each event once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::serve_race::{database, ok, Server};

const OPERATOR: &str = "webhook-operator-token";

/// What a receiver on 127.0.0.1 saw: each `webhook-id` and how often, and whether it hangs.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<HashMap<String, usize>>>,
    answered: Arc<Mutex<HashMap<String, usize>>>,
    hang: Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let r = Receiver::default();
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap| {
                let state = state.clone();
                async move {
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    *state.seen.lock().unwrap().entry(id.clone()).or_default() += 1;
                    if state.hang.load(std::sync::atomic::Ordering::SeqCst) {
                        // Held until the sender is killed (bounded, so the test cannot hang).
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    *state.answered.lock().unwrap().entry(id).or_default() += 1;
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    fn seen(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn answered(&self) -> HashMap<String, usize> {
        self.answered.lock().unwrap().clone()
    }
}

/// Poll `done` until it holds or the deadline passes.
async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An organization with seats, its owner's token, and a webhook to `url`: (org path, token, hook id).
async fn setup(addr: &str, url: &str) -> (String, String, String) {
    let org = ok(
        addr,
        "POST",
        "/api/v1/orgs",
        OPERATOR,
        Some(json!({"name": "Hooks", "owner": {"email": "o@hooks.test"}})),
        201,
    )
    .await;
    let o = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());
    let owner_id = org["owner"]["id"].as_str().unwrap();
    let t = ok(
        addr,
        "POST",
        &format!("{o}/members/{owner_id}/tokens"),
        OPERATOR,
        None,
        201,
    )
    .await;
    let owner = t["token"].as_str().unwrap().to_owned();
    ok(
        addr,
        "PUT",
        &format!("{o}/subscriptions/phone_system"),
        OPERATOR,
        Some(json!({"quantity": 100})),
        200,
    )
    .await;
    let hook = ok(
        addr,
        "POST",
        &format!("{o}/webhooks"),
        &owner,
        Some(json!({"url": url, "types": ["extension.*"]})),
        201,
    )
    .await;
    assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
    (o, owner, hook["id"].as_str().unwrap().to_owned())
}

async fn deliveries(addr: &str, o: &str, token: &str, hook: &str) -> Vec<Value> {
    let page = ok(
        addr,
        "GET",
        &format!("{o}/webhooks/{hook}/deliveries?limit=1000"),
        token,
        None,
        200,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("seatline.db").display());
    let args = [
        "--operator-token",
        OPERATOR,
        "--webhooks-allow-private",
        "--webhook-timeout-ms",
        "5000",
    ];
    let (rx, url) = Receiver::start().await;
    rx.hang.store(true, std::sync::atomic::Ordering::SeqCst);

    let mut server = Server::start_with(&db, &args);
    let (o, owner, hook) = setup(&server.addr, &url).await;
    ok(
        &server.addr,
        "POST",
        &format!("{o}/extensions/provision"),
        &owner,
        Some(json!({"count": 3, "start": "1001"})),
        201,
    )
    .await;
    // The server is in the middle of sending: the receiver holds the requests open.
    until("the first attempts", Duration::from_secs(20), || {
        rx.seen() == 3
    })
    .await;
    server.kill();
    drop(server);

    rx.hang.store(false, std::sync::atomic::Ordering::SeqCst);
    let server = Server::start_with(&db, &args);
    // The dead process's claims expire (timeout + 5 s) and the new one delivers every event.
    until(
        "every event delivered after the restart",
        Duration::from_secs(60),
        || rx.answered().len() == 3,
    )
    .await;
    let mut all = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        all = deliveries(&server.addr, &o, &owner, &hook).await;
        if all.iter().all(|d| d["status"] == "succeeded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(all.len(), 3, "{all:?}");
    for d in &all {
        assert_eq!(d["status"], "succeeded", "{d}");
        assert_eq!(d["attempts"], 2, "the killed attempt counts: {d}");
        assert_eq!(d["event_type"], "extension.provisioned");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_deliver_each_event_once() {
    let Some(db) = database().await else {
        return;
    };
    let migrate = std::process::Command::new(env!("CARGO_BIN_EXE_seatline"))
        .args(["--database-url", &db.url, "migrate"])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let args = ["--operator-token", OPERATOR, "--webhooks-allow-private"];
    let (a, b) = (
        Server::start_with(&db.url, &args),
        Server::start_with(&db.url, &args),
    );
    let (rx, url) = Receiver::start().await;
    let (o, owner, hook) = setup(&a.addr, &url).await;

    const N: usize = 40;
    let writes: Vec<_> = (0..N)
        .map(|i| {
            let addr = if i % 2 == 0 {
                a.addr.clone()
            } else {
                b.addr.clone()
            };
            let (o, owner) = (o.clone(), owner.clone());
            tokio::spawn(async move {
                ok(
                    &addr,
                    "POST",
                    &format!("{o}/extensions/provision"),
                    &owner,
                    Some(json!({"count": 1, "start": (2000 + i).to_string()})),
                    201,
                )
                .await
            })
        })
        .collect();
    for w in writes {
        w.await.unwrap();
    }
    until("every event delivered", Duration::from_secs(30), || {
        rx.answered().len() == N
    })
    .await;
    let mut all = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        all = deliveries(&b.addr, &o, &owner, &hook).await;
        if all.len() == N && all.iter().all(|d| d["status"] == "succeeded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        all.len(),
        N,
        "one delivery per event, however many processes queued"
    );
    assert!(
        all.iter()
            .all(|d| d["status"] == "succeeded" && d["attempts"] == 1),
        "{all:?}"
    );
    let answered = rx.answered();
    assert_eq!(answered.len(), N);
    assert!(
        answered.values().all(|n| *n == 1),
        "an event was sent twice: {answered:?}"
    );
    drop((a, b));
}

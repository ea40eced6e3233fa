//! A restore and the change feed's consumers (issue 25): a consumer that read past the backup
//! is answered 410 `cursor_expired` and resyncs from `/entitlements`; one that had not read
//! past it goes on without noticing more than a jump of the seqs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use seatline_app::{App, Ctx};
use seatline_sqlite::SqliteStore;
use seatline_store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::{Answer, Api, OPERATOR};

/// A `seatline serve` on the database file: its router and store.
struct Server {
    router: Router,
    app: App,
    /// The bearer token of the calls: the operator's until the owner has one.
    token: String,
}

impl Server {
    async fn open(db: &Path) -> Server {
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::connect(&format!("sqlite:{}", db.display()))
                .await
                .unwrap(),
        );
        store.migrate().await.unwrap();
        let app = App::new(store);
        let config = seatline_http::Config {
            operator_token: Some(OPERATOR.to_owned()),
            bench_baseline: false,
        };
        Server {
            router: seatline_http::router(app.clone(), config),
            app,
            token: OPERATOR.to_owned(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let req = Api::request(method, path, Some(&self.token), body.as_ref(), &[]);
        Api::read(self.router.clone().oneshot(req).await.unwrap()).await
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let a = self.call(method, path, body).await;
        assert!(a.status.is_success(), "{method} {path}: {:#}", a.body);
        a.body
    }
}

/// A feed consumer: the extension states it holds, its cursor, the event ids it applied.
#[derive(Default)]
struct Consumer {
    cursor: i64,
    state: BTreeMap<String, Value>,
    seen: Vec<(i64, String)>,
}

impl Consumer {
    /// Read every event after the cursor and apply it; the answer that ended the reading
    /// (an error, or the last page).
    async fn follow(&mut self, s: &Server, o: &str) -> Answer {
        loop {
            let a = s
                .call("GET", &format!("{o}/events?after={}", self.cursor), None)
                .await;
            if a.status != 200 {
                return a;
            }
            for e in a.body["items"].as_array().unwrap() {
                let seq = e["seq"].as_i64().unwrap();
                self.seen.push((seq, e["id"].as_str().unwrap().into()));
                // Epoch E numbers its events from E + 1; the page names the current epoch.
                let (epoch, current) = (
                    e["epoch"].as_i64().unwrap(),
                    a.body["epoch"].as_i64().unwrap(),
                );
                assert!(epoch < seq && epoch <= current, "{e}");
                assert_eq!(seq > current, epoch == current, "{e}");
                let kind = e["type"].as_str().unwrap();
                if let Some(key) = e["subject"].as_str().unwrap().strip_prefix("extension:") {
                    if kind == "extension.deprovisioned" {
                        self.state.remove(key);
                    } else {
                        // The extension state, without what only the event says (§8).
                        let mut state = e["data"].clone();
                        for extra in ["previous_member", "added", "removed"] {
                            state.as_object_mut().unwrap().remove(extra);
                        }
                        self.state.insert(key.into(), state);
                    }
                }
            }
            self.cursor = a.body["next_cursor"].as_str().unwrap().parse().unwrap();
            if !a.body["has_more"].as_bool().unwrap() {
                return a;
            }
        }
    }

    /// Start over from the entitlements snapshot, as the 410 says.
    async fn resync(&mut self, s: &Server, o: &str) {
        let snap = snapshot(s, o).await;
        self.cursor = snap.0;
        self.state = snap.1;
    }
}

/// `/entitlements`: as_of and every extension's state by key.
async fn snapshot(s: &Server, o: &str) -> (i64, BTreeMap<String, Value>) {
    let page = s
        .ok("GET", &format!("{o}/entitlements?limit=1000"), None)
        .await;
    assert!(page["next_cursor"].is_null());
    let items = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap().to_owned(), e.clone()))
        .collect();
    (page["as_of"].as_i64().unwrap(), items)
}

async fn add_member(s: &Server, o: &str, email: &str) -> String {
    s.ok(
        "POST",
        &format!("{o}/members"),
        Some(json!({"email": email, "name": email, "role": "member"})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn provision_assign(s: &Server, o: &str, key: u32, member: &str) {
    s.ok(
        "POST",
        &format!("{o}/extensions/provision"),
        Some(json!({"count": 1, "start": key.to_string()})),
    )
    .await;
    s.ok(
        "PUT",
        &format!("{o}/extensions/{key}/member"),
        Some(json!({"member": member})),
    )
    .await;
}

#[tokio::test]
async fn a_consumer_past_the_backup_resyncs_and_one_behind_it_reads_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seatline.db");
    let backup = dir.path().join("backup.db");
    let mut s = Server::open(&db).await;
    let created = s
        .ok(
            "POST",
            "/api/v1/orgs",
            Some(json!({"name": "Acme", "owner": {"email": "owner@acme.test", "name": "Olive"}})),
        )
        .await;
    let o = format!("/api/v1/orgs/{}", created["id"].as_str().unwrap());
    s.ok(
        "PUT",
        &format!("{o}/subscriptions/phone_system"),
        Some(json!({"quantity": 10})),
    )
    .await;
    let owner = created["owner"]["id"].as_str().unwrap();
    let token = s
        .ok("POST", &format!("{o}/members/{owner}/tokens"), None)
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    s.token = token.clone();
    let ann = add_member(&s, &o, "ann@acme.test").await;
    provision_assign(&s, &o, 101, &ann).await;

    // `behind` reads part of the feed; then the backup is taken at head B.
    let mut behind = Consumer::default();
    behind.follow(&s, &o).await;
    let bob = add_member(&s, &o, "bob@acme.test").await;
    provision_assign(&s, &o, 102, &bob).await;
    let (b, at_backup) = snapshot(&s, &o).await;
    assert!(behind.cursor < b);
    seatline_sqlite::backup::backup(&db, &backup, false).expect("backup while serving");

    // Writes the restore will lose; `ahead` reads them, to X > B.
    let cy = add_member(&s, &o, "cy@acme.test").await;
    provision_assign(&s, &o, 103, &cy).await;
    s.ok(
        "POST",
        &format!("{o}/extensions/provision"),
        Some(json!({"count": 2, "start": "104"})),
    )
    .await;
    let mut ahead = Consumer::default();
    ahead.follow(&s, &o).await;
    let x = ahead.cursor;
    assert!(x > b, "{x} > {b}");
    assert_eq!(ahead.seen.first().map(|e| e.0), Some(1));

    // The restore: the server stops, the file goes back, the feeds start new epochs.
    drop(s);
    seatline_sqlite::backup::restore(&backup, &db).expect("restore");
    let mut s = Server::open(&db).await;
    s.token = token;
    let started = s
        .app
        .start_feed_epochs(&Ctx::operator(), None, "test restore")
        .await
        .unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].prior_head, b);
    let epoch = started[0].epoch;
    assert!(
        epoch > x,
        "the new epoch {epoch} is above every lost seq ({x})"
    );
    assert_eq!(snapshot(&s, &o).await, (epoch, at_backup));

    // New writes after the restore: key 103 again, for someone else.
    let dee = add_member(&s, &o, "dee@acme.test").await;
    provision_assign(&s, &o, 103, &dee).await;

    // `ahead` read events the restore lost: told so, not answered nothing, not 409.
    let a = ahead.follow(&s, &o).await;
    a.expect(410, "cursor_expired");
    assert_eq!(a.body["error"]["details"]["epoch"], epoch, "{:#}", a.body);
    assert!(a.body["error"]["details"]["oldest_available"].is_i64());
    let message = a.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("/entitlements") && message.contains("as_of"),
        "{message}"
    );

    // It resyncs, more changes come, and following from as_of ends at the server's state.
    ahead.resync(&s, &o).await;
    let eve = add_member(&s, &o, "eve@acme.test").await;
    provision_assign(&s, &o, 104, &eve).await;
    let applied_from = ahead.seen.len();
    ahead.follow(&s, &o).await.expect(200, "");
    let fresh = snapshot(&s, &o).await;
    assert_eq!((ahead.cursor, &ahead.state), (fresh.0, &fresh.1));
    // The new events continue the new epoch, and none reuses an id seen before.
    let new: Vec<&(i64, String)> = ahead.seen[applied_from..].iter().collect();
    assert!(!new.is_empty());
    assert!(new.iter().all(|(seq, _)| *seq > epoch), "{new:?}");
    let before: BTreeSet<&String> = ahead.seen[..applied_from].iter().map(|e| &e.1).collect();
    assert!(new.iter().all(|(_, id)| !before.contains(id)), "{new:?}");

    // `behind` (cursor ≤ B) reads on without a 410: the kept events up to B, then the jump.
    let c = behind.cursor;
    behind.follow(&s, &o).await.expect(200, "");
    let seqs: Vec<i64> = behind.seen.iter().map(|e| e.0).collect();
    let kept: Vec<i64> = seqs.iter().copied().filter(|&q| q > c && q <= b).collect();
    assert_eq!(kept, (c + 1..=b).collect::<Vec<_>>());
    let after_jump: Vec<i64> = seqs.iter().copied().filter(|&q| q > b).collect();
    assert_eq!(
        after_jump,
        (epoch + 1..=fresh.0).collect::<Vec<_>>(),
        "gapless within the new epoch"
    );
    assert_eq!(behind.state, fresh.1);
    // Another reset starts yet another epoch, above everything given out so far.
    let again = s
        .app
        .start_feed_epochs(&Ctx::operator(), None, "test reset")
        .await
        .unwrap();
    assert!(again[0].epoch > fresh.0, "{again:?}");
}

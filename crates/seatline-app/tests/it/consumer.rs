//! A consumer of the change feed that follows the documented rule (docs/feed.md, "Following
//! changes", product.md §8): hold each extension's state by key, and take a state only when
//! its `version` is newer than what is held — a deprovisioned key's version included, kept
//! as a tombstone. Whether it syncs by snapshot-then-follow while writes go on, or receives
//! the events in any order (webhook deliveries are not in seq order), it must end holding
//! exactly the server's `/entitlements`, on SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use seatline_app::{App, Ctx};
use seatline_domain::OrgId;
use serde_json::Value;

use crate::events::{dbs, events_after};
use crate::support::*;

/// What a consumer holds for one key: the extension's state, or the version it was
/// deprovisioned at.
#[derive(Debug, Clone, PartialEq)]
enum Held {
    State(Value),
    Gone(i64),
}

impl Held {
    fn version(&self) -> i64 {
        match self {
            Held::State(s) => s["version"].as_i64().expect("a state has a version"),
            Held::Gone(v) => *v,
        }
    }
}

/// The documented consumer.
#[derive(Debug, Default)]
pub struct Consumer {
    held: BTreeMap<String, Held>,
}

impl Consumer {
    /// One item of an `/entitlements` page.
    pub fn snapshot_item(&mut self, item: Value) {
        let key = item["key"].as_str().expect("key").to_owned();
        self.offer(key, Held::State(item));
    }

    /// One event of the feed or of a webhook delivery; only `extension.*` events matter.
    pub fn apply(&mut self, e: &Value) {
        let Some(key) = e["subject"]
            .as_str()
            .and_then(|s| s.strip_prefix("extension:"))
        else {
            return;
        };
        let mut state = e["data"].clone();
        let held = if e["type"] == "extension.deprovisioned" {
            Held::Gone(state["version"].as_i64().expect("version"))
        } else {
            let obj = state.as_object_mut().expect("state");
            for extra in ["previous_member", "added", "removed"] {
                obj.remove(extra);
            }
            Held::State(state)
        };
        self.offer(key.to_owned(), held);
    }

    /// Keep `new` only if it is newer than what is held, a tombstone included.
    fn offer(&mut self, key: String, new: Held) {
        if self
            .held
            .get(&key)
            .is_none_or(|h| h.version() < new.version())
        {
            self.held.insert(key, new);
        }
    }

    /// The extensions the consumer believes exist, by key.
    pub fn live(&self) -> BTreeMap<String, Value> {
        self.held
            .iter()
            .filter_map(|(k, h)| match h {
                Held::State(s) => Some((k.clone(), s.clone())),
                Held::Gone(_) => None,
            })
            .collect()
    }
}

/// The server's own answer: every extension's state by key.
pub async fn server_state(app: &App, ctx: &Ctx, org: &OrgId) -> BTreeMap<String, Value> {
    let page = app
        .entitlements_snapshot(ctx, org, None, Some(1000))
        .await
        .expect("snapshot");
    assert!(page.next_cursor.is_none(), "one page holds them all");
    page.items
        .into_iter()
        .map(|i| serde_json::to_value(i).expect("a state serializes"))
        .map(|i| (i["key"].as_str().expect("key").to_owned(), i))
        .collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Six extensions, two held, one with an add-on: the state before the consumer arrives.
async fn setup(app: &App, o: &Org) {
    let (c, id) = (&o.owner, &o.id);
    app.provision(c, id, 6, "1001").await.expect("provision");
    app.assign(c, id, "1001", &o.member_id, false)
        .await
        .expect("assign");
    app.assign(c, id, "1002", &o.admin_id, false)
        .await
        .expect("assign");
    app.set_addons(c, id, "1003", &strs(&["license_center"]))
        .await
        .expect("addons");
}

/// The writes made after snapshot page `page` was read (pages of two keys: 1001–1002,
/// 1003–1004, then the rest): extensions already read and not yet read are changed,
/// deprovisioned and provisioned again under the same key.
async fn writes_after_page(app: &App, o: &Org, page: usize) {
    let (c, id) = (&o.owner, &o.id);
    match page {
        0 => {
            app.unassign(c, id, "1001").await.expect("unassign");
            app.deprovision(c, id, "1001")
                .await
                .expect("deprovision read");
            app.set_addons(c, id, "1002", &strs(&["device_web_rtc"]))
                .await
                .expect("addons");
            app.deprovision(c, id, "1004")
                .await
                .expect("deprovision unread");
            app.provision(c, id, 1, "1004").await.expect("re-provision");
        }
        1 => {
            app.assign(c, id, "1003", &o.member_id, false)
                .await
                .expect("assign");
            app.provision(c, id, 1, "1001").await.expect("re-provision");
            app.deprovision(c, id, "1005")
                .await
                .expect("deprovision unread");
        }
        _ => {}
    }
}

/// After the snapshot: a key read is deprovisioned for good, another changes hands.
async fn writes_after_snapshot(app: &App, o: &Org) {
    let (c, id) = (&o.owner, &o.id);
    app.deprovision(c, id, "1006").await.expect("deprovision");
    app.provision(c, id, 1, "1007").await.expect("provision");
    app.unassign(c, id, "1003").await.expect("unassign");
    app.assign(c, id, "1007", &o.member_id, false)
        .await
        .expect("assign");
    app.set_addons(c, id, "1004", &strs(&["license_number"]))
        .await
        .expect("addons");
    app.set_numbers(c, id, "1004", &strs(&["+6531230001"]))
        .await
        .expect("numbers");
}

/// Snapshot pages are read while writes go on between them, then the feed is followed from
/// the first page's `as_of`: the consumer ends holding exactly the server's state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_while_writing_then_follow_converges() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "sync").await;
        setup(app, &o).await;

        let mut consumer = Consumer::default();
        let (mut after, mut as_of, mut page_no) = (None::<String>, None, 0);
        loop {
            let page = app
                .entitlements_snapshot(&o.owner, &o.id, after.as_deref(), Some(2))
                .await
                .expect("snapshot page");
            as_of.get_or_insert(page.as_of);
            for item in page.items {
                consumer.snapshot_item(serde_json::to_value(item).expect("a state serializes"));
            }
            writes_after_page(app, &o, page_no).await;
            page_no += 1;
            match page.next_cursor {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert!(page_no >= 3, "{}: the writes ran between pages", db.name);
        writes_after_snapshot(app, &o).await;

        let as_of = as_of.expect("a page");
        for e in events_after(app, &o.owner, &o.id, as_of).await {
            consumer.apply(&e);
        }
        assert_eq!(
            consumer.live(),
            server_state(app, &o.owner, &o.id).await,
            "{}: snapshot + follow must end at the server's state",
            db.name
        );
    }
}

/// Every event of a history with deprovisionings and re-provisionings, delivered in several
/// seeded random orders: the consumer converges to the server's state every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shuffled_delivery_converges() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "shuffle").await;
        setup(app, &o).await;
        for page in 0..2 {
            writes_after_page(app, &o, page).await;
        }
        writes_after_snapshot(app, &o).await;
        // A member's status change reaches its extension's state too.
        app.update_member(&o.owner, &o.id, &o.member_id, None, Some("disabled"))
            .await
            .expect("disable");

        let events = events_after(app, &o.owner, &o.id, 0).await;
        let server = server_state(app, &o.owner, &o.id).await;
        for seed in 0..8u64 {
            let mut order = events.clone();
            order.shuffle(&mut StdRng::seed_from_u64(seed));
            let mut consumer = Consumer::default();
            for e in &order {
                consumer.apply(e);
            }
            assert_eq!(
                consumer.live(),
                server,
                "{}: delivery order of seed {seed} must converge",
                db.name
            );
        }
    }
}

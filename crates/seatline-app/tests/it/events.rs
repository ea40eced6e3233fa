//! The change feed (product.md §8) on SQLite and PostgreSQL: every write use case emits its
//! events in the same transaction, seqs are gapless in commit order under concurrent writers,
//! a refused write emits nothing, long polls wake on a commit, a pruned cursor is refused,
//! snapshot-then-follow converges, and integration tokens read only what they may.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use seatline_app::bulk::BulkFile;
use seatline_app::events::EventsRequest;
use seatline_app::{App, Ctx};
use seatline_domain::{ErrorCode, OrgId};
use seatline_postgres::PostgresStore;
use seatline_sqlite::SqliteStore;
use seatline_store::Store;
use serde_json::{json, Value};

use crate::consumer::Consumer;
use crate::support::*;

// ---- a world per store: SQLite always, PostgreSQL when reachable ----

pub(crate) struct Db {
    pub name: &'static str,
    pub app: App,
    /// Opens another store on the same database: another process's view.
    url: String,
    _guard: Guard,
}

async fn open(url: &str) -> Arc<dyn Store> {
    if url.starts_with("postgres") {
        Arc::new(PostgresStore::connect(url).await.expect("connect"))
    } else {
        Arc::new(SqliteStore::connect(url).await.expect("open sqlite"))
    }
}

pub(crate) async fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("events.db").display());
    let store = open(&url).await;
    store.migrate().await.expect("migrate");
    Db {
        name: "sqlite",
        app: App::new(store),
        url,
        _guard: Guard::Sqlite(dir),
    }
}

async fn postgres_db() -> Option<Db> {
    let (url, guard) = fresh_postgres("seatline_events").await?;
    let store = open(&url).await;
    store.migrate().await.expect("migrate");
    Some(Db {
        name: "postgres",
        app: App::new(store),
        url,
        _guard: guard,
    })
}

pub(crate) async fn dbs() -> Vec<Db> {
    let mut v = vec![sqlite_db().await];
    v.extend(postgres_db().await);
    v
}

// ---- reading the feed ----

pub(crate) fn req(after: i64) -> EventsRequest {
    EventsRequest {
        after,
        limit: Some(1000),
        ..Default::default()
    }
}

/// Every event after `after`, as JSON, following pages.
pub(crate) async fn events_after(app: &App, ctx: &Ctx, org: &OrgId, mut after: i64) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let page = app.events(ctx, org, req(after)).await.expect("events");
        all.extend(
            page.items
                .iter()
                .map(|r| serde_json::from_str::<Value>(r.get()).expect("event JSON")),
        );
        after = page.next_cursor.parse().expect("cursor is a seq");
        if !page.has_more {
            return all;
        }
    }
}

pub(crate) async fn last_seq(app: &App, org: &OrgId) -> i64 {
    let mut tx = app.store().begin().await.expect("begin");
    tx.event_horizon(org).await.expect("horizon").last
}

/// Follows an org's feed and hands out what each step appended.
struct Follow<'a> {
    app: &'a App,
    ctx: Ctx,
    org: OrgId,
    after: i64,
}

impl Follow<'_> {
    /// The events since the last call: exactly `want` as (type, subject), seqs following on.
    async fn expect(&mut self, step: &str, want: &[(&str, &str)]) -> Vec<Value> {
        let new = events_after(self.app, &self.ctx, &self.org, self.after).await;
        let got: Vec<(String, String)> = new
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().expect("type").to_owned(),
                    e["subject"].as_str().expect("subject").to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(t, s)| ((*t).to_owned(), (*s).to_owned()))
            .collect();
        assert_eq!(got, want, "after {step}");
        for e in &new {
            self.after += 1;
            assert_eq!(e["seq"], json!(self.after), "{step}: seqs follow on: {e}");
            assert!(e["id"].as_str().is_some_and(|i| i.starts_with("evt_")));
            let t = e["type"].as_str().expect("type");
            if t.starts_with("extension.") {
                assert_eq!(e["data"]["version"], e["seq"], "{step}: version is the seq");
            }
        }
        new
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_use_case_emits_its_event_types() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "feed").await;
        let (id, owner) = (&o.id, &o.owner);
        let mut f = Follow {
            app,
            ctx: o.owner.clone(),
            org: id.clone(),
            after: 0,
        };
        // The fixture: the owner, 4 quantities, 2 numbers (inventory has no events), 2 members.
        let admin_s = format!("member:{}", o.admin_id);
        let member_s = format!("member:{}", o.member_id);
        let owner_s = format!("member:{}", o.owner_id);
        let sub = |c: &str| format!("subscription:{c}");
        let all = f
            .expect(
                "the fixture",
                &[
                    ("member.created", &owner_s),
                    ("subscription.updated", &sub("phone_system")),
                    ("subscription.updated", &sub("license_center")),
                    ("subscription.updated", &sub("device_web_rtc")),
                    ("subscription.updated", &sub("license_number")),
                    ("member.created", &admin_s),
                    ("member.created", &member_s),
                ],
            )
            .await;
        assert_eq!(all[0]["actor"], json!({"kind": "operator", "id": null}));
        assert_eq!(all[1]["data"]["purchased"], json!(10));
        assert_eq!(all[1]["data"]["code"], json!("phone_system"));
        assert_eq!(
            all[6]["actor"],
            json!({"kind": "member", "id": o.owner_id}),
            "{}",
            db.name
        );
        assert_eq!(all[6]["data"]["email"], json!("member@feed.example"));

        app.provision(owner, id, 2, "1001")
            .await
            .expect("provision");
        let e = f
            .expect(
                "provision",
                &[
                    ("extension.provisioned", "extension:1001"),
                    ("extension.provisioned", "extension:1002"),
                ],
            )
            .await;
        assert_eq!(
            e[0]["data"],
            json!({"key": "1001", "version": e[0]["seq"], "member": null, "addons": [],
                   "numbers": [], "contact_center": null,
                   "effective": [{"code": "phone_system", "effective": true, "reason": null}]})
        );

        app.assign(owner, id, "1001", &o.member_id, false)
            .await
            .expect("assign");
        let e = f
            .expect("assign", &[("extension.assigned", "extension:1001")])
            .await;
        assert_eq!(
            e[0]["data"]["member"],
            json!({"id": o.member_id, "email": "member@feed.example"})
        );
        assert_eq!(e[0]["data"]["previous_member"], Value::Null);
        assert_eq!(
            e[0]["data"]["contact_center"],
            json!({"role": "agent", "ready": false, "missing": ["license_center", "device"]})
        );

        let codes = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        app.set_addons(
            owner,
            id,
            "1001",
            &codes(&["license_center", "device_web_rtc", "license_number"]),
        )
        .await
        .expect("addons");
        let e = f
            .expect(
                "set add-ons",
                &[("extension.entitlements_changed", "extension:1001")],
            )
            .await;
        assert_eq!(
            e[0]["data"]["added"],
            json!({"addons": ["device_web_rtc", "license_center", "license_number"], "numbers": []})
        );
        assert_eq!(
            e[0]["data"]["removed"],
            json!({"addons": [], "numbers": []})
        );
        assert_eq!(e[0]["data"]["contact_center"]["ready"], json!(true));

        app.set_numbers(owner, id, "1001", &codes(&["+6531230001"]))
            .await
            .expect("numbers");
        let e = f
            .expect(
                "attach a number",
                &[("extension.entitlements_changed", "extension:1001")],
            )
            .await;
        assert_eq!(
            e[0]["data"]["added"],
            json!({"addons": [], "numbers": ["+6531230001"]})
        );
        assert_eq!(e[0]["data"]["numbers"], json!(["+6531230001"]));

        app.update_member(owner, id, &o.member_id, Some("admin"), None)
            .await
            .expect("role");
        let e = f
            .expect(
                "role change",
                &[
                    ("member.updated", &member_s),
                    ("extension.entitlements_changed", "extension:1001"),
                ],
            )
            .await;
        assert_eq!(e[0]["data"]["contact_center"]["role"], json!("supervisor"));
        assert_eq!(e[0]["data"]["extension"], json!("1001"));
        assert_eq!(e[1]["data"]["contact_center"]["role"], json!("supervisor"));

        app.update_member(owner, id, &o.member_id, None, Some("disabled"))
            .await
            .expect("disable");
        let e = f
            .expect(
                "disable",
                &[
                    ("member.disabled", &member_s),
                    ("extension.entitlements_changed", "extension:1001"),
                ],
            )
            .await;
        assert_eq!(
            e[1]["data"]["contact_center"]["missing"],
            json!(["member_disabled"])
        );
        app.update_member(owner, id, &o.member_id, None, Some("active"))
            .await
            .expect("enable");
        f.expect(
            "enable",
            &[
                ("member.enabled", &member_s),
                ("extension.entitlements_changed", "extension:1001"),
            ],
        )
        .await;

        app.assign(owner, id, "1001", &o.admin_id, true)
            .await
            .expect("reassign");
        let e = f
            .expect("reassign", &[("extension.assigned", "extension:1001")])
            .await;
        assert_eq!(e[0]["data"]["previous_member"]["id"], json!(o.member_id));
        assert_eq!(e[0]["data"]["member"]["id"], json!(o.admin_id));

        app.unassign(owner, id, "1001").await.expect("unassign");
        let e = f
            .expect("unassign", &[("extension.unassigned", "extension:1001")])
            .await;
        assert_eq!(e[0]["data"]["previous_member"]["id"], json!(o.admin_id));
        assert_eq!(e[0]["data"]["contact_center"], Value::Null);
        app.unassign(owner, id, "1001")
            .await
            .expect("unassign again");
        f.expect("unassigning an unassigned extension", &[]).await;

        app.set_numbers(owner, id, "1001", &[])
            .await
            .expect("detach");
        f.expect(
            "detach",
            &[("extension.entitlements_changed", "extension:1001")],
        )
        .await;
        app.deprovision(owner, id, "1001")
            .await
            .expect("deprovision");
        let e = f
            .expect(
                "deprovision",
                &[("extension.deprovisioned", "extension:1001")],
            )
            .await;
        assert_eq!(e[0]["data"]["key"], json!("1001"));

        app.set_quantity(&op(), id, "license_center", 6)
            .await
            .expect("quantity");
        let e = f
            .expect(
                "set quantity",
                &[("subscription.updated", &sub("license_center"))],
            )
            .await;
        assert_eq!(e[0]["data"]["purchased"], json!(6));

        app.assign(owner, id, "1002", &o.member_id, false)
            .await
            .expect("assign");
        f.expect("assign", &[("extension.assigned", "extension:1002")])
            .await;
        app.update_member(owner, id, &o.member_id, None, Some("disabled"))
            .await
            .expect("disable");
        f.expect(
            "disable",
            &[
                ("member.disabled", &member_s),
                ("extension.entitlements_changed", "extension:1002"),
            ],
        )
        .await;
        app.delete_member(owner, id, &o.member_id)
            .await
            .expect("delete");
        let e = f
            .expect(
                "delete a member",
                &[
                    ("extension.unassigned", "extension:1002"),
                    ("member.deleted", &member_s),
                ],
            )
            .await;
        assert_eq!(e[1]["data"]["id"], json!(o.member_id));

        app.transfer_ownership(owner, id, &o.admin_id)
            .await
            .expect("transfer");
        f.expect(
            "transfer ownership",
            &[("member.updated", &owner_s), ("member.updated", &admin_s)],
        )
        .await;

        // Token and inventory changes have audit entries but are not entitlement changes.
        let before = f.after;
        app.add_number(&op(), id, "+6531230009")
            .await
            .expect("number");
        app.issue_token(&op(), id, &o.admin_id)
            .await
            .expect("token");
        assert_eq!(last_seq(app, id).await, before, "{}", db.name);

        // Bulk: one event per extension, then bulk.applied.
        let csv = "Ext key,Number,User,Addon license\n2001,,,team_chat\n2002,,,\n";
        app.set_quantity(&op(), id, "team_chat", 1)
            .await
            .expect("team chat");
        f.expect(
            "set quantity",
            &[("subscription.updated", &sub("team_chat"))],
        )
        .await;
        let new_owner = login(app, id, &o.admin_id).await;
        let plan = app
            .bulk_plan(
                &new_owner,
                id,
                BulkFile::bytes(csv.as_bytes()),
                Default::default(),
            )
            .await
            .expect("plan");
        app.bulk_apply(&new_owner, id, &plan.id, Default::default())
            .await
            .expect("apply");
        let plan_s = format!("plan:{}", plan.id);
        let e = f
            .expect(
                "bulk apply",
                &[
                    ("extension.provisioned", "extension:2001"),
                    ("extension.provisioned", "extension:2002"),
                    ("bulk.applied", &plan_s),
                ],
            )
            .await;
        assert_eq!(e[0]["data"]["addons"], json!(["team_chat"]));
        assert_eq!(e[2]["data"], json!({"plan": plan.id, "rows": 2}));
        app.bulk_apply(&new_owner, id, &plan.id, Default::default())
            .await
            .expect("apply again");
        f.expect("applying a plan again", &[]).await;

        // Filters: exact types and prefixes.
        let mut r = req(0);
        r.types = vec!["member.*".into(), "bulk.applied".into()];
        // The previous owner is an admin now: admins read the feed.
        let page = app.events(&o.owner, id, r).await.expect("filtered events");
        for item in &page.items {
            let t: Value = serde_json::from_str(item.get()).expect("json");
            let t = t["type"].as_str().expect("type");
            assert!(t.starts_with("member.") || t == "bulk.applied", "{t}");
        }
        let mut r = req(0);
        r.types = vec!["extension".into()];
        assert_eq!(
            code(app.events(&o.owner, id, r).await),
            ErrorCode::Malformed
        );
        // A member (not admin) may not read the feed.
        let m = login(app, id, &created_member(app, &new_owner, id).await).await;
        assert_eq!(code(app.events(&m, id, req(0)).await), ErrorCode::Forbidden);
    }
}

async fn created_member(app: &App, owner: &Ctx, org: &OrgId) -> String {
    app.create_member(owner, org, "late@feed.example", "Late", "member")
        .await
        .expect("member")
        .id
}

/// 8 writers × 500 changes at once, one consumer following `after` with long polls: it sees
/// every seq once, in order, without a gap; a refused write emits nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn feed_is_gapless_under_concurrent_writers() {
    const WRITERS: usize = 8;
    const CHANGES: usize = 500;
    for db in dbs().await {
        let app = db.app.clone();
        let o = org(&app, "race").await;
        app.set_quantity(&op(), &o.id, "team_chat", WRITERS as i64)
            .await
            .expect("team chat");
        app.provision(&o.owner, &o.id, WRITERS as i64, "3000")
            .await
            .expect("extensions");
        let start = last_seq(&app, &o.id).await;
        let total = (WRITERS * CHANGES) as i64;
        let consumer = {
            let (app, ctx, org) = (app.clone(), o.owner.clone(), o.id.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut after = start;
                let deadline = Instant::now() + Duration::from_secs(120);
                while (seen.len() as i64) < total && Instant::now() < deadline {
                    let mut r = req(after);
                    r.wait = Duration::from_secs(5);
                    let page = app.events(&ctx, &org, r).await.expect("events");
                    for item in &page.items {
                        let e: Value = serde_json::from_str(item.get()).expect("json");
                        seen.push(e["seq"].as_i64().expect("seq"));
                    }
                    after = page.next_cursor.parse().expect("seq");
                }
                seen
            })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (app, ctx, org) = (app.clone(), o.owner.clone(), o.id.clone());
                tokio::spawn(async move {
                    let key = (3000 + w).to_string();
                    for i in 0..CHANGES {
                        let codes: Vec<String> = if i % 2 == 0 {
                            vec!["team_chat".into()]
                        } else {
                            Vec::new()
                        };
                        app.set_addons(&ctx, &org, &key, &codes)
                            .await
                            .expect("write");
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.expect("writer");
        }
        let seen = consumer.await.expect("consumer");
        let want: Vec<i64> = (start + 1..=start + total).collect();
        assert_eq!(seen.len(), want.len(), "{}: every event once", db.name);
        assert!(seen == want, "{}: in order, without gaps", db.name);

        // A refused write emits nothing: the 9th team_chat copy is over the seats.
        let last = last_seq(&app, &o.id).await;
        app.provision(&o.owner, &o.id, 1, "3100")
            .await
            .expect("one more");
        let after_provision = last_seq(&app, &o.id).await;
        assert_eq!(after_provision, last + 1);
        let r = app
            .set_addons(
                &o.owner,
                &o.id,
                "3100",
                &["team_chat".to_owned(), "team_chat".to_owned()],
            )
            .await;
        assert_eq!(code(r), ErrorCode::AddonLimit);
        let r = app.provision(&o.owner, &o.id, 100, "5000").await;
        assert_eq!(code(r), ErrorCode::SeatsExhausted);
        assert_eq!(last_seq(&app, &o.id).await, after_provision, "{}", db.name);
    }
}

/// A long poll answers right after a commit: in the same process through the notifier, from
/// another process through LISTEN/NOTIFY (PostgreSQL) or the short poll (SQLite).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_poll_wakes_on_a_commit() {
    for db in dbs().await {
        let o = org(&db.app, "poll").await;
        let other = App::new(open(&db.url).await);
        other.listen_events().await.expect("listen");
        for (reader, bound) in [(&db.app, 1000), (&other, 1500)] {
            let after = last_seq(&db.app, &o.id).await;
            let waiter = {
                let (app, ctx, org) = (reader.clone(), o.owner.clone(), o.id.clone());
                tokio::spawn(async move {
                    let mut r = req(after);
                    r.wait = Duration::from_secs(20);
                    let page = app.events(&ctx, &org, r).await.expect("events");
                    (page, Instant::now())
                })
            };
            let mut waiter = waiter;
            // The waiter is parked (not answered) until the write below.
            let parked = tokio::time::timeout(Duration::from_millis(300), &mut waiter).await;
            assert!(
                parked.is_err(),
                "{}: the long poll answered before any write",
                db.name
            );
            let wrote = Instant::now();
            db.app
                .create_member(
                    &o.owner,
                    &o.id,
                    &format!("w{after}@poll.example"),
                    "W",
                    "member",
                )
                .await
                .expect("write");
            let (page, answered) = tokio::time::timeout(Duration::from_secs(10), waiter)
                .await
                .expect("the long poll answered")
                .expect("waiter");
            assert_eq!(page.items.len(), 1, "{}", db.name);
            assert_eq!(page.next_cursor, (after + 1).to_string());
            let took = answered.duration_since(wrote);
            assert!(
                took < Duration::from_millis(bound),
                "{}: woke {took:?} after the commit",
                db.name
            );
        }
        // Without events the poll ends empty at its wait, with the same cursor.
        let after = last_seq(&db.app, &o.id).await;
        let mut r = req(after);
        r.wait = Duration::from_millis(200);
        let page = db.app.events(&o.owner, &o.id, r).await.expect("events");
        assert!(page.items.is_empty() && !page.has_more);
        assert_eq!(page.next_cursor, after.to_string());
    }
}

#[tokio::test]
async fn a_cursor_older_than_retention_is_expired() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "old").await;
        let last = last_seq(app, &o.id).await;
        assert!(last > 3);
        // Everything stamped before the far future goes: every event so far.
        app.store()
            .events_prune("9999-01-01T00:00:00.000Z")
            .await
            .expect("prune");
        let e = app
            .events(&o.owner, &o.id, req(2))
            .await
            .expect_err("expired");
        let seatline_app::AppError::Rule(e) = e else {
            panic!("a rule error")
        };
        assert_eq!(e.code, ErrorCode::CursorExpired);
        assert_eq!(e.details["oldest_available"], json!(last + 1));
        // From the snapshot's as_of the feed is whole again.
        let snap = app
            .entitlements_snapshot(&o.owner, &o.id, None, None)
            .await
            .expect("snapshot");
        assert_eq!(snap.as_of, last);
        let page = app
            .events(&o.owner, &o.id, req(snap.as_of))
            .await
            .expect("follow");
        assert!(page.items.is_empty());
        app.provision(&o.owner, &o.id, 1, "1001")
            .await
            .expect("provision");
        let page = app
            .events(&o.owner, &o.id, req(snap.as_of))
            .await
            .expect("follow");
        assert_eq!(page.items.len(), 1, "{}", db.name);
        // The retention prunes nothing younger than itself.
        assert_eq!(app.prune_events(30).await.expect("prune"), 0);
    }
}

/// The owner's integration token reads the feed, entitlements, extensions, members and
/// Contact Center; every write, the audit log, bulk, licenses and numbers are forbidden.
#[tokio::test]
async fn integration_tokens_read_only_what_a_pbx_needs() {
    let db = sqlite_db().await;
    let app = &db.app;
    let o = org(app, "pbx").await;
    let (id, owner) = (&o.id, &o.owner);
    app.provision(owner, id, 1, "1001")
        .await
        .expect("provision");
    assert_eq!(
        code(
            app.create_integration_token(&o.admin, id, "PBX", false)
                .await
        ),
        ErrorCode::Forbidden
    );
    assert_eq!(
        code(app.create_integration_token(owner, id, " ", false).await),
        ErrorCode::InvalidName
    );
    let t = app
        .create_integration_token(owner, id, "PBX", false)
        .await
        .expect("create");
    assert!(t.token.starts_with("stli_"));
    let listed = app.integration_tokens(owner, id).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        (listed.items[0].id.as_str(), listed.items[0].name.as_str()),
        (t.id.as_str(), "PBX")
    );
    let pbx = app.authenticate(&t.token).await.expect("authenticate");
    let other = org(app, "elsewhere").await;

    // May read.
    app.events(&pbx, id, req(0)).await.expect("events");
    app.entitlements_snapshot(&pbx, id, None, None)
        .await
        .expect("entitlements");
    app.extensions(&pbx, id, Default::default(), None)
        .await
        .expect("extensions");
    app.extension(&pbx, id, "1001").await.expect("extension");
    app.members(&pbx, id, None, None).await.expect("members");
    app.member(&pbx, id, &o.member_id).await.expect("member");
    app.entitlements(&pbx, id, &o.member_id)
        .await
        .expect("member entitlements");
    app.contact_center(&pbx, id, None, None)
        .await
        .expect("contact center");
    // Nothing of another organization.
    assert_eq!(
        code(app.events(&pbx, &other.id, req(0)).await),
        ErrorCode::NotFound
    );

    // May not.
    let forbidden = [
        code(app.provision(&pbx, id, 1, "1002").await),
        code(app.set_addons(&pbx, id, "1001", &[]).await),
        code(app.deprovision(&pbx, id, "1001").await),
        code(
            app.create_member(&pbx, id, "x@pbx.example", "X", "member")
                .await,
        ),
        code(
            app.update_member(&pbx, id, &o.member_id, None, Some("disabled"))
                .await,
        ),
        code(app.audit(&pbx, id, Default::default()).await),
        code(
            app.bulk_plan(
                &pbx,
                id,
                BulkFile::bytes(b"Ext key\n1005\n"),
                Default::default(),
            )
            .await,
        ),
        code(app.licenses(&pbx, id).await),
        code(app.numbers(&pbx, id, None, None).await),
        code(app.create_integration_token(&pbx, id, "more", false).await),
        code(app.issue_token(&pbx, id, &o.member_id).await),
    ];
    assert!(
        forbidden.iter().all(|c| *c == ErrorCode::Forbidden),
        "{forbidden:?}"
    );

    // Revoked: stops at once; another org's owner cannot revoke it.
    assert_eq!(
        code(app.revoke_integration_token(&other.owner, id, &t.id).await),
        ErrorCode::NotFound
    );
    app.revoke_integration_token(owner, id, &t.id)
        .await
        .expect("revoke");
    assert_eq!(
        code(app.authenticate(&t.token).await),
        ErrorCode::Unauthenticated
    );
    assert!(app.integration_tokens(owner, id).await.expect("list").items[0].revoked);
    let actions: Vec<String> = audit_log(app, id)
        .await
        .iter()
        .map(|e| e.action.clone())
        .collect();
    assert!(actions.contains(&"integration_token.create".to_owned()));
    assert!(actions.contains(&"integration_token.revoke".to_owned()));
}

// ---- snapshot, then follow: the consumer's state converges to a fresh snapshot ----

/// What a consumer holds: extension states by key.
type Mirror = BTreeMap<String, Value>;

async fn snapshot(app: &App, ctx: &Ctx, org: &OrgId) -> (i64, Mirror) {
    let mut mirror = Mirror::new();
    let mut after: Option<String> = None;
    let mut as_of = None;
    loop {
        let page = app
            .entitlements_snapshot(ctx, org, after.as_deref(), Some(3))
            .await
            .expect("snapshot");
        as_of.get_or_insert(page.as_of);
        for item in page.items {
            let item = serde_json::to_value(item).expect("a state serializes");
            mirror.insert(item["key"].as_str().expect("key").to_owned(), item);
        }
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return (as_of.expect("a page"), mirror),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Provision(u32),
    Deprovision(u32),
    Assign(u32, usize),
    Unassign(u32),
    Addons(u32, Vec<&'static str>),
    Numbers(u32, Vec<&'static str>),
    Status(usize, bool),
    Role(usize, bool),
}

fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let key = 0u32..4;
    let who = 0usize..3;
    let codes = proptest::sample::subsequence(
        vec![
            "license_center",
            "device_web_rtc",
            "license_number",
            "call_recording",
        ],
        0..=3,
    );
    let numbers = proptest::sample::subsequence(vec!["+6531230001", "+6531230002"], 0..=2);
    prop_oneof![
        key.clone().prop_map(Op::Provision),
        key.clone().prop_map(Op::Deprovision),
        (key.clone(), who.clone()).prop_map(|(k, m)| Op::Assign(k, m)),
        key.clone().prop_map(Op::Unassign),
        (key.clone(), codes).prop_map(|(k, c)| Op::Addons(k, c)),
        (key, numbers).prop_map(|(k, n)| Op::Numbers(k, n)),
        (who.clone(), any::<bool>()).prop_map(|(m, on)| Op::Status(m, on)),
        (who, any::<bool>()).prop_map(|(m, admin)| Op::Role(m, admin)),
    ]
}

async fn run(app: &App, o: &Org, members: &[String], op: &Op) {
    let k = |i: &u32| (1001 + i).to_string();
    let (c, id) = (&o.owner, &o.id);
    let strs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    // Refusals are part of the game: they must emit nothing.
    let _ = match op {
        Op::Provision(i) => app.provision(c, id, 1, &k(i)).await.map(|_| ()),
        Op::Deprovision(i) => app.deprovision(c, id, &k(i)).await,
        Op::Assign(i, m) => app
            .assign(c, id, &k(i), &members[*m], true)
            .await
            .map(|_| ()),
        Op::Unassign(i) => app.unassign(c, id, &k(i)).await.map(|_| ()),
        Op::Addons(i, codes) => app.set_addons(c, id, &k(i), &strs(codes)).await.map(|_| ()),
        Op::Numbers(i, n) => app.set_numbers(c, id, &k(i), &strs(n)).await.map(|_| ()),
        Op::Status(m, on) => {
            let s = if *on { "active" } else { "disabled" };
            app.update_member(c, id, &members[*m], None, Some(s))
                .await
                .map(|_| ())
        }
        Op::Role(m, admin) => {
            let r = if *admin { "admin" } else { "member" };
            app.update_member(c, id, &members[*m], Some(r), None)
                .await
                .map(|_| ())
        }
    };
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    #[test]
    fn snapshot_then_follow_converges(
        before in proptest::collection::vec(op_strategy(), 0..12),
        after in proptest::collection::vec(op_strategy(), 0..20),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let db = sqlite_db().await;
            let app = &db.app;
            let o = org(app, "prop").await;
            let members = vec![o.member_id.clone(), o.admin_id.clone(), o.owner_id.clone()];
            for op in &before {
                run(app, &o, &members, op).await;
            }
            let (as_of, mirror) = snapshot(app, &o.owner, &o.id).await;
            let mut consumer = Consumer::default();
            for item in mirror.into_values() {
                consumer.snapshot_item(item);
            }
            for op in &after {
                run(app, &o, &members, op).await;
            }
            for e in events_after(app, &o.owner, &o.id, as_of).await {
                consumer.apply(&e);
            }
            let (_, fresh) = snapshot(app, &o.owner, &o.id).await;
            assert_eq!(consumer.live(), fresh);
        });
    }
}

//! What the feed refuses (product.md §8), and the audit entries of changes an extension
//! undergoes as a side effect, on SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use seatline_app::events::EventsRequest;
use seatline_app::AppError;
use serde_json::json;

use crate::events::{dbs, last_seq, req};
use crate::support::*;

/// A rule error of the feed: its code and details.
fn refused<T: std::fmt::Debug>(r: Result<T, AppError>) -> seatline_domain::Error {
    match r {
        Err(AppError::Rule(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A cursor past the newest event is 409 `cursor_ahead` with the head, at once even with a
/// wait: an empty page would tell the consumer it is caught up, and it would skip every
/// event up to its cursor for good.
#[tokio::test]
async fn a_cursor_ahead_of_the_head_is_refused_at_once() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "ahead").await;
        let head = last_seq(app, &o.id).await;
        assert!(head > 3, "{}: the setup made events", db.name);

        let e = refused(app.events(&o.owner, &o.id, req(head + 61)).await);
        assert_eq!(e.code.as_str(), "cursor_ahead", "{}: {e}", db.name);
        assert_eq!(e.details["head"], json!(head), "{}", db.name);

        // A long poll is not parked: the answer comes at once.
        let started = Instant::now();
        let waiting = EventsRequest {
            after: head + 1,
            wait: Duration::from_secs(10),
            ..Default::default()
        };
        let e = refused(app.events(&o.owner, &o.id, waiting).await);
        assert_eq!(e.code.as_str(), "cursor_ahead", "{}", db.name);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}: refused after {:?}",
            db.name,
            started.elapsed()
        );

        // At the head is caught up: an empty page keeping the cursor.
        let page = app
            .events(&o.owner, &o.id, req(head))
            .await
            .expect("at the head");
        assert!(page.items.is_empty());
        assert_eq!(page.next_cursor, head.to_string());
        assert!(!page.has_more);
    }
}

/// `limit=0` is outside the documented 1 to 1000 and is refused naming `limit`.
#[tokio::test]
async fn a_zero_limit_is_refused_naming_the_field() {
    let db = crate::events::sqlite_db().await;
    let o = org(&db.app, "limit").await;
    let zero = EventsRequest {
        limit: Some(0),
        ..Default::default()
    };
    let e = refused(db.app.events(&o.owner, &o.id, zero).await);
    assert_eq!(e.code.as_str(), "malformed", "{e}");
    assert_eq!(e.details["field"], "limit", "{e}");
    assert!(e.message.contains("1 to 1000"), "{e}");
}

/// Every change of an extension has its own audit entry: deleting a member (through the API
/// and through SCIM) unassigns its extension, and the log says so for the extension, as the
/// feed does with `extension.unassigned`.
#[tokio::test]
async fn deleting_a_member_audits_its_extensions_unassignment() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "gone").await;
        app.provision(&o.owner, &o.id, 2, "1001")
            .await
            .expect("provision");
        app.assign(&o.owner, &o.id, "1001", &o.member_id, false)
            .await
            .expect("assign");
        app.assign(&o.owner, &o.id, "1002", &o.admin_id, false)
            .await
            .expect("assign");

        // The API: disable, then delete.
        app.update_member(&o.owner, &o.id, &o.member_id, None, Some("disabled"))
            .await
            .expect("disable");
        app.delete_member(&o.owner, &o.id, &o.member_id)
            .await
            .expect("delete");
        // SCIM: one DELETE disables and deletes.
        let scim = app
            .create_scim_token(&o.owner, &o.id, "IdP")
            .await
            .expect("scim token");
        let scim = app.scim_authenticate(&scim.token).await.expect("scim ctx");
        app.scim_delete(&scim, &o.admin_id, |_| Ok(()))
            .await
            .expect("scim delete");

        let log = audit_log(app, &o.id).await;
        for (key, member) in [("1001", &o.member_id), ("1002", &o.admin_id)] {
            let unassigned: Vec<_> = log
                .iter()
                .filter(|a| {
                    a.target == format!("extension:{key}") && a.action == "extension.unassign"
                })
                .collect();
            assert_eq!(unassigned.len(), 1, "{}: {key}: {log:#?}", db.name);
            assert_eq!(
                unassigned[0].before["member"],
                json!(member),
                "{}: the entry names who held it",
                db.name
            );
        }
    }
}

//! Activity reports (product.md §14) on both stores: per-item refusals, unknown extensions
//! ignored, the latest `at` kept so replays change nothing, who may report (an integration
//! token only when created with `can_report_activity`), and `last_activity` on the views.

use chrono::{Duration, SecondsFormat, Utc};
use seatline_domain::ErrorCode;
use serde_json::{json, Value};

use crate::events::dbs;
use crate::support::{audit_log, code, org};

fn ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn item(ext: &str, kind: &str, device: Option<&str>, at: &str) -> Value {
    json!({"extension": ext, "kind": kind, "device": device, "at": at})
}

#[tokio::test]
async fn a_report_keeps_the_latest_and_lists_what_it_did_not_take() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "act").await;
        app.provision(&o.owner, &o.id, 2, "1001")
            .await
            .expect("provision");
        app.assign(&o.owner, &o.id, "1001", &o.member_id, false)
            .await
            .expect("assign");
        let (old, new) = (ago(48), ago(2));
        let future = (Utc::now() + Duration::minutes(6)).to_rfc3339();
        let items = vec![
            item("1001", "call", None, &old),
            item("1001", "call", None, &new),
            item("1001", "registration", Some("web_rtc"), &old),
            item("4321", "call", None, &new),
            item("1001", "call", None, &future),
            item("1001", "dance", None, &new),
        ];
        let r = app
            .report_activity(&o.owner, &o.id, &items)
            .await
            .expect("report");
        assert_eq!((r.recorded, r.changed), (3, 2), "{}: {r:?}", db.name);
        assert_eq!(r.ignored.len(), 1);
        assert_eq!(
            (r.ignored[0].index, r.ignored[0].extension.as_str()),
            (3, "4321")
        );
        let refused: Vec<_> = r
            .refused
            .iter()
            .map(|f| (f.index, f.field.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (4, "at", "activity_in_future"),
                (5, "kind", "invalid_activity_kind")
            ]
        );
        let entries = audit_log(app, &o.id).await;
        let reports = entries
            .iter()
            .filter(|e| e.action == "activity.report")
            .count();
        assert_eq!(reports, 1, "{}", db.name);

        // A replay, and an older report, change nothing and leave no audit entry.
        let again = app
            .report_activity(&o.owner, &o.id, &items)
            .await
            .expect("replay");
        assert_eq!((again.recorded, again.changed), (3, 0), "{}", db.name);
        let older = vec![item("1001", "call", None, &ago(100))];
        let r = app
            .report_activity(&o.owner, &o.id, &older)
            .await
            .expect("older");
        assert_eq!(r.changed, 0);
        let entries = audit_log(app, &o.id).await;
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "activity.report")
                .count(),
            1
        );

        // The extension and its member show the latest per kind and device.
        let ext = app.extension(&o.owner, &o.id, "1001").await.expect("ext");
        let seen: Vec<_> = ext
            .last_activity
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|a| (a.kind.as_str(), a.device.as_deref(), a.at.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("call", None, new.as_str()),
                ("registration", Some("web_rtc"), old.as_str())
            ],
            "{}",
            db.name
        );
        let m = app
            .member(&o.owner, &o.id, &o.member_id)
            .await
            .expect("member");
        assert_eq!(m.last_activity, ext.last_activity);
        let listed = app
            .members(&o.owner, &o.id, None, None)
            .await
            .expect("members");
        let mine = listed
            .items
            .iter()
            .find(|m| m.id == o.member_id)
            .expect("listed");
        assert_eq!(mine.last_activity, ext.last_activity);
        let exts = app
            .extensions(&o.owner, &o.id, Default::default(), None)
            .await
            .expect("extensions");
        assert_eq!(exts.items[0].last_activity, ext.last_activity);
        assert_eq!(exts.items[1].last_activity, Some(Vec::new()));
    }
}

#[tokio::test]
async fn only_tokens_made_to_report_may_and_members_may_not() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "rep").await;
        app.provision(&o.owner, &o.id, 1, "1001")
            .await
            .expect("provision");
        let items = vec![item("1001", "registration", Some("ip_phone"), &ago(1))];
        let plain = app
            .create_integration_token(&o.owner, &o.id, "reader", false)
            .await
            .expect("token");
        let reporter = app
            .create_integration_token(&o.owner, &o.id, "PBX", true)
            .await
            .expect("token");
        assert!(reporter.can_report_activity);
        let plain = app.authenticate(&plain.token).await.expect("auth");
        let reporter = app.authenticate(&reporter.token).await.expect("auth");
        assert_eq!(
            code(app.report_activity(&plain, &o.id, &items).await),
            ErrorCode::Forbidden,
            "{}",
            db.name
        );
        assert_eq!(
            code(app.report_activity(&o.member, &o.id, &items).await),
            ErrorCode::Forbidden
        );
        let r = app
            .report_activity(&reporter, &o.id, &items)
            .await
            .expect("a reporter reports");
        assert_eq!(r.changed, 1);
        // Still its only write.
        assert_eq!(
            code(app.provision(&reporter, &o.id, 1, "2001").await),
            ErrorCode::Forbidden
        );
        let listed = app.integration_tokens(&o.owner, &o.id).await.expect("list");
        let mut flags: Vec<_> = listed
            .items
            .iter()
            .map(|t| (t.name.as_str(), t.can_report_activity))
            .collect();
        flags.sort();
        assert_eq!(flags, [("PBX", true), ("reader", false)]);
        // Another organization's reporter is told the organization does not exist.
        let other = org(app, "rep2").await;
        assert_eq!(
            code(app.report_activity(&reporter, &other.id, &items).await),
            ErrorCode::NotFound
        );
    }
}

/// The sample `Master.csv` in docs/samples: five records, a blank line and three malformed
/// lines (broken quoting twice, a start that is not a date).
const SAMPLE: &[u8] = include_bytes!("../../../../docs/samples/Master.csv");

#[tokio::test]
async fn the_sample_cdr_file_imports_with_its_bad_lines_reported() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "cdr").await;
        app.provision(&o.owner, &o.id, 2, "1001")
            .await
            .expect("provision");
        let utc = chrono::FixedOffset::east_opt(0).unwrap();
        let r = app
            .import_cdr(&o.owner, &o.id, SAMPLE, utc)
            .await
            .expect("import");
        assert_eq!(
            (r.lines, r.records, r.recorded, r.changed),
            (9, 5, 2, 2),
            "{}: {r:?}",
            db.name
        );
        let refused: Vec<_> = r
            .refused
            .iter()
            .map(|f| (f.index, f.field.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (4, "line", "malformed"),
                (6, "start", "invalid_time"),
                (9, "line", "malformed")
            ]
        );
        assert_eq!(r.refused_total, 3);
        assert_eq!(
            (
                r.ignored_total,
                r.ignored[0].index,
                r.ignored[0].extension.as_str()
            ),
            (1, 7, "1003")
        );
        let (owner, id) = (&o.owner, &o.id);
        let calls = |key: &'static str| async move {
            app.extension(owner, id, key)
                .await
                .expect("ext")
                .last_activity
                .expect("shown")
                .into_iter()
                .map(|a| (a.kind, a.device, a.at))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            calls("1001").await,
            [(
                "call".to_owned(),
                None,
                "2026-12-06T08:00:00.000Z".to_owned()
            )]
        );
        assert_eq!(
            calls("1002").await,
            [(
                "call".to_owned(),
                None,
                "2026-12-03T11:00:00.000Z".to_owned()
            )]
        );
        // Imported again: nothing moves. With the PBX two hours ahead of UTC, every call is
        // two hours earlier, so still nothing moves.
        let again = app
            .import_cdr(&o.owner, &o.id, SAMPLE, utc)
            .await
            .expect("again");
        assert_eq!(again.changed, 0);
        let plus_two = chrono::FixedOffset::east_opt(7200).unwrap();
        let shifted = app
            .import_cdr(&o.owner, &o.id, SAMPLE, plus_two)
            .await
            .expect("shifted");
        assert_eq!(shifted.changed, 0);
        let minus_two = chrono::FixedOffset::west_opt(7200).unwrap();
        let later = app
            .import_cdr(&o.owner, &o.id, SAMPLE, minus_two)
            .await
            .expect("later");
        assert_eq!(later.changed, 2);
        assert_eq!(calls("1001").await[0].2, "2026-12-06T10:00:00.000Z");
    }
}

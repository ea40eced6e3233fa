//! Idle copies on both stores (product.md §14): the hand-over read from the audit log gives a
//! fresh copy its grace, activity after it restarts the clock, `at` forecasts, and bad `at`,
//! `idle_days` and idle cleanup kinds are refused naming the field.

use chrono::{Duration, SecondsFormat, Utc};
use seatline_app::reports::IdleParams;
use seatline_domain::{Code, ErrorCode, FindingKind};
use serde_json::json;

use crate::events::dbs;
use crate::support::{code, org};

fn ahead(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn at(d: Duration, days: Option<&str>) -> IdleParams {
    IdleParams {
        at: Some(ahead(d)),
        idle_days: days.map(str::to_owned),
    }
}

#[tokio::test]
async fn idle_copies_count_from_the_later_of_hand_over_and_activity() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "idle").await;
        app.provision(&o.owner, &o.id, 2, "1001")
            .await
            .expect("provision");
        for (k, m) in [("1001", &o.member_id), ("1002", &o.admin_id)] {
            app.assign(&o.owner, &o.id, k, m, false)
                .await
                .expect("assign");
            app.set_addons(&o.owner, &o.id, k, &["device_web_rtc".to_owned()])
                .await
                .expect("add-on");
        }
        // 1001 calls and registers its web phone just after the hand-over (the clock allows
        // 5 minutes of skew): 4 minutes later than the hand-over.
        let soon = ahead(Duration::minutes(4));
        let items = [
            json!({"extension": "1001", "kind": "call", "device": null, "at": soon}),
            json!({"extension": "1001", "kind": "registration", "device": "web_rtc", "at": soon}),
        ];
        app.report_activity(&o.owner, &o.id, &items)
            .await
            .expect("report");

        // Today everything is in its grace: handed over moments ago.
        let now = app.findings(&o.owner, &o.id, None).await.expect("findings");
        assert!(
            !now.iter().any(|f| f.kind.is_idle()),
            "{}: {now:?}",
            db.name
        );
        let u = app.usage_report(&o.owner, &o.id).await.expect("usage");
        assert!(u.items.iter().all(|i| i.idle == 0), "{}", db.name);

        // 30 days and 2 minutes ahead: 1002 was handed over 30 days before (idle); 1001's
        // activity is 2 minutes short of 30 days (not idle).
        let p = at(Duration::days(30) + Duration::minutes(2), None);
        let f = app
            .findings_at(&o.owner, &o.id, None, &p)
            .await
            .expect("forecast");
        let idle: Vec<(String, FindingKind)> = f
            .iter()
            .filter(|f| f.kind.is_idle())
            .map(|f| (f.extension.unwrap().to_string(), f.kind))
            .collect();
        assert_eq!(
            idle,
            [
                ("1002".to_owned(), FindingKind::IdleExtension),
                ("1002".to_owned(), FindingKind::IdleDevice)
            ],
            "{}",
            db.name
        );
        let u = app
            .usage_report_at(&o.owner, &o.id, &p)
            .await
            .expect("usage");
        let line = |c: Code| u.items.iter().find(|i| i.code == c).unwrap();
        assert_eq!(
            (
                line(Code::PhoneSystem).idle,
                line(Code::PhoneSystem).productive
            ),
            (1, 1),
            "{}",
            db.name
        );
        assert_eq!(line(Code::DeviceWebRtc).idle, 1, "{}", db.name);

        // A longer threshold keeps 1002 out of it; a kind filter keeps one kind.
        let long = at(Duration::days(30) + Duration::minutes(2), Some("60"));
        let f = app.findings_at(&o.owner, &o.id, None, &long).await.unwrap();
        assert!(!f.iter().any(|f| f.kind.is_idle()), "{}", db.name);
        let one = app
            .findings_at(&o.owner, &o.id, Some("idle_device"), &p)
            .await
            .unwrap();
        assert_eq!(one.len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn bad_at_idle_days_and_idle_cleanup_kinds_are_refused() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, "idlebad").await;
        let far = at(Duration::days(401), None);
        let e = app
            .findings_at(&o.owner, &o.id, None, &far)
            .await
            .unwrap_err();
        let seatline_app::AppError::Rule(e) = e else {
            panic!("{}: a store error: {e}", db.name)
        };
        assert_eq!(
            (e.code, e.details["field"].as_str()),
            (ErrorCode::InvalidTime, Some("at"))
        );
        let garbled = IdleParams {
            at: Some("next week".into()),
            idle_days: None,
        };
        assert_eq!(
            code(app.usage_report_at(&o.owner, &o.id, &garbled).await),
            ErrorCode::InvalidTime
        );
        let zero = IdleParams {
            at: None,
            idle_days: Some("0".into()),
        };
        assert_eq!(
            code(app.usage_report_at(&o.owner, &o.id, &zero).await),
            ErrorCode::Malformed
        );
        let kinds = ["idle_device".to_owned()];
        assert_eq!(
            code(app.cleanup_plan(&o.owner, &o.id, &kinds, None).await),
            ErrorCode::InvalidFindingKind,
            "{}",
            db.name
        );
    }
}

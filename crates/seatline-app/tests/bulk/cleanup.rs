//! The usage report, findings and cleanup plans (product.md §11) through the use cases, on
//! every store: an organization with one example of every finding kind (the same as the
//! domain's `tests/it/reports.rs`), golden JSON and CSV, and cleanup plans applied through
//! the bulk plan machinery: atomic, stale-checked, applied once.

use std::collections::BTreeSet;
use std::time::Duration;

use seatline_app::events::EventsRequest;
use seatline_app::{AppError, Ctx};
use seatline_domain::lifecycle::SubscriptionUpdate;
use seatline_domain::permissions::Actor;
use seatline_domain::plans::PlanStatus;
use seatline_domain::{ErrorCode, MemberId, OrgId, Role, Status, SubState};
use serde_json::Value;

use crate::support::{observe, Org, World};

/// (code, purchased, price in EUR)
const PRICED: [(&str, i64, Option<&str>); 7] = [
    ("phone_system", 10, Some("10.00")),
    ("license_center", 3, Some("20")),
    ("device_web_rtc", 5, Some("2.50")),
    ("license_number", 5, Some("1.25")),
    ("call_recording", 2, Some("3.0000")),
    ("team_chat", 2, Some("4")),
    ("device_mobile_app", 4, None),
];

fn member_ctx(id: &str, role: Role) -> Ctx {
    Ctx {
        actor: Actor::Member {
            id: MemberId(id.to_owned()),
            role,
            status: Status::Active,
            scope: None,
        },
        org: None,
        request_id: None,
    }
}

/// 1001 ann: productive, Contact Center ready. 1002: unassigned, empty. 1003: unassigned
/// with an add-on and a number. 1004: held by a disabled member. 1005 bob: license_center
/// without a device. 1006 the owner: team_chat of a suspended subscription; call_recording
/// over-allocated (2 in use, 1 purchased).
async fn every_kind(w: &World) -> Org {
    let app = &w.app;
    let op = Ctx::operator();
    let created = app
        .create_org(&op, "Usage", "boss@example.com", "Boss")
        .await
        .unwrap();
    let id = OrgId(created.id.clone());
    for (code, quantity, price) in PRICED {
        let req = SubscriptionUpdate {
            quantity: Some(quantity),
            unit_price: price.map(|p| Some(p.parse().unwrap())),
            currency: price.map(|_| Some("EUR".parse().unwrap())),
            ..Default::default()
        };
        app.set_subscription(&op, &id, code, req).await.unwrap();
    }
    app.add_number(&op, &id, "+6531000001").await.unwrap();
    let mut owner = member_ctx(&created.owner.id, Role::Owner);
    owner.org = Some(id.clone());
    let mut emails = Vec::new();
    for m in ["ann", "dis", "bob"] {
        let v = app
            .create_member(&owner, &id, &format!("{m}@example.com"), m, "member")
            .await
            .unwrap();
        emails.push(v.email);
    }
    app.provision(&owner, &id, 6, "1001").await.unwrap();
    let s = |v: &[&str]| v.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    let setup: [(&str, Option<&str>, &[&str]); 6] = [
        (
            "1001",
            Some("ann@example.com"),
            &["license_center", "device_web_rtc"],
        ),
        ("1002", None, &[]),
        ("1003", None, &["device_web_rtc", "license_number"]),
        (
            "1004",
            Some("dis@example.com"),
            &["device_web_rtc", "call_recording"],
        ),
        ("1005", Some("bob@example.com"), &["license_center"]),
        (
            "1006",
            Some("boss@example.com"),
            &["call_recording", "team_chat"],
        ),
    ];
    for (key, member, addons) in setup {
        if let Some(m) = member {
            app.assign(&owner, &id, key, m, false).await.unwrap();
        }
        app.set_addons(&owner, &id, key, &s(addons)).await.unwrap();
    }
    app.set_numbers(&owner, &id, "1003", &s(&["+6531000001"]))
        .await
        .unwrap();
    app.update_member(&owner, &id, "dis@example.com", None, Some("disabled"))
        .await
        .unwrap();
    // Billing: team_chat suspended, call_recording renewed for one seat fewer than in use.
    let suspend = SubscriptionUpdate {
        state: Some(SubState::Suspended),
        ..Default::default()
    };
    app.set_subscription(&op, &id, "team_chat", suspend)
        .await
        .unwrap();
    let fewer = SubscriptionUpdate {
        quantity: Some(1),
        allow_over_allocation: true,
        ..Default::default()
    };
    app.set_subscription(&op, &id, "call_recording", fewer)
        .await
        .unwrap();
    Org { id, owner }
}

/// Member ids are random: name them by email so the golden files hold.
async fn stable(w: &World, o: &Org, v: Value) -> String {
    let mut text = serde_json::to_string_pretty(&v).unwrap();
    let members = w
        .app
        .members(&o.owner, &o.id, None, Some(100))
        .await
        .unwrap();
    for m in members.items {
        text = text.replace(&m.id, &format!("<id of {}>", m.email));
    }
    text
}

/// Compare with a golden file under tests/bulk/golden; `SEATLINE_UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, got: &str) {
    let path = format!("{}/tests/bulk/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var("SEATLINE_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(got, want, "{name} differs from the golden file");
}

async fn kinds(w: &World, o: &Org) -> BTreeSet<String> {
    w.app
        .findings(&o.owner, &o.id, None)
        .await
        .unwrap()
        .iter()
        .map(|f| f.kind.to_string())
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

const ALL: [&str; 7] = [
    "extension_unassigned",
    "addon_on_unassigned_extension",
    "number_on_unassigned_extension",
    "disabled_member_holds_extension",
    "contact_center_not_ready",
    "over_allocated",
    "not_effective",
];

#[tokio::test]
async fn usage_and_findings_match_the_golden_files() {
    for w in World::all().await {
        let o = every_kind(&w).await;
        let usage = w.app.usage_report(&o.owner, &o.id).await.unwrap();
        let usage = stable(&w, &o, serde_json::to_value(&usage).unwrap()).await;
        golden("usage.json", &usage);
        let findings = w.app.findings(&o.owner, &o.id, None).await.unwrap();
        golden(
            "findings.json",
            &stable(&w, &o, serde_json::to_value(&findings).unwrap()).await,
        );
        golden(
            "findings.csv",
            &seatline_app::reports::findings_csv(&findings),
        );
        assert_eq!(
            kinds(&w, &o).await,
            ALL.iter().map(|k| k.to_string()).collect()
        );
        // One kind, and a kind that does not exist.
        let one = w
            .app
            .findings(&o.owner, &o.id, Some("not_effective"))
            .await
            .unwrap();
        assert_eq!(one.len(), 1, "{}", w.name);
        let e = w
            .app
            .findings(&o.owner, &o.id, Some("unused"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InvalidFindingKind));
    }
}

#[tokio::test]
async fn a_formula_looking_email_is_neutralised_in_the_csv() {
    let w = World::sqlite().await;
    let o = every_kind(&w).await;
    w.app
        .create_member(&o.owner, &o.id, "=cmd@example.com", "x", "member")
        .await
        .unwrap();
    w.app
        .assign(&o.owner, &o.id, "1002", "=cmd@example.com", false)
        .await
        .unwrap();
    w.app
        .update_member(&o.owner, &o.id, "=cmd@example.com", None, Some("disabled"))
        .await
        .unwrap();
    let f = w
        .app
        .findings(&o.owner, &o.id, Some("disabled_member_holds_extension"))
        .await
        .unwrap();
    let csv = seatline_app::reports::findings_csv(&f);
    assert!(csv.contains(",'=cmd@example.com,"), "{csv}");
    // One number reads as the export writes it; two joined start with `+` and are no number.
    let mut two = w
        .app
        .findings(&o.owner, &o.id, Some("number_on_unassigned_extension"))
        .await
        .unwrap();
    let csv = seatline_app::reports::findings_csv(&two);
    assert!(csv.contains(",license_number,+6531000001,"), "{csv}");
    two[0].numbers.push("+6531000002".parse().unwrap());
    let csv = seatline_app::reports::findings_csv(&two);
    assert!(csv.contains(",'+6531000001 +6531000002,"), "{csv}");
}

#[tokio::test]
async fn cleaning_up_every_kind_leaves_no_finding() {
    for w in World::all().await {
        let o = every_kind(&w).await;
        let (_, _, audit_before) = observe_org(&w, &o).await;
        let seq_before = last_seq(&w, &o).await;
        let plan = w
            .app
            .cleanup_plan(&o.owner, &o.id, &strings(&ALL), None)
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Ready, "{}", w.name);
        assert_eq!(plan.rows, 6);
        // Stored with the bulk plans and read at the same path.
        let stored = w
            .app
            .bulk_get_plan(&o.owner, &o.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored, plan);
        let body = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            body["seats"][0],
            serde_json::json!({"code": "phone_system", "freed": 3})
        );
        assert_eq!(body["cleanup"]["kinds"].as_array().unwrap().len(), 7);
        let applied = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(applied.status, PlanStatus::Applied, "{}", w.name);
        assert!(kinds(&w, &o).await.is_empty(), "{}", w.name);
        let (export, _, audit_after) = observe_org(&w, &o).await;
        assert_eq!(audit_after, audit_before + 6, "one audit entry per row");
        let keys: Vec<&str> = export
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(keys, ["1001", "1005", "1006"], "{}", w.name);
        // Events: one per changed extension, then bulk.applied.
        let events = events_after(&w, &o, seq_before).await;
        assert_eq!(events.last().unwrap(), "bulk.applied", "{events:?}");
        assert!(
            events.iter().any(|e| e == "extension.deprovisioned"),
            "{events:?}"
        );
        // Applying again answers the applied plan and writes nothing.
        let again = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(again.status, PlanStatus::Applied);
        assert_eq!(observe_org(&w, &o).await.2, audit_after, "{}", w.name);
        assert_eq!(events_after(&w, &o, seq_before).await, events);
    }
}

#[tokio::test]
async fn cleaning_up_some_kinds_leaves_the_others() {
    for w in World::all().await {
        let o = every_kind(&w).await;
        let chosen = [
            "number_on_unassigned_extension",
            "addon_on_unassigned_extension",
            "over_allocated",
            "not_effective",
        ];
        let plan = w
            .app
            .cleanup_plan(&o.owner, &o.id, &strings(&chosen), None)
            .await
            .unwrap();
        w.app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        let left = kinds(&w, &o).await;
        let want: BTreeSet<String> = [
            "extension_unassigned",
            "disabled_member_holds_extension",
            "contact_center_not_ready",
        ]
        .iter()
        .map(|k| k.to_string())
        .collect();
        assert_eq!(left, want, "{}", w.name);
        // The number went back to the inventory.
        let numbers = w
            .app
            .numbers(&o.owner, &o.id, None, None)
            .await
            .unwrap()
            .items;
        assert_eq!(numbers[0].extension, None, "{}", w.name);
    }
}

#[tokio::test]
async fn a_plan_the_org_no_longer_matches_is_stale_and_changes_nothing() {
    for w in World::all().await {
        let o = every_kind(&w).await;
        let plan = w
            .app
            .cleanup_plan(&o.owner, &o.id, &strings(&ALL), None)
            .await
            .unwrap();
        // Since then: 1002 was assigned, the disabled member enabled again.
        w.app
            .create_member(&o.owner, &o.id, "eve@example.com", "eve", "member")
            .await
            .unwrap();
        w.app
            .assign(&o.owner, &o.id, "1002", "eve@example.com", false)
            .await
            .unwrap();
        w.app
            .update_member(&o.owner, &o.id, "dis@example.com", None, Some("active"))
            .await
            .unwrap();
        let before = observe_org(&w, &o).await;
        let e = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap_err();
        let AppError::Rule(e) = e else {
            panic!("{}: {e}", w.name)
        };
        assert_eq!(e.code, ErrorCode::PlanStale, "{}", w.name);
        // One problem per extension that changed: 1002, and 1004 (its unassign row; its
        // deprovision row after it is not reported again).
        let errors = e.details["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|e| e["code"] == "cleanup_row_changed"));
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("now held by eve@example.com"),
            "{errors:?}"
        );
        assert!(
            errors[1]["message"]
                .as_str()
                .unwrap()
                .contains("no longer disabled"),
            "{errors:?}"
        );
        assert_eq!(observe_org(&w, &o).await, before, "{}", w.name);
        let stored = w
            .app
            .bulk_get_plan(&o.owner, &o.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored.status, PlanStatus::Ready);
    }
}

#[tokio::test]
async fn a_failure_in_the_middle_of_apply_leaves_the_org_as_before() {
    for w in World::all().await {
        let o = every_kind(&w).await;
        let plan = w
            .app
            .cleanup_plan(&o.owner, &o.id, &strings(&ALL), None)
            .await
            .unwrap();
        let before = observe_org(&w, &o).await;
        let seq = last_seq(&w, &o).await;
        // 1005's entry comes after 1002–1004's changes and entries.
        w.fail_audit_of("extension:1005").await;
        let e = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Store(_)), "{}: {e}", w.name);
        assert_eq!(observe_org(&w, &o).await, before, "{}", w.name);
        assert_eq!(last_seq(&w, &o).await, seq, "no events");
        let stored = w
            .app
            .bulk_get_plan(&o.owner, &o.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored.status, PlanStatus::Ready);
        w.heal().await;
        let applied = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(applied.status, PlanStatus::Applied);
        assert!(kinds(&w, &o).await.is_empty(), "{}", w.name);
    }
}

#[tokio::test]
async fn only_owners_and_admins_read_reports_and_plan_cleanups() {
    let w = World::sqlite().await;
    let o = every_kind(&w).await;
    let ann = w
        .app
        .member(&o.owner, &o.id, "ann@example.com")
        .await
        .unwrap();
    let mut member = member_ctx(&ann.id, Role::Member);
    member.org = Some(o.id.clone());
    let refused = w.app.usage_report(&member, &o.id).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::Forbidden));
    let refused = w
        .app
        .cleanup_plan(&member, &o.id, &strings(&ALL), None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::Forbidden));
    w.app
        .update_member(&o.owner, &o.id, "ann@example.com", Some("admin"), None)
        .await
        .unwrap();
    let mut admin = member_ctx(&ann.id, Role::Admin);
    admin.org = Some(o.id.clone());
    w.app.usage_report(&admin, &o.id).await.unwrap();
    // Another organization's report is not found.
    let other = OrgId("org_other".into());
    let e = w.app.usage_report(&admin, &other).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn cleanup_requests_are_checked() {
    let w = World::sqlite().await;
    let o = every_kind(&w).await;
    let bad = |kinds: &[&str], exts: Option<&[&str]>| {
        let exts = exts.map(strings);
        let app = w.app.clone();
        let (owner, id) = (o.owner.clone(), o.id.clone());
        let kinds = strings(kinds);
        async move {
            app.cleanup_plan(&owner, &id, &kinds, exts.as_deref())
                .await
                .unwrap_err()
                .code()
        }
    };
    assert_eq!(bad(&[], None).await, Some(ErrorCode::InvalidFindingKind));
    assert_eq!(
        bad(&["bogus"], None).await,
        Some(ErrorCode::InvalidFindingKind)
    );
    assert_eq!(
        bad(&["extension_unassigned"], Some(&["12"])).await,
        Some(ErrorCode::InvalidExtKey)
    );
    assert_eq!(
        bad(&["extension_unassigned"], Some(&["4242"])).await,
        Some(ErrorCode::NotFound)
    );
    let only = w
        .app
        .cleanup_plan(
            &o.owner,
            &o.id,
            &strings(&["extension_unassigned"]),
            Some(&strings(&["1002"])),
        )
        .await
        .unwrap();
    assert_eq!(only.rows, 1);
}

async fn observe_org(w: &World, o: &Org) -> (String, String, usize) {
    observe(&w.app, o).await
}

async fn events_after(w: &World, o: &Org, after: i64) -> Vec<String> {
    let page = w
        .app
        .events(
            &Ctx::operator(),
            &o.id,
            EventsRequest {
                after,
                limit: Some(1000),
                types: Vec::new(),
                wait: Duration::ZERO,
            },
        )
        .await
        .unwrap();
    page.items
        .iter()
        .map(|e| {
            let v: Value = serde_json::from_str(e.get()).unwrap();
            v["type"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn last_seq(w: &World, o: &Org) -> i64 {
    let page = w
        .app
        .events(
            &Ctx::operator(),
            &o.id,
            EventsRequest {
                after: 0,
                limit: Some(1000),
                types: Vec::new(),
                wait: Duration::ZERO,
            },
        )
        .await
        .unwrap();
    page.next_cursor.parse().unwrap()
}

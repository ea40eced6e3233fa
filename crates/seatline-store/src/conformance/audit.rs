//! The audit log: appended with the changes, read newest first.

use serde_json::json;

use crate::{AuditEntry, AuditQuery};

use super::fixtures::*;

pub async fn audit_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "a", "owner@a.example").await;
    let entry = |i: i64, action: &str, before, after, request_id: Option<&str>| AuditEntry {
        id: 0,
        at: format!("2026-01-0{}T00:00:00.000Z", i + 1),
        actor: format!("member:mem_{i}"),
        action: action.to_owned(),
        target: format!("extension:{}", 1000 + i),
        before,
        after,
        request_id: request_id.map(str::to_owned),
        // Entries round-trip the teams they name, in order.
        teams: (0..i % 3).map(|t| format!("team_{t}")).collect(),
    };
    let written = vec![
        entry(
            1,
            "x.one",
            json!(null),
            json!({"key": "1001", "addons": ["a", "b"]}),
            Some("r1"),
        ),
        entry(
            2,
            "x.two",
            json!({"nested": {"deep": [1, 2.5, true, null]}}),
            json!(null),
            None,
        ),
        entry(
            3,
            "x.one",
            json!("quote \" and ünïcode ✓"),
            json!(42),
            Some("r3"),
        ),
        entry(4, "x.two", json!([]), json!({}), None),
        entry(
            5,
            "x.one",
            json!({"n": -7}),
            json!({"big": 9_007_199_254_740_993_u64}),
            Some("r5"),
        ),
    ];
    let mut tx = locked(s, &org).await;
    tx.append_audit(&org, &written).await.expect("append");
    tx.commit().await.expect("commit");

    let mut tx = read(s).await;
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        };
        f(&mut q);
        q
    };
    let all = tx.audit(&org, &q(|_| {})).await.expect("audit");
    assert_eq!(all.len(), 6, "five entries and org.create");
    assert_eq!(all[5].action, "org.create");
    assert_eq!(all[5].request_id.as_deref(), Some("req_conformance"));
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    // Entries appended together keep their order in their ids.
    for (got, want) in all[..5].iter().rev().zip(&written) {
        assert_eq!(
            AuditEntry {
                id: 0,
                ..got.clone()
            },
            *want
        );
    }

    let first = tx.audit(&org, &q(|q| q.limit = 2)).await.expect("page 1");
    assert_eq!(first, all[..2]);
    let next = AuditQuery {
        before_id: Some(first[1].id),
        limit: 2,
        ..AuditQuery::default()
    };
    assert_eq!(tx.audit(&org, &next).await.expect("page 2"), all[2..4]);
    let ones = tx
        .audit(&org, &q(|q| q.action = Some("x.one".into())))
        .await
        .expect("by action");
    assert_eq!(
        ones.iter().map(|e| &e.target).collect::<Vec<_>>(),
        ["extension:1005", "extension:1003", "extension:1001"]
    );
    let target = tx
        .audit(&org, &q(|q| q.target = Some("extension:1002".into())))
        .await
        .expect("by target");
    assert_eq!(target, all[3..4]);
    let both = tx
        .audit(
            &org,
            &q(|q| {
                q.action = Some("x.two".into());
                q.target = Some("extension:1001".into());
            }),
        )
        .await
        .expect("by both");
    assert!(both.is_empty());
}

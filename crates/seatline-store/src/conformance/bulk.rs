//! Bulk plans as stored, and bulk changes applied in batches.

use serde_json::json;

use seatline_domain::{rules, Change, Code, Extension};

use crate::PlanRow;

use super::fixtures::*;

pub async fn plans_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "p", "owner@p.example").await;
    let plan = PlanRow {
        id: "plan_1".into(),
        created_at: AT.into(),
        status: "planned".into(),
        body: r#"{"rows":[{"key":"1001"}]}"#.into(),
    };
    let mut tx = locked(s, &org).await;
    tx.insert_plan(&org, &plan).await.expect("insert plan");
    assert_eq!(tx.plan(&org, "plan_1").await.unwrap(), Some(plan.clone()));
    tx.commit().await.expect("commit");

    let applied = PlanRow {
        status: "applied".into(),
        body: r#"{"rows":[]}"#.into(),
        ..plan.clone()
    };
    let mut tx = locked(s, &org).await;
    tx.update_plan(&org, &applied).await.expect("update");
    tx.commit().await.expect("commit");
    let mut tx = read(s).await;
    assert_eq!(tx.plan(&org, "plan_1").await.unwrap(), Some(applied));
    assert_eq!(tx.plan(&org, "plan_2").await.unwrap(), None);
    drop(tx);
    let mut tx = locked(s, &org).await;
    assert!(
        is_constraint(tx.insert_plan(&org, &plan).await),
        "plan ids are unique"
    );
}

/// A bulk change (thousands of extensions with add-ons and numbers, numbers added to the
/// inventory, one audit entry per extension) commits in one transaction; backends must batch
/// it under their parameter limits.
pub async fn bulk_insert(b: &impl Backend) {
    const N: u32 = 12_000;
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "bulk", "owner@bulk.example").await;
    let numbers: Vec<String> = (0..N).map(|i| format!("+65310{i:05}")).collect();
    let exts: Vec<Extension> = (0..N)
        .map(|i| Extension {
            key: key(10_000 + i),
            member: None,
            addons: addons(&[Code::DeviceMobileApp, Code::LicenseNumber, Code::TeamChat]),
            numbers: vec![e164(&numbers[i as usize])],
        })
        .collect();
    let mut d = merge(
        numbers
            .iter()
            .map(|n| rules::add_number(e164(n), None).expect("number")),
    );
    for e in &exts {
        d.audit.push(seatline_domain::AuditRecord {
            action: "extension.provision",
            target: format!("extension:{}", e.key),
            before: json!(null),
            after: e.audit_json(),
        });
    }
    d.changes.push(Change::InsertExtensions(exts.clone()));
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("bulk commit");

    let seats = seats(s, &org).await;
    for code in [
        Code::PhoneSystem,
        Code::DeviceMobileApp,
        Code::LicenseNumber,
        Code::TeamChat,
    ] {
        assert_eq!(seats.get(code).in_use, N, "{code}");
    }
    let snap = snapshot(s, &org).await;
    assert_eq!(snap.extensions, exts);
    assert!(snap.numbers.iter().all(|n| n.extension.is_some()));
    assert_eq!(
        audit_of(s, &org, "extension.provision").await.len(),
        N as usize
    );
}

//! Activity from the PBX and the contact center (product.md §14): the latest `at` per
//! extension, kind and device, kept by a set-based upsert that never moves back, scoped by
//! organization, gone with its extension; and the tokens allowed to report it.

use std::collections::BTreeSet;

use seatline_domain::{rules, ExtKey, OrgId};

use crate::{ActivityRow, IntegrationTokenRow, Store};

use super::fixtures::*;

fn row(k: u32, kind: &str, device: Option<&str>, at: &str) -> ActivityRow {
    ActivityRow {
        extension: key(k),
        kind: kind.to_owned(),
        device: device.map(str::to_owned),
        at: at.to_owned(),
    }
}

async fn upsert(store: &dyn Store, org: &OrgId, rows: &[ActivityRow]) -> u64 {
    let mut tx = locked(store, org).await;
    let n = tx.upsert_activity(org, rows).await.expect("upsert");
    tx.commit().await.expect("commit");
    n
}

async fn kept(store: &dyn Store, org: &OrgId, keys: Option<&[ExtKey]>) -> Vec<ActivityRow> {
    read(store)
        .await
        .activity(org, keys)
        .await
        .expect("activity")
}

pub async fn activity_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "act", "owner@act.test").await;
    let (other, _) = create_org(s, "act2", "owner@act2.test").await;
    set_quantity(s, &org, seatline_domain::Code::PhoneSystem, 10).await;
    set_quantity(s, &other, seatline_domain::Code::PhoneSystem, 10).await;
    provision(s, &org, 3, 1001).await.expect("provision");
    provision(s, &other, 1, 1001).await.expect("provision");

    let mut tx = read(s).await;
    let found = tx
        .existing_keys(&org, &[key(1001), key(1003), key(1009)])
        .await
        .expect("keys");
    assert_eq!(found, BTreeSet::from([key(1001), key(1003)]));
    drop(tx);

    let first = [
        row(1001, "call", None, "2026-12-01T10:00:00.000Z"),
        row(
            1001,
            "registration",
            Some("ip_phone"),
            "2026-12-01T09:00:00.000Z",
        ),
        row(1001, "registration", None, "2026-12-01T08:00:00.000Z"),
        row(
            1002,
            "contact_center_sign_in",
            None,
            "2026-12-02T08:00:00.000Z",
        ),
    ];
    assert_eq!(upsert(s, &org, &first).await, 4);
    // A replay changes nothing; an older report changes nothing; a later one moves forward.
    assert_eq!(upsert(s, &org, &first).await, 0);
    let older = [row(1001, "call", None, "2026-11-30T10:00:00.000Z")];
    assert_eq!(upsert(s, &org, &older).await, 0);
    let later = [
        row(1001, "call", None, "2026-12-03T10:00:00.000Z"),
        row(
            1002,
            "contact_center_sign_in",
            None,
            "2026-12-01T08:00:00.000Z",
        ),
    ];
    assert_eq!(upsert(s, &org, &later).await, 1);
    upsert(
        s,
        &other,
        &[row(1001, "call", None, "2026-12-09T00:00:00.000Z")],
    )
    .await;

    let all = kept(s, &org, None).await;
    assert_eq!(
        all,
        [
            row(1001, "call", None, "2026-12-03T10:00:00.000Z"),
            row(1001, "registration", None, "2026-12-01T08:00:00.000Z"),
            row(
                1001,
                "registration",
                Some("ip_phone"),
                "2026-12-01T09:00:00.000Z"
            ),
            row(
                1002,
                "contact_center_sign_in",
                None,
                "2026-12-02T08:00:00.000Z"
            ),
        ]
    );
    assert_eq!(
        kept(s, &org, Some(&[key(1002), key(1003)])).await,
        [row(
            1002,
            "contact_center_sign_in",
            None,
            "2026-12-02T08:00:00.000Z"
        )]
    );

    // A rolled-back report leaves nothing.
    let mut tx = locked(s, &org).await;
    tx.upsert_activity(&org, &[row(1003, "call", None, "2026-12-04T00:00:00.000Z")])
        .await
        .expect("upsert");
    drop(tx);
    assert!(kept(s, &org, Some(&[key(1003)])).await.is_empty());

    // Deprovisioning takes the extension's activity with it.
    let mut tx = locked(s, &org).await;
    let ext = tx
        .extension(&org, key(1002))
        .await
        .expect("read")
        .expect("ext");
    let d = rules::deprovision(&ext, None).expect("deprovision");
    commit(tx, &org, d).await.expect("commit");
    assert!(kept(s, &org, Some(&[key(1002)])).await.is_empty());

    // An activity row for an extension that does not exist is refused by the schema.
    let mut tx = locked(s, &org).await;
    assert!(is_constraint(
        tx.upsert_activity(&org, &[row(1009, "call", None, AT)])
            .await
    ));
}

pub async fn activity_reporters_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "rep", "owner@rep.test").await;
    let (other, _) = create_org(s, "rep2", "owner@rep2.test").await;
    let token = |id: &str, org: &OrgId| IntegrationTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("PBX {id}"),
        hash: format!("hash_{id}"),
        created_at: AT.to_owned(),
        revoked: false,
    };
    let mut tx = locked(s, &org).await;
    tx.insert_integration_token(&token("int_a", &org))
        .await
        .expect("insert");
    tx.insert_integration_token(&token("int_b", &org))
        .await
        .expect("insert");
    tx.allow_activity_reports(&org, "int_b")
        .await
        .expect("allow");
    // Another organization's id changes nothing here.
    tx.allow_activity_reports(&org, "int_c")
        .await
        .expect("allow");
    tx.commit().await.expect("commit");
    let mut tx = locked(s, &other).await;
    tx.insert_integration_token(&token("int_c", &other))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let mut tx = read(s).await;
    assert_eq!(
        tx.activity_reporters(&org).await.expect("reporters"),
        BTreeSet::from(["int_b".to_owned()])
    );
    assert!(tx
        .activity_reporters(&other)
        .await
        .expect("reporters")
        .is_empty());
}

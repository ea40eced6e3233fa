//! The change feed (product.md §8): events, extension versions, pruning, gapless seqs.

use serde_json::json;
use std::sync::Arc;
use tokio::sync::Barrier;

use seatline_domain::{Change, Code, Extension, OrgId};

use crate::{EventHorizon, EventQuery, EventRow, NewEvent, Store};

use super::fixtures::*;

/// An event as a use case would append it; the body says which seq and type it is.
fn new_event(seq: i64, kind: &str, at: &str, ext: Option<u32>) -> NewEvent {
    let subject = ext.map_or_else(|| "member:m".to_owned(), |k| format!("extension:{k}"));
    NewEvent {
        row: EventRow {
            seq,
            id: format!("evt_{seq}"),
            kind: kind.to_owned(),
            at: at.to_owned(),
            body: json!({"seq": seq, "type": kind, "subject": subject}).to_string(),
        },
        subject,
        extension: ext.map(key),
    }
}

/// Reserve seqs for `kinds` under the lock and append them; the first seq.
async fn append(
    store: &dyn Store,
    org: &OrgId,
    kinds: &[(&str, Option<u32>)],
    at: &str,
    commit: bool,
) -> i64 {
    let mut tx = locked(store, org).await;
    let first = tx
        .reserve_event_seqs(org, kinds.len() as u32)
        .await
        .expect("reserve");
    let events: Vec<NewEvent> = kinds
        .iter()
        .enumerate()
        .map(|(i, (kind, ext))| new_event(first + i as i64, kind, at, *ext))
        .collect();
    tx.append_events(org, &events).await.expect("append");
    if commit {
        tx.commit().await.expect("commit events");
    }
    first
}

async fn events_of(store: &dyn Store, org: &OrgId, q: EventQuery) -> Vec<i64> {
    read(store)
        .await
        .events(org, &q)
        .await
        .expect("events")
        .iter()
        .map(|e| e.seq)
        .collect()
}

async fn horizon(store: &dyn Store, org: &OrgId) -> EventHorizon {
    read(store).await.event_horizon(org).await.expect("horizon")
}

fn after(after: i64, types: &[&str]) -> EventQuery {
    EventQuery {
        after,
        limit: 1000,
        types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// Versions told before the changes (`Tx::expect_versions`): an extension inserted meanwhile
/// carries its version, one that existed gets it from the events, and the org's counter ends
/// at the last seq, whether or not the backend writes versions with the rows.
pub async fn versions_expected_before_apply(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "ver", "owner@ver.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 5).await;
    provision(s, &org, 1, 1001).await.expect("provision");
    let mut tx = locked(s, &org).await;
    let first = tx.reserve_event_seqs(&org, 3).await.expect("reserve");
    assert_eq!(first, 1);
    tx.expect_versions(&[(key(1001), 2), (key(1002), 3)])
        .await
        .expect("expect");
    tx.apply(
        &org,
        &[Change::InsertExtensions(vec![Extension::new(key(1002))])],
    )
    .await
    .expect("insert");
    let events = [
        new_event(1, "member.updated", AT, None),
        new_event(2, "extension.entitlements_changed", AT, Some(1001)),
        new_event(3, "extension.provisioned", AT, Some(1002)),
    ];
    tx.append_events(&org, &events).await.expect("append");
    tx.commit().await.expect("commit");
    let versions = read(s)
        .await
        .extension_versions(&org, &[key(1001), key(1002)])
        .await
        .expect("versions");
    assert_eq!(versions, [(key(1001), 2), (key(1002), 3)]);
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 1, last: 3 });
    assert_eq!(
        append(s, &org, &[("member.updated", None)], AT, true).await,
        4
    );
}

pub async fn events_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "ev", "owner@ev.example").await;
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 1, last: 0 });
    set_quantity(s, &org, Code::PhoneSystem, 5).await;
    provision(s, &org, 2, 1001).await.expect("provision");
    let first = append(
        s,
        &org,
        &[
            ("extension.provisioned", Some(1001)),
            ("extension.provisioned", Some(1002)),
            ("member.created", None),
            ("extension.entitlements_changed", Some(1001)),
        ],
        AT,
        true,
    )
    .await;
    assert_eq!(first, 1, "the feed starts at 1");
    assert_eq!(events_of(s, &org, after(0, &[])).await, [1, 2, 3, 4]);
    assert_eq!(events_of(s, &org, after(2, &[])).await, [3, 4]);
    assert_eq!(events_of(s, &org, after(0, &["member.created"])).await, [3]);
    assert_eq!(
        events_of(s, &org, after(0, &["extension.*"])).await,
        [1, 2, 4]
    );
    assert_eq!(
        events_of(s, &org, after(1, &["extension.provisioned", "member.*"])).await,
        [2, 3]
    );
    assert!(events_of(s, &org, after(0, &["bulk.*"])).await.is_empty());
    let mut q = after(0, &[]);
    q.limit = 2;
    assert_eq!(events_of(s, &org, q).await, [1, 2]);
    let rows = read(s)
        .await
        .events(&org, &after(3, &[]))
        .await
        .expect("events");
    assert_eq!(
        rows,
        [EventRow {
            seq: 4,
            id: "evt_4".into(),
            kind: "extension.entitlements_changed".into(),
            at: AT.into(),
            body: json!({"seq": 4, "type": "extension.entitlements_changed", "subject": "extension:1001"}).to_string(),
        }]
    );
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 1, last: 4 });
    // The last event naming an extension sets its version; unknown keys are skipped.
    let versions = read(s)
        .await
        .extension_versions(&org, &[key(1001), key(1002), key(1003)])
        .await
        .expect("versions");
    assert_eq!(versions, [(key(1001), 4), (key(1002), 2)]);
    assert_eq!(
        append(s, &org, &[("member.updated", None)], AT, true).await,
        5
    );
}

pub async fn events_rollback_and_isolation(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "evr", "owner@evr.example").await;
    let (other, _) = create_org(s, "evo", "owner@evo.example").await;
    append(s, &org, &[("member.created", None)], AT, true).await;
    // A rolled-back transaction leaves neither its events nor its seqs behind.
    append(
        s,
        &org,
        &[("member.updated", None), ("member.disabled", None)],
        AT,
        false,
    )
    .await;
    assert_eq!(horizon(s, &org).await.last, 1);
    assert_eq!(
        append(s, &org, &[("member.enabled", None)], AT, true).await,
        2
    );
    assert_eq!(events_of(s, &org, after(0, &[])).await, [1, 2]);
    // Each organization has its own feed.
    assert!(events_of(s, &other, after(0, &[])).await.is_empty());
    assert_eq!(
        append(s, &other, &[("member.created", None)], AT, true).await,
        1
    );
    assert_eq!(events_of(s, &org, after(0, &[])).await, [1, 2]);
    assert_eq!(
        horizon(s, &OrgId("org_missing".into())).await,
        EventHorizon { oldest: 1, last: 0 }
    );
}

pub async fn events_prune_keeps_a_suffix(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "evp", "owner@evp.example").await;
    let (other, _) = create_org(s, "evq", "owner@evq.example").await;
    append(
        s,
        &org,
        &[("member.created", None); 3],
        "2026-01-01T00:00:00.000Z",
        true,
    )
    .await;
    append(
        s,
        &org,
        &[("member.updated", None)],
        "2026-01-03T00:00:00.000Z",
        true,
    )
    .await;
    // A clock behind the others stamped this later event earlier: still it is kept, the feed
    // is pruned as a prefix.
    append(
        s,
        &org,
        &[("member.updated", None)],
        "2026-01-01T00:00:00.000Z",
        true,
    )
    .await;
    append(
        s,
        &other,
        &[("member.created", None)],
        "2026-01-05T00:00:00.000Z",
        true,
    )
    .await;
    let pruned = s
        .events_prune("2026-01-02T00:00:00.000Z")
        .await
        .expect("prune");
    assert_eq!(pruned, 3);
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 4, last: 5 });
    assert_eq!(events_of(s, &org, after(0, &[])).await, [4, 5]);
    assert_eq!(
        s.events_prune("2026-02-01T00:00:00.000Z")
            .await
            .expect("prune"),
        3
    );
    // With everything pruned the horizon is just past the last seq.
    assert_eq!(horizon(s, &org).await, EventHorizon { oldest: 6, last: 5 });
    assert_eq!(
        horizon(s, &other).await,
        EventHorizon { oldest: 2, last: 1 }
    );
    assert_eq!(
        append(s, &org, &[("member.updated", None)], AT, true).await,
        6
    );
}

/// 8 writers from two pools append 25 transactions of 1–3 events each: the feed holds every
/// seq from 1 once, in order, with nothing lost or doubled.
pub async fn events_gapless_two_pools(b: &impl Backend) {
    let stores = [b.store().await, b.store().await];
    let (org, _) = create_org(&*stores[0], "evg", "owner@evg.example").await;
    let start = Arc::new(Barrier::new(8));
    let writers: Vec<_> = (0..8usize)
        .map(|w| {
            let store = stores[w % 2].clone();
            let (org, start) = (org.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut n = 0;
                for i in 0..25usize {
                    let count = 1 + (w + i) % 3;
                    append(
                        &*store,
                        &org,
                        &vec![("member.updated", None); count],
                        AT,
                        true,
                    )
                    .await;
                    n += count;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for w in writers {
        total += w.await.expect("writer panicked");
    }
    let seqs = events_of(
        &*stores[1],
        &org,
        EventQuery {
            after: 0,
            limit: u32::MAX,
            types: vec![],
        },
    )
    .await;
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    assert_eq!(horizon(&*stores[0], &org).await.last, total as i64);
}

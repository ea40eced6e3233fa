//! Remembered responses and the claims of requests still running.

use std::sync::Arc;
use tokio::sync::Barrier;

use crate::{IdempotencyRow, IDEMPOTENCY_PENDING};

use super::fixtures::*;

pub async fn idempotency_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let done = |scope: &str, body: &str, at: &str| IdempotencyRow {
        scope: scope.into(),
        key: "k1".into(),
        request_hash: "sha_1".into(),
        status: 201,
        body: body.into(),
        created_at: at.into(),
    };
    let t1 = "2026-01-01T00:00:00.000Z";
    let t3 = "2026-01-03T00:00:00.000Z";
    let long_ago = "2000-01-01T00:00:00.000Z";
    assert_eq!(s.idempotency_get("org_a", "k1").await.unwrap(), None);
    assert!(s
        .idempotency_claim("org_a", "k1", "sha_1", t1, long_ago)
        .await
        .unwrap());
    assert_eq!(
        s.idempotency_get("org_a", "k1").await.unwrap(),
        Some(IdempotencyRow {
            status: IDEMPOTENCY_PENDING,
            body: String::new(),
            ..done("org_a", "", t1)
        }),
        "a claim is a pending row"
    );
    assert!(
        !s.idempotency_claim("org_a", "k1", "sha_1", t3, long_ago)
            .await
            .unwrap(),
        "a fresh claim is not taken twice"
    );
    let first = done("org_a", "first", t1);
    assert!(s.idempotency_complete(&first).await.unwrap());
    assert!(
        !s.idempotency_complete(&done("org_a", "second", t1))
            .await
            .unwrap(),
        "a completed row is not completed again"
    );
    assert!(
        !s.idempotency_claim("org_a", "k1", "sha_1", t3, t3)
            .await
            .unwrap(),
        "a completed row is never taken over, however old"
    );
    s.idempotency_release("org_a", "k1", t1).await.unwrap();
    assert_eq!(
        s.idempotency_get("org_a", "k1").await.unwrap(),
        Some(first.clone()),
        "the first response stays, release leaves a completed row alone"
    );

    // A stale claim of the same request is taken over; the old claimer can then neither
    // complete nor release it.
    assert!(s
        .idempotency_claim("org_b", "k1", "sha_1", t1, long_ago)
        .await
        .unwrap());
    assert!(
        !s.idempotency_claim("org_b", "k1", "sha_other", t3, t3)
            .await
            .unwrap(),
        "another request never takes a claim over"
    );
    assert!(s
        .idempotency_claim("org_b", "k1", "sha_1", t3, "2026-01-02T00:00:00.000Z")
        .await
        .unwrap());
    assert!(!s
        .idempotency_complete(&done("org_b", "late", t1))
        .await
        .unwrap());
    s.idempotency_release("org_b", "k1", t1).await.unwrap();
    let other = done("org_b", "other", t3);
    assert!(s.idempotency_complete(&other).await.unwrap());
    assert_eq!(
        s.idempotency_get("org_b", "k1").await.unwrap(),
        Some(other.clone())
    );

    // A released claim is gone, and the key can be claimed again at once.
    assert!(s
        .idempotency_claim("org_c", "k1", "sha_1", t3, long_ago)
        .await
        .unwrap());
    s.idempotency_release("org_c", "k1", t3).await.unwrap();
    assert_eq!(s.idempotency_get("org_c", "k1").await.unwrap(), None);
    assert!(s
        .idempotency_claim("org_c", "k1", "sha_1", t3, long_ago)
        .await
        .unwrap());
    s.idempotency_release("org_c", "k1", t3).await.unwrap();

    assert_eq!(
        s.idempotency_prune("2026-01-02T00:00:00.000Z")
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.idempotency_get("org_a", "k1").await.unwrap(), None);
    assert_eq!(s.idempotency_get("org_b", "k1").await.unwrap(), Some(other));
    assert_eq!(
        s.idempotency_prune("2026-01-02T00:00:00.000Z")
            .await
            .unwrap(),
        0
    );
}

/// Of many concurrent claims of one key, through as many connections, exactly one wins.
pub async fn idempotency_claim_race(b: &impl Backend) {
    let stores = [b.store().await, b.store().await];
    let start = Arc::new(Barrier::new(16));
    let claims = (0..16).map(|i| {
        let s = stores[i % 2].clone();
        let start = start.clone();
        tokio::spawn(async move {
            start.wait().await;
            s.idempotency_claim("org_a", "k1", "sha_1", AT, "2000-01-01T00:00:00.000Z")
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for c in claims.collect::<Vec<_>>() {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1);
}

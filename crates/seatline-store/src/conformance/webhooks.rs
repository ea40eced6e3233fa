//! Webhooks: endpoints, deliveries, and the delivery worker's claims.

use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::Barrier;

use seatline_domain::OrgId;

use super::fixtures::*;

fn webhook_row(org: &OrgId, id: &str, at: &str) -> crate::WebhookRow {
    crate::WebhookRow {
        id: id.to_owned(),
        org: org.clone(),
        url: "https://hooks.example/in".to_owned(),
        types: vec!["extension.*".to_owned()],
        description: "PBX".to_owned(),
        enabled: true,
        disabled_reason: None,
        secrets: vec![crate::WebhookSecret {
            secret: "whsec_a".to_owned(),
            expires_at: None,
        }],
        created_at: at.to_owned(),
        cursor: 0,
        failing_since: None,
    }
}

fn delivery_row(org: &OrgId, endpoint: &str, seq: i64, due: &str) -> crate::DeliveryRow {
    crate::DeliveryRow {
        id: 0,
        org: org.clone(),
        endpoint: endpoint.to_owned(),
        event_seq: seq,
        event_id: format!("evt_{seq}"),
        event_type: "extension.provisioned".to_owned(),
        body: format!(r#"{{"seq":{seq}}}"#),
        status: "pending".to_owned(),
        attempts: 0,
        next_attempt_at: due.to_owned(),
        last_status: None,
        last_error: None,
        last_duration_ms: None,
        created_at: AT.to_owned(),
        updated_at: AT.to_owned(),
    }
}

fn all_deliveries(status: Option<&str>) -> crate::DeliveryQuery {
    crate::DeliveryQuery {
        status: status.map(str::to_owned),
        before_id: None,
        limit: u32::MAX,
    }
}

const LATER: &str = "2026-01-01T00:10:00.000Z";

/// Endpoints round-trip, move their cursor only from where it is, and are invisible to other
/// organizations; deliveries list newest first by status and cursor and go with their endpoint.
pub async fn webhooks_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let (other, _) = create_org(s, "b", "owner@b.example").await;
    let w = webhook_row(&a, "whk_1", AT);
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&w).await.unwrap();
    tx.insert_webhook(&webhook_row(&a, "whk_2", LATER))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = read(s).await;
    assert_eq!(tx.webhook(&a, "whk_1").await.unwrap(), Some(w.clone()));
    let ids: Vec<String> = tx
        .webhooks(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(ids, ["whk_1", "whk_2"]);
    assert_eq!(tx.webhook(&other, "whk_1").await.unwrap(), None);
    assert!(tx.webhooks(&other).await.unwrap().is_empty());
    drop(tx);

    let mut changed = w.clone();
    changed.url = "https://hooks.example/v2".to_owned();
    changed.types = Vec::new();
    changed.enabled = false;
    changed.disabled_reason = Some("disabled by member:own_a".to_owned());
    changed.secrets.push(crate::WebhookSecret {
        secret: "whsec_b".to_owned(),
        expires_at: Some(LATER.to_owned()),
    });
    changed.failing_since = Some(AT.to_owned());
    changed.cursor = 99; // not stored by update_webhook
    let mut tx = locked(s, &a).await;
    assert!(tx.update_webhook(&changed).await.unwrap());
    let mut foreign = changed.clone();
    foreign.org = other.clone();
    assert!(!tx.update_webhook(&foreign).await.unwrap());
    assert!(tx.advance_webhook(&a, "whk_1", 0, 5).await.unwrap());
    assert!(
        !tx.advance_webhook(&a, "whk_1", 0, 6).await.unwrap(),
        "moved only from where it is"
    );
    assert!(!tx.advance_webhook(&other, "whk_1", 5, 6).await.unwrap());
    tx.commit().await.unwrap();
    let stored = read(s).await.webhook(&a, "whk_1").await.unwrap().unwrap();
    changed.cursor = 5;
    assert_eq!(stored, changed);

    let mut tx = locked(s, &a).await;
    let rows: Vec<_> = (1..=5)
        .map(|seq| delivery_row(&a, "whk_1", seq, AT))
        .collect();
    tx.insert_deliveries(&rows).await.unwrap();
    tx.insert_deliveries(&[delivery_row(&a, "whk_2", 1, AT)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = read(s).await;
    let got = tx
        .deliveries(&a, "whk_1", &all_deliveries(None))
        .await
        .unwrap();
    let seqs: Vec<i64> = got.iter().map(|d| d.event_seq).collect();
    assert_eq!(seqs, [5, 4, 3, 2, 1], "newest first");
    assert!(got.windows(2).all(|w| w[0].id > w[1].id));
    let first = &got[4];
    assert_eq!(
        (
            first.event_id.as_str(),
            first.body.as_str(),
            first.status.as_str(),
            first.attempts
        ),
        ("evt_1", r#"{"seq":1}"#, "pending", 0)
    );
    let page = tx
        .deliveries(
            &a,
            "whk_1",
            &crate::DeliveryQuery {
                status: None,
                before_id: Some(got[1].id),
                limit: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.iter().map(|d| d.event_seq).collect::<Vec<_>>(), [3, 2]);
    assert!(tx
        .deliveries(&a, "whk_1", &all_deliveries(Some("failed")))
        .await
        .unwrap()
        .is_empty());
    assert!(tx
        .deliveries(&other, "whk_1", &all_deliveries(None))
        .await
        .unwrap()
        .is_empty());
    drop(tx);

    let mut tx = locked(s, &a).await;
    assert!(!tx.delete_webhook(&other, "whk_1").await.unwrap());
    assert!(tx.delete_webhook(&a, "whk_1").await.unwrap());
    assert!(!tx.delete_webhook(&a, "whk_1").await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = read(s).await;
    assert!(tx
        .deliveries(&a, "whk_1", &all_deliveries(None))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        tx.deliveries(&a, "whk_2", &all_deliveries(None))
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Claims take due deliveries of enabled endpoints once, count the attempt, expire, and guard
/// the recording of an outcome; outcomes keep the endpoint's run of failures.
pub async fn delivery_claims(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut off = webhook_row(&a, "whk_off", AT);
    off.enabled = false;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_on", AT))
        .await
        .unwrap();
    tx.insert_webhook(&off).await.unwrap();
    tx.insert_deliveries(&[
        delivery_row(&a, "whk_on", 1, AT),
        delivery_row(&a, "whk_on", 2, LATER),
        delivery_row(&a, "whk_off", 1, AT),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let enabled: Vec<String> = s
        .enabled_webhooks()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(enabled, ["whk_on"]);

    let t1 = "2026-01-01T00:00:01.000Z";
    let until = "2026-01-01T00:00:21.000Z";
    let got = s
        .claim_deliveries(t1, "clm_1", until, 10, 64)
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "only what is due, of enabled endpoints");
    let d = &got[0];
    assert_eq!(
        (d.event_seq, d.status.as_str(), d.attempts),
        (1, "delivering", 1)
    );
    assert!(
        s.claim_deliveries(t1, "clm_2", until, 10, 64)
            .await
            .unwrap()
            .is_empty(),
        "claimed once"
    );

    // The claim expires: its process died. Another claimer takes it, and the first one's
    // outcome is no longer recorded.
    let t2 = "2026-01-01T00:00:22.000Z";
    let again = s
        .claim_deliveries(t2, "clm_3", "2026-01-01T00:00:42.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(),
        [(d.id, 2)]
    );
    let failed = crate::DeliveryOutcome {
        id: d.id,
        claim: "clm_1".to_owned(),
        status: "pending".to_owned(),
        next_attempt_at: "2026-01-01T00:00:27.000Z".to_owned(),
        last_status: Some(500),
        last_error: Some("the endpoint answered 500".to_owned()),
        last_duration_ms: 12,
        at: t2.to_owned(),
        succeeded: false,
    };
    assert_eq!(
        s.finish_deliveries(std::slice::from_ref(&failed))
            .await
            .unwrap(),
        [false]
    );
    let failed = crate::DeliveryOutcome {
        claim: "clm_3".to_owned(),
        ..failed
    };
    assert_eq!(
        s.finish_deliveries(std::slice::from_ref(&failed))
            .await
            .unwrap(),
        [true]
    );
    assert_eq!(
        s.finish_deliveries(std::slice::from_ref(&failed))
            .await
            .unwrap(),
        [false],
        "recorded once"
    );
    let mut tx = read(s).await;
    let stored = tx
        .deliveries(&a, "whk_on", &all_deliveries(Some("pending")))
        .await
        .unwrap();
    let row = stored.iter().find(|r| r.id == d.id).unwrap();
    assert_eq!(
        (
            row.attempts,
            row.last_status,
            row.last_error.as_deref(),
            row.last_duration_ms
        ),
        (2, Some(500), Some("the endpoint answered 500"), Some(12))
    );
    assert_eq!(row.next_attempt_at, "2026-01-01T00:00:27.000Z");
    let hook = tx.webhook(&a, "whk_on").await.unwrap().unwrap();
    assert_eq!(
        hook.failing_since.as_deref(),
        Some(t2),
        "a failure starts the run"
    );
    drop(tx);

    // The retry is due at its time; a later failure keeps the run's start, a success ends it.
    assert!(s
        .claim_deliveries("2026-01-01T00:00:26.999Z", "clm_4", until, 10, 64)
        .await
        .unwrap()
        .is_empty());
    let retry = s
        .claim_deliveries(LATER, "clm_5", "2026-01-01T00:10:20.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(
        retry.iter().map(|d| d.event_seq).collect::<Vec<_>>(),
        [1, 2],
        "oldest due first"
    );
    let at = "2026-01-01T00:10:01.000Z";
    let outcome = |id: i64, ok: bool| crate::DeliveryOutcome {
        id,
        claim: "clm_5".to_owned(),
        status: if ok { "succeeded" } else { "pending" }.to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(if ok { 200 } else { 503 }),
        last_error: None,
        last_duration_ms: 3,
        at: at.to_owned(),
        succeeded: ok,
    };
    assert_eq!(
        s.finish_deliveries(&[outcome(retry[1].id, false)])
            .await
            .unwrap(),
        [true]
    );
    let hook = read(s).await.webhook(&a, "whk_on").await.unwrap().unwrap();
    assert_eq!(hook.failing_since.as_deref(), Some(t2));
    assert_eq!(
        s.finish_deliveries(&[outcome(retry[0].id, true)])
            .await
            .unwrap(),
        [true]
    );
    let hook = read(s).await.webhook(&a, "whk_on").await.unwrap().unwrap();
    assert_eq!(hook.failing_since, None);
    let done = read(s)
        .await
        .deliveries(&a, "whk_on", &all_deliveries(Some("succeeded")))
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert!(
        s.claim_deliveries(
            "2030-01-01T00:00:00.000Z",
            "clm_6",
            "2030-01-01T00:00:20.000Z",
            10,
            64
        )
        .await
        .unwrap()
        .iter()
        .all(|d| d.id != retry[0].id),
        "a succeeded delivery is never claimed again"
    );
}

/// A round's outcomes are recorded together: each only under its own live claim, the
/// endpoint's run of failures following them in order.
pub async fn delivery_outcomes_in_one_batch(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_1", AT))
        .await
        .unwrap();
    tx.insert_deliveries(&[
        delivery_row(&a, "whk_1", 1, AT),
        delivery_row(&a, "whk_1", 2, AT),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(s.finish_deliveries(&[]).await.unwrap().is_empty());
    let t1 = "2026-01-01T00:00:01.000Z";
    let first = s
        .claim_deliveries(t1, "clm_a", "2026-01-01T00:00:21.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    // The first delivery's claim expires and another claimer takes it over.
    let t2 = "2026-01-01T00:00:22.000Z";
    let taken = s
        .claim_deliveries(t2, "clm_b", "2026-01-01T01:00:00.000Z", 1, 64)
        .await
        .unwrap();
    assert_eq!(
        taken.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first[0].id]
    );
    let outcome = |id: i64, claim: &str, ok: bool, at: &str| crate::DeliveryOutcome {
        id,
        claim: claim.to_owned(),
        status: if ok { "succeeded" } else { "pending" }.to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(if ok { 200 } else { 503 }),
        last_error: None,
        last_duration_ms: 4,
        at: at.to_owned(),
        succeeded: ok,
    };
    let t3 = "2026-01-01T00:00:23.000Z";
    let recorded = s
        .finish_deliveries(&[
            outcome(first[0].id, "clm_a", false, t3),
            outcome(first[1].id, "clm_a", false, t3),
        ])
        .await
        .unwrap();
    assert_eq!(recorded, [false, true], "only under the claim still held");
    let hook = read(s).await.webhook(&a, "whk_1").await.unwrap().unwrap();
    assert_eq!(
        hook.failing_since.as_deref(),
        Some(t3),
        "a failure starts the run"
    );
    // A failure then a success in one batch: applied in order, the run ends.
    let t4 = "2026-01-01T00:00:24.000Z";
    let retry = s
        .claim_deliveries(LATER, "clm_c", "2026-01-01T00:20:00.000Z", 10, 64)
        .await
        .unwrap();
    assert_eq!(
        retry.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first[1].id]
    );
    assert_eq!(
        s.finish_deliveries(&[
            outcome(first[0].id, "clm_b", false, t4),
            outcome(first[1].id, "clm_c", true, t4),
        ])
        .await
        .unwrap(),
        [true, true]
    );
    let hook = read(s).await.webhook(&a, "whk_1").await.unwrap().unwrap();
    assert_eq!(hook.failing_since, None);
    let stored = read(s)
        .await
        .deliveries(&a, "whk_1", &all_deliveries(None))
        .await
        .unwrap();
    let status = |id: i64| {
        let r = stored.iter().find(|r| r.id == id).unwrap();
        (r.status.clone(), r.attempts, r.last_status)
    };
    assert_eq!(status(first[0].id), ("pending".to_owned(), 2, Some(503)));
    assert_eq!(status(first[1].id), ("succeeded".to_owned(), 2, Some(200)));
}

/// An endpoint gets at most `per_endpoint` deliveries under live claims: the rest of its
/// backlog stays pending, another endpoint's deliveries are claimed beside it, and a slot
/// freed by a recorded outcome is taken by the next of its backlog (issue 28).
pub async fn delivery_claims_leave_a_busy_endpoints_backlog(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    for id in ["whk_slow", "whk_fast"] {
        tx.insert_webhook(&webhook_row(&a, id, AT)).await.unwrap();
    }
    let mut rows: Vec<_> = (1..=5)
        .map(|seq| delivery_row(&a, "whk_slow", seq, AT))
        .collect();
    rows.push(delivery_row(&a, "whk_fast", 6, LATER));
    tx.insert_deliveries(&rows).await.unwrap();
    tx.commit().await.unwrap();
    let until = "2026-01-01T01:00:00.000Z";
    let seqs = |got: &[crate::DeliveryRow]| got.iter().map(|d| d.event_seq).collect::<Vec<_>>();

    let first = s
        .claim_deliveries(LATER, "clm_1", until, 10, 2)
        .await
        .unwrap();
    assert_eq!(
        seqs(&first),
        [1, 2, 6],
        "two of the slow endpoint's, and the other's"
    );
    assert!(
        s.claim_deliveries(LATER, "clm_2", until, 10, 2)
            .await
            .unwrap()
            .is_empty(),
        "a busy endpoint's backlog is not claimed"
    );
    let done = crate::DeliveryOutcome {
        id: first[0].id,
        claim: "clm_1".to_owned(),
        status: "succeeded".to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(200),
        last_error: None,
        last_duration_ms: 5_000,
        at: LATER.to_owned(),
        succeeded: true,
    };
    assert_eq!(s.finish_deliveries(&[done]).await.unwrap(), [true]);
    let next = s
        .claim_deliveries(LATER, "clm_3", until, 10, 2)
        .await
        .unwrap();
    assert_eq!(
        seqs(&next),
        [3],
        "a freed slot takes the next of the backlog"
    );
    // The overall limit still applies with slots to spare.
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_more", AT))
        .await
        .unwrap();
    tx.insert_deliveries(&[
        delivery_row(&a, "whk_more", 7, AT),
        delivery_row(&a, "whk_more", 8, AT),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let one = s
        .claim_deliveries(LATER, "clm_4", until, 1, 2)
        .await
        .unwrap();
    assert_eq!(seqs(&one), [7]);
}

/// A claim is tied to its holder's life (issue 26): while the holding process lives, its
/// idempotency claim and its delivery claim are respected however fresh or long-leased; once
/// it is gone (its store dropped, standing for a killed process) another process takes both
/// over within a second, long before their leases end, and the dead holder's late outcome is
/// not recorded.
pub async fn claims_of_a_gone_process_are_taken_over_at_once(b: &impl Backend) {
    let killed = b.store().await;
    let restarted = b.store().await;
    let s = &*restarted;
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_1", AT))
        .await
        .unwrap();
    tx.insert_deliveries(&[delivery_row(&a, "whk_1", 1, AT)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let long_ago = "2000-01-01T00:00:00.000Z";
    let lease_end = "2026-01-01T01:00:00.000Z";
    assert!(killed
        .idempotency_claim("org_a", "k1", "sha_1", AT, long_ago)
        .await
        .unwrap());
    let held = killed
        .claim_deliveries(AT, "clm_killed", lease_end, 10, 64)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);

    // A live holder's claims are respected.
    assert!(!s
        .idempotency_claim("org_a", "k1", "sha_1", LATER, long_ago)
        .await
        .unwrap());
    assert!(s
        .claim_deliveries(LATER, "clm_live", lease_end, 10, 64)
        .await
        .unwrap()
        .is_empty());

    drop(held);
    drop(killed);
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(1);
    // Polled: on PostgreSQL the server ends the dropped session a moment after it closes.
    while !s
        .idempotency_claim("org_a", "k1", "sha_1", LATER, long_ago)
        .await
        .unwrap()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the idempotency claim of a gone process was not taken over within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let taken = s
        .claim_deliveries(LATER, "clm_restarted", lease_end, 10, 64)
        .await
        .unwrap();
    assert_eq!(
        taken
            .iter()
            .map(|d| (d.event_seq, d.attempts))
            .collect::<Vec<_>>(),
        [(1, 2)],
        "the delivery claim of a gone process is taken over at once"
    );
    let late = crate::DeliveryOutcome {
        id: taken[0].id,
        claim: "clm_killed".to_owned(),
        status: "succeeded".to_owned(),
        next_attempt_at: LATER.to_owned(),
        last_status: Some(200),
        last_error: None,
        last_duration_ms: 1,
        at: LATER.to_owned(),
        succeeded: true,
    };
    assert_eq!(s.finish_deliveries(&[late]).await.unwrap(), [false]);
}

/// 8 claimers on two connection pools drain 60 due deliveries: each is claimed exactly once.
pub async fn delivery_claim_race_two_pools(b: &impl Backend) {
    let stores = [b.store().await, b.store().await];
    let s = &*stores[0];
    let (a, _) = create_org(s, "a", "owner@a.example").await;
    let mut tx = locked(s, &a).await;
    tx.insert_webhook(&webhook_row(&a, "whk_1", AT))
        .await
        .unwrap();
    let rows: Vec<_> = (1..=60)
        .map(|seq| delivery_row(&a, "whk_1", seq, AT))
        .collect();
    tx.insert_deliveries(&rows).await.unwrap();
    tx.commit().await.unwrap();
    let start = Arc::new(Barrier::new(8));
    let claimers = (0..8).map(|i| {
        let s = stores[i % 2].clone();
        let start = start.clone();
        tokio::spawn(async move {
            start.wait().await;
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim_deliveries(
                        LATER,
                        &format!("clm_{i}"),
                        "2026-01-01T01:00:00.000Z",
                        3,
                        64,
                    )
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|d| d.id));
            }
        })
    });
    let mut all = Vec::new();
    for c in claimers.collect::<Vec<_>>() {
        all.extend(c.await.unwrap());
    }
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(
        (all.len(), unique.len()),
        (60, 60),
        "every delivery claimed exactly once"
    );
}

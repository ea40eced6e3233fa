//! A write made for a request carrying an Idempotency-Key marks the key's claim applied in the
//! write's own transaction (`seatline_app::idempotency`): a process killed between that commit
//! and recording the response leaves a claim no retry may run again. A write that is refused
//! leaves the claim pending, for a retry to run.

use seatline_app::idempotency::{with_claim, Claim};
use seatline_store::{IDEMPOTENCY_APPLIED, IDEMPOTENCY_PENDING};

use crate::support::*;

async fn claimed(w: &World, key: &str) -> Claim {
    let at = seatline_app::now();
    let won = w
        .app
        .store()
        .idempotency_claim("scope:test", key, "hash", &at, "1970-01-01T00:00:00.000Z")
        .await
        .expect("claim");
    assert!(won, "a fresh key is claimed");
    Claim {
        scope: "scope:test".into(),
        key: key.into(),
        claimed_at: at,
    }
}

async fn status(w: &World, key: &str) -> u16 {
    w.app
        .store()
        .idempotency_get("scope:test", key)
        .await
        .expect("read")
        .expect("the claim")
        .status
}

#[tokio::test]
async fn a_committed_write_marks_its_claim_applied_and_a_refused_one_does_not() {
    let w = world().await;
    let o = org(&w.app, "idem").await;

    let c = claimed(&w, "k-provision").await;
    with_claim(c, w.app.provision(&o.owner, &o.id, 1, "2001"))
        .await
        .expect("provision");
    assert_eq!(status(&w, "k-provision").await, IDEMPOTENCY_APPLIED);

    // The organization's creation commits outside the org lock: marked all the same.
    let c = claimed(&w, "k-org").await;
    with_claim(
        c,
        w.app
            .create_org(&op(), "Other", "owner@other.example", "Owner"),
    )
    .await
    .expect("create org");
    assert_eq!(status(&w, "k-org").await, IDEMPOTENCY_APPLIED);

    // 2001 is taken now: the refused write rolls back, its claim with it stays pending.
    let c = claimed(&w, "k-refused").await;
    let refused = with_claim(c, w.app.provision(&o.owner, &o.id, 1, "2001")).await;
    assert!(refused.is_err());
    assert_eq!(status(&w, "k-refused").await, IDEMPOTENCY_PENDING);

    // A write outside any claimed request marks nothing.
    w.app
        .provision(&o.owner, &o.id, 1, "2002")
        .await
        .expect("provision");
    assert_eq!(status(&w, "k-refused").await, IDEMPOTENCY_PENDING);
}

//! Feed epochs (issue 25): [`Tx::start_feed_epoch`]'s arithmetic, its history in
//! [`Tx::feed_epochs`], and the counter the next events continue from.

use seatline_domain::{rules, Member, MemberId, OrgId, Role};

use super::Backend;
use crate::{EventHorizon, EventRow, FeedEpoch, NewEvent, Store, Tx};

const AT: &str = "2026-01-01T00:00:00.000Z";

async fn create_org(store: &dyn Store, tag: &str) -> OrgId {
    let org = rules::new_org(
        OrgId(format!("org_{tag}")),
        &format!("Org {tag}"),
        AT.into(),
    )
    .expect("org");
    let owner: Member = rules::new_member(
        MemberId(format!("own_{tag}")),
        format!("owner@{tag}.example").parse().expect("email"),
        "Owner",
        Role::Owner,
    )
    .expect("owner");
    let id = org.id.clone();
    let d = rules::create_org(org, owner);
    let mut tx = store.begin().await.expect("begin");
    tx.apply(&id, &d.changes).await.expect("create org");
    tx.commit().await.expect("commit org");
    id
}

async fn locked(store: &dyn Store, org: &OrgId) -> Box<dyn Tx> {
    store.lock(org).await.expect("lock").expect("org exists")
}

/// Append `n` events under the lock, numbered by the store's counter; their seqs.
async fn append(store: &dyn Store, org: &OrgId, n: u32) -> Vec<i64> {
    let mut tx = locked(store, org).await;
    let first = tx.reserve_event_seqs(org, n).await.expect("reserve");
    let events: Vec<NewEvent> = (first..first + i64::from(n))
        .map(|seq| NewEvent {
            row: EventRow {
                seq,
                id: format!("evt_{}_{seq}", org.as_str()),
                kind: "member.updated".into(),
                at: AT.into(),
                body: format!("{{\"seq\":{seq}}}"),
            },
            subject: "member:own".into(),
            extension: None,
        })
        .collect();
    tx.append_events(org, &events).await.expect("append");
    tx.commit().await.expect("commit events");
    events.iter().map(|e| e.row.seq).collect()
}

async fn start(store: &dyn Store, org: &OrgId, at_least: i64) -> FeedEpoch {
    let mut tx = locked(store, org).await;
    let e = tx
        .start_feed_epoch(org, at_least, AT)
        .await
        .expect("start epoch");
    tx.commit().await.expect("commit epoch");
    e
}

async fn state(store: &dyn Store, org: &OrgId) -> (i64, Vec<FeedEpoch>, EventHorizon) {
    let mut tx = store.begin().await.expect("begin");
    (
        tx.feed_epoch(org).await.expect("epoch"),
        tx.feed_epochs(org).await.expect("epochs"),
        tx.event_horizon(org).await.expect("horizon"),
    )
}

fn epoch(epoch: i64, prior_head: i64) -> FeedEpoch {
    FeedEpoch {
        epoch,
        prior_head,
        started_at: AT.into(),
    }
}

/// The epoch is the larger of what the caller asks (the clock) and one past the head; the
/// head becomes the epoch, so the next event is epoch + 1.
pub async fn epoch_starts_after_the_head_and_the_clock(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let org = create_org(s, "ep1").await;
    assert_eq!(state(s, &org).await.0, 0, "every feed starts in epoch 0");
    assert_eq!(append(s, &org, 3).await, [1, 2, 3]);
    assert_eq!(start(s, &org, 1_000).await, epoch(1_000, 3));
    let (current, history, horizon) = state(s, &org).await;
    assert_eq!((current, history), (1_000, vec![epoch(1_000, 3)]));
    assert_eq!(
        horizon.last, 1_000,
        "the head is the epoch until its first event"
    );
    assert_eq!(append(s, &org, 2).await, [1_001, 1_002]);
    // A clock behind the head (set back, or a feed already ahead of it) still moves on.
    assert_eq!(start(s, &org, 5).await, epoch(1_003, 1_002));
    assert_eq!(append(s, &org, 1).await, [1_004]);
}

/// Every reset is kept, oldest first, and touches only its organization; ids are listed.
pub async fn epochs_accumulate_and_stay_per_organization(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (a, other) = (create_org(s, "ep2a").await, create_org(s, "ep2b").await);
    append(s, &a, 2).await;
    append(s, &other, 4).await;
    start(s, &a, 100).await;
    append(s, &a, 1).await;
    start(s, &a, 200).await;
    let (current, history, horizon) = state(s, &a).await;
    assert_eq!(current, 200);
    assert_eq!(history, [epoch(100, 2), epoch(200, 101)]);
    assert_eq!(horizon.last, 200);
    let (current, history, horizon) = state(s, &other).await;
    assert_eq!((current, history.len(), horizon.last), (0, 0, 4));
    assert_eq!(append(s, &other, 1).await, [5]);
    let ids = store.org_ids().await.expect("org ids");
    assert!(ids.contains(&a) && ids.contains(&other), "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {ids:?}");
}

/// A reset in a transaction that does not commit changes nothing.
pub async fn an_epoch_rolled_back_leaves_no_trace(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let org = create_org(s, "ep3").await;
    append(s, &org, 2).await;
    let mut tx = locked(s, &org).await;
    tx.start_feed_epoch(&org, 9_000, AT).await.expect("start");
    drop(tx);
    let (current, history, horizon) = state(s, &org).await;
    assert_eq!((current, history.len(), horizon.last), (0, 0, 2));
    assert_eq!(append(s, &org, 1).await, [3]);
}

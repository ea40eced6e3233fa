//! The Idempotency-Key claim of the request a use case runs for. The HTTP layer claims a key
//! before the handler runs and records the response after; a process killed between the
//! handler's commit and that record used to leave a pending claim that a retry took over and
//! ran again — the write twice. So the claim travels with the request's task
//! ([`with_claim`]), and every write transaction committed for it marks the claim applied in
//! the same transaction ([`mark_applied`]): the mark commits with the write or not at all,
//! and a retry that finds it knows the write happened.

use std::future::Future;

use seatline_store::Tx;

tokio::task_local! {
    static CLAIM: Claim;
}

/// A claimed (scope, key), as the store holds it.
#[derive(Debug, Clone)]
pub struct Claim {
    pub scope: String,
    pub key: String,
    /// The claim's time: it tells this claim from a later one on the same key.
    pub claimed_at: String,
}

/// Run a request's handling with its claim.
pub async fn with_claim<F: Future>(claim: Claim, handling: F) -> F::Output {
    CLAIM.scope(claim, handling).await
}

/// Mark the current request's claim, if it has one, applied inside the transaction about to
/// commit.
pub(crate) async fn mark_applied(tx: &mut dyn Tx) -> Result<(), seatline_store::StoreError> {
    match CLAIM.try_with(Clone::clone) {
        Ok(c) => {
            tx.idempotency_applied(&c.scope, &c.key, &c.claimed_at)
                .await
        }
        Err(_) => Ok(()),
    }
}

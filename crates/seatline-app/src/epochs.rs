//! Feed epochs (issue 25): what a cursor means after a restore, and starting new epochs.
//!
//! A restore puts back a database whose feeds stop at the backup's heads, while consumers
//! may have read further in the timeline the restore discarded. Each reset therefore starts
//! a new **epoch**, identified by the seq its numbering starts after: its events are
//! `epoch + 1`, `epoch + 2`, … (an organization's first epoch is 0, so a feed never reset
//! keeps 1, 2, 3). Seqs grow by exactly 1 within an epoch and jump at a reset; the seqs in
//! `(prior_head, epoch]` were never given out by the kept timeline, so a cursor among them
//! saw events that are gone: 410 `cursor_expired`, resync from `/entitlements`.
//!
//! The epoch is `max(now in microseconds since 1970, head + 1)`. It must exceed every seq any
//! discarded timeline reached, or a consumer's lost cursor would look valid (or ahead) and it
//! would skip events; the timeline a restore discards is unknown to the backup, so only the
//! clock can bound it: a discarded timeline began its last epoch earlier (a smaller
//! microsecond count) and would have had to write more than one event per microsecond since
//! then to catch up. Restoring the same backup twice thus gives two epochs, each above
//! everything before it. Microseconds also keep seqs below 2^53 (until the year 2255), so
//! consumers that parse JSON numbers as doubles (JavaScript) still read them exactly; an
//! `epoch × 10^12` numbering with a clock-derived epoch would not.

use seatline_domain::permissions::Actor;
use seatline_domain::{Error, ErrorCode, OrgId};
use seatline_store::{AuditEntry, EventHorizon, FeedEpoch};
use serde::Serialize;

use crate::{now, App, AppResult, Ctx};

/// The epoch of a feed whose lost range ends at the last reset: 0 when never reset.
pub(crate) fn current(epochs: &[FeedEpoch]) -> i64 {
    epochs.last().map_or(0, |e| e.epoch)
}

/// Whether a reader may go on from cursor `after`: 409 `cursor_ahead` past the head, 410
/// `cursor_expired` inside a reset's lost range or when retention pruned events it needs.
pub(crate) fn check_cursor(
    after: i64,
    horizon: EventHorizon,
    epochs: &[FeedEpoch],
) -> Result<(), Error> {
    // First: a cursor past the head. Every epoch exceeds what discarded timelines reached,
    // so such a cursor was never given out by any timeline of this feed.
    if after > horizon.last {
        // Not a cursor this feed gave out (another organization's, a typo): an empty page
        // would tell the consumer it is caught up, and it would skip every event up to its
        // cursor for good. Refused at once, a long poll too.
        return Err(Error::new(
            ErrorCode::CursorAhead,
            format!(
                "after is {after}, but the newest event is {}; read the entitlements snapshot again and follow from its as_of",
                horizon.last
            ),
        )
        .detail("field", "after")
        .detail("head", horizon.last));
    }
    let epoch = current(epochs);
    if let Some(lost) = epochs
        .iter()
        .find(|e| e.prior_head < after && after < e.epoch)
    {
        return Err(Error::new(
            ErrorCode::CursorExpired,
            format!(
                "after is {after}, but the feed was reset (a restore) at {}: it keeps the events up to {} and the ones after {after} you read are gone; read /entitlements again and follow /events from its as_of",
                lost.started_at, lost.prior_head
            ),
        )
        .detail("field", "after")
        .detail("oldest_available", horizon.oldest)
        .detail("epoch", epoch));
    }
    if pruned_after(after, horizon.oldest, epochs) {
        return Err(Error::new(
            ErrorCode::CursorExpired,
            format!(
                "events after {after} are no longer kept; read the entitlements snapshot again and follow from its as_of"
            ),
        )
        .detail("oldest_available", horizon.oldest)
        .detail("epoch", epoch));
    }
    Ok(())
}

/// Whether retention removed an event the reader at `after` has not read: some seq between
/// its cursor and the oldest kept one was given out. The seqs a reset skipped never were.
fn pruned_after(after: i64, oldest: i64, epochs: &[FeedEpoch]) -> bool {
    let mut next = after + 1;
    while next < oldest {
        match epochs
            .iter()
            .find(|e| e.prior_head < next && next <= e.epoch)
        {
            Some(e) => next = e.epoch + 1,
            None => return true,
        }
    }
    false
}

/// The epoch a reset starting now asks for (see the module's documentation).
fn clock_epoch() -> i64 {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// One organization's new epoch.
#[derive(Debug, Serialize)]
pub struct EpochStarted {
    pub org: String,
    pub epoch: i64,
    /// The head of the timeline kept: cursors up to it stay valid.
    pub prior_head: i64,
}

impl App {
    /// Start a new feed epoch in `org`, or in every organization: after a restore (or any
    /// reset of the database), so that cursors of the discarded timeline answer 410 and new
    /// events never reuse their seqs. Operator only; an audit entry per organization says
    /// why (`reason`).
    pub async fn start_feed_epochs(
        &self,
        ctx: &Ctx,
        org: Option<&OrgId>,
        reason: &str,
    ) -> AppResult<Vec<EpochStarted>> {
        if !matches!(ctx.actor, Actor::Operator) {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "only the operator may start a new feed epoch; run it as the operator (seatline events new-epoch)",
            )
            .into());
        }
        let orgs = match org {
            Some(o) => vec![o.clone()],
            None => self.store.org_ids().await?,
        };
        let mut started = Vec::new();
        for org in orgs {
            let Some(mut tx) = self.store.lock(&org).await? else {
                return Err(Error::not_found("organization", org.as_str()).into());
            };
            let at = now();
            let e = tx.start_feed_epoch(&org, clock_epoch(), &at).await?;
            let entry = AuditEntry {
                id: 0,
                at,
                actor: ctx.actor.label(),
                action: "feed.new_epoch".to_owned(),
                target: format!("feed:{}", org.as_str()),
                before: serde_json::json!({"head": e.prior_head}),
                after: serde_json::json!({"epoch": e.epoch, "reason": reason}),
                request_id: ctx.request_id.clone(),
                teams: Vec::new(),
            };
            tx.append_audit(&org, &[entry]).await?;
            tx.commit().await?;
            // Waiting readers look again, and find their cursors expired.
            self.feed.publish(&org);
            started.push(EpochStarted {
                org: org.0,
                epoch: e.epoch,
                prior_head: e.prior_head,
            });
        }
        Ok(started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(prior_head: i64, epoch: i64) -> FeedEpoch {
        FeedEpoch {
            epoch,
            prior_head,
            started_at: "2026-01-01T00:00:00.000Z".to_owned(),
        }
    }

    fn code(r: Result<(), Error>) -> Option<&'static str> {
        r.err().map(|e| e.code.as_str())
    }

    #[test]
    fn cursors_after_two_resets() {
        // Epoch 0 reached 100 before a backup at 50 was restored (epoch 1000); epoch 1000
        // reached 1010, then a reset at 1010 started 5000, which has 2 events.
        let epochs = [reset(50, 1000), reset(1010, 5000)];
        let h = EventHorizon {
            oldest: 1,
            last: 5002,
        };
        for ok in [0, 1, 50, 1000, 1005, 1010, 5000, 5001, 5002] {
            assert_eq!(code(check_cursor(ok, h, &epochs)), None, "cursor {ok}");
        }
        for lost in [51, 80, 999, 1011, 4999] {
            assert_eq!(
                code(check_cursor(lost, h, &epochs)),
                Some("cursor_expired"),
                "cursor {lost}"
            );
        }
        assert_eq!(code(check_cursor(5003, h, &epochs)), Some("cursor_ahead"));
    }

    #[test]
    fn retention_skips_what_a_reset_never_gave_out() {
        // Everything before the epoch pruned: a reader at the kept head missed nothing.
        let epochs = [reset(50, 1000)];
        let h = EventHorizon {
            oldest: 1001,
            last: 1003,
        };
        assert_eq!(code(check_cursor(50, h, &epochs)), None);
        assert_eq!(code(check_cursor(1000, h, &epochs)), None);
        assert_eq!(code(check_cursor(49, h, &epochs)), Some("cursor_expired"));
    }
}

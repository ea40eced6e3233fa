-- Feed epochs (issue 25): a restore, or any reset of the feed, starts a new epoch of the
-- organization's feed. An epoch is identified by the seq its numbering starts after: epoch E's
-- events are E+1, E+2, …; epoch 0 is every organization's first, so seqs of an organization
-- never reset stay 1, 2, 3. The current epoch, written into every event's body.
ALTER TABLE orgs ADD COLUMN feed_epoch INTEGER NOT NULL DEFAULT 0;

-- Every epoch started after the first, kept for good: the seqs in (prior_head, epoch] were
-- never given out by this timeline (those above prior_head belonged to a timeline the reset
-- discarded), so a cursor among them answers 410 cursor_expired however many resets later.
CREATE TABLE feed_epochs (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    epoch      INTEGER NOT NULL,
    -- the head of the timeline the reset kept
    prior_head INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (org_id, epoch)
);

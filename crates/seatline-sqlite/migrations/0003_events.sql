-- The change feed (product.md §8). Every write transaction appends its events here, under
-- the org lock, numbered by the organization's `event_seq` counter: gapless, in commit order.
ALTER TABLE orgs ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
-- The seq of the last event that changed the extension: grows with every change of it.
ALTER TABLE extensions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE events (
    org_id  TEXT NOT NULL REFERENCES orgs(id),
    seq     INTEGER NOT NULL,
    id      TEXT NOT NULL,
    type    TEXT NOT NULL,
    at      TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- the complete event JSON as consumers receive it
    body    TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);

-- Read-only tokens for the PBX and the contact center; only the SHA-256 of the secret.
CREATE TABLE integration_tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX integration_tokens_by_org ON integration_tokens (org_id, created_at);

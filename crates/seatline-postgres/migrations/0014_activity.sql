-- Activity and reclaim (product.md §14). The latest activity the PBX or the contact center
-- reported per extension, kind and device ('' when the reporter could not tell the device):
-- one row each, overwritten only by a later `at`, so replays change nothing. `at` is
-- RFC 3339 UTC with milliseconds, so text order (collation "C") is time order. A
-- deprovisioned extension's activity goes with it: a key provisioned again is a new extension.
CREATE TABLE activity (
    org_id  TEXT NOT NULL,
    ext_key INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    device  TEXT NOT NULL,
    at      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, ext_key, kind, device),
    FOREIGN KEY (org_id, ext_key) REFERENCES extensions (org_id, key) ON DELETE CASCADE
);

-- An integration token the owner allowed to report activity: the only write such a token
-- may do.
ALTER TABLE integration_tokens ADD COLUMN can_report_activity BOOLEAN NOT NULL DEFAULT FALSE;

-- One-time password reset links an owner or admin makes for a member (admin UI). Only the
-- SHA-256 hash of the link's secret is kept; a link is deleted when used, replaced when a
-- newer one is made for the same member, and goes with its member.
CREATE TABLE password_resets (
    hash       TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    FOREIGN KEY (org_id, member_id) REFERENCES members (org_id, id) ON DELETE CASCADE
);
CREATE INDEX password_resets_by_member ON password_resets (org_id, member_id);

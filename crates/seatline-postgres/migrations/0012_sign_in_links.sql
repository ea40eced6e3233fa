-- One-time sign-in links: an organization's first owner gets one when the organization is
-- created, and an owner or admin can make one for a member. Only the SHA-256 hash of the
-- link's secret is kept; a link is deleted when used, replaced when a newer one is made for
-- the same member, and goes with its member.
CREATE TABLE sign_in_links (
    hash       TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    FOREIGN KEY (org_id, member_id) REFERENCES members (org_id, id) ON DELETE CASCADE
);
CREATE INDEX sign_in_links_by_member ON sign_in_links (org_id, member_id);

-- SCIM 2.0 (product.md §9): tokens of identity providers, and what a SCIM User carries
-- beyond the member: the IdP's externalId and the member's created / last-modified times.

CREATE TABLE scim_tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scim_tokens_by_org ON scim_tokens (org_id, created_at);

ALTER TABLE members ADD COLUMN external_id TEXT;
ALTER TABLE members ADD COLUMN created_at TEXT;
ALTER TABLE members ADD COLUMN updated_at TEXT;
-- Members from before this migration: their creation time is unknown, the org's is a bound.
UPDATE members SET created_at = (SELECT created_at FROM orgs WHERE orgs.id = members.org_id),
                   updated_at = (SELECT created_at FROM orgs WHERE orgs.id = members.org_id);
-- SCIM lists page in creation order, which a rename or a new member does not reshuffle.
CREATE INDEX members_by_created ON members (org_id, created_at, id);
CREATE INDEX members_by_external_id ON members (org_id, external_id);

-- The times are kept by the database, so every writer of members (API, UI, bulk, SCIM) keeps
-- them without knowing about them. Same text format as every stored time (RFC 3339, UTC, ms).
CREATE TRIGGER members_created AFTER INSERT ON members WHEN NEW.created_at IS NULL
BEGIN
    UPDATE members SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE org_id = NEW.org_id AND id = NEW.id;
END;

-- A statement that sets updated_at itself (a SCIM write) keeps its time.
CREATE TRIGGER members_modified AFTER UPDATE OF email, name, role, status, external_id ON members
WHEN (OLD.email IS NOT NEW.email OR OLD.name IS NOT NEW.name OR OLD.role IS NOT NEW.role
      OR OLD.status IS NOT NEW.status OR OLD.external_id IS NOT NEW.external_id)
  AND OLD.updated_at IS NEW.updated_at
BEGIN
    UPDATE members SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE org_id = NEW.org_id AND id = NEW.id;
END;

-- SCIM 2.0 (product.md §9): tokens of identity providers, and what a SCIM User carries
-- beyond the member: the IdP's externalId and the member's created / last-modified times.

CREATE TABLE scim_tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX scim_tokens_by_org ON scim_tokens (org_id, created_at);

-- The times are kept by the database, so every writer of members (API, UI, bulk, SCIM) keeps
-- them without knowing about them. Same text format as every stored time (RFC 3339, UTC, ms).
CREATE FUNCTION seatline_now() RETURNS TEXT LANGUAGE SQL VOLATILE AS
$$ SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

ALTER TABLE members ADD COLUMN external_id TEXT;
ALTER TABLE members ADD COLUMN created_at TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN updated_at TEXT COLLATE "C";
-- Members from before this migration: their creation time is unknown, the org's is a bound.
UPDATE members SET created_at = orgs.created_at, updated_at = orgs.created_at
FROM orgs WHERE orgs.id = members.org_id;
ALTER TABLE members ALTER COLUMN created_at SET DEFAULT seatline_now();
ALTER TABLE members ALTER COLUMN updated_at SET DEFAULT seatline_now();
-- SCIM lists page in creation order, which a rename or a new member does not reshuffle.
CREATE INDEX members_by_created ON members (org_id, created_at, id);
CREATE INDEX members_by_external_id ON members (org_id, external_id);

CREATE FUNCTION members_modified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A statement that sets updated_at itself (a SCIM write) keeps its time.
    IF (OLD.email, OLD.name, OLD.role, OLD.status, OLD.external_id)
       IS DISTINCT FROM (NEW.email, NEW.name, NEW.role, NEW.status, NEW.external_id)
       AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := seatline_now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER members_modified BEFORE UPDATE ON members
FOR EACH ROW EXECUTE FUNCTION members_modified();

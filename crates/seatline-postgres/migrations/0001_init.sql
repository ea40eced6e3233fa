-- The same tables and constraints as the SQLite schema. Timestamps are TEXT in RFC 3339
-- (UTC, fixed width) so they sort as text and read back identically on both stores. Text
-- that is sorted or used as a cursor is COLLATE "C": byte order, as on SQLite, whatever the
-- database's default collation.

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- bumped by every write transaction: its row lock is the per-organization write lock
    version    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE members (
    org_id   TEXT NOT NULL REFERENCES orgs(id),
    id       TEXT NOT NULL,
    email    TEXT COLLATE "C" NOT NULL,
    name     TEXT NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status   TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    password_hash TEXT,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, email)
);
CREATE UNIQUE INDEX one_owner_per_org ON members (org_id) WHERE role = 'owner';
CREATE INDEX members_by_email ON members (email);

CREATE TABLE subscriptions (
    org_id   TEXT NOT NULL REFERENCES orgs(id),
    code     TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (org_id, code)
);

CREATE TABLE extensions (
    org_id    TEXT NOT NULL REFERENCES orgs(id),
    key       INTEGER NOT NULL CHECK (key BETWEEN 100 AND 99999),
    member_id TEXT,
    PRIMARY KEY (org_id, key),
    UNIQUE (org_id, member_id),
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id)
);

CREATE TABLE extension_addons (
    org_id  TEXT NOT NULL,
    ext_key INTEGER NOT NULL,
    code    TEXT NOT NULL,
    copies  INTEGER NOT NULL CHECK (copies > 0),
    PRIMARY KEY (org_id, ext_key, code),
    FOREIGN KEY (org_id, ext_key) REFERENCES extensions(org_id, key) ON DELETE CASCADE
);
CREATE INDEX extension_addons_by_code ON extension_addons (org_id, code);

CREATE TABLE numbers (
    org_id  TEXT NOT NULL REFERENCES orgs(id),
    number  TEXT COLLATE "C" NOT NULL,
    ext_key INTEGER,
    PRIMARY KEY (org_id, number),
    FOREIGN KEY (org_id, ext_key) REFERENCES extensions(org_id, key)
);
CREATE INDEX numbers_by_extension ON numbers (org_id, ext_key);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE,
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE
);

CREATE TABLE audit (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    before     JSONB NOT NULL,
    after      JSONB NOT NULL,
    request_id TEXT
);
CREATE INDEX audit_by_org ON audit (org_id, id);

CREATE TABLE plans (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    id         TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_by_age ON idempotency (created_at);

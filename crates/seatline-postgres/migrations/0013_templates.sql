-- Team license templates (product.md §13); the same tables as the SQLite schema.

CREATE TABLE team_templates (
    org_id     TEXT NOT NULL,
    team_id    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL DEFAULT seatline_now(),
    PRIMARY KEY (org_id, team_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id) ON DELETE CASCADE
);

-- `copies` stays what the extension holds (seats count it); `direct` is the part written
-- directly. held = max(direct, the largest inherited count). Every copy held before
-- templates was direct.
ALTER TABLE extension_addons ADD COLUMN direct INTEGER NOT NULL DEFAULT 0 CHECK (direct >= 0);
UPDATE extension_addons SET direct = copies;
ALTER TABLE extension_addons ADD CONSTRAINT direct_within_held CHECK (direct <= copies);

-- No cascade from teams: a team is deleted only after its grants are revoked.
CREATE TABLE inherited_addons (
    org_id  TEXT NOT NULL,
    ext_key INTEGER NOT NULL,
    code    TEXT NOT NULL,
    team_id TEXT NOT NULL,
    copies  INTEGER NOT NULL CHECK (copies > 0),
    PRIMARY KEY (org_id, ext_key, code, team_id),
    FOREIGN KEY (org_id, ext_key) REFERENCES extensions(org_id, key) ON DELETE CASCADE,
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id)
);
CREATE INDEX inherited_addons_by_team ON inherited_addons (org_id, team_id);

CREATE TABLE inherited_assignments (
    org_id    TEXT NOT NULL,
    member_id TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    PRIMARY KEY (org_id, member_id, team_id),
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id)
);
CREATE INDEX inherited_assignments_by_team ON inherited_assignments (org_id, team_id);

CREATE TABLE license_states (
    org_id    TEXT NOT NULL,
    member_id TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('ok', 'waiting', 'error')),
    code      TEXT,
    teams     TEXT NOT NULL DEFAULT '[]',
    since     TEXT COLLATE "C" NOT NULL DEFAULT seatline_now(),
    seq       BIGINT NOT NULL,
    PRIMARY KEY (org_id, member_id),
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE
);
CREATE INDEX license_states_by_seq ON license_states (org_id, seq);
CREATE INDEX license_states_waiting ON license_states (org_id, seq) WHERE state = 'waiting';

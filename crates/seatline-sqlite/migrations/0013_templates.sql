-- Team license templates (product.md §13).

-- A team's template, as its wire JSON ({"extension": ..., "addons": {...}}), validated when read.
CREATE TABLE team_templates (
    org_id     TEXT NOT NULL,
    team_id    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (org_id, team_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id) ON DELETE CASCADE
);

-- `copies` stays what the extension holds (seats count it); `direct` is the part written
-- directly. held = max(direct, the largest inherited count), so direct <= copies. Every copy
-- held before templates was direct.
ALTER TABLE extension_addons ADD COLUMN direct INTEGER NOT NULL DEFAULT 0 CHECK (direct >= 0);
UPDATE extension_addons SET direct = copies;

-- The copies each team's template grants an extension. A team is deleted only after its
-- grants are revoked (no cascade: a forgotten revoke fails instead of leaving copies held
-- that no source grants).
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

-- The teams a member's extension assignment is inherited from; none: the assignment is direct.
CREATE TABLE inherited_assignments (
    org_id    TEXT NOT NULL,
    member_id TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    PRIMARY KEY (org_id, member_id, team_id),
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id)
);
CREATE INDEX inherited_assignments_by_team ON inherited_assignments (org_id, team_id);

-- A member's license state while it is in a templated team. `seq` orders the waiting room:
-- it is taken from the organization's counter whenever the state or its code changes.
CREATE TABLE license_states (
    org_id    TEXT NOT NULL,
    member_id TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('ok', 'waiting', 'error')),
    code      TEXT,
    teams     TEXT NOT NULL DEFAULT '[]',
    since     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    seq       INTEGER NOT NULL,
    PRIMARY KEY (org_id, member_id),
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE
);
CREATE INDEX license_states_by_seq ON license_states (org_id, seq);
CREATE INDEX license_states_waiting ON license_states (org_id, seq) WHERE state = 'waiting';

-- Teams and team-scoped admins (product.md §12).

CREATE TABLE teams (
    org_id  TEXT NOT NULL REFERENCES orgs(id),
    id      TEXT NOT NULL,
    name    TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id)
);
-- The rules compare names ignoring case; this is the last line of defence (ASCII case here).
CREATE UNIQUE INDEX team_names ON teams (org_id, lower(name));

CREATE TABLE team_members (
    org_id    TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (org_id, team_id, member_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE
);
CREATE INDEX team_members_by_member ON team_members (org_id, member_id);

-- A row here limits an admin to the teams listed in admin_scope_teams, possibly none; no row
-- is the whole organization. Deleting a team therefore narrows a scope, never widens it.
CREATE TABLE admin_scopes (
    org_id    TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (org_id, member_id),
    FOREIGN KEY (org_id, member_id) REFERENCES members(org_id, id) ON DELETE CASCADE
);

CREATE TABLE admin_scope_teams (
    org_id    TEXT NOT NULL,
    member_id TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    PRIMARY KEY (org_id, member_id, team_id),
    FOREIGN KEY (org_id, member_id) REFERENCES admin_scopes(org_id, member_id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id) ON DELETE CASCADE
);

-- Audit entries name the teams of the member concerned (a JSON array of team ids).
ALTER TABLE audit ADD COLUMN teams TEXT NOT NULL DEFAULT '[]';

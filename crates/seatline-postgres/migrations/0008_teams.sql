-- Teams and team-scoped admins (product.md §12).

CREATE TABLE teams (
    org_id  TEXT NOT NULL REFERENCES orgs(id),
    id      TEXT NOT NULL,
    name    TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- Kept by the database (SCIM's meta.created / lastModified), like the members' times.
    created_at TEXT COLLATE "C" NOT NULL DEFAULT seatline_now(),
    updated_at TEXT COLLATE "C" NOT NULL DEFAULT seatline_now(),
    PRIMARY KEY (org_id, id)
);

CREATE FUNCTION seatline_teams_modified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := seatline_now();
    RETURN NEW;
END $$;
CREATE TRIGGER teams_modified BEFORE UPDATE OF name, enabled ON teams
    FOR EACH ROW EXECUTE FUNCTION seatline_teams_modified();
-- The rules compare names ignoring case; this is the last line of defence (lower() of the database).
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

CREATE FUNCTION seatline_team_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE teams SET updated_at = seatline_now() WHERE org_id = OLD.org_id AND id = OLD.team_id;
    ELSE
        UPDATE teams SET updated_at = seatline_now() WHERE org_id = NEW.org_id AND id = NEW.team_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER team_members_changed AFTER INSERT OR DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION seatline_team_members_changed();

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

//! Teams and team-scoped admins (product.md §12).

use seatline_domain::{Member, MemberId, OrgId, Team, TeamId};
use seatline_store::{decode, Result};

use crate::members::member_row;
use crate::sql::{db, exec, json_list, row, rows, Get, Sql};
use crate::tx::SqliteTx;

/// The members of the enabled teams among the bound list: a subquery both the member list
/// and the extension filter use, so neither ships a scope's members back and forth.
pub(crate) fn push_team_members<'a>(sql: &mut Sql<'a>, org: &'a OrgId, teams: &'a [TeamId]) {
    sql.push("SELECT tm.member_id FROM team_members tm JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id WHERE t.enabled = 1 AND tm.org_id = ")
        .bind(org.as_str())
        .push(" AND tm.team_id IN (SELECT value FROM json_each(")
        .bind(json_list(teams.iter().map(|t| t.as_str())))
        .push("))");
}

impl SqliteTx {
    pub(crate) fn teams_impl(&self, org: &OrgId) -> Result<Vec<Team>> {
        let teams = rows(
            &self.conn,
            "SELECT id, name, enabled, created_at, updated_at FROM teams WHERE org_id = ?",
            (org.as_str(),),
            |r| Ok((r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?, r.at(4)?)),
        )?;
        let members = rows(
            &self.conn,
            "SELECT team_id, member_id FROM team_members WHERE org_id = ?",
            (org.as_str(),),
            |r| Ok((r.at(0)?, r.at(1)?)),
        )?;
        Ok(decode::teams(teams, members))
    }

    pub(crate) fn admin_scope_impl(
        &self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Vec<TeamId>>> {
        let scoped = row(
            &self.conn,
            "SELECT 1 FROM admin_scopes WHERE org_id = ? AND member_id = ?",
            (org.as_str(), member.as_str()),
            |_| Ok(()),
        )?;
        if scoped.is_none() {
            return Ok(None);
        }
        let teams = rows(
            &self.conn,
            "SELECT team_id FROM admin_scope_teams WHERE org_id = ? AND member_id = ? ORDER BY team_id",
            (org.as_str(), member.as_str()),
            |r| Ok(TeamId(r.at(0)?)),
        )?;
        Ok(Some(teams))
    }

    pub(crate) fn members_in_teams_impl(
        &self,
        org: &OrgId,
        teams: &[TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        let mut sql = Sql::new("SELECT id, email, name, role, status FROM members WHERE org_id = ");
        sql.bind(org.as_str())
            .push(" AND email > ")
            .bind(after.unwrap_or(""))
            .push(" AND id IN (");
        push_team_members(&mut sql, org, teams);
        sql.push(") ORDER BY email LIMIT ").bind(limit);
        sql.rows(&self.conn, member_row)
    }

    /// Apply [`seatline_domain::Change::InsertTeam`].
    pub(crate) fn insert_team(&self, org: &OrgId, t: &Team) -> Result<()> {
        exec(
            &self.conn,
            "INSERT INTO teams (org_id, id, name, enabled) VALUES (?, ?, ?, ?)",
            (org.as_str(), t.id.as_str(), &t.name, t.enabled),
        )?;
        self.set_team_members(org, &t.id, &t.members)
    }

    /// Apply [`seatline_domain::Change::UpdateTeam`]: name and enabled, not members.
    pub(crate) fn update_team(&self, org: &OrgId, t: &Team) -> Result<()> {
        exec(
            &self.conn,
            "UPDATE teams SET name = ?, enabled = ? WHERE org_id = ? AND id = ?",
            (&t.name, t.enabled, org.as_str(), t.id.as_str()),
        )?;
        Ok(())
    }

    /// Apply [`seatline_domain::Change::DeleteTeam`]; memberships and scope entries go with
    /// it (ON DELETE CASCADE).
    pub(crate) fn delete_team(&self, org: &OrgId, id: &TeamId) -> Result<()> {
        exec(
            &self.conn,
            "DELETE FROM teams WHERE org_id = ? AND id = ?",
            (org.as_str(), id.as_str()),
        )?;
        Ok(())
    }

    /// Apply [`seatline_domain::Change::SetTeamMembers`].
    pub(crate) fn set_team_members(
        &self,
        org: &OrgId,
        team: &TeamId,
        members: &[MemberId],
    ) -> Result<()> {
        exec(
            &self.conn,
            "DELETE FROM team_members WHERE org_id = ? AND team_id = ?",
            (org.as_str(), team.as_str()),
        )?;
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO team_members (org_id, team_id, member_id) VALUES (?, ?, ?)",
            )
            .map_err(db)?;
        for m in members {
            st.execute((org.as_str(), team.as_str(), m.as_str()))
                .map_err(db)?;
        }
        Ok(())
    }

    /// Apply [`seatline_domain::Change::SetScope`].
    pub(crate) fn set_scope(
        &self,
        org: &OrgId,
        member: &MemberId,
        teams: Option<&[TeamId]>,
    ) -> Result<()> {
        exec(
            &self.conn,
            "DELETE FROM admin_scopes WHERE org_id = ? AND member_id = ?",
            (org.as_str(), member.as_str()),
        )?;
        let Some(teams) = teams else {
            return Ok(());
        };
        exec(
            &self.conn,
            "INSERT INTO admin_scopes (org_id, member_id) VALUES (?, ?)",
            (org.as_str(), member.as_str()),
        )?;
        for t in teams {
            exec(
                &self.conn,
                "INSERT INTO admin_scope_teams (org_id, member_id, team_id) VALUES (?, ?, ?)",
                (org.as_str(), member.as_str(), t.as_str()),
            )?;
        }
        Ok(())
    }
}

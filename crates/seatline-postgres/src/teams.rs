//! Teams and team-scoped admins (product.md §12).

use seatline_domain::{Member, MemberId, OrgId, Team, TeamId};
use seatline_store::{decode, Result};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::members::member_row;
use crate::sql::db;
use crate::tx::PgTx;

fn ids(teams: &[TeamId]) -> Vec<String> {
    teams.iter().map(|t| t.0.clone()).collect()
}

/// The members of the enabled teams among the bound list: a subquery both the member list
/// and the extension filter use, so neither ships a scope's members back and forth.
pub(crate) fn push_team_members<'a>(
    qb: &mut QueryBuilder<'a, Postgres>,
    org: &'a OrgId,
    teams: &'a [TeamId],
) {
    qb.push("SELECT tm.member_id FROM team_members tm JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id WHERE t.enabled AND tm.org_id = ")
        .push_bind(org.as_str())
        .push(" AND tm.team_id = ANY(")
        .push_bind(ids(teams))
        .push(")");
}

impl PgTx {
    pub(crate) async fn teams_impl(&mut self, org: &OrgId) -> Result<Vec<Team>> {
        // Teams with their members in one round trip: every write reads them (its audit
        // entries and events name the member's teams).
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.enabled, t.created_at, t.updated_at,
                    COALESCE(array_agg(tm.member_id) FILTER (WHERE tm.member_id IS NOT NULL), '{}')
             FROM teams t
             LEFT JOIN team_members tm ON tm.org_id = t.org_id AND tm.team_id = t.id
             WHERE t.org_id = $1
             GROUP BY t.org_id, t.id",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        let mut memberships = Vec::new();
        for r in &rows {
            let team: String = r.get(0);
            for member in r.get::<Vec<String>, _>(5) {
                memberships.push((team.clone(), member));
            }
        }
        Ok(decode::teams(
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
                .collect(),
            memberships,
        ))
    }

    pub(crate) async fn admin_scope_impl(
        &mut self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Vec<TeamId>>> {
        let scoped = sqlx::query("SELECT 1 FROM admin_scopes WHERE org_id = $1 AND member_id = $2")
            .bind(org.as_str())
            .bind(member.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        if scoped.is_none() {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT team_id FROM admin_scope_teams WHERE org_id = $1 AND member_id = $2 ORDER BY team_id COLLATE \"C\"",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(Some(rows.iter().map(|r| TeamId(r.get(0))).collect()))
    }

    pub(crate) async fn members_in_teams_impl(
        &mut self,
        org: &OrgId,
        teams: &[TeamId],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, email, name, role, status FROM members WHERE org_id = ",
        );
        qb.push_bind(org.as_str())
            .push(" AND email > ")
            .push_bind(after.unwrap_or(""))
            .push(" AND id IN (");
        push_team_members(&mut qb, org, teams);
        qb.push(") ORDER BY email LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter().map(member_row).collect()
    }

    /// Apply [`seatline_domain::Change::InsertTeam`].
    pub(crate) async fn insert_team(&mut self, org: &OrgId, t: &Team) -> Result<()> {
        sqlx::query("INSERT INTO teams (org_id, id, name, enabled) VALUES ($1, $2, $3, $4)")
            .bind(org.as_str())
            .bind(t.id.as_str())
            .bind(&t.name)
            .bind(t.enabled)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        self.set_team_members(org, &t.id, &t.members).await
    }

    /// Apply [`seatline_domain::Change::UpdateTeam`]: name and enabled, not members.
    pub(crate) async fn update_team(&mut self, org: &OrgId, t: &Team) -> Result<()> {
        sqlx::query("UPDATE teams SET name = $1, enabled = $2 WHERE org_id = $3 AND id = $4")
            .bind(&t.name)
            .bind(t.enabled)
            .bind(org.as_str())
            .bind(t.id.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Apply [`seatline_domain::Change::DeleteTeam`]; memberships and scope entries go with
    /// it (ON DELETE CASCADE).
    pub(crate) async fn delete_team(&mut self, org: &OrgId, id: &TeamId) -> Result<()> {
        sqlx::query("DELETE FROM teams WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Apply [`seatline_domain::Change::SetTeamMembers`].
    pub(crate) async fn set_team_members(
        &mut self,
        org: &OrgId,
        team: &TeamId,
        members: &[MemberId],
    ) -> Result<()> {
        sqlx::query("DELETE FROM team_members WHERE org_id = $1 AND team_id = $2")
            .bind(org.as_str())
            .bind(team.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        let ids: Vec<String> = members.iter().map(|m| m.0.clone()).collect();
        sqlx::query(
            "INSERT INTO team_members (org_id, team_id, member_id) SELECT $1, $2, m FROM UNNEST($3::text[]) AS m",
        )
        .bind(org.as_str())
        .bind(team.as_str())
        .bind(ids)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Apply [`seatline_domain::Change::SetScope`].
    pub(crate) async fn set_scope(
        &mut self,
        org: &OrgId,
        member: &MemberId,
        teams: Option<&[TeamId]>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM admin_scopes WHERE org_id = $1 AND member_id = $2")
            .bind(org.as_str())
            .bind(member.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        let Some(teams) = teams else {
            return Ok(());
        };
        sqlx::query("INSERT INTO admin_scopes (org_id, member_id) VALUES ($1, $2)")
            .bind(org.as_str())
            .bind(member.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO admin_scope_teams (org_id, member_id, team_id) SELECT $1, $2, t FROM UNNEST($3::text[]) AS t",
        )
        .bind(org.as_str())
        .bind(member.as_str())
        .bind(ids(teams))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}

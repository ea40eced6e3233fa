//! Team license templates (product.md §13): templates, the direct and inherited parts of
//! holdings, and license states. Reads take all the members at once (`json_each`); writes
//! are one cached single-row statement per row, as everywhere in this backend.

use seatline_domain::templates::{Grant, State, Template};
use seatline_domain::{Code, MemberId, OrgId, TeamId};
use seatline_store::templates::{self as stored, HoldingRows, LicenseStateQuery, LicenseStateRow};
use seatline_store::Result;

use crate::sql::{db, exec, json_list, rows, Get};
use crate::tx::SqliteTx;

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

impl SqliteTx {
    pub(crate) fn templates_impl(&self, org: &OrgId) -> Result<Vec<(TeamId, Template)>> {
        let raw = rows(
            &self.conn,
            "SELECT team_id, body FROM team_templates WHERE org_id = ? ORDER BY team_id",
            (org.as_str(),),
            |r| Ok((r.at::<String>(0)?, r.at::<String>(1)?)),
        )?;
        raw.into_iter()
            .map(|(t, b)| stored::template(t, &b))
            .collect()
    }

    pub(crate) fn inherits_impl(&self, org: &OrgId, member: &MemberId) -> Result<bool> {
        let found: Option<bool> =
            crate::sql::row(&self.conn, INHERITS, (org.as_str(), member.as_str()), |r| {
                r.at(0)
            })?;
        Ok(found.unwrap_or(false))
    }

    pub(crate) fn holdings_impl(
        &self,
        org: &OrgId,
        members: &[MemberId],
    ) -> Result<Vec<(MemberId, seatline_domain::templates::Holding)>> {
        let list = json_list(members.iter().map(|m| m.as_str()));
        let p = (org.as_str(), list.as_str());
        let of_members = "e.org_id = ?1 AND e.member_id IN (SELECT value FROM json_each(?2))";
        let h = HoldingRows {
            extensions: rows(
                &self.conn,
                &format!("SELECT e.key, e.member_id FROM extensions e WHERE {of_members}"),
                p,
                |r| Ok((r.at(0)?, r.at(1)?)),
            )?,
            addons: rows(
                &self.conn,
                &format!("SELECT a.ext_key, a.code, a.copies, a.direct FROM extension_addons a JOIN extensions e ON e.org_id = a.org_id AND e.key = a.ext_key WHERE {of_members}"),
                p,
                |r| Ok((r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?)),
            )?,
            numbers: rows(
                &self.conn,
                &format!("SELECT n.ext_key, n.number FROM numbers n JOIN extensions e ON e.org_id = n.org_id AND e.key = n.ext_key WHERE {of_members} ORDER BY n.number"),
                p,
                |r| Ok((r.at(0)?, r.at(1)?)),
            )?,
            inherited: rows(
                &self.conn,
                &format!("SELECT i.ext_key, i.code, i.team_id, i.copies FROM inherited_addons i JOIN extensions e ON e.org_id = i.org_id AND e.key = i.ext_key WHERE {of_members}"),
                p,
                |r| Ok((r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?)),
            )?,
            assignments: rows(
                &self.conn,
                "SELECT member_id, team_id FROM inherited_assignments WHERE org_id = ?1 AND member_id IN (SELECT value FROM json_each(?2))",
                p,
                |r| Ok((r.at(0)?, r.at(1)?)),
            )?,
        };
        h.holdings()
    }

    pub(crate) fn license_states_impl(
        &self,
        org: &OrgId,
        q: &LicenseStateQuery,
    ) -> Result<Vec<LicenseStateRow>> {
        let list = q
            .members
            .as_ref()
            .map(|m| json_list(m.iter().map(|m| m.as_str())));
        let raw = rows(
            &self.conn,
            "SELECT member_id, state, code, teams, since, seq FROM license_states
             WHERE org_id = ?1 AND (?2 IS NULL OR member_id IN (SELECT value FROM json_each(?2)))
               AND (?3 = 0 OR state = 'waiting')
             ORDER BY seq",
            (org.as_str(), list, q.waiting),
            |r| Ok((r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?, r.at(4)?, r.at(5)?)),
        )?;
        raw.into_iter().map(stored::license_state).collect()
    }

    /// Apply [`seatline_domain::Change::SetTemplate`].
    pub(crate) fn set_template(
        &self,
        org: &OrgId,
        team: &TeamId,
        t: Option<&Template>,
    ) -> Result<()> {
        match t {
            None => exec(
                &self.conn,
                "DELETE FROM team_templates WHERE org_id = ? AND team_id = ?",
                (org.as_str(), team.as_str()),
            )?,
            Some(t) => exec(
                &self.conn,
                &format!("INSERT INTO team_templates (org_id, team_id, body) VALUES (?, ?, ?)
                 ON CONFLICT (org_id, team_id) DO UPDATE SET body = excluded.body, updated_at = {NOW}"),
                (org.as_str(), team.as_str(), t.to_json().to_string()),
            )?,
        };
        Ok(())
    }

    /// Apply [`seatline_domain::Change::SetGrant`]: the add-on rows (held and direct), the
    /// inherited copies and the inherited assignment, each replaced.
    pub(crate) fn set_grant(&self, org: &OrgId, g: &Grant) -> Result<()> {
        let (o, k, m) = (org.as_str(), g.key.get(), g.member.as_str());
        exec(
            &self.conn,
            "DELETE FROM extension_addons WHERE org_id = ? AND ext_key = ?",
            (o, k),
        )?;
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO extension_addons (org_id, ext_key, code, copies, direct) VALUES (?, ?, ?, ?, ?)")
            .map_err(db)?;
        for (c, n) in g.held.iter() {
            st.execute((o, k, c.as_str(), n, g.direct.count(c)))
                .map_err(db)?;
        }
        exec(
            &self.conn,
            "DELETE FROM inherited_addons WHERE org_id = ? AND ext_key = ?",
            (o, k),
        )?;
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO inherited_addons (org_id, ext_key, code, team_id, copies) VALUES (?, ?, ?, ?, ?)")
            .map_err(db)?;
        for (c, by) in &g.inherited.addons {
            for (t, n) in by {
                st.execute((o, k, Code::as_str(*c), t.as_str(), n))
                    .map_err(db)?;
            }
        }
        exec(
            &self.conn,
            "DELETE FROM inherited_assignments WHERE org_id = ? AND member_id = ?",
            (o, m),
        )?;
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO inherited_assignments (org_id, member_id, team_id) VALUES (?, ?, ?)",
            )
            .map_err(db)?;
        for t in g.inherited.extension.keys() {
            st.execute((o, m, t.as_str())).map_err(db)?;
        }
        Ok(())
    }

    /// Apply [`seatline_domain::Change::SetLicenseState`]: `since` moves when the state or
    /// its code does, the place in line (`seq`) when the state does.
    pub(crate) fn set_license_state(
        &self,
        org: &OrgId,
        member: &MemberId,
        state: Option<&(State, Vec<TeamId>)>,
    ) -> Result<()> {
        let Some((state, teams)) = state else {
            exec(
                &self.conn,
                "DELETE FROM license_states WHERE org_id = ? AND member_id = ?",
                (org.as_str(), member.as_str()),
            )?;
            return Ok(());
        };
        exec(
            &self.conn,
            &format!("INSERT INTO license_states (org_id, member_id, state, code, teams, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM license_states WHERE org_id = ?1))
             ON CONFLICT (org_id, member_id) DO UPDATE SET
               teams = excluded.teams,
               since = CASE WHEN state = excluded.state AND code IS excluded.code THEN since ELSE {NOW} END,
               seq = CASE WHEN state = excluded.state THEN seq ELSE excluded.seq END,
               state = excluded.state,
               code = excluded.code"),
            (
                org.as_str(),
                member.as_str(),
                state.as_str(),
                state.code().map(|c| c.as_str()),
                json_list(teams.iter().map(|t| t.as_str())),
            ),
        )?;
        Ok(())
    }
}

/// The organizations with a member in the waiting room.
pub(crate) fn orgs_with_waiting(conn: &rusqlite::Connection) -> Result<Vec<OrgId>> {
    rows(
        conn,
        "SELECT DISTINCT org_id FROM license_states WHERE state = 'waiting' ORDER BY org_id",
        (),
        |r| Ok(OrgId(r.at(0)?)),
    )
}

/// Whether a member (?2) inherits its assignment or a copy on its extension ([`Tx::inherits`]).
///
/// [`Tx::inherits`]: seatline_store::Tx::inherits
const INHERITS: &str = "SELECT EXISTS (SELECT 1 FROM inherited_assignments WHERE org_id = ?1 AND member_id = ?2)
    OR EXISTS (SELECT 1 FROM inherited_addons i JOIN extensions e ON e.org_id = i.org_id AND e.key = i.ext_key
               WHERE e.org_id = ?1 AND e.member_id = ?2)";

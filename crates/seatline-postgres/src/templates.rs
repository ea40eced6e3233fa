//! Team license templates (product.md §13): templates, the direct and inherited parts of
//! holdings, and license states. Reads take all the members at once (`= ANY`), and a run of
//! grants or of license states is written by a few statements (`UNNEST`), whatever its size:
//! no round trip per member.

use std::collections::HashMap;

use seatline_domain::templates::{Grant, StateOf, Template};
use seatline_domain::{MemberId, OrgId, TeamId};
use seatline_store::templates::{self as stored, HoldingRows, LicenseStateQuery, LicenseStateRow};
use seatline_store::Result;
use sqlx::{PgPool, Row};

use crate::sql::{db, pg_key};
use crate::tx::PgTx;

impl PgTx {
    pub(crate) async fn templates_impl(&mut self, org: &OrgId) -> Result<Vec<(TeamId, Template)>> {
        let rows = sqlx::query(
            "SELECT team_id, body FROM team_templates WHERE org_id = $1 ORDER BY team_id COLLATE \"C\"",
        )
        .bind(org.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| stored::template(r.get(0), r.get::<&str, _>(1)))
            .collect()
    }

    pub(crate) async fn inherits_impl(&mut self, org: &OrgId, member: &MemberId) -> Result<bool> {
        sqlx::query_scalar(&INHERITS.replace("?1", "$1").replace("?2", "$2"))
            .bind(org.as_str())
            .bind(member.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)
    }

    pub(crate) async fn holdings_impl(
        &mut self,
        org: &OrgId,
        members: &[MemberId],
    ) -> Result<Vec<(MemberId, seatline_domain::templates::Holding)>> {
        let ids: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
        let of_members = "e.org_id = $1 AND e.member_id = ANY($2)";
        let mut h = HoldingRows::default();
        let exts = self
            .fetch(
                &format!("SELECT e.key, e.member_id FROM extensions e WHERE {of_members}"),
                org,
                &ids,
            )
            .await?;
        h.extensions = exts
            .iter()
            .map(|r| (i64::from(r.get::<i32, _>(0)), r.get(1)))
            .collect();
        let addons = self
            .fetch(&format!("SELECT a.ext_key, a.code, a.copies, a.direct FROM extension_addons a JOIN extensions e ON e.org_id = a.org_id AND e.key = a.ext_key WHERE {of_members}"), org, &ids)
            .await?;
        h.addons = addons
            .iter()
            .map(|r| {
                (
                    i64::from(r.get::<i32, _>(0)),
                    r.get(1),
                    i64::from(r.get::<i32, _>(2)),
                    i64::from(r.get::<i32, _>(3)),
                )
            })
            .collect();
        let numbers = self
            .fetch(&format!("SELECT n.ext_key, n.number FROM numbers n JOIN extensions e ON e.org_id = n.org_id AND e.key = n.ext_key WHERE {of_members} ORDER BY n.number"), org, &ids)
            .await?;
        h.numbers = numbers
            .iter()
            .map(|r| (i64::from(r.get::<i32, _>(0)), r.get(1)))
            .collect();
        let inherited = self
            .fetch(&format!("SELECT i.ext_key, i.code, i.team_id, i.copies FROM inherited_addons i JOIN extensions e ON e.org_id = i.org_id AND e.key = i.ext_key WHERE {of_members}"), org, &ids)
            .await?;
        h.inherited = inherited
            .iter()
            .map(|r| {
                (
                    i64::from(r.get::<i32, _>(0)),
                    r.get(1),
                    r.get(2),
                    i64::from(r.get::<i32, _>(3)),
                )
            })
            .collect();
        let assignments = self
            .fetch("SELECT member_id, team_id FROM inherited_assignments WHERE org_id = $1 AND member_id = ANY($2)", org, &ids)
            .await?;
        h.assignments = assignments.iter().map(|r| (r.get(0), r.get(1))).collect();
        h.holdings()
    }

    async fn fetch(
        &mut self,
        sql: &str,
        org: &OrgId,
        ids: &[&str],
    ) -> Result<Vec<sqlx::postgres::PgRow>> {
        sqlx::query(sql)
            .bind(org.as_str())
            .bind(ids)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)
    }

    pub(crate) async fn license_states_impl(
        &mut self,
        org: &OrgId,
        q: &LicenseStateQuery,
    ) -> Result<Vec<LicenseStateRow>> {
        let ids: Option<Vec<&str>> = q
            .members
            .as_ref()
            .map(|m| m.iter().map(|m| m.as_str()).collect());
        let rows = sqlx::query(
            "SELECT member_id, state, code, teams, since, seq FROM license_states
             WHERE org_id = $1 AND ($2::text[] IS NULL OR member_id = ANY($2))
               AND (NOT $3 OR state = 'waiting')
             ORDER BY seq",
        )
        .bind(org.as_str())
        .bind(ids)
        .bind(q.waiting)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                stored::license_state((r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            })
            .collect()
    }

    /// Apply [`seatline_domain::Change::SetTemplate`].
    pub(crate) async fn set_template(
        &mut self,
        org: &OrgId,
        team: &TeamId,
        t: Option<&Template>,
    ) -> Result<()> {
        let q = match t {
            None => sqlx::query("DELETE FROM team_templates WHERE org_id = $1 AND team_id = $2")
                .bind(org.as_str())
                .bind(team.as_str()),
            Some(t) => sqlx::query(
                "INSERT INTO team_templates (org_id, team_id, body) VALUES ($1, $2, $3)
                 ON CONFLICT (org_id, team_id) DO UPDATE SET body = excluded.body, updated_at = seatline_now()",
            )
            .bind(org.as_str())
            .bind(team.as_str())
            .bind(t.to_json().to_string()),
        };
        q.execute(&mut *self.tx).await.map_err(db)?;
        Ok(())
    }

    /// Apply a run of [`seatline_domain::Change::SetGrant`]: the add-on rows (held and
    /// direct), the inherited copies and the inherited assignments of every extension in the
    /// run, each replaced, by six statements.
    pub(crate) async fn set_grants(&mut self, org: &OrgId, grants: &[&Grant]) -> Result<()> {
        let keys: Vec<i32> = grants.iter().map(|g| pg_key(g.key)).collect();
        let members: Vec<&str> = grants.iter().map(|g| g.member.as_str()).collect();
        let (mut ak, mut ac, mut an, mut ad) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut ik, mut ic, mut it, mut inn) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut sm, mut st) = (Vec::new(), Vec::new());
        for g in grants {
            for (c, n) in g.held.iter() {
                ak.push(pg_key(g.key));
                ac.push(c.as_str());
                an.push(n as i32);
                ad.push(g.direct.count(c) as i32);
            }
            for (c, by) in &g.inherited.addons {
                for (t, n) in by {
                    ik.push(pg_key(g.key));
                    ic.push(c.as_str());
                    it.push(t.as_str());
                    inn.push(*n as i32);
                }
            }
            for t in g.inherited.extension.keys() {
                sm.push(g.member.as_str());
                st.push(t.as_str());
            }
        }
        let o = org.as_str();
        for sql in [
            "DELETE FROM extension_addons WHERE org_id = $1 AND ext_key = ANY($2)",
            "DELETE FROM inherited_addons WHERE org_id = $1 AND ext_key = ANY($2)",
        ] {
            sqlx::query(sql)
                .bind(o)
                .bind(&keys)
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        sqlx::query("DELETE FROM inherited_assignments WHERE org_id = $1 AND member_id = ANY($2)")
            .bind(o)
            .bind(&members)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO extension_addons (org_id, ext_key, code, copies, direct)
             SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::int4[], $5::int4[])",
        )
        .bind(o)
        .bind(&ak)
        .bind(&ac)
        .bind(&an)
        .bind(&ad)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        sqlx::query(
            "INSERT INTO inherited_addons (org_id, ext_key, code, team_id, copies)
             SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::text[], $5::int4[])",
        )
        .bind(o)
        .bind(&ik)
        .bind(&ic)
        .bind(&it)
        .bind(&inn)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        sqlx::query(
            "INSERT INTO inherited_assignments (org_id, member_id, team_id)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[])",
        )
        .bind(o)
        .bind(&sm)
        .bind(&st)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Apply a run of [`seatline_domain::Change::SetLicenseState`] in two statements: `since`
    /// moves when the state or its code does, the place in line (`seq`) when the state does;
    /// new places follow the run's order. A member named twice keeps its last state.
    pub(crate) async fn set_license_states(
        &mut self,
        org: &OrgId,
        run: &[(&MemberId, &StateOf)],
    ) -> Result<()> {
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, (m, _)) in run.iter().enumerate() {
            last.insert(m.as_str(), i);
        }
        let (mut gone, mut ms, mut ss, mut cs, mut ts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, (m, state)) in run.iter().enumerate() {
            if last[m.as_str()] != i {
                continue;
            }
            match state {
                None => gone.push(m.as_str()),
                Some((s, teams)) => {
                    ms.push(m.as_str());
                    ss.push(s.as_str());
                    cs.push(s.code().map(|c| c.as_str()));
                    ts.push(serde_json::to_string(teams).expect("a list serializes"));
                }
            }
        }
        sqlx::query("DELETE FROM license_states WHERE org_id = $1 AND member_id = ANY($2)")
            .bind(org.as_str())
            .bind(&gone)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO license_states (org_id, member_id, state, code, teams, seq)
             SELECT $1, u.m, u.s, u.c, u.t, b.top + u.o
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(m, s, c, t, o),
                  (SELECT COALESCE(MAX(seq), 0) AS top FROM license_states WHERE org_id = $1) b
             ON CONFLICT (org_id, member_id) DO UPDATE SET
               teams = excluded.teams,
               since = CASE WHEN license_states.state = excluded.state AND license_states.code IS NOT DISTINCT FROM excluded.code THEN license_states.since ELSE seatline_now() END,
               seq = CASE WHEN license_states.state = excluded.state THEN license_states.seq ELSE excluded.seq END,
               state = excluded.state,
               code = excluded.code",
        )
        .bind(org.as_str())
        .bind(&ms)
        .bind(&ss)
        .bind(&cs)
        .bind(&ts)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}

/// The organizations with a member in the waiting room.
pub(crate) async fn orgs_with_waiting(pool: &PgPool) -> Result<Vec<OrgId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT org_id FROM license_states WHERE state = 'waiting' ORDER BY org_id",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(OrgId).collect())
}

/// Whether a member (?2) inherits its assignment or a copy on its extension ([`Tx::inherits`]).
///
/// [`Tx::inherits`]: seatline_store::Tx::inherits
const INHERITS: &str = "SELECT EXISTS (SELECT 1 FROM inherited_assignments WHERE org_id = ?1 AND member_id = ?2)
    OR EXISTS (SELECT 1 FROM inherited_addons i JOIN extensions e ON e.org_id = i.org_id AND e.key = i.ext_key
               WHERE e.org_id = ?1 AND e.member_id = ?2)";

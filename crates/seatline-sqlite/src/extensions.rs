//! Extensions with their add-ons and numbers: reads by key, holder and filtered page, the
//! taken keys, and inserts.

use rusqlite::ToSql;
use seatline_domain::{Code, ExtKey, Extension, MemberId, OrgId};
use seatline_store::decode::KeyedParts;
use seatline_store::{ExtensionQuery, Result};

use crate::sql::{db, json_list, row, rows, text, Get, Sql};
use crate::teams;
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn extension_by_key(&self, org: &OrgId, key: ExtKey) -> Result<Option<Extension>> {
        self.one_extension(
            org,
            "SELECT key, member_id FROM extensions WHERE org_id = ? AND key = ?",
            &key.get(),
        )
    }

    pub(crate) fn extension_held_by(
        &self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Extension>> {
        self.one_extension(
            org,
            "SELECT key, member_id FROM extensions WHERE org_id = ? AND member_id = ?",
            &member.as_str(),
        )
    }

    pub(crate) fn read_taken_keys(&self, org: &OrgId) -> Result<Vec<u32>> {
        rows(
            &self.conn,
            "SELECT key FROM extensions WHERE org_id = ?",
            (org.as_str(),),
            |r| r.at::<u32>(0),
        )
    }

    /// Add-ons and numbers of the extensions with these keys (sorted), in one statement: a
    /// row with a number is a number, else an add-on. A dense run of keys is read as a range;
    /// a sparse one (a filtered page) also names its keys, so the rest of the range is not read.
    fn parts(&self, org: &OrgId, keys: &[i64]) -> Result<KeyedParts> {
        let (lo, hi) = (keys[0], keys[keys.len() - 1]);
        let sparse = (hi - lo + 1) as usize > 4 * keys.len();
        let listed = sparse.then(|| json_list(keys));
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT ext_key, code, copies, NULL AS number FROM extension_addons
                 WHERE org_id = ?1 AND ext_key BETWEEN ?2 AND ?3
                   AND (?4 IS NULL OR ext_key IN (SELECT value FROM json_each(?4)))
                 UNION ALL
                 SELECT ext_key, NULL, NULL, number FROM numbers
                 WHERE org_id = ?1 AND ext_key BETWEEN ?2 AND ?3
                   AND (?4 IS NULL OR ext_key IN (SELECT value FROM json_each(?4)))
                 ORDER BY number",
            )
            .map_err(db)?;
        // Rows are decoded as they come: a whole organization's add-on and number rows
        // held at once cost more than the extensions they complete.
        let mut rows = st.query((org.as_str(), lo, hi, listed)).map_err(db)?;
        let mut parts = KeyedParts::default();
        while let Some(r) = rows.next().map_err(db)? {
            let key: i64 = r.at(0)?;
            match text(r, 3)? {
                Some(number) => parts.add_number(key, number)?,
                None => parts.add_addon(key, text(r, 1)?.unwrap_or_default(), r.at(2)?)?,
            }
        }
        Ok(parts)
    }

    /// Extensions from rows of (key, member_id) ordered by key, completed with their add-ons
    /// and numbers.
    pub(crate) fn complete(
        &self,
        org: &OrgId,
        rows: Vec<(i64, Option<String>)>,
    ) -> Result<Vec<Extension>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut parts = self.parts(org, &keys)?;
        rows.into_iter()
            .map(|(k, m)| parts.extension(k, m))
            .collect()
    }

    fn one_extension(&self, org: &OrgId, sql: &str, arg: &dyn ToSql) -> Result<Option<Extension>> {
        let found = row(&self.conn, sql, (org.as_str(), arg), |r| {
            Ok((r.at(0)?, r.at(1)?))
        })?;
        Ok(self.complete(org, found.into_iter().collect())?.pop())
    }

    pub(crate) fn insert_addons(
        &self,
        org: &OrgId,
        rows: impl IntoIterator<Item = (ExtKey, Code, u32)>,
    ) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO extension_addons (org_id, ext_key, code, copies, direct) VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .map_err(db)?;
        for (k, c, n) in rows {
            st.execute((org.as_str(), k.get(), c.as_str(), n))
                .map_err(db)?;
        }
        Ok(())
    }

    /// Each with the version its event will give it, when known (see `Tx::expect_versions`).
    pub(crate) fn insert_extensions(&self, org: &OrgId, exts: &[Extension]) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO extensions (org_id, key, member_id, version) VALUES (?, ?, ?, ?)",
            )
            .map_err(db)?;
        for e in exts {
            st.execute((
                org.as_str(),
                e.key.get(),
                e.member.as_ref().map(|m| m.as_str()),
                self.versions.expected.get(&e.key).copied().unwrap_or(0),
            ))
            .map_err(db)?;
        }
        self.insert_addons(
            org,
            exts.iter()
                .flat_map(|e| e.addons.iter().map(|(c, n)| (e.key, c, n))),
        )?;
        self.attach(
            org,
            exts.iter()
                .flat_map(|e| e.numbers.iter().map(|n| (e.key, n))),
        )
    }

    pub(crate) fn read_extensions(
        &self,
        org: &OrgId,
        q: &ExtensionQuery,
    ) -> Result<Vec<Extension>> {
        let mut sql = Sql::new("SELECT key, member_id FROM extensions e WHERE org_id = ");
        sql.bind(org.as_str());
        if let Some(after) = q.after {
            sql.push(" AND key > ").bind(after);
        }
        if !q.members.is_empty() {
            sql.push(" AND member_id IN (SELECT value FROM json_each(")
                .bind(json_list(q.members.iter().map(|m| m.as_str())))
                .push("))");
        }
        if q.unassigned {
            sql.push(" AND member_id IS NULL");
        }
        if let Some(code) = q.addon {
            sql.push(" AND EXISTS (SELECT 1 FROM extension_addons a WHERE a.org_id = e.org_id AND a.ext_key = e.key AND a.code = ")
                .bind(code.as_str())
                .push(")");
        }
        if let Some(p) = &q.key_prefix {
            sql.push(" AND CAST(key AS TEXT) LIKE ")
                .bind(format!("{}%", p.replace(['%', '_'], "")));
        }
        if let Some(teams) = &q.teams {
            sql.push(" AND (member_id IS NULL OR member_id IN (");
            teams::push_team_members(&mut sql, org, teams);
            sql.push("))");
        }
        sql.push(" ORDER BY key LIMIT ").bind(q.limit);
        let found = sql.rows(&self.conn, |r| Ok((r.at(0)?, r.at(1)?)))?;
        self.complete(org, found)
    }
}

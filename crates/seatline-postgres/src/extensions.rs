//! Extensions with their add-ons and numbers: reads by key, holder and filtered page, the
//! taken keys, and inserts. Rows travel as arrays through `UNNEST`, so 100,000 extensions
//! with their add-ons and numbers are a handful of statements.

use std::collections::BTreeSet;

use seatline_domain::{Addons, ExtKey, Extension, MemberId, OrgId};
use seatline_store::decode::KeyedParts;
use seatline_store::{ExtensionQuery, Result, StoreError};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::sql::{db, limit, pg_key};
use crate::teams;
use crate::tx::PgTx;

impl PgTx {
    /// Extensions from rows of (key, member_id) ordered by key, completed with their add-ons
    /// and numbers. `all` says the rows are every extension of the org, so no key filter.
    pub(crate) async fn complete(
        &mut self,
        org: &OrgId,
        rows: Vec<(i32, Option<String>)>,
        all: bool,
    ) -> Result<Vec<Extension>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Option<Vec<i32>> = (!all).then(|| rows.iter().map(|r| r.0).collect());
        // Add-ons and numbers in one round trip: a row with a number is a number, else an add-on.
        let found = sqlx::query(
            "SELECT ext_key, code, copies, NULL::text COLLATE \"C\" AS number FROM extension_addons
             WHERE org_id = $1 AND ($2::int4[] IS NULL OR ext_key = ANY($2))
             UNION ALL
             SELECT ext_key, NULL, NULL, number FROM numbers
             WHERE org_id = $1 AND ext_key IS NOT NULL AND ($2::int4[] IS NULL OR ext_key = ANY($2))
             ORDER BY number",
        )
        .bind(org.as_str())
        .bind(&keys)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        let mut parts = KeyedParts::default();
        for r in found {
            let key: i64 = r.get::<i32, _>(0).into();
            match r.get::<Option<&str>, _>(3) {
                Some(number) => parts.add_number(key, number)?,
                None => parts.add_addon(key, r.get(1), r.get::<i32, _>(2).into())?,
            }
        }
        rows.into_iter()
            .map(|(k, m)| parts.extension(k.into(), m))
            .collect()
    }

    pub(crate) async fn extension_by_key(
        &mut self,
        org: &OrgId,
        key: ExtKey,
    ) -> Result<Option<Extension>> {
        let q = sqlx::query(ONE_BY_KEY).bind(org.as_str()).bind(pg_key(key));
        self.one(q).await
    }

    pub(crate) async fn extension_held_by(
        &mut self,
        org: &OrgId,
        member: &MemberId,
    ) -> Result<Option<Extension>> {
        let q = sqlx::query(ONE_BY_HOLDER)
            .bind(org.as_str())
            .bind(member.as_str());
        self.one(q).await
    }

    /// One extension with its add-ons and numbers in one round trip (a write use case reads
    /// its extension under the org lock: issue 27), from [`ONE_BY_KEY`] or [`ONE_BY_HOLDER`].
    async fn one(
        &mut self,
        q: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<Option<Extension>> {
        let rows = q.fetch_all(&mut *self.tx).await.map_err(db)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let (k, member): (i32, Option<String>) = (first.get(0), first.get(1));
        let mut parts = KeyedParts::default();
        for r in &rows {
            match (r.get::<Option<&str>, _>(4), r.get::<Option<&str>, _>(2)) {
                (Some(number), _) => parts.add_number(k.into(), number)?,
                (None, Some(code)) => parts.add_addon(k.into(), code, r.get::<i32, _>(3).into())?,
                (None, None) => {}
            }
        }
        parts.extension(k.into(), member).map(Some)
    }

    pub(crate) async fn read_extensions(
        &mut self,
        org: &OrgId,
        q: &ExtensionQuery,
    ) -> Result<Vec<Extension>> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT key, member_id FROM extensions e WHERE org_id = ",
        );
        qb.push_bind(org.as_str());
        if let Some(after) = q.after {
            qb.push(" AND key > ").push_bind(i64::from(after));
        }
        if !q.members.is_empty() {
            let ids: Vec<&str> = q.members.iter().map(|m| m.as_str()).collect();
            qb.push(" AND member_id = ANY(").push_bind(ids).push(")");
        }
        if q.unassigned {
            qb.push(" AND member_id IS NULL");
        }
        if let Some(code) = q.addon {
            qb.push(" AND EXISTS (SELECT 1 FROM extension_addons a WHERE a.org_id = e.org_id AND a.ext_key = e.key AND a.code = ")
                .push_bind(code.as_str())
                .push(")");
        }
        if let Some(p) = &q.key_prefix {
            qb.push(" AND CAST(key AS TEXT) LIKE ")
                .push_bind(format!("{}%", p.replace(['%', '_', '\\'], "")));
        }
        if let Some(teams) = &q.teams {
            qb.push(" AND (member_id IS NULL OR member_id IN (");
            teams::push_team_members(&mut qb, org, teams);
            qb.push("))");
        }
        qb.push(" ORDER BY key LIMIT ").push_bind(limit(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        let rows = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        self.complete(org, rows, false).await
    }

    pub(crate) async fn read_taken_keys(&mut self, org: &OrgId) -> Result<BTreeSet<u32>> {
        let rows = sqlx::query("SELECT key FROM extensions WHERE org_id = $1")
            .bind(org.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get::<i32, _>(0) as u32).collect())
    }

    pub(crate) async fn insert_addons<'a>(
        &mut self,
        org: &OrgId,
        sets: impl IntoIterator<Item = (i32, &'a Addons)>,
    ) -> Result<()> {
        let (mut keys, mut codes, mut copies) = (Vec::new(), Vec::new(), Vec::new());
        for (key, addons) in sets {
            for (code, n) in addons.iter() {
                keys.push(key);
                codes.push(code.as_str());
                copies.push(i32::try_from(n).map_err(|_| {
                    StoreError::Constraint(format!("{n} copies of {code} are out of range"))
                })?);
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO extension_addons (org_id, ext_key, code, copies, direct)
             SELECT $1, k, c, n, n FROM UNNEST($2::int4[], $3::text[], $4::int4[]) AS u(k, c, n)",
        )
        .bind(org.as_str())
        .bind(&keys)
        .bind(&codes)
        .bind(&copies)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn insert_extensions(
        &mut self,
        org: &OrgId,
        exts: &[Extension],
    ) -> Result<()> {
        if exts.is_empty() {
            return Ok(());
        }
        let keys: Vec<i32> = exts.iter().map(|e| pg_key(e.key)).collect();
        let members: Vec<Option<&str>> = exts
            .iter()
            .map(|e| e.member.as_ref().map(|m| m.as_str()))
            .collect();
        // Each with the version its event will give it, when known (see `Tx::expect_versions`).
        let versions: Vec<i64> = exts
            .iter()
            .map(|e| match self.expected.remove(&e.key) {
                Some(v) => {
                    self.written.insert(e.key, v);
                    v
                }
                None => 0,
            })
            .collect();
        sqlx::query(
            "INSERT INTO extensions (org_id, key, member_id, version)
             SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::int8[])",
        )
        .bind(org.as_str())
        .bind(&keys)
        .bind(&members)
        .bind(&versions)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        self.insert_addons(org, exts.iter().map(|e| (pg_key(e.key), &e.addons)))
            .await?;
        let numbers: Vec<_> = exts
            .iter()
            .flat_map(|e| e.numbers.iter().map(|n| (pg_key(e.key), n)))
            .collect();
        self.attach(org, &numbers).await
    }
}

/// An extension and its parts, one row per add-on or number (numbers in order), or one row of
/// nulls beside it when it has neither; `{by}` picks the extension by $2.
macro_rules! one_extension {
    ($by:literal) => {
        concat!(
            "SELECT e.key, e.member_id, p.code, p.copies, p.number
             FROM extensions e
             LEFT JOIN LATERAL (
                 SELECT code, copies, NULL::text COLLATE \"C\" AS number FROM extension_addons a
                 WHERE a.org_id = e.org_id AND a.ext_key = e.key
                 UNION ALL
                 SELECT NULL, NULL, number FROM numbers n
                 WHERE n.org_id = e.org_id AND n.ext_key = e.key
             ) p ON true
             WHERE e.org_id = $1 AND ",
            $by,
            " ORDER BY p.number"
        )
    };
}
const ONE_BY_KEY: &str = one_extension!("e.key = $2");
const ONE_BY_HOLDER: &str = one_extension!("e.member_id = $2");

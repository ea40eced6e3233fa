//! Applying a decision's changes and audit entries. Rows travel as arrays through `UNNEST`, so
//! a bulk change (100,000 extensions with their add-ons and numbers) is a handful of
//! statements, not one round trip per row.

use seatline_domain::{Addons, Change, Extension, OrgId, E164};
use seatline_store::{AuditEntry, Result, StoreError};

use crate::db;
use crate::tx::{pg_key, PgTx};

impl PgTx {
    pub(crate) async fn apply_changes(&mut self, org: &OrgId, changes: &[Change]) -> Result<()> {
        let mut rest = changes;
        while let Some(change) = rest.first() {
            // A run of inventory additions is one statement.
            let run: Vec<&str> = rest
                .iter()
                .map_while(|c| match c {
                    Change::InsertNumber(n) => Some(n.as_str()),
                    _ => None,
                })
                .collect();
            if run.is_empty() {
                self.apply_one(org, change).await?;
                rest = &rest[1..];
            } else {
                self.insert_numbers(org, &run).await?;
                rest = &rest[run.len()..];
            }
        }
        Ok(())
    }

    async fn apply_one(&mut self, org: &OrgId, change: &Change) -> Result<()> {
        let o = org.as_str();
        match change {
            Change::InsertOrg(new) => {
                sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(new.id.as_str())
                    .bind(&new.name)
                    .bind(&new.created_at)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            Change::SetPurchased { code, quantity } => {
                let quantity = i32::try_from(*quantity).map_err(|_| {
                    StoreError::Constraint(format!("quantity {quantity} is out of range"))
                })?;
                sqlx::query(
                    "INSERT INTO subscriptions (org_id, code, quantity) VALUES ($1, $2, $3)
                     ON CONFLICT (org_id, code) DO UPDATE SET quantity = excluded.quantity",
                )
                .bind(o)
                .bind(code.as_str())
                .bind(quantity)
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
            }
            Change::InsertNumber(n) => self.insert_numbers(org, &[n.as_str()]).await?,
            Change::DeleteNumber(n) => {
                sqlx::query("DELETE FROM numbers WHERE org_id = $1 AND number = $2")
                    .bind(o)
                    .bind(n.as_str())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            Change::InsertMember(m) => {
                sqlx::query(
                    "INSERT INTO members (org_id, id, email, name, role, status)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(o)
                .bind(m.id.as_str())
                .bind(m.email.as_str())
                .bind(&m.name)
                .bind(m.role.as_str())
                .bind(m.status.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
            }
            Change::UpdateMember(m) => {
                // The owner role moves by transfer: the rule demotes first, so one owner holds
                // after every statement.
                sqlx::query(
                    "UPDATE members SET email = $3, name = $4, role = $5, status = $6
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(o)
                .bind(m.id.as_str())
                .bind(m.email.as_str())
                .bind(&m.name)
                .bind(m.role.as_str())
                .bind(m.status.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
            }
            Change::DeleteMember(id) => {
                sqlx::query("DELETE FROM members WHERE org_id = $1 AND id = $2")
                    .bind(o)
                    .bind(id.as_str())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            Change::InsertExtensions(exts) => self.insert_extensions(org, exts).await?,
            Change::DeleteExtension(key) => {
                self.detach_all(org, pg_key(*key)).await?;
                sqlx::query("DELETE FROM extensions WHERE org_id = $1 AND key = $2")
                    .bind(o)
                    .bind(pg_key(*key))
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            Change::SetExtensionMember { key, member } => {
                sqlx::query("UPDATE extensions SET member_id = $3 WHERE org_id = $1 AND key = $2")
                    .bind(o)
                    .bind(pg_key(*key))
                    .bind(member.as_ref().map(|m| m.as_str()))
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            Change::SetAddons { key, addons } => {
                sqlx::query("DELETE FROM extension_addons WHERE org_id = $1 AND ext_key = $2")
                    .bind(o)
                    .bind(pg_key(*key))
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
                self.insert_addons(org, [(pg_key(*key), addons)]).await?;
            }
            Change::SetNumbers { key, numbers } => {
                self.detach_all(org, pg_key(*key)).await?;
                let pairs: Vec<_> = numbers.iter().map(|n| (pg_key(*key), n)).collect();
                self.attach(org, &pairs).await?;
            }
            Change::SetSubscription(s) => self.write_subscription(org, s).await?,
            Change::SetScimFields {
                member,
                external_id,
                given_name,
                family_name,
                modified_at,
            } => {
                let fields = [external_id, given_name, family_name].map(Option::as_deref);
                self.set_scim_fields(org, member, fields, modified_at)
                    .await?
            }
            Change::InsertTeam(t) => self.insert_team(org, t).await?,
            Change::UpdateTeam(t) => self.update_team(org, t).await?,
            Change::DeleteTeam(id) => self.delete_team(org, id).await?,
            Change::SetTeamMembers { team, members } => {
                self.set_team_members(org, team, members).await?
            }
            Change::SetScope { member, teams } => {
                self.set_scope(org, member, teams.as_deref()).await?
            }
        }
        Ok(())
    }

    async fn insert_numbers(&mut self, org: &OrgId, numbers: &[&str]) -> Result<()> {
        sqlx::query("INSERT INTO numbers (org_id, number) SELECT $1, * FROM UNNEST($2::text[])")
            .bind(org.as_str())
            .bind(numbers)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn detach_all(&mut self, org: &OrgId, key: i32) -> Result<()> {
        sqlx::query("UPDATE numbers SET ext_key = NULL WHERE org_id = $1 AND ext_key = $2")
            .bind(org.as_str())
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Attach free inventory numbers; a number missing or taken is a constraint violation.
    async fn attach(&mut self, org: &OrgId, pairs: &[(i32, &E164)]) -> Result<()> {
        if pairs.is_empty() {
            return Ok(());
        }
        let numbers: Vec<&str> = pairs.iter().map(|(_, n)| n.as_str()).collect();
        let keys: Vec<i32> = pairs.iter().map(|(k, _)| *k).collect();
        let done = sqlx::query(
            "UPDATE numbers n SET ext_key = v.ext_key
             FROM UNNEST($2::text[], $3::int4[]) AS v(number, ext_key)
             WHERE n.org_id = $1 AND n.number = v.number AND n.ext_key IS NULL",
        )
        .bind(org.as_str())
        .bind(&numbers)
        .bind(&keys)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        if done.rows_affected() as usize != pairs.len() {
            return Err(StoreError::Constraint(
                "a number to attach is not free in the inventory".into(),
            ));
        }
        Ok(())
    }

    async fn insert_addons<'a>(
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
            "INSERT INTO extension_addons (org_id, ext_key, code, copies)
             SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::int4[])",
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

    async fn insert_extensions(&mut self, org: &OrgId, exts: &[Extension]) -> Result<()> {
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

    pub(crate) async fn insert_audit(&mut self, org: &OrgId, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&AuditEntry) -> String| entries.iter().map(f).collect::<Vec<_>>();
        let request_ids: Vec<Option<&str>> =
            entries.iter().map(|e| e.request_id.as_deref()).collect();
        // WITH ORDINALITY keeps the entries' order in their ids.
        sqlx::query(
            "INSERT INTO audit (org_id, at, actor, action, target, before, after, request_id, teams)
             SELECT $1, at, actor, action, target, before::jsonb, after::jsonb, request_id, teams
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
                  WITH ORDINALITY AS v(at, actor, action, target, before, after, request_id, teams, ord)
             ORDER BY ord",
        )
        .bind(org.as_str())
        .bind(col(|e| e.at.clone()))
        .bind(col(|e| e.actor.clone()))
        .bind(col(|e| e.action.clone()))
        .bind(col(|e| e.target.clone()))
        .bind(col(|e| e.before.to_string()))
        .bind(col(|e| e.after.to_string()))
        .bind(&request_ids)
        .bind(col(|e| serde_json::to_string(&e.teams).unwrap_or_default()))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}

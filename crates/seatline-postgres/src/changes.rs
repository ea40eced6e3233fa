//! Applying a decision's changes in order, each through the capability it concerns; a run
//! of inventory additions is one statement.

use seatline_domain::{Change, OrgId};
use seatline_store::{Result, StoreError};

use crate::sql::{db, pg_key};
use crate::tx::PgTx;

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
            // So is a run of template grants, and one of license states (product.md §13): a
            // template applied to 10,000 members is a few statements, not 10,000.
            let grants: Vec<&seatline_domain::templates::Grant> = rest
                .iter()
                .map_while(|c| match c {
                    Change::SetGrant(g) => Some(g),
                    _ => None,
                })
                .collect();
            let states: Vec<_> = rest
                .iter()
                .map_while(|c| match c {
                    Change::SetLicenseState { member, state } => Some((member, state)),
                    _ => None,
                })
                .collect();
            if !grants.is_empty() {
                self.set_grants(org, &grants).await?;
                rest = &rest[grants.len()..];
            } else if !states.is_empty() {
                self.set_license_states(org, &states).await?;
                rest = &rest[states.len()..];
            } else if run.is_empty() {
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
            Change::SetTemplate { team, template } => {
                self.set_template(org, team, template.as_ref()).await?
            }
            Change::SetGrant(g) => self.set_grants(org, &[g]).await?,
            Change::SetLicenseState { member, state } => {
                self.set_license_states(org, &[(member, state)]).await?
            }
        }
        Ok(())
    }
}

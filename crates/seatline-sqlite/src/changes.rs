//! Applying a decision's changes in order, each through the capability it concerns.

use seatline_domain::{Change, OrgId};
use seatline_store::Result;

use crate::sql::exec;
use crate::tx::SqliteTx;

impl SqliteTx {
    pub(crate) fn apply_changes(&self, org: &OrgId, changes: &[Change]) -> Result<()> {
        for change in changes {
            match change {
                Change::InsertOrg(o) => {
                    exec(
                        &self.conn,
                        "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
                        (o.id.as_str(), &o.name, &o.created_at),
                    )?;
                }
                Change::SetPurchased { code, quantity } => {
                    self.exec(
                        "INSERT INTO subscriptions (org_id, code, quantity) VALUES (?, ?, ?)
                         ON CONFLICT (org_id, code) DO UPDATE SET quantity = excluded.quantity",
                        org,
                        &[&code.as_str(), quantity],
                    )?;
                }
                Change::InsertNumber(n) => {
                    self.exec(
                        "INSERT INTO numbers (org_id, number) VALUES (?, ?)",
                        org,
                        &[&n.as_str()],
                    )?;
                }
                Change::DeleteNumber(n) => {
                    self.exec(
                        "DELETE FROM numbers WHERE org_id = ? AND number = ?",
                        org,
                        &[&n.as_str()],
                    )?;
                }
                Change::InsertMember(m) => {
                    self.exec(
                        "INSERT INTO members (org_id, id, email, name, role, status) VALUES (?, ?, ?, ?, ?, ?)",
                        org,
                        &[
                            &m.id.as_str(),
                            &m.email.as_str(),
                            &m.name,
                            &m.role.as_str(),
                            &m.status.as_str(),
                        ],
                    )?;
                }
                Change::UpdateMember(m) => {
                    // The owner role moves by transfer: demote first so one owner holds at all times.
                    self.exec(
                        "UPDATE members SET email = ?2, name = ?3, role = ?4, status = ?5 WHERE org_id = ?1 AND id = ?6",
                        org,
                        &[
                            &m.email.as_str(),
                            &m.name,
                            &m.role.as_str(),
                            &m.status.as_str(),
                            &m.id.as_str(),
                        ],
                    )?;
                }
                Change::DeleteMember(id) => {
                    self.exec(
                        "DELETE FROM members WHERE org_id = ? AND id = ?",
                        org,
                        &[&id.as_str()],
                    )?;
                }
                Change::InsertExtensions(exts) => self.insert_extensions(org, exts)?,
                Change::DeleteExtension(key) => {
                    self.exec(
                        "UPDATE numbers SET ext_key = NULL WHERE org_id = ? AND ext_key = ?",
                        org,
                        &[&key.get()],
                    )?;
                    self.exec(
                        "DELETE FROM extensions WHERE org_id = ? AND key = ?",
                        org,
                        &[&key.get()],
                    )?;
                }
                Change::SetExtensionMember { key, member } => {
                    self.exec(
                        "UPDATE extensions SET member_id = ?2 WHERE org_id = ?1 AND key = ?3",
                        org,
                        &[&member.as_ref().map(|m| m.as_str()), &key.get()],
                    )?;
                }
                Change::SetAddons { key, addons } => {
                    self.exec(
                        "DELETE FROM extension_addons WHERE org_id = ? AND ext_key = ?",
                        org,
                        &[&key.get()],
                    )?;
                    self.insert_addons(org, addons.iter().map(|(c, n)| (*key, c, n)))?;
                }
                Change::SetNumbers { key, numbers } => self.set_numbers(org, *key, numbers)?,
                Change::SetSubscription(s) => self.write_subscription(org, s)?,
                Change::SetScimFields {
                    member,
                    external_id,
                    given_name,
                    family_name,
                    modified_at,
                } => self.set_scim_fields(
                    org,
                    member,
                    [external_id, given_name, family_name].map(Option::as_deref),
                    modified_at,
                )?,
                Change::InsertTeam(t) => self.insert_team(org, t)?,
                Change::UpdateTeam(t) => self.update_team(org, t)?,
                Change::DeleteTeam(id) => self.delete_team(org, id)?,
                Change::SetTeamMembers { team, members } => {
                    self.set_team_members(org, team, members)?
                }
                Change::SetScope { member, teams } => {
                    self.set_scope(org, member, teams.as_deref())?
                }
                Change::SetTemplate { team, template } => {
                    self.set_template(org, team, template.as_ref())?
                }
                Change::SetGrant(g) => self.set_grant(org, g)?,
                Change::SetLicenseState { member, state } => {
                    self.set_license_state(org, member, state.as_ref())?
                }
            }
        }
        Ok(())
    }
}

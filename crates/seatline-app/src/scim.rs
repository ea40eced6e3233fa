//! SCIM 2.0 for members (product.md §9): the identity provider's tokens, and the use cases
//! behind `/scim/v2/Users`. A SCIM write names desired values ([`UserWrite`]); it becomes ONE
//! decision composed of the same rules the admin UI uses (create, profile, status, provision,
//! assign, add-ons, numbers), each step deciding on the state the previous steps left, and is
//! applied with its audit entries by [`App::commit`] under the organization's lock.

use std::collections::BTreeSet;

use rand::RngCore;
use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{
    rules, Addons, AuditRecord, Change, Code, Decision, Email, Error, ErrorCode, ExtKey, Extension,
    Member, MemberId, OrgId, Role, Seats, Status, E164,
};
use seatline_store::{ScimMember, ScimQuery, ScimTokenRow, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::tokens::hash_secret;
use crate::views::Page;
use crate::{need, new_id, now, App, AppResult, Ctx, Locked};

/// Where a provisioned-on-demand extension's key is looked for first: four- and five-digit
/// keys are people's extensions on most phone systems; three-digit ones are left for
/// services unless nothing else is free.
pub const FIRST_PERSONAL_KEY: u32 = 1000;

/// Largest SCIM page (`count`); larger requests get this many.
pub const MAX_SCIM_PAGE: u32 = 200;

/// What a SCIM write of a member may do beyond creating it.
const WRITE_ACTIONS: &[Action] = &[
    Action::SetStatus,
    Action::Provision,
    Action::Assign,
    Action::SetAddons,
    Action::SetNumbers,
];

/// A member as its SCIM User shows it: the member, what SCIM adds, and its extension.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    pub member: Member,
    pub external_id: Option<String>,
    /// The name parts as the client wrote them; `None` for members never given them over
    /// SCIM. The display name is the member's name.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub extension: Option<Extension>,
    /// Each code's subscription state, for the effective flags (product.md §10).
    pub states: seatline_domain::Seats,
}

/// What a SCIM write asks for. `None` leaves a value as it is; for `external_id`, the name
/// parts, `extension` and `phone_number`, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserWrite {
    pub email: Option<String>,
    /// The member's name: the User's `displayName`.
    pub name: Option<String>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub active: Option<bool>,
    /// The extension key the member should hold.
    pub extension: Option<Option<String>>,
    /// Whether the member should hold an extension at all.
    pub phone_system: Option<bool>,
    /// Copies of add-on codes wanted on the member's extension; codes not named stay.
    pub addons: Vec<(Code, u32)>,
    /// The member's (first) number.
    pub phone_number: Option<Option<String>>,
}

/// A SCIM token as issued: the secret is shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedScimToken {
    pub id: String,
    pub name: String,
    pub token: String,
}

/// A SCIM token as listed (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimTokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub revoked: bool,
}

impl From<ScimTokenRow> for ScimTokenView {
    fn from(t: ScimTokenRow) -> Self {
        ScimTokenView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            revoked: t.revoked,
        }
    }
}

fn new_scim_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "scim_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn unauthenticated() -> Error {
    Error::new(
        ErrorCode::Unauthenticated,
        "the SCIM bearer token is missing, revoked or unknown; the organization's owner creates one under SCIM settings",
    )
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::Malformed, message).detail("field", field)
}

/// The organization a SCIM actor acts in.
fn scim_org(ctx: &Ctx) -> Result<&OrgId, Error> {
    match (&ctx.actor, &ctx.org) {
        (Actor::Scim { .. }, Some(org)) => Ok(org),
        _ => Err(Error::forbidden("use SCIM; present a SCIM token")),
    }
}

/// Which extension the member should hold after a write.
enum Holding {
    Keep,
    Key(ExtKey),
    NextFree,
    None,
}

/// A SCIM write being decided: the state after the steps so far, and their decision.
struct Draft {
    member: Member,
    ext: Option<Extension>,
    seats: Seats,
    decision: Decision,
    /// Numbers this draft took off an extension: free for the next step, though the
    /// database still shows them attached until the commit.
    detached: Vec<E164>,
}

impl Draft {
    fn push(&mut self, step: Decision) {
        for c in &step.changes {
            match c {
                Change::UpdateMember(m) | Change::InsertMember(m) => self.member = m.clone(),
                Change::InsertExtensions(exts) => {
                    let seat = self.seats.by_code.entry(Code::PhoneSystem).or_default();
                    seat.in_use += exts.len() as u32;
                    self.ext = exts.last().cloned();
                }
                Change::SetExtensionMember { key, member } => {
                    if let Some(e) = self.ext.as_mut().filter(|e| e.key == *key) {
                        e.member = member.clone();
                    }
                }
                Change::SetAddons { key, addons } => {
                    if let Some(e) = self.ext.as_mut().filter(|e| e.key == *key) {
                        for code in Code::addons() {
                            let seat = self.seats.by_code.entry(code).or_default();
                            seat.in_use = (seat.in_use + addons.count(code))
                                .saturating_sub(e.addons.count(code));
                        }
                        e.addons = addons.clone();
                    }
                }
                Change::SetNumbers { key, numbers } => {
                    if let Some(e) = self.ext.as_mut().filter(|e| e.key == *key) {
                        let gone = e.numbers.iter().filter(|n| !numbers.contains(n));
                        self.detached.extend(gone.cloned());
                        e.numbers = numbers.clone();
                    }
                }
                Change::DeleteExtension(key)
                    if self.ext.as_ref().is_some_and(|e| e.key == *key) =>
                {
                    let seat = self.seats.by_code.entry(Code::PhoneSystem).or_default();
                    seat.in_use = seat.in_use.saturating_sub(1);
                    self.ext = None;
                }
                _ => {}
            }
        }
        self.decision.changes.extend(step.changes);
        self.decision.audit.extend(step.audit);
    }
}

impl App {
    /// Resolve a SCIM token to the organization's identity provider.
    pub async fn scim_authenticate(&self, secret: &str) -> AppResult<Ctx> {
        let row = self
            .store()
            .scim_token(&hash_secret(secret))
            .await?
            .filter(|t| !t.revoked)
            .ok_or_else(unauthenticated)?;
        Ok(Ctx {
            actor: Actor::Scim { id: row.id },
            org: Some(row.org),
            request_id: None,
        })
    }

    /// Create a SCIM token for the organization (owner only); the secret is shown once.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn create_scim_token(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        name: &str,
    ) -> AppResult<IssuedScimToken> {
        self.guard(ctx, org, Action::ManageScimTokens, None)?;
        let name = if name.trim().is_empty() {
            "SCIM".to_owned()
        } else {
            seatline_domain::parse_name("name", name)?
        };
        let mut tx = self.lock(org).await?;
        let secret = new_scim_secret();
        let row = ScimTokenRow {
            id: new_id("scim"),
            org: org.clone(),
            name: name.clone(),
            hash: hash_secret(&secret),
            created_at: now(),
            revoked: false,
        };
        tx.insert_scim_token(&row).await?;
        let audit = Decision {
            changes: Vec::new(),
            audit: vec![AuditRecord {
                action: "scim_token.create",
                target: format!("scim_token:{}", row.id),
                before: serde_json::Value::Null,
                after: json!({"id": row.id, "name": name}),
            }],
        };
        self.commit(tx, ctx, org, audit).await?;
        Ok(IssuedScimToken {
            id: row.id,
            name,
            token: secret,
        })
    }

    /// The organization's SCIM tokens, oldest first, revoked ones included: one page, as
    /// every list answers (an organization has a handful).
    pub async fn scim_tokens(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Page<ScimTokenView>> {
        self.guard(ctx, org, Action::ManageScimTokens, None)?;
        let mut tx = self.read(org).await?;
        let items = tx
            .scim_tokens(org)
            .await?
            .into_iter()
            .map(ScimTokenView::from)
            .collect();
        Ok(Page {
            items,
            next_cursor: None,
        })
    }

    /// Revoke a SCIM token; it stops working at once.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn revoke_scim_token(&self, ctx: &Ctx, org: &OrgId, id: &str) -> AppResult<()> {
        self.guard(ctx, org, Action::ManageScimTokens, None)?;
        let mut tx = self.lock(org).await?;
        if !tx.revoke_scim_token(org, id).await? {
            return Err(Error::not_found("SCIM token", id).into());
        }
        let audit = Decision {
            changes: Vec::new(),
            audit: vec![AuditRecord {
                action: "scim_token.revoke",
                target: format!("scim_token:{id}"),
                before: json!({"id": id}),
                after: serde_json::Value::Null,
            }],
        };
        self.commit(tx, ctx, org, audit).await
    }

    /// Members as SCIM Users, with their extensions, and how many match in all.
    pub async fn scim_users(&self, ctx: &Ctx, mut q: ScimQuery) -> AppResult<(u64, Vec<ScimUser>)> {
        let org = scim_org(ctx)?.clone();
        self.guard(ctx, &org, Action::ReadOrg, None)?;
        q.limit = q.limit.min(MAX_SCIM_PAGE);
        let mut tx = self.read(&org).await?;
        let (total, rows) = tx.scim_members(&org, &q).await?;
        let users = with_extensions(&mut tx, &org, rows).await?;
        Ok((total, users))
    }

    pub async fn scim_user(&self, ctx: &Ctx, id: &str) -> AppResult<ScimUser> {
        let org = scim_org(ctx)?.clone();
        self.guard(ctx, &org, Action::ReadOrg, None)?;
        let mut tx = self.read(&org).await?;
        need(load_user(&mut tx, &org, id).await?, "member", id).map_err(Into::into)
    }

    /// Create a member (role member) with its extension and add-ons, in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn scim_create(&self, ctx: &Ctx, write: UserWrite) -> AppResult<ScimUser> {
        let org = scim_org(ctx)?.clone();
        for action in [Action::CreateMember].iter().chain(WRITE_ACTIONS) {
            self.guard(ctx, &org, *action, None)?;
        }
        let email_text = write
            .email
            .as_deref()
            .ok_or_else(|| invalid("userName", "userName is required: the member's email"))?;
        let email: Email = email_text
            .parse()
            .map_err(|e: Error| e.detail("field", "userName"))?;
        let name = write
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| email.to_string());
        let member = rules::new_member(MemberId(new_id("mem")), email, &name, Role::Member)?;
        let mut tx = self.lock(&org).await?;
        let taken = tx.member_by_email(&org, &member.email).await?.is_some();
        let mut draft = Draft {
            member: member.clone(),
            ext: None,
            seats: tx.seats(&org).await?,
            decision: Decision::default(),
            detached: Vec::new(),
        };
        draft.push(rules::create_member(None, member, taken)?);
        let external_id = write.external_id.clone().flatten();
        let parts = [&write.given_name, &write.family_name].map(|p| p.clone().flatten());
        self.decide_write(&mut tx, &org, &mut draft, &write).await?;
        if external_id.is_some() || parts.iter().any(Option::is_some) {
            draft.push(scim_fields(
                &draft.member,
                None,
                external_id.clone(),
                parts.clone(),
            ));
        }
        let [given_name, family_name] = parts;
        let user = ScimUser {
            member: draft.member.clone(),
            external_id,
            given_name,
            family_name,
            created_at: String::new(),
            updated_at: String::new(),
            extension: draft.ext.clone(),
            states: draft.seats.clone(),
        };
        let id = user.member.id.clone();
        self.commit(tx, ctx, &org, draft.decision).await?;
        self.reread(&org, &id, user).await
    }

    /// Change a member from a SCIM write. `plan` sees the current User (to check `If-Match`
    /// and apply PATCH operations to it) and answers the write; it runs under the lock, so
    /// nothing changes between what it saw and what is written.
    #[tracing::instrument(skip_all)]
    pub async fn scim_update(
        &self,
        ctx: &Ctx,
        id: &str,
        plan: impl FnOnce(&ScimUser) -> Result<UserWrite, Error>,
    ) -> AppResult<ScimUser> {
        let org = scim_org(ctx)?.clone();
        for action in WRITE_ACTIONS {
            self.guard(ctx, &org, *action, None)?;
        }
        let mut tx = self.lock(&org).await?;
        let current = need(load_user(&mut tx, &org, id).await?, "member", id)?;
        let write = plan(&current)?;
        let mut draft = Draft {
            member: current.member.clone(),
            ext: current.extension.clone(),
            seats: tx.seats(&org).await?,
            decision: Decision::default(),
            detached: Vec::new(),
        };
        if write.email.is_some() || write.name.is_some() {
            let email: Email = match &write.email {
                Some(e) => e
                    .parse()
                    .map_err(|e: Error| e.detail("field", "userName"))?,
                None => current.member.email.clone(),
            };
            let name = write
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| current.member.name.clone());
            let taken =
                email != current.member.email && tx.member_by_email(&org, &email).await?.is_some();
            draft.push(rules::update_profile(&current.member, email, &name, taken)?);
        }
        self.decide_write(&mut tx, &org, &mut draft, &write).await?;
        let external_id = match &write.external_id {
            Some(x) => x.clone(),
            None => current.external_id.clone(),
        };
        let given_name = write
            .given_name
            .clone()
            .unwrap_or_else(|| current.given_name.clone());
        let family_name = write
            .family_name
            .clone()
            .unwrap_or_else(|| current.family_name.clone());
        let parts_changed =
            (&given_name, &family_name) != (&current.given_name, &current.family_name);
        if !draft.decision.is_empty() || external_id != current.external_id || parts_changed {
            draft.push(scim_fields(
                &draft.member,
                current.external_id.clone(),
                external_id.clone(),
                [given_name.clone(), family_name.clone()],
            ));
        }
        let user = ScimUser {
            member: draft.member.clone(),
            external_id,
            given_name,
            family_name,
            extension: draft.ext.clone(),
            ..current
        };
        let id = user.member.id.clone();
        self.commit(tx, ctx, &org, draft.decision).await?;
        self.reread(&org, &id, user).await
    }

    /// Disable, then delete a member; its extension stays provisioned, unassigned. `check`
    /// sees the current User first (for `If-Match`).
    #[tracing::instrument(skip_all)]
    pub async fn scim_delete(
        &self,
        ctx: &Ctx,
        id: &str,
        check: impl FnOnce(&ScimUser) -> Result<(), Error>,
    ) -> AppResult<()> {
        let org = scim_org(ctx)?.clone();
        self.guard(ctx, &org, Action::DeleteMember, None)?;
        let mut tx = self.lock(&org).await?;
        let current = need(load_user(&mut tx, &org, id).await?, "member", id)?;
        check(&current)?;
        // What its teams granted goes with it (§13); what was direct stays, unassigned.
        self.release_inherited(&mut tx, ctx, &org, &current.member)
            .await?;
        let ext = tx.extension_of(&org, &current.member.id).await?;
        let mut draft = Draft {
            member: current.member.clone(),
            ext,
            seats: Seats::default(),
            decision: Decision::default(),
            detached: Vec::new(),
        };
        draft.push(rules::set_status(&current.member, Status::Disabled)?);
        draft.push(rules::delete_member(&draft.member, draft.ext.as_ref())?);
        self.commit(tx, ctx, &org, draft.decision).await
    }

    /// The User as stored after a write (its times are the database's); `fallback` if a
    /// concurrent DELETE removed it in between.
    async fn reread(&self, org: &OrgId, id: &MemberId, fallback: ScimUser) -> AppResult<ScimUser> {
        let mut tx = self.store().begin().await?;
        Ok(load_user(&mut tx, org, id.as_str())
            .await?
            .unwrap_or(fallback))
    }

    /// The status, extension, add-on and number steps of a write, in the order the rules
    /// need: enable first (only an active member gets an extension), disable last.
    async fn decide_write(
        &self,
        tx: &mut Locked,
        org: &OrgId,
        draft: &mut Draft,
        w: &UserWrite,
    ) -> AppResult<()> {
        if w.active == Some(true) {
            draft.push(rules::set_status(&draft.member, Status::Active)?);
        }
        let key = match &w.extension {
            Some(Some(k)) if !k.trim().is_empty() => Some(
                k.trim()
                    .parse::<ExtKey>()
                    .map_err(|e| e.detail("field", "extension"))?,
            ),
            _ => None,
        };
        let cleared = matches!(&w.extension, Some(None))
            || matches!(&w.extension, Some(Some(k)) if k.trim().is_empty());
        let wants_parts =
            w.addons.iter().any(|(_, n)| *n > 0) || matches!(w.phone_number, Some(Some(_)));
        let holding = match (w.phone_system, key, cleared) {
            (Some(false), Some(k), _) => {
                return Err(invalid(
                    "phoneSystem",
                    format!("phoneSystem is false but extension {k} is given; set phoneSystem true or leave extension empty"),
                )
                .into())
            }
            (Some(false), None, _) => Holding::None,
            (_, Some(k), _) => Holding::Key(k),
            (Some(true), None, _) | (None, None, false) if draft.ext.is_some() => Holding::Keep,
            (Some(true), None, _) => Holding::NextFree,
            (None, None, true) => Holding::None,
            (None, None, false) if wants_parts => Holding::NextFree,
            (None, None, false) => Holding::Keep,
        };
        if matches!(holding, Holding::None) && wants_parts {
            return Err(invalid(
                "phoneSystem",
                "add-ons and a phone number need the phone system: set phoneSystem true or give an extension",
            )
            .into());
        }
        let holding = match (holding, &draft.ext) {
            (Holding::Key(k), Some(e)) if e.key == k => Holding::Keep,
            (h, _) => h,
        };
        // A new key for the member's extension moves it: its add-ons and numbers go along, and
        // the old extension, left empty, is deprovisioned rather than left holding a seat.
        let moved = match (&holding, draft.ext.clone()) {
            (Holding::Key(_), Some(old)) => {
                Self::dismantle(draft, &old)?;
                Some(old)
            }
            (Holding::Keep, _) | (_, None) => None,
            (_, Some(e)) => {
                draft.push(rules::unassign(&e));
                draft.ext = None;
                None
            }
        };
        let key = match holding {
            Holding::Keep | Holding::None => None,
            Holding::Key(k) => Some(k),
            Holding::NextFree => {
                let taken = tx.taken_keys(org).await?;
                let k = rules::next_free_start(&taken, 1, FIRST_PERSONAL_KEY)
                    .and_then(ExtKey::new)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::ExtensionTaken,
                            "every extension key is taken; deprovision one or give an existing extension",
                        )
                        .detail("field", "extension")
                    })?;
                Some(k)
            }
        };
        if let Some(k) = key {
            let ext = match tx.extension(org, k).await? {
                Some(e) => e,
                None => {
                    let taken: BTreeSet<u32> = tx.taken_keys(org).await?;
                    draft.push(rules::provision(1, k, &taken, &draft.seats)?);
                    Extension::new(k)
                }
            };
            draft.ext = Some(ext.clone());
            // Its holder, named by email should the extension be someone else's.
            let holder = match &ext.member {
                Some(id) if *id != draft.member.id => tx.member(org, id).await?,
                _ => None,
            };
            draft.push(rules::assign(
                &ext,
                holder.as_ref(),
                &draft.member,
                None,
                false,
            )?);
        }
        if let Some(mut ext) = draft.ext.clone() {
            // What the write leaves unnamed comes from the extension the member moved from.
            if let Some(old) = moved {
                for (code, n) in old.addons.iter() {
                    ext.addons.add(code, n);
                }
                ext.numbers.extend(old.numbers);
                ext.numbers.sort();
            }
            self.decide_parts(tx, org, draft, &ext, w).await?;
        }
        if w.active == Some(false) {
            draft.push(rules::set_status(&draft.member, Status::Disabled)?);
        }
        Ok(())
    }

    /// Add-ons (with the `license_number` copies the numbers need) and the member's number.
    async fn decide_parts(
        &self,
        tx: &mut Locked,
        org: &OrgId,
        draft: &mut Draft,
        ext: &Extension,
        w: &UserWrite,
    ) -> AppResult<()> {
        let mut numbers = ext.numbers.clone();
        match &w.phone_number {
            Some(Some(n)) => {
                let n: E164 = n
                    .parse()
                    .map_err(|e: Error| e.detail("field", "phoneNumber"))?;
                if !numbers.contains(&n) {
                    // The User shows the first number; writing it replaces that one.
                    if !numbers.is_empty() {
                        numbers.remove(0);
                    }
                    numbers.push(n);
                }
            }
            Some(None) if !numbers.is_empty() => {
                numbers.remove(0);
            }
            _ => {}
        }
        let mut addons = Addons::default();
        for code in Code::addons() {
            let wanted = w
                .addons
                .iter()
                .rev()
                .find(|(c, _)| *c == code)
                .map_or(ext.addons.count(code), |(_, n)| *n);
            let wanted = if code == Code::LicenseNumber {
                wanted.max(numbers.len() as u32)
            } else {
                wanted
            };
            addons.add(code, wanted);
        }
        // Numbers leave before the licenses they need, and arrive after them. `ext` gave the
        // defaults; what changes is judged against the extension as the draft holds it.
        let held = draft.ext.clone().unwrap_or_else(|| ext.clone());
        let mut sorted = numbers.clone();
        sorted.sort();
        let fewer_numbers = sorted.len() < held.numbers.len();
        if fewer_numbers {
            self.decide_numbers(tx, org, draft, numbers.clone()).await?;
        }
        let current = draft.ext.clone().unwrap_or_else(|| ext.clone());
        draft.push(rules::set_addons(&current, addons, &draft.seats)?);
        if !fewer_numbers && sorted != held.numbers {
            self.decide_numbers(tx, org, draft, numbers).await?;
        }
        Ok(())
    }

    /// Empty the member's extension before the member moves to another key: unassign it,
    /// take its numbers and add-ons off (their seats free for the new key), deprovision it.
    fn dismantle(draft: &mut Draft, old: &Extension) -> Result<(), Error> {
        draft.push(rules::unassign(old));
        if !old.numbers.is_empty() {
            let ext = draft.ext.clone().expect("the member's extension is held");
            draft.push(rules::set_numbers(&ext, Vec::new(), &[])?);
        }
        let ext = draft.ext.clone().expect("the member's extension is held");
        if !ext.addons.is_empty() {
            draft.push(rules::set_addons(&ext, Addons::default(), &draft.seats)?);
        }
        let ext = draft.ext.clone().expect("the member's extension is held");
        draft.push(rules::deprovision(&ext, None)?);
        Ok(())
    }

    async fn decide_numbers(
        &self,
        tx: &mut Locked,
        org: &OrgId,
        draft: &mut Draft,
        numbers: Vec<E164>,
    ) -> AppResult<()> {
        let mut rows = Vec::with_capacity(numbers.len());
        for n in &numbers {
            let mut row = tx.number(org, n).await?;
            if let Some(r) = row.as_mut().filter(|_| draft.detached.contains(n)) {
                r.extension = None;
            }
            rows.push(row);
        }
        let ext = draft
            .ext
            .clone()
            .expect("numbers are decided for a held extension");
        draft.push(rules::set_numbers(&ext, numbers, &rows)?);
        Ok(())
    }
}

/// The decision recording a member's SCIM fields (`externalId` before and after, the name
/// parts), audited when `externalId` changes.
fn scim_fields(
    member: &Member,
    before: Option<String>,
    after: Option<String>,
    [given_name, family_name]: [Option<String>; 2],
) -> Decision {
    let change = Change::SetScimFields {
        member: member.id.clone(),
        external_id: after.clone(),
        given_name,
        family_name,
        modified_at: now(),
    };
    let audit = (before != after)
        .then(|| AuditRecord {
            action: "member.external_id",
            target: format!("member:{}", member.id),
            before: json!({"external_id": before}),
            after: json!({"external_id": after}),
        })
        .into_iter()
        .collect();
    Decision {
        changes: vec![change],
        audit,
    }
}

/// One member as a SCIM User, by id.
async fn load_user(tx: &mut Box<dyn Tx>, org: &OrgId, id: &str) -> AppResult<Option<ScimUser>> {
    let q = ScimQuery {
        id: Some(MemberId(id.to_owned())),
        limit: 1,
        ..Default::default()
    };
    let (_, rows) = tx.scim_members(org, &q).await?;
    Ok(with_extensions(tx, org, rows).await?.pop())
}

/// SCIM Users from members, with their extensions read in one query.
async fn with_extensions(
    tx: &mut Box<dyn Tx>,
    org: &OrgId,
    rows: Vec<ScimMember>,
) -> AppResult<Vec<ScimUser>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let q = seatline_store::ExtensionQuery {
        members: rows.iter().map(|r| r.member.id.clone()).collect(),
        limit: u32::MAX,
        ..Default::default()
    };
    let mut exts = tx.extensions(org, &q).await?;
    let states = crate::App::states(tx, org).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let at = exts
                .iter()
                .position(|e| e.member.as_ref() == Some(&r.member.id));
            ScimUser {
                extension: at.map(|i| exts.swap_remove(i)),
                member: r.member,
                external_id: r.external_id,
                given_name: r.given_name,
                family_name: r.family_name,
                created_at: r.created_at,
                updated_at: r.updated_at,
                states: states.clone(),
            }
        })
        .collect())
}

//! Passwords for signing in to the admin UI: argon2id hashes (PHC strings) set by the member
//! itself, by the operator, or once by the owner as an initial password; sign-in by email,
//! which may match members of several organizations; and the session epoch that lets a
//! sign-out or a password change end a member's UI sessions everywhere; and one-time reset
//! links an owner or admin makes for a member who cannot sign in (there is no email server:
//! the link is shown once to whoever made it, who passes it on).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{
    AuditRecord, Decision, Email, Error, ErrorCode, Member, MemberId, OrgId, Role, Status,
};
use serde_json::json;

use crate::{hash_secret, need, now, App, AppResult, Ctx};

/// Shortest and longest accepted password, in characters.
pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 200;

/// How long a password reset link works.
pub const RESET_LINK_HOURS: i64 = 24;

/// A reset link just made: its secret is shown once and stored only as its hash.
#[derive(Debug, Clone)]
pub struct ResetLink {
    /// The secret the link carries (`/ui/reset/{token}`).
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub member: Member,
}

/// Whose password an unused, unexpired reset link sets.
#[derive(Debug, Clone)]
pub struct ResetHolder {
    pub org: OrgId,
    pub org_name: String,
    pub member: Member,
    pub expires_at: String,
}

fn reset_link_invalid() -> Error {
    Error::new(
        ErrorCode::ResetLinkInvalid,
        format!(
            "this password reset link does not work: it was used already, replaced by a newer \
             link, or is older than {RESET_LINK_HOURS} hours; ask an owner or admin for a new one"
        ),
    )
}

/// A member whose password matched at sign-in, with its organization's name so that a
/// person who belongs to several organizations can pick one.
#[derive(Debug, Clone)]
pub struct SignInMatch {
    pub org: OrgId,
    pub org_name: String,
    pub member: Member,
}

fn check_length(password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(Error::new(
            ErrorCode::InvalidPassword,
            format!(
                "a password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters; this one has {n}"
            ),
        )
        .detail("field", "password"));
    }
    Ok(())
}

/// The argon2id PHC string of a password, with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id with default parameters hashes any input")
        .to_string()
}

/// Whether `password` matches a stored PHC string; an unreadable hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, verified when an email is unknown so that a failed
/// sign-in takes as long whether or not the email exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("seatline-decoy-password"))
}

/// What a refused link says: to the member itself, to an admin about an account above its
/// own, and about a disabled member (after "… is disabled and cannot sign in; ").
pub(crate) struct LinkWords {
    pub own: &'static str,
    pub admin_only: &'static str,
    pub disabled: &'static str,
}

/// Who may hand out a way into `m`'s account — a password reset or a sign-in link: never
/// oneself, an admin only into a member's (no one gets into an account above their own), and
/// never into a disabled account, which could not sign in with it.
pub(crate) fn may_open_account(ctx: &Ctx, m: &Member, words: LinkWords) -> AppResult<()> {
    if matches!(&ctx.actor, Actor::Member { id, .. } if *id == m.id) {
        return Err(Error::new(ErrorCode::Forbidden, words.own).into());
    }
    if ctx.actor.role() == Some(Role::Admin) && m.role != Role::Member {
        let rank = if m.role == Role::Owner {
            "the owner"
        } else {
            "an admin"
        };
        return Err(Error::new(
            ErrorCode::Forbidden,
            format!("{} is {rank}; {}", m.email, words.admin_only),
        )
        .into());
    }
    if m.status == Status::Disabled {
        return Err(Error::new(
            ErrorCode::MemberDisabled,
            format!(
                "{} is disabled and cannot sign in; {}",
                m.email, words.disabled
            ),
        )
        .into());
    }
    Ok(())
}

impl App {
    /// Set a member's password (by id or email). A member sets its own at any time, the
    /// operator sets any; the owner sets another member's only while it has none yet, so
    /// that an initial password never overwrites one the member chose.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_password(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
        password: &str,
    ) -> AppResult<()> {
        let mut tx = self.lock(org).await?;
        let m = Self::find_member(&mut tx, org, member).await?;
        self.guard(ctx, org, Action::SetPassword, m.as_ref().map(|m| &m.id))?;
        let m = need(m, "member", member)?;
        check_length(password)?;
        let is_self = matches!(&ctx.actor, Actor::Member { id, .. } if *id == m.id);
        if ctx.actor.role() == Some(Role::Owner) && !is_self && self.has_password(org, &m).await? {
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "{} already has a password; only they can change it",
                    m.email
                ),
            )
            .into());
        }
        tx.set_password_hash(org, &m.id, Some(&hash_password(password)))
            .await?;
        let d = Decision {
            changes: Vec::new(),
            audit: vec![AuditRecord {
                action: "member.password",
                target: format!("member:{}", m.id),
                before: serde_json::Value::Null,
                after: json!({"set_by": if is_self { "self" } else { "other" }}),
            }],
        };
        self.commit(tx, ctx, org, d).await
    }

    /// Make a one-time link that lets a member set a new password. The owner resets anyone's
    /// but its own (it changes its own on My seat); an admin resets members' only, never an
    /// admin's or the owner's, so that no one takes over an account above their own. The
    /// member's current password stops working and its sessions end at once: a reset is also
    /// what an admin does when a password may be known to someone else.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn password_reset_link(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
    ) -> AppResult<ResetLink> {
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let m = Self::scoped_member(&mut tx, org, &scope, member).await?;
        self.guard(ctx, org, Action::ResetPassword, m.as_ref().map(|m| &m.id))?;
        let m = need(m, "member", member)?;
        may_open_account(
            ctx,
            &m,
            LinkWords {
                own: "you cannot reset your own password; change it on My seat",
                admin_only: "only the owner resets the password of an admin",
                disabled: "enable it first",
            },
        )?;
        let token = new_reset_token();
        let created_at = now();
        let expires_at = (chrono::Utc::now() + chrono::Duration::hours(RESET_LINK_HOURS))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // Clearing the hash also bumps the session epoch: every session of the member ends.
        tx.set_password_hash(org, &m.id, None).await?;
        tx.insert_password_reset(org, &m.id, &hash_secret(&token), &created_at, &expires_at)
            .await?;
        let d = Decision {
            changes: Vec::new(),
            audit: vec![AuditRecord {
                action: "member.password_reset",
                target: format!("member:{}", m.id),
                before: serde_json::Value::Null,
                after: json!({"link_expires_at": expires_at}),
            }],
        };
        self.commit(tx, ctx, org, d).await?;
        Ok(ResetLink {
            token,
            expires_at,
            member: m,
        })
    }

    /// Whose password a reset link sets, while it is unused and unexpired: the page the link
    /// opens says so before asking for the new password.
    pub async fn password_reset_holder(&self, token: &str) -> AppResult<ResetHolder> {
        let r = self
            .store()
            .password_reset(&hash_secret(token))
            .await?
            .filter(|r| r.expires_at > now() && r.member.status == Status::Active)
            .ok_or_else(reset_link_invalid)?;
        let mut tx = self.store().begin().await?;
        let org_name = need(tx.org(&r.org).await?, "organization", &r.org)?.name;
        Ok(ResetHolder {
            org: r.org,
            org_name,
            member: r.member,
            expires_at: r.expires_at,
        })
    }

    /// Set a new password with a reset link, which is used up by it. The member's other
    /// sessions end; it then signs in with the new password.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(&self, token: &str, password: &str) -> AppResult<Member> {
        let hash = hash_secret(token);
        let holder = self.password_reset_holder(token).await?;
        check_length(password)?;
        let org = &holder.org;
        let mut tx = self.lock(org).await?;
        // Taking the link inside the lock makes it single-use even when two tabs race.
        let (id, expires_at) = tx
            .take_password_reset(org, &hash)
            .await?
            .ok_or_else(reset_link_invalid)?;
        let m = need(tx.member(org, &id).await?, "member", &id)?;
        if expires_at <= now() || m.status != Status::Active {
            // The link is gone either way: keep it deleted.
            tx.commit().await?;
            return Err(reset_link_invalid().into());
        }
        tx.set_password_hash(org, &m.id, Some(&hash_password(password)))
            .await?;
        let d = Decision {
            changes: Vec::new(),
            audit: vec![AuditRecord {
                action: "member.password",
                target: format!("member:{}", m.id),
                before: serde_json::Value::Null,
                after: json!({"set_by": "reset_link"}),
            }],
        };
        let ctx = Ctx::member_itself(&m, org);
        self.commit(tx, &ctx, org, d).await?;
        Ok(m)
    }

    pub(crate) async fn has_password(&self, org: &OrgId, m: &Member) -> AppResult<bool> {
        Ok(self
            .store()
            .credentials_by_email(&m.email)
            .await?
            .iter()
            .any(|c| c.org == *org && c.member.id == m.id && c.password_hash.is_some()))
    }

    /// Every active member with this email whose password matches, in any organization.
    /// Empty means the sign-in failed; the caller says so without telling why.
    pub async fn sign_in(&self, email: &str, password: &str) -> AppResult<Vec<SignInMatch>> {
        let Ok(email) = email.parse::<Email>() else {
            verify_password(password, decoy_hash());
            return Ok(Vec::new());
        };
        let creds = self.store().credentials_by_email(&email).await?;
        let mut matches = Vec::new();
        let mut verified = false;
        for c in creds {
            let Some(hash) = &c.password_hash else {
                continue;
            };
            verified = true;
            if c.member.status == Status::Active && verify_password(password, hash) {
                let mut tx = self.store().begin().await?;
                let org_name = need(tx.org(&c.org).await?, "organization", &c.org)?.name;
                matches.push(SignInMatch {
                    org: c.org,
                    org_name,
                    member: c.member,
                });
            }
        }
        if !verified {
            verify_password(password, decoy_hash());
        }
        Ok(matches)
    }

    /// The epoch a new session of this member starts with, or an error when it may not sign
    /// in (disabled or deleted since its password matched).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn start_session(&self, org: &OrgId, member: &MemberId) -> AppResult<i64> {
        Ok(self.session_member(org, member).await?.1)
    }

    /// Who a signed-in session acts as, read afresh on every request (one query): a member
    /// disabled or deleted since signing in, or whose sessions were ended (sign-out, password
    /// change) after this one started with `epoch`, is signed out at once; a role change
    /// applies at once.
    pub async fn session(&self, org: &OrgId, member: &MemberId, epoch: i64) -> AppResult<Ctx> {
        let (m, current) = self.session_member(org, member).await?;
        if current != epoch {
            return Err(session_ended().into());
        }
        let actor = self.actor_of(org, m).await?;
        Ok(Ctx {
            actor,
            org: Some(org.clone()),
            request_id: None,
        })
    }

    /// End every session of the signed-in member (sign-out): a copy of its cookie stops
    /// working in every process serving this database.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn end_sessions(&self, ctx: &Ctx, org: &OrgId) -> AppResult<()> {
        let Actor::Member { id, .. } = &ctx.actor else {
            return Err(
                Error::forbidden("end the sessions of a member other than yourself").into(),
            );
        };
        let mut tx = self.lock(org).await?;
        tx.end_sessions(org, id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_member(&self, org: &OrgId, member: &MemberId) -> AppResult<(Member, i64)> {
        let mut tx = self.store().begin().await?;
        let found = tx.session_member(org, member).await?;
        Ok(found
            .filter(|(m, _)| m.status == Status::Active)
            .ok_or_else(session_ended)?)
    }
}

/// A reset link's secret: 32 random bytes, hex.
fn new_reset_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn session_ended() -> Error {
    Error::new(
        ErrorCode::Unauthenticated,
        "your session has ended; sign in again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_same_password() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(h, hash_password("correct horse battery"), "salted");
    }

    #[test]
    fn length_is_checked_in_characters() {
        assert!(check_length("short").is_err());
        assert!(check_length("éééééééééé").is_ok());
        assert_eq!(
            check_length(&"x".repeat(201)).unwrap_err().code,
            ErrorCode::InvalidPassword
        );
    }
}

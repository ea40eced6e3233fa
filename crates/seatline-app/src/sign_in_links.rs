//! One-time sign-in links: a member opens one and is signed in to the admin UI, no password
//! needed. The operator's organization creation makes one for the new owner (who has no
//! password yet and would otherwise need a shell on the server); an owner or admin makes one
//! for a member, as with a password reset link, and passes it on (there is no email server).
//!
//! A link works once, for [`SIGN_IN_LINK_HOURS`]; only the SHA-256 of its secret is stored,
//! and a newer link of the same member replaces an older unused one. Unlike a reset link it
//! leaves the member's password and sessions alone: it lets someone in, it does not take
//! anyone out.

use rand::RngCore;
use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{AuditRecord, Decision, Error, ErrorCode, Member, OrgId, Status};
use seatline_store::Tx;
use serde_json::json;

use crate::passwords::{may_open_account, LinkWords};
use crate::scim_url::{self, SCIM_PATH};
use crate::{hash_secret, need, now, App, AppResult, Ctx, Locked};

/// How long a sign-in link works.
const SIGN_IN_LINK_HOURS: i64 = 24;

/// The path of the admin UI page a link opens, before its secret.
const SIGN_IN_LINK_PATH: &str = "/ui/sign-in/link/";

/// A sign-in link just made: its secret is shown once and stored only as its hash.
#[derive(Debug, Clone)]
pub struct SignInLink {
    /// The secret the link carries (`/ui/sign-in/link/{token}`).
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub member: Member,
}

impl SignInLink {
    /// The link's absolute URL under `origin` (`https://host[:port]`, no trailing slash needed).
    pub fn url(&self, origin: &str) -> String {
        format!(
            "{}{SIGN_IN_LINK_PATH}{}",
            origin.trim_end_matches('/'),
            self.token
        )
    }
}

/// `{proto}://{host}` as the client reached this server, read from the request's headers
/// exactly as the SCIM base URL is (a proxy's `X-Forwarded-Proto`/`-Host`, then `Host`), so a
/// link handed out behind a proxy opens where the person who made it is.
pub fn origin<'a>(header: impl Fn(&str) -> Option<&'a str>) -> String {
    let scim = scim_url::base_url(header);
    match scim.strip_suffix(SCIM_PATH) {
        Some(origin) => origin.to_owned(),
        None => scim,
    }
}

/// Whom an unused, unexpired sign-in link signs in: the page the link opens says so before
/// the button that uses it.
#[derive(Debug, Clone)]
pub struct SignInLinkHolder {
    pub org: OrgId,
    pub org_name: String,
    pub member: Member,
    pub expires_at: String,
}

/// A sign-in by link that succeeded: what the UI needs to start the member's session.
#[derive(Debug, Clone)]
pub struct LinkSignIn {
    pub org: OrgId,
    pub member: Member,
    /// The session epoch the new session starts with.
    pub epoch: i64,
    /// Whether the member has a password: the UI suggests setting one when not.
    pub has_password: bool,
}

/// A link about to be stored: its audit record goes with the change that made it.
pub(crate) struct NewLink {
    pub link: SignInLink,
    hash: String,
    created_at: String,
}

impl NewLink {
    pub(crate) fn new(member: Member) -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let expires_at = (chrono::Utc::now() + chrono::Duration::hours(SIGN_IN_LINK_HOURS))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        NewLink {
            hash: hash_secret(&token),
            created_at: now(),
            link: SignInLink {
                token,
                expires_at,
                member,
            },
        }
    }

    /// The audit record: who the link is for and until when, never its secret.
    pub(crate) fn audit(&self) -> AuditRecord {
        AuditRecord {
            action: "member.sign_in_link",
            target: format!("member:{}", self.link.member.id),
            before: serde_json::Value::Null,
            after: json!({"link_expires_at": self.link.expires_at}),
        }
    }

    /// Store the link's hash (after its member exists), replacing the member's older link.
    pub(crate) async fn store(&self, tx: &mut Box<dyn Tx>, org: &OrgId) -> AppResult<()> {
        tx.insert_sign_in_link(
            org,
            &self.link.member.id,
            &self.hash,
            &self.created_at,
            &self.link.expires_at,
        )
        .await?;
        Ok(())
    }
}

fn sign_in_link_invalid() -> Error {
    Error::new(
        ErrorCode::SignInLinkInvalid,
        format!(
            "this sign-in link does not work: it was used already, replaced by a newer link, \
             or is older than {SIGN_IN_LINK_HOURS} hours; ask an owner or admin for a new one, \
             or sign in with your password"
        ),
    )
}

/// How a refused sign-in link says why.
const LINK_WORDS: LinkWords = LinkWords {
    own: "you cannot make a sign-in link for yourself: you are signed in already; \
          set or change your password on My seat",
    admin_only: "an admin makes sign-in links for members only",
    disabled: "enable it first, then make the link",
};

impl App {
    /// Make a one-time sign-in link for a member. The owner makes one for anyone but itself
    /// (it is signed in, and has its password); an admin for members only, never for an
    /// admin or the owner, so that no one gets into an account above their own. The
    /// operator gives an owner its first link only by creating the organization.
    pub async fn sign_in_link(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
    ) -> AppResult<SignInLink> {
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let m = Self::scoped_member(&mut tx, org, &scope, member).await?;
        self.guard(ctx, org, Action::SendSignInLink, m.as_ref().map(|m| &m.id))?;
        let m = need(m, "member", member)?;
        may_open_account(ctx, &m, LINK_WORDS)?;
        self.issue(tx, ctx, org, m).await
    }

    /// A sign-in link for any active member, the owner included, made from a shell on the
    /// server (`seatline member sign-in-link`): whoever can open the database is trusted, as
    /// with `seatline member password`, and the audit log records the operator.
    pub async fn sign_in_link_on_server(&self, org: &OrgId, member: &str) -> AppResult<SignInLink> {
        let mut tx = self.lock(org).await?;
        let m = need(
            Self::find_member(&mut tx, org, member).await?,
            "member",
            member,
        )?;
        if m.status == Status::Disabled {
            // From the server: the owner may get one too, but never a disabled member.
            return Err(Error::new(
                ErrorCode::MemberDisabled,
                format!(
                    "{} is disabled and cannot sign in; {}",
                    m.email, LINK_WORDS.disabled
                ),
            )
            .into());
        }
        self.issue(tx, &Ctx::operator(), org, m).await
    }

    async fn issue(
        &self,
        mut tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        m: Member,
    ) -> AppResult<SignInLink> {
        let new = NewLink::new(m);
        new.store(&mut tx, org).await?;
        let d = Decision {
            changes: Vec::new(),
            audit: vec![new.audit()],
        };
        self.commit(tx, ctx, org, d).await?;
        Ok(new.link)
    }

    /// Whom a sign-in link signs in, while it is unused and unexpired.
    pub async fn sign_in_link_holder(&self, token: &str) -> AppResult<SignInLinkHolder> {
        let r = self
            .store()
            .sign_in_link(&hash_secret(token))
            .await?
            .filter(|r| r.expires_at > now() && r.member.status == Status::Active)
            .ok_or_else(sign_in_link_invalid)?;
        let mut tx = self.store().begin().await?;
        let org_name = need(tx.org(&r.org).await?, "organization", &r.org)?.name;
        Ok(SignInLinkHolder {
            org: r.org,
            org_name,
            member: r.member,
            expires_at: r.expires_at,
        })
    }

    /// Whether the signed-in member has a password: one who signed in by link and has none
    /// sets its first on My seat without a current password to prove (its session does).
    pub async fn has_own_password(&self, ctx: &Ctx, org: &OrgId) -> AppResult<bool> {
        let Actor::Member { id, .. } = &ctx.actor else {
            return Err(Error::forbidden(
                "read the password state of a member other than yourself",
            )
            .into());
        };
        let mut tx = self.store().begin().await?;
        let m = need(tx.member(org, id).await?, "member", id)?;
        self.has_password(org, &m).await
    }

    /// Sign in with a link, which is used up by it: answers the session to start.
    pub async fn use_sign_in_link(&self, token: &str) -> AppResult<LinkSignIn> {
        let hash = hash_secret(token);
        // Only the link knows its organization; the lock below is what decides.
        let org = self
            .store()
            .sign_in_link(&hash)
            .await?
            .ok_or_else(sign_in_link_invalid)?
            .org;
        let mut tx = self.lock(&org).await?;
        // Taking the link inside the lock makes it single-use even when two tabs race.
        let (id, expires_at) = tx
            .take_sign_in_link(&org, &hash)
            .await?
            .ok_or_else(sign_in_link_invalid)?;
        let (m, epoch) = need(tx.session_member(&org, &id).await?, "member", &id)?;
        if expires_at <= now() || m.status != Status::Active {
            // The link is gone either way: keep it deleted.
            tx.commit().await?;
            return Err(sign_in_link_invalid().into());
        }
        let d = Decision {
            changes: Vec::new(),
            audit: vec![AuditRecord {
                action: "member.sign_in",
                target: format!("member:{}", m.id),
                before: serde_json::Value::Null,
                after: json!({"via": "link"}),
            }],
        };
        let ctx = Ctx::member_itself(&m, &org);
        self.commit(tx, &ctx, &org, d).await?;
        let has_password = self.has_password(&org, &m).await?;
        Ok(LinkSignIn {
            org,
            member: m,
            epoch,
            has_password,
        })
    }
}

//! Bearer tokens: a random secret shown once, stored only as its SHA-256 hash.

use rand::RngCore;
use seatline_domain::permissions::{Action, Actor};
use seatline_domain::{Error, ErrorCode, MemberId, OrgId, Status};
use seatline_store::{IntegrationTokenRow, TokenHolder, TokenRow};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::views::{IssuedToken, MemberView, Page};
use crate::{need, new_id, now, App, AppResult, Ctx};

/// What kind of bearer a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// The service provider's operator token, from the server's configuration.
    Operator,
    /// A member's own token.
    Member,
    /// An organization's integration token (the PBX, the contact center).
    Integration,
    /// An organization's SCIM token (the identity provider).
    Scim,
}

/// Who the token is (`GET /api/v1/me`): its kind, its organization and, for a member token,
/// the member with its role.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub kind: TokenKind,
    /// The organization the token belongs to; null for the operator, who reaches every one.
    pub organization: Option<String>,
    /// The member a member token acts as; null for other kinds.
    pub member: Option<MemberView>,
    /// The member's role (`owner`, `admin` or `member`); null for other kinds.
    #[schema(pattern = "^(owner|admin|member)$")]
    pub role: Option<String>,
}

/// The stored form of a token secret: its SHA-256 in lowercase hex.
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for b in digest {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 0xf)] as char);
    }
    hex
}

/// Whether a secret is an integration token's (its prefix says so), to be looked up there.
pub(crate) fn is_integration(secret: &str) -> bool {
    secret.starts_with(INTEGRATION_PREFIX)
}

fn new_secret() -> String {
    secret_with(MEMBER_PREFIX)
}

/// A random secret with a prefix saying what kind of token it is, so a request is resolved
/// with one lookup in the right table.
fn secret_with(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

const MEMBER_PREFIX: &str = "stl_";
const INTEGRATION_PREFIX: &str = "stli_";

fn unauthenticated() -> Error {
    Error::new(
        ErrorCode::Unauthenticated,
        "the bearer token is missing, revoked or unknown; ask for a new token",
    )
}

impl App {
    /// Resolve a bearer token to who is acting. A disabled member's tokens stop working at
    /// once because status is read on every request.
    pub async fn authenticate(&self, secret: &str) -> AppResult<Ctx> {
        let hash = hash_secret(secret);
        let holder = if is_integration(secret) {
            self.store()
                .integration_token(&hash)
                .await?
                .map(TokenHolder::Integration)
        } else {
            self.store()
                .token_holder(&hash)
                .await?
                .map(|(row, m)| TokenHolder::Member(row, m))
        };
        self.ctx_of(holder).await
    }

    /// Who acts with a token as stored: refused when there is none, when it is revoked, or
    /// when its member is disabled.
    pub(crate) async fn ctx_of(&self, holder: Option<TokenHolder>) -> AppResult<Ctx> {
        let (actor, org) = match holder.ok_or_else(unauthenticated)? {
            TokenHolder::Integration(row) if !row.revoked => {
                (Actor::Integration { id: row.id }, row.org)
            }
            TokenHolder::Member(row, m) if !row.revoked => {
                if m.status == Status::Disabled {
                    return Err(Error::new(
                        ErrorCode::Unauthenticated,
                        "this member is disabled; its tokens no longer work",
                    )
                    .into());
                }
                (self.actor_of(&row.org, m).await?, row.org)
            }
            _ => return Err(unauthenticated().into()),
        };
        Ok(Ctx {
            actor,
            org: Some(org),
            request_id: None,
        })
    }

    /// Who the request's token is. Every valid token may ask.
    pub async fn me(&self, ctx: &Ctx) -> AppResult<Me> {
        let organization = ctx.org.as_ref().map(|o| o.to_string());
        let (kind, member) = match &ctx.actor {
            Actor::Operator => (TokenKind::Operator, None),
            Actor::Integration { .. } => (TokenKind::Integration, None),
            Actor::Scim { .. } => (TokenKind::Scim, None),
            // Seatline's own schedule holds no token to ask with.
            Actor::System { .. } => return Err(unauthenticated().into()),
            Actor::Member { id, .. } => {
                let org = ctx
                    .org
                    .as_ref()
                    .expect("a member token names its organization");
                let mut tx = self.store().begin().await?;
                let m = need(tx.member(org, id).await?, "member", id)?;
                (
                    TokenKind::Member,
                    Some(Self::member_view(&mut tx, org, &m).await?),
                )
            }
        };
        Ok(Me {
            kind,
            organization,
            role: member.as_ref().map(|m| m.role.as_str().to_owned()),
            member,
        })
    }

    /// Issue a token for a member: to itself, or by the owner or the operator.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn issue_token(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
    ) -> AppResult<IssuedToken> {
        self.guard(
            ctx,
            org,
            Action::IssueToken,
            Some(&MemberId(member.to_owned())),
        )?;
        let mut tx = self.lock(org).await?;
        let m = tx
            .member(org, &MemberId(member.to_owned()))
            .await?
            .ok_or_else(|| Error::not_found("member", member))?;
        if m.status == Status::Disabled {
            return Err(Error::new(
                ErrorCode::MemberDisabled,
                format!("{} is disabled; enable it first", m.email),
            )
            .into());
        }
        let secret = new_secret();
        let row = TokenRow {
            id: new_id("tok"),
            org: org.clone(),
            member: m.id.clone(),
            hash: hash_secret(&secret),
            created_at: now(),
            revoked: false,
        };
        tx.insert_token(&row).await?;
        let audit = seatline_domain::Decision {
            changes: Vec::new(),
            audit: vec![seatline_domain::AuditRecord {
                action: "token.issue",
                target: format!("member:{}", m.id),
                before: serde_json::Value::Null,
                after: json!({"token_id": row.id}),
            }],
        };
        self.commit(tx, ctx, org, audit).await?;
        Ok(IssuedToken {
            id: row.id,
            member_id: m.id.to_string(),
            token: secret,
        })
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn revoke_token(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
        token_id: &str,
    ) -> AppResult<()> {
        self.guard(
            ctx,
            org,
            Action::IssueToken,
            Some(&MemberId(member.to_owned())),
        )?;
        let mut tx = self.lock(org).await?;
        if !tx
            .revoke_token(org, &MemberId(member.to_owned()), token_id)
            .await?
        {
            return Err(Error::not_found("token", token_id).into());
        }
        let audit = seatline_domain::Decision {
            changes: Vec::new(),
            audit: vec![seatline_domain::AuditRecord {
                action: "token.revoke",
                target: format!("member:{member}"),
                before: json!({"token_id": token_id}),
                after: serde_json::Value::Null,
            }],
        };
        self.commit(tx, ctx, org, audit).await
    }
}

// ---- integration tokens (product.md §8): read-only, for the PBX and the contact center ----

/// An integration token as issued: the secret is shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedIntegrationToken {
    pub id: String,
    pub name: String,
    pub token: String,
    /// Whether it may report activity (product.md §14), its only write.
    pub can_report_activity: bool,
}

/// An integration token as listed: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntegrationTokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub revoked: bool,
    /// Whether it may report activity (product.md §14), its only write.
    pub can_report_activity: bool,
}

impl App {
    /// A token for an integration (the owner's): it reads the feed, the entitlements,
    /// extensions, members and Contact Center, and changes nothing but, when
    /// `can_report_activity`, reports activity (product.md §14).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn create_integration_token(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        name: &str,
        can_report_activity: bool,
    ) -> AppResult<IssuedIntegrationToken> {
        self.guard(ctx, org, Action::ManageIntegrationTokens, None)?;
        let name = seatline_domain::parse_name("name", name)?;
        let mut tx = self.lock(org).await?;
        let secret = secret_with(INTEGRATION_PREFIX);
        let row = IntegrationTokenRow {
            id: new_id("int"),
            org: org.clone(),
            name,
            hash: hash_secret(&secret),
            created_at: now(),
            revoked: false,
        };
        tx.insert_integration_token(&row).await?;
        if can_report_activity {
            tx.allow_activity_reports(org, &row.id).await?;
        }
        let audit = seatline_domain::Decision {
            changes: Vec::new(),
            audit: vec![seatline_domain::AuditRecord {
                action: "integration_token.create",
                target: format!("integration_token:{}", row.id),
                before: serde_json::Value::Null,
                after: json!({"id": row.id, "name": row.name,
                              "can_report_activity": can_report_activity}),
            }],
        };
        self.commit(tx, ctx, org, audit).await?;
        Ok(IssuedIntegrationToken {
            id: row.id,
            name: row.name,
            token: secret,
            can_report_activity,
        })
    }

    pub async fn integration_tokens(
        &self,
        ctx: &Ctx,
        org: &OrgId,
    ) -> AppResult<Page<IntegrationTokenView>> {
        self.guard(ctx, org, Action::ManageIntegrationTokens, None)?;
        let mut tx = self.read(org).await?;
        let rows = tx.integration_tokens(org).await?;
        let reporters = tx.activity_reporters(org).await?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| IntegrationTokenView {
                    can_report_activity: reporters.contains(&r.id),
                    id: r.id,
                    name: r.name,
                    created_at: r.created_at,
                    revoked: r.revoked,
                })
                .collect(),
            next_cursor: None,
        })
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn revoke_integration_token(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        id: &str,
    ) -> AppResult<()> {
        self.guard(ctx, org, Action::ManageIntegrationTokens, None)?;
        let mut tx = self.lock(org).await?;
        if !tx.revoke_integration_token(org, id).await? {
            return Err(Error::not_found("integration token", id).into());
        }
        let audit = seatline_domain::Decision {
            changes: Vec::new(),
            audit: vec![seatline_domain::AuditRecord {
                action: "integration_token.revoke",
                target: format!("integration_token:{id}"),
                before: json!({"id": id}),
                after: serde_json::Value::Null,
            }],
        };
        self.commit(tx, ctx, org, audit).await
    }
}

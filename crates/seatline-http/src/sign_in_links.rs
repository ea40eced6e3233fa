//! One-time sign-in links over the API: an owner or admin makes one for a member, and the
//! operator's organization creation answers one for the new owner. The URL is absolute,
//! built from the request's `X-Forwarded-Proto`/`X-Forwarded-Host`/`Host` as SCIM's base URL
//! is, so a link made behind a proxy opens where the caller reached Seatline.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use seatline_app::views::{CreatedOrg, OwnerSignInLink};
use seatline_app::SignInLink;
use seatline_domain::OrgId;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiPath, Auth};
use crate::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in_link))
}

/// Whom a sign-in link signs in.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignInLinkMember {
    pub id: String,
    pub email: String,
}

/// A one-time sign-in link, shown once: only the hash of its secret is stored.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IssuedSignInLink {
    /// Opens the admin UI's sign-in page for this member; it works once.
    #[schema(example = "https://seatline.example.com/ui/sign-in/link/0f3a…")]
    pub url: String,
    /// RFC 3339, UTC: 24 hours after it was made.
    pub expires_at: String,
    pub member: SignInLinkMember,
}

fn url(link: &SignInLink, headers: &HeaderMap) -> String {
    link.url(&seatline_app::origin(|name| {
        headers.get(name).and_then(|v| v.to_str().ok())
    }))
}

/// The answer of `POST /api/v1/orgs`: the organization with the owner's link as a URL.
pub(crate) fn with_owner_link(mut created: CreatedOrg, headers: &HeaderMap) -> CreatedOrg {
    created.owner_sign_in_link = Some(OwnerSignInLink {
        url: url(&created.owner_link, headers),
        expires_at: created.owner_link.expires_at.clone(),
    });
    created
}

/// Make a one-time sign-in link for a member, to pass on to it: the owner for anyone but
/// itself, an admin for members only. It works once, for 24 hours, and a newer link of the
/// member replaces it; unlike a password reset it leaves the member's password and sessions
/// alone. A disabled member gets none (409 `member_disabled`).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{member}/sign-in-link", tag = "members",
    params(("org" = String, Path, description = "Organization id"),
           ("member" = String, Path, description = "Member id or email")),
    responses((status = 201, description = "The link, shown once", body = IssuedSignInLink)))]
async fn sign_in_link(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    ApiPath((org, member)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<IssuedSignInLink>)> {
    let link = s.app.sign_in_link(&ctx, &OrgId(org), &member).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedSignInLink {
            url: url(&link, &headers),
            expires_at: link.expires_at.clone(),
            member: SignInLinkMember {
                id: link.member.id.to_string(),
                email: link.member.email.to_string(),
            },
        }),
    ))
}

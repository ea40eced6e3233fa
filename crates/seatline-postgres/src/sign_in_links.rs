//! Sign-in links (the `sign_in_links` table, kept by `links`).

use seatline_store::{Result, SignInLinkRow};
use sqlx::PgPool;

use crate::links::{self, Links};

pub(crate) async fn link(pool: &PgPool, hash: &str) -> Result<Option<SignInLinkRow>> {
    Ok(links::read(pool, Links::SignIn, hash)
        .await?
        .map(|l| SignInLinkRow {
            member: l.member,
            org: l.org,
            created_at: l.created_at,
            expires_at: l.expires_at,
        }))
}

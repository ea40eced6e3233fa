//! Sign-in links (the `sign_in_links` table, kept by `links`).

use rusqlite::Connection;
use seatline_store::{Result, SignInLinkRow};

use crate::links::{self, Links};

pub(crate) fn link(conn: &Connection, hash: &str) -> Result<Option<SignInLinkRow>> {
    Ok(
        links::read(conn, Links::SignIn, hash)?.map(|l| SignInLinkRow {
            member: l.member,
            org: l.org,
            created_at: l.created_at,
            expires_at: l.expires_at,
        }),
    )
}

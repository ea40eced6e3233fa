//! One-time sign-in links as stored: only the SHA-256 of a link's secret is kept.

use seatline_domain::{Member, OrgId};

/// A sign-in link as stored, with the member it signs in: the page the link opens knows
/// nothing but the link, so this is read by hash alone, across organizations.
#[derive(Debug, Clone, PartialEq)]
pub struct SignInLinkRow {
    pub org: OrgId,
    pub member: Member,
    pub created_at: String,
    pub expires_at: String,
}

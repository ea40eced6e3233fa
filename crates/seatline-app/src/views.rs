//! The wire shapes of product.md §6, shared by the API, the CLI and the admin UI.

use seatline_domain::{
    contact_center, entitled_codes, Code, ContactCenter, Extension, Kind, Member, Seats,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(schema_with = schema::role)]
    pub role: seatline_domain::Role,
    #[schema(schema_with = schema::status)]
    pub status: seatline_domain::Status,
    pub extension: Option<String>,
    #[schema(schema_with = schema::contact_center)]
    pub contact_center: ContactCenter,
}

impl MemberView {
    pub fn new(m: &Member, ext: Option<&Extension>) -> Self {
        MemberView {
            id: m.id.to_string(),
            email: m.email.to_string(),
            name: m.name.clone(),
            role: m.role,
            status: m.status,
            extension: ext.map(|e| e.key.to_string()),
            contact_center: contact_center(m, ext),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberRef {
    pub id: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionView {
    pub key: String,
    pub member: Option<MemberRef>,
    #[schema(schema_with = schema::codes)]
    pub addons: Vec<Code>,
    pub numbers: Vec<String>,
}

impl ExtensionView {
    /// `email_of` finds the email of the extension's member.
    pub fn new(e: &Extension, member: Option<&Member>) -> Self {
        ExtensionView {
            key: e.key.to_string(),
            member: member.map(|m| MemberRef {
                id: m.id.to_string(),
                email: m.email.to_string(),
            }),
            addons: e.addons.codes(),
            numbers: e.numbers.iter().map(|n| n.to_string()).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LicenseView {
    #[schema(schema_with = schema::code)]
    pub code: Code,
    pub name: &'static str,
    #[schema(schema_with = schema::kind)]
    pub kind: Kind,
    pub purchased: u32,
    pub in_use: u32,
    pub available: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned: Option<u32>,
}

impl LicenseView {
    pub fn new(code: Code, seats: &Seats) -> Self {
        let s = seats.get(code);
        LicenseView {
            code,
            name: code.name(),
            kind: code.entry().kind,
            purchased: s.purchased,
            in_use: s.in_use,
            available: s.available(),
            assigned: (code == Code::PhoneSystem).then_some(seats.assigned),
        }
    }
    pub fn all(seats: &Seats) -> Vec<Self> {
        Code::ALL
            .iter()
            .map(|c| LicenseView::new(*c, seats))
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entitlements {
    pub member: MemberView,
    pub extension: Option<ExtensionView>,
    #[schema(schema_with = schema::contact_center)]
    pub contact_center: ContactCenter,
    /// The codes the member may use now: empty when disabled or without an extension.
    #[schema(schema_with = schema::codes)]
    pub entitled: Vec<Code>,
}

impl Entitlements {
    pub fn new(m: &Member, ext: Option<&Extension>) -> Self {
        let member = MemberView::new(m, ext);
        Entitlements {
            contact_center: member.contact_center.clone(),
            member,
            extension: ext.map(|e| ExtensionView::new(e, Some(m))),
            entitled: entitled_codes(m, ext),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedOrg {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub owner: MemberView,
}

/// A token as issued: the secret is shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: String,
    pub member_id: String,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NumberView {
    pub number: String,
    pub extension: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Build a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: u32,
        cursor: impl Fn(&R) -> String,
        view: impl Fn(&R) -> T,
    ) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&cursor) } else { None };
        Page {
            items: rows.iter().map(view).collect(),
            next_cursor,
        }
    }
}

//! The wire shapes of product.md §6, shared by the API, the CLI and the admin UI.

use seatline_domain::lifecycle::effective;
use seatline_domain::{
    contact_center, entitled_codes, Code, ContactCenter, Effective, Extension, Kind, Member, Seats,
    SubState, Subscription,
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
    /// The latest activity the PBX or the contact center reported on its extension, per
    /// kind and device (product.md §14); empty without an extension or activity. Present on
    /// the member reads (`GET …/members`, `GET …/members/{member}`), left out elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<Vec<crate::activity::LastActivity>>,
    /// The member's license state while it is in a templated team (product.md §13); only
    /// on `GET /members/{member}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_state: Option<crate::templates::LicenseStateView>,
}

impl MemberView {
    /// `seats` gives each code's subscription state (only the states are read).
    pub fn new(m: &Member, ext: Option<&Extension>, seats: &Seats) -> Self {
        MemberView {
            id: m.id.to_string(),
            email: m.email.to_string(),
            name: m.name.clone(),
            role: m.role,
            status: m.status,
            extension: ext.map(|e| e.key.to_string()),
            contact_center: contact_center(m, ext, seats),
            last_activity: None,
            license_state: None,
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
    /// The extension itself (`phone_system`) first, then each add-on code it holds: whether
    /// it gives service now and, if not, why (product.md §10).
    #[schema(schema_with = schema::effective)]
    pub effective: Vec<Effective>,
    /// The latest activity the PBX or the contact center reported, per kind and device
    /// (product.md §14). Present on the extension reads (`GET …/extensions`,
    /// `GET …/extensions/{key}`), left out elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<Vec<crate::activity::LastActivity>>,
    /// Where the assignment and each add-on code come from (product.md §13): `direct` and/or
    /// `team:{id}`, as `{"assignment": [...], "addons": {code: [...]}}`; only on
    /// `GET /extensions/{key}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub sources: Option<serde_json::Value>,
}

impl ExtensionView {
    /// `member` is the extension's member; `seats` gives each code's subscription state.
    pub fn new(e: &Extension, member: Option<&Member>, seats: &Seats) -> Self {
        ExtensionView {
            key: e.key.to_string(),
            member: member.map(|m| MemberRef {
                id: m.id.to_string(),
                email: m.email.to_string(),
            }),
            addons: e.addons.codes(),
            numbers: e.numbers.iter().map(|n| n.to_string()).collect(),
            effective: effective(e, member, seats),
            last_activity: None,
            sources: None,
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
    /// The subscription's state (product.md §10).
    #[schema(schema_with = schema::sub_state)]
    pub state: SubState,
    /// The last day of the current term (YYYY-MM-DD), or null for no end.
    pub term_end: Option<String>,
    /// When the state began (RFC 3339), or null if it never changed.
    pub state_since: Option<String>,
    /// Copies in use beyond what is purchased (in use − purchased, else 0).
    pub over_allocated: u32,
    /// The unit price as a decimal string, e.g. "12.50", or null.
    pub unit_price: Option<String>,
    /// ISO 4217 currency of the unit price, or null.
    pub currency: Option<String>,
}

impl LicenseView {
    /// `sub` is the stored subscription of the code, if the operator ever set one.
    pub fn new(code: Code, seats: &Seats, sub: Option<&Subscription>) -> Self {
        let s = seats.get(code);
        let none = Subscription::none(code);
        let sub = sub.unwrap_or(&none);
        LicenseView {
            code,
            name: code.name(),
            kind: code.entry().kind,
            purchased: s.purchased,
            in_use: s.in_use,
            available: s.available(),
            assigned: (code == Code::PhoneSystem).then_some(seats.assigned),
            state: sub.state,
            term_end: sub.term_end.map(|d| d.to_string()),
            state_since: sub.state_since.map(seatline_domain::lifecycle::stamp),
            over_allocated: s.over_allocated(),
            unit_price: sub.unit_price.as_ref().map(|p| p.as_str().to_owned()),
            currency: sub.currency.as_ref().map(|c| c.as_str().to_owned()),
        }
    }
    pub fn all(seats: &Seats, subs: &[Subscription]) -> Vec<Self> {
        Code::ALL
            .iter()
            .map(|c| LicenseView::new(*c, seats, subs.iter().find(|s| s.code == *c)))
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entitlements {
    pub member: MemberView,
    pub extension: Option<ExtensionView>,
    #[schema(schema_with = schema::contact_center)]
    pub contact_center: ContactCenter,
    /// The codes the member may use now, one per copy: empty when disabled or without an
    /// extension, and without the codes whose subscriptions are suspended or terminated.
    #[schema(schema_with = schema::codes)]
    pub entitled: Vec<Code>,
}

impl Entitlements {
    pub fn new(m: &Member, ext: Option<&Extension>, seats: &Seats) -> Self {
        let member = MemberView::new(m, ext, seats);
        Entitlements {
            contact_center: member.contact_center.clone(),
            member,
            extension: ext.map(|e| ExtensionView::new(e, Some(m), seats)),
            entitled: entitled_codes(m, ext, seats),
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
    /// The owner's one-time sign-in link into the admin UI: `POST /api/v1/orgs` always
    /// answers it (the CLI with `org create --base-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_sign_in_link: Option<OwnerSignInLink>,
    /// That link's secret, made in the same transaction. Never serialized: it goes out only
    /// as the URL the API or the CLI builds from it, which needs the public base URL.
    #[serde(skip)]
    pub owner_link: crate::SignInLink,
}

/// A one-time sign-in link as handed out: works once, until `expires_at`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerSignInLink {
    pub url: String,
    /// RFC 3339, UTC: 24 hours after it was made.
    pub expires_at: String,
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

//! Seatline's domain: the catalog, validated values, the entities, the permission table, and
//! every rule of product.md as a pure function from state to a [`Decision`] (changes plus
//! audit records) or an [`Error`]. It does no IO: time and new ids are inputs.

pub mod activity;
pub mod bulk;
mod catalog;
pub mod cleanup;
mod contact_center;
mod error;
pub mod events;
mod finding;
pub mod idle;
pub mod lifecycle;
mod model;
pub mod permissions;
pub mod plans;
pub mod reports;
pub mod rules;
pub mod spelling;
mod subscription;
pub mod teams;
pub mod templates;
mod values;
pub mod webhooks;
pub mod words;

pub use catalog::{Code, Entry, Kind, PerExtension, CATALOG};
pub use contact_center::{contact_center, entitled_codes, CcRole, ContactCenter, Missing};
pub use error::{Error, ErrorCode, ErrorKind};
pub use finding::FindingKind;
pub use lifecycle::{Effective, Reason};
pub use model::{
    member_json, Addons, AuditRecord, Change, Decision, Extension, Member, NumberRow, Org, Seat,
    Seats, Team,
};
pub use subscription::{Currency, Price, SubState, Subscription};
pub use teams::{Scope, MAX_TEAMS};
pub use values::{
    parse_name, Email, ExtKey, MemberId, OrgId, Role, Status, TeamId, E164, MAX_KEY, MAX_QUANTITY,
    MIN_KEY,
};

//! Contact Center readiness and role (product.md §4): derived, never stored.

use serde::Serialize;

use crate::catalog::Code;
use crate::model::{Extension, Member};
use crate::values::{Role, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CcRole {
    Supervisor,
    Agent,
}

/// What keeps a member from being Contact Center ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    MemberDisabled,
    NoExtension,
    LicenseCenter,
    Device,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactCenter {
    pub role: CcRole,
    pub ready: bool,
    pub missing: Vec<Missing>,
}

/// Owners and admins supervise, members are agents; ready = active + extension +
/// `license_center` + at least one device add-on.
pub fn contact_center(member: &Member, extension: Option<&Extension>) -> ContactCenter {
    let role = match member.role {
        Role::Owner | Role::Admin => CcRole::Supervisor,
        Role::Member => CcRole::Agent,
    };
    let mut missing = Vec::new();
    if member.status == Status::Disabled {
        missing.push(Missing::MemberDisabled);
    }
    match extension {
        None => missing.push(Missing::NoExtension),
        Some(ext) => {
            if ext.addons.count(Code::LicenseCenter) == 0 {
                missing.push(Missing::LicenseCenter);
            }
            if !ext.addons.has_device() {
                missing.push(Missing::Device);
            }
        }
    }
    ContactCenter {
        role,
        ready: missing.is_empty(),
        missing,
    }
}

/// The codes a member may use right now: none when disabled, else its extension's base
/// license and add-ons.
pub fn entitled_codes(member: &Member, extension: Option<&Extension>) -> Vec<Code> {
    match (member.status, extension) {
        (Status::Active, Some(ext)) => {
            let mut codes = vec![Code::PhoneSystem];
            codes.extend(ext.addons.codes());
            codes
        }
        _ => Vec::new(),
    }
}

//! Contact Center readiness and role (product.md §4): derived, never stored.

use serde::Serialize;

use crate::catalog::Code;
use crate::lifecycle::{effective, Reason};
use crate::model::{Extension, Member, Seats};
use crate::values::{Role, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CcRole {
    Supervisor,
    Agent,
}

/// What keeps a member from being Contact Center ready. The last three say why an add-on the
/// extension holds gives no service (product.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    MemberDisabled,
    NoExtension,
    LicenseCenter,
    Device,
    SubscriptionSuspended,
    SubscriptionTerminated,
    PhoneSystemNotEffective,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactCenter {
    pub role: CcRole,
    pub ready: bool,
    pub missing: Vec<Missing>,
}

/// Owners and admins supervise, members are agents; ready = active + extension + an
/// effective `license_center` + at least one effective device add-on.
pub fn contact_center(
    member: &Member,
    extension: Option<&Extension>,
    seats: &Seats,
) -> ContactCenter {
    let role = match member.role {
        Role::Owner | Role::Admin => CcRole::Supervisor,
        Role::Member => CcRole::Agent,
    };
    let mut missing = Vec::new();
    let mut push = |m: Missing| {
        if !missing.contains(&m) {
            missing.push(m);
        }
    };
    if member.status == Status::Disabled {
        push(Missing::MemberDisabled);
    }
    match extension {
        None => push(Missing::NoExtension),
        Some(ext) => {
            let eff = effective(ext, Some(member), seats);
            if matches!(
                eff[0].reason,
                Some(Reason::SubscriptionSuspended | Reason::SubscriptionTerminated)
            ) {
                push(Missing::PhoneSystemNotEffective);
            }
            let held = |want: fn(Code) -> bool| eff[1..].iter().filter(move |e| want(e.code));
            // Held but not effective: say why, unless the member being disabled says it all.
            let mut why = |copies: Vec<&crate::lifecycle::Effective>, absent: Missing| {
                if copies.is_empty() {
                    push(absent);
                } else if copies.iter().all(|e| !e.effective) {
                    for e in copies {
                        match e.reason {
                            Some(Reason::SubscriptionSuspended) => {
                                push(Missing::SubscriptionSuspended)
                            }
                            Some(Reason::SubscriptionTerminated) => {
                                push(Missing::SubscriptionTerminated)
                            }
                            Some(Reason::PhoneSystemNotEffective) => {
                                push(Missing::PhoneSystemNotEffective)
                            }
                            Some(Reason::MemberDisabled) | None => {}
                        }
                    }
                }
            };
            why(
                held(|c| c == Code::LicenseCenter).collect(),
                Missing::LicenseCenter,
            );
            why(held(Code::is_device).collect(), Missing::Device);
        }
    }
    ContactCenter {
        role,
        ready: missing.is_empty(),
        missing,
    }
}

/// The codes a member may use right now, one per copy: none when disabled, else its
/// extension's base license and add-ons whose subscriptions give service.
pub fn entitled_codes(member: &Member, extension: Option<&Extension>, seats: &Seats) -> Vec<Code> {
    match (member.status, extension) {
        (Status::Active, Some(ext)) => {
            let eff = effective(ext, Some(member), seats);
            let on = |c: Code| eff.iter().any(|e| e.code == c && e.effective);
            let mut codes = Vec::new();
            if on(Code::PhoneSystem) {
                codes.push(Code::PhoneSystem);
            }
            codes.extend(ext.addons.codes().into_iter().filter(|c| on(*c)));
            codes
        }
        _ => Vec::new(),
    }
}

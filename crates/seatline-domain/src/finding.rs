//! The kinds of findings (product.md §11): what the usage report lists, what a cleanup
//! request asks to clean up, and what a cleanup plan's row resolves. A vocabulary of its own
//! so that plans can name it without knowing the report.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::spelling;

/// The kinds of findings, in the order a report lists them on one extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    ExtensionUnassigned,
    AddonOnUnassignedExtension,
    NumberOnUnassignedExtension,
    DisabledMemberHoldsExtension,
    ContactCenterNotReady,
    OverAllocated,
    NotEffective,
    IdleExtension,
    IdleContactCenter,
    IdleDevice,
}

impl FindingKind {
    pub const ALL: [FindingKind; 10] = [
        FindingKind::ExtensionUnassigned,
        FindingKind::AddonOnUnassignedExtension,
        FindingKind::NumberOnUnassignedExtension,
        FindingKind::DisabledMemberHoldsExtension,
        FindingKind::ContactCenterNotReady,
        FindingKind::OverAllocated,
        FindingKind::NotEffective,
        FindingKind::IdleExtension,
        FindingKind::IdleContactCenter,
        FindingKind::IdleDevice,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ExtensionUnassigned => "extension_unassigned",
            FindingKind::AddonOnUnassignedExtension => "addon_on_unassigned_extension",
            FindingKind::NumberOnUnassignedExtension => "number_on_unassigned_extension",
            FindingKind::DisabledMemberHoldsExtension => "disabled_member_holds_extension",
            FindingKind::ContactCenterNotReady => "contact_center_not_ready",
            FindingKind::OverAllocated => "over_allocated",
            FindingKind::NotEffective => "not_effective",
            FindingKind::IdleExtension => "idle_extension",
            FindingKind::IdleContactCenter => "idle_contact_center",
            FindingKind::IdleDevice => "idle_device",
        }
    }
    /// The idle kinds (product.md §14): judged from activity, not from the organization alone.
    pub fn is_idle(self) -> bool {
        matches!(
            self,
            FindingKind::IdleExtension | FindingKind::IdleContactCenter | FindingKind::IdleDevice
        )
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        if let Some(k) = FindingKind::ALL.into_iter().find(|k| k.as_str() == t) {
            return Ok(k);
        }
        let hint = match spelling::closest(t, FindingKind::ALL.map(FindingKind::as_str)) {
            Some(near) => format!("did you mean {near:?}? "),
            None => String::new(),
        };
        let all: Vec<&str> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
        Err(Error::new(
            ErrorCode::InvalidFindingKind,
            format!(
                "{t:?} is not a finding kind; {hint}the kinds are {}",
                all.join(", ")
            ),
        )
        .detail("field", "kind")
        .detail("value", t))
    }
}

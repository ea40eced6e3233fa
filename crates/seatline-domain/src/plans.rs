//! Plans (product.md §5, §11): the one mechanism every bulk change shares. A plan is rows
//! with outcomes, the seats they take or give back, and every problem found, listed for
//! review before anything is written. A plan is applied whole or not at all, and only when it
//! still holds: it is checked again against the organization as it is then, and a plan that
//! no longer holds is refused as stale.
//!
//! Each kind of plan produces its rows in its own module: [`crate::bulk`] from a
//! spreadsheet, [`crate::cleanup`] from the usage report's findings. This module knows
//! neither: it is below both.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::finding::FindingKind;
use crate::values::{ExtKey, MemberId, E164};

/// Errors (and, apart, warnings) a plan lists; more are counted, not listed. Enough to fix a
/// file in a few rounds, small enough that a plan of a hostile file stays a few megabytes.
pub const MAX_LISTED: usize = 1_000;

/// One problem of a plan: of one row, or (`row: null`) of the whole plan, such as seats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowError {
    /// Spreadsheet row (header = 1); `null` for problems of the whole file, such as seats.
    pub row: Option<usize>,
    pub column: String,
    pub value: String,
    pub code: ErrorCode,
    pub message: String,
}

/// Seats of one code the plan needs, and how many are available now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatNeed {
    pub code: Code,
    pub needed: u64,
    pub available: u64,
}

/// Seats of one code a cleanup plan (product.md §11) or one of its rows gives back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatFreed {
    pub code: Code,
    pub freed: u64,
}

/// Seats of one code a template plan (product.md §13) takes and gives back, and how many
/// are available now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatMove {
    pub code: Code,
    pub needed: u64,
    pub freed: u64,
    pub available: u64,
}

/// One entry of a plan's `seats`: what a bulk plan needs (`{code, needed, available}`),
/// what a cleanup plan frees (`{code, freed}`), or what a template plan moves (`{code,
/// needed, freed, available}`; first, so that reading it back does not take it for another).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeatChange {
    Moved(SeatMove),
    Freed(SeatFreed),
    Needed(SeatNeed),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Invalid,
    Ready,
    Applied,
}

impl PlanStatus {
    /// `ready` when nothing blocks the plan, else `invalid`.
    pub(crate) fn checked(ready: bool) -> Self {
        if ready {
            PlanStatus::Ready
        } else {
            PlanStatus::Invalid
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Invalid => "invalid",
            PlanStatus::Ready => "ready",
            PlanStatus::Applied => "applied",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The row creates its extension when the plan is applied.
    Create,
    /// The row has at least one error.
    Error,
    // The rows of a cleanup plan (product.md §11), one action on one existing extension.
    /// Unassign the disabled member holding the extension (`member`).
    Unassign,
    /// Remove the listed add-on copies (and detach the listed numbers they carry).
    RemoveAddons,
    /// Detach the listed numbers and remove the `license_number` copies they need.
    DetachNumbers,
    /// Deprovision the unassigned extension with the listed add-ons and numbers.
    Deprovision,
    // The rows of a template plan (product.md §13), one per member.
    /// The member is granted what its teams' templates ask (`key`, `addons` after).
    Grant,
    /// What no template asks of the member any more is revoked.
    Revoke,
    /// The member's grant does not fit the seats: it waits (warning `seats_exhausted`).
    Wait,
    /// Nothing changes for the member.
    Unchanged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Create => "create",
            Outcome::Error => "error",
            Outcome::Unassign => "unassign",
            Outcome::RemoveAddons => "remove_addons",
            Outcome::DetachNumbers => "detach_numbers",
            Outcome::Deprovision => "deprovision",
            Outcome::Grant => "grant",
            Outcome::Revoke => "revoke",
            Outcome::Wait => "wait",
            Outcome::Unchanged => "unchanged",
        }
    }
    /// Whether the row acts on an existing extension (a cleanup row).
    pub fn is_cleanup(self) -> bool {
        matches!(
            self,
            Outcome::Unassign
                | Outcome::RemoveAddons
                | Outcome::DetachNumbers
                | Outcome::Deprovision
        )
    }
}

/// What one row will do: the extension a file's row creates (as far as it could be read), or
/// the action a cleanup row takes on an existing extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowPlan {
    pub row: usize,
    pub outcome: Outcome,
    pub key: Option<ExtKey>,
    pub member: Option<MemberId>,
    /// The User cell as the file wrote it (an email or an id, also when it names no member),
    /// so a plan rechecked later reports the file's values, never internal ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(deserialize_with = "numbers_de")]
    pub numbers: Vec<E164>,
    pub addons: Vec<Code>,
    /// A cleanup row: the seats it gives back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freed: Vec<SeatFreed>,
    /// A cleanup row: the finding it resolves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingKind>,
}

fn numbers_de<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<E164>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}

/// A plan: its rows with their outcomes, the seats they take or give back, and its problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub status: PlanStatus,
    /// Data rows in the file (blank lines not counted).
    pub rows: usize,
    pub can_apply: bool,
    pub seats: Vec<SeatChange>,
    pub errors: Vec<RowError>,
    /// Problems that do not block the plan, in the same shape as errors (a disabled member
    /// holds the extension, but nothing is effective until it is enabled).
    #[serde(default)]
    pub warnings: Vec<RowError>,
    /// How many errors and warnings there are in all; the lists hold the first
    /// [`MAX_LISTED`] of each.
    #[serde(default)]
    pub error_count: usize,
    #[serde(default)]
    pub warning_count: usize,
    pub items: Vec<RowPlan>,
}

/// A plan's problems as they are found: the errors (which block it) and the warnings (which
/// do not). Only the first [`MAX_LISTED`] of each are kept, the rest counted: a file of
/// 100,000 rows with a bad value in every cell would otherwise carry millions of entries (and
/// gigabytes) into the stored plan and every answer.
#[derive(Default)]
pub(crate) struct Problems {
    errors: Vec<RowError>,
    warnings: Vec<RowError>,
    pub(crate) error_count: usize,
    warning_count: usize,
}

impl Problems {
    pub(crate) fn warn(
        &mut self,
        row: usize,
        column: &str,
        value: &str,
        code: ErrorCode,
        message: String,
    ) {
        self.warning_count += 1;
        if self.warnings.len() >= MAX_LISTED {
            return;
        }
        self.warnings.push(RowError {
            row: Some(row),
            column: column.to_owned(),
            value: value.to_owned(),
            code,
            message,
        });
    }
    pub(crate) fn push(&mut self, row: Option<usize>, column: &str, value: &str, e: Error) {
        self.error_count += 1;
        // File-level problems (seats, row None) come last and always make the list.
        if self.errors.len() >= MAX_LISTED && row.is_some() {
            return;
        }
        self.errors.push(RowError {
            row,
            column: column.to_owned(),
            value: value.to_owned(),
            code: e.code,
            message: e.message,
        });
    }
    /// Whether a row's next error is listed (not only counted).
    pub(crate) fn lists_row_errors(&self) -> bool {
        self.errors.len() < MAX_LISTED
    }
    pub(crate) fn at(
        &mut self,
        row: usize,
        column: &str,
        value: &str,
        code: ErrorCode,
        message: String,
    ) {
        self.push(Some(row), column, value, Error::new(code, message));
    }
    /// The plan of rows with these problems: `ready` when there is no error. Its items are
    /// the caller's to fill.
    pub(crate) fn plan(self, rows: usize, seats: Vec<SeatChange>) -> Plan {
        let ready = self.error_count == 0;
        Plan {
            status: PlanStatus::checked(ready),
            rows,
            can_apply: ready,
            seats,
            errors: self.errors,
            warnings: self.warnings,
            error_count: self.error_count,
            warning_count: self.warning_count,
            items: Vec::new(),
        }
    }
}

/// The seats rows give back, per code in catalog order.
pub(crate) fn freed(rows: &[RowPlan]) -> Vec<SeatChange> {
    let mut by: BTreeMap<Code, u64> = BTreeMap::new();
    for r in rows {
        for f in &r.freed {
            *by.entry(f.code).or_default() += f.freed;
        }
    }
    by.into_iter()
        .map(|(code, freed)| SeatChange::Freed(SeatFreed { code, freed }))
        .collect()
}

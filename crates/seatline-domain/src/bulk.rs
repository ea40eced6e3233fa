//! Bulk assignment planning (product.md §5), the spreadsheet's producer of [`crate::plans`]:
//! a spreadsheet in, a plan out. Every problem of every row is reported at once, each with
//! its spreadsheet row, column, value, a stable code and a message that says how to fix it.
//! Planning is linear in the rows (hash lookups only), so 100,000 rows plan in a fraction of
//! a second; [`decide`] turns a ready plan into one `InsertExtensions` change with one audit
//! record per row.
//!
//! Choices where product.md is silent:
//! - Seat shortages are not about one row: their errors carry `row: null`.
//! - `Number` may repeat like `Addon license` (an extension can hold several numbers, and the
//!   export must re-import unchanged); each number needs a `license_number` on its row.
//! - A cell exported as `'=…`, `'+…`, `'-…` or `'@…` (formula-injection guard) reads back
//!   without its apostrophe, so an export re-imports unchanged.
//! - A row whose cells are all empty is a blank line and is skipped.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::model::{AuditRecord, Change, Decision, Extension, Member, NumberRow, Seats};
use crate::plans::{Outcome, Plan, PlanStatus, RowPlan};
use crate::values::{ExtKey, MemberId, E164};

mod cells;
mod header;
mod planner;
use planner::plan_rows;

/// Most data rows a bulk file may hold (a full key space is 99,900 extensions).
pub const MAX_ROWS: usize = 100_000;

/// Column names as the sample file writes them.
pub const COL_KEY: &str = "Ext key";
pub const COL_NUMBER: &str = "Number";
pub const COL_USER: &str = "User";
pub const COL_ADDON: &str = "Addon license";

/// A spreadsheet as read from a file: the header row and the data rows, cells as the user
/// sees them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    /// The spreadsheet row of the header (1 unless blank rows come first).
    #[serde(default = "one")]
    pub header_row: usize,
    pub header: Vec<String>,
    pub rows: Vec<SheetRow>,
}

fn one() -> usize {
    1
}

/// One data row with its spreadsheet row number (the header is row 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetRow {
    pub number: usize,
    pub cells: Vec<String>,
}

/// What planning needs to know about an organization, indexed for constant-time lookups.
/// It borrows the loaded state instead of copying it: a full-scale org has 100,000 members.
pub struct OrgState<'a> {
    members: &'a [Member],
    /// The extension each member (by index) holds.
    held: Vec<Option<ExtKey>>,
    by_id: HashMap<&'a str, usize>,
    by_email: HashMap<&'a str, usize>,
    taken: BTreeSet<u32>,
    numbers: HashMap<&'a str, Option<ExtKey>>,
    seats: Seats,
    /// Whose members the uploader may name (product.md §12): any other is `out_of_scope`.
    scope: crate::Scope,
    /// Member emails indexed for "did you mean", built on the first unknown email.
    emails: std::sync::OnceLock<cells::EmailIndex>,
}

impl<'a> OrgState<'a> {
    pub fn new(
        members: &'a [Member],
        extensions: &[Extension],
        numbers: &'a [NumberRow],
        seats: Seats,
    ) -> Self {
        let by_id: HashMap<&'a str, usize> = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.as_str(), i))
            .collect();
        let mut held = vec![None; members.len()];
        for e in extensions {
            if let Some(i) = e.member.as_ref().and_then(|m| by_id.get(m.as_str())) {
                held[*i] = Some(e.key);
            }
        }
        OrgState {
            by_email: members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.email.as_str(), i))
                .collect(),
            by_id,
            held,
            members,
            taken: extensions.iter().map(|e| e.key.get()).collect(),
            numbers: numbers
                .iter()
                .map(|n| (n.number.as_str(), n.extension))
                .collect(),
            seats,
            scope: crate::Scope::Org,
            emails: std::sync::OnceLock::new(),
        }
    }

    /// The same state for an uploader limited to `scope`. A number on an extension out of
    /// its reach reads as not in the inventory, as the extension itself is not found (§12).
    pub fn within(mut self, scope: crate::Scope) -> Self {
        let out_of_reach: BTreeSet<ExtKey> = (self.members.iter().zip(&self.held))
            .filter(|(m, _)| !scope.contains_member(&m.id))
            .filter_map(|(_, held)| *held)
            .collect();
        self.numbers
            .retain(|_, on| on.is_none_or(|k| !out_of_reach.contains(&k)));
        self.scope = scope;
        self
    }

    /// A member by email (when the reference has `@`, case-insensitively) or by id.
    fn member(&self, reference: &str) -> Option<usize> {
        if !reference.contains('@') {
            return self.by_id.get(reference).copied();
        }
        if reference.bytes().any(|b| b.is_ascii_uppercase()) || !reference.is_ascii() {
            self.by_email
                .get(crate::values::email_form(reference).as_str())
                .copied()
        } else {
            self.by_email.get(reference).copied()
        }
    }
}

/// A cell as the user meant it: trimmed, and without the apostrophe an export puts before a
/// value that a spreadsheet would read as a formula.
pub fn cell(s: &str) -> &str {
    let t = s.trim();
    match t.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => t,
    }
}

/// A data row as planning reads it: its spreadsheet row and its cells as the user meant
/// them (see [`cell`]). A file's rows and a stored plan's rows are read the same way.
trait Cells {
    fn row(&self) -> usize;
    /// How many cells the row has (cells past the header are values outside every column).
    fn width(&self) -> usize;
    /// Cell `i`, empty past the row's end.
    fn at(&self, i: usize) -> Cow<'_, str>;
}

impl Cells for SheetRow {
    fn row(&self) -> usize {
        self.number
    }
    fn width(&self) -> usize {
        self.cells.len()
    }
    fn at(&self, i: usize) -> Cow<'_, str> {
        Cow::Borrowed(cell(self.cells.get(i).map_or("", String::as_str)))
    }
}

/// A stored plan's row read as the row [`sheet_of`] writes for it (Ext key, User, the
/// Number columns, the Addon license columns), without building that sheet's strings.
struct ItemCells<'a> {
    index: usize,
    item: &'a RowPlan,
    numbers: usize,
}

impl Cells for ItemCells<'_> {
    fn row(&self) -> usize {
        self.item.row
    }
    fn width(&self) -> usize {
        // Only the header's width matters: an item has no cells past it.
        0
    }
    fn at(&self, idx: usize) -> Cow<'_, str> {
        let i = &self.item;
        let text = match idx {
            0 => {
                return i
                    .key
                    .map_or(Cow::Borrowed(""), |k| Cow::Owned(k.to_string()))
            }
            1 => i
                .user
                .as_deref()
                .or(i.member.as_ref().map(MemberId::as_str))
                .unwrap_or(""),
            n if n < 2 + self.numbers => i.numbers.get(n - 2).map_or("", E164::as_str),
            n => i
                .addons
                .get(n - 2 - self.numbers)
                .map_or("", |c| c.as_str()),
        };
        Cow::Borrowed(cell(text))
    }
}

/// Plan a sheet against the organization's current state. Never fails: every problem is an
/// entry of `errors`, and the plan is `ready` only when there is none.
pub fn plan(sheet: &Sheet, org: &OrgState<'_>) -> Plan {
    plan_reporting(sheet, org, &mut |_| {})
}

/// Rows between two progress reports of [`plan_reporting`] and [`recheck_reporting`].
pub const REPORT_EVERY: usize = 1024;

/// [`plan`], telling `done` how many data rows are planned, every [`REPORT_EVERY`] rows and
/// at the end (a terminal shows a progress bar from it).
pub fn plan_reporting(sheet: &Sheet, org: &OrgState<'_>, done: &mut dyn FnMut(usize)) -> Plan {
    let mut items = Vec::with_capacity(sheet.rows.len());
    let mut plan = plan_rows(
        sheet.header_row,
        &sheet.header,
        &sheet.rows,
        org,
        |_, item| items.push(item),
        done,
    );
    plan.items = items;
    plan
}

/// Plan a stored plan's rows again against the organization as it is now: the same plan as
/// `plan(&sheet_of(&items), org)`, without building that sheet. The rows are taken, not
/// copied: a row that plans to what it was is kept as it is (for a plan that still holds,
/// every row), so a full-scale plan is not held twice.
pub fn recheck(items: Vec<RowPlan>, org: &OrgState<'_>) -> Plan {
    recheck_reporting(items, org, &mut |_| {})
}

/// [`recheck`], reporting rows done like [`plan_reporting`].
pub fn recheck_reporting(
    mut items: Vec<RowPlan>,
    org: &OrgState<'_>,
    done: &mut dyn FnMut(usize),
) -> Plan {
    let (numbers, addons) = widths(&items);
    let header = sheet_header(numbers, addons);
    let rows: Vec<ItemCells<'_>> = items
        .iter()
        .enumerate()
        .map(|(index, item)| ItemCells {
            index,
            item,
            numbers,
        })
        .collect();
    let mut kept = vec![false; items.len()];
    let mut changed = Vec::new();
    let mut plan = plan_rows(
        1,
        &header,
        &rows,
        org,
        |r: &ItemCells<'_>, item| {
            kept[r.index] = true;
            if *r.item != item {
                changed.push((r.index, item));
            }
        },
        done,
    );
    drop(rows);
    for (i, item) in changed {
        items[i] = item;
    }
    let mut kept = kept.into_iter();
    items.retain(|_| kept.next() == Some(true));
    plan.items = items;
    plan
}

/// The changes a ready plan makes: one `InsertExtensions` with every row, and one audit
/// record per extension. A plan that is not ready is refused.
pub fn decide(plan: &Plan) -> Result<Decision, Error> {
    if plan.status != PlanStatus::Ready || !plan.can_apply {
        return Err(Error::new(
            ErrorCode::PlanInvalid,
            format!(
                "the plan has {} and cannot be applied; fix the file and upload it again",
                crate::words::plural(plan.errors.len() as u64, "error", "errors")
            ),
        ));
    }
    decide_rows(&plan.items)
}

/// The changes of some rows of a ready plan. Applying the rows of a plan in slices, one
/// decision per slice within one transaction, is the same as applying [`decide`] at once,
/// with a fraction of the memory.
pub fn decide_rows(items: &[RowPlan]) -> Result<Decision, Error> {
    let mut exts = Vec::with_capacity(items.len());
    for item in items {
        let key = item
            .key
            .filter(|_| item.outcome == Outcome::Create)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::PlanInvalid,
                    format!("row {} has errors and cannot be applied", item.row),
                )
            })?;
        let mut numbers = item.numbers.clone();
        numbers.sort();
        exts.push(Extension {
            key,
            member: item.member.clone(),
            addons: item.addons.iter().copied().collect(),
            numbers,
        });
    }
    let audit = exts
        .iter()
        .map(|e| AuditRecord {
            action: "extension.bulk_create",
            target: format!("extension:{}", e.key),
            before: serde_json::Value::Null,
            after: e.audit_json(),
        })
        .collect();
    Ok(Decision {
        changes: vec![Change::InsertExtensions(exts)],
        audit,
    })
}

/// The sheet a ready plan's rows say, for planning them again: same rows, same keys, members
/// by id, numbers and add-ons as read. A ready plan's rows hold everything its file said, so
/// a stored plan needs no copy of the file to be checked again when it is applied.
pub fn sheet_of(items: &[RowPlan]) -> Sheet {
    let (numbers, addons) = widths(items);
    let header = sheet_header(numbers, addons);
    let rows = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let cells = ItemCells {
                index,
                item,
                numbers,
            };
            SheetRow {
                number: item.row,
                cells: (0..header.len())
                    .map(|i| cells.at(i).into_owned())
                    .collect(),
            }
        })
        .collect();
    Sheet {
        header_row: 1,
        header,
        rows,
    }
}

/// The most numbers and the most add-ons of any row: the Number and Addon license columns
/// the rows need.
fn widths(items: &[RowPlan]) -> (usize, usize) {
    let numbers = items.iter().map(|i| i.numbers.len()).max().unwrap_or(0);
    let addons = items.iter().map(|i| i.addons.len()).max().unwrap_or(0);
    (numbers, addons)
}

/// The header of a plan's rows as a sheet: Ext key, User, then the Number and Addon license
/// columns.
fn sheet_header(numbers: usize, addons: usize) -> Vec<String> {
    let mut header = vec![COL_KEY.to_owned(), COL_USER.to_owned()];
    header.extend(std::iter::repeat_n(COL_NUMBER.to_owned(), numbers));
    header.extend(std::iter::repeat_n(COL_ADDON.to_owned(), addons));
    header
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Code;
    use crate::values::Status;

    fn member(id: &str, status: Status) -> Member {
        Member {
            id: MemberId(id.into()),
            email: format!("{id}@example.com").parse().unwrap(),
            name: id.into(),
            role: crate::Role::Member,
            status,
        }
    }

    fn seats(phone_system: u32, license_number: u32) -> Seats {
        let mut seats = Seats::default();
        for (code, purchased) in [
            (Code::PhoneSystem, phone_system),
            (Code::LicenseNumber, license_number),
            (Code::DeviceMobileApp, 10),
        ] {
            seats.by_code.insert(
                code,
                crate::Seat {
                    purchased,
                    ..Default::default()
                },
            );
        }
        seats
    }

    fn sheet(lines: &[&str]) -> Sheet {
        let split = |l: &str| l.split(',').map(str::to_owned).collect::<Vec<_>>();
        Sheet {
            header_row: 1,
            header: split("Ext key,Number,User,Addon license,Addon license"),
            rows: lines
                .iter()
                .enumerate()
                .map(|(i, l)| SheetRow {
                    number: i + 2,
                    cells: split(l),
                })
                .collect(),
        }
    }

    /// Rechecking a plan's rows is planning the sheet they say, whatever changed since.
    #[test]
    fn recheck_is_planning_the_rows_sheet() {
        let members = [
            member("mem_a", Status::Active),
            member("mem_b", Status::Active),
            member("mem_c", Status::Active),
        ];
        let numbers: Vec<NumberRow> = ["+6531000001", "+6531000002"]
            .into_iter()
            .map(|n| NumberRow {
                number: n.parse().unwrap(),
                extension: None,
            })
            .collect();
        let file = sheet(&[
            "1001,+6531000001,mem_a,license_number,device_mobile_app",
            "1002,+6531000002,mem_b@example.com,license_number,",
            "1003,,mem_c,,",
            "1004,,,,",
        ]);
        let before = OrgState::new(&members, &[], &numbers, seats(10, 10));
        let ready = plan(&file, &before);
        assert_eq!(ready.status, PlanStatus::Ready, "{:?}", ready.errors);
        assert_eq!(recheck(ready.items.clone(), &before), ready);

        // Since then: 1004 was taken, mem_b got an extension, mem_c was disabled, mem_a
        // left, a number was attached elsewhere, and seats were cut.
        let gone = [
            member("mem_b", Status::Active),
            member("mem_c", Status::Disabled),
        ];
        let mut taken = Extension::new(ExtKey::new(1004).unwrap());
        taken.member = Some(MemberId("mem_b".into()));
        let attached = vec![
            numbers[0].clone(),
            NumberRow {
                number: numbers[1].number.clone(),
                extension: Some(ExtKey::new(1004).unwrap()),
            },
        ];
        let after = OrgState::new(&gone, &[taken], &attached, seats(3, 1));
        let stale = recheck(ready.items.clone(), &after);
        assert_eq!(stale, plan(&sheet_of(&ready.items), &after));
        assert_eq!(stale.status, PlanStatus::Invalid);
        let codes: BTreeSet<&str> = stale.errors.iter().map(|e| e.code.as_str()).collect();
        for code in [
            "extension_exists",
            "member_has_extension",
            "unknown_member",
            "number_attached",
            "seats_exhausted",
        ] {
            assert!(codes.contains(code), "{code} in {codes:?}");
        }
        let warned: Vec<&str> = stale.warnings.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(warned, ["member_disabled"]);

        // Rows a plan would not hold (an error row, a blank row) recheck as their sheet.
        let mut odd = ready.items.clone();
        odd[0].key = None;
        odd[1] = RowPlan {
            row: 3,
            outcome: Outcome::Create,
            key: None,
            member: None,
            user: None,
            numbers: Vec::new(),
            addons: Vec::new(),
            freed: Vec::new(),
            finding: None,
        };
        assert_eq!(
            recheck(odd.clone(), &before),
            plan(&sheet_of(&odd), &before)
        );
    }

    #[test]
    fn exported_apostrophes_read_back() {
        assert_eq!(cell(" '=SUM(A1) "), "=SUM(A1)");
        assert_eq!(cell("'+tag@example.com"), "+tag@example.com");
        assert_eq!(cell("'plain"), "'plain");
        assert_eq!(cell("  1001 "), "1001");
    }
}

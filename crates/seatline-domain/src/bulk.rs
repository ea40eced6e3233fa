//! Bulk assignment planning (product.md §5): a spreadsheet in, a plan out. Every problem of
//! every row is reported at once, each with its spreadsheet row, column, value, a stable code
//! and a message that says how to fix it. Planning is linear in the rows (hash lookups only),
//! so 100,000 rows plan in a fraction of a second; [`decide`] turns a ready plan into one
//! `InsertExtensions` change with one audit record per row.
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

use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::model::{Addons, AuditRecord, Change, Decision, Extension, Member, NumberRow, Seats};
use crate::rules;
use crate::spelling;
use crate::values::{ExtKey, MemberId, E164, MAX_KEY, MIN_KEY};

mod cells;
use cells::{plan_addon, plan_number, plan_user};

/// Most data rows a bulk file may hold (a full key space is 99,900 extensions).
pub const MAX_ROWS: usize = 100_000;
/// Errors (and, apart, warnings) a plan lists; more are counted, not listed. Enough to fix a
/// file in a few rounds, small enough that a plan of a hostile file stays a few megabytes.
pub const MAX_LISTED: usize = 1_000;

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

/// One problem in a bulk file.
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

/// One entry of a plan's `seats`: what a bulk plan needs (`{code, needed, available}`), or
/// what a cleanup plan frees (`{code, freed}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeatChange {
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
        }
    }
    /// Whether the row acts on an existing extension (a cleanup row).
    pub fn is_cleanup(self) -> bool {
        !matches!(self, Outcome::Create | Outcome::Error)
    }
}

/// What one row will do: the extension it creates, as far as it could be read.
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
    pub finding: Option<crate::reports::FindingKind>,
}

fn numbers_de<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<E164>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}

/// The outcome of planning a sheet against an organization.
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
    /// A cleanup plan's request (product.md §11); `None` for a bulk file's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<crate::reports::CleanupRequest>,
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

/// The role of one column, from its header.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Col {
    Key,
    Number,
    User,
    Addon,
    /// An empty header cell: fine while the column holds no values.
    Blank,
    Unknown,
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

/// Spreadsheet column letters: 0 → A, 26 → AA.
fn letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// The errors (which block a plan) and the warnings (which do not) found so far.
/// A plan's problems as they are found. Only the first [`MAX_LISTED`] errors and warnings
/// are kept, the rest counted: a file of 100,000 rows with a bad value in every cell would
/// otherwise carry millions of entries (and gigabytes) into the stored plan and every answer.
#[derive(Default)]
struct Errors {
    errors: Vec<RowError>,
    warnings: Vec<RowError>,
    error_count: usize,
    warning_count: usize,
    /// Member emails compared so far for "did you mean" (bounded by `cells::SUGGEST_PLAN`).
    suggested: usize,
}

impl Errors {
    fn warn(&mut self, row: usize, column: &str, value: &str, code: ErrorCode, message: String) {
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
    fn push(&mut self, row: Option<usize>, column: &str, value: &str, e: Error) {
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
    fn lists_row_errors(&self) -> bool {
        self.errors.len() < MAX_LISTED
    }
    fn at(&mut self, row: usize, column: &str, value: &str, code: ErrorCode, message: String) {
        self.push(Some(row), column, value, Error::new(code, message));
    }
}

/// The lowest free key at or above each key (else the lowest free key at all), over the
/// org's keys and the file's: `rules::next_free_start(taken, 1, key)` for every key at once,
/// so a file of 100,000 taken keys costs one pass instead of a scan per row.
struct NextFree(Vec<u32>);

impl NextFree {
    fn new(occupied: &BTreeSet<u32>) -> Self {
        let len = (MAX_KEY + 2) as usize;
        let mut next = vec![0u32; len];
        for k in (MIN_KEY..=MAX_KEY).rev() {
            next[k as usize] = if occupied.contains(&k) {
                next[k as usize + 1]
            } else {
                k
            };
        }
        NextFree(next)
    }
    fn from(&self, key: u32) -> Option<u32> {
        let up = self.0[key.clamp(MIN_KEY, MAX_KEY) as usize];
        let any = self.0[MIN_KEY as usize];
        [up, any].into_iter().find(|k| *k != 0)
    }
    fn hint(&self, key: u32) -> String {
        match self.from(key) {
            Some(k) => format!("the next free key is {k}"),
            None => "no free key is left".to_owned(),
        }
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

/// Plan rows under a header; each row's plan goes to `keep`, in file order, and the plan
/// returned has no items.
fn plan_rows<R: Cells>(
    header_row: usize,
    header_cells: &[String],
    all: &[R],
    org: &OrgState<'_>,
    mut keep: impl FnMut(&R, RowPlan),
    done: &mut dyn FnMut(usize),
) -> Plan {
    let mut errs = Errors::default();
    let cols = header(header_row, header_cells, &mut errs);
    let key_col = cols.iter().position(|c| *c == Col::Key);
    let rows: Vec<&R> = all
        .iter()
        .filter(|r| (0..r.width().max(cols.len())).any(|i| !r.at(i).is_empty()))
        .collect();
    let Some(key_col) = key_col else {
        return finish(errs, rows.len(), Vec::new());
    };
    if rows.is_empty() {
        errs.at(
            header_row,
            COL_KEY,
            "",
            ErrorCode::BulkEmpty,
            "the file has no data rows; add one row per extension below the header".to_owned(),
        );
    }
    if rows.len() > MAX_ROWS {
        errs.at(
            header_row,
            COL_KEY,
            "",
            ErrorCode::TooManyRows,
            format!(
                "the file has {} data rows; split it into files of at most {MAX_ROWS}",
                rows.len()
            ),
        );
        return finish(errs, rows.len(), Vec::new());
    }

    // Keys first: the "next free key" hints must avoid every key the file itself uses.
    let key_of = |r: &R| -> Result<Option<ExtKey>, Error> {
        let v = r.at(key_col);
        if v.is_empty() {
            Ok(None)
        } else {
            v.parse::<ExtKey>().map(Some)
        }
    };
    let mut occupied = org.taken.clone();
    occupied.extend(
        rows.iter()
            .filter_map(|r| key_of(r).ok().flatten().map(ExtKey::get)),
    );
    let next_free = NextFree::new(&occupied);
    drop(occupied);

    // First rows by key, by member (index) and by number (its digits): 0 = not seen yet.
    let mut key_rows = vec![0usize; MAX_KEY as usize + 1];
    let mut member_rows = vec![0usize; org.members.len()];
    let mut number_rows: HashMap<u64, usize> = HashMap::new();
    let mut needed = [0u64; Code::ALL.len()];

    for (n, &r) in rows.iter().enumerate() {
        if n % REPORT_EVERY == 0 && n > 0 {
            done(n);
        }
        let key = key_of(r);
        let row = r.row();
        let before = errs.error_count;
        let mut item = RowPlan {
            row,
            outcome: Outcome::Create,
            key: None,
            member: None,
            user: None,
            numbers: Vec::new(),
            addons: Vec::new(),
            freed: Vec::new(),
            finding: None,
        };
        let raw_key = r.at(key_col);
        let raw_key = raw_key.as_ref();
        match key {
            Err(e) => errs.push(Some(row), COL_KEY, raw_key, e),
            Ok(None) => errs.at(
                row,
                COL_KEY,
                "",
                ErrorCode::InvalidExtKey,
                format!(
                    "Ext key is empty; every row creates one extension and needs a key: {}",
                    next_free.hint(MIN_KEY)
                ),
            ),
            Ok(Some(k)) => {
                item.key = Some(k);
                let first = key_rows[k.get() as usize];
                if first != 0 {
                    errs.at(
                        row,
                        COL_KEY,
                        raw_key,
                        ErrorCode::BulkDuplicateExtKey,
                        format!(
                            "ext key {k} is also on row {first}; each row creates its own extension: {}",
                            next_free.hint(k.get())
                        ),
                    );
                } else {
                    key_rows[k.get() as usize] = row;
                    if org.taken.contains(&k.get()) {
                        errs.at(
                            row,
                            COL_KEY,
                            raw_key,
                            ErrorCode::ExtensionExists,
                            format!(
                                "extension {k} already exists and bulk only creates new extensions: change it on its page in the admin UI (/ui/extensions/{k}) or with PUT /api/v1/orgs/{{org}}/extensions/{k}/member, /addons or /numbers; or give this row a new key ({})",
                                next_free.hint(k.get())
                            ),
                        );
                    }
                }
            }
        }
        for (i, c) in cols.iter().enumerate() {
            let v = r.at(i);
            let v = v.as_ref();
            if v.is_empty() {
                continue;
            }
            match c {
                // An unknown column is reported once, on the header, not again on every row.
                Col::Key | Col::Unknown => {}
                Col::Number => plan_number(v, row, org, &mut number_rows, &mut item, &mut errs),
                Col::User => plan_user(v, row, org, &mut member_rows, &mut item, &mut errs),
                Col::Addon => plan_addon(v, row, &mut item, &mut errs),
                Col::Blank => errs.at(
                    row,
                    &letters(i),
                    v,
                    ErrorCode::BulkUnknownColumn,
                    format!(
                        "column {} has no known header; move the value under Ext key, Number, User or Addon license, or delete it",
                        letters(i)
                    ),
                ),
            }
        }
        // Cells past the header are values outside every column.
        for i in cols.len()..r.width() {
            let v = r.at(i);
            let v = v.as_ref();
            if !v.is_empty() {
                errs.at(
                    row,
                    &letters(i),
                    v,
                    ErrorCode::BulkUnknownColumn,
                    format!(
                        "column {} has no header; move the value under Ext key, Number, User or Addon license, or delete it",
                        letters(i)
                    ),
                );
            }
        }
        let mut copies = [0u32; Code::ALL.len()];
        for code in &item.addons {
            copies[*code as usize] += 1;
        }
        for code in Code::ALL {
            let n = copies[code as usize];
            if n == 0 {
                continue;
            }
            needed[code as usize] += u64::from(n);
            // Only a code that can break a limit goes through the rule (which allocates).
            if n > 1 || !code.is_addon() {
                let mut one = Addons::default();
                one.add(code, n);
                if let Err(e) = rules::check_addon_limits(&one) {
                    errs.push(Some(row), COL_ADDON, code.as_str(), e);
                }
            }
        }
        let licensed = copies[Code::LicenseNumber as usize] as usize;
        if item.numbers.len() > licensed {
            let shown: Vec<&str> = item.numbers.iter().map(E164::as_str).collect();
            errs.at(
                row,
                COL_NUMBER,
                &shown.join(" "),
                ErrorCode::NumberNeedsLicense,
                format!(
                    "the row has {} but {}; add license_number in an Addon license column, one per number",
                    crate::words::plural(item.numbers.len() as u64, "number", "numbers"),
                    crate::words::plural(licensed as u64, "license_number add-on", "license_number add-ons")
                ),
            );
        }
        needed[Code::PhoneSystem as usize] += 1;
        if errs.error_count > before {
            item.outcome = Outcome::Error;
        }
        keep(r, item);
    }
    done(rows.len());

    let mut seats = Vec::new();
    for code in Code::ALL {
        let need = needed[code as usize];
        if need == 0 {
            continue;
        }
        let available = u64::from(org.seats.get(code).available());
        // Seats short, or a subscription that takes no new copies (expired, suspended,
        // terminated, over-allocated): a problem of the whole file for that code.
        if let Err(e) = org.seats.check_new(code, need) {
            let column = if code == Code::PhoneSystem {
                COL_KEY
            } else {
                COL_ADDON
            };
            errs.push(None, column, code.as_str(), e);
        }
        seats.push(SeatChange::Needed(SeatNeed {
            code,
            needed: need,
            available,
        }));
    }
    finish(errs, rows.len(), seats)
}

fn finish(errs: Errors, rows: usize, seats: Vec<SeatChange>) -> Plan {
    let ready = errs.error_count == 0;
    Plan {
        status: if ready {
            PlanStatus::Ready
        } else {
            PlanStatus::Invalid
        },
        rows,
        can_apply: ready,
        seats,
        errors: errs.errors,
        warnings: errs.warnings,
        error_count: errs.error_count,
        warning_count: errs.warning_count,
        items: Vec::new(),
        cleanup: None,
    }
}

/// A column's role from its header, as people type it: case, spacing, `-`/`_` and a trailing
/// number do not matter (`Addon license 2`), and `Add-on`/`Add on` and the British `licence`
/// name the add-on column.
fn column(name: &str) -> Col {
    let lower = name.to_lowercase().replace(['-', '_'], " ");
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
    {
        words.pop();
    }
    let joined = words
        .join(" ")
        .replace("add on", "addon")
        .replace("licence", "license");
    match joined.as_str() {
        "ext key" => Col::Key,
        "number" => Col::Number,
        "user" => Col::User,
        "addon license" => Col::Addon,
        "" => Col::Blank,
        _ => Col::Unknown,
    }
}

/// Read the header: every column's role; unknown, repeated and missing columns are errors.
fn header(row: usize, header: &[String], errs: &mut Errors) -> Vec<Col> {
    let mut cols = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let name = h.trim();
        let col = column(name);
        match col {
            Col::Unknown => {
                let hint = match spelling::closest(name, [COL_KEY, COL_NUMBER, COL_USER, COL_ADDON])
                {
                    Some(near) => format!("did you mean {near:?}? "),
                    None => String::new(),
                };
                errs.at(
                    row,
                    name,
                    name,
                    ErrorCode::BulkUnknownColumn,
                    format!(
                        "column {} is headed {name:?}, which is not a bulk column; {hint}the columns are Ext key, Number, User and Addon license (repeatable): rename or delete it",
                        letters(i)
                    ),
                )
            }
            Col::Key | Col::User if cols.contains(&col) => errs.at(
                row,
                name,
                name,
                ErrorCode::BulkDuplicateColumn,
                format!(
                    "column {} repeats {name:?}; keep one {name} column",
                    letters(i)
                ),
            ),
            _ => {}
        }
        cols.push(col);
    }
    if !cols.contains(&Col::Key) {
        errs.at(
            row,
            COL_KEY,
            "",
            ErrorCode::BulkMissingColumn,
            "the header has no Ext key column; start from the sample file: Ext key,Number,User,Addon license".to_owned(),
        );
    }
    cols
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
    use crate::values::Status;

    #[test]
    fn column_letters() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
        assert_eq!(letters(701), "ZZ");
        assert_eq!(letters(702), "AAA");
    }

    #[test]
    fn next_free_matches_the_rule() {
        let taken: BTreeSet<u32> = [100, 101, 103, 1000, 1001, 99_999].into_iter().collect();
        let nf = NextFree::new(&taken);
        for k in [100, 101, 102, 103, 999, 1000, 1001, 5000, 99_998, 99_999] {
            assert_eq!(nf.from(k), rules::next_free_start(&taken, 1, k), "{k}");
        }
        let full: BTreeSet<u32> = (MIN_KEY..=MAX_KEY).collect();
        assert_eq!(NextFree::new(&full).from(500), None);
    }

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

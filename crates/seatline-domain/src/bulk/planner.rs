//! Planning a file's rows, one decision per step: which rows are data, whether there are few
//! enough to plan, each row's key, cells, add-on copies and numbers, then the seats the whole
//! file needs. Every step is linear in the rows (hash lookups only).

use std::collections::{BTreeSet, HashMap};

use super::cells::{plan_addon, plan_number, plan_user};
use super::header::{header, letters, Col};
use super::{Cells, OrgState, COL_ADDON, COL_KEY, COL_NUMBER, MAX_ROWS, REPORT_EVERY};
use crate::catalog::Code;
use crate::error::{Error, ErrorCode};
use crate::model::Addons;
use crate::plans::{Outcome, Plan, Problems, RowPlan, SeatChange, SeatNeed};
use crate::rules;
use crate::values::{ExtKey, E164, MAX_KEY, MIN_KEY};

/// Plan rows under a header; each row's plan goes to `keep`, in file order, and the plan
/// returned has no items.
pub(super) fn plan_rows<R: Cells>(
    header_row: usize,
    header_cells: &[String],
    all: &[R],
    org: &OrgState<'_>,
    mut keep: impl FnMut(&R, RowPlan),
    done: &mut dyn FnMut(usize),
) -> Plan {
    let mut errs = Problems::default();
    let cols = header(header_row, header_cells, &mut errs);
    let rows = data_rows(all, cols.len());
    let Some(key_col) = cols.iter().position(|c| *c == Col::Key) else {
        return errs.plan(rows.len(), Vec::new());
    };
    if !few_enough(header_row, rows.len(), &mut errs) {
        return errs.plan(rows.len(), Vec::new());
    }
    let mut planner = Planner::new(org, cols, key_col, &rows, errs);
    for (n, &r) in rows.iter().enumerate() {
        if n % REPORT_EVERY == 0 && n > 0 {
            done(n);
        }
        let item = planner.row(r);
        keep(r, item);
    }
    done(rows.len());
    planner.finish(rows.len())
}

/// The rows that hold a value: a row whose cells are all empty is a blank line.
fn data_rows<R: Cells>(all: &[R], columns: usize) -> Vec<&R> {
    all.iter()
        .filter(|r| (0..r.width().max(columns)).any(|i| !r.at(i).is_empty()))
        .collect()
}

/// Whether the file has few enough rows to plan; an empty file is an error of its own but
/// still planned (its seats and header are checked all the same).
fn few_enough(header_row: usize, rows: usize, errs: &mut Problems) -> bool {
    if rows == 0 {
        errs.at(
            header_row,
            COL_KEY,
            "",
            ErrorCode::BulkEmpty,
            "the file has no data rows; add one row per extension below the header".to_owned(),
        );
    }
    if rows > MAX_ROWS {
        errs.at(
            header_row,
            COL_KEY,
            "",
            ErrorCode::TooManyRows,
            format!("the file has {rows} data rows; split it into files of at most {MAX_ROWS}"),
        );
        return false;
    }
    true
}

/// An Ext key cell: empty is `None`.
fn read_key(v: &str) -> Result<Option<ExtKey>, Error> {
    if v.is_empty() {
        Ok(None)
    } else {
        v.parse::<ExtKey>().map(Some)
    }
}

/// What the rows planned so far hold: to find a key, member or number a row repeats, and to
/// count the seats the file needs.
struct Planner<'p, 'o> {
    org: &'p OrgState<'o>,
    cols: Vec<Col>,
    key_col: usize,
    next_free: NextFree,
    errs: Problems,
    /// Member emails compared so far for "did you mean" (bounded by `cells::SUGGEST_PLAN`).
    suggested: usize,
    /// First rows by key, by member (index) and by number (its digits): 0 = not seen yet.
    key_rows: Vec<usize>,
    member_rows: Vec<usize>,
    number_rows: HashMap<u64, usize>,
    /// Copies of each code the rows need.
    needed: [u64; Code::ALL.len()],
}

impl<'p, 'o> Planner<'p, 'o> {
    fn new<R: Cells>(
        org: &'p OrgState<'o>,
        cols: Vec<Col>,
        key_col: usize,
        rows: &[&R],
        errs: Problems,
    ) -> Self {
        // Keys first: the "next free key" hints must avoid every key the file itself uses.
        let mut occupied = org.taken.clone();
        occupied.extend(
            rows.iter()
                .filter_map(|r| read_key(&r.at(key_col)).ok().flatten().map(ExtKey::get)),
        );
        Planner {
            next_free: NextFree::new(&occupied),
            org,
            cols,
            key_col,
            errs,
            suggested: 0,
            key_rows: vec![0usize; MAX_KEY as usize + 1],
            member_rows: vec![0usize; org.members.len()],
            number_rows: HashMap::new(),
            needed: [0u64; Code::ALL.len()],
        }
    }

    /// One row's plan: `error` when any of its steps found an error.
    fn row<R: Cells>(&mut self, r: &R) -> RowPlan {
        let row = r.row();
        let before = self.errs.error_count;
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
        self.key(r, &mut item);
        self.cells(r, &mut item);
        let licensed = self.addon_copies(&item);
        self.numbers_licensed(&item, licensed);
        // Every row creates one extension: one phone_system seat.
        self.needed[Code::PhoneSystem as usize] += 1;
        if self.errs.error_count > before {
            item.outcome = Outcome::Error;
        }
        item
    }

    /// The row's Ext key: present, valid, the first row with it, and not an existing
    /// extension (bulk only creates). Each refusal says the next free key.
    fn key<R: Cells>(&mut self, r: &R, item: &mut RowPlan) {
        let row = item.row;
        let raw = r.at(self.key_col);
        let raw = raw.as_ref();
        match read_key(raw) {
            Err(e) => self.errs.push(Some(row), COL_KEY, raw, e),
            Ok(None) => self.errs.at(
                row,
                COL_KEY,
                "",
                ErrorCode::InvalidExtKey,
                format!(
                    "Ext key is empty; every row creates one extension and needs a key: {}",
                    self.next_free.hint(MIN_KEY)
                ),
            ),
            Ok(Some(k)) => {
                item.key = Some(k);
                let first = self.key_rows[k.get() as usize];
                if first != 0 {
                    self.errs.at(
                        row,
                        COL_KEY,
                        raw,
                        ErrorCode::BulkDuplicateExtKey,
                        format!(
                            "ext key {k} is also on row {first}; each row creates its own extension: {}",
                            self.next_free.hint(k.get())
                        ),
                    );
                } else {
                    self.key_rows[k.get() as usize] = row;
                    if self.org.taken.contains(&k.get()) {
                        self.errs.at(
                            row,
                            COL_KEY,
                            raw,
                            ErrorCode::ExtensionExists,
                            format!(
                                "extension {k} already exists and bulk only creates new extensions: change it on its page in the admin UI (/ui/extensions/{k}) or with PUT /api/v1/orgs/{{org}}/extensions/{k}/member, /addons or /numbers; or give this row a new key ({})",
                                self.next_free.hint(k.get())
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Every other cell by its column (Number, User, Addon license), and values under no
    /// known header.
    fn cells<R: Cells>(&mut self, r: &R, item: &mut RowPlan) {
        let row = item.row;
        for (i, c) in self.cols.iter().enumerate() {
            let v = r.at(i);
            let v = v.as_ref();
            if v.is_empty() {
                continue;
            }
            match c {
                // An unknown column is reported once, on the header, not again on every row.
                Col::Key | Col::Unknown => {}
                Col::Number => plan_number(
                    v,
                    row,
                    self.org,
                    &mut self.number_rows,
                    item,
                    &mut self.errs,
                ),
                Col::User => plan_user(
                    v,
                    row,
                    self.org,
                    &mut self.member_rows,
                    item,
                    &mut self.errs,
                    &mut self.suggested,
                ),
                Col::Addon => plan_addon(v, row, item, &mut self.errs),
                Col::Blank => self.errs.at(
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
        for i in self.cols.len()..r.width() {
            let v = r.at(i);
            let v = v.as_ref();
            if !v.is_empty() {
                self.errs.at(
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
    }

    /// Count the row's add-on copies into the seats the file needs, and check the per-extension
    /// limits of each code; answers the row's `license_number` copies.
    fn addon_copies(&mut self, item: &RowPlan) -> usize {
        let mut copies = [0u32; Code::ALL.len()];
        for code in &item.addons {
            copies[*code as usize] += 1;
        }
        for code in Code::ALL {
            let n = copies[code as usize];
            if n == 0 {
                continue;
            }
            self.needed[code as usize] += u64::from(n);
            // Only a code that can break a limit goes through the rule (which allocates).
            if n > 1 || !code.is_addon() {
                let mut one = Addons::default();
                one.add(code, n);
                if let Err(e) = rules::check_addon_limits(&one) {
                    self.errs.push(Some(item.row), COL_ADDON, code.as_str(), e);
                }
            }
        }
        copies[Code::LicenseNumber as usize] as usize
    }

    /// Each number of the row needs a `license_number` copy on the same row.
    fn numbers_licensed(&mut self, item: &RowPlan, licensed: usize) {
        if item.numbers.len() <= licensed {
            return;
        }
        let shown: Vec<&str> = item.numbers.iter().map(E164::as_str).collect();
        self.errs.at(
            item.row,
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

    /// The plan of the rows seen: the seats of each code they need against those available,
    /// and every problem.
    fn finish(mut self, rows: usize) -> Plan {
        let mut seats = Vec::new();
        for code in Code::ALL {
            let need = self.needed[code as usize];
            if need == 0 {
                continue;
            }
            let available = u64::from(self.org.seats.get(code).available());
            // Seats short, or a subscription that takes no new copies (expired, suspended,
            // terminated, over-allocated): a problem of the whole file for that code.
            if let Err(e) = self.org.seats.check_new(code, need) {
                let column = if code == Code::PhoneSystem {
                    COL_KEY
                } else {
                    COL_ADDON
                };
                self.errs.push(None, column, code.as_str(), e);
            }
            seats.push(SeatChange::Needed(SeatNeed {
                code,
                needed: need,
                available,
            }));
        }
        self.errs.plan(rows, seats)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

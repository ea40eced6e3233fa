//! Reading an uploaded bulk file into a [`Sheet`]: CSV (UTF-8 with or without BOM, LF or
//! CRLF, `,` or `;` picked from the header line, quoted fields) or XLSX (first sheet, cells
//! as the user sees them). Row numbers are the spreadsheet's: a record with a quoted newline
//! is still one row, and blank lines still count.
//!
//! Any bytes at all may arrive here, so reading never trusts the file: every limit of
//! [`limits`] is checked as the cells arrive, memory follows the cells present (a cell
//! reference, a declared dimension or a zip entry's declared size allocates nothing), and
//! the XLSX reader streams its parts instead of building the workbook.

mod csv;
pub mod limits;
mod xlsx;

use seatline_domain::bulk::{Sheet, SheetRow, COL_NUMBER};
use seatline_domain::{Error, ErrorCode, E164};

use limits::*;

const ZIP: &[u8] = b"PK\x03\x04";

/// Read a CSV or XLSX file (told apart by the zip signature that starts every XLSX).
pub fn read_sheet(bytes: &[u8]) -> Result<Sheet, Error> {
    if bytes.starts_with(ZIP) {
        xlsx::read(bytes)
    } else if let Some(what) = not_text(bytes) {
        Err(Error::new(
            ErrorCode::FileUnreadable,
            format!("this is not a CSV or XLSX file ({what}); upload the bulk file as CSV UTF-8 or .xlsx, starting from the sample file"),
        ))
    } else {
        csv::read(bytes)
    }
}

/// What a file that is not text looks like, if it is one: a known signature, or bytes no
/// text file has (NUL, other control characters) near its start.
fn not_text(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG", "it is a PNG image"),
        (b"\xFF\xD8\xFF", "it is a JPEG image"),
        (b"GIF8", "it is a GIF image"),
        (b"%PDF", "it is a PDF document"),
        (
            b"\xD0\xCF\x11\xE0",
            "it is an old Excel .xls or other Office 97 file: save it as .xlsx",
        ),
        (b"\x1F\x8B", "it is gzip-compressed"),
        (b"PK", "it is a zip archive, not an XLSX workbook"),
        (b"\xFF\xFE", "it is UTF-16 text: save it as CSV UTF-8"),
        (b"\xFE\xFF", "it is UTF-16 text: save it as CSV UTF-8"),
    ];
    if let Some((_, what)) = SIGNATURES.iter().find(|(s, _)| bytes.starts_with(s)) {
        return Some(what);
    }
    let head = &bytes[..bytes.len().min(8192)];
    let control = head
        .iter()
        .filter(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | b'\x0C'))
        .count();
    (control > 0 && control * 100 >= head.len().max(1) || head.contains(&0))
        .then_some("it holds binary data, not text")
}

fn blank<S: AsRef<str>>(cells: &[S]) -> bool {
    cells.iter().all(|c| c.as_ref().trim().is_empty())
}

/// Collects rows under the limits: the first non-blank row is the header; blank rows are
/// skipped; cells right of the header that are empty are not kept.
struct Builder {
    sheet: Sheet,
    have_header: bool,
    /// Columns headed `Number`: a numeric XLSX cell there is a phone number typed without
    /// its '+'.
    number_columns: Vec<usize>,
    cells: usize,
    text: usize,
}

impl Builder {
    fn new() -> Self {
        // An empty file's problems are reported on row 1, where its header should be.
        let sheet = Sheet {
            header_row: 1,
            ..Sheet::default()
        };
        Builder {
            sheet,
            have_header: false,
            number_columns: Vec::new(),
            cells: 0,
            text: 0,
        }
    }

    /// Whether column `i` of a data row is a Number column.
    fn is_number_column(&self, i: usize) -> bool {
        self.number_columns.contains(&i)
    }

    /// Check a cell's length as soon as it is known (readers call this while reading).
    fn check_cell(row: usize, column: usize, len: usize) -> Result<(), Error> {
        if len > MAX_CELL_BYTES {
            return Err(cell_too_long(row, column, len));
        }
        Ok(())
    }

    fn push(&mut self, number: usize, mut cells: Vec<String>) -> Result<(), Error> {
        let keep = if self.have_header {
            self.sheet.header.len().max(1)
        } else {
            MAX_COLUMNS
        };
        while cells.len() > keep && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.len() > MAX_COLUMNS {
            return Err(too_many_columns(number, &column_name(cells.len() - 1)));
        }
        for (i, c) in cells.iter().enumerate() {
            Self::check_cell(number, i, c.len())?;
            // The sniffed head may not reach it; a stored plan keeps the cells, and
            // PostgreSQL's text cannot hold a NUL.
            if c.contains('\0') {
                return Err(nul_in_cell(number, i));
            }
        }
        if blank(&cells) {
            return Ok(());
        }
        self.cells += cells.iter().filter(|c| !c.is_empty()).count();
        self.text += cells.iter().map(String::len).sum::<usize>();
        if self.cells > MAX_CELLS || self.text > MAX_TEXT_BYTES {
            return Err(too_many_cells(number));
        }
        if !self.have_header {
            self.have_header = true;
            self.sheet.header_row = number;
            self.number_columns = cells
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim().eq_ignore_ascii_case(COL_NUMBER))
                .map(|(i, _)| i)
                .collect();
            self.sheet.header = cells;
            return Ok(());
        }
        if self.sheet.rows.len() == MAX_ROWS {
            return Err(too_many_rows());
        }
        self.sheet.rows.push(SheetRow { number, cells });
        Ok(())
    }
}

/// A numeric cell in a Number column: Excel drops the '+' of a number typed as
/// +6561230001, so digits that make a valid E.164 number with it get it back. Anything
/// else stays as typed, for the planner to judge.
fn phone_number(shown: String) -> String {
    let plus = format!("+{shown}");
    if shown.bytes().all(|b| b.is_ascii_digit()) && plus.parse::<E164>().is_ok() {
        plus
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_files_are_told_apart_from_text() {
        assert_eq!(not_text(b"\x89PNG\r\n\x1a\n"), Some("it is a PNG image"));
        assert!(not_text(b"Ext key,User\n1001,a\x00b\n").is_some());
        assert!(not_text(b"\x01\x02\x03\x04abc").is_some());
        assert_eq!(not_text(b"Ext key,User\n1001,J\xF6rg\n"), None);
        assert_eq!(not_text(b"Ext key\tUser\r\n\x0C"), None);
        assert_eq!(not_text(b""), None);
    }

    #[test]
    fn numeric_phone_numbers_get_their_plus_back() {
        assert_eq!(phone_number("6561230001".into()), "+6561230001");
        assert_eq!(phone_number("1001".into()), "1001");
        assert_eq!(phone_number("1.5".into()), "1.5");
    }
}

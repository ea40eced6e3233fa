//! Every limit an uploaded bulk file is read under, in one place, and the errors that name
//! them. They are checked before and while reading, so memory follows the cells actually
//! present and time follows the bytes actually read, never a declared dimension, a cell
//! reference or a zip entry's promise. docs/bulk.md lists them for users.

use seatline_domain::{Error, ErrorCode};

pub use seatline_domain::bulk::MAX_ROWS;

/// Columns a row may span (A to BL): Ext key, Number, User and add-on columns with room to
/// spare; a cell further right (such as one at XFD) is refused, never allocated up to.
pub const MAX_COLUMNS: usize = 64;
/// Bytes in one cell: keys, E.164 numbers, emails (254 at most) and codes all fit.
pub const MAX_CELL_BYTES: usize = 256;
/// Non-empty cells in a file: ten per row at full scale (a full-scale row uses four to
/// eight). Bounds the memory of the sheet and of the plan's per-cell errors.
pub const MAX_CELLS: usize = 1_000_000;
/// Bytes of text in all cells together: an XLSX file cannot repeat one shared string into
/// more text than a CSV upload could carry.
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// Bytes in one CSV record (its cells without quotes and separators), and fields in it: a
/// record is refused when it grows past this, before more of it is kept.
pub const MAX_RECORD_BYTES: usize = 32 * 1024;
/// Bytes the XLSX parts read (workbook, relationships, shared strings, first sheet) may
/// unpack to, together. A full-scale sheet is about 40 MiB of XML.
pub const MAX_UNPACKED_BYTES: u64 = 128 * 1024 * 1024;
/// How many times its packed size a part may unpack to, once past [`RATIO_FLOOR`]: real
/// sheets compress 5 to 30 times; a zip bomb, a thousand.
pub const MAX_RATIO: u64 = 100;
/// Parts smaller than this are not held to [`MAX_RATIO`] (a tiny part of repeated bytes
/// compresses well and costs nothing).
pub const RATIO_FLOOR: u64 = 1024 * 1024;
/// Entries in the zip's directory: a workbook has a few dozen parts.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Shared strings kept from the workbook, and their bytes (long strings are counted, not
/// kept: they are refused only if the first sheet uses them).
pub const MAX_SHARED_STRINGS: usize = 1_000_000;
pub const MAX_SHARED_BYTES: usize = 16 * 1024 * 1024;
/// Bytes the XML reader may hold for one tag or text run, and how deep elements may nest.
pub const MAX_XML_EVENT: usize = 256 * 1024;
pub const MAX_XML_DEPTH: usize = 64;
/// The last row a worksheet can have (Excel's 1,048,576).
pub const MAX_SHEET_ROW: usize = 1_048_576;

/// A column's letters as the spreadsheet shows them (0 = A, 26 = AA).
pub fn column_name(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

pub fn unreadable(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::FileUnreadable,
        format!("the file cannot be read ({why}); upload a CSV saved as UTF-8, or an .xlsx workbook, starting from the sample file"),
    )
}

pub fn too_many_rows() -> Error {
    Error::new(
        ErrorCode::TooManyRows,
        format!("the file has more than {MAX_ROWS} data rows; split it into files of at most {MAX_ROWS} rows"),
    )
    .detail("max_rows", MAX_ROWS)
}

/// `column` is the letters of the column the row reaches (as the file names it).
pub fn too_many_columns(row: usize, column: &str) -> Error {
    Error::new(
        ErrorCode::TooManyColumns,
        format!(
            "row {row} reaches column {column}, but a bulk file has at most {MAX_COLUMNS} columns (A to {}); delete the cells right of the last add-on column",
            column_name(MAX_COLUMNS - 1)
        ),
    )
    .detail("row", row)
    .detail("column", column)
    .detail("max_columns", MAX_COLUMNS)
}

pub fn cell_too_long(row: usize, column: usize, bytes: usize) -> Error {
    let at = format!("{}{row}", column_name(column));
    Error::new(
        ErrorCode::CellTooLong,
        format!(
            "cell {at} holds {bytes} bytes or more, but a cell holds at most {MAX_CELL_BYTES} (a key, a number, an email or a code); shorten it"
        ),
    )
    .detail("row", row)
    .detail("cell", at)
    .detail("max_cell_bytes", MAX_CELL_BYTES)
}

pub fn nul_in_cell(row: usize, column: usize) -> Error {
    let at = format!("{}{row}", column_name(column));
    Error::new(
        ErrorCode::FileUnreadable,
        format!("cell {at} holds a NUL character (U+0000), which no cell may hold; remove it, or save the sheet again as CSV UTF-8 or .xlsx"),
    )
    .detail("row", row)
    .detail("cell", at)
}

pub fn record_too_long(row: usize) -> Error {
    Error::new(
        ErrorCode::RecordTooLong,
        format!(
            "row {row} is longer than {MAX_RECORD_BYTES} bytes (or {MAX_RECORD_BYTES} fields); a row holds at most {MAX_COLUMNS} cells of {MAX_CELL_BYTES} bytes: check for a missing closing quote"
        ),
    )
    .detail("row", row)
    .detail("max_record_bytes", MAX_RECORD_BYTES)
}

pub fn too_many_cells(row: usize) -> Error {
    Error::new(
        ErrorCode::TooManyCells,
        format!(
            "by row {row} the file holds more than {MAX_CELLS} non-empty cells or {} MiB of text; split it into smaller files",
            MAX_TEXT_BYTES / (1024 * 1024)
        ),
    )
    .detail("row", row)
    .detail("max_cells", MAX_CELLS)
    .detail("max_text_bytes", MAX_TEXT_BYTES)
}

/// `what` names the limit that was reached, for the message.
pub fn unpacked_too_large(part: &str, what: String) -> Error {
    Error::new(
        ErrorCode::UnpackedTooLarge,
        format!("the workbook's part {part} {what}; save the bulk data alone as a new .xlsx or as CSV UTF-8"),
    )
    .detail("part", part)
    .detail("max_unpacked_bytes", MAX_UNPACKED_BYTES)
    .detail("max_ratio", MAX_RATIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_the_spreadsheets() {
        let names: Vec<String> = [0, 25, 26, 51, 52, 63, 701, 702, 16383]
            .into_iter()
            .map(column_name)
            .collect();
        assert_eq!(
            names,
            ["A", "Z", "AA", "AZ", "BA", "BL", "ZZ", "AAA", "XFD"]
        );
    }
}

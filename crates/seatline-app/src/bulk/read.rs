//! Reading an uploaded bulk file into a [`Sheet`]: CSV (UTF-8 with or without BOM, LF or
//! CRLF, `,` or `;` picked from the header line, quoted fields) or XLSX (first sheet, cells
//! as the user sees them). Row numbers are the spreadsheet's: a record with a quoted newline
//! is still one row, and blank lines still count.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use seatline_domain::bulk::{Sheet, SheetRow, MAX_ROWS};
use seatline_domain::{Error, ErrorCode};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const ZIP: &[u8] = b"PK\x03\x04";

/// Read a CSV or XLSX file (told apart by the zip signature that starts every XLSX).
pub fn read_sheet(bytes: &[u8]) -> Result<Sheet, Error> {
    if bytes.starts_with(ZIP) {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn unreadable(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::FileUnreadable,
        format!("the file cannot be read ({why}); upload a CSV saved as UTF-8, or an .xlsx workbook, starting from the sample file"),
    )
}

fn too_many() -> Error {
    Error::new(
        ErrorCode::TooManyRows,
        format!("the file has more than {MAX_ROWS} data rows; split it into files of at most {MAX_ROWS} rows"),
    )
    .detail("max_rows", MAX_ROWS)
}

fn blank<S: AsRef<str>>(cells: &[S]) -> bool {
    cells.iter().all(|c| c.as_ref().trim().is_empty())
}

/// Collects rows: the first non-blank one is the header; blank rows are skipped.
struct Builder {
    sheet: Sheet,
    have_header: bool,
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
        }
    }
    fn push(&mut self, number: usize, cells: Vec<String>) -> Result<(), Error> {
        if blank(&cells) {
            return Ok(());
        }
        if !self.have_header {
            self.have_header = true;
            self.sheet.header_row = number;
            self.sheet.header = cells;
            return Ok(());
        }
        if self.sheet.rows.len() == MAX_ROWS {
            return Err(too_many());
        }
        self.sheet.rows.push(SheetRow { number, cells });
        Ok(())
    }
}

/// `;` when the header line has more semicolons than commas outside quotes, else `,`.
fn separator(text: &str) -> u8 {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let (mut quoted, mut commas, mut semis) = (false, 0, 0);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

fn read_csv(bytes: &[u8]) -> Result<Sheet, Error> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        unreadable(format_args!(
            "it is not UTF-8 text: byte {} is invalid",
            e.valid_up_to() + 1
        ))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(text))
        .from_reader(text.as_bytes());
    let mut out = Builder::new();
    let mut record = csv::StringRecord::new();
    // Lines taken by newlines inside quoted fields: the spreadsheet shows such a record as
    // one row, so they do not advance the row number.
    let mut inner_newlines = 0usize;
    // The line a record starts on, counted from the bytes before it: the reader's position
    // is where the previous record ended (before a CRLF's LF and any blank lines), so skip
    // line breaks from there.
    let bytes = text.as_bytes();
    let (mut line, mut counted) = (1usize, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(unreadable(e)),
        }
        let mut start = record
            .position()
            .map_or(counted, |p| p.byte() as usize)
            .max(counted);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += bytecount(&bytes[counted..start]);
        counted = start;
        let number = line - inner_newlines;
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        inner_newlines += cells.iter().map(|c| c.matches('\n').count()).sum::<usize>();
        out.push(number, cells)?;
    }
    Ok(out.sheet)
}

fn bytecount(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

/// A cell as Excel displays it: 1001.0 is "1001", a phone number stored as a float has no
/// exponent.
fn shown(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet, Error> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the workbook has no sheet"))?
        .map_err(unreadable)?;
    let mut out = Builder::new();
    let Some((top, left)) = range.start() else {
        return Ok(out.sheet);
    };
    for (i, row) in range.rows().enumerate() {
        // Keep absolute columns so that error messages name the letters the user sees.
        let mut cells = vec![String::new(); left as usize];
        cells.extend(row.iter().map(shown));
        out.push(top as usize + i + 1, cells)?;
    }
    Ok(out.sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_is_read_from_the_header_line() {
        assert_eq!(separator("Ext key;Number;User\n1,2,3"), b';');
        assert_eq!(separator("Ext key,Number,User\n1;2;3"), b',');
        assert_eq!(separator("\n\n\"a;b\",c\n"), b',');
        assert_eq!(separator(""), b',');
    }

    #[test]
    fn floats_show_as_typed() {
        assert_eq!(shown(&Data::Float(1001.0)), "1001");
        assert_eq!(shown(&Data::Float(6531234567.0)), "6531234567");
        assert_eq!(shown(&Data::Float(1.5)), "1.5");
        assert_eq!(shown(&Data::Int(42)), "42");
    }
}

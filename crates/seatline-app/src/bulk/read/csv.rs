//! CSV files, read with the csv crate's own parser (`csv-core`) into fixed buffers: a
//! record longer than [`MAX_RECORD_BYTES`] or with more fields than that stops the reading
//! the moment it outgrows them, so no line, however long, is ever held whole.

use csv_core::{ReadRecordResult, ReaderBuilder};
use seatline_domain::bulk::Sheet;
use seatline_domain::Error;

use super::limits::*;
use super::Builder;

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(super) fn read(bytes: &[u8]) -> Result<Sheet, Error> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let row = 1 + newlines(&bytes[..at]);
        unreadable(format_args!(
            "it is not UTF-8 text: row {row} has a byte that is not UTF-8 (byte {}), as when a file is saved as Latin-1 or Windows-1252; save it as \"CSV UTF-8\"",
            at + 1
        ))
    })?;
    let mut reader = ReaderBuilder::new().delimiter(separator(text)).build();
    let mut out = vec![0u8; MAX_RECORD_BYTES];
    let mut ends = vec![0usize; MAX_RECORD_BYTES];
    let mut sheet = Builder::new();
    // Lines taken by newlines inside quoted fields: the spreadsheet shows such a record as
    // one row, so they do not advance the row number.
    let mut inner_newlines = 0usize;
    // The line a record starts on, counted from the bytes before it: the parser stops where
    // the previous record ended (before a CRLF's LF and any blank lines), so skip line
    // breaks from there.
    let (mut line, mut counted) = (1usize, 0usize);
    let mut pos = 0usize;
    loop {
        let mut start = pos.max(counted);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += newlines(&bytes[counted..start.min(bytes.len())]);
        counted = start.min(bytes.len());
        let number = line - inner_newlines;
        let (mut written, mut fields) = (0usize, 0usize);
        let done = loop {
            let (result, read, w, f) =
                reader.read_record(&bytes[pos..], &mut out[written..], &mut ends[fields..]);
            pos += read;
            written += w;
            fields += f;
            match result {
                // All the input was given at once: an empty input tells the parser it ended.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    return Err(record_too_long(number));
                }
                ReadRecordResult::Record => break false,
                ReadRecordResult::End => break true,
            }
        };
        if done {
            break;
        }
        // Empty cells allocate nothing; the builder drops trailing ones and counts the rest.
        let mut cells = Vec::with_capacity(fields);
        let mut from = 0;
        for (i, &end) in ends[..fields].iter().enumerate() {
            let cell = std::str::from_utf8(&out[from..end])
                .map_err(|_| unreadable(format_args!("row {number} is not UTF-8 text")))?;
            Builder::check_cell(number, i, cell.len())?;
            inner_newlines += cell.bytes().filter(|b| *b == b'\n').count();
            cells.push(cell.to_owned());
            from = end;
        }
        sheet.push(number, cells)?;
    }
    Ok(sheet.sheet)
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

/// `;` when the header line has more semicolons than commas outside quotes, else `,`.
fn separator(text: &str) -> u8 {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let (mut quoted, mut commas, mut semis) = (false, 0, 0);
    for c in line.chars().take(MAX_RECORD_BYTES) {
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
}

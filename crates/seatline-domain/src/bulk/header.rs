//! A bulk file's header: the role of each column, as people type the names.

use super::{COL_ADDON, COL_KEY, COL_NUMBER, COL_USER};
use crate::error::ErrorCode;
use crate::plans::Problems;
use crate::spelling;

/// The role of one column, from its header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Col {
    Key,
    Number,
    User,
    Addon,
    /// An empty header cell: fine while the column holds no values.
    Blank,
    Unknown,
}

/// Spreadsheet column letters: 0 → A, 26 → AA.
pub(super) fn letters(mut i: usize) -> String {
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
pub(super) fn header(row: usize, header: &[String], errs: &mut Problems) -> Vec<Col> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
        assert_eq!(letters(701), "ZZ");
        assert_eq!(letters(702), "AAA");
    }
}

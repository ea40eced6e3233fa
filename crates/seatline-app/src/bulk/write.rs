//! Writing bulk files: the sample and the export (CSV or XLSX), in the format
//! [`super::read`] reads.

use seatline_domain::bulk::{COL_ADDON, COL_KEY, COL_NUMBER, COL_USER};

/// A cell safe to open in a spreadsheet: a value that would start a formula (`=`, `+`, `-`,
/// `@`) gets a leading apostrophe. A number in E.164 form in the Number column is left as
/// it is: it is data, and the reader expects the `+`.
pub fn safe(value: &str, is_number: bool) -> String {
    let risky = value.starts_with(['=', '+', '-', '@']);
    let e164 = is_number && value.parse::<seatline_domain::E164>().is_ok();
    if risky && !e164 {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// One extension as a bulk row.
pub struct Line {
    pub key: String,
    pub numbers: Vec<String>,
    pub user: String,
    pub addons: Vec<String>,
}

/// A cell as stored (not yet made safe), and whether it sits in a Number column.
type Cell<'a> = (&'a str, bool);

/// The header and the rows of a bulk file, with as many Number and Addon license columns as
/// the widest line needs (at least one Number and `min_addons` Addon license columns).
fn grid(lines: &[Line], min_addons: usize) -> (Vec<&'static str>, Vec<Vec<Cell<'_>>>) {
    let numbers = lines
        .iter()
        .map(|l| l.numbers.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let addons = lines
        .iter()
        .map(|l| l.addons.len())
        .max()
        .unwrap_or(0)
        .max(min_addons);
    let mut header = vec![COL_KEY, COL_NUMBER, COL_USER];
    header.extend(std::iter::repeat_n(COL_ADDON, addons));
    // Extra numbers go after the add-ons so that the first columns match the sample.
    header.extend(std::iter::repeat_n(COL_NUMBER, numbers - 1));
    let rows = lines
        .iter()
        .map(|l| {
            let number = |i: usize| (l.numbers.get(i).map_or("", String::as_str), true);
            let mut row = vec![(l.key.as_str(), false), number(0), (l.user.as_str(), false)];
            row.extend((0..addons).map(|i| (l.addons.get(i).map_or("", String::as_str), false)));
            row.extend((1..numbers).map(number));
            row
        })
        .collect();
    (header, rows)
}

/// A CSV file (CRLF lines), formula cells neutralised by [`safe`].
pub fn csv(lines: &[Line], min_addons: usize) -> String {
    let (header, rows) = grid(lines, min_addons);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(64 * (lines.len() + 1)));
    w.write_record(&header).expect("writing to memory");
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for row in rows {
        record.clear();
        record.extend(row.into_iter().map(|(v, number)| safe(v, number)));
        w.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("cells are UTF-8")
}

/// An XLSX workbook of one sheet with the same columns as [`csv`]. Every cell is a text
/// cell in a text-formatted column, so Excel keeps `+6561230001` and `1001` as typed
/// instead of turning them into numbers; a value a spreadsheet would run as a formula gets
/// Excel's own quote prefix (the value is unchanged, and editing the cell keeps it text).
pub fn xlsx(lines: &[Line], min_addons: usize) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let (header, rows) = grid(lines, min_addons);
    let text = Format::new().set_num_format("@");
    let quoted = Format::new().set_num_format("@").set_quote_prefix();
    let bold = Format::new().set_num_format("@").set_bold();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Extensions")?;
    for (c, name) in header.iter().enumerate() {
        let c = u16::try_from(c).expect("a bulk file has few columns");
        sheet.set_column_format(c, &text)?;
        sheet.set_column_width(c, if *name == COL_USER { 28 } else { 16 })?;
        sheet.write_string_with_format(0, c, *name, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).expect("at most 100,000 rows");
        for (c, (value, _)) in row.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let c = u16::try_from(c).expect("a bulk file has few columns");
            let format = if value.starts_with(['=', '+', '-', '@']) {
                &quoted
            } else {
                &text
            };
            sheet.write_string_with_format(r, c, *value, format)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_except_e164_numbers() {
        assert_eq!(safe("=1+2", false), "'=1+2");
        assert_eq!(safe("@SUM(A1)", false), "'@SUM(A1)");
        assert_eq!(safe("-1", false), "'-1");
        assert_eq!(safe("+6531234567", false), "'+6531234567");
        assert_eq!(safe("+6531234567", true), "+6531234567");
        assert_eq!(safe("+=cmd", true), "'+=cmd");
        assert_eq!(safe("ann@example.com", false), "ann@example.com");
    }

    #[test]
    fn columns_grow_to_the_widest_line() {
        let lines = [
            Line {
                key: "1001".into(),
                numbers: vec!["+6531234567".into(), "+6531234568".into()],
                user: "a@example.com".into(),
                addons: vec!["license_number".into(); 2],
            },
            Line {
                key: "1002".into(),
                numbers: vec![],
                user: String::new(),
                addons: vec![],
            },
        ];
        assert_eq!(
            csv(&lines, 2),
            "Ext key,Number,User,Addon license,Addon license,Number\r\n\
             1001,+6531234567,a@example.com,license_number,license_number,+6531234568\r\n\
             1002,,,,,\r\n"
        );
    }
}

//! Reading CSV and XLSX files: what the user sees in the spreadsheet is what gets planned,
//! and errors name the row the spreadsheet shows.

use proptest::prelude::*;
use rust_xlsxwriter::Workbook;
use seatline_app::bulk::read_sheet;
use seatline_domain::bulk::{plan, OrgState, Sheet, MAX_ROWS};
use seatline_domain::{ErrorCode, Seats};

/// Rows as (spreadsheet row, cells).
type Rows<'a> = Vec<(usize, Vec<&'a str>)>;

fn rows(s: &Sheet) -> Rows<'_> {
    s.rows
        .iter()
        .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
        .collect()
}

fn empty_org() -> OrgState<'static> {
    OrgState::new(&[], &[], &[], Seats::default())
}

#[test]
fn csv_quirks() {
    let h = vec!["Ext key", "Number", "User", "Addon license"];
    let cases: &[(&str, &[u8], Vec<&str>, Rows)] = &[
        (
            "plain",
            b"Ext key,Number,User,Addon license\n1001,,a@x.io,team_chat\n",
            h.clone(),
            vec![(2, vec!["1001", "", "a@x.io", "team_chat"])],
        ),
        (
            "BOM",
            b"\xEF\xBB\xBFExt key,Number,User,Addon license\n1001,,,\n",
            h.clone(),
            vec![(2, vec!["1001", "", "", ""])],
        ),
        (
            "semicolons",
            b"Ext key;Number;User;Addon license\n1001;+6531230001;a@x.io;license_number\n",
            h.clone(),
            vec![(2, vec!["1001", "+6531230001", "a@x.io", "license_number"])],
        ),
        (
            "CRLF",
            b"Ext key,Number,User,Addon license\r\n1001,,,\r\n1002,,,\r\n",
            h.clone(),
            vec![(2, vec!["1001", "", "", ""]), (3, vec!["1002", "", "", ""])],
        ),
        (
            "quoted separators and newlines keep spreadsheet row numbers",
            b"Ext key,Number,User,Addon license\n1001,,\"a,\nb\",\n1002,,\"x;y\",\n",
            h.clone(),
            vec![
                (2, vec!["1001", "", "a,\nb", ""]),
                (3, vec!["1002", "", "x;y", ""]),
            ],
        ),
        (
            "blank lines are skipped but counted",
            b"Ext key,Number,User,Addon license\n\n1001,,,\n\r\n\n1002,,,\n\n",
            h.clone(),
            vec![(3, vec!["1001", "", "", ""]), (6, vec!["1002", "", "", ""])],
        ),
        (
            "trailing empty columns",
            b"Ext key,Number,User,Addon license,,\n1001,,,,,\n1002,,,\n",
            vec!["Ext key", "Number", "User", "Addon license", "", ""],
            vec![
                (2, vec!["1001", "", "", "", "", ""]),
                (3, vec!["1002", "", "", ""]),
            ],
        ),
        (
            "mixed-case headers kept as written",
            b"EXT KEY,number,uSeR,Addon License\n1001,,,\n",
            vec!["EXT KEY", "number", "uSeR", "Addon License"],
            vec![(2, vec!["1001", "", "", ""])],
        ),
        (
            "no final newline",
            b"Ext key\n1001",
            vec!["Ext key"],
            vec![(2, vec!["1001"])],
        ),
    ];
    for (name, bytes, header, want) in cases {
        let s = read_sheet(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&s.header, header, "{name}");
        assert_eq!(&rows(&s), want, "{name}");
    }
}

#[test]
fn csv_errors_name_spreadsheet_rows() {
    let bytes = b"Ext key,Number,User,Addon license\n1001,,\"two\nlines\",\n\nbad,,,\n";
    let p = plan(&read_sheet(bytes).unwrap(), &empty_org());
    let bad = p
        .errors
        .iter()
        .find(|e| e.code == ErrorCode::InvalidExtKey)
        .unwrap();
    assert_eq!(bad.row, Some(4), "{p:#?}");
}

#[test]
fn not_utf8_is_unreadable() {
    let e = read_sheet(b"Ext key,User\n1001,J\xF6rg\n").unwrap_err();
    assert_eq!(e.code, ErrorCode::FileUnreadable);
    assert!(e.message.contains("UTF-8"), "{}", e.message);
    let e = read_sheet(b"PK\x03\x04not really a zip").unwrap_err();
    assert_eq!(e.code, ErrorCode::FileUnreadable);
}

#[test]
fn more_than_max_rows_is_refused() {
    let mut text = String::from("Ext key\n");
    for i in 0..MAX_ROWS {
        text.push_str(&format!("{}\n", 100 + i % 99_000));
    }
    assert_eq!(read_sheet(text.as_bytes()).unwrap().rows.len(), MAX_ROWS);
    text.push_str("1001\n");
    let e = read_sheet(text.as_bytes()).unwrap_err();
    assert_eq!(e.code, ErrorCode::TooManyRows);
    assert_eq!(e.code.kind(), seatline_domain::ErrorKind::TooLarge);
}

#[test]
fn xlsx_cells_read_as_shown() {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["Ext key", "Number", "User", "Addon license"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 1001.0).unwrap();
    ws.write_string(1, 1, "+6531230001").unwrap();
    ws.write_string(1, 2, "a@x.io").unwrap();
    ws.write_string(1, 3, "license_number").unwrap();
    // Row 3 left blank; row 4 has a phone number typed as a number: Excel drops its '+'.
    ws.write_number(3, 0, 1002.0).unwrap();
    ws.write_number(3, 1, 6531230002.0).unwrap();
    // Row 5: too few digits for E.164 even with a '+': left as typed for the planner.
    ws.write_number(4, 0, 1003.0).unwrap();
    ws.write_number(4, 1, 1234.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let s = read_sheet(&bytes).unwrap();
    assert_eq!(s.header, ["Ext key", "Number", "User", "Addon license"]);
    assert_eq!(
        rows(&s),
        [
            (2, vec!["1001", "+6531230001", "a@x.io", "license_number"]),
            (4, vec!["1002", "+6531230002"]),
            (5, vec!["1003", "1234"]),
        ]
    );
    let p = plan(&s, &empty_org());
    let number = |row| {
        p.errors
            .iter()
            .find(|e| e.column == "Number" && e.row == Some(row))
            .map(|e| (e.code, e.value.as_str()))
    };
    assert_eq!(
        number(4),
        Some((ErrorCode::NumberUnavailable, "+6531230002")),
        "a valid number, only missing from the empty inventory"
    );
    assert_eq!(number(5), Some((ErrorCode::InvalidNumber, "1234")));
}

#[test]
fn xlsx_offset_sheet_keeps_row_and_column_numbers() {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(2, 1, "Ext key").unwrap();
    ws.write_string(2, 2, "User").unwrap();
    ws.write_number(3, 1, 1001.0).unwrap();
    ws.write_string(3, 3, "stray").unwrap();
    let s = read_sheet(&book.save_to_buffer().unwrap()).unwrap();
    assert_eq!(s.header_row, 3);
    let p = plan(&s, &empty_org());
    let stray = p.errors.iter().find(|e| e.value == "stray").unwrap();
    assert_eq!((stray.row, stray.column.as_str()), (Some(4), "D"));
}

proptest! {
    #[test]
    fn arbitrary_bytes_give_a_plan_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        match read_sheet(&bytes) {
            Ok(s) => {
                let p = plan(&s, &empty_org());
                prop_assert_eq!(p.can_apply, p.errors.is_empty());
            }
            Err(e) => prop_assert!(matches!(e.code.kind(), seatline_domain::ErrorKind::Invalid | seatline_domain::ErrorKind::TooLarge)),
        }
    }

    #[test]
    fn near_valid_csv_gives_a_plan(
        lines in prop::collection::vec(
            prop::collection::vec(
                prop::sample::select(vec![
                    "1001", "1001", "99", "+6531230001", "a@x.io", "license_number", "\"q,\n\"",
                    "", " ", "\"", ";", "'=1", "Ext key", "User", "device_ip_phone",
                ]),
                0..6,
            ),
            0..12,
        ),
        sep in prop::sample::select(vec![",", ";"]),
        eol in prop::sample::select(vec!["\n", "\r\n"]),
    ) {
        let mut text = format!("Ext key{sep}Number{sep}User{sep}Addon license{eol}");
        for l in &lines {
            text.push_str(&l.join(sep));
            text.push_str(eol);
        }
        let s = read_sheet(text.as_bytes()).expect("UTF-8 text always reads");
        let p = plan(&s, &empty_org());
        prop_assert_eq!(p.can_apply, p.errors.is_empty());
        for e in &p.errors {
            if let Some(r) = e.row {
                prop_assert!(r >= 1 && r <= text.lines().count() + 1);
            }
        }
    }
}

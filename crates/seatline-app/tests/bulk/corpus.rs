//! The hostile upload corpus: every class of file that once hurt the server (huge cell
//! references, zip bombs, shared-string tricks, endless lines, binary files), each with the
//! answer it must get. Generated here, with no file kept aside; the bulk tests read it
//! directly, the HTTP tests upload it in-process, and `examples/hostile_corpus.rs` writes it
//! to a folder for `scripts/hostile-uploads` to upload to a release server.
//!
//! Hostile workbooks are zipped by hand ([`zip`]) so that a test controls what the zip
//! directory declares; valid ones come from `rust_xlsxwriter`.

use std::io::Write;

/// What a file must get: a plan (valid or not), or a refusal with one of these codes.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    Plan,
    Refused(&'static [&'static str]),
}

pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

const UNREADABLE: Expect = Expect::Refused(&["file_unreadable"]);

/// One zip entry: its bytes as stored (deflated or not) and what the directory declares.
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    pub deflated: bool,
    pub crc: u32,
    pub declared: u32,
}

impl Entry {
    pub fn deflated(name: &str, content: &[u8]) -> Entry {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(content).expect("in memory");
        Entry {
            name: name.to_owned(),
            data: e.finish().expect("in memory"),
            deflated: true,
            crc: crc32fast::hash(content),
            declared: content.len() as u32,
        }
    }
}

/// A zip archive of `entries`, written as their fields say (sizes and CRCs included).
pub fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let method: u16 = if e.deflated { 8 } else { 0 };
        let fields = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend(0u16.to_le_bytes()); // flags
            v.extend(method.to_le_bytes());
            v.extend(0u16.to_le_bytes()); // time
            v.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
            v.extend(e.crc.to_le_bytes());
            v.extend((e.data.len() as u32).to_le_bytes());
            v.extend(e.declared.to_le_bytes());
            v.extend((e.name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra field length
        };
        out.extend(b"PK\x03\x04");
        fields(&mut out);
        out.extend(e.name.as_bytes());
        out.extend(&e.data);
        directory.extend(b"PK\x01\x02");
        directory.extend(20u16.to_le_bytes()); // made by
        fields(&mut directory);
        directory.extend([0u8; 10]); // comment length, disk, attributes
        directory.extend(offset.to_le_bytes());
        directory.extend(e.name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend(&directory);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((directory.len() as u32).to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

/// The parts every workbook needs, pointing at the sheet and, when `shared`, at
/// `xl/sharedStrings.xml`.
pub fn skeleton(shared: bool) -> Vec<Entry> {
    let sst = if shared {
        r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#
    } else {
        ""
    };
    let wb_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{sst}</Relationships>"#
    );
    vec![
        Entry::deflated("_rels/.rels", RELS.as_bytes()),
        Entry::deflated("xl/workbook.xml", WORKBOOK.as_bytes()),
        Entry::deflated("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
    ]
}

/// A worksheet part around `rows` (the `<row>` elements).
pub fn sheet_xml(rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    )
}

/// A workbook whose first sheet is `sheet` (a whole worksheet part) and whose shared
/// strings part, if any, is `shared`.
pub fn workbook(sheet: &str, shared: Option<&str>) -> Vec<u8> {
    let mut entries = skeleton(shared.is_some());
    entries.push(Entry::deflated(
        "xl/worksheets/sheet1.xml",
        sheet.as_bytes(),
    ));
    if let Some(s) = shared {
        entries.push(Entry::deflated("xl/sharedStrings.xml", s.as_bytes()));
    }
    zip(&entries)
}

fn shared_xml(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>"#
    )
}

const HEADER_ROW: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Ext key</t></is></c><c r="B1" t="inlineStr"><is><t>Number</t></is></c></row>"#;

/// A deflate stream of `prefix` then `mib` MiB of `a`, about a thousand times smaller than
/// what it unpacks to: one compressed MiB repeated, each copy's back-references landing on
/// the copy before.
fn bomb_stream(prefix: &[u8], mib: usize) -> (Vec<u8>, u64) {
    let chunk = vec![b'a'; 1024 * 1024];
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(prefix).expect("in memory");
    e.write_all(&chunk).expect("in memory");
    e.flush().expect("in memory");
    let first = e.get_ref().len();
    e.write_all(&chunk).expect("in memory");
    e.flush().expect("in memory");
    let stream = e.get_ref().clone();
    let repeat = &stream[first..];
    let mut out = stream[..first].to_vec();
    for _ in 1..mib {
        out.extend_from_slice(repeat);
    }
    // A final, empty block of fixed codes ends the stream.
    out.extend([0x03, 0x00]);
    (out, prefix.len() as u64 + mib as u64 * 1024 * 1024)
}

/// A workbook whose sheet is a zip bomb unpacking to `mib` MiB, declaring `declared` bytes
/// (its true size when `None`).
fn bomb(mib: usize, declared: Option<u32>) -> Vec<u8> {
    let prefix = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#;
    let (data, size) = bomb_stream(prefix.as_bytes(), mib);
    let mut entries = skeleton(false);
    entries.push(Entry {
        name: "xl/worksheets/sheet1.xml".into(),
        data,
        deflated: true,
        crc: 0,
        declared: declared.unwrap_or(u32::try_from(size).unwrap_or(u32::MAX)),
    });
    zip(&entries)
}

/// The sample file a new admin starts from, as CSV.
pub const SAMPLE_CSV: &str = "Ext key,Number,User,Addon license,Addon license\r\n\
1001,+6531230001,m1@example.com,license_number,device_ip_phone\r\n\
1002,,m2@example.com,device_mobile_app,\r\n";

/// The same rows as an XLSX workbook written by a spreadsheet library.
pub fn sample_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, line) in SAMPLE_CSV.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if !cell.starts_with('+') => ws.write_number(r as u32, c as u16, n),
                _ => ws.write_string(r as u32, c as u16, cell),
            }
            .expect("a small sheet");
        }
    }
    book.save_to_buffer().expect("a small workbook")
}

/// Every hostile file, and the two sample files as the baseline.
pub fn corpus() -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "sample.csv",
            bytes: SAMPLE_CSV.as_bytes().to_vec(),
            expect: Expect::Plan,
        },
        Case {
            name: "sample.xlsx",
            bytes: sample_xlsx(),
            expect: Expect::Plan,
        },
    ];
    let mut add = |name: &'static str, bytes: Vec<u8>, expect: Expect| {
        cases.push(Case {
            name,
            bytes,
            expect,
        })
    };
    let too_many_columns = Expect::Refused(&["too_many_columns"]);

    // Cell references that once made the reader allocate the grid they span.
    add(
        "cells-a1-and-xfd1048576.xlsx",
        workbook(
            &sheet_xml(&format!(
                r#"{HEADER_ROW}<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#
            )),
            None,
        ),
        too_many_columns,
    );
    add(
        "column-zzzzzzz.xlsx",
        workbook(
            &sheet_xml(r#"<row r="1"><c r="ZZZZZZZ1"><v>1</v></c></row>"#),
            None,
        ),
        too_many_columns,
    );
    add(
        "column-zzzzzz.xlsx",
        workbook(
            &sheet_xml(r#"<row r="1"><c r="ZZZZZZ1"><v>1</v></c></row>"#),
            None,
        ),
        too_many_columns,
    );
    add(
        "declared-dimension-xfd1048576.xlsx",
        workbook(
            &format!(
                r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData>{HEADER_ROW}<row r="1048576"><c r="A1048576"><v>1001</v></c></row></sheetData></worksheet>"#
            ),
            None,
        ),
        Expect::Plan,
    );
    // Shared-string tricks that once panicked inside the reader.
    add(
        "shared-string-out-of-range.xlsx",
        workbook(
            &sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>7</v></c></row>"#),
            Some(&shared_xml("<si><t>Ext key</t></si>")),
        ),
        UNREADABLE,
    );
    add(
        "shared-string-without-part.xlsx",
        workbook(
            &sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#),
            None,
        ),
        UNREADABLE,
    );
    add(
        "shared-string-index-not-a-number.xlsx",
        workbook(
            &sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>-1e999</v></c></row>"#),
            Some(&shared_xml("<si><t>Ext key</t></si>")),
        ),
        UNREADABLE,
    );
    // One shared string of 250 bytes used by 300,000 cells: 75 MB of text from 10 MB.
    let long = "x".repeat(250);
    let mut rows = String::new();
    for r in 1..=100_000 {
        rows.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}" t="s"><v>0</v></c><c r="C{r}" t="s"><v>0</v></c></row>"#
        ));
    }
    add(
        "shared-string-amplified.xlsx",
        workbook(
            &sheet_xml(&rows),
            Some(&shared_xml(&format!("<si><t>{long}</t></si>"))),
        ),
        Expect::Refused(&["too_many_cells"]),
    );
    let mut items = String::new();
    for i in 0..1_000_001 {
        items.push_str(&format!("<si><t>{i}</t></si>"));
    }
    add(
        "shared-strings-million.xlsx",
        workbook(&sheet_xml(HEADER_ROW), Some(&shared_xml(&items))),
        Expect::Refused(&["unpacked_too_large"]),
    );
    // Zip bombs: honest about their size, lying about it, and past the ratio.
    add(
        "zip-bomb-1gib.xlsx",
        bomb(1024, None),
        Expect::Refused(&["unpacked_too_large"]),
    );
    add(
        "zip-bomb-lying-size.xlsx",
        bomb(1024, Some(10_000)),
        UNREADABLE,
    );
    add(
        "zip-bomb-ratio.xlsx",
        bomb(100, None),
        Expect::Refused(&["unpacked_too_large"]),
    );
    // Cells and tags too long, XML too deep or malformed.
    add(
        "cell-300-bytes.xlsx",
        workbook(
            &sheet_xml(&format!(
                r#"{HEADER_ROW}<row r="2"><c r="A2" t="inlineStr"><is><t>{}</t></is></c></row>"#,
                "y".repeat(300)
            )),
            None,
        ),
        Expect::Refused(&["cell_too_long"]),
    );
    add(
        "attribute-1mb.xlsx",
        workbook(
            &sheet_xml(&format!(r#"<row r="1" x="{}"/>"#, "z".repeat(1_000_000))),
            None,
        ),
        UNREADABLE,
    );
    add(
        "deep-xml.xlsx",
        workbook(&sheet_xml(&"<a>".repeat(100_000)), None),
        UNREADABLE,
    );
    add(
        "entity-expansion.xlsx",
        workbook(
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"#,
            None,
        ),
        UNREADABLE,
    );
    add(
        "mismatched-tags.xlsx",
        workbook("<worksheet><sheetData><row></sheetData></row>", None),
        UNREADABLE,
    );
    add(
        "not-xml.xlsx",
        workbook("\u{0}\u{1}garbage<<<>>>", None),
        UNREADABLE,
    );
    let mut columns = String::from(r#"<row r="1">"#);
    for c in 0..100u16 {
        let mut name = String::new();
        let (a, b) = (c / 26, c % 26);
        if a > 0 {
            name.push((b'A' + a as u8 - 1) as char);
        }
        name.push((b'A' + b as u8) as char);
        columns.push_str(&format!(
            r#"<c r="{name}1" t="inlineStr"><is><t>Addon license</t></is></c>"#
        ));
    }
    columns.push_str("</row>");
    add(
        "many-columns.xlsx",
        workbook(&sheet_xml(&columns), None),
        too_many_columns,
    );
    let sample = sample_xlsx();
    add(
        "truncated.xlsx",
        sample[..sample.len() / 2].to_vec(),
        UNREADABLE,
    );
    add(
        "zip-without-workbook.zip",
        zip(&[Entry::deflated("readme.txt", b"hello")]),
        UNREADABLE,
    );

    // CSV: endless lines and cells, too many columns, rows or cells.
    add(
        "single-line-2mb.csv",
        "a,".repeat(1024 * 1024).into_bytes(),
        Expect::Refused(&["record_too_long"]),
    );
    let mut cell = String::from("Ext key,User\n1001,\"");
    cell.push_str(&"c".repeat(60 * 1024 * 1024));
    cell.push_str("\"\n");
    add(
        "cell-60mib.csv",
        cell.into_bytes(),
        Expect::Refused(&["record_too_long"]),
    );
    add(
        "cell-300-bytes.csv",
        format!("Ext key,User\n1001,{}\n", "u".repeat(300)).into_bytes(),
        Expect::Refused(&["cell_too_long"]),
    );
    add(
        "unclosed-quote.csv",
        format!("Ext key,User\n1001,\"{}", "q,\n".repeat(100_000)).into_bytes(),
        Expect::Refused(&["record_too_long"]),
    );
    add(
        "many-columns.csv",
        format!("Ext key{}\n1001\n", ",Addon license".repeat(100)).into_bytes(),
        too_many_columns,
    );
    let mut rows = String::from("Ext key\n");
    for i in 0..100_001 {
        rows.push_str(&format!("{}\n", 1000 + i % 90_000));
    }
    add(
        "rows-100001.csv",
        rows.into_bytes(),
        Expect::Refused(&["too_many_rows"]),
    );
    let mut cells = String::from("Ext key,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license\n");
    for i in 0..100_000 {
        cells.push_str(&format!("{},a,a,a,a,a,a,a,a,a,a\n", 1000 + i % 90_000));
    }
    add(
        "cells-1100000.csv",
        cells.into_bytes(),
        Expect::Refused(&["too_many_cells"]),
    );
    // Close to the most planner errors the limits allow: eight bad codes on each of
    // 100,000 rows.
    let mut errors = String::from("Ext key,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license\n");
    for i in 0..100_000 {
        errors.push_str(&format!("{},b,b,b,b,b,b,b,b\n", 1000 + i % 90_000));
    }
    add("errors-800000.csv", errors.into_bytes(), Expect::Plan);
    add(
        "trailing-separators.csv",
        format!(
            "Ext key,User{}\r\n1001,{}\r\n",
            ",".repeat(200),
            ",".repeat(200)
        )
        .into_bytes(),
        Expect::Plan,
    );
    add(
        "latin1.csv",
        b"Ext key,User\n1001,J\xF6rg\n".to_vec(),
        UNREADABLE,
    );
    add("utf16.csv", b"\xFF\xFEE\x00x\x00t\x00".to_vec(), UNREADABLE);

    // Files that are no spreadsheet at all.
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    add("image.png", png, UNREADABLE);
    add(
        "document.pdf",
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n".to_vec(),
        UNREADABLE,
    );
    add(
        "old-excel.xls",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00".to_vec(),
        UNREADABLE,
    );
    let random: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_246_822_519).rotate_left(13) >> 7) as u8)
        .collect();
    add("random.bin", random, UNREADABLE);
    add("empty.csv", Vec::new(), Expect::Plan);
    cases
}

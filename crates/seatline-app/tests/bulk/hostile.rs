//! Files made to hurt the server, and random mutations of good ones: each gets a sheet (and
//! so a plan) or a refusal with a documented code, never a panic, never a grid allocated
//! from a cell reference. `SEATLINE_FUZZ_CASES` sets the mutation count (docs/bulk.md).

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config;
use seatline_app::bulk::limits::MAX_COLUMNS;
use seatline_app::bulk::read_sheet;
use seatline_domain::bulk::{plan, OrgState, Sheet};
use seatline_domain::{Error, ErrorKind, Seats};

use crate::corpus::{corpus, sample_xlsx, sheet_xml, workbook, Expect, SAMPLE_CSV};

fn empty_org() -> OrgState<'static> {
    OrgState::new(&[], &[], &[], Seats::default())
}

/// A refusal is a 413 or a 422 with a message that says what to do.
fn documented(e: &Error) -> bool {
    matches!(e.code.kind(), ErrorKind::Invalid | ErrorKind::TooLarge) && e.message.len() > 20
}

fn bounded(s: &Sheet) -> bool {
    s.rows.len() <= seatline_domain::bulk::MAX_ROWS
        && std::iter::once(&s.header)
            .chain(s.rows.iter().map(|r| &r.cells))
            .all(|cells| cells.len() <= MAX_COLUMNS)
}

#[test]
fn every_hostile_file_gets_its_documented_answer() {
    let mut failures = Vec::new();
    for case in corpus() {
        let started = Instant::now();
        let got = read_sheet(&case.bytes);
        let took = started.elapsed();
        let verdict = match (case.expect, &got) {
            (Expect::Plan, Ok(sheet)) => {
                let p = plan(sheet, &empty_org());
                (bounded(sheet) && p.can_apply == p.errors.is_empty()).then_some(())
            }
            (Expect::Refused(codes), Err(e)) => {
                (codes.contains(&e.code.as_str()) && documented(e)).then_some(())
            }
            _ => None,
        };
        if verdict.is_none() {
            failures.push(format!(
                "{}: wanted {:?}, got {:?}",
                case.name,
                case.expect,
                got.map(|s| format!("a sheet of {} rows", s.rows.len()))
            ));
        }
        // Generous for a debug build; the release script holds each file to 5 s.
        if took > Duration::from_secs(60) {
            failures.push(format!("{}: took {took:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_sparse_row_far_down_is_one_row() {
    let bytes = workbook(
        &sheet_xml(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Ext key</t></is></c></row><row r="1048576"><c r="A1048576"><v>1001</v></c></row>"#,
        ),
        None,
    );
    let s = read_sheet(&bytes).unwrap();
    assert_eq!(s.rows.len(), 1);
    assert_eq!(
        (s.rows[0].number, s.rows[0].cells.as_slice()),
        (1_048_576, ["1001".to_owned()].as_slice())
    );
}

#[test]
fn limit_errors_name_the_row_and_the_limit() {
    let e = read_sheet(
        &workbook(
            &sheet_xml(r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="ZZZZZZZ9"><v>1</v></c></row>"#),
            None,
        ),
    )
    .unwrap_err();
    assert!(
        e.message.contains("row 9") && e.message.contains("ZZZZZZZ") && e.message.contains("64"),
        "{}",
        e.message
    );
    let e = read_sheet(format!("Ext key,User\n1001,{}\n", "u".repeat(300)).as_bytes()).unwrap_err();
    assert!(
        e.message.contains("B2") && e.message.contains("256"),
        "{}",
        e.message
    );
    let e = read_sheet(b"\x89PNG\r\n\x1a\n").unwrap_err();
    assert!(
        e.message.contains("not a CSV or XLSX file"),
        "{}",
        e.message
    );
}

#[test]
fn shared_strings_and_rich_text_read_as_shown() {
    let shared = r#"<sst><si><t>Ext key</t></si><si><r><t>Us</t></r><r><t>er</t></r><rPh><t>ignored</t></rPh></si><si><t>a&amp;b@x.io</t></si></sst>"#;
    let bytes = workbook(
        &sheet_xml(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2"><v>1001</v></c><c r="B2" t="s"><v>2</v></c></row>"#,
        ),
        Some(shared),
    );
    let s = read_sheet(&bytes).unwrap();
    assert_eq!(s.header, ["Ext key", "User"]);
    assert_eq!(s.rows[0].cells, ["1001", "a&b@x.io"]);
}

/// Mutation cases: `SEATLINE_FUZZ_CASES`, or a few thousand.
fn cases() -> u32 {
    std::env::var("SEATLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Apply edits to `bytes`: overwrite a byte, cut, or repeat a slice.
fn mutate(mut bytes: Vec<u8>, edits: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(op, at, value) in edits {
        if bytes.is_empty() {
            bytes.push(value);
            continue;
        }
        let at = at % bytes.len();
        match op % 4 {
            0 => bytes[at] = value,
            1 => bytes.insert(at, value),
            2 => bytes.truncate(at),
            _ => {
                let end = (at + usize::from(value) + 1).min(bytes.len());
                let slice = bytes[at..end].to_vec();
                bytes.splice(at..at, slice);
            }
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..8)
}

/// A sheet whose plan is consistent, or a documented refusal.
fn judged(bytes: &[u8]) -> Result<(), TestCaseError> {
    match read_sheet(bytes) {
        Ok(s) => {
            prop_assert!(bounded(&s));
            let p = plan(&s, &empty_org());
            prop_assert_eq!(p.can_apply, p.errors.is_empty());
        }
        Err(e) => prop_assert!(documented(&e), "{e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(cases()))]

    #[test]
    fn mutated_csv_gives_a_plan_or_an_error(edits in edits()) {
        judged(&mutate(SAMPLE_CSV.as_bytes().to_vec(), &edits))?;
    }

    #[test]
    fn mutated_xlsx_bytes_give_a_plan_or_an_error(edits in edits()) {
        judged(&mutate(sample_xlsx(), &edits))?;
    }

    #[test]
    fn mutated_sheet_xml_gives_a_plan_or_an_error(edits in edits()) {
        let xml = sheet_xml(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Ext key</t></is></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1001</v></c><c r="B2" t="s"><v>1</v></c></row>"#,
        );
        let shared = r#"<sst><si><t>Number</t></si><si><t>+6531230001</t></si></sst>"#;
        let sheet = mutate(xml.into_bytes(), &edits);
        let shared_edits: Vec<_> = edits.iter().rev().map(|&(o, a, v)| (o, a.rotate_left(7), v)).collect();
        let shared = mutate(shared.as_bytes().to_vec(), &shared_edits);
        let sheet = String::from_utf8_lossy(&sheet);
        let shared = String::from_utf8_lossy(&shared);
        judged(&workbook(&sheet, Some(&shared)))?;
    }
}

#[tokio::test]
async fn uploads_past_the_readers_wait_then_are_busy() {
    use seatline_app::bulk::{UPLOAD_READERS, UPLOAD_WAIT};
    let w = crate::support::World::sqlite().await;
    let mut turns = Vec::new();
    for _ in 0..UPLOAD_READERS {
        turns.push(w.app.read_upload(SAMPLE_CSV).await.unwrap().1);
    }
    let started = Instant::now();
    let e = w.app.read_upload(SAMPLE_CSV).await.unwrap_err();
    assert!(started.elapsed() >= UPLOAD_WAIT);
    let seatline_app::AppError::Rule(e) = e else {
        panic!("not a rule error: {e}")
    };
    assert_eq!(e.code, seatline_domain::ErrorCode::Busy);
    assert_eq!(e.code.kind(), ErrorKind::Unavailable);
    assert!(e.details.contains_key("retry_after"), "{e:?}");
    // A turn given back lets the next upload in.
    drop(turns.pop());
    let (sheet, _turn) = w.app.read_upload(SAMPLE_CSV).await.unwrap();
    assert_eq!(sheet.rows.len(), 2);
}

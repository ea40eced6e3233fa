//! XLSX uploads: the fuzzed bytes are either a whole zip (first byte even) or the XML of
//! the first sheet, zipped into an otherwise valid workbook (first byte odd), so the fuzzer
//! reaches the sheet reader instead of stopping at the zip's checksums.
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/seatline-app/tests/bulk/corpus.rs"]
mod corpus;

use libfuzzer_sys::fuzz_target;
use seatline_app::bulk::limits::MAX_COLUMNS;
use seatline_app::bulk::read_sheet;
use seatline_domain::bulk::{plan, OrgState, MAX_ROWS};
use seatline_domain::Seats;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        corpus::workbook(&String::from_utf8_lossy(rest), Some("<sst><si><t>Ext key</t></si></sst>"))
    };
    if let Ok(sheet) = read_sheet(&bytes) {
        assert!(sheet.rows.len() <= MAX_ROWS);
        assert!(sheet.rows.iter().all(|r| r.cells.len() <= MAX_COLUMNS));
        let p = plan(&sheet, &OrgState::new(&[], &[], &[], Seats::default()));
        assert_eq!(p.can_apply, p.errors.is_empty());
    }
});

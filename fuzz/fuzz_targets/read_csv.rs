//! Any bytes read as a CSV upload give a sheet whose plan is consistent, or a refusal;
//! never a panic, never more than the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatline_app::bulk::limits::MAX_COLUMNS;
use seatline_app::bulk::read_sheet;
use seatline_domain::bulk::{plan, OrgState, MAX_ROWS};
use seatline_domain::Seats;

fuzz_target!(|data: &[u8]| {
    // Zip bytes go to the XLSX reader: that is read_xlsx's target.
    if data.starts_with(b"PK") {
        return;
    }
    if let Ok(sheet) = read_sheet(data) {
        assert!(sheet.rows.len() <= MAX_ROWS);
        assert!(sheet.rows.iter().all(|r| r.cells.len() <= MAX_COLUMNS));
        let p = plan(&sheet, &OrgState::new(&[], &[], &[], Seats::default()));
        assert_eq!(p.can_apply, p.errors.is_empty());
    }
});

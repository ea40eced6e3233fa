//! Bulk assignment end to end: reading files (every spreadsheet quirk), plan, apply, export
//! and re-import, atomicity under an injected failure, stale and repeated plans.

mod cleanup;
mod corpus;
mod flow;
mod hostile;
mod reading;
mod support;

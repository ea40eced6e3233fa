//! The domain's rules, one readable case per rule and per error code (issue 2, "Tests that
//! must exist"). Every case states the state it starts from, the call, and what must come out:
//! the changes, the audit records, or the error with its code and details.

mod addons;
mod assignment;
mod contact_center;
mod error_codes;
mod idle;
mod lifecycle;
mod members;
mod messages;
mod numbers;
mod permissions;
mod provision;
mod purity;
mod quantities;
mod reports;
mod support;

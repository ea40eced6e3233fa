//! Subscription lifecycle (product.md §10) against a model: random sequences of quantity
//! changes, operator state changes, renewals, term ends, assignments and scheduler ticks on a
//! fake clock, with the store's licenses, extensions and entitlements compared to what the
//! model predicts after every step, on SQLite and on PostgreSQL.

mod actor;
mod property;
mod support;

//! SCIM 2.0 (product.md §9) driven in-process through `seatline_http::router`, on SQLite and
//! on PostgreSQL: the requests Entra ID and Okta document, replayed one shape per test, with
//! the resulting member, extension and add-ons asserted through the JSON API; and a property
//! test over random sequences of SCIM writes.

mod edge;
mod identity;
mod messages;
mod moves;
mod names;
mod property;
mod replay;
mod scope_leaks;
mod support;
mod teams;
mod templates;

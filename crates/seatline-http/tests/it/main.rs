//! The HTTP API driven in-process (`router(...)` + `tower::ServiceExt::oneshot`) on a fresh
//! SQLite file per world.

mod activity;
mod concurrency;
mod feed;
mod hostile;
mod matrix;
mod paging;
mod protocol;
mod restore;
mod routes;
mod sign_in_links;
mod support;

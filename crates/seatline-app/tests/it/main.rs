//! Use-case tests on a temp-file SQLite database: tenant isolation, who may read what,
//! bearer tokens, sign-in links, and the audit log (every write one entry, a refused write none).

mod activity;
mod audit;
mod consumer;
mod events;
mod feed_requests;
mod idempotency;
mod idle;
mod reads;
mod seats;
mod sign_in_links;
mod support;
mod templates;
mod templates_property;
mod tenancy;
mod tokens;
mod webhooks;

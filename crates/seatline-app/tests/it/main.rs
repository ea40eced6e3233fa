//! Use-case tests on a temp-file SQLite database: tenant isolation, who may read what,
//! bearer tokens, and the audit log (every write one entry, a refused write none).

mod audit;
mod consumer;
mod events;
mod feed_requests;
mod idempotency;
mod reads;
mod seats;
mod support;
mod tenancy;
mod tokens;
mod webhooks;

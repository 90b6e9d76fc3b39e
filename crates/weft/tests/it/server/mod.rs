//! End-to-end tests of `weft serve`, run as a child process on a SQLite file and on a real
//! PostgreSQL (one temp server per test binary, one database per test), against the mock API.
//! Every test runs on both backends: `server::<module>::sqlite::<test>` and
//! `server::<module>::postgres::<test>`.
//!
//! - `webhooks`: async and sync modes, `Accept`, idempotency keys;
//! - `bad_requests`: 404, 405, 413, 400, 415, and the bodies that reach `trigger.body`;
//! - `webhook_auth`: the HMAC matrix of each preset, header and basic auth, weak secrets;
//! - `workflows`, `executions`, `api`: the REST API, its keys and its OpenAPI document;
//! - `cli`: import, export and api-key against the database and a running server;
//! - `security`: what a hostile caller can send (bodies before checks, slow clients, memory,
//!   answer headers, key scopes, sessions, secret headers, file modes);
//! - `schedules`: ticks once each (two processes too), deactivation, catch-up, next runs;
//! - `deliveries`: outgoing webhooks retried across restarts, signed, 410, 3xx, `Retry-After`,
//!   retry by hand, two processes sending each attempt once;
//! - `subworkflows`: `action: workflow` with and without waiting, failures, the depth bound,
//!   static cycles, one child after a SIGKILL;
//! - `failures`: `on_error` workflows, failing sync webhooks and their `on_failure` answer;
//! - `waits`: `action: wait` timers and callbacks across a SIGKILL, resume URLs (once, 404,
//!   the form page), timeouts, sync callers, cancelling;
//! - `limits`: `concurrency: {limit, key}` (per key, two processes on one PostgreSQL);
//! - `ratelimit`: a webhook's `rate_limit` (429 and `Retry-After`, nothing stored, the test URL
//!   too, two processes on one PostgreSQL);
//! - `crash`: SIGKILL in the middle of a burst, SIGTERM with executions running.

mod harness;

mod api;
mod bad_requests;
mod bounds;
mod cli;
mod connectors;
mod crash;
mod credentials;
mod deliveries;
mod executions;
mod failures;
mod limits;
mod metrics;
mod observability;
mod outage;
mod ratelimit;
mod retention;
mod scale;
mod schedules;
mod security;
mod subworkflows;
mod testing;
mod waits;
mod webhook_auth;
mod webhooks;
mod workflows;

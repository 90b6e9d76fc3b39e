//! The store's integration tests. Every test runs twice, against a SQLite file in a temp dir
//! (`sqlite::…`) and against a real PostgreSQL started for this test binary (`postgres::…`,
//! one database per test).

#[macro_use]
mod support;

mod api_keys;
mod connect;
mod deliveries;
mod executions;
mod journal;
mod plans;
mod queue;
mod rate_limits;
mod workflows;

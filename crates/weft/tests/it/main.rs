//! Integration tests of the `weft` binary, run as a child process against the in-process mock
//! API from the `tests` crate. One test binary for the crate (link time on 2 cores).

mod concurrency;
mod config;
mod connectors;
mod engine;
mod examples;
mod run;
mod server;
mod support;
mod validate;

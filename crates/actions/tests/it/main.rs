//! Integration tests of the actions crate, over loopback only.

mod http;
mod outbound;
mod support;

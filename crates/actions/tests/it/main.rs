//! Integration tests of the actions crate, over loopback only.

mod credentials;
mod http;
mod outbound;
mod support;

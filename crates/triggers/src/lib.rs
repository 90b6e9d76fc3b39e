//! Triggers turn what starts an execution (a webhook call, a schedule tick, a manual run) into
//! the [`engine::TriggerEvent`] templates read as `trigger`.
//!
//! Webhooks go through [`intake`] (no server framework here: the request's
//! [`http::request::Parts`] and its raw body bytes), in the server's order:
//! 1. [`check_request`] before any byte of the body is read: [`check_method`] against the
//!    trigger's methods (405), the answer format of a sync hook (406), the credential and
//!    `header`/`basic` auth ([`verify_signature`], 401), a declared size above the limit (413);
//! 2. [`Pending::accept`] on the raw body: HMAC auth ([`verify_signature`] on the exact bytes,
//!    401), [`webhook_event`] parsing the body by content type ([`parse_body`]; 400 / 415), the
//!    idempotency key (the signed message id first) and its [`fingerprint`], then [`redact`]
//!    before the event is stored.
//!
//! Either phase refuses with a [`Rejection`] (status and code). A replay of a signed message is
//! not refused here: its message id (or [`Verified::replay_key`]) is the execution's idempotency
//! key, which the store keeps unique per workflow. [`check_secret`] validates a trigger's auth
//! when it is saved; [`sign`] produces the headers of each HMAC preset, for tests and outgoing
//! webhooks.
//!
//! [`kind`] holds the trigger kinds (`webhook`, `schedule`, `manual`), one module each
//! implementing [`engine::trigger::TriggerKind`], registered in [`kinds`].

use http::StatusCode;

pub mod auth;
pub mod body;
pub mod intake;
pub mod kind;
pub mod signature;
pub mod webhook;

pub use auth::{AuthError, Verified, check_secret, verify_signature};
pub use body::{BodyError, parse_body};
pub use intake::{Accepted, Limits, Pending, Rejection, check_request, fingerprint};
pub use kind::kinds;
pub use signature::sign;
pub use webhook::{check_method, header_map, query_map, redact, webhook_event};

/// A problem with a trigger event: given by hand (CLI) or received as a webhook request.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("header `{0}` is not of the form `Name: value`")]
    BadHeader(String),
    #[error("query parameter `{0}` is not of the form `name=value`")]
    BadQuery(String),
    /// The trigger does not accept this method; `allowed` is for the `Allow` header.
    #[error("method {method} is not allowed here; allowed: {}", allowed.join(", "))]
    MethodNotAllowed {
        method: String,
        allowed: Vec<String>,
    },
    #[error(transparent)]
    Body(#[from] BodyError),
}

impl Error {
    /// The status to answer a webhook request with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadHeader(_) | Error::BadQuery(_) => StatusCode::BAD_REQUEST,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::Body(e) => e.status(),
        }
    }
}

/// Parses `Name: value` (or `Name:value`).
pub fn parse_header(s: &str) -> Result<(String, String), Error> {
    match s.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() => {
            Ok((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        }
        _ => Err(Error::BadHeader(s.to_string())),
    }
}

/// Parses `name=value`.
pub fn parse_query(s: &str) -> Result<(String, String), Error> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(Error::BadQuery(s.to_string())),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use http::{HeaderMap, HeaderName, HeaderValue};

    /// A header map from `(name, value)` pairs, repeated names appended in order.
    pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_query_parameters_parse_or_say_what_is_wrong() {
        assert_eq!(parse_header("X-A: b").unwrap(), ("x-a".into(), "b".into()));
        assert_eq!(
            parse_header("nocolon"),
            Err(Error::BadHeader("nocolon".into()))
        );
        assert_eq!(parse_query("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_query("=x").is_err());
    }
}

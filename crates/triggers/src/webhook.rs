//! The parts of a webhook request's intake (plain data, no server framework): the
//! [`TriggerEvent`] of a request, its headers and query as templates see them, the method check
//! and redaction. [`crate::intake`] runs them in the server's order.

use std::collections::BTreeMap;

use engine::TriggerEvent;
use engine::model::{AuthKind, WebhookAuth, WebhookTrigger};
use http::HeaderMap;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};

use crate::Error;
use crate::body::{BodyError, form_pairs, parse_body};

/// What a header's value becomes in a redacted event.
pub const REDACTED: &str = "[redacted]";

/// Builds the trigger event of a webhook request: `kind` `webhook`, the method upper-case, the
/// path as given (e.g. `/hooks/new-customer`), the headers by [`header_map`], the query string
/// (with or without its `?`) by [`query_map`], and the body by [`crate::parse_body`] according to
/// the request's `Content-Type`.
///
/// Errors: a body that does not match its content type (400 or 415, see [`BodyError::status`]).
pub fn webhook_event(
    method: &str,
    path: &str,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<TriggerEvent, BodyError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    Ok(TriggerEvent {
        kind: "webhook".to_string(),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        headers: header_map(headers),
        query: query_map(query),
        body: parse_body(content_type.as_deref(), body)?,
        parent: None,
        test: None,
    })
}

/// Headers as templates see them: lower-case names; the values of a repeated header joined with
/// `", "` (`cookie`: with `"; "`), in the order received. Values that are not UTF-8 are decoded
/// lossily (`�`) rather than refused.
pub fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .keys()
        .map(|name| {
            let separator = if name == COOKIE { "; " } else { ", " };
            let values: Vec<_> = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .collect();
            (name.as_str().to_string(), values.join(separator))
        })
        .collect()
}

/// A query string as templates see it: percent-decoded (`+` is a space), a parameter without
/// `=` has an empty value, and for a repeated parameter **the last value wins** (`?a=1&a=2` →
/// `a: "2"`; a workflow that needs every value can send them in the body instead). Invalid
/// UTF-8 is decoded lossily.
pub fn query_map(query: &str) -> BTreeMap<String, String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    form_pairs(query.as_bytes())
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect()
}

/// Whether the trigger accepts this method: one of [`WebhookTrigger::allowed_methods`] exactly
/// (HTTP methods are case-sensitive: `post` is not `POST`); [`Error::MethodNotAllowed`] (405,
/// with the allowed methods for the `Allow` header) otherwise.
pub fn check_method(trigger: &WebhookTrigger, method: &str) -> Result<(), Error> {
    let allowed = trigger.allowed_methods();
    if allowed.iter().any(|m| m == method) {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed {
            method: method.to_ascii_uppercase(),
            allowed,
        })
    }
}

/// Headers whose values are secrets on any webhook, whatever its auth: credentials a caller
/// may send, cookies, and signatures (a signature is not the secret, but it proves a message
/// and lets whoever reads it replay it).
pub const SECRET_HEADERS: [&str; 14] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-csrf-token",
    "webhook-signature",
    "stripe-signature",
    "x-hub-signature",
    "x-hub-signature-256",
    "x-signature",
    "x-webhook-signature",
];

/// Makes a stored event safe to keep: the header that carried a `header`/`basic` token, every
/// header of [`SECRET_HEADERS`] and of `extra` (case-insensitive) become [`REDACTED`], and so
/// does any header or query value that contains one of `secrets` (the webhook's own secret,
/// should a sender put it elsewhere, e.g. `?token=`).
pub fn redact(
    event: &mut TriggerEvent,
    auth: Option<&WebhookAuth>,
    extra: &[String],
    secrets: &[&str],
) {
    let token_header = auth.and_then(|auth| match auth.kind {
        AuthKind::Header => Some(
            auth.header
                .as_deref()
                .map(str::to_ascii_lowercase)
                .unwrap_or_else(|| AUTHORIZATION.as_str().to_string()),
        ),
        AuthKind::Basic => Some(AUTHORIZATION.as_str().to_string()),
        AuthKind::None | AuthKind::Hmac => None,
    });
    let holds_secret = |v: &str| secrets.iter().any(|s| !s.is_empty() && v.contains(s));
    for (name, value) in event.headers.iter_mut() {
        let secret_name = SECRET_HEADERS.contains(&name.as_str())
            || token_header.as_deref() == Some(name.as_str())
            || extra.iter().any(|e| e.eq_ignore_ascii_case(name));
        if secret_name || holds_secret(value) {
            *value = REDACTED.to_string();
        }
    }
    for value in event.query.values_mut() {
        if holds_secret(value) {
            *value = REDACTED.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::headers;
    use http::StatusCode;
    use serde_json::json;

    #[test]
    fn a_json_request_becomes_a_webhook_event_with_lower_case_headers_and_a_parsed_query() {
        let h = headers(&[("Content-Type", "application/json"), ("X-Request-Id", "r1")]);
        let e = webhook_event(
            "post",
            "/hooks/new-customer",
            &h,
            "?source=shop&debug",
            br#"{"email":"a@b.c"}"#,
        )
        .unwrap();
        assert_eq!(e.kind, "webhook");
        assert_eq!(e.method, "POST");
        assert_eq!(e.path, "/hooks/new-customer");
        assert_eq!(e.headers["content-type"], "application/json");
        assert_eq!(e.headers["x-request-id"], "r1");
        assert_eq!(
            e.query,
            BTreeMap::from([
                ("source".to_string(), "shop".to_string()),
                ("debug".to_string(), String::new())
            ])
        );
        assert_eq!(e.body, json!({"email": "a@b.c"}));
    }

    #[test]
    fn repeated_headers_are_joined_with_a_comma_and_cookies_with_a_semicolon() {
        let h = headers(&[
            ("Accept", "text/html"),
            ("accept", "application/json"),
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
        ]);
        let map = header_map(&h);
        assert_eq!(map["accept"], "text/html, application/json");
        assert_eq!(map["cookie"], "a=1; b=2");
    }

    #[test]
    fn in_the_query_the_last_of_repeated_parameters_wins_and_values_are_decoded() {
        let q = query_map("a=1&a=2&name=Ada+L%C3%B3pez&x=%2B");
        assert_eq!(q["a"], "2");
        assert_eq!(q["name"], "Ada López");
        assert_eq!(q["x"], "+");
        assert!(query_map("").is_empty());
    }

    #[test]
    fn a_body_that_does_not_match_its_content_type_fails_the_request() {
        let h = headers(&[("content-type", "application/json")]);
        let err = webhook_event("POST", "/hooks/x", &h, "", b"{").unwrap_err();
        assert!(matches!(err, BodyError::MalformedJson { .. }), "{err:?}");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let h = headers(&[("content-type", "multipart/form-data; boundary=b")]);
        let err = webhook_event("POST", "/hooks/x", &h, "", b"--b--").unwrap_err();
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn methods_outside_the_triggers_list_are_not_allowed() {
        let t = WebhookTrigger {
            path: "x".into(),
            methods: Some(vec!["post".into(), "PUT".into()]),
            respond: None,
            auth: None,
            rate_limit: None,
            on_failure: None,
        };
        assert!(check_method(&t, "PUT").is_ok());
        assert!(
            check_method(&t, "POST").is_ok(),
            "the trigger's own spelling does not matter"
        );
        assert!(
            check_method(&t, "put").is_err(),
            "a method is case-sensitive"
        );
        let err = check_method(&t, "GET").unwrap_err();
        assert_eq!(
            err,
            Error::MethodNotAllowed {
                method: "GET".into(),
                allowed: vec!["POST".into(), "PUT".into()]
            }
        );
        assert_eq!(err.status(), StatusCode::METHOD_NOT_ALLOWED);
        let default = WebhookTrigger { methods: None, ..t };
        assert!(check_method(&default, "POST").is_ok());
        assert!(check_method(&default, "GET").is_err());
    }

    #[test]
    fn redaction_hides_tokens_cookies_signatures_and_the_secret_wherever_it_appears() {
        let h = headers(&[
            ("Authorization", "Bearer s3cr3t-token-0123456789"),
            ("Cookie", "session=abc"),
            ("X-Custom-Token", "k3y-0123456789abcdef"),
            ("X-My-Secret", "other"),
            ("X-Hub-Signature-256", "sha256=00"),
            ("X-Echo", "prefix k3y-0123456789abcdef suffix"),
            ("X-Request-Id", "r1"),
        ]);
        let mut e = webhook_event(
            "POST",
            "/hooks/x",
            &h,
            "?token=k3y-0123456789abcdef&a=1",
            b"",
        )
        .unwrap();
        let auth = WebhookAuth {
            kind: AuthKind::Header,
            preset: None,
            credential: Some("c".into()),
            header: Some("X-Custom-Token".into()),
        };
        redact(
            &mut e,
            Some(&auth),
            &["x-my-secret".to_string()],
            &["k3y-0123456789abcdef"],
        );
        for name in [
            "authorization",
            "cookie",
            "x-custom-token",
            "x-my-secret",
            "x-hub-signature-256",
            "x-echo",
        ] {
            assert_eq!(e.headers[name], REDACTED, "{name}");
        }
        assert_eq!(e.headers["x-request-id"], "r1");
        assert_eq!(e.query["token"], REDACTED);
        assert_eq!(e.query["a"], "1");
    }
}

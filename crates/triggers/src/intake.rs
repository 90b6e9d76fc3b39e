//! Webhook intake in one place: a request to a webhook trigger → the event it starts, with its
//! idempotency key and fingerprint, or a [`Rejection`] with the status and code to answer.
//!
//! Two phases, so that no byte of the body is read before the checks that do not need it:
//!
//! 1. [`check_request`], on the request's parts: method (405 with `Allow`) → answer format of a
//!    sync hook (406) → the trigger's credential and `header`/`basic` auth (401) → declared
//!    size (413). It gives a [`Pending`] request.
//! 2. The server reads the body (at most [`Pending::body_limit`] bytes, under its budget of
//!    bytes in flight: [`Pending::reserve`]), then [`Pending::accept`]: HMAC auth on the raw
//!    body (401) → parsing by content type (415 / 400) → idempotency key and fingerprint → the
//!    raw body is dropped → redaction → [`Accepted`].
//!
//! Finding the workflow of a path (404), the budget itself (503) and reading the body are the
//! server's. Auth failures carry their [`AuthError`] for the log; the answer says no more than
//! 401.

use chrono::{DateTime, Utc};
use engine::TriggerEvent;
use engine::credentials::{Credential, CredentialsProvider};
use engine::model::{AuthKind, RespondMode, WebhookTrigger};
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Method, StatusCode, Uri};

use crate::auth::{AuthError, Verified, verify_signature};
use crate::body::BodyError;
use crate::webhook::{check_method, redact, webhook_event};

/// The server's settings for webhook requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    /// The largest body accepted, in bytes (413 above it).
    pub body_limit: usize,
    /// Headers redacted from the stored event besides [`crate::webhook::SECRET_HEADERS`].
    pub redact_headers: &'a [String],
}

/// Why a webhook request is refused, and how to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The trigger does not take this method; `allowed` is for the `Allow` header.
    #[error("this webhook accepts {}", allowed.join(", "))]
    MethodNotAllowed { allowed: Vec<String> },
    /// A sync hook answers with the result, and the caller accepts no format it can be sent in.
    #[error("the caller accepts no format the answer can be sent in")]
    NotAcceptable,
    /// The credential the trigger's auth names cannot be read (the message is for the log).
    #[error("unauthorized")]
    CredentialUnavailable(String),
    /// The request fails the trigger's auth ([`AuthError::reason`] for the log), or the auth
    /// is misconfigured ([`AuthError::Misconfigured`]): the answer is 401 either way.
    #[error("unauthorized")]
    Unauthorized(AuthError),
    /// The body is (or declares itself) larger than [`Limits::body_limit`].
    #[error("the body is larger than this webhook accepts")]
    TooLarge,
    /// The body does not match its content type (400), or the type is not supported (415).
    #[error(transparent)]
    Body(BodyError),
}

impl Rejection {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Rejection::CredentialUnavailable(_) | Rejection::Unauthorized(_) => {
                StatusCode::UNAUTHORIZED
            }
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Body(e) => e.status(),
        }
    }

    /// The error code of the answer.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MethodNotAllowed { .. } => "method_not_allowed",
            Rejection::NotAcceptable => "not_acceptable",
            Rejection::CredentialUnavailable(_) | Rejection::Unauthorized(_) => "unauthorized",
            Rejection::TooLarge => "payload_too_large",
            Rejection::Body(BodyError::UnsupportedContentType(_)) => "unsupported_media_type",
            Rejection::Body(_) => "malformed_body",
        }
    }

    /// The `Allow` header of a 405.
    pub fn allow(&self) -> Option<String> {
        match self {
            Rejection::MethodNotAllowed { allowed } => Some(allowed.join(", ")),
            _ => None,
        }
    }
}

/// A request that passed every check that needs no body; [`Pending::accept`] takes the body.
pub struct Pending<'a> {
    hook: &'a WebhookTrigger,
    limits: Limits<'a>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    credential: Option<Credential>,
    /// `None` while an HMAC signature is still to be checked on the body.
    verified: Option<Verified>,
    declared: Option<usize>,
}

/// An accepted request: the event to store (redacted), and what deduplicates it.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub event: TriggerEvent,
    /// The signed message id (Standard Webhooks' `webhook-id`, Stripe's event id) wins over any
    /// unsigned header, so a replay with another `Idempotency-Key` starts nothing; else the
    /// caller's `Idempotency-Key`, else GitHub's `X-GitHub-Delivery` (`github:{id}`), else the
    /// signature's replay key ([`Verified::replay_key`]).
    pub idempotency_key: Option<String>,
    /// What the key is bound to ([`fingerprint`] of the method, path and raw body); set when
    /// there is a key.
    pub fingerprint: Option<String>,
}

/// Checks a webhook request before its body is read: the method, the answer format
/// (`accepts_answer`: whether the caller accepts a format a sync answer can be sent in; only
/// asked of `respond: sync` hooks), the trigger's credential (read from `credentials`) and its
/// `header`/`basic` auth, and a declared `Content-Length` above the limit.
pub async fn check_request<'a>(
    hook: &'a WebhookTrigger,
    credentials: &dyn CredentialsProvider,
    limits: Limits<'a>,
    parts: http::request::Parts,
    accepts_answer: bool,
) -> Result<Pending<'a>, Rejection> {
    let http::request::Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    check_method(hook, method.as_str()).map_err(|_| Rejection::MethodNotAllowed {
        allowed: hook.allowed_methods(),
    })?;
    if hook.respond.unwrap_or_default() == RespondMode::Sync && !accepts_answer {
        return Err(Rejection::NotAcceptable);
    }
    let auth = hook.auth.as_ref();
    let credential = match auth.and_then(|a| a.credential.as_deref()) {
        Some(name) => Some(
            credentials
                .get(name)
                .await
                .map_err(|e| Rejection::CredentialUnavailable(e.to_string()))?
                .credential,
        ),
        None => None,
    };
    // Header and basic auth need no body; only an HMAC signature needs the exact raw body.
    let verified = match auth {
        None => Some(Verified::default()),
        Some(a) if a.kind == AuthKind::Hmac => None,
        Some(a) => Some(
            verify_signature(a, credential.as_ref(), &headers, &[], Utc::now())
                .map_err(Rejection::Unauthorized)?,
        ),
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body_limit as u64) {
        return Err(Rejection::TooLarge);
    }
    Ok(Pending {
        hook,
        limits,
        method,
        uri,
        headers,
        credential,
        verified,
        declared: declared.map(|n| n as usize),
    })
}

impl Pending<'_> {
    /// The most body bytes to read; more is [`Rejection::TooLarge`].
    pub fn body_limit(&self) -> usize {
        self.limits.body_limit
    }

    /// The bytes to reserve for the body while it is read and parsed: its declared length, or
    /// the limit when it declares none.
    pub fn reserve(&self) -> usize {
        self.declared.unwrap_or(self.limits.body_limit)
    }

    /// The body's `Content-Length`, if it declares one (at most [`Pending::body_limit`]).
    pub fn declared_length(&self) -> Option<usize> {
        self.declared
    }

    /// Takes the raw body (as received, at most [`Pending::body_limit`] bytes) and finishes the
    /// checks: HMAC auth, parsing, then the idempotency key and fingerprint; the raw body is
    /// dropped before the event is redacted and returned.
    pub fn accept(self, body: impl AsRef<[u8]>) -> Result<Accepted, Rejection> {
        self.accept_at(body, Utc::now())
    }

    /// [`Pending::accept`] with signed timestamps checked against `now`.
    pub fn accept_at(
        self,
        body: impl AsRef<[u8]>,
        now: DateTime<Utc>,
    ) -> Result<Accepted, Rejection> {
        let raw = body.as_ref();
        let auth = self.hook.auth.as_ref();
        let verified = match (self.verified, auth) {
            (Some(v), _) => v,
            (None, Some(a)) => {
                verify_signature(a, self.credential.as_ref(), &self.headers, raw, now)
                    .map_err(Rejection::Unauthorized)?
            }
            (None, None) => Verified::default(),
        };
        let path = self.uri.path();
        let mut event = webhook_event(
            self.method.as_str(),
            path,
            &self.headers,
            self.uri.query().unwrap_or(""),
            raw,
        )
        .map_err(Rejection::Body)?;
        let header = |name: &str| {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let idempotency_key = verified
            .message_id
            .or_else(|| header("idempotency-key"))
            .or_else(|| header("x-github-delivery").map(|d| format!("github:{d}")))
            .or(verified.replay_key);
        let fingerprint = idempotency_key
            .as_ref()
            .map(|_| fingerprint(self.method.as_str(), path, raw));
        // The event holds the parsed body: the raw bytes are not needed any more.
        drop(body);
        // Secrets never reach the execution record: the token header of header/basic auth,
        // the default list of secret headers (and the operator's), and the webhook secret
        // anywhere.
        let secrets = self
            .credential
            .as_ref()
            .map(|c| c.secrets())
            .unwrap_or_default();
        redact(&mut event, auth, self.limits.redact_headers, &secrets);
        Ok(Accepted {
            event,
            idempotency_key,
            fingerprint,
        })
    }
}

/// What an idempotency key is bound to: SHA-256 of the method, path and body (hex).
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sign;
    use crate::webhook::REDACTED;
    use engine::credentials::StaticCredentials;
    use engine::model::{HmacPreset, WebhookAuth};

    const TOKEN: &str = "tok_0123456789abcdef";
    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const STRIPE_SECRET: &str = "whsec_test_secret_stripe_0123456789";

    fn hook(auth: Option<WebhookAuth>) -> WebhookTrigger {
        WebhookTrigger {
            path: "x".into(),
            methods: None,
            respond: None,
            auth,
            rate_limit: None,
            on_failure: None,
        }
    }

    fn auth(kind: AuthKind, preset: Option<HmacPreset>) -> Option<WebhookAuth> {
        Some(WebhookAuth {
            kind,
            preset,
            credential: Some("c".into()),
            header: None,
        })
    }

    fn credentials(secret: &str) -> StaticCredentials {
        StaticCredentials::unbound(BTreeMap::from([(
            "c".to_string(),
            Credential::Secret {
                value: secret.into(),
            },
        )]))
    }

    fn parts(method: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().method(method).uri("/hooks/x?a=1");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    const LIMITS: Limits<'static> = Limits {
        body_limit: 1024,
        redact_headers: &[],
    };

    async fn check<'a>(
        hook: &'a WebhookTrigger,
        creds: &StaticCredentials,
        method: &str,
        headers: &[(&str, &str)],
    ) -> Result<Pending<'a>, Rejection> {
        check_request(hook, creds, LIMITS, parts(method, headers), true).await
    }

    #[tokio::test]
    async fn the_checks_that_need_no_body_come_first_in_order() {
        let creds = credentials(TOKEN);
        let mut h = hook(auth(AuthKind::Header, None));
        h.respond = Some(RespondMode::Sync);
        // Method before the answer format, the answer format before auth.
        let r = check_request(&h, &creds, LIMITS, parts("GET", &[]), false).await;
        let Err(r) = r else { panic!("accepted") };
        assert_eq!(
            r,
            Rejection::MethodNotAllowed {
                allowed: vec!["POST".into()]
            }
        );
        assert_eq!(
            (r.status(), r.allow().as_deref()),
            (StatusCode::METHOD_NOT_ALLOWED, Some("POST"))
        );
        let r = check_request(&h, &creds, LIMITS, parts("POST", &[]), false).await;
        assert_eq!(r.err(), Some(Rejection::NotAcceptable));
        // Auth before the declared size.
        let big = [("content-length", "4096")];
        let r = check(&h, &creds, "POST", &big).await.err().unwrap();
        assert!(
            matches!(r, Rejection::Unauthorized(AuthError::MissingHeader(_))),
            "{r:?}"
        );
        assert_eq!(
            (r.status(), r.code(), r.to_string().as_str()),
            (StatusCode::UNAUTHORIZED, "unauthorized", "unauthorized")
        );
        let bearer = format!("Bearer {TOKEN}");
        let r = check(&h, &creds, "POST", &[("authorization", &bearer), big[0]]).await;
        assert_eq!(r.err(), Some(Rejection::TooLarge));
        let p = check(&h, &creds, "POST", &[("authorization", &bearer)])
            .await
            .ok()
            .unwrap();
        assert_eq!(p.reserve(), 1024);
        // A missing credential refuses the request as unauthorized.
        let missing = check(&h, &StaticCredentials::default(), "POST", &[])
            .await
            .err()
            .unwrap();
        assert!(
            matches!(missing, Rejection::CredentialUnavailable(_)),
            "{missing:?}"
        );
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_method_is_matched_exactly_as_the_server_receives_it() {
        let h = WebhookTrigger {
            methods: Some(vec!["post".into(), "PUT".into()]),
            ..hook(None)
        };
        let creds = StaticCredentials::default();
        assert!(check(&h, &creds, "PUT", &[]).await.is_ok());
        assert!(check(&h, &creds, "POST", &[]).await.is_ok());
        let err = check(&h, &creds, "GET", &[]).await.err().unwrap();
        assert_eq!(err.allow().as_deref(), Some("POST, PUT"));
        assert_eq!(err.to_string(), "this webhook accepts POST, PUT");
    }

    #[tokio::test]
    async fn an_accepted_request_is_parsed_redacted_and_keyed() {
        let creds = credentials(TOKEN);
        let h = hook(auth(AuthKind::Header, None));
        let bearer = format!("Bearer {TOKEN}");
        let headers = [
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
            ("idempotency-key", "k1"),
        ];
        let body = br#"{"a":1}"#;
        let p = check(&h, &creds, "POST", &headers).await.ok().unwrap();
        let a = p.accept(body).unwrap();
        assert_eq!(a.event.body, serde_json::json!({"a": 1}));
        assert_eq!(
            (a.event.method.as_str(), a.event.path.as_str()),
            ("POST", "/hooks/x")
        );
        assert_eq!(a.event.query["a"], "1");
        assert_eq!(a.event.headers["authorization"], REDACTED);
        assert_eq!(a.idempotency_key.as_deref(), Some("k1"));
        assert_eq!(a.fingerprint, Some(fingerprint("POST", "/hooks/x", body)));
        // Without a key, no fingerprint.
        let p = check(&h, &creds, "POST", &headers[..2]).await.ok().unwrap();
        let a = p.accept(body).unwrap();
        assert_eq!((a.idempotency_key, a.fingerprint), (None, None));
        // GitHub's delivery id is a key too.
        let p = check(
            &h,
            &creds,
            "POST",
            &[headers[0], ("x-github-delivery", "d-1")],
        )
        .await
        .ok()
        .unwrap();
        assert_eq!(
            p.accept(b"").unwrap().idempotency_key.as_deref(),
            Some("github:d-1")
        );
    }

    #[tokio::test]
    async fn a_body_that_does_not_match_its_type_is_refused_with_its_code() {
        let creds = StaticCredentials::default();
        let h = hook(None);
        let p = check(&h, &creds, "POST", &[("content-type", "application/json")])
            .await
            .ok()
            .unwrap();
        let r = p.accept(b"{").unwrap_err();
        assert_eq!(
            (r.status(), r.code()),
            (StatusCode::BAD_REQUEST, "malformed_body")
        );
        let p = check(
            &h,
            &creds,
            "POST",
            &[("content-type", "multipart/form-data; boundary=b")],
        )
        .await
        .ok()
        .unwrap();
        let r = p.accept(b"--b--").unwrap_err();
        assert_eq!(
            (r.status(), r.code()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        );
    }

    fn at(unix_seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix_seconds, 0).unwrap()
    }

    /// Accepts `body` signed by `preset` with these extra headers at `now`.
    async fn signed(
        preset: HmacPreset,
        secret: &str,
        signature: Vec<(&'static str, String)>,
        extra: &[(&str, &str)],
        body: &[u8],
        now: i64,
    ) -> Result<Accepted, Rejection> {
        let creds = credentials(secret);
        let h = hook(auth(AuthKind::Hmac, Some(preset)));
        let mut headers: Vec<(&str, &str)> =
            signature.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.extend_from_slice(extra);
        headers.push(("content-type", "application/json"));
        let p = check(&h, &creds, "POST", &headers).await?;
        p.accept_at(body, at(now))
    }

    const TS: i64 = 1_700_000_000;

    #[tokio::test]
    async fn a_replayed_standard_webhooks_message_gets_its_id_as_key_even_signed_again_or_with_another_key()
     {
        let body = br#"{"test": 1}"#;
        let sig = |id, ts| sign(HmacPreset::StandardWebhooks, SW_SECRET, id, ts, body).unwrap();
        let sw = HmacPreset::StandardWebhooks;
        let first = signed(sw, SW_SECRET, sig("msg_1", TS), &[], body, TS)
            .await
            .unwrap();
        assert_eq!(first.idempotency_key.as_deref(), Some("msg_1"));
        // The same message again, with an unsigned Idempotency-Key of its own: the signed id wins.
        let replay = signed(
            sw,
            SW_SECRET,
            sig("msg_1", TS),
            &[("idempotency-key", "other")],
            body,
            TS + 1,
        )
        .await
        .unwrap();
        assert_eq!(replay.idempotency_key, first.idempotency_key);
        assert_eq!(replay.fingerprint, first.fingerprint);
        // Signed again later: still the same message.
        let later = signed(sw, SW_SECRET, sig("msg_1", TS + 60), &[], body, TS + 60)
            .await
            .unwrap();
        assert_eq!(later.idempotency_key, first.idempotency_key);
        // Another message is another key.
        let other = signed(sw, SW_SECRET, sig("msg_2", TS), &[], body, TS)
            .await
            .unwrap();
        assert_eq!(other.idempotency_key.as_deref(), Some("msg_2"));
        // The signature header is redacted from the event.
        assert_eq!(first.event.headers["webhook-signature"], REDACTED);
    }

    #[tokio::test]
    async fn a_forged_request_is_refused_before_anything_is_keyed_and_the_real_one_passes() {
        let body = br#"{"test": 1}"#;
        let sw = HmacPreset::StandardWebhooks;
        let forged = vec![
            ("webhook-id", "msg_1".to_string()),
            ("webhook-timestamp", TS.to_string()),
            ("webhook-signature", "v1,AAAA".to_string()),
        ];
        let r = signed(sw, SW_SECRET, forged, &[], body, TS)
            .await
            .unwrap_err();
        assert_eq!(r, Rejection::Unauthorized(AuthError::SignatureMismatch));
        let real = sign(sw, SW_SECRET, "msg_1", TS, body).unwrap();
        let a = signed(sw, SW_SECRET, real, &[], body, TS).await.unwrap();
        assert_eq!(a.idempotency_key.as_deref(), Some("msg_1"));
    }

    #[tokio::test]
    async fn a_replayed_stripe_request_keeps_its_key_even_with_extra_signatures() {
        let body = br#"{"id":"evt_1","object":"event"}"#;
        let header = sign(HmacPreset::Stripe, STRIPE_SECRET, "", TS, body).unwrap();
        let st = HmacPreset::Stripe;
        let first = signed(st, STRIPE_SECRET, header.clone(), &[], body, TS)
            .await
            .unwrap();
        assert_eq!(first.idempotency_key.as_deref(), Some("stripe:evt_1"));
        let again = signed(st, STRIPE_SECRET, header.clone(), &[], body, TS + 2)
            .await
            .unwrap();
        assert_eq!(again.idempotency_key, first.idempotency_key);
        let padded = vec![(
            "stripe-signature",
            format!("{},v1={}", header[0].1, "1".repeat(64)),
        )];
        let padded = signed(st, STRIPE_SECRET, padded, &[], body, TS + 3)
            .await
            .unwrap();
        assert_eq!(padded.idempotency_key, first.idempotency_key);
    }

    #[tokio::test]
    async fn github_signatures_give_no_key_of_their_own_the_delivery_id_is_the_key() {
        let body = br#"{"zen":"x"}"#;
        let gh = HmacPreset::Github;
        let secret = "It's a Secret to Everybody";
        let sig = || sign(gh, secret, "", 0, body).unwrap();
        let bare = signed(gh, secret, sig(), &[], body, TS).await.unwrap();
        assert_eq!((bare.idempotency_key, bare.fingerprint), (None, None));
        let delivered = signed(gh, secret, sig(), &[("x-github-delivery", "d-7")], body, TS)
            .await
            .unwrap();
        assert_eq!(delivered.idempotency_key.as_deref(), Some("github:d-7"));
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let f = fingerprint("POST", "/hooks/x", b"{}");
        assert_eq!(f.len(), 64);
        assert_ne!(f, fingerprint("PUT", "/hooks/x", b"{}"));
        assert_ne!(f, fingerprint("POST", "/hooks/y", b"{}"));
        assert_ne!(f, fingerprint("POST", "/hooks/x", b"{ }"));
        assert_eq!(f, fingerprint("POST", "/hooks/x", b"{}"));
    }
}

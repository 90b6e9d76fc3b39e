//! HMAC-SHA256 signature presets for `auth: {type: hmac, preset: …}`.
//!
//! | preset | headers | signed content | encoding |
//! |---|---|---|---|
//! | `standard-webhooks` | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<sig> [v1,<sig>…]` | `{id}.{timestamp}.{body}` | base64 |
//! | `stripe` | `stripe-signature: t=<ts>,v1=<sig>[,v1=<sig>…][,v0=…]` | `{t}.{body}` | hex |
//! | `github` | `x-hub-signature-256: sha256=<sig>` | `{body}` | hex |
//! | `generic` | `auth.header` (default `x-signature`): `<sig>` or `sha256=<sig>` | `{body}` | hex |
//!
//! - The body is the raw request body, byte for byte.
//! - The key is the credential's secret as UTF-8 bytes, except for `standard-webhooks` when the
//!   secret starts with `whsec_`: then the rest is base64 and the key is the decoded bytes (an
//!   unprefixed Standard Webhooks secret is used as raw bytes). Stripe's secrets also start with
//!   `whsec_` but Stripe signs with the whole string, so `stripe` never decodes.
//! - A request may carry several signatures (key rotation): it passes if any one matches.
//!   Entries of other versions (`v1a,…`, `v2,…`, Stripe's `v0=`) are ignored; empty, truncated
//!   or undecodable signatures never match. Comparison is constant-time over the whole decoded
//!   value.
//! - Timestamped presets (`standard-webhooks`, `stripe`) accept a timestamp at most
//!   [`TOLERANCE_SECONDS`] away from now, in either direction, and give a replay key.
//!   `github` and `generic` cannot tell a replay from a new message.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use engine::model::HmacPreset;
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::{AuthError, Verified, single};

/// How far a signed timestamp may be from now, in seconds, either way (inclusive).
pub const TOLERANCE_SECONDS: i64 = 300;
/// Shortest accepted HMAC key, in bytes (after `whsec_` decoding).
pub const MIN_SECRET_BYTES: usize = 16;
/// The signature header of the `generic` preset when `auth.header` is not set.
pub const GENERIC_HEADER: &str = "x-signature";

const WEBHOOK_ID: &str = "webhook-id";
const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
const WEBHOOK_SIGNATURE: &str = "webhook-signature";
const STRIPE_SIGNATURE: &str = "stripe-signature";
const GITHUB_SIGNATURE: &str = "x-hub-signature-256";

/// Standard base64 that accepts a missing padding too.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The HMAC key a preset uses for a secret (see the module documentation); the error completes
/// "the secret …".
pub(crate) fn key(preset: HmacPreset, secret: &str) -> Result<Vec<u8>, &'static str> {
    match (preset, secret.strip_prefix("whsec_")) {
        (HmacPreset::StandardWebhooks, Some(encoded)) => BASE64
            .decode(encoded)
            .map_err(|_| "starts with `whsec_` but the rest is not base64"),
        _ => Ok(secret.as_bytes().to_vec()),
    }
}

/// The `id` of a Stripe event body (`{"id": "evt_…", "object": "event", …}`), if it has one.
fn stripe_event_id(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Event {
        id: Option<String>,
    }
    serde_json::from_slice::<Event>(body)
        .ok()?
        .id
        .filter(|id| !id.is_empty())
}

/// Checks the signature headers of `preset` against the raw `body`. `header` is `auth.header`
/// (used by `generic` only).
pub(crate) fn verify(
    preset: HmacPreset,
    key: &[u8],
    header: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, AuthError> {
    match preset {
        HmacPreset::StandardWebhooks => {
            let id = single(headers, WEBHOOK_ID)?;
            let timestamp = single(headers, WEBHOOK_TIMESTAMP)?;
            let signatures = single(headers, WEBHOOK_SIGNATURE)?;
            check_timestamp(WEBHOOK_TIMESTAMP, timestamp, now)?;
            let expected = hmac(
                key,
                &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
            );
            let matched = signatures
                .split(' ')
                .filter_map(|entry| entry.split_once(','))
                .filter(|(version, _)| *version == "v1")
                .filter_map(|(_, signature)| BASE64.decode(signature).ok())
                .any(|signature| same(&expected, &signature));
            if !matched {
                return Err(AuthError::SignatureMismatch);
            }
            Ok(Verified {
                message_id: Some(id.to_string()),
                replay_key: Some(format!("standard-webhooks:{id}")),
            })
        }
        HmacPreset::Stripe => {
            let value = single(headers, STRIPE_SIGNATURE)?;
            let malformed = |problem| AuthError::MalformedHeader {
                header: STRIPE_SIGNATURE.to_string(),
                problem,
            };
            let (mut timestamp, mut signatures) = (None, Vec::new());
            for (name, value) in value.split(',').filter_map(|i| i.trim().split_once('=')) {
                match name {
                    "t" if timestamp.replace(value).is_some() => {
                        return Err(malformed("more than one timestamp (t=)"));
                    }
                    "v1" => signatures.push(value),
                    _ => {}
                }
            }
            let timestamp = timestamp.ok_or_else(|| malformed("no timestamp (t=)"))?;
            if signatures.is_empty() {
                return Err(malformed("no v1 signature"));
            }
            check_timestamp(STRIPE_SIGNATURE, timestamp, now)?;
            let expected = hmac(key, &[timestamp.as_bytes(), b".", body]);
            if !signatures
                .iter()
                .filter_map(|s| unhex(s))
                .any(|s| same(&expected, &s))
            {
                return Err(AuthError::SignatureMismatch);
            }
            // The valid signature (hashed: keys may be logged) stands for `t` and the body, so
            // adding or removing other entries does not make a replay new.
            let digest = hex(&Sha256::digest(expected));
            Ok(Verified {
                // Stripe signs a retried event again with a new timestamp: the event's own id
                // (`evt_…`, in the signed body) is what stays the same across deliveries.
                message_id: stripe_event_id(body).map(|id| format!("stripe:{id}")),
                replay_key: Some(format!("stripe:{timestamp}:{digest}")),
            })
        }
        HmacPreset::Github => {
            let value = single(headers, GITHUB_SIGNATURE)?;
            let signature = value
                .strip_prefix("sha256=")
                .ok_or(AuthError::MalformedHeader {
                    header: GITHUB_SIGNATURE.to_string(),
                    problem: "no sha256= prefix",
                })?;
            body_signature(key, signature, body)
        }
        HmacPreset::Generic => {
            let name = header.map_or_else(|| GENERIC_HEADER.to_string(), str::to_ascii_lowercase);
            let value = single(headers, &name)?;
            let signature = match value.split_at_checked(7) {
                Some((prefix, rest)) if prefix.eq_ignore_ascii_case("sha256=") => rest,
                _ => value,
            };
            body_signature(key, signature, body)
        }
    }
}

/// Signs a request the way `preset` senders do, for tests and outgoing webhooks: the headers to
/// add, with lower-case names. `id` is used by `standard-webhooks` only, `timestamp` (Unix
/// seconds) by `standard-webhooks` and `stripe`. `generic` signs into [`GENERIC_HEADER`] as
/// `sha256=<hex>`. Short secrets are not refused here (tests need them); the error says why a
/// `whsec_` secret cannot be decoded.
pub fn sign(
    preset: HmacPreset,
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>, String> {
    let key = key(preset, secret).map_err(|problem| format!("the secret {problem}"))?;
    let timestamp = timestamp.to_string();
    Ok(match preset {
        HmacPreset::StandardWebhooks => {
            let mac = hmac(
                &key,
                &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
            );
            vec![
                (WEBHOOK_ID, id.to_string()),
                (WEBHOOK_TIMESTAMP, timestamp),
                (WEBHOOK_SIGNATURE, format!("v1,{}", BASE64.encode(mac))),
            ]
        }
        HmacPreset::Stripe => {
            let mac = hmac(&key, &[timestamp.as_bytes(), b".", body]);
            vec![(STRIPE_SIGNATURE, format!("t={timestamp},v1={}", hex(&mac)))]
        }
        HmacPreset::Github => {
            vec![(
                GITHUB_SIGNATURE,
                format!("sha256={}", hex(&hmac(&key, &[body]))),
            )]
        }
        HmacPreset::Generic => {
            vec![(
                GENERIC_HEADER,
                format!("sha256={}", hex(&hmac(&key, &[body]))),
            )]
        }
    })
}

fn body_signature(key: &[u8], signature: &str, body: &[u8]) -> Result<Verified, AuthError> {
    let expected = hmac(key, &[body]);
    match unhex(signature) {
        Some(s) if same(&expected, &s) => Ok(Verified::default()),
        _ => Err(AuthError::SignatureMismatch),
    }
}

/// A signed timestamp: decimal Unix seconds, at most [`TOLERANCE_SECONDS`] from `now`.
fn check_timestamp(header: &str, value: &str, now: DateTime<Utc>) -> Result<(), AuthError> {
    let timestamp = value
        .parse::<i64>()
        .ok()
        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| AuthError::MalformedHeader {
            header: header.to_string(),
            problem: "timestamp is not a number of seconds",
        })?;
    let skew_seconds = now.timestamp().saturating_sub(timestamp);
    if skew_seconds.unsigned_abs() > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(AuthError::TimestampOutOfTolerance { skew_seconds });
    }
    Ok(())
}

/// HMAC-SHA256 of the concatenated `parts` under `key`.
pub fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key size");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Constant-time equality; different lengths are unequal.
pub fn same(expected: &[u8], given: &[u8]) -> bool {
    expected.ct_eq(given).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth;
    use crate::test_support::headers;
    use base64::engine::general_purpose::STANDARD;
    use engine::credentials::Credential;
    use engine::model::{AuthKind, WebhookAuth};

    /// HMAC-SHA256 computed straight with the `hmac` crate, independently of the code above.
    fn independent(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <::hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    fn independent_hex(key: &[u8], message: &[u8]) -> String {
        independent(key, message)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn at(unix_seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix_seconds, 0).unwrap()
    }

    /// Verifies a request against `auth: {type: hmac, preset}` with a secret credential.
    fn run(
        preset: HmacPreset,
        secret: &str,
        header: Option<&str>,
        request: &[(&str, &str)],
        body: &[u8],
        now: i64,
    ) -> Result<Verified, AuthError> {
        let auth = WebhookAuth {
            kind: AuthKind::Hmac,
            preset: Some(preset),
            credential: Some("signing".into()),
            header: header.map(Into::into),
        };
        let credential = Credential::Secret {
            value: secret.into(),
        };
        auth::verify_signature(&auth, Some(&credential), &headers(request), body, at(now))
    }

    mod standard_webhooks {
        use super::*;

        // The example of the Standard Webhooks reference libraries.
        const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        const TS: i64 = 1614265330;
        const BODY: &[u8] = br#"{"test": 2432232314}"#;
        const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

        fn key() -> Vec<u8> {
            STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
        }

        fn check(
            id: &str,
            ts: i64,
            signature: &str,
            body: &[u8],
            now: i64,
        ) -> Result<Verified, AuthError> {
            check_with(SECRET, id, ts, signature, body, now)
        }

        fn check_with(
            secret: &str,
            id: &str,
            ts: i64,
            signature: &str,
            body: &[u8],
            now: i64,
        ) -> Result<Verified, AuthError> {
            let ts = ts.to_string();
            let request = [
                ("webhook-id", id),
                ("webhook-timestamp", ts.as_str()),
                ("webhook-signature", signature),
            ];
            run(
                HmacPreset::StandardWebhooks,
                secret,
                None,
                &request,
                body,
                now,
            )
        }

        /// `v1,<base64>` for the given id, timestamp and body, computed independently.
        fn signed(id: &str, ts: i64, body: &[u8]) -> String {
            let message = [format!("{id}.{ts}.").as_bytes(), body].concat();
            format!("v1,{}", STANDARD.encode(independent(&key(), &message)))
        }

        #[test]
        fn the_reference_example_verifies_and_returns_its_message_id() {
            assert_eq!(signed(ID, TS, BODY), SIGNATURE);
            let v = check(ID, TS, SIGNATURE, BODY, TS).unwrap();
            assert_eq!(v.message_id.as_deref(), Some(ID));
            assert_eq!(
                v.replay_key.as_deref(),
                Some("standard-webhooks:msg_p5jXN8AQM9LWM0D4loKWxJek")
            );
        }

        #[test]
        fn a_fresh_message_signed_independently_verifies() {
            let (id, ts, body) = ("msg_2", 1_700_000_000, br#"{"email":"a@b.c"}"#);
            assert!(check(id, ts, &signed(id, ts, body), body, ts + 5).is_ok());
        }

        #[test]
        fn one_valid_signature_among_several_is_enough() {
            let wrong = signed("msg_other", TS, BODY);
            let header = format!("v1,AAAA {wrong} v2,abc {SIGNATURE} v1a,xyz");
            assert!(check(ID, TS, &header, BODY, TS).is_ok());
        }

        #[test]
        fn signatures_of_other_versions_are_ignored() {
            let valid = SIGNATURE.strip_prefix("v1,").unwrap();
            for header in [
                format!("v2,{valid}"),
                format!("v1a,{valid}"),
                valid.to_string(),
            ] {
                assert_eq!(
                    check(ID, TS, &header, BODY, TS),
                    Err(AuthError::SignatureMismatch),
                    "{header}"
                );
            }
        }

        #[test]
        fn a_body_changed_by_one_byte_is_rejected() {
            let mut body = BODY.to_vec();
            body[10] ^= 1;
            assert_eq!(
                check(ID, TS, SIGNATURE, &body, TS),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn a_changed_id_or_timestamp_is_rejected() {
            assert_eq!(
                check("msg_p5jXN8AQM9LWM0D4loKWxJeK", TS, SIGNATURE, BODY, TS),
                Err(AuthError::SignatureMismatch)
            );
            assert_eq!(
                check(ID, TS + 1, SIGNATURE, BODY, TS),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn a_signature_made_with_another_secret_is_rejected() {
            let other = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3";
            assert_eq!(
                check_with(other, ID, TS, SIGNATURE, BODY, TS),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn timestamps_299_seconds_away_pass_and_301_seconds_away_fail() {
            for skew in [299, -299, 300, -300, 0] {
                assert!(
                    check(ID, TS, SIGNATURE, BODY, TS + skew).is_ok(),
                    "skew {skew}"
                );
            }
            for skew in [301, -301, 86_400] {
                assert_eq!(
                    check(ID, TS, SIGNATURE, BODY, TS + skew),
                    Err(AuthError::TimestampOutOfTolerance { skew_seconds: skew })
                );
            }
        }

        #[test]
        fn a_timestamp_that_is_not_a_number_is_malformed() {
            let request = [
                ("webhook-id", ID),
                ("webhook-timestamp", "1614265330.5"),
                ("webhook-signature", SIGNATURE),
            ];
            let err = run(
                HmacPreset::StandardWebhooks,
                SECRET,
                None,
                &request,
                BODY,
                TS,
            );
            assert!(
                matches!(err, Err(AuthError::MalformedHeader { .. })),
                "{err:?}"
            );
        }

        #[test]
        fn each_missing_header_is_named() {
            let ts = TS.to_string();
            let full = [
                ("webhook-id", ID),
                ("webhook-timestamp", ts.as_str()),
                ("webhook-signature", SIGNATURE),
            ];
            for missing in 0..3 {
                let request: Vec<_> = (0..3).filter(|i| *i != missing).map(|i| full[i]).collect();
                let err = run(
                    HmacPreset::StandardWebhooks,
                    SECRET,
                    None,
                    &request,
                    BODY,
                    TS,
                );
                assert_eq!(
                    err,
                    Err(AuthError::MissingHeader(full[missing].0.to_string()))
                );
            }
        }

        #[test]
        fn empty_truncated_and_extended_signatures_never_match() {
            let valid = STANDARD
                .decode(SIGNATURE.strip_prefix("v1,").unwrap())
                .unwrap();
            let half = format!("v1,{}", STANDARD.encode(&valid[..16]));
            let all_but_one = format!("v1,{}", STANDARD.encode(&valid[..31]));
            let cut_text = &SIGNATURE[..SIGNATURE.len() - 4];
            let extended = format!("v1,{}", STANDARD.encode([&valid[..], &[0]].concat()));
            for header in [
                "v1,",
                "v1",
                &half,
                &all_but_one,
                cut_text,
                "v1,g0hM",
                &extended,
            ] {
                assert_eq!(
                    check(ID, TS, header, BODY, TS),
                    Err(AuthError::SignatureMismatch),
                    "{header}"
                );
            }
        }

        #[test]
        fn a_secret_without_the_whsec_prefix_is_used_as_raw_bytes() {
            let secret = "raw-secret-0123456789";
            let message = [format!("{ID}.{TS}.").as_bytes(), BODY].concat();
            let signature = format!(
                "v1,{}",
                STANDARD.encode(independent(secret.as_bytes(), &message))
            );
            assert!(check_with(secret, ID, TS, &signature, BODY, TS).is_ok());
        }
    }

    mod stripe {
        use super::*;

        // Stripe signs with the whole `whsec_…` string; computed independently with Python's
        // hmac module.
        const SECRET: &str = "whsec_test_secret_stripe_0123456789";
        const TS: i64 = 1_700_000_000;
        const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;
        const V1: &str = "2bd2c7a46322fbc512b2512bcd7210f91dc8f323f2e7bee703c421556bf0d5ec";

        fn check_with(
            secret: &str,
            header: &str,
            body: &[u8],
            now: i64,
        ) -> Result<Verified, AuthError> {
            run(
                HmacPreset::Stripe,
                secret,
                None,
                &[("Stripe-Signature", header)],
                body,
                now,
            )
        }

        fn check(header: &str, body: &[u8], now: i64) -> Result<Verified, AuthError> {
            check_with(SECRET, header, body, now)
        }

        fn valid_header() -> String {
            format!("t={TS},v1={V1}")
        }

        #[test]
        fn the_independently_computed_signature_verifies() {
            let message = [format!("{TS}.").as_bytes(), BODY].concat();
            assert_eq!(independent_hex(SECRET.as_bytes(), &message), V1);
            let v = check(&valid_header(), BODY, TS).unwrap();
            assert_eq!(v.message_id.as_deref(), Some("stripe:evt_1"));
            assert!(v.replay_key.unwrap().starts_with("stripe:1700000000:"));
        }

        #[test]
        fn a_stripe_event_signed_again_later_keeps_its_event_id_as_message_id() {
            let body = br#"{"id":"evt_1Nx","object":"event","type":"invoice.paid"}"#;
            let at = |t: i64| {
                let message = [format!("{t}.").as_bytes(), &body[..]].concat();
                let v1 = independent_hex(SECRET.as_bytes(), &message);
                check(&format!("t={t},v1={v1}"), body, t).unwrap()
            };
            let (first, retry) = (at(TS), at(TS + 3600));
            assert_eq!(first.message_id.as_deref(), Some("stripe:evt_1Nx"));
            assert_eq!(first.message_id, retry.message_id);
            assert_ne!(first.replay_key, retry.replay_key);
        }

        #[test]
        fn one_valid_v1_among_several_is_enough_and_v0_is_ignored() {
            let wrong = "0".repeat(64);
            let header = format!("t={TS}, v1={wrong}, v1={V1}, v0={wrong}");
            assert!(check(&header, BODY, TS).is_ok());
            let only_v0 = format!("t={TS},v0={V1}");
            assert_eq!(
                check(&only_v0, BODY, TS),
                Err(AuthError::MalformedHeader {
                    header: "stripe-signature".into(),
                    problem: "no v1 signature"
                })
            );
        }

        #[test]
        fn a_body_changed_by_one_byte_is_rejected() {
            let mut body = BODY.to_vec();
            body[7] ^= 1;
            assert_eq!(
                check(&valid_header(), &body, TS),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn a_signature_made_with_another_secret_is_rejected() {
            assert_eq!(
                check_with("whsec_another_secret_0123456789", &valid_header(), BODY, TS),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn a_changed_timestamp_is_rejected() {
            let header = format!("t={},v1={V1}", TS + 1);
            assert_eq!(check(&header, BODY, TS), Err(AuthError::SignatureMismatch));
        }

        #[test]
        fn timestamps_299_seconds_away_pass_and_301_seconds_away_fail() {
            for skew in [299, -299, 300, -300] {
                assert!(
                    check(&valid_header(), BODY, TS + skew).is_ok(),
                    "skew {skew}"
                );
            }
            for skew in [301, -301] {
                assert_eq!(
                    check(&valid_header(), BODY, TS + skew),
                    Err(AuthError::TimestampOutOfTolerance { skew_seconds: skew })
                );
            }
        }

        #[test]
        fn a_missing_header_or_timestamp_is_refused() {
            let err = run(HmacPreset::Stripe, SECRET, None, &[], BODY, TS);
            assert_eq!(
                err,
                Err(AuthError::MissingHeader("stripe-signature".into()))
            );
            let no_t = format!("v1={V1}");
            assert_eq!(
                check(&no_t, BODY, TS),
                Err(AuthError::MalformedHeader {
                    header: "stripe-signature".into(),
                    problem: "no timestamp (t=)"
                })
            );
            let two_t = format!("t={TS},t={},v1={V1}", TS + 1);
            assert!(matches!(
                check(&two_t, BODY, TS),
                Err(AuthError::MalformedHeader { .. })
            ));
        }

        #[test]
        fn empty_truncated_and_extended_signatures_never_match() {
            let extended = format!("{V1}00");
            for v1 in ["", &V1[..62], &V1[..63], &V1[..32], "zz", &extended] {
                let header = format!("t={TS},v1={v1}");
                assert_eq!(
                    check(&header, BODY, TS),
                    Err(AuthError::SignatureMismatch),
                    "{v1}"
                );
            }
        }

        #[test]
        fn uppercase_hex_is_accepted() {
            let header = format!("t={TS},v1={}", V1.to_uppercase());
            assert!(check(&header, BODY, TS).is_ok());
        }
    }

    mod github {
        use super::*;

        // The example in GitHub's documentation on validating webhook deliveries.
        const SECRET: &str = "It's a Secret to Everybody";
        const BODY: &[u8] = b"Hello, World!";
        const SIGNATURE: &str =
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        const NOW: i64 = 1_700_000_000;

        fn check_with(secret: &str, signature: &str, body: &[u8]) -> Result<Verified, AuthError> {
            run(
                HmacPreset::Github,
                secret,
                None,
                &[("X-Hub-Signature-256", signature)],
                body,
                NOW,
            )
        }

        fn check(signature: &str, body: &[u8]) -> Result<Verified, AuthError> {
            check_with(SECRET, signature, body)
        }

        #[test]
        fn the_documented_example_verifies() {
            let independent = format!("sha256={}", independent_hex(SECRET.as_bytes(), BODY));
            assert_eq!(independent, SIGNATURE);
            assert_eq!(check(SIGNATURE, BODY), Ok(Verified::default()));
        }

        #[test]
        fn a_body_changed_by_one_byte_is_rejected() {
            assert_eq!(
                check(SIGNATURE, b"Hello, World?"),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn a_signature_made_with_another_secret_is_rejected() {
            assert_eq!(
                check_with("It's a Secret to Everybody!", SIGNATURE, BODY),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn a_missing_header_or_prefix_is_refused() {
            let err = run(HmacPreset::Github, SECRET, None, &[], BODY, NOW);
            assert_eq!(
                err,
                Err(AuthError::MissingHeader("x-hub-signature-256".into()))
            );
            let bare = SIGNATURE.strip_prefix("sha256=").unwrap();
            assert!(matches!(
                check(bare, BODY),
                Err(AuthError::MalformedHeader { .. })
            ));
            let sha1 = format!("sha1={bare}");
            assert!(matches!(
                check(&sha1, BODY),
                Err(AuthError::MalformedHeader { .. })
            ));
        }

        #[test]
        fn empty_truncated_and_extended_signatures_never_match() {
            let extended = format!("{SIGNATURE}00");
            for signature in [
                "sha256=",
                &SIGNATURE[..SIGNATURE.len() - 2],
                &SIGNATURE[..SIGNATURE.len() - 1],
                &extended,
            ] {
                assert_eq!(
                    check(signature, BODY),
                    Err(AuthError::SignatureMismatch),
                    "{signature}"
                );
            }
        }

        #[test]
        fn github_signatures_carry_no_timestamp_so_replays_cannot_be_detected() {
            // The same request verifies again and gives nothing to tell it from a new one (the
            // server falls back to `X-GitHub-Delivery`, see `intake`).
            for _ in 0..2 {
                let v = check_with(SECRET, SIGNATURE, BODY).unwrap();
                assert_eq!((v.message_id, v.replay_key), (None, None));
            }
        }
    }

    mod generic {
        use super::*;

        const SECRET: &str = "generic-secret-0123456789";
        const BODY: &[u8] = br#"{"hello":"world"}"#;
        // Computed independently with Python's hmac module.
        const HEX: &str = "5cfd11aceb53f786cb6dd9825d873fec3616acd2bcf907acda30fb2ccf27af71";

        fn check_in(
            header: Option<&str>,
            request: &[(&str, &str)],
            secret: &str,
            body: &[u8],
        ) -> Result<Verified, AuthError> {
            run(HmacPreset::Generic, secret, header, request, body, 0)
        }

        fn check(signature: &str, body: &[u8]) -> Result<Verified, AuthError> {
            check_in(None, &[("X-Signature", signature)], SECRET, body)
        }

        #[test]
        fn bare_hex_or_sha256_prefixed_hex_of_the_body_verifies() {
            assert_eq!(independent_hex(SECRET.as_bytes(), BODY), HEX);
            assert!(check(HEX, BODY).is_ok());
            assert!(check(&format!("sha256={HEX}"), BODY).is_ok());
            assert!(check(&format!("SHA256={}", HEX.to_uppercase()), BODY).is_ok());
        }

        #[test]
        fn the_signature_header_can_be_renamed() {
            let request = [("X-Shop-Signature", HEX)];
            assert!(check_in(Some("X-Shop-Signature"), &request, SECRET, BODY).is_ok());
            assert_eq!(
                check_in(None, &request, SECRET, BODY),
                Err(AuthError::MissingHeader("x-signature".into()))
            );
            assert_eq!(
                check_in(Some("X-Other"), &request, SECRET, BODY),
                Err(AuthError::MissingHeader("x-other".into()))
            );
        }

        #[test]
        fn a_body_changed_by_one_byte_or_another_secret_is_rejected() {
            assert_eq!(
                check(HEX, br#"{"hello":"worle"}"#),
                Err(AuthError::SignatureMismatch)
            );
            assert_eq!(
                check_in(
                    None,
                    &[("x-signature", HEX)],
                    "generic-secret-0123456780",
                    BODY
                ),
                Err(AuthError::SignatureMismatch)
            );
        }

        #[test]
        fn empty_truncated_and_extended_signatures_never_match() {
            let extended = format!("{HEX}00");
            for signature in [
                "sha256=",
                "00",
                &HEX[..62],
                &HEX[..63],
                &HEX[1..],
                &extended,
            ] {
                assert_eq!(
                    check(signature, BODY),
                    Err(AuthError::SignatureMismatch),
                    "{signature}"
                );
            }
        }
    }

    mod signing {
        use super::*;

        const BODY: &[u8] = br#"{"n":1}"#;

        fn verifies(
            preset: HmacPreset,
            secret: &str,
            signed: &[(&'static str, String)],
            now: i64,
        ) -> bool {
            let request: Vec<_> = signed.iter().map(|(k, v)| (*k, v.as_str())).collect();
            run(preset, secret, None, &request, BODY, now).is_ok()
        }

        #[test]
        fn sign_makes_headers_each_preset_verifies() {
            let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            for preset in [
                HmacPreset::StandardWebhooks,
                HmacPreset::Stripe,
                HmacPreset::Github,
                HmacPreset::Generic,
            ] {
                let signed = sign(preset, secret, "msg_1", 1_700_000_000, BODY).unwrap();
                assert!(
                    verifies(preset, secret, &signed, 1_700_000_100),
                    "{preset:?}"
                );
            }
        }

        #[test]
        fn sign_matches_independently_computed_signatures() {
            let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
            let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let sw = sign(HmacPreset::StandardWebhooks, secret, "msg_1", 42, BODY).unwrap();
            let expected = STANDARD.encode(independent(&key, br#"msg_1.42.{"n":1}"#));
            assert_eq!(
                sw,
                vec![
                    ("webhook-id", "msg_1".to_string()),
                    ("webhook-timestamp", "42".to_string()),
                    ("webhook-signature", format!("v1,{expected}")),
                ]
            );
            let raw = secret.as_bytes();
            let stripe = sign(HmacPreset::Stripe, secret, "ignored", 42, BODY).unwrap();
            let expected = independent_hex(raw, br#"42.{"n":1}"#);
            assert_eq!(
                stripe,
                vec![("stripe-signature", format!("t=42,v1={expected}"))]
            );
            let github = sign(HmacPreset::Github, secret, "", 0, BODY).unwrap();
            let expected = independent_hex(raw, BODY);
            assert_eq!(
                github,
                vec![("x-hub-signature-256", format!("sha256={expected}"))]
            );
            let generic = sign(HmacPreset::Generic, secret, "", 0, BODY).unwrap();
            assert_eq!(generic, vec![("x-signature", format!("sha256={expected}"))]);
        }

        #[test]
        fn sign_refuses_an_undecodable_whsec_secret() {
            let err = sign(HmacPreset::StandardWebhooks, "whsec_***", "m", 0, BODY).unwrap_err();
            assert_eq!(
                err,
                "the secret starts with `whsec_` but the rest is not base64"
            );
        }
    }
}

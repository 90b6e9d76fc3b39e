//! Webhook authentication: checking a request against its trigger's `auth` and the stored
//! credential it names.
//!
//! - `none`: every request passes.
//! - `header`: the header `auth.header` (default `authorization`) must hold the credential's
//!   secret exactly; for `authorization`, `Bearer <secret>` is accepted too. The credential is a
//!   `secret` (`value`) or a `bearer` (`token`).
//! - `basic`: `Authorization: Basic base64(user:password)`. With a `basic` credential both the
//!   user name and the password must match; with a `secret` credential the password must be the
//!   secret and **any user name** is accepted.
//! - `hmac`: a signature by one of the presets, see [`crate::signature`].
//!
//! Errors never say which part was wrong to the caller: every [`AuthError`] but one displays as
//! `unauthorized`; [`AuthError::reason`] gives the detail for the server's log. No error or
//! reason contains a secret or an expected signature.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use engine::credentials::Credential;
use engine::model::{AuthKind, HmacPreset, WebhookAuth};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::signature;

/// Shortest accepted `header` token, in characters.
pub const MIN_TOKEN_CHARS: usize = 16;

/// A request that passed authentication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    /// The sender's id of the message when the signature covers one (Standard Webhooks:
    /// `webhook-id`); the same across the sender's retries of one message.
    pub message_id: Option<String>,
    /// What identifies this signed request, for a replay of it to start nothing (Standard
    /// Webhooks: `standard-webhooks:{webhook-id}`; Stripe: `stripe:{t}:{sha256 of the valid
    /// v1}`); `None` for schemes that cannot tell a replay from a new message (`none`,
    /// `header`, `basic`, GitHub, generic). The server enforces it as the idempotency key of
    /// last resort (see [`crate::Accepted::idempotency_key`]).
    pub replay_key: Option<String>,
}

/// Why a webhook request was refused. The `Display` text is safe to send to the caller;
/// [`AuthError::reason`] is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A header the scheme needs is absent (its lower-case name).
    #[error("unauthorized")]
    MissingHeader(String),
    /// A header is present but not in the scheme's form (appears twice, not text, no `t=`, …).
    #[error("unauthorized")]
    MalformedHeader {
        header: String,
        problem: &'static str,
    },
    /// A `header` token or `basic` user/password that does not match.
    #[error("unauthorized")]
    WrongCredentials,
    /// The signed timestamp is more than [`signature::TOLERANCE_SECONDS`] away from now;
    /// `skew_seconds` = now − timestamp.
    #[error("unauthorized")]
    TimestampOutOfTolerance { skew_seconds: i64 },
    /// No signature in the request is the one the secret gives.
    #[error("unauthorized")]
    SignatureMismatch,
    /// The trigger's auth cannot be checked: no credential, a credential of the wrong kind, a
    /// secret too short, no preset. The request is refused; the operator must fix the workflow.
    #[error("webhook authentication is misconfigured")]
    Misconfigured(String),
}

impl AuthError {
    /// 401 for a request that fails authentication, 500 for a trigger whose auth is
    /// misconfigured (the server still answers 401, and logs it as an error).
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::Misconfigured(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// What exactly failed, for the server's log (never for the response).
    pub fn reason(&self) -> String {
        match self {
            AuthError::MissingHeader(h) => format!("missing header {h}"),
            AuthError::MalformedHeader { header, problem } => {
                format!("malformed header {header}: {problem}")
            }
            AuthError::WrongCredentials => "credentials do not match".to_string(),
            AuthError::TimestampOutOfTolerance { skew_seconds } => format!(
                "timestamp outside tolerance of {} s ({} s {})",
                signature::TOLERANCE_SECONDS,
                skew_seconds.unsigned_abs(),
                if *skew_seconds < 0 {
                    "in the future"
                } else {
                    "in the past"
                }
            ),
            AuthError::SignatureMismatch => "no signature matches".to_string(),
            AuthError::Misconfigured(m) => format!("misconfigured: {m}"),
        }
    }
}

/// Checks a request's authentication.
///
/// `credential` is the stored credential named by `auth.credential` (`None` if there is none);
/// `body` must be the raw bytes as received (empty for `header` and `basic`, which are checked
/// before the body is read); `now` is the time to check signed timestamps against. Replays are
/// not refused here: the server deduplicates by [`Verified::message_id`] and
/// [`Verified::replay_key`] as idempotency keys (see [`crate::intake`]).
pub fn verify_signature(
    auth: &WebhookAuth,
    credential: Option<&Credential>,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, AuthError> {
    match auth.kind {
        AuthKind::None => Ok(Verified::default()),
        AuthKind::Header => {
            let token = token(auth, credential).map_err(AuthError::Misconfigured)?;
            verify_header(auth, token, headers)
        }
        AuthKind::Basic => {
            let (user, password) = basic(auth, credential).map_err(AuthError::Misconfigured)?;
            verify_basic(user, password, headers)
        }
        AuthKind::Hmac => {
            let preset = preset(auth).map_err(AuthError::Misconfigured)?;
            let key = hmac_key(auth, preset, credential).map_err(AuthError::Misconfigured)?;
            signature::verify(preset, &key, auth.header.as_deref(), headers, body, now)
        }
    }
}

/// Whether a trigger's auth can be checked with this credential, for the server to call when a
/// workflow is saved (and before serving it): the credential exists and is of a usable kind,
/// HMAC secrets have at least [`signature::MIN_SECRET_BYTES`] bytes (after `whsec_` base64
/// decoding for Standard Webhooks), `header` tokens at least [`MIN_TOKEN_CHARS`] characters,
/// `basic` passwords are not empty, header names are valid. The message names the credential and
/// never contains the secret.
pub fn check_secret(auth: &WebhookAuth, credential: Option<&Credential>) -> Result<(), String> {
    if let Some(h) = &auth.header
        && HeaderName::from_bytes(h.as_bytes()).is_err()
    {
        return Err(format!("`{h}` is not a valid header name"));
    }
    match auth.kind {
        AuthKind::None => Ok(()),
        AuthKind::Header => token(auth, credential).map(drop),
        AuthKind::Basic => basic(auth, credential).map(drop),
        AuthKind::Hmac => {
            let preset = preset(auth)?;
            hmac_key(auth, preset, credential).map(drop)
        }
    }
}

/// The one value of header `name`: absent → [`AuthError::MissingHeader`]; present more than
/// once or not visible ASCII → [`AuthError::MalformedHeader`].
pub(crate) fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, AuthError> {
    let mut values = headers.get_all(name).iter();
    let malformed = |problem| AuthError::MalformedHeader {
        header: name.to_string(),
        problem,
    };
    let value = values
        .next()
        .ok_or_else(|| AuthError::MissingHeader(name.to_string()))?;
    if values.next().is_some() {
        return Err(malformed("appears more than once"));
    }
    let value = value
        .to_str()
        .map_err(|_| malformed("not visible ASCII"))?
        .trim();
    if value.is_empty() {
        return Err(malformed("empty"));
    }
    Ok(value)
}

/// Compares two byte strings in constant time, also hiding their lengths (both are hashed).
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(given)
        .as_slice()
        .ct_eq(Sha256::digest(expected).as_slice())
        .into()
}

fn credential<'c>(
    auth: &WebhookAuth,
    credential: Option<&'c Credential>,
) -> Result<&'c Credential, String> {
    let kind = kind_name(auth.kind);
    match (&auth.credential, credential) {
        (None, _) => Err(format!(
            "auth type `{kind}` needs `credential`: the name of a stored credential"
        )),
        (Some(name), None) => Err(format!("credential `{name}` does not exist")),
        (Some(_), Some(c)) => Ok(c),
    }
}

fn wrong_kind(auth: &WebhookAuth, found: &Credential, expected: &str) -> String {
    format!(
        "credential `{}` is a {} credential; auth type `{}` needs {expected}",
        auth.credential.as_deref().unwrap_or_default(),
        found.kind(),
        kind_name(auth.kind),
    )
}

fn kind_name(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::None => "none",
        AuthKind::Header => "header",
        AuthKind::Basic => "basic",
        AuthKind::Hmac => "hmac",
    }
}

fn token<'c>(auth: &WebhookAuth, c: Option<&'c Credential>) -> Result<&'c str, String> {
    let token = match credential(auth, c)? {
        Credential::Secret { value } => value,
        Credential::Bearer { token } => token,
        other => return Err(wrong_kind(auth, other, "a secret or bearer credential")),
    };
    if token.chars().count() < MIN_TOKEN_CHARS {
        return Err(format!(
            "the token of credential `{}` is shorter than {MIN_TOKEN_CHARS} characters",
            auth.credential.as_deref().unwrap_or_default()
        ));
    }
    Ok(token)
}

fn basic<'c>(
    auth: &WebhookAuth,
    c: Option<&'c Credential>,
) -> Result<(Option<&'c str>, &'c str), String> {
    let (user, password) = match credential(auth, c)? {
        Credential::Basic { username, password } => (Some(username.as_str()), password),
        Credential::Secret { value } => (None, value),
        other => return Err(wrong_kind(auth, other, "a basic or secret credential")),
    };
    if password.is_empty() {
        return Err(format!(
            "the password of credential `{}` is empty",
            auth.credential.as_deref().unwrap_or_default()
        ));
    }
    Ok((user, password))
}

fn preset(auth: &WebhookAuth) -> Result<HmacPreset, String> {
    auth.preset.ok_or_else(|| {
        "auth type `hmac` needs `preset`: standard-webhooks, stripe, github or generic".to_string()
    })
}

fn hmac_key(
    auth: &WebhookAuth,
    preset: HmacPreset,
    c: Option<&Credential>,
) -> Result<Vec<u8>, String> {
    let name = auth.credential.as_deref().unwrap_or_default();
    let secret = match credential(auth, c)? {
        Credential::Secret { value } => value,
        other => return Err(wrong_kind(auth, other, "a secret credential")),
    };
    let key = signature::key(preset, secret)
        .map_err(|problem| format!("the secret of credential `{name}` {problem}"))?;
    if key.len() < signature::MIN_SECRET_BYTES {
        return Err(format!(
            "the secret of credential `{name}` is shorter than {} bytes",
            signature::MIN_SECRET_BYTES
        ));
    }
    Ok(key)
}

fn verify_header(
    auth: &WebhookAuth,
    token: &str,
    headers: &HeaderMap,
) -> Result<Verified, AuthError> {
    let name = auth
        .header
        .as_deref()
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| AUTHORIZATION.as_str().to_string());
    let value = single(headers, &name)?;
    let mut ok = same_secret(value.as_bytes(), token.as_bytes());
    if name == AUTHORIZATION.as_str()
        && let Some((scheme, rest)) = value.split_once(' ')
        && scheme.eq_ignore_ascii_case("bearer")
    {
        ok |= same_secret(rest.trim().as_bytes(), token.as_bytes());
    }
    if ok {
        Ok(Verified::default())
    } else {
        Err(AuthError::WrongCredentials)
    }
}

fn verify_basic(
    user: Option<&str>,
    password: &str,
    headers: &HeaderMap,
) -> Result<Verified, AuthError> {
    let name = AUTHORIZATION.as_str();
    let malformed = |problem| AuthError::MalformedHeader {
        header: name.to_string(),
        problem,
    };
    let value = single(headers, name)?;
    let encoded = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
        _ => return Err(malformed("not the Basic scheme")),
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| malformed("not base64"))?;
    let colon = decoded
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| malformed("no `:` between user and password"))?;
    let (given_user, given_password) = (&decoded[..colon], &decoded[colon + 1..]);
    let user_ok = user.is_none_or(|u| same_secret(given_user, u.as_bytes()));
    let password_ok = same_secret(given_password, password.as_bytes());
    if user_ok & password_ok {
        Ok(Verified::default())
    } else {
        Err(AuthError::WrongCredentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::headers;

    const TOKEN: &str = "tok_0123456789abcdef";

    fn auth(kind: AuthKind, header: Option<&str>) -> WebhookAuth {
        WebhookAuth {
            kind,
            preset: None,
            credential: Some("hook-token".into()),
            header: header.map(Into::into),
        }
    }

    fn secret(value: &str) -> Credential {
        Credential::Secret {
            value: value.into(),
        }
    }

    fn check(
        auth: &WebhookAuth,
        credential: &Credential,
        request: &[(&str, &str)],
    ) -> Result<Verified, AuthError> {
        verify_signature(auth, Some(credential), &headers(request), b"{}", Utc::now())
    }

    fn basic_header(user: &str, password: &str) -> String {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}")
    }

    #[test]
    fn auth_none_lets_every_request_through() {
        let none = WebhookAuth {
            kind: AuthKind::None,
            preset: None,
            credential: None,
            header: None,
        };
        let v = verify_signature(&none, None, &HeaderMap::new(), b"", Utc::now());
        assert_eq!(v, Ok(Verified::default()));
        assert_eq!(check_secret(&none, None), Ok(()));
    }

    #[test]
    fn a_bearer_token_or_the_raw_secret_in_authorization_is_accepted() {
        let a = auth(AuthKind::Header, None);
        let bearer = format!("Bearer {TOKEN}");
        let lower = format!("bearer {TOKEN}");
        assert!(check(&a, &secret(TOKEN), &[("Authorization", &bearer)]).is_ok());
        assert!(check(&a, &secret(TOKEN), &[("Authorization", &lower)]).is_ok());
        assert!(check(&a, &secret(TOKEN), &[("Authorization", TOKEN)]).is_ok());
        let bearer_credential = Credential::Bearer {
            token: TOKEN.into(),
        };
        assert!(check(&a, &bearer_credential, &[("Authorization", &bearer)]).is_ok());
    }

    #[test]
    fn a_wrong_or_missing_token_is_unauthorized() {
        let a = auth(AuthKind::Header, None);
        let wrong = check(
            &a,
            &secret(TOKEN),
            &[("Authorization", "Bearer tok_0123456789abcdeX")],
        );
        assert_eq!(wrong, Err(AuthError::WrongCredentials));
        let prefix = check(&a, &secret(TOKEN), &[("Authorization", "Bearer tok_0123")]);
        assert_eq!(prefix, Err(AuthError::WrongCredentials));
        let basic_scheme = format!("Basic {TOKEN}");
        let other_scheme = check(&a, &secret(TOKEN), &[("Authorization", &basic_scheme)]);
        assert_eq!(other_scheme, Err(AuthError::WrongCredentials));
        let missing = check(&a, &secret(TOKEN), &[]).unwrap_err();
        assert_eq!(missing, AuthError::MissingHeader("authorization".into()));
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(missing.to_string(), "unauthorized");
        assert_eq!(missing.reason(), "missing header authorization");
    }

    #[test]
    fn a_custom_header_must_hold_exactly_the_secret() {
        let a = auth(AuthKind::Header, Some("X-Api-Key"));
        assert!(check(&a, &secret(TOKEN), &[("x-api-key", TOKEN)]).is_ok());
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(
            check(&a, &secret(TOKEN), &[("x-api-key", &bearer)]),
            Err(AuthError::WrongCredentials)
        );
        let twice = check(
            &a,
            &secret(TOKEN),
            &[("x-api-key", TOKEN), ("x-api-key", TOKEN)],
        );
        assert!(
            matches!(twice, Err(AuthError::MalformedHeader { .. })),
            "{twice:?}"
        );
    }

    #[test]
    fn basic_auth_checks_user_and_password_of_a_basic_credential() {
        let a = auth(AuthKind::Basic, None);
        let c = Credential::Basic {
            username: "shop".into(),
            password: "pa:ss w0rd".into(),
        };
        let good = basic_header("shop", "pa:ss w0rd");
        assert!(check(&a, &c, &[("authorization", &good)]).is_ok());
        let wrong_user = basic_header("shoq", "pa:ss w0rd");
        assert_eq!(
            check(&a, &c, &[("authorization", &wrong_user)]),
            Err(AuthError::WrongCredentials)
        );
        let wrong_password = basic_header("shop", "pa:ss w0rD");
        assert_eq!(
            check(&a, &c, &[("authorization", &wrong_password)]),
            Err(AuthError::WrongCredentials)
        );
        let bearer = check(&a, &c, &[("authorization", "Bearer x")]);
        assert!(
            matches!(bearer, Err(AuthError::MalformedHeader { .. })),
            "{bearer:?}"
        );
        let not_base64 = check(&a, &c, &[("authorization", "Basic %%%")]);
        assert!(matches!(not_base64, Err(AuthError::MalformedHeader { .. })));
        let no_colon = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("shop")
        );
        let no_colon = check(&a, &c, &[("authorization", &no_colon)]);
        assert!(matches!(no_colon, Err(AuthError::MalformedHeader { .. })));
    }

    #[test]
    fn basic_auth_with_a_secret_credential_accepts_any_user_with_the_secret_as_password() {
        let a = auth(AuthKind::Basic, None);
        let anyone = basic_header("anyone", TOKEN);
        assert!(check(&a, &secret(TOKEN), &[("authorization", &anyone)]).is_ok());
        let no_user = basic_header("", TOKEN);
        assert!(check(&a, &secret(TOKEN), &[("authorization", &no_user)]).is_ok());
        let wrong = basic_header("anyone", "nope");
        assert_eq!(
            check(&a, &secret(TOKEN), &[("authorization", &wrong)]),
            Err(AuthError::WrongCredentials)
        );
    }

    #[test]
    fn a_missing_or_unusable_credential_is_a_misconfiguration_not_a_pass() {
        let a = auth(AuthKind::Header, None);
        let bearer = format!("Bearer {TOKEN}");
        let h = headers(&[("authorization", &bearer)]);
        let err = verify_signature(&a, None, &h, b"", Utc::now()).unwrap_err();
        assert_eq!(
            err,
            AuthError::Misconfigured("credential `hook-token` does not exist".into())
        );
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.to_string(), "webhook authentication is misconfigured");
        let short = check(&a, &secret("short"), &[("authorization", "Bearer short")]);
        assert!(
            matches!(short, Err(AuthError::Misconfigured(_))),
            "{short:?}"
        );
    }

    #[test]
    fn check_secret_names_the_missing_credential() {
        let a = auth(AuthKind::Hmac, None);
        let mut with_preset = a.clone();
        with_preset.preset = Some(HmacPreset::Github);
        assert_eq!(
            check_secret(&with_preset, None),
            Err("credential `hook-token` does not exist".into())
        );
        let mut unnamed = with_preset.clone();
        unnamed.credential = None;
        assert_eq!(
            check_secret(&unnamed, None),
            Err("auth type `hmac` needs `credential`: the name of a stored credential".into())
        );
        assert!(
            check_secret(&a, Some(&secret(TOKEN)))
                .unwrap_err()
                .contains("preset")
        );
    }

    #[test]
    fn check_secret_refuses_short_secrets_and_tokens_without_showing_them() {
        let mut hmac = auth(AuthKind::Hmac, None);
        hmac.preset = Some(HmacPreset::Generic);
        assert_eq!(
            check_secret(&hmac, Some(&secret("0123456789abcdef"))),
            Ok(())
        );
        let err = check_secret(&hmac, Some(&secret("0123456789abcde"))).unwrap_err();
        assert_eq!(
            err,
            "the secret of credential `hook-token` is shorter than 16 bytes"
        );
        assert_eq!(check_secret(&hmac, Some(&secret(""))), Err(err));

        hmac.preset = Some(HmacPreset::StandardWebhooks);
        // `whsec_` + base64 of 15 bytes: long as text, too short once decoded.
        let fifteen = "whsec_MDEyMzQ1Njc4OWFiY2Rl";
        assert!(check_secret(&hmac, Some(&secret(fifteen))).is_err());
        let sixteen = "whsec_MDEyMzQ1Njc4OWFiY2RlZg==";
        assert_eq!(check_secret(&hmac, Some(&secret(sixteen))), Ok(()));
        let not_base64 =
            check_secret(&hmac, Some(&secret("whsec_!!not-base64!!!!!!"))).unwrap_err();
        assert!(not_base64.contains("base64"), "{not_base64}");
        assert!(!not_base64.contains("!!not"), "{not_base64}");

        let header = auth(AuthKind::Header, None);
        assert!(check_secret(&header, Some(&secret("fifteen-chars-x"))).is_err());
        assert_eq!(
            check_secret(&header, Some(&secret("sixteen-chars-xx"))),
            Ok(())
        );

        let basic = auth(AuthKind::Basic, None);
        let empty = Credential::Basic {
            username: "u".into(),
            password: String::new(),
        };
        assert!(check_secret(&basic, Some(&empty)).is_err());
    }

    #[test]
    fn check_secret_refuses_credentials_of_the_wrong_kind_and_bad_header_names() {
        let mut hmac = auth(AuthKind::Hmac, None);
        hmac.preset = Some(HmacPreset::Stripe);
        let bearer = Credential::Bearer {
            token: TOKEN.into(),
        };
        assert_eq!(
            check_secret(&hmac, Some(&bearer)),
            Err("credential `hook-token` is a bearer credential; auth type `hmac` needs a secret credential".into())
        );
        let bad_name = auth(AuthKind::Header, Some("x api key"));
        assert!(check_secret(&bad_name, Some(&secret(TOKEN))).is_err());
    }

    #[test]
    fn reasons_are_specific_but_responses_are_not() {
        let errors = [
            AuthError::MissingHeader("webhook-signature".into()),
            AuthError::MalformedHeader {
                header: "stripe-signature".into(),
                problem: "no timestamp (t=)",
            },
            AuthError::WrongCredentials,
            AuthError::TimestampOutOfTolerance { skew_seconds: -301 },
            AuthError::SignatureMismatch,
        ];
        for e in &errors {
            assert_eq!(e.to_string(), "unauthorized");
            assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(
            errors[3].reason(),
            "timestamp outside tolerance of 300 s (301 s in the future)"
        );
        assert_eq!(
            errors[1].reason(),
            "malformed header stripe-signature: no timestamp (t=)"
        );
    }
}

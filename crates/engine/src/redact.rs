//! Hiding secrets in what an action returns: an API may echo the token it was sent (an
//! `/echo` endpoint, an error page quoting the request), and a step's output and errors are
//! stored and shown. [`Secrets`] replaces each secret by [`MASK`] in text and in JSON.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::Value;

use crate::credentials::Credential;

/// What a secret becomes.
pub const MASK: &str = "***";

/// Secrets shorter than this are not looked for: replacing every `ab` in an answer would shred
/// it, and so short a secret protects nothing anyway.
pub const MIN_SECRET_LEN: usize = 4;

/// The secret strings to hide, longest first (so that a secret holding another is hidden
/// whole).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// Adds `secret`, unless it is shorter than [`MIN_SECRET_LEN`] or already there.
    pub fn add(&mut self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.chars().count() < MIN_SECRET_LEN || self.0.contains(&secret) {
            return;
        }
        let at = self.0.partition_point(|s| s.len() >= secret.len());
        self.0.insert(at, secret);
    }

    /// Adds what `credential` holds ([`Credential::secrets`]) and the forms of it that travel
    /// on the wire: for `basic`, `base64(username:password)` (so a `Basic …` value shows as
    /// `Basic ***`); a bearer token is masked in `Bearer …` as it is.
    pub fn add_credential(&mut self, credential: &Credential) {
        for secret in credential.secrets() {
            self.add(secret);
        }
        if let Credential::Basic { username, password } = credential {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            self.add(encoded);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `text` holds one of the secrets.
    pub fn found_in(&self, text: &str) -> bool {
        self.0.iter().any(|s| text.contains(s.as_str()))
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.found_in(text) {
            return Cow::Borrowed(text);
        }
        let mut text = text.to_string();
        for secret in &self.0 {
            text = text.replace(secret.as_str(), MASK);
        }
        Cow::Owned(text)
    }

    /// Scrubs every string value of `value` and every key, at any depth.
    pub fn scrub_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        // Keys are matched without regard to ASCII case (header names arrive lower-cased).
        let lowered: Vec<String> = self.0.iter().map(|s| s.to_ascii_lowercase()).collect();
        self.scrub_value(value, &lowered);
    }

    fn scrub_value(&self, value: &mut Value, lowered: &[String]) {
        match value {
            Value::String(text) => {
                if let Cow::Owned(scrubbed) = self.scrub(text) {
                    *text = scrubbed;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_value(v, lowered)),
            Value::Object(fields) => {
                fields
                    .values_mut()
                    .for_each(|v| self.scrub_value(v, lowered));
                // A secret may be a key too (`{"sessions": {"<token>": …}}`).
                if fields.keys().any(|k| key_holds(k, lowered)) {
                    for (key, v) in std::mem::take(fields) {
                        let key = if key_holds(&key, lowered) {
                            scrub_key(key, lowered)
                        } else {
                            key
                        };
                        fields.insert(key, v);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// `key`, lower-cased only when it has ASCII capitals (most keys are borrowed as they are).
fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

fn key_holds(key: &str, lowered: &[String]) -> bool {
    let key = lower(key);
    lowered.iter().any(|s| key.contains(s.as_str()))
}

/// `key` with every secret (`lowered`, longest first) masked; ASCII lower-casing keeps the
/// byte offsets, so a match in the lower-cased key is the same range in the key.
fn scrub_key(mut key: String, lowered: &[String]) -> String {
    for secret in lowered {
        while let Some(at) = lower(&key).find(secret.as_str()) {
            key.replace_range(at..at + secret.len(), MASK);
        }
    }
    key
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} <redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_masked_in_text_and_in_json_strings_at_any_depth() {
        let mut secrets = Secrets::default();
        secrets.add_credential(&Credential::Bearer {
            token: "t0ken-123".into(),
        });
        assert_eq!(secrets.scrub("Bearer t0ken-123!"), "Bearer ***!");
        assert!(matches!(secrets.scrub("nothing here"), Cow::Borrowed(_)));
        let mut value = json!({
            "headers": {"authorization": "Bearer t0ken-123"},
            "list": [1, "t0ken-123t0ken-123", null],
            "t0ken-123": true,
        });
        secrets.scrub_json(&mut value);
        assert_eq!(
            value,
            json!({
                "headers": {"authorization": "Bearer ***"},
                "list": [1, "******", null],
                "***": true,
            })
        );
        // Keys too, and a header named after the token arrives lower-cased.
        let mut secrets = Secrets::default();
        secrets.add("Sess-KEY-777");
        let mut value =
            json!({"sessions": {"Sess-KEY-777": {"ok": true}}, "x-sess-key-777-id": "1"});
        secrets.scrub_json(&mut value);
        assert_eq!(
            value,
            json!({"sessions": {"***": {"ok": true}}, "x-***-id": "1"})
        );
    }

    #[test]
    fn basic_credentials_are_masked_in_their_base64_form_too() {
        let mut secrets = Secrets::default();
        secrets.add_credential(&Credential::Basic {
            username: "alice".into(),
            password: "s3cret".into(),
        });
        // base64("alice:s3cret")
        assert_eq!(
            secrets.scrub("got Basic YWxpY2U6czNjcmV0 and YWxpY2U6czNjcmV0 for alice:s3cret"),
            "got Basic *** and *** for alice:***"
        );
    }

    #[test]
    fn secrets_shorter_than_four_characters_are_not_looked_for() {
        let mut secrets = Secrets::default();
        secrets.add("abc");
        secrets.add("");
        assert!(secrets.is_empty());
        assert_eq!(secrets.scrub("abcabc"), "abcabc");
        secrets.add("abcd");
        assert_eq!(secrets.scrub("abcde"), "***e");
        assert_eq!(format!("{secrets:?}"), "Secrets(1 <redacted>)");
    }
}

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

    fn found_in_key(&self, key: &str) -> bool {
        let lower = key.to_lowercase();
        self.0
            .iter()
            .any(|s| key.contains(s.as_str()) || lower.contains(&s.to_lowercase()))
    }

    /// `key` with every secret masked, matched without regard to case (header names arrive
    /// lower-cased).
    fn scrub_key(&self, key: &str) -> String {
        let mut key = self.scrub(key).into_owned();
        for secret in &self.0 {
            let lower = secret.to_lowercase();
            while let Some(at) = key.to_lowercase().find(&lower) {
                // Only ASCII case differences keep byte offsets; otherwise mask the whole key.
                if key.len() != key.to_lowercase().len() {
                    return MASK.to_string();
                }
                key.replace_range(at..at + lower.len(), MASK);
            }
        }
        key
    }

    /// Scrubs every string value of `value` and every key, at any depth.
    pub fn scrub_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(text) => {
                if let Cow::Owned(scrubbed) = self.scrub(text) {
                    *text = scrubbed;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Value::Object(fields) => {
                fields.values_mut().for_each(|v| self.scrub_json(v));
                // A secret may be a key too (`{"sessions": {"<token>": …}}`, a header named
                // after it, lower-cased on the way).
                if fields.keys().any(|k| self.found_in_key(k)) {
                    let old = std::mem::take(fields);
                    for (key, v) in old {
                        let key = if self.found_in_key(&key) {
                            self.scrub_key(&key)
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

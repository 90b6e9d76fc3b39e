//! Credentials: secrets that actions and triggers use by name. The engine never stores them;
//! a provider hands them out: `weft`'s file and `WEFT_CREDENTIAL_*` variables (for `weft run`
//! and operators), and the server's encrypted credentials (the `credentials` crate).
//!
//! A credential the provider hands out is [`Resolved`]: what to apply and the hosts it may be
//! sent to ([`AllowedHosts`]). An action that sends a credential checks the host first
//! ([`Resolved::check_host`]), so a URL taken from a request cannot carry it anywhere else.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A secret, as an action applies it. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer { token: String },
    /// `Authorization: Basic base64(username:password)`.
    Basic { username: String, password: String },
    /// An API key sent in a header (default `x-api-key`) or in the query string.
    ApiKey {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        value: String,
    },
    /// Any custom header: `name: value`.
    Header { name: String, value: String },
    /// A shared secret, e.g. for HMAC signatures.
    Secret { value: String },
}

impl Credential {
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Bearer { .. } => "bearer",
            Credential::Basic { .. } => "basic",
            Credential::ApiKey { .. } => "api_key",
            Credential::Header { .. } => "header",
            Credential::Secret { .. } => "secret",
        }
    }

    /// The secret strings this credential holds, for redaction.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Credential::Bearer { token } => vec![token],
            Credential::Basic { password, .. } => vec![password],
            Credential::ApiKey { value, .. } => vec![value],
            Credential::Header { value, .. } => vec![value],
            Credential::Secret { value } => vec![value],
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential::{}(<redacted>)", self.kind())
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error("credential `{0}` does not exist")]
    NotFound(String),
    /// Could not be read now (the database, a token endpoint that is down): worth a retry.
    #[error("credential `{name}` cannot be read: {message}")]
    Unavailable { name: String, message: String },
    /// Cannot be used until a person acts (an OAuth2 grant refused for good, a value that does
    /// not decrypt under any key): not worth a retry.
    #[error("credential `{name}` cannot be used: {message}")]
    Unusable { name: String, message: String },
}

impl CredentialError {
    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, CredentialError::Unavailable { .. })
    }
}

/// One host pattern of [`AllowedHosts`]: `api.example.com`, `*.example.com` (any subdomain,
/// not the domain itself), `127.0.0.1`, `[::1]`, each with an optional `:port` (without one,
/// any port matches). Compared without case and without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// Lower case; for `*.example.com` it is `example.com` with `wildcard` set.
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl HostPattern {
    /// Parses a pattern; the message says what is wrong with it.
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        let bad = |why: &str| Err(format!("`{text}` is not a host pattern: {why}"));
        let t = text.trim();
        if t.is_empty() {
            return bad("it is empty");
        }
        if t.contains("://") || t.contains('/') || t.contains('?') || t.contains('#') {
            return bad(
                "write only the host (and a port), such as `api.example.com` or `*.example.com:8443`",
            );
        }
        if t.contains('@') {
            return bad("it holds `@`");
        }
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let Some((inner, after)) = rest.split_once(']') else {
                return bad("an IPv6 address needs its closing `]`");
            };
            let port = match after {
                "" => None,
                p => match p.strip_prefix(':').map(str::parse::<u16>) {
                    Some(Ok(p)) => Some(p),
                    _ => return bad("the port is not a number from 0 to 65535"),
                },
            };
            // As URLs spell it (`[0:0::1]` is `[::1]`), so that it can match.
            let Ok(addr) = inner.parse::<std::net::Ipv6Addr>() else {
                return bad("it is not an IPv6 address");
            };
            (format!("[{addr}]"), port)
        } else {
            match t.rsplit_once(':') {
                Some((h, p)) => match p.parse::<u16>() {
                    Ok(p) => (h.to_ascii_lowercase(), Some(p)),
                    Err(_) => return bad("the port is not a number from 0 to 65535"),
                },
                None => (t.to_ascii_lowercase(), None),
            }
        };
        let host = host.trim_end_matches('.').to_string();
        let (host, wildcard) = match host.strip_prefix("*.") {
            Some(rest) => (rest.to_string(), true),
            None => (host, false),
        };
        if host.is_empty() || host.contains('*') {
            return bad("`*` may only be the first label, as in `*.example.com`");
        }
        if !host.starts_with('[')
            && !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return bad("a host name holds letters, digits, `-` and `.`");
        }
        if !host.starts_with('[')
            && host
                .split('.')
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return bad(
                "each label between dots needs letters or digits, and may not start or end with `-`",
            );
        }
        // Without the public suffix list, refuse the common shared second levels (`*.co.uk`).
        if wildcard {
            let labels: Vec<&str> = host.split('.').collect();
            if labels.len() == 2
                && labels[1].len() == 2
                && [
                    "co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go",
                ]
                .contains(&labels[0])
            {
                return bad(
                    "a wildcard over a shared suffix matches other people's hosts: name your domain, such as `*.example.co.uk`",
                );
            }
        }
        if wildcard && !host.contains('.') {
            return bad("a wildcard needs a domain with a dot, such as `*.example.com`");
        }
        Ok(HostPattern {
            host,
            wildcard,
            port,
        })
    }

    /// Whether `host` (as a URL has it: lower case, IPv6 in brackets) and `port` (the URL's
    /// port or its scheme's default) match.
    pub fn matches(&self, host: &str, port: Option<u16>) -> bool {
        if self.port.is_some() && self.port != port {
            return false;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.wildcard {
            host.len() > self.host.len() + 1
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        }
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// The hosts a credential may be sent to (at least one pattern).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts(Vec<HostPattern>);

impl AllowedHosts {
    /// Parses every pattern; an empty list is refused (a credential bound to nothing could
    /// never be used: leave `allowed_hosts` out for an unbound one).
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<AllowedHosts, String> {
        if patterns.is_empty() {
            return Err("`allowed_hosts` is empty: name at least one host".to_string());
        }
        patterns
            .iter()
            .map(|p| HostPattern::parse(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(AllowedHosts)
    }

    /// Bound to no host: the credential is never sent (a webhook secret that only checks
    /// incoming requests).
    pub fn nowhere() -> AllowedHosts {
        AllowedHosts(Vec::new())
    }

    pub fn patterns(&self) -> &[HostPattern] {
        &self.0
    }

    /// The patterns as text (as they are stored and shown).
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    pub fn allows(&self, host: &str, port: Option<u16>) -> bool {
        self.0.iter().any(|p| p.matches(host, port))
    }
}

/// A credential as a provider hands it out: what to apply, and where it may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub credential: Credential,
    /// `None`: unbound (only file and environment credentials may be, the operator's choice).
    pub allowed_hosts: Option<AllowedHosts>,
}

impl Resolved {
    /// A credential without host binding.
    pub fn unbound(credential: Credential) -> Resolved {
        Resolved {
            credential,
            allowed_hosts: None,
        }
    }

    /// Refuses a URL whose host the credential is not bound to; the message names the
    /// credential, the host and the hosts it may go to (never a secret).
    pub fn check_host(&self, name: &str, url: &url::Url) -> Result<(), String> {
        let Some(allowed) = &self.allowed_hosts else {
            return Ok(());
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(a)) => format!("[{a}]"),
            Some(h) => h.to_string(),
            None => String::new(),
        };
        let port = url.port_or_known_default();
        if allowed.allows(&host, port) {
            return Ok(());
        }
        let shown = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        if allowed.0.is_empty() {
            return Err(format!(
                "credential `{name}` may not be sent to `{shown}`: it names no allowed_hosts, so it only checks incoming requests; name the hosts it may go to"
            ));
        }
        Err(format!(
            "credential `{name}` may not be sent to `{shown}`: it is bound to {}",
            allowed
                .to_strings()
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// A credential as lists show it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CredentialSummary {
    pub name: String,
    /// `bearer`, `basic`, `api_key`, `header`, `secret` or `oauth2`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The hosts it may be sent to; `null` when unbound.
    pub allowed_hosts: Option<Vec<String>>,
}

/// Hands out credentials by name.
#[async_trait]
pub trait CredentialsProvider: Send + Sync {
    /// The credential and the hosts it may be sent to.
    async fn get(&self, name: &str) -> Result<Resolved, CredentialError>;

    /// The credentials there are, by name and type (for pickers); none by default.
    async fn list(&self) -> Result<Vec<CredentialSummary>, CredentialError> {
        Ok(Vec::new())
    }

    /// An API answered 401 to a request that carried `used`: a provider that can renew it
    /// (OAuth2) returns the renewed credential, and the caller retries once. `None` (the
    /// default): nothing to renew.
    async fn rejected(
        &self,
        name: &str,
        used: &Credential,
    ) -> Result<Option<Resolved>, CredentialError> {
        let _ = (name, used);
        Ok(None)
    }
}

/// A provider with no credentials at all.
#[derive(Debug, Default, Clone)]
pub struct NoCredentials;

#[async_trait]
impl CredentialsProvider for NoCredentials {
    async fn get(&self, name: &str) -> Result<Resolved, CredentialError> {
        Err(CredentialError::NotFound(name.to_string()))
    }
}

/// An in-memory map of credentials (the CLI fills it from a file or the environment).
#[derive(Debug, Default, Clone)]
pub struct StaticCredentials(pub std::collections::BTreeMap<String, Resolved>);

impl StaticCredentials {
    /// Unbound credentials by name (tests, simple setups).
    pub fn unbound(map: std::collections::BTreeMap<String, Credential>) -> StaticCredentials {
        StaticCredentials(
            map.into_iter()
                .map(|(n, c)| (n, Resolved::unbound(c)))
                .collect(),
        )
    }
}

#[async_trait]
impl CredentialsProvider for StaticCredentials {
    async fn get(&self, name: &str) -> Result<Resolved, CredentialError> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| CredentialError::NotFound(name.to_string()))
    }

    async fn list(&self) -> Result<Vec<CredentialSummary>, CredentialError> {
        Ok(self
            .0
            .iter()
            .map(|(name, c)| CredentialSummary {
                name: name.clone(),
                kind: c.credential.kind().to_string(),
                allowed_hosts: c.allowed_hosts.as_ref().map(AllowedHosts::to_strings),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns_match_hosts_ports_and_subdomains() {
        let p = |t: &str| HostPattern::parse(t).unwrap();
        assert!(p("api.example.com").matches("api.example.com", Some(443)));
        assert!(p("API.Example.com.").matches("api.example.com", Some(8080)));
        assert!(!p("api.example.com").matches("evil.com", Some(443)));
        assert!(!p("api.example.com").matches("api.example.com.evil.com", Some(443)));
        assert!(p("*.example.com").matches("a.b.example.com", Some(443)));
        assert!(!p("*.example.com").matches("example.com", Some(443)));
        assert!(!p("*.example.com").matches("badexample.com", Some(443)));
        assert!(p("127.0.0.1:8080").matches("127.0.0.1", Some(8080)));
        assert!(!p("127.0.0.1:8080").matches("127.0.0.1", Some(8081)));
        assert!(p("[::1]").matches("[::1]", Some(1)));
        for bad in [
            "",
            "https://x.com",
            "x.com/a",
            "*",
            "*.com",
            "a.*.com",
            "x.com:http",
            "u@x.com",
            "a..com",
            "-",
            ".com",
            "*..com",
            "-x.example.com",
            "*.co.uk",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(p("*.Example.com:8443").to_string(), "*.example.com:8443");
        assert!(p("*.example.co.uk").matches("api.example.co.uk", Some(443)));
        assert!(p("[0:0:0:0:0:0:0:1]:8080").matches("[::1]", Some(8080)));
    }

    #[test]
    fn a_bound_credential_refuses_other_hosts_naming_them() {
        let r = Resolved {
            credential: Credential::Bearer {
                token: "t0ken".into(),
            },
            allowed_hosts: Some(AllowedHosts::parse(&["api.example.com"]).unwrap()),
        };
        let ok = url::Url::parse("https://api.example.com/x").unwrap();
        let bad = url::Url::parse("http://127.0.0.1:9/steal").unwrap();
        assert!(r.check_host("crm", &ok).is_ok());
        let e = r.check_host("crm", &bad).unwrap_err();
        assert!(
            e.contains("`127.0.0.1:9`") && e.contains("`api.example.com`"),
            "{e}"
        );
        assert!(!e.contains("t0ken"));
        assert!(
            Resolved::unbound(r.credential.clone())
                .check_host("crm", &bad)
                .is_ok()
        );
        let nowhere = Resolved {
            allowed_hosts: Some(AllowedHosts::nowhere()),
            ..r
        };
        let e = nowhere.check_host("hook", &ok).unwrap_err();
        assert!(e.contains("only checks incoming"), "{e}");
    }
}

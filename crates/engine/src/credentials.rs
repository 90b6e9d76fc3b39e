//! Credentials: secrets that actions and triggers use by name. The engine never stores them;
//! a provider hands them out (today `weft`'s: a YAML file and `WEFT_CREDENTIAL_*` variables, for
//! `weft run` and `weft serve` alike).

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
    /// A shared secret, e.g. for HMAC signatures.
    Secret { value: String },
}

impl Credential {
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Bearer { .. } => "bearer",
            Credential::Basic { .. } => "basic",
            Credential::ApiKey { .. } => "api_key",
            Credential::Secret { .. } => "secret",
        }
    }

    /// The secret strings this credential holds, for redaction.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Credential::Bearer { token } => vec![token],
            Credential::Basic { password, .. } => vec![password],
            Credential::ApiKey { value, .. } => vec![value],
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
    #[error("credential `{name}` cannot be read: {message}")]
    Unavailable { name: String, message: String },
}

/// A credential as lists show it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CredentialSummary {
    pub name: String,
    /// `bearer`, `basic`, `api_key` or `secret`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// Hands out credentials by name.
#[async_trait]
pub trait CredentialsProvider: Send + Sync {
    async fn get(&self, name: &str) -> Result<Credential, CredentialError>;

    /// The credentials there are, by name and type (for pickers); none by default.
    async fn list(&self) -> Result<Vec<CredentialSummary>, CredentialError> {
        Ok(Vec::new())
    }
}

/// A provider with no credentials at all.
#[derive(Debug, Default, Clone)]
pub struct NoCredentials;

#[async_trait]
impl CredentialsProvider for NoCredentials {
    async fn get(&self, name: &str) -> Result<Credential, CredentialError> {
        Err(CredentialError::NotFound(name.to_string()))
    }
}

/// An in-memory map of credentials (the CLI fills it from a file or the environment).
#[derive(Debug, Default, Clone)]
pub struct StaticCredentials(pub std::collections::BTreeMap<String, Credential>);

#[async_trait]
impl CredentialsProvider for StaticCredentials {
    async fn get(&self, name: &str) -> Result<Credential, CredentialError> {
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
                kind: c.kind(),
            })
            .collect())
    }
}

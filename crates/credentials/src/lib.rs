//! Weft's credentials, as the server keeps them.
//!
//! - [`keyring`]: the AES-256-GCM keys values are sealed with (`WEFT_SECRET_KEY` or the key
//!   file), their ids, and rotation.
//! - [`kinds`]: the credential types, their `data` and its JSON Schemas, secret fields.
//! - [`oauth`]: the provider side of OAuth2 (authorization URL with PKCE, token endpoint).
//! - [`Vault`]: the credentials in the database (secret fields sealed) beside the operator's
//!   read-only ones; management for the API, and the [`engine::credentials::CredentialsProvider`]
//!   of `weft serve` (OAuth2 tokens renewed ahead of expiry and after a 401, one renewal at a
//!   time per credential across processes).

pub mod keyring;
pub mod kinds;
pub mod oauth;
mod vault;

pub use keyring::{KEY_FILE, KeySource, Keyring, OpenError, SecretKey};
pub use vault::{
    CredentialIn, CredentialSource, CredentialStatus, CredentialUpdate, CredentialView, Rotation,
    STATUS_NEEDS_RECONNECT, STATUS_NOT_CONNECTED, STATUS_OK, TestResult, Vault, VaultError,
    named_credentials,
};

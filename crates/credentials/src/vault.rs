//! The vault: credentials kept in the database, their secret fields sealed with the
//! [`Keyring`], beside the operator's read-only ones (the credentials file and
//! `WEFT_CREDENTIAL_*`). It is the [`CredentialsProvider`] of `weft serve`: OAuth2 access
//! tokens are renewed ahead of expiry and after a 401, one renewal at a time per credential
//! (in this process by a lock, across processes by a lease in the row).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actions::HttpClient;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::credentials::{
    AllowedHosts, Credential, CredentialError, CredentialSummary, CredentialsProvider, Resolved,
    StaticCredentials,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::{CredentialRow, Store};
use uuid::Uuid;

use crate::keyring::{Keyring, OpenError, SecretKey, key_id};
use crate::kinds::{self, Data, Grant, OAuth2Data};
use crate::oauth::{self, Issued, TokenError, TokenSet};

/// How long one process may hold a renewal before another may take over.
const RENEWAL_LEASE: Duration = Duration::from_secs(30);
/// How long a caller waits for a renewal another process runs.
const RENEWAL_WAIT: Duration = Duration::from_secs(30);
/// An authorization started with Connect must finish within this.
const AUTHORIZATION_TTL: chrono::Duration = chrono::Duration::minutes(15);
/// `last_used_at` is written at most this often per credential.
const LAST_USED_RESOLUTION: Duration = Duration::from_secs(60);

pub const STATUS_OK: &str = "ok";
pub const STATUS_NOT_CONNECTED: &str = "not_connected";
pub const STATUS_NEEDS_RECONNECT: &str = "needs_reconnect";

/// A credential to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialIn {
    /// What workflows name it by: letters, digits, `-`, `_`, `.` (at most 64).
    pub name: String,
    /// `bearer`, `basic`, `api_key`, `header`, `secret` or `oauth2` (see `GET /credential-types`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The fields of the type; secret ones are write-only.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Value,
    /// Host patterns it may be sent to (`api.example.com`, `*.example.com`, `host:port`);
    /// required for every type but `secret`.
    #[serde(default)]
    pub allowed_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub description: String,
}

/// A change to a credential: fields left out stay; a secret field left out (or empty) keeps
/// its stored value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialUpdate {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    #[serde(default)]
    pub allowed_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Where a credential lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// Managed through the API and the editor, sealed in the database.
    Database,
    /// The operator's credentials file or `WEFT_CREDENTIAL_*` variables: read-only here.
    File,
}

/// Whether a credential can be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Usable.
    Ok,
    /// OAuth2 authorization code that has not been connected yet.
    NotConnected,
    /// Its OAuth2 refresh failed for good: connect it again.
    NeedsReconnect,
}

impl std::fmt::Display for CredentialStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ok => STATUS_OK,
            Self::NotConnected => STATUS_NOT_CONNECTED,
            Self::NeedsReconnect => STATUS_NEEDS_RECONNECT,
        })
    }
}

impl CredentialStatus {
    fn of_row(status: &str) -> Self {
        match status {
            STATUS_NOT_CONNECTED => Self::NotConnected,
            STATUS_NEEDS_RECONNECT => Self::NeedsReconnect,
            _ => Self::Ok,
        }
    }
}

/// A credential as the API shows it: never a secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CredentialView {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// `null`: unbound (only the operator's file and environment credentials may be).
    pub allowed_hosts: Option<Vec<String>>,
    /// The non-secret fields.
    #[schema(value_type = Object)]
    pub data: Value,
    /// The secret fields that hold a value.
    pub secrets_set: Vec<String>,
    pub source: CredentialSource,
    pub read_only: bool,
    pub status: CredentialStatus,
    pub status_message: Option<String>,
    /// The workflows that name it (current versions).
    pub used_by: Vec<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// OAuth2: when the current access token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// What went wrong, for the API to answer with.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("credential `{0}` does not exist")]
    NotFound(String),
    /// A problem with the input: the field (`name`, `type`, `data.token`, `allowed_hosts`).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("credential `{name}` is used by {}: change them first", workflows.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", "))]
    InUse {
        name: String,
        workflows: Vec<String>,
    },
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Store(#[from] store::Error),
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> VaultError {
    VaultError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The result of `POST /credentials/{name}/test`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestResult {
    pub ok: bool,
    pub message: String,
    /// The status the test URL answered with.
    pub status: Option<u16>,
}

/// What a key rotation did.
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    pub key_id: String,
    pub credentials: usize,
    pub values: usize,
    /// Old keys no value uses any more (dropped from the key file).
    pub retired: Vec<String>,
}

/// The server's credentials.
pub struct Vault {
    store: Store,
    keys: Arc<Keyring>,
    operator: StaticCredentials,
    client: HttpClient,
    /// One renewal at a time per credential in this process.
    renewals: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    used: Mutex<HashMap<Uuid, Instant>>,
    /// Token requests made (for tests and metrics).
    token_requests: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

/// The sealed token column's associated data and friends.
fn aad(id: Uuid, field: &str) -> String {
    format!("{id}/{field}")
}

fn check_name(name: &str) -> Result<(), VaultError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "name",
            "a credential name has 1 to 64 letters, digits, `-`, `_` or `.`",
        ))
    }
}

/// The most host patterns a credential names.
const MAX_HOSTS: usize = 100;

/// The longest description, in characters.
const MAX_DESCRIPTION: usize = 2000;

fn check_description(text: &str) -> Result<(), VaultError> {
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "description",
            format!("is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(())
}

/// Whether `new` (stored `allowed_hosts`, JSON; `None` is unbound) lets a credential go
/// somewhere `old` did not.
fn widens(kind: &str, old: Option<&str>, new: Option<&str>) -> bool {
    let list = |h: &str| serde_json::from_str::<Vec<String>>(h).unwrap_or_default();
    match (old, new) {
        // A secret without hosts goes nowhere ([`AllowedHosts::nowhere`]).
        (None, new) if kind == "secret" => new.is_some(),
        (None, _) => false,
        (Some(_), None) => true,
        (Some(old), Some(new)) => {
            let old = list(old);
            list(new).iter().any(|h| !old.contains(h))
        }
    }
}

fn parse_hosts(kind: &str, hosts: Option<&Vec<String>>) -> Result<Option<String>, VaultError> {
    match hosts {
        None | Some(_) if hosts.is_none_or(|h| h.is_empty()) => {
            if kinds::hosts_required(kind) {
                Err(invalid(
                    "allowed_hosts",
                    "name the hosts this credential may be sent to, such as `api.example.com` or `*.example.com`",
                ))
            } else {
                Ok(None)
            }
        }
        Some(list) if list.len() > MAX_HOSTS => Err(invalid(
            "allowed_hosts",
            format!(
                "names {} hosts; at most {MAX_HOSTS} (use a `*.` pattern)",
                list.len()
            ),
        )),
        Some(list) => {
            let parsed = AllowedHosts::parse(list).map_err(|m| invalid("allowed_hosts", m))?;
            Ok(Some(
                serde_json::to_string(&parsed.to_strings()).unwrap_or_default(),
            ))
        }
        None => Ok(None),
    }
}

/// The credential names a workflow names anywhere (`credential:` fields of steps and of the
/// trigger's auth).
pub fn named_credentials(workflow: &engine::Workflow) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("credential", Value::String(s)) if !s.contains("{{") => {
                            out.insert(s.clone());
                        }
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Ok(v) = serde_json::to_value(workflow) {
        walk(&v, &mut out);
    }
    out
}

impl Vault {
    pub fn new(
        store: Store,
        keys: Arc<Keyring>,
        operator: StaticCredentials,
        client: HttpClient,
    ) -> Vault {
        Vault {
            store,
            keys,
            operator,
            client,
            renewals: Default::default(),
            used: Default::default(),
            token_requests: Default::default(),
        }
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keys
    }

    /// How many token requests this process made.
    pub fn token_requests(&self) -> u64 {
        self.token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    // ----- sealing -----

    fn seal_row_data(
        &self,
        id: Uuid,
        kind: &str,
        data: &Map<String, Value>,
    ) -> Result<String, VaultError> {
        let secret = kinds::secret_fields(kind).unwrap_or(&[]);
        let mut out = Map::new();
        for (k, v) in data {
            let v = match (secret.contains(&k.as_str()), v) {
                (true, Value::String(s)) => Value::String(
                    self.keys
                        .seal(&aad(id, k), s.as_bytes())
                        .map_err(VaultError::Unusable)?,
                ),
                (true, Value::Null) => continue,
                _ => v.clone(),
            };
            out.insert(k.clone(), v);
        }
        Ok(Value::Object(out).to_string())
    }

    fn open_text(&self, row: &CredentialRow, field: &str, sealed: &str) -> Result<String, String> {
        let plain = self
            .keys
            .open(&aad(row.id, field), sealed)
            .map_err(|e| format!("credential `{}`: `{field}` cannot be opened: {e}", row.name))?;
        String::from_utf8(plain)
            .map_err(|_| format!("credential `{}`: `{field}` is not text", row.name))
    }

    /// The row's `data` with the secret fields opened.
    fn open_data(&self, row: &CredentialRow) -> Result<Map<String, Value>, String> {
        let mut data: Map<String, Value> = serde_json::from_str(&row.data)
            .map_err(|_| format!("credential `{}`: the stored data does not parse", row.name))?;
        let secret = kinds::secret_fields(&row.kind).unwrap_or(&[]);
        for field in secret {
            if let Some(Value::String(sealed)) = data.get(*field).cloned() {
                data.insert(
                    field.to_string(),
                    Value::String(self.open_text(row, field, &sealed)?),
                );
            }
        }
        Ok(data)
    }

    fn open_token(&self, row: &CredentialRow) -> Result<Option<TokenSet>, String> {
        match &row.token {
            None => Ok(None),
            Some(sealed) => {
                let text = self.open_text(row, "token", sealed)?;
                serde_json::from_str(&text).map(Some).map_err(|_| {
                    format!("credential `{}`: the stored token does not parse", row.name)
                })
            }
        }
    }

    fn seal_json<T: Serialize>(
        &self,
        id: Uuid,
        field: &str,
        value: &T,
    ) -> Result<String, VaultError> {
        let text = serde_json::to_string(value).map_err(|e| VaultError::Unusable(e.to_string()))?;
        self.keys
            .seal(&aad(id, field), text.as_bytes())
            .map_err(VaultError::Unusable)
    }

    // ----- management -----

    pub async fn create(&self, input: CredentialIn) -> Result<CredentialView, VaultError> {
        check_name(&input.name)?;
        if self.operator.0.contains_key(&input.name) {
            return Err(VaultError::Conflict(format!(
                "a credential named `{}` comes from the operator's credentials file or environment",
                input.name
            )));
        }
        if self.store.credential_by_name(&input.name).await?.is_some() {
            return Err(VaultError::Conflict(format!(
                "a credential named `{}` already exists",
                input.name
            )));
        }
        Data::parse(&input.kind, &input.data).map_err(|p| invalid(p.field, p.message))?;
        check_description(&input.description)?;
        let allowed_hosts = parse_hosts(&input.kind, input.allowed_hosts.as_ref())?;
        let id = Uuid::now_v7();
        let data = self.seal_row_data(
            id,
            &input.kind,
            input.data.as_object().unwrap_or(&Map::new()),
        )?;
        let at = Utc::now();
        let status = if input.kind == "oauth2"
            && input.data.get("grant").and_then(Value::as_str) == Some("authorization_code")
        {
            STATUS_NOT_CONNECTED
        } else {
            STATUS_OK
        };
        let row = CredentialRow {
            id,
            name: input.name.clone(),
            kind: input.kind,
            description: input.description,
            allowed_hosts,
            data,
            token: None,
            token_expires_at: None,
            refresh_at: None,
            status: status.into(),
            status_message: None,
            pending: None,
            refresh_lease_until: None,
            revision: 0,
            created_at: at,
            updated_at: at,
            last_used_at: None,
        };
        self.store.insert_credential(row).await?;
        tracing::info!(credential = %input.name, "credential created");
        self.view(&input.name).await
    }

    pub async fn update(
        &self,
        name: &str,
        change: CredentialUpdate,
    ) -> Result<CredentialView, VaultError> {
        self.refuse_operator(name)?;
        let row = self.row(name).await?;
        let kind = change.kind.clone().unwrap_or_else(|| row.kind.clone());
        let kind_changed = kind != row.kind;
        let mut data = match &change.data {
            None if kind_changed => Map::new(),
            None => self.open_data(&row).map_err(VaultError::Unusable)?,
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(invalid("data", "must be an object")),
        };
        // Secret fields left out (or empty) keep their stored values; only then is the stored
        // data opened, so a value that can no longer be opened is repaired by giving it again.
        let mut kept = Vec::new();
        if !kind_changed && change.data.is_some() {
            let blank: Vec<&str> = kinds::secret_fields(&kind)
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|field| match data.get(*field) {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.is_empty(),
                    _ => false,
                })
                .collect();
            if !blank.is_empty() {
                let stored = self.open_data(&row).map_err(VaultError::Unusable)?;
                for field in blank {
                    match stored.get(field) {
                        Some(v) => {
                            data.insert(field.to_string(), v.clone());
                            kept.push(field);
                        }
                        None => {
                            data.remove(field);
                        }
                    };
                }
            }
        } else if !kind_changed {
            // No `data`: every stored secret stays.
            kept.extend(
                kinds::secret_fields(&kind)
                    .unwrap_or(&[])
                    .iter()
                    .copied()
                    .filter(|f| data.contains_key(*f)),
            );
        }
        let data_value = Value::Object(data.clone());
        let parsed = Data::parse(&kind, &data_value).map_err(|p| invalid(p.field, p.message))?;
        let hosts = match &change.allowed_hosts {
            Some(h) => parse_hosts(&kind, Some(h))?,
            None if kinds::hosts_required(&kind) && row.allowed_hosts.is_none() => {
                parse_hosts(&kind, None)?
            }
            None => row.allowed_hosts.clone(),
        };
        // A stored secret goes only where it went before: a change that sends it somewhere new
        // (more hosts, another token or authorize URL) must give it again, so that the right to
        // edit a credential is not the right to read its secret out.
        if let Some(field) = kept.first() {
            // The URLs are not secret: read them as stored, without opening anything.
            let stored: Map<String, Value> = serde_json::from_str(&row.data).unwrap_or_default();
            let urls_moved = kind == "oauth2"
                && ["token_url", "authorize_url"]
                    .iter()
                    .any(|f| stored.get(*f) != data.get(*f));
            if urls_moved {
                return Err(invalid(
                    format!("data.{field}"),
                    "give the secret again: the token or authorize URL changed, and a stored secret is only sent where it was sent before",
                ));
            }
            if widens(&kind, row.allowed_hosts.as_deref(), hosts.as_deref()) {
                return Err(invalid(
                    format!("data.{field}"),
                    "give the secret again: allowed_hosts now names hosts it was not bound to, and a stored secret is only sent where it was sent before",
                ));
            }
        }
        let mut next = row.clone();
        next.kind = kind.clone();
        next.data = self.seal_row_data(row.id, &kind, &data)?;
        next.allowed_hosts = hosts;
        if let Some(d) = change.description {
            check_description(&d)?;
            next.description = d;
        }
        // A change of the OAuth2 client or provider drops the tokens: connect again.
        let oauth_changed =
            kind == "oauth2" && (kind_changed || self.open_data(&row).ok() != Some(data));
        if kind_changed || oauth_changed {
            next.token = None;
            next.token_expires_at = None;
            next.refresh_at = None;
            next.pending = None;
            next.status_message = None;
            next.status = match &parsed {
                Data::OAuth2(d) if d.grant == Grant::AuthorizationCode => STATUS_NOT_CONNECTED,
                _ => STATUS_OK,
            }
            .into();
        }
        match self.store.replace_credential(next).await? {
            Some(_) => {
                tracing::info!(credential = %name, "credential updated");
                self.view(name).await
            }
            None => Err(VaultError::Conflict(format!(
                "credential `{name}` changed meanwhile: read it again and retry"
            ))),
        }
    }

    pub async fn delete(&self, name: &str) -> Result<(), VaultError> {
        self.refuse_operator(name)?;
        let row = self.row(name).await?;
        let active: Vec<String> = self
            .store
            .current_workflows()
            .await?
            .into_iter()
            .filter(|w| w.active && named_credentials(&w.doc.workflow).contains(name))
            .map(|w| w.name)
            .collect();
        if !active.is_empty() {
            return Err(VaultError::InUse {
                name: name.to_string(),
                workflows: active,
            });
        }
        self.store.delete_credential(row.id).await?;
        tracing::info!(credential = %name, "credential deleted");
        Ok(())
    }

    fn refuse_operator(&self, name: &str) -> Result<(), VaultError> {
        if self.operator.0.contains_key(name) {
            Err(VaultError::Conflict(format!(
                "credential `{name}` comes from the operator's credentials file or environment: it is read-only here"
            )))
        } else {
            Ok(())
        }
    }

    async fn row(&self, name: &str) -> Result<CredentialRow, VaultError> {
        self.store
            .credential_by_name(name)
            .await?
            .ok_or_else(|| VaultError::NotFound(name.to_string()))
    }

    /// Every credential, the operator's first.
    pub async fn views(&self) -> Result<Vec<CredentialView>, VaultError> {
        let usage = self.usage().await?;
        let mut out: Vec<CredentialView> = self
            .operator
            .0
            .iter()
            .map(|(name, r)| operator_view(name, r, &usage))
            .collect();
        for row in self.store.credential_rows().await? {
            if self.operator.0.contains_key(&row.name) {
                continue;
            }
            out.push(self.row_view(row, &usage));
        }
        Ok(out)
    }

    pub async fn view(&self, name: &str) -> Result<CredentialView, VaultError> {
        let usage = self.usage().await?;
        if let Some(r) = self.operator.0.get(name) {
            return Ok(operator_view(name, r, &usage));
        }
        let row = self.row(name).await?;
        Ok(self.row_view(row, &usage))
    }

    async fn usage(&self) -> Result<HashMap<String, Vec<String>>, VaultError> {
        let mut usage: HashMap<String, Vec<String>> = HashMap::new();
        for w in self.store.current_workflows().await? {
            for c in named_credentials(&w.doc.workflow) {
                usage.entry(c).or_default().push(w.name.clone());
            }
        }
        Ok(usage)
    }

    fn row_view(&self, row: CredentialRow, usage: &HashMap<String, Vec<String>>) -> CredentialView {
        let stored: Map<String, Value> = serde_json::from_str(&row.data).unwrap_or_default();
        let (public, secrets_set) = kinds::shown(&row.kind, &stored);
        CredentialView {
            used_by: usage.get(&row.name).cloned().unwrap_or_default(),
            name: row.name,
            kind: row.kind,
            description: row.description,
            allowed_hosts: row
                .allowed_hosts
                .as_deref()
                .and_then(|h| serde_json::from_str(h).ok()),
            data: Value::Object(public),
            secrets_set,
            source: CredentialSource::Database,
            read_only: false,
            status: CredentialStatus::of_row(&row.status),
            status_message: row.status_message,
            last_used_at: row.last_used_at,
            created_at: Some(row.created_at),
            updated_at: Some(row.updated_at),
            token_expires_at: row.token_expires_at,
        }
    }

    // ----- use -----

    async fn resolve_row(
        &self,
        row: CredentialRow,
        stale: Option<&str>,
    ) -> Result<Resolved, CredentialError> {
        let unusable = |message: String| CredentialError::Unusable {
            name: row.name.clone(),
            message,
        };
        let data = self.open_data(&row).map_err(unusable)?;
        let parsed = Data::parse(&row.kind, &Value::Object(data)).map_err(|p| {
            unusable(format!(
                "the stored {} is not valid: {}",
                p.field, p.message
            ))
        })?;
        let access = match &parsed {
            Data::OAuth2(d) => Some(self.access_token(&row, d, stale).await?),
            _ => None,
        };
        let allowed_hosts = match row.allowed_hosts.as_deref() {
            // A managed secret without hosts checks incoming requests only: signing with it for
            // any URL (one from a request, say) would let a caller forge what it checks.
            None if row.kind == "secret" => Some(AllowedHosts::nowhere()),
            None => None,
            Some(text) => {
                let list: Vec<String> = serde_json::from_str(text)
                    .map_err(|_| unusable("the stored allowed_hosts do not parse".into()))?;
                Some(AllowedHosts::parse(&list).map_err(unusable)?)
            }
        };
        self.note_used(row.id);
        let credential = parsed
            .credential(access)
            .ok_or_else(|| unusable("it has no access token".into()))?;
        Ok(Resolved {
            credential,
            allowed_hosts,
        })
    }

    fn note_used(&self, id: Uuid) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if used
            .get(&id)
            .is_none_or(|t| now.duration_since(*t) > LAST_USED_RESOLUTION)
        {
            used.insert(id, now);
            self.store.touch_credential(id);
        }
    }

    /// A valid access token of an OAuth2 credential, renewed first if it is due (or is
    /// `stale`: the one an API just refused).
    async fn access_token(
        &self,
        row: &CredentialRow,
        data: &OAuth2Data,
        stale: Option<&str>,
    ) -> Result<String, CredentialError> {
        if let Some(token) = fresh(self, row, data.grant, stale)? {
            return Ok(token);
        }
        self.renew(row.id, &row.name, data, stale).await
    }

    async fn renew(
        &self,
        id: Uuid,
        name: &str,
        data: &OAuth2Data,
        stale: Option<&str>,
    ) -> Result<String, CredentialError> {
        let lock = self
            .renewals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default()
            .clone();
        let _one = lock.lock().await;
        let deadline = Instant::now() + RENEWAL_WAIT;
        let unavailable = |message: String| CredentialError::Unavailable {
            name: name.to_string(),
            message,
        };
        loop {
            let row = self
                .store
                .credential_by_id(id)
                .await
                .map_err(|e| unavailable(e.to_string()))?
                .ok_or_else(|| CredentialError::NotFound(name.to_string()))?;
            if let Some(token) = fresh(self, &row, data.grant, stale)? {
                return Ok(token);
            }
            let until = Utc::now() + chrono::Duration::from_std(RENEWAL_LEASE).unwrap_or_default();
            if self
                .store
                .take_refresh_lease(id, until)
                .await
                .map_err(|e| unavailable(e.to_string()))?
            {
                // Read again under the lease: another process may have renewed (and rotated
                // the refresh token) between the read above and the lease; its result stands.
                let row = match self.store.credential_by_id(id).await {
                    Ok(Some(row)) => row,
                    Ok(None) => {
                        return Err(CredentialError::NotFound(name.to_string()));
                    }
                    Err(e) => {
                        let _ = self.release_lease(id).await;
                        return Err(unavailable(e.to_string()));
                    }
                };
                match fresh(self, &row, data.grant, stale) {
                    Ok(None) => {}
                    Ok(Some(token)) => {
                        let _ = self.release_lease(id).await;
                        return Ok(token);
                    }
                    Err(e) => {
                        let _ = self.release_lease(id).await;
                        return Err(e);
                    }
                }
                let tokens = self.open_token(&row).map_err(|m| unusable(name, m))?;
                let grant = match (
                    data.grant,
                    tokens.as_ref().and_then(|t| t.refresh_token.clone()),
                ) {
                    (Grant::ClientCredentials, _) => {
                        vec![("grant_type", "client_credentials".to_string())]
                    }
                    (Grant::AuthorizationCode, Some(refresh)) => vec![
                        ("grant_type", "refresh_token".to_string()),
                        ("refresh_token", refresh),
                    ],
                    (Grant::AuthorizationCode, None) => {
                        let (status, message) = if tokens.is_none() {
                            (
                                STATUS_NOT_CONNECTED,
                                "it is not connected yet: Connect it in the editor's Credentials page",
                            )
                        } else {
                            (
                                STATUS_NEEDS_RECONNECT,
                                "the access token expired and the provider gave no refresh token: reconnect it",
                            )
                        };
                        let _ = self.set_status(id, status, Some(message), None).await;
                        return Err(unusable(name, message.to_string()));
                    }
                };
                self.token_requests
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let answer = oauth::request_token(&self.client, data, grant).await;
                return match answer {
                    Ok(issued) => {
                        store::metrics()
                            .inc("weft_oauth_refreshes_total", &[("result", "renewed")]);
                        let keep = tokens.and_then(|t| t.refresh_token);
                        let access = issued.access_token.clone();
                        self.save_tokens(id, issued, keep)
                            .await
                            .map_err(|e| unavailable(e.to_string()))?;
                        tracing::info!(credential = %name, "OAuth2 token renewed");
                        Ok(access)
                    }
                    Err(TokenError::Refused(message)) => {
                        store::metrics()
                            .inc("weft_oauth_refreshes_total", &[("result", "refused")]);
                        tracing::warn!(credential = %name, %message, "OAuth2 renewal refused: needs reconnect");
                        let _ = self
                            .set_status(id, STATUS_NEEDS_RECONNECT, Some(&message), None)
                            .await;
                        Err(unusable(
                            name,
                            format!("it needs to be reconnected: {message}"),
                        ))
                    }
                    Err(TokenError::Unreachable(message)) => {
                        store::metrics().inc("weft_oauth_refreshes_total", &[("result", "failed")]);
                        let _ = self.release_lease(id).await;
                        Err(unavailable(message))
                    }
                };
            }
            if Instant::now() > deadline {
                return Err(unavailable(
                    "another process is renewing its token and has not finished".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Applies `change` to the current row until the conditional replace succeeds.
    async fn change_row(
        &self,
        id: Uuid,
        change: impl Fn(&mut CredentialRow) -> Result<(), VaultError>,
    ) -> Result<(), VaultError> {
        for _ in 0..10 {
            let Some(mut row) = self.store.credential_by_id(id).await? else {
                return Err(VaultError::NotFound(id.to_string()));
            };
            change(&mut row)?;
            if self.store.replace_credential(row).await?.is_some() {
                return Ok(());
            }
        }
        Err(VaultError::Conflict("the credential keeps changing".into()))
    }

    async fn save_tokens(
        &self,
        id: Uuid,
        issued: Issued,
        keep_refresh: Option<String>,
    ) -> Result<(), VaultError> {
        let now = Utc::now();
        let set = TokenSet {
            access_token: issued.access_token,
            // A rotated refresh token replaces the old one; none given keeps it.
            refresh_token: issued.refresh_token.or(keep_refresh),
        };
        let sealed = self.seal_json(id, "token", &set)?;
        let (expires, refresh) = match issued.expires_in {
            Some(life) => {
                let margin = (life / 5).min(Duration::from_secs(60));
                (
                    Some(now + chrono::Duration::from_std(life).unwrap_or_default()),
                    Some(now + chrono::Duration::from_std(life - margin).unwrap_or_default()),
                )
            }
            None => (None, None),
        };
        self.change_row(id, |row| {
            row.token = Some(sealed.clone());
            row.token_expires_at = expires;
            row.refresh_at = refresh;
            row.refresh_lease_until = None;
            row.status = STATUS_OK.into();
            row.status_message = None;
            Ok(())
        })
        .await
    }

    async fn set_status(
        &self,
        id: Uuid,
        status: &str,
        message: Option<&str>,
        pending: Option<Option<String>>,
    ) -> Result<(), VaultError> {
        self.change_row(id, |row| {
            row.status = status.into();
            row.status_message = message.map(str::to_string);
            row.refresh_lease_until = None;
            if let Some(p) = &pending {
                row.pending = p.clone();
            }
            Ok(())
        })
        .await
    }

    async fn release_lease(&self, id: Uuid) -> Result<(), VaultError> {
        self.change_row(id, |row| {
            row.refresh_lease_until = None;
            Ok(())
        })
        .await
    }

    // ----- OAuth2 authorization -----

    /// Starts an authorization: the provider's page to open (`redirect_uri` is Weft's
    /// `/oauth/callback`).
    pub async fn connect(&self, name: &str, redirect_uri: &str) -> Result<String, VaultError> {
        self.refuse_operator(name)?;
        let row = self.row(name).await?;
        let data = self.open_data(&row).map_err(VaultError::Unusable)?;
        let Data::OAuth2(data) = Data::parse(&row.kind, &Value::Object(data))
            .map_err(|p| invalid(p.field, p.message))?
        else {
            return Err(VaultError::Conflict(format!(
                "credential `{name}` is not an OAuth2 credential"
            )));
        };
        if data.grant != Grant::AuthorizationCode {
            return Err(VaultError::Conflict(format!(
                "credential `{name}` uses the client_credentials grant: it needs no Connect (Test it)"
            )));
        }
        let state = oauth::random_token().map_err(VaultError::Unusable)?;
        let verifier = oauth::random_token().map_err(VaultError::Unusable)?;
        let pending = self.seal_json(
            row.id,
            "pending",
            &json!({"state": state, "verifier": verifier, "redirect_uri": redirect_uri, "at": Utc::now()}),
        )?;
        let url = oauth::authorize_url(
            &data,
            redirect_uri,
            &format!("{}.{state}", row.id),
            &verifier,
        )
        .map_err(|m| invalid("data.authorize_url", m))?;
        self.change_row(row.id, |r| {
            r.pending = Some(pending.clone());
            Ok(())
        })
        .await?;
        Ok(url)
    }

    /// Finishes an authorization: checks `state`, trades the code for tokens. Returns the
    /// credential's name.
    pub async fn callback(&self, state: &str, code: &str) -> Result<String, VaultError> {
        let refused = || {
            VaultError::Conflict(
                "this authorization is unknown, used or expired: Connect again".into(),
            )
        };
        let (id, secret) = state.split_once('.').ok_or_else(refused)?;
        let id = Uuid::parse_str(id).map_err(|_| refused())?;
        let row = self.store.credential_by_id(id).await?.ok_or_else(refused)?;
        let pending = row.pending.as_deref().ok_or_else(refused)?;
        let pending: Value = serde_json::from_str(
            &self
                .open_text(&row, "pending", pending)
                .map_err(VaultError::Unusable)?,
        )
        .map_err(|_| refused())?;
        let expected = pending["state"].as_str().unwrap_or_default();
        use subtle::ConstantTimeEq;
        if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(secret.as_bytes())) {
            return Err(refused());
        }
        let started: DateTime<Utc> =
            serde_json::from_value(pending["at"].clone()).map_err(|_| refused())?;
        if Utc::now() - started > AUTHORIZATION_TTL {
            return Err(refused());
        }
        let data = self.open_data(&row).map_err(VaultError::Unusable)?;
        let Data::OAuth2(data) = Data::parse(&row.kind, &Value::Object(data))
            .map_err(|p| invalid(p.field, p.message))?
        else {
            return Err(refused());
        };
        // The authorization is used up whatever the provider answers.
        self.change_row(id, |r| {
            r.pending = None;
            Ok(())
        })
        .await?;
        self.token_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let issued = oauth::request_token(
            &self.client,
            &data,
            vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code.to_string()),
                (
                    "redirect_uri",
                    pending["redirect_uri"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
                (
                    "code_verifier",
                    pending["verifier"].as_str().unwrap_or_default().to_string(),
                ),
            ],
        )
        .await
        .map_err(|e| match e {
            TokenError::Refused(m) | TokenError::Unreachable(m) => VaultError::Unusable(m),
        })?;
        self.save_tokens(id, issued, None).await?;
        tracing::info!(credential = %row.name, "OAuth2 credential connected");
        Ok(row.name)
    }

    // ----- test -----

    /// Reads the credential as a step would (an OAuth2 one gets a token), and with `url`
    /// calls it through the `http` action (host binding and outbound policy included).
    pub async fn test(&self, name: &str, url: Option<&str>) -> Result<TestResult, VaultError> {
        let resolved = match self.get(name).await {
            Ok(r) => r,
            Err(CredentialError::NotFound(n)) => return Err(VaultError::NotFound(n)),
            Err(e) => {
                return Ok(TestResult {
                    ok: false,
                    message: e.to_string(),
                    status: None,
                });
            }
        };
        let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
            return Ok(TestResult {
                ok: true,
                message: format!(
                    "the {} credential is stored and readable{}; give a URL to try it against an API",
                    resolved.credential.kind(),
                    if self.operator.0.contains_key(name) {
                        ""
                    } else {
                        " (decrypted with the current keys)"
                    }
                ),
                status: None,
            });
        };
        if matches!(resolved.credential, Credential::Secret { .. }) {
            return Ok(TestResult {
                ok: false,
                message: "a secret signs webhooks; it is not sent with requests, so there is nothing to call".into(),
                status: None,
            });
        }
        let registry = actions::registry(self.client.clone());
        let Some(http) = registry.get("http") else {
            return Err(VaultError::Unusable("the http action is missing".into()));
        };
        let ctx = engine::action::ActionContext {
            execution_id: Uuid::nil(),
            workflow: "credential test",
            step_id: "test",
            item_index: None,
            attempt: 1,
            timeout: Some(Duration::from_secs(15)),
            credentials: self,
            services: &engine::services::NoServices,
            resumed: None,
            trace: &engine::trace::Trace::of(Uuid::nil(), None),
        };
        let config = json!({"method": "GET", "url": url, "credential": name, "accept_status": [400, 401, 403, 404, 405, 422, 429, 500, 502, 503]});
        Ok(match http.run(&ctx, &config).await {
            Ok(out) => {
                let status = out.value["status"].as_u64().unwrap_or(0) as u16;
                let ok = (200..400).contains(&status);
                TestResult {
                    ok,
                    message: match status {
                        401 | 403 => {
                            format!("{url} answered {status}: the API refused the credential")
                        }
                        s if ok => format!("{url} answered {s}: the credential was accepted"),
                        s => format!("{url} answered {s}"),
                    },
                    status: Some(status),
                }
            }
            Err(e) => TestResult {
                ok: false,
                message: e.message,
                status: None,
            },
        })
    }

    // ----- keys -----

    /// Opens every sealed value once: a wrong or missing key is found at start, named.
    pub async fn check_keys(&self) -> Result<usize, String> {
        let rows = self
            .store
            .credential_rows()
            .await
            .map_err(|e| format!("cannot read the credentials: {e}"))?;
        let held = self.keys.ids();
        let wrong_key = |e: &str| {
            format!(
                "{e}. Start Weft with the key the credentials were sealed with ({}; key ids held: {})",
                self.keys.source(),
                held.join(", ")
            )
        };
        let mut broken = Vec::new();
        for row in &rows {
            // A value sealed under a key not held: the key is missing, whatever else opens.
            if let Some(id) = sealed_values(row)
                .iter()
                .filter_map(|s| key_id(s))
                .find(|id| !held.iter().any(|h| h == id))
            {
                return Err(wrong_key(&format!(
                    "credential `{}` is sealed with key {id}, which is not held",
                    row.name
                )));
            }
            if let Err(e) = self.open_all(row) {
                broken.push(e);
            }
        }
        if !broken.is_empty() && broken.len() == rows.len() {
            return Err(wrong_key(&broken[0]));
        }
        // Some open and some do not under the same keys: those values were changed. The
        // others keep working; each broken one fails its steps clearly until it is given again
        // (PUT with its secrets) or deleted.
        for e in &broken {
            tracing::error!("{e}: give its secrets again (PUT) or delete it");
        }
        Ok(rows.len())
    }

    fn open_all(&self, row: &CredentialRow) -> Result<(), String> {
        self.open_data(row)?;
        self.open_token(row)?;
        if let Some(p) = &row.pending {
            self.open_text(row, "pending", p)?;
        }
        Ok(())
    }

    /// Re-seals every value under `new` (made the sealing key first; `None`: the current
    /// sealing key), then retires the keys no value uses any more. Safe while servers run:
    /// they read the key file again when they meet the new key's id.
    pub async fn rotate(&self, new: Option<SecretKey>) -> Result<Rotation, String> {
        if let Some(k) = new {
            self.keys.promote(k)?;
        }
        let current = self.keys.current_id();
        let mut credentials = 0;
        let mut values = 0;
        for _pass in 0..5 {
            let rows = self
                .store
                .credential_rows()
                .await
                .map_err(|e| e.to_string())?;
            let stale: Vec<&CredentialRow> = rows
                .iter()
                .filter(|r| {
                    sealed_values(r)
                        .iter()
                        .any(|s| key_id(s) != Some(current.as_str()))
                })
                .collect();
            if stale.is_empty() {
                let before = self.keys.ids();
                self.keys.retain(&[])?;
                return Ok(Rotation {
                    key_id: current,
                    credentials,
                    values,
                    retired: before.into_iter().skip(1).collect(),
                });
            }
            for row in stale {
                let n = self
                    .reseal(row.id)
                    .await
                    .map_err(|e| format!("credential `{}`: {e}", row.name))?;
                credentials += 1;
                values += n;
            }
        }
        Err("credentials kept being sealed under old keys; run the rotation again".into())
    }

    async fn reseal(&self, id: Uuid) -> Result<usize, VaultError> {
        let count = std::sync::atomic::AtomicUsize::new(0);
        self.change_row(id, |row| {
            let data = self.open_data(row).map_err(VaultError::Unusable)?;
            let tokens = self.open_token(row).map_err(VaultError::Unusable)?;
            let pending = match &row.pending {
                Some(p) => Some(
                    self.open_text(row, "pending", p)
                        .map_err(VaultError::Unusable)?,
                ),
                None => None,
            };
            row.data = self.seal_row_data(row.id, &row.kind, &data)?;
            row.token = match tokens {
                Some(t) => Some(self.seal_json(row.id, "token", &t)?),
                None => None,
            };
            row.pending = match pending {
                Some(p) => Some(
                    self.keys
                        .seal(&aad(row.id, "pending"), p.as_bytes())
                        .map_err(VaultError::Unusable)?,
                ),
                None => None,
            };
            count.store(
                sealed_values(row).len(),
                std::sync::atomic::Ordering::Relaxed,
            );
            Ok(())
        })
        .await?;
        Ok(count.into_inner())
    }
}

fn unusable(name: &str, message: String) -> CredentialError {
    CredentialError::Unusable {
        name: name.to_string(),
        message,
    }
}

/// How long a refused client-credentials grant waits before it is asked again.
const CLIENT_CREDENTIALS_RETRY_SECS: i64 = 60;

/// The access token of `row` if it can be used as it is.
fn fresh(
    vault: &Vault,
    row: &CredentialRow,
    grant: Grant,
    stale: Option<&str>,
) -> Result<Option<String>, CredentialError> {
    // Client credentials need no person to reconnect: asked again once a minute has passed
    // since the refusal (the provider may have been fixed), never in a tight loop.
    let retry = grant == Grant::ClientCredentials
        && Utc::now() - row.updated_at > chrono::Duration::seconds(CLIENT_CREDENTIALS_RETRY_SECS);
    if row.status == STATUS_NEEDS_RECONNECT && retry {
        return Ok(None);
    }
    if row.status == STATUS_NEEDS_RECONNECT {
        return Err(unusable(
            &row.name,
            format!(
                "it needs to be reconnected ({}): reconnect it in the editor's Credentials page",
                row.status_message
                    .as_deref()
                    .unwrap_or("the provider refused it")
            ),
        ));
    }
    let tokens = vault.open_token(row).map_err(|m| unusable(&row.name, m))?;
    Ok(tokens
        .map(|t| t.access_token)
        .filter(|t| stale != Some(t.as_str()))
        .filter(|_| row.refresh_at.is_none_or(|at| Utc::now() < at)))
}

/// Every sealed value of a row.
fn sealed_values(row: &CredentialRow) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(Value::Object(data)) = serde_json::from_str::<Value>(&row.data) {
        for f in kinds::secret_fields(&row.kind).unwrap_or(&[]) {
            if let Some(Value::String(s)) = data.get(*f) {
                out.push(s.clone());
            }
        }
    }
    out.extend(row.token.clone());
    out.extend(row.pending.clone());
    out
}

fn operator_view(name: &str, r: &Resolved, usage: &HashMap<String, Vec<String>>) -> CredentialView {
    let (data, secrets_set) = match &r.credential {
        Credential::Bearer { .. } => (json!({}), vec!["token"]),
        Credential::Basic { username, .. } => (json!({"username": username}), vec!["password"]),
        Credential::ApiKey { header, query, .. } => {
            (json!({"header": header, "query": query}), vec!["value"])
        }
        Credential::Header { name, .. } => (json!({"name": name}), vec!["value"]),
        Credential::Secret { .. } => (json!({}), vec!["value"]),
    };
    CredentialView {
        name: name.to_string(),
        kind: r.credential.kind().to_string(),
        description: "From the operator's credentials file or environment (read-only here).".into(),
        allowed_hosts: r.allowed_hosts.as_ref().map(AllowedHosts::to_strings),
        data,
        secrets_set: secrets_set.into_iter().map(String::from).collect(),
        source: CredentialSource::File,
        read_only: true,
        status: CredentialStatus::Ok,
        status_message: None,
        used_by: usage.get(name).cloned().unwrap_or_default(),
        last_used_at: None,
        created_at: None,
        updated_at: None,
        token_expires_at: None,
    }
}

#[async_trait]
impl CredentialsProvider for Vault {
    async fn get(&self, name: &str) -> Result<Resolved, CredentialError> {
        if let Some(r) = self.operator.0.get(name) {
            return Ok(r.clone());
        }
        let row = self
            .store
            .credential_by_name(name)
            .await
            .map_err(|e| CredentialError::Unavailable {
                name: name.to_string(),
                message: e.to_string(),
            })?
            .ok_or_else(|| CredentialError::NotFound(name.to_string()))?;
        self.resolve_row(row, None).await
    }

    async fn list(&self) -> Result<Vec<CredentialSummary>, CredentialError> {
        let mut out = self.operator.list().await?;
        let rows =
            self.store
                .credential_rows()
                .await
                .map_err(|e| CredentialError::Unavailable {
                    name: "*".into(),
                    message: e.to_string(),
                })?;
        for row in rows {
            if self.operator.0.contains_key(&row.name) {
                continue;
            }
            out.push(CredentialSummary {
                name: row.name,
                kind: row.kind,
                allowed_hosts: row
                    .allowed_hosts
                    .as_deref()
                    .and_then(|h| serde_json::from_str(h).ok()),
            });
        }
        Ok(out)
    }

    async fn rejected(
        &self,
        name: &str,
        used: &Credential,
    ) -> Result<Option<Resolved>, CredentialError> {
        let Credential::Bearer { token } = used else {
            return Ok(None);
        };
        if self.operator.0.contains_key(name) {
            return Ok(None);
        }
        let Some(row) = self.store.credential_by_name(name).await.ok().flatten() else {
            return Ok(None);
        };
        if row.kind != "oauth2" {
            return Ok(None);
        }
        self.resolve_row(row, Some(token)).await.map(Some)
    }
}

impl From<OpenError> for VaultError {
    fn from(e: OpenError) -> Self {
        VaultError::Unusable(e.to_string())
    }
}

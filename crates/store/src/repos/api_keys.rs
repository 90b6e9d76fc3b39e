//! API keys: only the SHA-256 of a secret is stored; the secret is shown once, at creation.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entity::api_key;
use crate::error::{Error, Result};
use crate::{Store, now};

/// How many characters of a secret are kept in clear, to tell keys apart in lists.
const PREFIX_LEN: usize = 8;
/// Secrets given by the operator must be at least this long.
pub const MIN_SECRET_LEN: usize = 16;
/// `last_used_at` is refreshed at most this often per key.
const LAST_USED_RESOLUTION: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret (`weft_abc`).
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub scope: Scope,
}

/// What a key (and the sessions and stream tokens made with it) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Everything.
    #[default]
    Admin,
    /// Reads only: no change to workflows, credentials or keys, and no run.
    Read,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::Read => "read",
        }
    }

    /// `admin` or `read`; anything else is [`Error::Invalid`].
    pub fn parse(s: &str) -> Result<Scope> {
        match s {
            "admin" => Ok(Scope::Admin),
            "read" => Ok(Scope::Read),
            other => Err(Error::invalid(format!(
                "`{other}` is not an API key scope; use `admin` or `read`"
            ))),
        }
    }

    /// A stored scope; an unknown one reads as the narrowest.
    pub(crate) fn stored(s: &str) -> Scope {
        Scope::parse(s).unwrap_or(Scope::Read)
    }
}

impl From<api_key::Model> for ApiKeyRecord {
    fn from(m: api_key::Model) -> Self {
        ApiKeyRecord {
            id: m.id,
            name: m.name,
            prefix: m.prefix,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
            scope: Scope::stored(&m.scope),
        }
    }
}

impl Store {
    /// Creates a key and returns it with its secret, which is not stored and cannot be shown
    /// again: `secret` if given (at least 16 characters, e.g. from `WEFT_ADMIN_API_KEY`),
    /// else `weft_` followed by 32 random URL-safe characters.
    pub async fn create_api_key(
        &self,
        name: &str,
        secret: Option<&str>,
    ) -> Result<(ApiKeyRecord, String)> {
        self.create_scoped_api_key(name, secret, Scope::Admin).await
    }

    /// [`Store::create_api_key`] with a [`Scope`].
    pub async fn create_scoped_api_key(
        &self,
        name: &str,
        secret: Option<&str>,
        scope: Scope,
    ) -> Result<(ApiKeyRecord, String)> {
        let secret = match secret {
            Some(s) if s.chars().count() < MIN_SECRET_LEN => {
                return Err(Error::invalid(format!(
                    "an API key must have at least {MIN_SECRET_LEN} characters"
                )));
            }
            Some(s) => s.to_string(),
            None => generate_secret()?,
        };
        let row = api_key::Model {
            id: Uuid::now_v7(),
            name: name.to_string(),
            prefix: secret.chars().take(PREFIX_LEN).collect(),
            hash: hash(&secret),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
            scope: scope.as_str().to_string(),
        };
        let record = ApiKeyRecord::from(row.clone());
        self.write("create_api_key", false, move |txn| {
            Box::pin(async move {
                api_key::Entity::insert(api_key::ActiveModel::from(row))
                    .exec_without_returning(txn)
                    .await
                    .map_err(Error::from)
                    .map_err(|e| {
                        if e.is_unique_violation() {
                            Error::conflict("an API key with this secret already exists")
                        } else {
                            e
                        }
                    })?;
                Ok(())
            })
        })
        .await?;
        Ok((record, secret))
    }

    /// The key with this secret, unless revoked. Looks the key up by the secret's hash (the
    /// secret itself is never compared). Refreshes `last_used_at` (at most once a minute,
    /// without waiting for it).
    pub async fn verify_api_key(&self, secret: &str) -> Result<Option<ApiKeyRecord>> {
        let Some(key) = api_key::Entity::find()
            .filter(api_key::Column::Hash.eq(hash(secret)))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let at = now();
        if key
            .last_used_at
            .is_none_or(|t| at - t > LAST_USED_RESOLUTION)
        {
            let id = key.id;
            let store = self.clone();
            tokio::spawn(async move {
                let _ = store
                    .write_detached("api key last used", false, move |txn| {
                        Box::pin(async move {
                            api_key::Entity::update_many()
                                .col_expr(api_key::Column::LastUsedAt, Expr::value(at))
                                .filter(api_key::Column::Id.eq(id))
                                .exec(txn)
                                .await?;
                            Ok(())
                        })
                    })
                    .await;
            });
        }
        Ok(Some(key.into()))
    }

    /// All keys, revoked ones included, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        Ok(api_key::Entity::find()
            .order_by_asc(api_key::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(ApiKeyRecord::from)
            .collect())
    }

    /// Revokes the key with this id, or the one key whose prefix this is.
    /// [`Error::NotFound`] if none matches, [`Error::Conflict`] if several do.
    pub async fn revoke_api_key(&self, id_or_prefix: &str) -> Result<()> {
        let selector = id_or_prefix.to_string();
        let at = now();
        self.write("revoke_api_key", true, move |txn| {
            Box::pin(async move {
                let matches = match Uuid::parse_str(&selector) {
                    Ok(id) => api_key::Entity::find_by_id(id).all(txn).await?,
                    Err(_) => {
                        api_key::Entity::find()
                            .filter(api_key::Column::Prefix.eq(selector.as_str()))
                            .filter(api_key::Column::RevokedAt.is_null())
                            .all(txn)
                            .await?
                    }
                };
                let key = match matches.as_slice() {
                    [] => return Err(Error::not_found("API key", &selector)),
                    [one] => one,
                    _ => {
                        return Err(Error::conflict(format!(
                            "several API keys start with `{selector}`: revoke by id"
                        )));
                    }
                };
                if key.revoked_at.is_none() {
                    api_key::Entity::update(api_key::ActiveModel {
                        id: Set(key.id),
                        revoked_at: Set(Some(at)),
                        ..Default::default()
                    })
                    .exec(txn)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// How many keys were ever created, revoked ones included: 0 only on first start, when
    /// the admin key is to be created (revoking every key does not mint a new one at restart).
    pub async fn count_api_keys(&self) -> Result<u64> {
        Ok(api_key::Entity::find().count(self.db()).await?)
    }
}

pub(crate) fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        out.push(char::from(b"0123456789abcdef"[(b & 0xf) as usize]));
    }
    out
}

pub(crate) fn generate_secret() -> Result<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::invalid(format!("no randomness: {e}")))?;
    let mut s = String::from("weft_");
    s.extend(
        bytes
            .iter()
            .map(|b| char::from(ALPHABET[(b & 63) as usize])),
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn generated_secrets_are_weft_and_32_url_safe_characters() {
        let s = generate_secret().unwrap();
        assert!(s.starts_with("weft_"));
        assert_eq!(s.len(), 37);
        assert!(
            s[5..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(s, generate_secret().unwrap());
    }
}

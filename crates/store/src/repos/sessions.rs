//! Sessions made from an API key: the editor's sign-in cookie and short-lived tokens for event
//! streams (`EventSource` cannot send headers). Only the SHA-256 of a token is stored; a
//! session ends when it expires, when it is ended (sign-out), or when its key is revoked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::api_keys::{Scope, generate_secret, hash};
use crate::entity::{api_key, session};
use crate::error::{Error, Result};
use crate::{Store, now};

/// What a session token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// The editor's HttpOnly cookie; state-changing calls also need its CSRF token.
    Session,
    /// `?access_token=` on an event stream, and nothing else.
    Stream,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Session => "session",
            SessionKind::Stream => "stream",
        }
    }
}

/// A live session or stream token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub api_key_id: Uuid,
    pub scope: Scope,
    /// The CSRF token of a [`SessionKind::Session`].
    pub csrf: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Makes a token of `kind` for the key `api_key_id` with its `scope`, valid for `ttl`.
    /// Returns the session and its token (shown once; only its hash is stored).
    pub async fn create_session(
        &self,
        kind: SessionKind,
        api_key_id: Uuid,
        scope: Scope,
        ttl: Duration,
    ) -> Result<(Session, String)> {
        let token = generate_secret()?;
        let csrf = match kind {
            SessionKind::Session => Some(generate_secret()?),
            SessionKind::Stream => None,
        };
        let at = now();
        let expires_at =
            at + chrono::Duration::from_std(ttl).map_err(|_| Error::invalid("session too long"))?;
        let row = session::Model {
            id: Uuid::now_v7(),
            kind: kind.as_str().to_string(),
            hash: hash(&token),
            api_key_id,
            scope: scope.as_str().to_string(),
            csrf: csrf.clone(),
            created_at: at,
            expires_at,
        };
        let out = Session {
            id: row.id,
            api_key_id,
            scope,
            csrf,
            expires_at,
        };
        self.write("create_session", false, move |txn| {
            Box::pin(async move {
                // Expired tokens are swept as new ones are made.
                session::Entity::delete_many()
                    .filter(session::Column::ExpiresAt.lt(at))
                    .exec(txn)
                    .await?;
                session::Entity::insert(session::ActiveModel::from(row))
                    .exec_without_returning(txn)
                    .await?;
                Ok(())
            })
        })
        .await?;
        Ok((out, token))
    }

    /// The live session of `kind` with this token: not expired, its key not revoked.
    pub async fn verify_session(&self, kind: SessionKind, token: &str) -> Result<Option<Session>> {
        let Some(row) = session::Entity::find()
            .filter(session::Column::Hash.eq(hash(token)))
            .filter(session::Column::Kind.eq(kind.as_str()))
            .filter(session::Column::ExpiresAt.gt(now()))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let key_live = api_key::Entity::find_by_id(row.api_key_id)
            .filter(api_key::Column::RevokedAt.is_null())
            .one(self.db())
            .await?
            .is_some();
        Ok(key_live.then(|| Session {
            id: row.id,
            api_key_id: row.api_key_id,
            scope: Scope::stored(&row.scope),
            csrf: row.csrf,
            expires_at: row.expires_at,
        }))
    }

    /// Ends a session (sign-out); ending one that is gone is not an error.
    pub async fn end_session(&self, id: Uuid) -> Result<()> {
        self.write("end_session", false, move |txn| {
            Box::pin(async move {
                session::Entity::delete_by_id(id).exec(txn).await?;
                Ok(())
            })
        })
        .await
    }
}

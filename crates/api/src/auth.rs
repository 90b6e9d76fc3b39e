//! API authentication, one of:
//! - `Authorization: Bearer <api key>` (scripts, the CLI);
//! - the editor's session cookie (`weft_session`, HttpOnly, SameSite=Strict), issued by
//!   `POST /api/v1/session` for an API key; a state-changing call must also carry the session's
//!   `X-CSRF-Token`;
//! - `?access_token=<stream token>` on an event stream only (`EventSource` cannot send
//!   headers): a short-lived token minted by `POST /api/v1/stream-tokens`, never an API key.
//!
//! Then the scope: a `read` key (and its sessions) may only read.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use store::{Scope, SessionKind};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "weft_session";
/// The header a session's state-changing calls echo their CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Proof that the request carried a valid, unrevoked API key (or a session made from one).
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: Uuid,
    pub scope: Scope,
    /// The session the request came with (cookie), if it did.
    pub session: Option<store::Session>,
}

/// POST routes that change nothing: a read-only caller may use them.
const READ_ONLY_POSTS: [&str; 3] = [
    "/api/v1/workflows/validate",
    "/api/v1/stream-tokens",
    "/api/v1/templates/render",
];

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The value of cookie `name`.
pub(crate) fn cookie<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn query_token(parts: &Parts) -> Option<String> {
    parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("access_token="))
            .map(|v| {
                percent_encoding::percent_decode_str(&v.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .filter(|v| !v.is_empty())
    })
}

/// A valid API key in `Authorization: Bearer …` (what a process without the API, `weft
/// worker`, asks of its `/metrics` scraper).
pub(crate) async fn require_key(parts: &Parts, store: &store::Store) -> Result<(), ApiError> {
    let secret = bearer(parts).ok_or_else(invalid_token)?;
    store
        .verify_api_key(secret)
        .await?
        .map(|_| ())
        .ok_or_else(invalid_token)
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized().header(
        header::WWW_AUTHENTICATE,
        "Bearer realm=\"weft\", error=\"invalid_token\"",
    )
}

/// The request's path as sent (a nested router sees only the rest of it).
fn full_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.path())
        .unwrap_or_else(|| parts.uri.path())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = if let Some(secret) = bearer(parts) {
            let key = state
                .store
                .verify_api_key(secret)
                .await?
                .ok_or_else(invalid_token)?;
            Caller {
                key_id: key.id,
                scope: key.scope,
                session: None,
            }
        } else if let Some(token) = cookie(parts, SESSION_COOKIE) {
            let session = state
                .store
                .verify_session(SessionKind::Session, token)
                .await?
                .ok_or_else(|| {
                    invalid_token().details(serde_json::json!({ "reason": "session_expired" }))
                })?;
            if changes_state(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .map(|v| v.as_bytes())
                    .unwrap_or_default();
                let expected = session.csrf.as_deref().unwrap_or_default().as_bytes();
                if expected.is_empty() || !bool::from(sent.ct_eq(expected)) {
                    return Err(ApiError::forbidden(format!(
                        "a call made with the session cookie must carry the session's \
                         {CSRF_HEADER} header"
                    )));
                }
            }
            Caller {
                key_id: session.api_key_id,
                scope: session.scope,
                session: Some(session),
            }
        } else if let Some(token) = query_token(parts) {
            if !full_path(parts).ends_with("/events") {
                return Err(invalid_token().details(serde_json::json!({
                    "reason": "access_token is accepted only on event streams; send Authorization: Bearer <api key>"
                })));
            }
            let session = state
                .store
                .verify_session(SessionKind::Stream, &token)
                .await?
                .ok_or_else(invalid_token)?;
            Caller {
                key_id: session.api_key_id,
                scope: session.scope,
                session: None,
            }
        } else {
            return Err(
                ApiError::unauthorized().header(header::WWW_AUTHENTICATE, "Bearer realm=\"weft\"")
            );
        };
        if caller.scope == Scope::Read
            && changes_state(&parts.method)
            && !READ_ONLY_POSTS.contains(&full_path(parts))
        {
            return Err(ApiError::forbidden(
                "this API key is read-only: it cannot change workflows, credentials or keys, or run anything",
            ));
        }
        Ok(caller)
    }
}

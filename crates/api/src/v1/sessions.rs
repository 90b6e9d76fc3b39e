//! Signing in to the editor and tokens for event streams.
//!
//! The editor trades an API key for a session: an HttpOnly, SameSite=Strict cookie that no
//! script can read, plus a CSRF token its state-changing calls echo in `X-CSRF-Token`. The API
//! key itself is then forgotten by the browser. `EventSource` cannot send headers, so event
//! streams also take a short-lived `?access_token=` minted here (never an API key).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::SessionKind;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult, OptionalJson};

/// How long a sign-in lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long a stream token can open a stream.
pub const STREAM_TOKEN_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionIn {
    /// The API key to sign in with.
    pub api_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// `admin` or `read`.
    pub scope: store::Scope,
    /// Echo it in `X-CSRF-Token` on every state-changing call made with the cookie; `null`
    /// when the caller used an API key.
    #[schema(required)]
    pub csrf_token: Option<String>,
    #[schema(required)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTokenOut {
    /// Send it as `?access_token=` to an event stream (`…/events`); nothing else takes it.
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

fn cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let v = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Sign in: trade an API key for a session cookie and its CSRF token.
#[utoipa::path(post, path = "/session", tag = "meta",
    request_body = SessionIn,
    responses((status = 200, body = SessionOut), (status = 401)))]
async fn create_session(
    State(state): State<AppState>,
    OptionalJson(body): OptionalJson<SessionIn>,
) -> ApiResult<Response> {
    let body = body.ok_or_else(|| ApiError::bad_request("send {\"api_key\": \"…\"}"))?;
    let key = state
        .store
        .verify_api_key(body.api_key.trim())
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let (session, token) = state
        .store
        .create_session(SessionKind::Session, key.id, key.scope, SESSION_TTL)
        .await?;
    let mut res = Json(SessionOut {
        scope: key.scope,
        csrf_token: session.csrf,
        expires_at: Some(session.expires_at),
    })
    .into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &token, SESSION_TTL.as_secs()),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The current session: its scope and CSRF token (for an editor tab opened later).
#[utoipa::path(get, path = "/session", tag = "meta",
    responses((status = 200, body = SessionOut), (status = 401)))]
async fn get_session(caller: Caller) -> ApiResult<Response> {
    let (csrf_token, expires_at) = match caller.session {
        Some(session) => (session.csrf, Some(session.expires_at)),
        None => (None, None),
    };
    let mut res = Json(SessionOut {
        scope: caller.scope,
        csrf_token,
        expires_at,
    })
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "meta", responses((status = 204)))]
async fn delete_session(caller: Caller, State(state): State<AppState>) -> ApiResult<Response> {
    if let Some(session) = &caller.session {
        state.store.end_session(session.id).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(res)
}

/// A token for `?access_token=` on an event stream, valid for five minutes.
#[utoipa::path(post, path = "/stream-tokens", tag = "meta",
    responses((status = 200, body = StreamTokenOut), (status = 401)))]
async fn create_stream_token(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<StreamTokenOut>> {
    let (session, token) = state
        .store
        .create_session(
            SessionKind::Stream,
            caller.key_id,
            caller.scope,
            STREAM_TOKEN_TTL,
        )
        .await?;
    Ok(Json(StreamTokenOut {
        token,
        expires_at: session.expires_at,
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session, get_session, delete_session))
        .routes(routes!(create_stream_token))
}

//! API authentication: `Authorization: Bearer <api key>` on every `/api` route. EventSource
//! cannot send headers, so `?access_token=<key>` is accepted too.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::AppState;
use crate::error::ApiError;

/// Proof that the request carried a valid, unrevoked API key.
#[derive(Debug, Clone, Copy)]
pub struct Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .map(str::to_string);
        let secret = from_header.or_else(|| {
            parts.uri.query().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("access_token="))
                    .map(|v| {
                        percent_encoding::percent_decode_str(&v.replace('+', " "))
                            .decode_utf8_lossy()
                            .into_owned()
                    })
            })
        });
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return Err(
                ApiError::unauthorized().header(header::WWW_AUTHENTICATE, "Bearer realm=\"weft\"")
            );
        };
        match state.store.verify_api_key(&secret).await? {
            Some(_) => Ok(Caller),
            None => Err(ApiError::unauthorized().header(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"weft\", error=\"invalid_token\"",
            )),
        }
    }
}

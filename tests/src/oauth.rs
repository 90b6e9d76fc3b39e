//! A mock OAuth2 provider inside [`crate::MockApi`], for the credentials tests:
//!
//! | route | answer |
//! |---|---|
//! | `GET /oauth/authorize?response_type=code&client_id&redirect_uri&state&code_challenge&code_challenge_method=S256` | approves at once: 302 to `redirect_uri?code=…&state=…` |
//! | `POST /oauth/token` (form) | `authorization_code` (PKCE S256 checked), `refresh_token`, `client_credentials` (secret `mock-secret`): `{access_token, token_type, expires_in, refresh_token}`; a revoked or unknown refresh token: 400 `invalid_grant` |
//! | `POST /oauth/config` `{expires_in, rotate_refresh, delay_ms}` | 200; tokens issued after it last `expires_in` s, refresh tokens rotate, the token endpoint answers after `delay_ms` |
//! | `POST /oauth/expire` | every access token issued so far stops working (`/oauth/me` answers 401) |
//! | `POST /oauth/revoke` | every refresh token (and the client credentials) stop working |
//! | `GET /oauth/stats` | `{issued, refreshes, authorizations, client_credentials}` |
//! | `GET /oauth/me` | 200 `{ok, token}` with a live access token as `Authorization: Bearer`, 401 otherwise |

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;

/// The client secret the mock accepts.
pub const CLIENT_SECRET: &str = "mock-secret";

#[derive(Default)]
pub(crate) struct Provider {
    expires_in: Option<u64>,
    rotate_refresh: bool,
    delay_ms: u64,
    revoked: bool,
    next: u64,
    /// code → (challenge, redirect_uri)
    codes: HashMap<String, (String, String)>,
    refresh_tokens: HashSet<String>,
    /// access token → expiry
    access: HashMap<String, Instant>,
    issued: u64,
    refreshes: u64,
    authorizations: u64,
    client_credentials: u64,
}

type St = State<Arc<Shared>>;

fn provider(state: &Shared) -> std::sync::MutexGuard<'_, Provider> {
    state.oauth.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) async fn authorize(
    State(state): St,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (Some(redirect), Some(challenge)) = (q.get("redirect_uri"), q.get("code_challenge")) else {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri and code_challenge are required",
        )
            .into_response();
    };
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return (
            StatusCode::BAD_REQUEST,
            "code_challenge_method must be S256",
        )
            .into_response();
    }
    let code = {
        let mut p = provider(&state);
        p.next += 1;
        let code = format!("code-{}-{}", p.next, uuid::Uuid::new_v4().simple());
        p.codes
            .insert(code.clone(), (challenge.clone(), redirect.clone()));
        p.authorizations += 1;
        code
    };
    let mut location = url_with(
        redirect,
        &[
            ("code", &code),
            ("state", q.get("state").map(String::as_str).unwrap_or("")),
        ],
    );
    if location.is_empty() {
        location = redirect.clone();
    }
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn url_with(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = base.to_string();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 && !base.contains('?') {
            '?'
        } else {
            '&'
        });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn refusal(status: StatusCode, error: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": format!("mock provider: {error}")})),
    )
        .into_response()
}

pub(crate) async fn token(State(state): St, body: axum::body::Bytes) -> Response {
    let form: HashMap<String, String> = form_pairs(&body);
    let delay = provider(&state).delay_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mut p = provider(&state);
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    match grant {
        "authorization_code" => {
            let Some((challenge, redirect)) = form.get("code").and_then(|c| p.codes.remove(c))
            else {
                return refusal(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            if s256(&verifier) != challenge || form.get("redirect_uri") != Some(&redirect) {
                return refusal(StatusCode::BAD_REQUEST, "invalid_grant");
            }
        }
        "refresh_token" => {
            let Some(rt) = form.get("refresh_token") else {
                return refusal(StatusCode::BAD_REQUEST, "invalid_request");
            };
            if p.revoked || !p.refresh_tokens.contains(rt) {
                return refusal(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            if p.rotate_refresh {
                p.refresh_tokens.remove(rt);
            }
            p.refreshes += 1;
        }
        "client_credentials" => {
            if p.revoked || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
                return refusal(StatusCode::UNAUTHORIZED, "invalid_client");
            }
            p.client_credentials += 1;
        }
        _ => return refusal(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
    p.next += 1;
    p.issued += 1;
    let n = p.next;
    let access = format!("mock-access-{n}-{}", uuid::Uuid::new_v4().simple());
    let life = p.expires_in.unwrap_or(3600);
    p.access
        .insert(access.clone(), Instant::now() + Duration::from_secs(life));
    let mut answer = json!({"access_token": access, "token_type": "Bearer", "expires_in": life});
    let rotate = p.rotate_refresh || grant == "authorization_code";
    if grant != "client_credentials" && rotate {
        let rt = format!("mock-refresh-{n}-{}", uuid::Uuid::new_v4().simple());
        p.refresh_tokens.insert(rt.clone());
        answer["refresh_token"] = Value::String(rt);
    }
    Json(answer).into_response()
}

fn form_pairs(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// base64url(SHA-256(verifier)) without padding, as PKCE S256 has it.
fn s256(verifier: &str) -> String {
    let digest = sha256(verifier.as_bytes());
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in digest.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 3,
            _ => 4,
        };
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), small and dependency-free: the mock checks PKCE with it.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

pub(crate) async fn config(State(state): St, Json(body): Json<Value>) -> Response {
    let mut p = provider(&state);
    if let Some(e) = body.get("expires_in").and_then(Value::as_u64) {
        p.expires_in = Some(e);
    }
    if let Some(r) = body.get("rotate_refresh").and_then(Value::as_bool) {
        p.rotate_refresh = r;
    }
    if let Some(d) = body.get("delay_ms").and_then(Value::as_u64) {
        p.delay_ms = d;
    }
    Json(json!({"ok": true})).into_response()
}

/// Every access token issued so far stops working (an API then answers 401).
pub(crate) async fn expire(State(state): St) -> Response {
    let now = Instant::now();
    for t in provider(&state).access.values_mut() {
        *t = now;
    }
    Json(json!({"ok": true})).into_response()
}

pub(crate) async fn revoke(State(state): St) -> Response {
    provider(&state).revoked = true;
    Json(json!({"ok": true})).into_response()
}

pub(crate) async fn stats(State(state): St) -> Response {
    Json(stats_of(&state)).into_response()
}

pub(crate) fn stats_of(state: &Shared) -> Value {
    let p = provider(state);
    json!({"issued": p.issued, "refreshes": p.refreshes, "authorizations": p.authorizations, "client_credentials": p.client_credentials})
}

pub(crate) async fn me(State(state): St, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let live = provider(&state)
        .access
        .get(token)
        .is_some_and(|t| Instant::now() < *t);
    if live {
        Json(json!({"ok": true, "token": token.split('-').take(3).collect::<Vec<_>>().join("-")}))
            .into_response()
    } else {
        refusal(StatusCode::UNAUTHORIZED, "invalid_token")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_and_s256_match_known_values() {
        // RFC 7636 appendix B.
        assert_eq!(
            super::s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(super::decode("a%20b+c%2Fd"), "a b c/d");
    }
}

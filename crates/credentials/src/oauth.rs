//! OAuth2 at the provider: the authorization URL (PKCE S256), and the token endpoint
//! (authorization code, refresh token, client credentials). Calls go through the process's
//! HTTP client, so the outbound policy applies to token endpoints too. Messages never hold a
//! token or the client secret.

use std::time::Duration;

use actions::HttpClient;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::kinds::{ClientAuth, OAuth2Data};

/// The longest token lifetime believed (`expires_in` beyond it is taken as this).
const MAX_TOKEN_LIFE_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// How long a token request may take.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(15);
/// The most of a token endpoint's answer that is read.
const MAX_ANSWER: usize = 64 * 1024;

/// The tokens of a credential (stored sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// A token endpoint's answer.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<Duration>,
}

/// Why a token request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The provider refused (a revoked refresh token, a wrong client secret): a person must
    /// reconnect or fix the credential.
    Refused(String),
    /// Down, slow or overloaded: worth a retry.
    Unreachable(String),
}

/// A random URL-safe text of 32 bytes (`state`, PKCE verifier).
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The PKCE S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The provider's authorization page for this credential, to open in the browser.
pub fn authorize_url(
    data: &OAuth2Data,
    redirect_uri: &str,
    state: &str,
    verifier: &str,
) -> Result<String, String> {
    let base = data
        .authorize_url
        .as_deref()
        .ok_or("the credential has no authorize_url")?;
    let mut url = url::Url::parse(base).map_err(|e| format!("authorize_url: {e}"))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &data.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        if !data.scopes.is_empty() {
            q.append_pair("scope", &data.scopes.join(" "));
        }
        if let Some(a) = &data.audience {
            q.append_pair("audience", a);
        }
        for (k, v) in &data.extra_params {
            q.append_pair(k, v);
        }
    }
    Ok(url.into())
}

/// A token endpoint's `expires_in` (a number or a numeric string) as a lifetime. It comes from
/// outside: NaN, infinities, zero and negatives are no lifetime; more than a year is a year.
fn lifetime(value: &serde_json::Value) -> Option<Duration> {
    let seconds = match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    (seconds.is_finite() && seconds > 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(MAX_TOKEN_LIFE_SECS)))
}

/// Asks the token endpoint; `grant` holds the grant's own parameters (`grant_type`, …).
pub async fn request_token(
    client: &HttpClient,
    data: &OAuth2Data,
    grant: Vec<(&'static str, String)>,
) -> Result<Issued, TokenError> {
    let url = url::Url::parse(&data.token_url)
        .map_err(|e| TokenError::Refused(format!("token_url: {e}")))?;
    client
        .policy()
        .check_url(&url)
        .map_err(|r| TokenError::Refused(format!("token_url {}: {r}", shown(&url))))?;
    let mut form: Vec<(String, String)> =
        grant.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    if let Some(a) = &data.audience {
        form.push(("audience".into(), a.clone()));
    }
    if !data.scopes.is_empty()
        && form
            .iter()
            .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    {
        form.push(("scope".into(), data.scopes.join(" ")));
    }
    for (k, v) in &data.extra_params {
        form.push((k.clone(), v.clone()));
    }
    let mut request = client
        .reqwest()
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(TOKEN_TIMEOUT);
    match (data.client_auth, &data.client_secret) {
        (ClientAuth::Basic, Some(secret)) => {
            request = request.basic_auth(&data.client_id, Some(secret));
        }
        (_, secret) => {
            form.push(("client_id".into(), data.client_id.clone()));
            if let Some(s) = secret {
                form.push(("client_secret".into(), s.clone()));
            }
        }
    }
    let answer = request.form(&form).send().await.map_err(|e| {
        TokenError::Unreachable(format!(
            "the token endpoint {} did not answer: {}",
            shown(&url),
            without_url(&e)
        ))
    })?;
    let status = answer.status();
    let body = read_bounded(answer)
        .await
        .map_err(TokenError::Unreachable)?;
    let mut secrets = engine::redact::Secrets::default();
    if let (ClientAuth::Basic, Some(secret)) = (data.client_auth, &data.client_secret) {
        // The form it travelled in, should the endpoint quote the request's header.
        secrets.add(
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{secret}", data.client_id)),
        );
    }
    for s in data.client_secret.iter().chain(
        form.iter()
            .filter(|(k, _)| k == "refresh_token" || k == "code" || k == "code_verifier")
            .map(|(_, v)| v),
    ) {
        secrets.add(s.clone());
    }
    if status.is_success() {
        #[derive(Deserialize)]
        struct Answer {
            access_token: Option<String>,
            refresh_token: Option<String>,
            expires_in: Option<serde_json::Value>,
        }
        let a: Answer = serde_json::from_slice(&body).map_err(|_| {
            TokenError::Refused(format!(
                "the token endpoint {} answered {status} without JSON",
                shown(&url)
            ))
        })?;
        let access_token = a.access_token.filter(|t| !t.is_empty()).ok_or_else(|| {
            TokenError::Refused(format!(
                "the token endpoint {} answered without an access_token",
                shown(&url)
            ))
        })?;
        return Ok(Issued {
            access_token,
            refresh_token: a.refresh_token.filter(|t| !t.is_empty()),
            expires_in: a.expires_in.as_ref().and_then(lifetime),
        });
    }
    #[derive(Deserialize)]
    struct Refusal {
        error: Option<String>,
        error_description: Option<String>,
    }
    let why = serde_json::from_slice::<Refusal>(&body)
        .ok()
        .map(|r| {
            let mut s = r.error.unwrap_or_default();
            if let Some(d) = r.error_description {
                s = format!("{s}: {d}");
            }
            s
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    let why = secrets.scrub(&why).into_owned();
    let message = format!(
        "the token endpoint {} answered {status}: {why}",
        shown(&url)
    );
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        Err(TokenError::Unreachable(message))
    } else {
        Err(TokenError::Refused(message))
    }
}

async fn read_bounded(mut answer: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| format!("the token endpoint's answer broke off: {}", without_url(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            return Err("the token endpoint's answer is larger than 64 KiB".into());
        }
    }
    Ok(body)
}

fn shown(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "");
    }
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_lifetime_from_the_provider_is_bounded_and_nonsense_is_none() {
        assert_eq!(lifetime(&json!(3600)), Some(Duration::from_secs(3600)));
        assert_eq!(lifetime(&json!("120")), Some(Duration::from_secs(120)));
        let year = Some(Duration::from_secs_f64(MAX_TOKEN_LIFE_SECS));
        assert_eq!(lifetime(&json!(1e30)), year);
        assert_eq!(lifetime(&json!(u64::MAX)), year);
        for none in [
            json!("inf"),
            json!("NaN"),
            json!(0),
            json!(-5),
            json!(null),
            json!([1]),
        ] {
            assert_eq!(lifetime(&none), None, "{none}");
        }
    }
}

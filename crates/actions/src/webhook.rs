//! `webhook`: an outgoing webhook, delivered durably. The step queues a message with the host
//! ([`engine::services::Services::queue_delivery`]); the server's delivery runner POSTs it,
//! signed per Standard Webhooks, and retries it on a schedule until a 2xx answers. This module
//! also holds what one attempt does on the wire ([`send`]), so that the outbound rules of the
//! `http` action (the policy, error messages) are the same here.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem};
use engine::credentials::{Credential, Resolved};
use engine::services::NewDelivery;
use reqwest::Url;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{self, Pairs, Templated, Text, is_template};
use crate::http::{HttpUrl, network_error};
use crate::typed::TypedAction;

/// Headers Weft sets on every delivery; `headers` may not set them.
pub const RESERVED_HEADERS: [&str; 6] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
];

/// Shortest signing key, in bytes (after `whsec_` decoding), as for incoming webhooks.
pub const MIN_SECRET_BYTES: usize = 16;

/// Sends a JSON message to a URL, durably: it is stored first and retried until it is
/// delivered (a 2xx) or no attempt is left.
///
/// Every attempt is a `POST` with `Content-Type: application/json`, `webhook-id` (the same on
/// every attempt), `webhook-timestamp` and, with `credential`, `webhook-signature`
/// (Standard Webhooks: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WebhookConfig")]
pub struct Config {
    /// An absolute `http://` or `https://` URL to POST to.
    pub url: Templated<HttpUrl>,
    /// The message, sent as JSON (`null` when absent).
    #[serde(default)]
    pub body: Option<Value>,
    /// Extra request headers by name (not the `webhook-*` ones, which Weft sets).
    #[serde(default)]
    pub headers: Option<Templated<Pairs<Text>>>,
    /// The name of a `secret` credential (`whsec_…` base64, or raw text) that signs each
    /// attempt; unsigned when absent. A secret bound to hosts signs only deliveries to them.
    #[serde(default)]
    pub credential: Option<String>,
    /// Wait until the message is delivered (or failed for good) instead of only until it is
    /// queued; a message that fails for good then fails the step.
    #[serde(default)]
    pub wait: Option<Templated<bool>>,
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if let Some(Templated::Value(headers)) = &self.headers {
            for (name, _) in &headers.0 {
                if let Some(problem) = header_problem(name) {
                    problems.push(ConfigProblem::new(format!("headers.{name}"), problem));
                }
            }
        }
        problems
    }
}

/// Why `name` cannot be a header of `headers`, if it cannot.
fn header_problem(name: &str) -> Option<String> {
    if is_template(name) {
        return None;
    }
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Some(format!("`{name}` is not a valid header name"));
    }
    let lower = name.to_ascii_lowercase();
    RESERVED_HEADERS
        .contains(&lower.as_str())
        .then(|| format!("`{name}` is set by Weft on every delivery; leave it out"))
}

/// The `webhook` action. Holds the shared client for its outbound policy (checked when the
/// step runs for address URLs, and by the runner at every attempt).
#[derive(Debug, Clone)]
pub struct Webhook {
    client: crate::HttpClient,
}

impl Webhook {
    pub fn new(client: crate::HttpClient) -> Self {
        Webhook { client }
    }
}

#[async_trait]
impl TypedAction for Webhook {
    type Config = Config;
    const KIND: &'static str = "webhook";
    const TITLE: &'static str = "Outgoing webhook";
    const DESCRIPTION: &'static str = "POSTs a signed JSON message (Standard Webhooks), delivered durably: \
         retried until a 2xx answers. Output {delivery_id, message_id}; with wait, also \
         {status, attempts, last_status}.";

    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        let url = resolve("url", config.url)?.0;
        self.client
            .policy
            .check_url(&url)
            .map_err(|r| ActionError::permanent(format!("POST {url}: {r}")))?;
        let mut headers = BTreeMap::new();
        if let Some(pairs) = config.headers {
            for (name, Text(value)) in resolve("headers", pairs)?.0 {
                if let Some(problem) = header_problem(&name) {
                    return Err(config::invalid(&ConfigProblem::new(
                        format!("headers.{name}"),
                        problem,
                    )));
                }
                if HeaderValue::from_str(&value).is_err() {
                    return Err(ActionError::permanent(format!(
                        "invalid `with.headers.{name}`: the value holds characters a header cannot carry"
                    )));
                }
                headers.insert(name.to_ascii_lowercase(), value);
            }
        }
        let wait = match config.wait {
            Some(w) => resolve("wait", w)?,
            None => false,
        };
        if let Some(name) = &config.credential {
            signing_secret(ctx, name, &url).await?;
        }
        let queued = ctx
            .services
            .queue_delivery(NewDelivery {
                url: url.to_string(),
                headers,
                body: config.body.unwrap_or(Value::Null),
                credential: config.credential,
                step_id: ctx.step_id.to_string(),
                item_index: ctx.item_index,
                idempotency_key: ctx.idempotency_key(),
            })
            .await?;
        let mut output = json!({
            "delivery_id": queued.delivery_id,
            "message_id": queued.message_id,
        });
        if !wait {
            return Ok(ActionOutput::value(output));
        }
        let outcome = ctx.services.await_delivery(queued.delivery_id).await?;
        let facts = json!({
            "delivery_id": queued.delivery_id,
            "message_id": queued.message_id,
            "status": outcome.status,
            "attempts": outcome.attempts,
            "last_status": outcome.last_status,
        });
        if outcome.status == "delivered" {
            output["status"] = json!(outcome.status);
            output["attempts"] = json!(outcome.attempts);
            output["last_status"] = json!(outcome.last_status);
            return Ok(ActionOutput::value(output));
        }
        let why = match (&outcome.last_error, outcome.last_status) {
            (Some(e), _) => e.clone(),
            (None, Some(s)) => format!("the last answer was {s}"),
            (None, None) => "no answer".to_string(),
        };
        Err(ActionError::permanent(format!(
            "the webhook to {url} was not delivered after {} attempt{}: {why}",
            outcome.attempts,
            if outcome.attempts == 1 { "" } else { "s" }
        ))
        .with_details(facts))
    }
}

fn resolve<T: serde::de::DeserializeOwned>(
    field: &str,
    value: Templated<T>,
) -> Result<T, ActionError> {
    value
        .resolve()
        .map_err(|message| config::invalid(&ConfigProblem::new(field, message)))
}

/// The signing secret of credential `name` for a delivery to `url`: it must exist, may sign
/// for `url`'s host ([`check_signing_host`]), be a `secret`, and (for a `whsec_` one) decode to
/// at least [`MIN_SECRET_BYTES`]. Errors never repeat the secret.
pub async fn signing_secret(
    ctx: &ActionContext<'_>,
    name: &str,
    url: &Url,
) -> Result<String, ActionError> {
    let resolved = ctx
        .credentials
        .get(name)
        .await
        .map_err(crate::http::credential_error)?;
    check_signing_host(name, &resolved, url.as_str()).map_err(ActionError::permanent)?;
    check_signing_secret(name, resolved.credential).map_err(ActionError::permanent)
}

/// Whether `resolved` may sign a delivery to `url`: a credential bound to hosts signs only
/// deliveries to them. The message names the host (the runner checks at each attempt).
pub fn check_signing_host(name: &str, resolved: &Resolved, url: &str) -> Result<(), String> {
    let parsed =
        Url::parse(url).map_err(|_| format!("`{url}` is not an http:// or https:// URL"))?;
    resolved
        .check_host(name, &parsed)
        .map_err(|refused| format!("POST {parsed}: {refused}"))
}

/// [`signing_secret`]'s rules, for a credential already read (the runner reads it at each
/// attempt).
pub fn check_signing_secret(name: &str, credential: Credential) -> Result<String, String> {
    let Credential::Secret { value } = credential else {
        return Err(format!(
            "credential `{name}` is a {} credential; a webhook is signed with a `secret` credential",
            credential.kind()
        ));
    };
    let key_len = match value.strip_prefix("whsec_") {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded))
            .map_err(|_| {
                format!("credential `{name}` starts with `whsec_` but the rest is not base64")
            })?
            .len(),
        None => value.len(),
    };
    if key_len < MIN_SECRET_BYTES {
        return Err(format!(
            "credential `{name}` is too short to sign with: at least {MIN_SECRET_BYTES} bytes"
        ));
    }
    Ok(value)
}

/// One attempt of a delivery, as the runner hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub url: &'a str,
    /// The step's extra headers.
    pub headers: &'a BTreeMap<String, String>,
    /// `webhook-id`, `webhook-timestamp` and (signed) `webhook-signature`; they win over
    /// `headers`.
    pub webhook_headers: &'a [(&'a str, String)],
    /// The JSON text, sent byte for byte.
    pub body: &'a str,
    /// For the whole attempt, reading the answer included.
    pub timeout: Duration,
    /// The most of the answer's body read and kept.
    pub max_body: usize,
}

/// How an attempt went on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sent {
    /// The answer's status, if one came.
    pub status: Option<u16>,
    /// The answer's `Retry-After` (seconds or an HTTP date).
    pub retry_after: Option<Duration>,
    /// The start of the answer's body, as text.
    pub body: Option<String>,
    /// Why it was not a success; `None` for a 2xx.
    pub error: Option<String>,
    /// Another attempt cannot succeed: the outbound policy refused the address, or the URL or a
    /// header is not one that can be sent.
    pub permanent: bool,
}

impl Sent {
    pub fn is_success(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// POSTs one attempt through `client` (its outbound policy: address URLs checked here, names
/// in its resolver). Redirects are not followed: a 3xx is a failed attempt. At most
/// `max_body` bytes of the answer are read.
pub async fn send(client: &crate::HttpClient, out: Outgoing<'_>) -> Sent {
    let failed = |error: String, permanent: bool| Sent {
        error: Some(error),
        permanent,
        ..Sent::default()
    };
    let url = match Url::parse(out.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            return failed(
                format!("`{}` is not an http:// or https:// URL", out.url),
                true,
            );
        }
    };
    let shown = url.to_string();
    if let Err(refused) = client.policy.check_url(&url) {
        return failed(format!("POST {shown}: {refused}"), true);
    }
    let mut headers = HeaderMap::new();
    for (name, value) in out.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return failed(format!("the header `{name}` cannot be sent"), true);
        };
        headers.insert(name, value);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in out.webhook_headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return failed(format!("the header `{name}` cannot be sent"), true);
        };
        headers.insert(name, value);
    }
    let method = reqwest::Method::POST;
    let request = client
        .client
        .post(url)
        .headers(headers)
        .body(out.body.to_string())
        .timeout(out.timeout);
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let e = network_error(&method, &shown, out.timeout, &e);
            return failed(e.message, !e.retryable);
        }
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::http::retry_after);
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut bytes = Vec::new();
    let mut read_error = None;
    while bytes.len() < out.max_body {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                read_error = Some(network_error(&method, &shown, out.timeout, &e).message);
                break;
            }
        }
    }
    bytes.truncate(out.max_body);
    let body = (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned());
    let code = status.as_u16();
    let reason = status
        .canonical_reason()
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let error = if status.is_success() {
        None
    } else if status.is_redirection() {
        Some(format!(
            "POST {shown} answered {code}{reason}; redirects are not followed{}",
            location
                .map(|l| format!(" (Location: {l})"))
                .unwrap_or_default()
        ))
    } else {
        Some(format!("POST {shown} answered {code}{reason}"))
    };
    Sent {
        status: Some(code),
        retry_after,
        body,
        error: error.or(read_error.filter(|_| !status.is_success())),
        permanent: false,
    }
}

#[cfg(test)]
mod tests {
    use engine::action::Action;

    use crate::Typed;

    use super::*;

    fn problems(config: Value) -> Vec<String> {
        Typed(Webhook::new(crate::http_client()))
            .validate(&config)
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn the_url_is_required_and_reserved_headers_are_refused() {
        assert_eq!(
            problems(json!({"url": "https://chat.example/hook", "body": {"a": 1}})),
            Vec::<String>::new()
        );
        assert_eq!(problems(json!({"body": {}})), ["url"]);
        assert_eq!(problems(json!({"url": "ftp://x"})), ["url"]);
        assert_eq!(
            problems(json!({"url": "https://x.example", "headers": {"Webhook-Id": "1"}})),
            ["headers.Webhook-Id"]
        );
        assert_eq!(
            problems(json!({"url": "https://x.example", "wait": "yes"})),
            ["wait"]
        );
        assert_eq!(
            problems(json!({"url": "{{env.URL}}", "wait": "{{trigger.body.wait}}"})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn only_secret_credentials_of_a_useful_length_sign() {
        let secret = |v: &str| Credential::Secret { value: v.into() };
        assert!(
            check_signing_secret("s", secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).is_ok()
        );
        assert!(check_signing_secret("s", secret("sixteen-chars-xx")).is_ok());
        let short = check_signing_secret("s", secret("whsec_MDEyMzQ1Njc4OWFiY2Rl")).unwrap_err();
        assert!(short.contains("too short"), "{short}");
        let bad = check_signing_secret("s", secret("whsec_!!not-base64!!!!!!")).unwrap_err();
        assert!(bad.contains("base64") && !bad.contains("!!not"), "{bad}");
        let bearer = Credential::Bearer {
            token: "t".repeat(20),
        };
        let wrong = check_signing_secret("b", bearer).unwrap_err();
        assert!(wrong.contains("bearer"), "{wrong}");
    }

    #[tokio::test]
    async fn without_the_server_the_step_says_it_needs_one() {
        let err = crate::test_support::run(
            &Typed(Webhook::new(crate::http_client())),
            json!({"url": "https://chat.example/hook", "body": {"a": 1}}),
        )
        .await
        .unwrap_err();
        assert!(err.message.contains("weft serve"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_private_address_is_refused_before_anything_is_queued() {
        let err = crate::test_support::run(
            &Typed(Webhook::new(crate::http_client())),
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await
        .unwrap_err();
        assert!(err.message.contains("refused"), "{}", err.message);
        assert!(!err.retryable);
    }

    #[tokio::test]
    async fn a_secret_bound_to_hosts_signs_only_deliveries_to_them() {
        let bound = engine::credentials::Resolved {
            credential: Credential::Secret {
                value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            },
            allowed_hosts: Some(
                engine::credentials::AllowedHosts::parse(&["hooks.example.com"]).unwrap(),
            ),
        };
        let credentials =
            engine::credentials::StaticCredentials([("signing".to_string(), bound.clone())].into());
        let action = Typed(Webhook::new(crate::http_client()));
        let run = |url: &str| {
            crate::test_support::run_with(
                &action,
                json!({"url": url, "credential": "signing"}),
                &credentials,
            )
        };
        let err = run("https://chat.example/hook").await.unwrap_err();
        assert_eq!(
            err.message,
            "POST https://chat.example/hook: credential `signing` may not be sent to \
             `chat.example`: it is bound to `hooks.example.com`"
        );
        assert!(!err.retryable);
        // To its host the step goes on to queue the delivery (which needs the server).
        let err = run("https://hooks.example.com/in").await.unwrap_err();
        assert!(err.message.contains("weft serve"), "{}", err.message);

        assert!(check_signing_host("signing", &bound, "https://hooks.example.com:8443/x").is_ok());
        let refused = check_signing_host("signing", &bound, "http://127.0.0.1:9/x").unwrap_err();
        assert!(refused.contains("`127.0.0.1:9`"), "{refused}");
        let unbound = engine::credentials::Resolved::unbound(bound.credential.clone());
        assert!(check_signing_host("signing", &unbound, "http://127.0.0.1:9/x").is_ok());
    }
}

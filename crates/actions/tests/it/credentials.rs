//! Credentials of the `http` action: bound to hosts, renewed after a 401, masked when an API
//! echoes them. Over loopback only.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use engine::action::Action;
use engine::credentials::{Credential, CredentialError, CredentialsProvider, Resolved};
use engine::redact::MASK;
use serde_json::json;

use crate::support::{GUARD_TOKEN, Harness, listener};

fn bearer(token: &str) -> Credential {
    Credential::Bearer {
        token: token.into(),
    }
}

#[tokio::test]
async fn a_bound_credential_reaches_its_host() {
    let mut api = Harness::start().await;
    api.bind("bound", bearer("b0und-token"), &["127.0.0.1:{port}"]);
    let received = api.echo(json!({"credential": "bound"})).await;
    assert_eq!(
        api.echoed()["headers"]["authorization"],
        "Bearer b0und-token"
    );
    assert_eq!(
        received["headers"]["authorization"],
        format!("Bearer {MASK}")
    );
}

#[tokio::test]
async fn a_bound_credential_is_refused_for_another_host_and_nothing_is_sent_there() {
    let (other, other_accepted) = listener(0).await;
    let mut api = Harness::start().await;
    api.bind("bound", bearer("b0und-token"), &["127.0.0.1:{port}"]);
    let url = format!("http://127.0.0.1:{other}/seen");
    let err = api
        .run(json!({"url": url, "credential": "bound"}))
        .await
        .unwrap_err();
    assert!(!err.retryable);
    assert_eq!(
        err.message,
        format!(
            "GET {url}: credential `bound` may not be sent to `127.0.0.1:{other}`: it is bound \
             to `127.0.0.1:{}`",
            api.port()
        )
    );
    assert_eq!(
        other_accepted.load(Ordering::SeqCst),
        0,
        "the listener was reached"
    );
}

/// Credentials follow a redirect only on the same origin (scheme, host and port): a redirect
/// to another port of the same host, which the credential is not bound to, is followed
/// without it (as before hosts were bound), not refused.
#[tokio::test]
async fn a_redirect_to_a_port_the_credential_is_not_bound_to_is_followed_without_it() {
    let (first, _) = listener(0).await;
    let (second, second_accepted) = listener(0).await;
    let mut api = Harness::start().await;
    api.bind(
        "bound",
        bearer("b0und-token"),
        &[&format!("127.0.0.1:{first}")],
    );
    let out = api
        .run(json!({
            "url": format!("http://127.0.0.1:{first}/to"),
            "query": {"u": format!("http://127.0.0.1:{second}/seen")},
            "credential": "bound",
        }))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 200);
    let seen = out.value["body"].to_string();
    assert!(
        out.value["body"]["headers"].get("authorization").is_none(),
        "{seen}"
    );
    assert!(
        !seen.contains("b0und-token") && !seen.contains(MASK),
        "{seen}"
    );
    assert_eq!(second_accepted.load(Ordering::SeqCst), 1);

    // On the same origin the credential is kept, its host checked again at the hop.
    let out = api
        .run(json!({
            "url": format!("http://127.0.0.1:{first}/to"),
            "query": {"u": format!("http://127.0.0.1:{first}/seen")},
            "credential": "bound",
        }))
        .await
        .unwrap();
    assert_eq!(
        out.value["body"]["headers"]["authorization"],
        format!("Bearer {MASK}")
    );
}

#[tokio::test]
async fn an_echoed_token_is_masked_in_the_body_the_headers_and_errors() {
    let api = Harness::start().await;
    let out = api
        .run(json!({"url": api.url("/echo?as=text"), "credential": "crm-bearer"}))
        .await
        .unwrap();
    let text = out.value.to_string();
    assert!(!text.contains("t0ken"), "{text}");
    assert_eq!(out.value["headers"]["x-echo-authorization"], "Bearer ***");
    assert!(
        out.value["body"]
            .as_str()
            .unwrap()
            .contains(r#""authorization":"Bearer ***""#),
        "{text}"
    );

    let err = api
        .run(json!({"url": api.url("/echo?status=403"), "credential": "crm-basic"}))
        .await
        .unwrap_err();
    assert!(!err.retryable);
    let details = err.details.unwrap();
    let text = details.to_string();
    assert!(
        !text.contains("YWxpY2U6czNjcmV0") && !text.contains("s3cret"),
        "{text}"
    );
    assert_eq!(details["body"]["headers"]["authorization"], "Basic ***");
    assert_eq!(details["headers"]["x-echo-authorization"], "Basic ***");
}

#[tokio::test]
async fn a_header_credential_sets_its_header() {
    let mut api = Harness::start().await;
    api.bind(
        "custom",
        Credential::Header {
            name: "X-Custom-Auth".into(),
            value: "h3ader-value".into(),
        },
        &["127.0.0.1"],
    );
    let received = api
        .echo(json!({"credential": "custom", "headers": {"X-Custom-Auth": "mine"}}))
        .await;
    assert_eq!(api.echoed()["headers"]["x-custom-auth"], "h3ader-value");
    assert_eq!(received["headers"]["x-custom-auth"], MASK);
}

/// Hands out `first`; `rejected` counts its calls and hands out `renewed` (or an error).
struct Renewing {
    first: Resolved,
    renewed: Result<Option<Resolved>, CredentialError>,
    rejected: AtomicUsize,
}

impl Renewing {
    fn new(renewed: Result<Option<Resolved>, CredentialError>) -> Arc<Renewing> {
        Arc::new(Renewing {
            first: Resolved::unbound(bearer("stale-t0ken")),
            renewed,
            rejected: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.rejected.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CredentialsProvider for Renewing {
    async fn get(&self, _: &str) -> Result<Resolved, CredentialError> {
        Ok(self.first.clone())
    }

    async fn rejected(
        &self,
        name: &str,
        used: &Credential,
    ) -> Result<Option<Resolved>, CredentialError> {
        assert_eq!((name, used), ("oauth", &self.first.credential));
        self.rejected.fetch_add(1, Ordering::SeqCst);
        self.renewed.clone()
    }
}

#[tokio::test]
async fn a_401_renews_the_credential_and_retries_exactly_once() {
    let mut api = Harness::start().await;
    let provider = Renewing::new(Ok(Some(Resolved::unbound(bearer(GUARD_TOKEN)))));
    api.use_provider(provider.clone());
    let out = api
        .run(json!({"url": api.url("/guarded"), "credential": "oauth"}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 200);
    assert_eq!(provider.calls(), 1);
    assert_eq!(api.guarded_calls(), 2);
}

#[tokio::test]
async fn a_second_401_is_the_final_answer() {
    let mut api = Harness::start().await;
    let provider = Renewing::new(Ok(Some(Resolved::unbound(bearer("still-wr0ng")))));
    api.use_provider(provider.clone());
    let url = api.url("/guarded");
    let err = api
        .run(json!({"url": url, "credential": "oauth"}))
        .await
        .unwrap_err();
    assert_eq!(err.message, format!("GET {url} answered 401 Unauthorized"));
    assert!(!err.retryable);
    assert_eq!(provider.calls(), 1);
    assert_eq!(api.guarded_calls(), 2);
}

#[tokio::test]
async fn without_a_renewal_a_401_is_answered_as_before() {
    let mut api = Harness::start().await;
    let provider = Renewing::new(Ok(None));
    api.use_provider(provider.clone());
    let err = api
        .run(json!({"url": api.url("/guarded"), "credential": "oauth"}))
        .await
        .unwrap_err();
    assert!(
        err.message.ends_with("answered 401 Unauthorized"),
        "{}",
        err.message
    );
    assert_eq!(provider.calls(), 1);
    assert_eq!(api.guarded_calls(), 1);

    // A 401 to a request without a credential asks nothing.
    let err = api
        .run(json!({"url": api.url("/guarded")}))
        .await
        .unwrap_err();
    assert!(
        err.message.ends_with("answered 401 Unauthorized"),
        "{}",
        err.message
    );
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn a_renewal_that_fails_is_transient_or_permanent_as_the_provider_says() {
    for (error, retryable) in [
        (
            CredentialError::Unavailable {
                name: "oauth".into(),
                message: "the token endpoint is down".into(),
            },
            true,
        ),
        (
            CredentialError::Unusable {
                name: "oauth".into(),
                message: "the grant was revoked".into(),
            },
            false,
        ),
    ] {
        let mut api = Harness::start().await;
        api.use_provider(Renewing::new(Err(error.clone())));
        let err = api
            .run(json!({"url": api.url("/guarded"), "credential": "oauth"}))
            .await
            .unwrap_err();
        assert_eq!(err.message, error.to_string());
        assert_eq!(err.retryable, retryable, "{error}");
    }
}

#[tokio::test]
async fn a_renewed_credential_bound_elsewhere_is_not_sent() {
    let mut api = Harness::start().await;
    let renewed = Resolved {
        credential: bearer(GUARD_TOKEN),
        allowed_hosts: Some(
            engine::credentials::AllowedHosts::parse(&["api.example.com"]).unwrap(),
        ),
    };
    api.use_provider(Renewing::new(Ok(Some(renewed))));
    let err = api
        .run(json!({"url": api.url("/guarded"), "credential": "oauth"}))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("may not be sent to"),
        "{}",
        err.message
    );
    assert!(!err.retryable);
    assert_eq!(api.guarded_calls(), 1);
}

#[tokio::test]
async fn a_credential_named_by_a_template_is_refused_at_validation() {
    let api = Harness::start().await;
    let problems = api
        .action
        .validate(&json!({"url": "http://127.0.0.1:1/", "credential": "{{trigger.body.cred}}"}));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "credential");
    assert!(problems[0].message.contains("template"), "{problems:?}");
}

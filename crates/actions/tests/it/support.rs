//! A mock API on 127.0.0.1 and a harness that runs the `http` action against it.

use std::collections::BTreeMap;
use std::time::Duration;

use actions::{Http, Typed};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::any;
use engine::action::{Action, ActionContext, ActionError, ActionOutput};
use engine::credentials::{Credential, StaticCredentials};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The API key the `api-header` and `api-query` credentials hold.
pub const API_KEY: &str = "k3y-do-not-leak";

/// The mock API, the `http` action and the credentials it may use. The server stops when the
/// harness is dropped.
pub struct Harness {
    base: String,
    action: Typed<Http>,
    credentials: StaticCredentials,
    pub execution_id: Uuid,
    server: JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with("127.0.0.1/32").await
    }

    /// The mock API, the action allowing only `allow` (`{port}` is the mock's port).
    pub async fn start_with(allow: &str) -> Harness {
        let app = Router::new()
            .route("/echo", any(echo))
            .route("/status/{code}", any(status))
            .route("/slow", any(slow))
            .route("/text", any(text))
            .route("/empty", any(|| async { StatusCode::NO_CONTENT }))
            .route(
                "/redirect",
                any(|| async { Redirect::temporary("/echo?redirected=1") }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let allow = allow.replace("{port}", &listener.local_addr().unwrap().port().to_string());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let credentials = StaticCredentials::unbound(BTreeMap::from([
            (
                "crm-bearer".into(),
                Credential::Bearer {
                    token: "t0ken".into(),
                },
            ),
            (
                "crm-basic".into(),
                Credential::Basic {
                    username: "alice".into(),
                    password: "s3cret".into(),
                },
            ),
            (
                "api-header".into(),
                Credential::ApiKey {
                    header: None,
                    query: None,
                    value: API_KEY.into(),
                },
            ),
            (
                "api-custom-header".into(),
                Credential::ApiKey {
                    header: Some("X-Token".into()),
                    query: None,
                    value: API_KEY.into(),
                },
            ),
            (
                "api-query".into(),
                Credential::ApiKey {
                    header: None,
                    query: Some("api_key".into()),
                    value: API_KEY.into(),
                },
            ),
            (
                "signing".into(),
                Credential::Secret {
                    value: "whsec".into(),
                },
            ),
        ]));
        Harness {
            base,
            // Every test here calls loopback (the mock and closed ports), so all of it is open.
            action: Typed(Http::new(actions::http_client_with(
                actions::outbound::Policy::parse(&allow).unwrap(),
            ))),
            credentials,
            execution_id: Uuid::now_v7(),
            server,
        }
    }

    /// The URL of a path on the mock API.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs the action once (attempt 1, no step timeout).
    pub async fn run(&self, config: Value) -> Result<ActionOutput, ActionError> {
        self.run_with(config, 1, None).await
    }

    pub async fn run_with(
        &self,
        config: Value,
        attempt: u32,
        timeout: Option<Duration>,
    ) -> Result<ActionOutput, ActionError> {
        assert_eq!(
            self.action.validate(&config),
            vec![],
            "the test config is invalid"
        );
        self.execute(config, attempt, timeout).await
    }

    /// Runs the action with a rendered config that is not validated first.
    pub async fn run_rendered(&self, config: Value) -> Result<ActionOutput, ActionError> {
        self.execute(config, 1, None).await
    }

    async fn execute(
        &self,
        config: Value,
        attempt: u32,
        timeout: Option<Duration>,
    ) -> Result<ActionOutput, ActionError> {
        let ctx = ActionContext {
            execution_id: self.execution_id,
            workflow: "test",
            step_id: "call",
            item_index: None,
            attempt,
            timeout,
            credentials: &self.credentials,
            services: &engine::services::NoServices,
            resumed: None,
        };
        self.action.run(&ctx, &config).await
    }

    /// Runs the action against `/echo` and returns what the server received.
    pub async fn echo(&self, mut config: Value) -> Value {
        config["url"] = json!(self.url("/echo"));
        let out = self.run(config).await.expect("the echo call succeeds");
        out.value["body"].clone()
    }
}

/// A URL on a loopback port that nothing listens on (bound, then freed).
pub fn closed_port_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

/// Answers what it received: `{method, path, query, headers, body}` (headers lower-case,
/// repeated ones joined with `, `), and two `x-multi` headers.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let mut seen = serde_json::Map::new();
    for name in headers.keys() {
        let values: Vec<_> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        seen.insert(name.to_string(), json!(values.join(", ")));
    }
    let received = json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": seen,
        "body": String::from_utf8_lossy(&body),
    });
    (
        AppendHeaders([("x-multi", "a"), ("x-multi", "b")]),
        axum::Json(received),
    )
}

/// Answers with the status in the path, a JSON problem body, and `Retry-After` when the query
/// has `retry_after`.
async fn status(Path(code): Path<u16>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    let status = StatusCode::from_u16(code).unwrap();
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json!({"title": status.canonical_reason()}).to_string(),
    )
        .into_response();
    if let Some(after) = query.get("retry_after") {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, after.parse().unwrap());
    }
    response
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

async fn text() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "hello, weft",
    )
}

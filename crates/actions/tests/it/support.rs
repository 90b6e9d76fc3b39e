//! A mock API on 127.0.0.1 and a harness that runs the `http` action against it, and a
//! second kind of listener that counts what reaches it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actions::{Http, Typed};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::any;
use axum::serve::ListenerExt as _;
use engine::action::{Action, ActionContext, ActionError, ActionOutput};
use engine::credentials::{
    AllowedHosts, Credential, CredentialsProvider, Resolved, StaticCredentials,
};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The API key the `api-header` and `api-query` credentials hold.
pub const API_KEY: &str = "k3y-do-not-leak";

/// The mock API, the `http` action and the credentials it may use. The server stops when the
/// harness is dropped.
pub struct Harness {
    base: String,
    port: u16,
    pub action: Typed<Http>,
    credentials: StaticCredentials,
    /// Replaces `credentials` when set ([`Harness::use_provider`]).
    provider: Option<Arc<dyn CredentialsProvider>>,
    /// What the mock saw: the last `/echo` request, the requests to `/guarded`.
    seen: Seen,
    pub execution_id: Uuid,
    server: JoinHandle<()>,
}

/// What the mock API saw (shared with its handlers).
#[derive(Clone, Default)]
struct Seen {
    /// The last request to `/echo`, as it answered it.
    echo: Arc<Mutex<Option<Value>>>,
    /// Requests to `/guarded`.
    guarded: Arc<AtomicUsize>,
}

/// The token `/guarded` accepts: `Bearer` it.
pub const GUARD_TOKEN: &str = "fresh-t0ken";

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
        let seen = Seen::default();
        let app = Router::new()
            .route("/echo", any(echo))
            .route("/guarded", any(guarded))
            .route("/status/{code}", any(status))
            .route("/slow", any(slow))
            .route("/text", any(text))
            .route("/empty", any(|| async { StatusCode::NO_CONTENT }))
            .route(
                "/redirect",
                any(|| async { Redirect::temporary("/echo?redirected=1") }),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let port = listener.local_addr().unwrap().port();
        let allow = allow.replace("{port}", &port.to_string());
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
            port,
            provider: None,
            seen,
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

    /// The mock API's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Adds credential `name`, bound to `hosts` (`{port}` is the mock's port).
    pub fn bind(&mut self, name: &str, credential: Credential, hosts: &[&str]) {
        let hosts: Vec<String> = hosts
            .iter()
            .map(|h| h.replace("{port}", &self.port.to_string()))
            .collect();
        let resolved = Resolved {
            credential,
            allowed_hosts: Some(AllowedHosts::parse(&hosts).unwrap()),
        };
        self.credentials.0.insert(name.to_string(), resolved);
    }

    /// Hands out credentials from `provider` instead of the static ones.
    pub fn use_provider(&mut self, provider: Arc<dyn CredentialsProvider>) {
        self.provider = Some(provider);
    }

    /// The last request `/echo` received, as the server saw it (before any redaction).
    pub fn echoed(&self) -> Value {
        self.seen
            .echo
            .lock()
            .unwrap()
            .clone()
            .expect("/echo was called")
    }

    /// How many requests `/guarded` received.
    pub fn guarded_calls(&self) -> usize {
        self.seen.guarded.load(Ordering::SeqCst)
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
            credentials: match &self.provider {
                Some(provider) => provider.as_ref(),
                None => &self.credentials,
            },
            services: &engine::services::NoServices,
            resumed: None,
            trace: &engine::trace::Trace::of(self.execution_id, None),
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
/// repeated ones joined with `, `), two `x-multi` headers and the `Authorization` it got in
/// `x-echo-authorization`. `?status=` sets the status, `?as=text` sends the JSON as text.
async fn echo(
    State(mock): State<Seen>,
    method: Method,
    uri: Uri,
    Query(options): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
    *mock.echo.lock().unwrap() = Some(received.clone());
    let status = options
        .get("status")
        .map_or(StatusCode::OK, |s| s.parse().unwrap());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let extra = AppendHeaders([
        ("x-multi", "a".to_string()),
        ("x-multi", "b".to_string()),
        ("x-echo-authorization", authorization),
    ]);
    match options.get("as").map(String::as_str) {
        Some("text") => (status, extra, received.to_string()).into_response(),
        _ => (status, extra, axum::Json(received)).into_response(),
    }
}

/// 401 unless the request carries `Authorization: Bearer` [`GUARD_TOKEN`]; counts requests.
async fn guarded(State(seen): State<Seen>, headers: HeaderMap) -> StatusCode {
    seen.guarded.fetch_add(1, Ordering::SeqCst);
    let expected = format!("Bearer {GUARD_TOKEN}");
    match headers.get(header::AUTHORIZATION) {
        Some(v) if v.as_bytes() == expected.as_bytes() => StatusCode::OK,
        _ => StatusCode::UNAUTHORIZED,
    }
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

/// A listener on 127.0.0.1 that counts the connections it accepts and answers `/seen` with
/// the headers and query it received, `/big` with `size` bytes (streamed), `/to?u=` with a
/// redirect. Returns its port and the count.
pub async fn listener(size: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let app = Router::new()
        .route(
            "/seen",
            any(|headers: HeaderMap, uri: axum::http::Uri| async move {
                let seen: serde_json::Map<String, Value> = headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap())))
                    .collect();
                axum::Json(json!({"headers": seen, "query": uri.query(), "path": uri.path()}))
            }),
        )
        .route(
            "/api/profile",
            any(|| async { "the profile: must not be reachable" }),
        )
        .route("/api/users/{id}", any(|| async { "a user" }))
        .route(
            "/big",
            any(move || async move {
                let chunk = vec![b'x'; 64 * 1024];
                let chunks = size.div_ceil(chunk.len());
                let stream = futures_stream(chunk, chunks);
                axum::body::Body::from_stream(stream).into_response()
            }),
        )
        .route(
            "/to",
            any(
                |axum::extract::Query(q): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >| async move { Redirect::temporary(&q["u"]) },
            ),
        );
    let listener = listener.tap_io(move |_| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (port, accepted)
}

fn futures_stream(
    chunk: Vec<u8>,
    n: usize,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::iter((0..n).map(move |_| Ok(chunk.clone())))
}

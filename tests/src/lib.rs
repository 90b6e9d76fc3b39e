//! Test support shared by Weft's end-to-end tests, demos and benchmarks.
//!
//! [`MockApi`] is a small in-process HTTP API (axum) that workflows call: a user store, a
//! contact store, a notification sink, and endpoints built to prove engine behaviour without
//! timing assertions — `/flaky/{key}` fails a set number of times, `/barrier/{name}` only
//! answers once N requests are in flight together. Every request is recorded so that tests can
//! check what the engine actually sent (paths, bodies, `idempotency-key` headers).
//!
//! Routes (JSON in, JSON out):
//!
//! | route | answer |
//! |---|---|
//! | `POST /users` `{email, …}` | 201 `{id, email, …, created_at}`, ids 1, 2, 3… |
//! | `GET /users/{id}` | 200 the user, or 404 `{error}` |
//! | `PATCH /users/{id}` | merges the body's fields, 200 the user |
//! | `POST /contacts` | 201 `{id, …, created_at}` |
//! | `POST /notify` | 200 `{ok: true}`, records the message |
//! | `GET\|POST /flaky/{key}?fail=N` | 503 + `Retry-After: 0` the first N times, then 200 `{attempts}` |
//! | `GET /barrier/{name}?n=N[&timeout_ms=T]` | holds until N requests for `name` arrived, then 200 `{arrived}`; 504 after T ms (default 5000) |
//! | `GET /slow?ms=M` | 200 `{slept_ms}` after M ms |
//! | `GET /inflight/{name}?ms=M` | 200 `{in_flight}` after M ms; records the most requests for `name` in flight at once ([`MockApi::max_in_flight`]) |
//! | `GET /enrich/{kind}/{id}` | 200 deterministic data about the thing |
//! | `ANY /echo` | 200 `{method, path, headers, query, body}` |
//! | `ANY /reject` | 400 `{error: "invalid_request", message, echoed: {authorization}}` with `X-Request-Id: mock-reject` and `X-Echo-Authorization` (the request's `Authorization`, echoed as careless APIs do) |
//! | `/oauth/…` | a mock OAuth2 provider (see the `oauth` module) |
//!
//! `POST /users` and `POST /contacts` honour an `Idempotency-Key` header: a repeated key gets
//! the first answer again and creates nothing.
//!
//! [`TempPostgres`] starts a throwaway PostgreSQL server for the store's and the server's
//! tests.

mod oauth;
pub mod postgres;

pub use oauth::CLIENT_SECRET as OAUTH_CLIENT_SECRET;

pub use postgres::TempPostgres;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::{oneshot, watch};

/// One request the mock received, recorded on arrival (before it is answered).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Upper-case, e.g. `POST`.
    pub method: String,
    /// The path without the query, e.g. `/users/1`.
    pub path: String,
    /// The raw query string (without `?`), empty when there is none.
    pub query: String,
    /// Header names in lower case; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body: parsed JSON when it parses, else a string; `null` when empty.
    pub body: Value,
}

impl RecordedRequest {
    /// A header by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `idempotency-key` header, if sent.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.header("idempotency-key")
    }
}

/// The in-process mock API. Started on `127.0.0.1` with a free port; stops when dropped.
pub struct MockApi {
    addr: SocketAddr,
    state: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockApi {
    /// Starts the mock on `127.0.0.1` with a port chosen by the OS.
    pub async fn start() -> MockApi {
        MockApi::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the mock API binds 127.0.0.1:0")
    }

    /// Starts the mock on the given address (the `mock-api` binary uses a fixed port).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<MockApi> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Shared::default());
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(MockApi {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }

    /// The requests with this method (case-insensitive) whose path starts with `path_prefix`.
    pub fn requests_to(&self, method: &str, path_prefix: &str) -> Vec<RecordedRequest> {
        self.state
            .lock()
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .cloned()
            .collect()
    }

    /// How many requests with this method went to a path starting with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.requests_to(method, path_prefix).len()
    }

    /// For the creating requests (`POST /users`, `POST /contacts`): how many were sent with
    /// each `idempotency-key` (`None`: without one). A retried create shows up as a count > 1.
    pub fn creates_by_idempotency_key(&self) -> BTreeMap<Option<String>, usize> {
        let mut out = BTreeMap::new();
        for r in self.state.lock().requests.iter() {
            let creates = r.method == "POST" && (r.path == "/users" || r.path == "/contacts");
            if creates {
                *out.entry(r.idempotency_key().map(str::to_string))
                    .or_insert(0) += 1;
            }
        }
        out
    }

    /// The users in the store, by increasing id.
    /// `/inflight/{name}`: the most requests in flight at once and how many arrived.
    pub fn max_in_flight(&self, name: &str) -> (usize, usize) {
        let map = self
            .state
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.get(name).map(|c| (c.1, c.2)).unwrap_or_default()
    }

    /// The mock OAuth2 provider's counters: `{issued, refreshes, authorizations, client_credentials}`.
    pub fn oauth_stats(&self) -> Value {
        oauth::stats_of(&self.state)
    }

    pub fn users(&self) -> Vec<Value> {
        self.state.lock().users.values().cloned().collect()
    }

    /// One user by id.
    pub fn user(&self, id: u64) -> Option<Value> {
        self.state.lock().users.get(&id).cloned()
    }

    /// The contacts created, in creation order.
    pub fn contacts(&self) -> Vec<Value> {
        self.state.lock().contacts.clone()
    }

    /// The bodies posted to `/notify`, in arrival order.
    pub fn notifications(&self) -> Vec<Value> {
        self.state.lock().notifications.clone()
    }

    /// How many times `/flaky/{key}` was called.
    pub fn flaky_attempts(&self, key: &str) -> u32 {
        self.state.lock().flaky.get(key).copied().unwrap_or(0)
    }
}

impl Drop for MockApi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl std::fmt::Debug for MockApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockApi").field("addr", &self.addr).finish()
    }
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    barriers: Mutex<HashMap<String, watch::Sender<usize>>>,
    /// `/inflight/{name}`: (in flight now, most at once, requests seen).
    in_flight: Mutex<HashMap<String, (usize, usize, usize)>>,
    /// The mock OAuth2 provider (`/oauth/…`).
    oauth: Mutex<oauth::Provider>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking handler must not hide the log from the test that reads it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<RecordedRequest>,
    users: BTreeMap<u64, Value>,
    next_user_id: u64,
    contacts: Vec<Value>,
    next_contact_id: u64,
    notifications: Vec<Value>,
    flaky: HashMap<String, u32>,
    /// (route, idempotency key) → the first answer's body.
    idempotent: HashMap<(&'static str, String), Value>,
}

type AppState = State<Arc<Shared>>;

fn router(state: Arc<Shared>) -> Router {
    Router::new()
        .route("/users", post(create_user))
        .route("/users/{id}", get(get_user).patch(patch_user))
        .route("/contacts", post(create_contact))
        .route("/notify", post(notify))
        .route("/flaky/{key}", get(flaky).post(flaky))
        .route("/barrier/{name}", get(barrier))
        .route("/slow", get(slow))
        .route("/inflight/{name}", get(in_flight))
        .route("/enrich/{kind}/{id}", get(enrich))
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/config", post(oauth::config))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/oauth/expire", post(oauth::expire))
        .route("/oauth/stats", get(oauth::stats))
        .route("/oauth/me", get(oauth::me))
        .route("/echo", any(echo))
        .route("/reject", any(reject))
        .route("/echo/{*rest}", any(echo))
        .route(
            "/twilio/2010-04-01/Accounts/{sid}/Messages.json",
            post(twilio_message),
        )
        .route("/pages/{kind}", get(pages))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

/// Records every request (with its body) before it is handled.
async fn record(State(state): AppState, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("unreadable body: {e}")),
    };
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    state.lock().requests.push(RecordedRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers,
        body: body_value(&bytes),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn body_value(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Parses a JSON object body; `Err` is the message of the 400 answer.
fn object_body(bytes: &Bytes) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn create_user(State(state): AppState, headers: HeaderMap, bytes: Bytes) -> Response {
    create(&state, "users", &headers, &bytes)
}

async fn create_contact(State(state): AppState, headers: HeaderMap, bytes: Bytes) -> Response {
    create(&state, "contacts", &headers, &bytes)
}

/// `POST /users` and `POST /contacts`: 201 with the stored record, or the first answer again
/// for a repeated idempotency key.
fn create(
    state: &Shared,
    collection: &'static str,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Response {
    let fields = match object_body(bytes) {
        Ok(m) => m,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if collection == "users" && !fields.get("email").is_some_and(Value::is_string) {
        return error(StatusCode::BAD_REQUEST, "`email` (a string) is required");
    }
    let key = idempotency_key(headers);
    let mut inner = state.lock();
    if let Some(first) = key
        .as_ref()
        .and_then(|k| inner.idempotent.get(&(collection, k.clone())))
    {
        return (StatusCode::CREATED, Json(first.clone())).into_response();
    }
    let id = if collection == "users" {
        inner.next_user_id += 1;
        inner.next_user_id
    } else {
        inner.next_contact_id += 1;
        inner.next_contact_id
    };
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.extend(
        fields
            .into_iter()
            .filter(|(k, _)| k != "id" && k != "created_at"),
    );
    record.insert("created_at".into(), json!(now()));
    let record = Value::Object(record);
    if collection == "users" {
        inner.users.insert(id, record.clone());
    } else {
        inner.contacts.push(record.clone());
    }
    if let Some(k) = key {
        inner.idempotent.insert((collection, k), record.clone());
    }
    (StatusCode::CREATED, Json(record)).into_response()
}

async fn get_user(State(state): AppState, Path(id): Path<String>) -> Response {
    let user = id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.lock().users.get(&id).cloned());
    match user {
        Some(u) => Json(u).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("no user with id `{id}`")),
    }
}

async fn patch_user(State(state): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let fields = match object_body(&bytes) {
        Ok(m) => m,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut inner = state.lock();
    let Some(Value::Object(user)) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| inner.users.get_mut(&id))
    else {
        return error(StatusCode::NOT_FOUND, &format!("no user with id `{id}`"));
    };
    for (k, v) in fields {
        if k != "id" && k != "created_at" {
            user.insert(k, v);
        }
    }
    user.insert("updated_at".into(), json!(now()));
    Json(Value::Object(user.clone())).into_response()
}

async fn notify(State(state): AppState, bytes: Bytes) -> Response {
    state.lock().notifications.push(body_value(&bytes));
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct FlakyQuery {
    #[serde(default)]
    fail: u32,
}

async fn flaky(
    State(state): AppState,
    Path(key): Path<String>,
    Query(q): Query<FlakyQuery>,
) -> Response {
    let attempts = {
        let mut inner = state.lock();
        let n = inner.flaky.entry(key).or_insert(0);
        *n += 1;
        *n
    };
    if attempts <= q.fail {
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("flaky: failing attempt {attempts} of {}", q.fail),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
        return r;
    }
    Json(json!({ "attempts": attempts })).into_response()
}

#[derive(Deserialize)]
struct BarrierQuery {
    n: usize,
    #[serde(default = "default_barrier_timeout")]
    timeout_ms: u64,
}

fn default_barrier_timeout() -> u64 {
    5000
}

/// Holds each request until `n` requests for this barrier arrived. Only requests that are in
/// flight at the same time can pass it, so a green run proves concurrency.
async fn barrier(
    State(state): AppState,
    Path(name): Path<String>,
    Query(q): Query<BarrierQuery>,
) -> Response {
    let mut rx = {
        let mut barriers = state.barriers.lock().unwrap_or_else(|e| e.into_inner());
        let tx = barriers
            .entry(name.clone())
            .or_insert_with(|| watch::channel(0).0);
        tx.send_modify(|arrived| *arrived += 1);
        tx.subscribe()
    };
    let passed = {
        let wait = rx.wait_for(|arrived| *arrived >= q.n);
        matches!(
            tokio::time::timeout(Duration::from_millis(q.timeout_ms), wait).await,
            Ok(Ok(_))
        )
    };
    if passed {
        Json(json!({ "arrived": q.n })).into_response()
    } else {
        let arrived = *rx.borrow();
        let message = format!(
            "barrier `{name}`: only {arrived} of {} requests arrived",
            q.n
        );
        (
            StatusCode::GATEWAY_TIMEOUT,
            Json(json!({ "error": message, "arrived": arrived })),
        )
            .into_response()
    }
}

#[derive(Deserialize)]
struct SlowQuery {
    #[serde(default)]
    ms: u64,
}

async fn slow(Query(q): Query<SlowQuery>) -> Response {
    tokio::time::sleep(Duration::from_millis(q.ms)).await;
    Json(json!({ "slept_ms": q.ms })).into_response()
}

async fn in_flight(
    State(state): AppState,
    Path(name): Path<String>,
    Query(q): Query<SlowQuery>,
) -> Response {
    let counts = |f: &mut dyn FnMut(&mut (usize, usize, usize))| {
        let mut map = state.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(name.clone()).or_default());
    };
    let mut now = 0;
    counts(&mut |c| {
        c.0 += 1;
        c.1 = c.1.max(c.0);
        c.2 += 1;
        now = c.0;
    });
    tokio::time::sleep(Duration::from_millis(q.ms)).await;
    counts(&mut |c| c.0 -= 1);
    Json(json!({ "in_flight": now })).into_response()
}

async fn enrich(Path((kind, id)): Path<(String, String)>) -> Response {
    // Deterministic: the same kind and id always give the same data.
    let score = id.bytes().fold(7u64, |h, b| (h * 31 + u64::from(b)) % 100);
    let data = match kind.as_str() {
        "company" => json!({
            "kind": "company",
            "id": id,
            "name": format!("Company {id}"),
            "domain": format!("{id}.example.com"),
            "employees": score * 10,
        }),
        "person" => json!({
            "kind": "person",
            "id": id,
            "name": format!("Person {id}"),
            "title": if score % 2 == 0 { "Engineer" } else { "Manager" },
            "score": score,
        }),
        _ => json!({ "kind": kind, "id": id, "score": score }),
    };
    Json(data).into_response()
}

async fn echo(
    method: Method,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
    request_uri: axum::http::Uri,
    bytes: Bytes,
) -> Response {
    let headers: Map<String, Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    Json(json!({
        "method": method.as_str(),
        "path": request_uri.path(),
        "headers": headers,
        "query": query,
        "body": body_value(&bytes),
    }))
    .into_response()
}

async fn reject(headers: HeaderMap) -> Response {
    let authorization = headers
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut response = (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "error": "invalid_request",
            "message": "the mock API rejects every request to /reject",
            "echoed": { "authorization": authorization },
        })),
    )
        .into_response();
    let h = response.headers_mut();
    h.insert("x-request-id", HeaderValue::from_static("mock-reject"));
    if let Ok(v) = HeaderValue::from_str(&authorization) {
        h.insert("x-echo-authorization", v);
    }
    response
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("the mock API has no route {method} {}", uri.path()),
    )
}

/// The account and auth token the Twilio stand-in accepts (HTTP basic auth).
pub const TWILIO_ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio-test-auth-token";

/// A stand-in for Twilio's "create a message" (`POST /2010-04-01/Accounts/{sid}/Messages.json`
/// under `/twilio`): checks basic auth (the account as user, [`TWILIO_TOKEN`] as password)
/// and a form-urlencoded body with `To` and `Body`, and answers 201 with a message resource.
async fn twilio_message(Path(sid): Path<String>, headers: HeaderMap, bytes: Bytes) -> Response {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{TWILIO_ACCOUNT}:{TWILIO_TOKEN}"))
    );
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(expected.as_str()) || sid != TWILIO_ACCOUNT {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
        )
            .into_response();
    }
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Twilio takes application/x-www-form-urlencoded",
        );
    }
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(to), Some(body)) = (field("To"), field("Body")) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 21604, "message": "A 'To' phone number and a 'Body' are required.", "status": 400})),
        )
            .into_response();
    };
    (
        StatusCode::CREATED,
        Json(json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "account_sid": sid,
            "to": to,
            "from": field("From"),
            "body": body,
            "status": "queued",
            "num_segments": "1",
        })),
    )
        .into_response()
}

/// Pages of a list of 7 items (`{"id": 1}` … `{"id": 7}`), 3 per page, each kind of
/// pagination: `next` (`body.next`: the next page's absolute URL), `link` (a `Link` header
/// with `rel="next"`), `cursor` (`body.meta.next_cursor`, sent back as `?cursor=`), `page`
/// (`?page=N` from 1, an empty page after the last), `offset` (`?offset=&limit=`),
/// `elsewhere` (a next URL on another origin, `?to=PORT`) and `endless` (a full page and a
/// next URL, always).
async fn pages(
    Path(kind): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    const TOTAL: u64 = 7;
    const SIZE: u64 = 3;
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let num = |k: &str, d: u64| q.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(d);
    let slice = |from: u64, n: u64| -> Vec<Value> {
        (from..(from + n).min(TOTAL))
            .map(|i| json!({"id": i + 1}))
            .collect()
    };
    match kind.as_str() {
        "next" => {
            let p = num("p", 0);
            let next = (p + 1) * SIZE < TOTAL;
            Json(json!({
                "data": slice(p * SIZE, SIZE),
                "next": next.then(|| format!("http://{host}/pages/next?p={}", p + 1)),
            }))
            .into_response()
        }
        "link" => {
            let p = num("p", 0);
            let mut res = Json(json!(slice(p * SIZE, SIZE))).into_response();
            if (p + 1) * SIZE < TOTAL {
                let link = format!(
                    "</pages/link?p={}>; rel=\"next\", </pages/link?p=0>; rel=\"first\"",
                    p + 1
                );
                res.headers_mut().insert(
                    "link",
                    HeaderValue::from_str(&link).expect("a header value"),
                );
            }
            res
        }
        "cursor" => {
            let p = match q.get("cursor") {
                None => 0,
                Some(c) => match c.strip_prefix("c").and_then(|n| n.parse::<u64>().ok()) {
                    Some(n) => n,
                    None => return error(StatusCode::BAD_REQUEST, "unknown cursor"),
                },
            };
            let next = ((p + 1) * SIZE < TOTAL).then(|| format!("c{}", p + 1));
            Json(json!({"data": slice(p * SIZE, SIZE), "meta": {"next_cursor": next}}))
                .into_response()
        }
        "page" => {
            let p = num("page", 1).max(1) - 1;
            Json(json!({"items": slice(p * SIZE, SIZE)})).into_response()
        }
        "offset" => {
            let (offset, limit) = (num("offset", 0), num("limit", SIZE));
            Json(json!({"results": slice(offset, limit.min(50))})).into_response()
        }
        // A first page whose next URL is on another origin (`?to=PORT` on 127.0.0.1).
        "elsewhere" => {
            let to = num("to", 9);
            Json(json!({
                "data": slice(0, SIZE),
                "next": format!("http://127.0.0.1:{to}/pages/next?p=1"),
            }))
            .into_response()
        }
        "endless" => {
            let p = num("p", 0);
            Json(json!({
                "data": (0..SIZE).map(|i| json!({"id": p * SIZE + i + 1})).collect::<Vec<_>>(),
                "next": format!("/pages/endless?p={}", p + 1),
            }))
            .into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "no such pagination"),
    }
}

//! Weft's HTTP surface: webhooks (`/hooks/{path}`, `/hooks-test/{path}`), the REST API under
//! `/api/v1` (documented by `/api/v1/openapi.json`), health checks, and the editor's files.
//!
//! The API never runs executions itself: it commits them to the store's queue and, for sync
//! webhooks and `?wait=true`, waits for the store to report them finished. Workers (in this
//! process or others) do the running.

mod auth;
pub mod catalog;
mod error;
mod hooks;
pub use hooks::public_base;
mod respond;
mod resume;
mod ui;
pub mod v1;

use crate::error::ErrorCode;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use engine::Registry;
use engine::credentials::CredentialsProvider;
use tokio::sync::broadcast;
use uuid::Uuid;

pub use error::{ApiError, ApiResult};
pub use ui::{Editor, embedded_editor};

/// Settings of the HTTP surface.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest webhook body accepted (413 above it).
    pub body_limit: usize,
    /// How long a sync webhook (or `?wait=true`) waits before answering 202 with a status URL.
    pub sync_wait: Duration,
    /// The base URL users reach this server at (for `status_url` and webhook URLs); default:
    /// from the request's `Host`.
    pub public_url: Option<String>,
    /// The built editor (`web-ui/dist`); it wins over an editor embedded in the binary. None
    /// and none embedded: `/` explains how to build it (see [`Editor`]).
    pub ui_dir: Option<PathBuf>,
    /// Webhook body bytes being read and parsed at once, over all requests; a request that
    /// does not fit waits for nothing: 503 with `Retry-After`.
    pub intake_budget: usize,
    /// Headers redacted from stored webhook requests besides [`triggers::webhook::SECRET_HEADERS`].
    pub redact_headers: Vec<String>,
    /// The key of resume URLs (`/hooks/_resume/...`, [`store::Store::resume_key`]); `None`:
    /// they answer 404.
    pub resume_key: Option<store::ResumeKey>,
    /// The allow-listed environment variables that are set, by name (`GET /environment`).
    pub template_env: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            body_limit: 10 * 1024 * 1024,
            sync_wait: Duration::from_secs(30),
            public_url: None,
            ui_dir: None,
            intake_budget: 16 * 1024 * 1024,
            redact_headers: Vec::new(),
            resume_key: None,
            template_env: Vec::new(),
        }
    }
}

/// What [`Dispatch::submit`] returns.
pub type Submitting<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = store::Result<store::Submitted>> + Send + 'a>,
>;

/// How the API reaches the workers of this process.
pub trait Dispatch: Send + Sync {
    /// Commits a new execution and gets it running: started in a free local slot, else
    /// queued (see `worker::Worker::submit`). With `watch`, also the watch on its end.
    fn submit(&self, new: store::NewExecution, watch: bool) -> Submitting<'_>;
    /// New work was queued some other way (a retry).
    fn wake(&self);
    /// Stop an execution if it runs here; whether it did.
    fn cancel(&self, execution_id: Uuid) -> bool;
}

/// No local workers (an API-only process): executions are queued for workers elsewhere.
pub struct NoDispatch(pub store::Store);

impl Dispatch for NoDispatch {
    fn submit(&self, new: store::NewExecution, watch: bool) -> Submitting<'_> {
        Box::pin(async move {
            let enqueued = self.0.enqueue(new).await?;
            let watch = watch.then(|| (self.0.watch(enqueued.execution_id), true));
            Ok(store::Submitted { enqueued, watch })
        })
    }
    fn wake(&self) {}
    fn cancel(&self, _: Uuid) -> bool {
        false
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: store::Store,
    pub registry: Arc<Registry>,
    pub credentials: Arc<dyn CredentialsProvider>,
    /// The credentials managed through the API (also `credentials`, as a provider).
    pub vault: Arc<credentials::Vault>,
    pub dispatch: Arc<dyn Dispatch>,
    pub config: Config,
    /// The budget of webhook body bytes in flight.
    pub(crate) intake: Intake,
    /// Editors listening for the next test event of a workflow.
    test_listeners: Mutex<HashMap<Uuid, broadcast::Sender<v1::TestEventOut>>>,
    /// Workflow documents by (id, version): a saved version never changes.
    /// Compiled plans of workflow versions, shared with the workers.
    plans: Arc<store::Plans>,
    /// The imported connectors (the registry's source of connector actions).
    pub catalog: Arc<catalog::Catalog>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: store::Store,
        plans: Arc<store::Plans>,
        catalog: Arc<catalog::Catalog>,
        vault: Arc<credentials::Vault>,
        dispatch: Arc<dyn Dispatch>,
        config: Config,
    ) -> Self {
        AppState(Arc::new(Inner {
            store,
            registry: plans.registry().clone(),
            credentials: vault.clone(),
            vault,
            dispatch,
            intake: Intake::new(config.intake_budget),
            config,
            test_listeners: Mutex::new(HashMap::new()),
            plans,
            catalog,
        }))
    }

    /// The compiled plan of a workflow version, from the process's shared cache.
    pub(crate) async fn plan(&self, id: Uuid, version: i32) -> ApiResult<Arc<engine::Plan>> {
        self.plans.get(id, version).await.map_err(|e| match e {
            store::PlanError::Missing { .. } => ApiError::not_found(e.to_string()),
            store::PlanError::Store(e) => e.into(),
            e @ store::PlanError::Invalid(_) => ApiError::internal(e),
        })
    }

    pub(crate) fn test_listener(&self, workflow: Uuid) -> broadcast::Receiver<v1::TestEventOut> {
        let mut map = self.test_listeners.lock().expect("lock");
        map.entry(workflow)
            .or_insert_with(|| broadcast::channel(8).0)
            .subscribe()
    }

    /// Whether someone listens for the next test event of this workflow right now.
    pub(crate) fn test_listening(&self, workflow: Uuid) -> bool {
        self.test_listeners
            .lock()
            .expect("lock")
            .get(&workflow)
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    pub(crate) fn publish_test_event(&self, workflow: Uuid, event: v1::TestEventOut) {
        let mut map = self.test_listeners.lock().expect("lock");
        if let Some(tx) = map.get(&workflow)
            && tx.send(event).is_err()
        {
            map.remove(&workflow);
        }
    }
}

/// The bytes of webhook bodies being read and parsed, bounded: a request takes its declared
/// length (or the body limit when it declares none) before its body is read and gives it back
/// once its execution is committed.
pub(crate) struct Intake {
    bytes: Arc<tokio::sync::Semaphore>,
    total: usize,
}

impl Intake {
    fn new(total: usize) -> Intake {
        let total = total.clamp(1, u32::MAX as usize);
        Intake {
            bytes: Arc::new(tokio::sync::Semaphore::new(total)),
            total,
        }
    }

    /// Room for `bytes` (at most the whole budget), or 503 with `Retry-After` when full.
    pub(crate) fn admit(&self, bytes: usize) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
        let n = bytes.clamp(1, self.total) as u32;
        self.bytes.clone().try_acquire_many_owned(n).map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "too many webhook bodies are being received at once; retry shortly",
            )
            .header(axum::http::header::RETRY_AFTER, "1")
        })
    }
}

/// The API's OpenAPI document, as served at `/api/v1/openapi.json` (and committed as
/// `docs/openapi.json`, printed by `weft openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    v1::api().1
}

/// The whole application: webhooks, API, health checks and the editor.
pub fn app(state: AppState) -> Router {
    let (api, _) = v1::api();
    Router::new()
        .merge(hooks::router(&state.config))
        .merge(api)
        .route("/api/{*rest}", axum::routing::any(unknown_api_route))
        .route("/oauth/callback", get(v1::oauth_callback))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(ui::router(&state.config))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Every answer: no content sniffing, no framing, no referrer; the editor's pages (and the
/// API's answers) get a strict Content-Security-Policy. Webhook answers keep theirs
/// (`sandbox`, set by the hooks router).
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(EDITOR_CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// The editor loads only its own scripts and talks only to its own origin. Inline styles are
/// allowed (the canvas positions nodes with `style` attributes); inline scripts are not.
pub const EDITOR_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("{} does not accept {method}", uri.path()),
    )
}

async fn unknown_api_route(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no API route at {}", uri.path()))
}

async fn healthz() -> &'static str {
    "ok"
}

/// What `weft worker --metrics-bind` serves: `/metrics` (behind an API key, as on the API
/// process), `/healthz` and `/readyz` (the database answers).
pub fn worker_app(store: store::Store) -> Router {
    Router::new()
        .route("/metrics", get(worker_metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(worker_readyz))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(store)
}

async fn worker_metrics(
    axum::extract::State(store): axum::extract::State<store::Store>,
    parts: axum::http::request::Parts,
) -> ApiResult<axum::response::Response> {
    auth::require_key(&parts, &store).await?;
    metrics_of(&store).await
}

async fn worker_readyz(
    axum::extract::State(store): axum::extract::State<store::Store>,
) -> ApiResult<&'static str> {
    store.ping().await?;
    Ok("ready")
}

/// Prometheus' text format; an API key (`read` is enough) is required, as for the API.
async fn metrics(
    _: auth::Caller,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<axum::response::Response> {
    metrics_of(&state.store).await
}

async fn metrics_of(store: &store::Store) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let text = store.metrics_text().await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<&'static str> {
    state.store.ping().await?;
    Ok("ready")
}

//! Webhooks: `/hooks/{path}` runs the active workflow with that path; `/hooks-test/{path}` runs
//! the current version (active or not) and feeds the editor's "listen for a test event".
//!
//! Order of checks: route (404) → method (405) → auth (401) → body (413/415/400) → commit to
//! the queue → answer (202, or the result for `respond: sync`). Nothing is acknowledged before
//! it is committed.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use engine::model::{RespondMode, Trigger};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::respond::{self, Format};
use crate::{AppState, Config};

pub fn router(config: &Config) -> Router<AppState> {
    Router::new()
        .route("/hooks/{*path}", any(production))
        .route("/hooks-test/{*path}", any(test))
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        // Outside the limit layer: its early answer to a too-large `Content-Length` never
        // reaches the layers inside it.
        .layer(axum::middleware::map_response(json_413))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// The limit layer answers a too-large `Content-Length` with a bare 413: give it our shape.
async fn json_413(res: Response) -> Response {
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| v != "application/json")
    {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the body is larger than this webhook accepts",
        )
        .into_response();
    }
    res
}

/// The parts of a webhook request we use; the body is read under the route's size limit.
struct HookRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for HookRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let body = Bytes::from_request(
            axum::extract::Request::from_parts(parts.clone(), body),
            state,
        )
        .await;
        Ok(HookRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        })
    }
}

async fn production(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: HookRequest,
) -> ApiResult<Response> {
    // One indexed query per call; the document of a version never changes, so it is cached.
    let route = state.store.route(&path).await?.ok_or_else(|| {
        ApiError::not_found(format!("no active workflow listens at /hooks/{path}"))
    })?;
    let workflow = state
        .workflow_version(route.workflow_id, route.version)
        .await?;
    accept(
        &state,
        (route.workflow_id, route.version, workflow),
        false,
        req,
    )
    .await
}

async fn test(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: HookRequest,
) -> ApiResult<Response> {
    let workflow = state
        .store
        .workflow_by_path_any(&path)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no workflow has the webhook path `{path}`")))?;
    let target = (
        workflow.id,
        workflow.version,
        Arc::new(workflow.doc.workflow),
    );
    accept(&state, target, true, req).await
}

async fn accept(
    state: &AppState,
    (workflow_id, version, workflow): (Uuid, i32, Arc<engine::Workflow>),
    test: bool,
    req: HookRequest,
) -> ApiResult<Response> {
    let HookRequest {
        method,
        uri,
        headers,
        body,
    } = req;
    let Trigger::Webhook(hook) = &workflow.trigger else {
        return Err(ApiError::not_found("this workflow has no webhook trigger"));
    };
    let allowed = hook.allowed_methods();
    if !allowed.iter().any(|m| m == method.as_str()) {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("this webhook accepts {}", allowed.join(", ")),
        )
        .header(header::ALLOW, &allowed.join(", ")));
    }
    // The answer format is checked before anything runs (a sync caller must be answerable).
    let respond_mode = hook.respond.unwrap_or_default();
    let format = match respond_mode {
        RespondMode::Sync => respond::negotiate(&headers).ok_or_else(respond::not_acceptable)?,
        RespondMode::Async => Format::Json,
    };
    let body = body?;

    // Authentication, on the exact raw body.
    let mut message_id = None;
    if let Some(auth) = &hook.auth {
        let credential = match &auth.credential {
            Some(name) => match state.credentials.get(name).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(workflow_id = %workflow_id, error = %e, "webhook credential unavailable");
                    return Err(ApiError::unauthorized());
                }
            },
            None => None,
        };
        match triggers::auth::verify_signature(
            auth,
            credential.as_ref(),
            &headers,
            &body,
            chrono::Utc::now(),
        ) {
            // A replayed message is not refused here: its id is the execution's idempotency
            // key, so a replay (or a sender's retry) gets the first execution back and starts
            // nothing.
            Ok(v) => message_id = v.message_id.or(v.replay_key),
            Err(e) => {
                tracing::info!(workflow_id = %workflow_id, reason = %e.reason(), "webhook rejected");
                if e.status() == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(workflow_id = %workflow_id, "the webhook's auth is misconfigured");
                }
                return Err(ApiError::unauthorized());
            }
        }
    }

    let mut event = triggers::webhook_event(
        method.as_str(),
        uri.path(),
        &headers,
        uri.query().unwrap_or(""),
        &body,
    )
    .map_err(|e| match e.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            e.to_string(),
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed_body", e.to_string()),
    })?;
    // Tokens of header/basic auth never reach the execution record.
    triggers::redact(&mut event, hook.auth.as_ref());
    // The caller's key, else the signed message id, else GitHub's delivery id: a redelivery of
    // the same message gets the first execution back.
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let idempotency_key = header("idempotency-key")
        .or(message_id)
        .or_else(|| header("x-github-delivery").map(|d| format!("github:{d}")));
    let request = serde_json::to_value(&event).map_err(ApiError::internal)?;
    let sync = respond_mode == RespondMode::Sync;
    // The editor's test listener gets the captured request too.
    let captured = test.then(|| request.clone());
    let (enqueued, watch) = enqueue(
        state,
        store::NewExecution {
            workflow_id,
            version,
            trigger_kind: "webhook".into(),
            request,
            idempotency_key,
            test,
            claim_for: None,
        },
        sync,
    )
    .await?;
    if let Some(request) = captured {
        state.publish_test_event(
            workflow_id,
            json!({ "execution_id": enqueued.execution_id, "request": request }),
        );
    }
    let status_url = status_url(state, &headers, enqueued.execution_id);
    match respond_mode {
        RespondMode::Async => Ok(accepted(
            enqueued.execution_id,
            &status_url,
            enqueued.duplicate,
        )),
        RespondMode::Sync => {
            let (watch, read_first) = watch.expect("a sync call watches its execution");
            match watch.outcome(state.config.sync_wait, read_first).await? {
                Some(outcome) => Ok(respond::execution_reply(&outcome, format)),
                None => Ok(accepted(
                    enqueued.execution_id,
                    &status_url,
                    enqueued.duplicate,
                )),
            }
        }
    }
}

/// Commits a new execution of the workflow version and gets it running: handed straight to a
/// local worker with a free slot (stored already claimed by it), else queued and the local
/// workers woken (`new.claim_for` is set here). With `watch` (the caller will wait for the
/// end), also the [`store::Watch`] on its end, registered before the worker can finish it, and
/// whether it must read the database first (a queued execution may finish before the watch
/// starts).
pub(crate) async fn enqueue(
    state: &AppState,
    mut new: store::NewExecution,
    watch: bool,
) -> ApiResult<(store::Enqueued, Option<(store::Watch, bool)>)> {
    let reserved = state.dispatch.reserve();
    new.claim_for = reserved.as_ref().map(|r| r.claim_for());
    let mut enqueued = state.store.enqueue(new).await?;
    let watch = watch.then(|| state.store.watch(enqueued.execution_id));
    let handed = match (reserved, enqueued.claim.take()) {
        (Some(r), Some(claim)) => {
            r.start(claim);
            true
        }
        _ => {
            state.dispatch.wake();
            false
        }
    };
    Ok((enqueued, watch.map(|w| (w, !handed))))
}

/// 202 with where to look.
pub(crate) fn accepted(id: uuid::Uuid, status_url: &str, duplicate: bool) -> Response {
    let mut res = (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "execution_id": id, "status_url": status_url, "duplicate": duplicate })),
    )
        .into_response();
    if let Ok(v) = header::HeaderValue::from_str(status_url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `…/api/v1/executions/{id}` on the URL this server is reached at.
pub(crate) fn status_url(state: &AppState, headers: &HeaderMap, id: uuid::Uuid) -> String {
    format!("{}/api/v1/executions/{id}", base_url(state, headers))
}

pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

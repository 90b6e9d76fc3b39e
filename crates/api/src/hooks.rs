//! Webhooks: `/hooks/{path}` runs the active workflow with that path; `/hooks-test/{path}` runs
//! the current version (active or not) and feeds the editor's "listen for a test event".
//!
//! Order of checks: route (404; a test URL also needs a listener) → method (405) → answer
//! format (406) → header/basic auth (401) → size and the intake budget (413, 503) → body read →
//! HMAC auth on the raw body (401) → parsing (415/400) → commit to the queue → answer (202, or
//! the result for `respond: sync`). Nothing is acknowledged before it is committed, and no
//! body byte is read before the checks that do not need it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use engine::model::{AuthKind, RespondMode, Trigger};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::respond::{self, Format};
use crate::{AppState, Config};

pub fn router(_config: &Config) -> Router<AppState> {
    Router::new()
        .route("/hooks/{*path}", any(production))
        .route("/hooks-test/{*path}", any(test))
        .layer(axum::middleware::map_response(sandboxed))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// Whatever a workflow answers is not the editor's page: a `respond` step sending `text/html`
/// with a script must not run on this origin (where the editor lives).
async fn sandboxed(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    res
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "the body is larger than this webhook accepts",
    )
}

async fn production(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: Request,
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

/// A test URL runs a workflow that may never have been activated, so it answers only while
/// someone with an API key listens for a test event (`GET /api/v1/workflows/{id}/test-event`,
/// the editor's "listen"); otherwise 404 and nothing runs. The 404 does not tell whether a
/// workflow has this path.
async fn test(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let not_listening = || {
        ApiError::not_found(format!(
            "nothing listens for a test event at /hooks-test/{path}: start listening in the editor \
             (or GET /api/v1/workflows/{{id}}/test-event) first"
        ))
    };
    let workflow = state
        .store
        .workflow_by_path_any(&path)
        .await?
        .ok_or_else(not_listening)?;
    if !state.test_listening(workflow.id) {
        return Err(not_listening());
    }
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
    req: Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let http::request::Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    let Trigger::Webhook(hook) = &workflow.trigger else {
        return Err(ApiError::not_found("this workflow has no webhook trigger"));
    };
    let allowed = hook.allowed_methods();
    if !allowed.iter().any(|m| m == method.as_str()) {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
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

    // Authentication. Header and basic auth need no body: they are checked before a byte of
    // it is read; only an HMAC signature needs the exact raw body.
    let credential = match hook.auth.as_ref().and_then(|a| a.credential.as_ref()) {
        Some(name) => match state.credentials.get(name).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(workflow_id = %workflow_id, error = %e, "webhook credential unavailable");
                return Err(ApiError::unauthorized());
            }
        },
        None => None,
    };
    let check = |body: &[u8]| -> ApiResult<triggers::Verified> {
        let Some(auth) = &hook.auth else {
            return Ok(triggers::Verified::default());
        };
        triggers::auth::verify_signature(
            auth,
            credential.as_ref(),
            &headers,
            body,
            chrono::Utc::now(),
        )
        .map_err(|e| {
            tracing::info!(workflow_id = %workflow_id, reason = %e.reason(), "webhook rejected");
            if e.status() == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(workflow_id = %workflow_id, "the webhook's auth is misconfigured");
            }
            ApiError::unauthorized()
        })
    };
    let needs_body = hook.auth.as_ref().is_some_and(|a| a.kind == AuthKind::Hmac);
    let mut verified = if needs_body { None } else { Some(check(&[])?) };

    // The body, under the size limit and the intake's budget of bytes in flight.
    let limit = state.config.body_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let permit = match state.intake.admit(declared.map_or(limit, |n| n as usize)) {
        Ok(p) => p,
        Err(busy) => {
            // The body is read and thrown away (nothing of it is kept) so that the sender gets
            // the 503 instead of a connection cut while it still uploads.
            discard(Body::new(body), limit).await;
            return Err(busy);
        }
    };
    let body = axum::body::to_bytes(Body::new(body), limit)
        .await
        .map_err(|e| {
            if std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            {
                too_large()
            } else {
                ApiError::bad_request(format!("the request body could not be read: {e}"))
            }
        })?;
    if verified.is_none() {
        verified = Some(check(&body)?);
    }
    let verified = verified.unwrap_or_default();

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
            ErrorCode::UnsupportedMediaType,
            e.to_string(),
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedBody,
            e.to_string(),
        ),
    })?;
    // Secrets never reach the execution record: the token header of header/basic auth, the
    // default list of secret headers (and the operator's), and the webhook secret anywhere.
    let secrets = credential.as_ref().map(|c| c.secrets()).unwrap_or_default();
    triggers::redact(
        &mut event,
        hook.auth.as_ref(),
        &state.config.redact_headers,
        &secrets,
    );
    // The signed message id (Standard Webhooks' `webhook-id`, Stripe's event id) wins over any
    // unsigned header, so a replay with another `Idempotency-Key` starts nothing; else the
    // caller's key, else GitHub's delivery id. The key is bound to the request's fingerprint.
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let idempotency_key = verified
        .message_id
        .or_else(|| header("idempotency-key"))
        .or_else(|| header("x-github-delivery").map(|d| format!("github:{d}")))
        .or(verified.replay_key);
    let fingerprint = idempotency_key
        .as_ref()
        .map(|_| fingerprint(method.as_str(), uri.path(), &body));
    drop(body);
    let request = event.into_value();
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
            fingerprint,
            test,
            claim_for: None,
        },
        sync,
    )
    .await?;
    drop(permit);
    if let Some(request) = captured {
        state.publish_test_event(
            workflow_id,
            crate::v1::TestEventOut {
                execution_id: enqueued.execution_id,
                request,
            },
        );
    }
    let status_url = status_url(state, enqueued.execution_id);
    match respond_mode {
        RespondMode::Async => Ok(accepted(
            enqueued.execution_id,
            &status_url,
            enqueued.duplicate,
        )),
        RespondMode::Sync => {
            let (watch, read_first) = watch.expect("a sync call watches its execution");
            match watch.outcome(state.config.sync_wait, read_first).await? {
                // The caller of a hook is anonymous: a failure tells it the execution id, not
                // what failed inside (that stays behind the API key).
                Some(outcome) => Ok(respond::execution_reply(&outcome, format, false)),
                None => Ok(accepted(
                    enqueued.execution_id,
                    &status_url,
                    enqueued.duplicate,
                )),
            }
        }
    }
}

/// Reads a body to its end (at most `limit` bytes) without keeping it.
async fn discard(mut body: Body, limit: usize) {
    use http_body_util::BodyExt;
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |d| d.len());
        if seen > limit {
            break;
        }
    }
}

/// What an idempotency key is bound to: SHA-256 of the method, path and body (hex).
pub(crate) fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
        axum::Json(crate::v1::Accepted {
            execution_id: id,
            status_url: status_url.to_string(),
            duplicate,
        }),
    )
        .into_response();
    if let Ok(v) = header::HeaderValue::from_str(status_url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Where to look at an execution: on `public_url` when set, else relative to this server.
pub(crate) fn status_url(state: &AppState, id: uuid::Uuid) -> String {
    format!("{}/api/v1/executions/{id}", base_url(state))
}

/// `public_url` without its trailing `/`, or empty (URLs are then relative). Never built from
/// the request's `Host` or `X-Forwarded-*` headers, which any caller can set.
pub(crate) fn base_url(state: &AppState) -> String {
    state
        .config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

//! Webhooks: `/hooks/{path}` runs the active workflow with that path; `/hooks-test/{path}` runs
//! the current version (active or not) and feeds the editor's "listen for a test event".
//!
//! A request goes route (404; a test URL also needs a listener) → the trigger's `rate_limit`
//! (429 with `Retry-After`, [`check_rate`]) → accept ([`triggers::intake`]: method 405, answer
//! format 406, header/basic auth 401 and the declared size 413 before the body; then, under
//! the intake budget (503), the body, HMAC auth 401 and parsing 415/400) → submit (commit to
//! the queue) → answer (202, or the result for `respond: sync`). Nothing is acknowledged before
//! it is committed, and no body byte is read before the checks that do not need it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use engine::model::RespondMode;
use triggers::kind::Webhook;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::respond::{self, Format};
use crate::{AppState, Config};

pub fn router(_config: &Config) -> Router<AppState> {
    // Resume URLs answer Weft's own pages (with their own policy), not a workflow's answer.
    let resume = Router::new().route(
        "/hooks/_resume/{execution}/{token}",
        any(crate::resume::resume),
    );
    Router::new()
        .route("/hooks/{*path}", any(production))
        .route("/hooks-test/{*path}", any(test))
        .layer(axum::middleware::map_response(sandboxed))
        .layer(axum::middleware::from_fn(timed))
        .merge(resume)
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// Records how long a webhook request took until its answer's head, by status
/// (`weft_webhook_request_duration_seconds`).
async fn timed(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    store::metrics().observe(
        "weft_webhook_request_duration_seconds",
        &[("status", res.status().as_str())],
        started.elapsed().as_secs_f64(),
    );
    res
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

async fn production(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    // One indexed query per call; the plan of a version never changes, so it is cached (the
    // same plan the worker runs).
    let route = state.store.route(&path).await?.ok_or_else(|| {
        ApiError::not_found(format!("no active workflow listens at /hooks/{path}"))
    })?;
    let plan = state.plan(route.workflow_id, route.version).await?;
    accept(
        &state,
        (route.workflow_id, route.version, &plan.workflow),
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
    let target = (workflow.id, workflow.version, &workflow.doc.workflow);
    accept(&state, target, true, req).await
}

/// What follows the route (`production`, `test`): accept (the checks and the body, by
/// [`triggers::intake`]) → submit (commit to the queue, [`enqueue`]) → answer.
async fn accept(
    state: &AppState,
    (workflow_id, version, workflow): (Uuid, i32, &engine::Workflow),
    test: bool,
    req: Request,
) -> ApiResult<Response> {
    let Some(hook) = Webhook::settings(&workflow.trigger) else {
        return Err(ApiError::not_found("this workflow has no webhook trigger"));
    };
    if let Some(rate) = &hook.rate_limit {
        check_rate(state, workflow_id, rate).await?;
    }
    let (parts, body) = req.into_parts();
    let sync = hook.respond.unwrap_or_default() == RespondMode::Sync;
    // A sync caller must be answerable: the format is checked before anything runs.
    let format = respond::negotiate(&parts.headers);
    let limits = triggers::Limits {
        body_limit: state.config.body_limit,
        redact_headers: &state.config.redact_headers,
    };
    let refuse = |r| rejected(workflow_id, r);
    let pending = triggers::check_request(
        hook,
        state.credentials.as_ref(),
        limits,
        parts,
        format.is_some(),
    )
    .await
    .map_err(refuse)?;
    let (body, permit) = read_body(state, &pending, body).await?;
    let accepted = pending.accept(body).map_err(refuse)?;
    let request = Arc::new(accepted.event);
    // The editor's test listener gets the captured request too.
    let captured = test.then(|| request.clone());
    let (enqueued, watch) = enqueue(
        state,
        store::NewExecution {
            workflow_id,
            version,
            trigger_kind: Webhook::KIND.into(),
            request,
            idempotency_key: accepted.idempotency_key,
            fingerprint: accepted.fingerprint,
            test,
            claim_for: None,
            concurrency: None,
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
                request: (*request).clone(),
            },
        );
    }
    answer(state, enqueued, watch, format.filter(|_| sync)).await
}

/// A webhook's `rate_limit`, before anything else of the request is looked at: a call beyond
/// it is answered 429 `rate_limited` with `Retry-After` (the seconds until the window ends),
/// without reading its body or storing anything. The count is per workflow (the store's key
/// is the workflow id, so a new version or a new path keeps the count) and the production
/// and test URLs share it. A workflow without `rate_limit` never gets here. See
/// [`store::Store::take_rate_slot`] for where it is counted (PostgreSQL: shared by the
/// processes on the database; SQLite: this process's memory).
async fn check_rate(state: &AppState, workflow_id: Uuid, rate: &str) -> ApiResult<()> {
    // Validation refuses a workflow whose rate limit does not parse before it is saved.
    let limit = triggers::kind::RateLimit::parse(rate).map_err(ApiError::internal)?;
    let decision = state
        .store
        .take_rate_slot(
            &workflow_id.to_string(),
            chrono::Utc::now(),
            limit.window_secs,
            limit.limit,
        )
        .await?;
    if decision.allowed {
        return Ok(());
    }
    let retry_after = decision.retry_after_secs;
    tracing::debug!(workflow_id = %workflow_id, rate_limit = rate, "webhook call over its rate limit");
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("this webhook's rate limit of {rate} is reached; retry after {retry_after} s"),
    )
    .details(serde_json::json!({
        "rate_limit": rate,
        "retry_after_secs": retry_after,
    }))
    .header(header::RETRY_AFTER, &retry_after.to_string()))
}

/// The answer to an accepted request: 202 with where to look, or for a sync hook (`format`
/// set) its result once it finishes within the sync wait.
async fn answer(
    state: &AppState,
    enqueued: store::Enqueued,
    watch: Option<(store::Watch, bool)>,
    format: Option<Format>,
) -> ApiResult<Response> {
    let status_url = status_url(state, enqueued.execution_id);
    if let (Some(format), Some((watch, read_first))) = (format, watch) {
        let Some(outcome) = watch.outcome(state.config.sync_wait, read_first).await? else {
            // Never a 2xx for an answer the caller did not get: 504, and where to follow it.
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::StillRunning,
                "the execution did not finish within the sync wait; it goes on: follow it at                  `details.status_url` (with an API key)",
            )
            .details(serde_json::json!({
                "execution_id": enqueued.execution_id,
                "status_url": status_url,
            }))
            .header(header::LOCATION, &status_url)
            .header(
                header::HeaderName::from_static("x-weft-execution-id"),
                &enqueued.execution_id.to_string(),
            ));
        };
        // It waits (`action: wait`), maybe for days, and answered nothing before: accepted,
        // and where to follow it.
        if !outcome.status.is_finished() && outcome.response.is_none() {
            return Ok(accepted(
                enqueued.execution_id,
                &status_url,
                enqueued.duplicate,
            ));
        }
        // The caller of a hook is anonymous: a failure tells it the execution id, not what
        // failed inside (that stays behind the API key).
        return Ok(respond::execution_reply(&outcome, format, false));
    }
    Ok(accepted(
        enqueued.execution_id,
        &status_url,
        enqueued.duplicate,
    ))
}

/// The body, at most the limit, under the intake's budget of bytes in flight: the permit is
/// held until the execution is committed. The bytes are copied frame by frame into one buffer
/// of the declared length, so that the body is held once, not as its frames and a copy.
pub(crate) async fn read_body(
    state: &AppState,
    pending: &triggers::Pending<'_>,
    mut body: Body,
) -> ApiResult<(Vec<u8>, tokio::sync::OwnedSemaphorePermit)> {
    use http_body_util::BodyExt;
    let limit = pending.body_limit();
    let permit = match state.intake.admit(pending.reserve()) {
        Ok(p) => p,
        Err(busy) => {
            // The body is read and thrown away (nothing of it is kept) so that the sender gets
            // the 503 instead of a connection cut while it still uploads.
            discard(body, limit).await;
            return Err(busy);
        }
    };
    let mut bytes = Vec::with_capacity(pending.declared_length().unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        })?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > limit {
                return Err(rejected_answer(&triggers::Rejection::TooLarge));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok((bytes, permit))
}

/// The answer to a refused request; auth failures are logged with their reason and answered
/// with no more than 401.
fn rejected(workflow_id: Uuid, r: triggers::Rejection) -> ApiError {
    use triggers::Rejection;
    match &r {
        Rejection::CredentialUnavailable(e) => {
            tracing::error!(workflow_id = %workflow_id, error = %e, "webhook credential unavailable");
        }
        Rejection::Unauthorized(e) => {
            tracing::info!(workflow_id = %workflow_id, reason = %e.reason(), "webhook rejected");
            if e.status() == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(workflow_id = %workflow_id, "the webhook's auth is misconfigured");
            }
        }
        _ => {}
    }
    rejected_answer(&r)
}

pub(crate) fn rejected_answer(r: &triggers::Rejection) -> ApiError {
    use triggers::Rejection;
    match r {
        Rejection::CredentialUnavailable(_) | Rejection::Unauthorized(_) => {
            ApiError::unauthorized()
        }
        Rejection::NotAcceptable => respond::not_acceptable(),
        Rejection::MethodNotAllowed { .. } => {
            let allow = r.allow().unwrap_or_default();
            ApiError::new(r.status(), ErrorCode::MethodNotAllowed, r.to_string())
                .header(header::ALLOW, &allow)
        }
        Rejection::TooLarge => ApiError::new(r.status(), ErrorCode::PayloadTooLarge, r.to_string()),
        Rejection::Body(triggers::BodyError::UnsupportedContentType(_)) => {
            ApiError::new(r.status(), ErrorCode::UnsupportedMediaType, r.to_string())
        }
        Rejection::Body(_) => ApiError::new(r.status(), ErrorCode::MalformedBody, r.to_string()),
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

/// Commits a new execution and gets it running (the workers' `submit`): with `watch` (the
/// caller will wait for the end), also the [`store::Watch`] on its end and whether it must read
/// the database first.
pub(crate) async fn enqueue(
    state: &AppState,
    new: store::NewExecution,
    watch: bool,
) -> ApiResult<(store::Enqueued, Option<(store::Watch, bool)>)> {
    let submitted = state.dispatch.submit(new, watch).await?;
    Ok((submitted.enqueued, submitted.watch))
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
    public_base(state.config.public_url.as_deref())
}

/// `public_url` without its trailing `/`, or empty: the base of every URL Weft hands out
/// (status URLs, webhook URLs, resume URLs).
pub fn public_base(public_url: Option<&str>) -> String {
    public_url
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

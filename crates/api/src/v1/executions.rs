//! Executions: list, inspect (with every step's input, output and attempts), cancel, retry,
//! delete, and a live stream of step events for the editor.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, OptionalJson, PathParams, QueryParams};
use crate::hooks::{accepted, status_url};

/// The JSON of an execution with its final step results.
pub(crate) fn execution_json(exec: &store::ExecutionRecord, steps: &[engine::StepResult]) -> Value {
    let mut v = serde_json::to_value(exec).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "steps".into(),
            serde_json::to_value(steps).unwrap_or(Value::Null),
        );
    }
    v
}

#[derive(Debug, Deserialize, IntoParams)]
struct ListQuery {
    workflow_id: Option<Uuid>,
    /// queued, running, succeeded, failed or cancelled.
    #[param(value_type = Option<String>)]
    status: Option<store::ExecutionStatus>,
    /// Only test executions (`true`) or only real ones (`false`).
    test: Option<bool>,
    /// RFC 3339: only executions created at or after.
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// RFC 3339: only executions created before.
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<u64>,
}

/// Executions, newest first, with cursor pagination.
#[utoipa::path(get, path = "/executions", tag = "executions",
    params(ListQuery),
    responses((status = 200, description = "`{items: [...], next_cursor}`", body = Object), (status = 400)))]
async fn list_executions(
    _: Caller,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Value>> {
    if q.limit.is_some_and(|l| l == 0 || l > 200) {
        return Err(ApiError::bad_request("`limit` must be between 1 and 200"));
    }
    let page = state
        .store
        .list_executions(store::ExecutionFilter {
            workflow_id: q.workflow_id,
            status: q.status,
            test: q.test,
            since: q.since,
            until: q.until,
            cursor: q.cursor,
            limit: q.limit.map(|l| l as u32),
        })
        .await?;
    Ok(Json(
        serde_json::to_value(page).map_err(ApiError::internal)?,
    ))
}

async fn find(state: &AppState, id: Uuid) -> ApiResult<store::ExecutionRecord> {
    state
        .store
        .execution(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("execution {id} does not exist")))
}

/// One execution: the request, the result, every step's final result and every attempt.
#[utoipa::path(get, path = "/executions/{id}", tag = "executions",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404)))]
async fn get_execution(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<Value>> {
    let exec = find(&state, id).await?;
    let steps = state.store.finished_steps(id).await?;
    let attempts = state.store.step_runs(id).await?;
    let mut v = execution_json(&exec, &steps);
    if let Value::Object(m) = &mut v {
        m.insert(
            "attempts".into(),
            serde_json::to_value(attempts).map_err(ApiError::internal)?,
        );
    }
    Ok(Json(v))
}

/// Cancel a queued or running execution.
#[utoipa::path(post, path = "/executions/{id}/cancel", tag = "executions",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404), (status = 409, description = "Already finished")))]
async fn cancel_execution(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<Value>> {
    let exec = find(&state, id).await?;
    if exec.status.is_finished() {
        return Err(ApiError::conflict(format!(
            "the execution already {}",
            exec.status.as_str()
        )));
    }
    let exec = state.store.cancel_execution(id).await?;
    state.dispatch.cancel(id);
    Ok(Json(
        serde_json::to_value(exec).map_err(ApiError::internal)?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct RetryIn {
    /// `start` (default): run again from the beginning; `failed_step`: keep the steps that
    /// succeeded and run again from the one that failed, with the same inputs.
    #[serde(default)]
    from: Option<String>,
}

/// Run a finished execution again, as a new execution.
#[utoipa::path(post, path = "/executions/{id}/retry", tag = "executions",
    params(("id" = Uuid, Path)),
    request_body(content = RetryIn),
    responses((status = 202, description = "`{execution_id, status_url}`", body = Object), (status = 404), (status = 409)))]
async fn retry_execution(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    OptionalJson(body): OptionalJson<RetryIn>,
) -> ApiResult<Response> {
    let exec = find(&state, id).await?;
    if !exec.status.is_finished() {
        return Err(ApiError::conflict("the execution has not finished yet"));
    }
    let from_failed = match body.and_then(|b| b.from).as_deref() {
        None | Some("start") => false,
        Some("failed_step") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`from` is `start` or `failed_step`, not `{other}`"
            )));
        }
    };
    let new_id = state.store.retry_execution(id, from_failed).await?;
    state.dispatch.wake();
    Ok(accepted(new_id, &status_url(&state, new_id), false))
}

/// Delete a finished execution and its step runs.
#[utoipa::path(delete, path = "/executions/{id}", tag = "executions",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409)))]
async fn delete_execution(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<StatusCode> {
    let exec = find(&state, id).await?;
    if !exec.status.is_finished() {
        return Err(ApiError::conflict(
            "cancel the execution before deleting it",
        ));
    }
    state.store.delete_execution(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Server-sent events of a running execution: `step` events as steps start, retry and
/// finish, then one `execution` event with the final status. Steps that finished before the
/// stream opened are sent first. `?access_token=` may replace the Authorization header.
#[utoipa::path(get, path = "/executions/{id}/events", tag = "executions",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "text/event-stream"), (status = 404)))]
async fn execution_events(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Response> {
    // Subscribe first, then read what already happened: nothing falls in between.
    let rx = state.store.events();
    let exec = find(&state, id).await?;
    let done = exec.status.is_finished();
    let mut initial: Vec<Event> = state
        .store
        .finished_steps(id)
        .await?
        .into_iter()
        .map(|s| {
            let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("type".into(), json!("finished"));
            }
            sse("step", &v)
        })
        .collect();
    if done {
        initial.push(sse("execution", &json!({ "status": exec.status })));
    }
    Ok(Sse::new(events_stream(id, rx, initial, done))
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn sse(name: &str, data: &Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// The SSE event for a store event: `step` events, and a last `execution` event.
fn sse_of(kind: &store::ExecutionEventKind) -> Option<(&'static str, Value, bool)> {
    use store::ExecutionEventKind as K;
    Some(match kind {
        K::StepStarted {
            step_id,
            item_index,
            attempt,
            at,
            ..
        } => (
            "step",
            json!({ "type": "started", "step_id": step_id, "item_index": item_index, "attempt": attempt, "at": at }),
            false,
        ),
        K::StepRetrying {
            step_id,
            item_index,
            attempt,
            error,
            delay_ms,
        } => (
            "step",
            json!({ "type": "retrying", "step_id": step_id, "item_index": item_index, "attempt": attempt, "error": error, "delay_ms": delay_ms }),
            false,
        ),
        K::StepFinished { result } => {
            let mut v = serde_json::to_value(result).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("type".into(), json!("finished"));
            }
            ("step", v, false)
        }
        K::CancelRequested => return None,
        K::Finished { status } => ("execution", json!({ "status": status }), true),
    })
}

fn events_stream(
    id: Uuid,
    rx: tokio::sync::broadcast::Receiver<store::ExecutionEvent>,
    initial: Vec<Event>,
    done: bool,
) -> impl Stream<Item = Result<Event, Infallible>> {
    struct S {
        rx: tokio::sync::broadcast::Receiver<store::ExecutionEvent>,
        queued: std::collections::VecDeque<Event>,
        done: bool,
    }
    futures::stream::unfold(
        S {
            rx,
            queued: initial.into(),
            done,
        },
        move |mut s| async move {
            loop {
                if let Some(e) = s.queued.pop_front() {
                    return Some((Ok(e), s));
                }
                if s.done {
                    return None;
                }
                match s.rx.recv().await {
                    Ok(ev) if ev.execution_id == id => {
                        let Some((name, data, last)) = sse_of(&ev.kind) else {
                            continue;
                        };
                        s.done = last;
                        return Some((Ok(sse(name, &data)), s));
                    }
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return None,
                }
            }
        },
    )
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_executions))
        .routes(routes!(get_execution, delete_execution))
        .routes(routes!(cancel_execution))
        .routes(routes!(retry_execution))
        .routes(routes!(execution_events))
}

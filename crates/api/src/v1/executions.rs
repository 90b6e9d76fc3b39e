//! Executions: list, inspect (with every step's input, output and attempts), cancel, retry,
//! delete, and a live stream of step events for the editor.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, OptionalJson, PathParams, QueryParams};
use crate::hooks::{accepted, status_url};

/// An execution in a list: no request, response or output.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionSummaryOut {
    pub id: Uuid,
    pub workflow_id: Uuid,
    /// The workflow version it runs.
    pub version: i32,
    pub status: store::ExecutionStatus,
    /// `webhook`, `schedule` or `manual`.
    pub trigger_kind: String,
    #[schema(required)]
    pub error: Option<engine::journal::ExecutionError>,
    /// Started from the test URL.
    pub test: bool,
    /// How many times a worker took it up: more than 1 after a crash or a restart.
    pub attempt: i32,
    /// The execution this one retries.
    #[schema(required)]
    pub retry_of: Option<Uuid>,
    /// The process (see `GET /processes`) that runs it, or ran it last; `null` until a
    /// worker takes it up.
    #[schema(required)]
    pub process: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[schema(required)]
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(required)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<store::ExecutionSummary> for ExecutionSummaryOut {
    fn from(e: store::ExecutionSummary) -> Self {
        ExecutionSummaryOut {
            id: e.id,
            workflow_id: e.workflow_id,
            version: e.version,
            status: e.status,
            trigger_kind: e.trigger_kind,
            error: e.error,
            test: e.test,
            attempt: e.attempt,
            retry_of: e.retry_of,
            process: e.process,
            created_at: e.created_at,
            started_at: e.started_at,
            finished_at: e.finished_at,
        }
    }
}

super::list_of!(
    /// `GET /executions`: newest first.
    ExecutionList,
    ExecutionSummaryOut
);

/// An execution: what started it, how it ended, and every step's final result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionOut {
    #[serde(flatten)]
    pub summary: ExecutionSummaryOut,
    /// The trigger event (what templates read as `trigger`; secret headers redacted).
    #[schema(value_type = engine::TriggerEvent)]
    pub request: store::RequestJson,
    /// What a `respond` step answered.
    #[schema(required)]
    pub response: Option<engine::Response>,
    /// The last step's output (or the `respond` body).
    #[schema(required)]
    pub output: Option<Value>,
    #[schema(required)]
    pub idempotency_key: Option<String>,
    /// A cancel was asked for and the worker has not stopped yet.
    pub cancel_requested: bool,
    /// Every step's final result, in document order.
    pub steps: Vec<engine::StepResult>,
    /// Every attempt of every step (only on `GET /executions/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<StepRunOut>>,
}

impl ExecutionOut {
    pub(crate) fn new(
        mut e: store::ExecutionRecord,
        steps: Vec<engine::StepResult>,
        attempts: Option<Vec<store::StepRunRecord>>,
    ) -> Self {
        // The request, response and output (which may be megabytes) are moved out first.
        ExecutionOut {
            request: std::mem::take(&mut e.request),
            response: e.response.take(),
            output: e.output.take(),
            idempotency_key: e.idempotency_key.take(),
            cancel_requested: e.cancel_requested,
            summary: store::ExecutionSummary::from(e).into(),
            steps,
            attempts: attempts.map(|a| a.into_iter().map(StepRunOut::from).collect()),
        }
    }
}

/// One attempt of a step (of one item, for `for_each`), or the step's final result
/// (`is_final`): a row of the journal.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepRunOut {
    pub id: Uuid,
    pub execution_id: Uuid,
    /// Which take-up of the execution wrote it (0: copied by a retry from the failed step).
    pub execution_attempt: i32,
    pub step_id: String,
    #[schema(required)]
    pub action: Option<String>,
    #[schema(required)]
    pub item_index: Option<u32>,
    pub attempt: u32,
    pub status: engine::journal::StepStatus,
    pub is_final: bool,
    /// The rendered config.
    #[schema(required)]
    pub input: Option<Value>,
    #[schema(required)]
    pub output: Option<Value>,
    #[schema(required)]
    pub error: Option<String>,
    /// What the action recorded with its failure, e.g. the `status`, `headers` and `body` of
    /// the answer a failed `http` step got (secrets masked).
    #[schema(required)]
    pub error_details: Option<Value>,
    /// The output port taken, for branching actions.
    #[schema(required)]
    pub port: Option<String>,
    #[schema(required)]
    pub response: Option<engine::Response>,
    #[schema(required)]
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(required)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Wall time in microseconds.
    #[schema(required)]
    pub duration_us: Option<u64>,
}

impl From<store::StepRunRecord> for StepRunOut {
    fn from(r: store::StepRunRecord) -> Self {
        StepRunOut {
            id: r.id,
            execution_id: r.execution_id,
            execution_attempt: r.execution_attempt,
            step_id: r.step_id,
            action: r.action,
            item_index: r.item_index,
            attempt: r.attempt,
            status: r.status,
            is_final: r.is_final,
            input: r.input,
            output: r.output,
            error: r.error,
            error_details: r.error_details,
            port: r.port,
            response: r.response,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_us: r.duration_us,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    workflow_id: Option<Uuid>,
    /// Only executions with this status.
    #[param(value_type = Option<store::ExecutionStatus>)]
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
    responses((status = 200, body = ExecutionList), (status = 400)))]
async fn list_executions(
    _: Caller,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<ExecutionList>> {
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
    Ok(Json(ExecutionList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
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
    responses((status = 200, body = ExecutionOut), (status = 404)))]
async fn get_execution(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<ExecutionOut>> {
    let exec = find(&state, id).await?;
    let steps = state.store.finished_steps(id).await?;
    let attempts = state.store.step_runs(id).await?;
    Ok(Json(ExecutionOut::new(exec, steps, Some(attempts))))
}

/// Cancel a queued or running execution.
#[utoipa::path(post, path = "/executions/{id}/cancel", tag = "executions",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ExecutionOut), (status = 404), (status = 409, description = "Already finished")))]
async fn cancel_execution(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<ExecutionOut>> {
    let exec = find(&state, id).await?;
    if exec.status.is_finished() {
        return Err(ApiError::conflict(format!(
            "the execution already {}",
            exec.status.as_str()
        )));
    }
    let exec = state.store.cancel_execution(id).await?;
    state.dispatch.cancel(id);
    let steps = state.store.finished_steps(id).await?;
    Ok(Json(ExecutionOut::new(exec, steps, None)))
}

#[derive(Debug, Deserialize, ToSchema)]
struct RetryIn {
    /// Read as text so that an unknown value gets a 400 that names the choices.
    #[serde(default)]
    #[schema(value_type = Option<RetryFrom>)]
    from: Option<String>,
    /// Read as text, like `from`.
    #[serde(default)]
    #[schema(value_type = Option<RetryVersion>)]
    version: Option<String>,
}

/// Which version of the workflow a retry runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
enum RetryVersion {
    /// The version the execution ran (the default).
    #[default]
    Original,
    /// The workflow's current version: the fix saved since the failure.
    Current,
}

/// Where a retry starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
enum RetryFrom {
    /// Run again from the beginning (the default).
    #[default]
    Start,
    /// Keep the steps that succeeded and run again from the one that failed, with the same
    /// inputs.
    FailedStep,
}

/// Run a finished execution again, as a new execution: from the start or from the failed step,
/// with the version it ran or the workflow's current one.
#[utoipa::path(post, path = "/executions/{id}/retry", tag = "executions",
    params(("id" = Uuid, Path)),
    request_body(content = RetryIn),
    responses((status = 202, body = super::Accepted), (status = 404), (status = 409)))]
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
    let body = body.unwrap_or(RetryIn {
        from: None,
        version: None,
    });
    let version = match body.version.as_deref() {
        None | Some("original") => RetryVersion::Original,
        Some("current") => RetryVersion::Current,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`version` is `original` or `current`, not `{other}`"
            )));
        }
    };
    let from = match body.from.as_deref() {
        None | Some("start") => RetryFrom::Start,
        Some("failed_step") => RetryFrom::FailedStep,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`from` is `start` or `failed_step`, not `{other}`"
            )));
        }
    };
    let from_failed = from == RetryFrom::FailedStep;
    let new_id = state
        .store
        .retry_execution(id, from_failed, version == RetryVersion::Current)
        .await?;
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
        .filter_map(|s| {
            sse(&store::ExecutionEventKind::StepFinished {
                result: Box::new(s),
            })
        })
        .collect();
    if done {
        initial.extend(sse(&store::ExecutionEventKind::Finished {
            status: exec.status,
        }));
    }
    Ok(Sse::new(events_stream(id, rx, initial, done))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The stream event of an execution event (the store's event, serialized as it is); `None` for
/// one streams do not get.
fn sse(kind: &store::ExecutionEventKind) -> Option<Event> {
    let name = kind.stream_name()?;
    Some(
        Event::default()
            .event(name)
            .data(serde_json::to_string(kind).unwrap_or_default()),
    )
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
                        let Some(event) = sse(&ev.kind) else {
                            continue;
                        };
                        s.done = matches!(ev.kind, store::ExecutionEventKind::Finished { .. });
                        return Some((Ok(event), s));
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

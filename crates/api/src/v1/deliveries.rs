//! Outgoing webhooks (`action: webhook`): list, inspect (with every attempt), and retry a
//! failed one by hand.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, PathParams, QueryParams};

/// A delivery: one message, the same `message_id` (`webhook-id`) on every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    /// `webhook-id` of every attempt.
    pub message_id: String,
    /// The execution and step that queued it.
    pub execution_id: Uuid,
    pub workflow_id: Uuid,
    pub step_id: String,
    #[schema(required)]
    pub item_index: Option<u32>,
    pub url: String,
    /// The step's extra headers (the `webhook-*` ones are made at each attempt).
    pub headers: BTreeMap<String, String>,
    /// The JSON message.
    pub body: Value,
    /// The `secret` credential that signs it, by name (`null`: unsigned).
    #[schema(required)]
    pub credential: Option<String>,
    pub status: store::DeliveryStatus,
    /// Attempts started so far.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    #[schema(required)]
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The HTTP status of the last attempt, if it got an answer.
    #[schema(required)]
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    #[schema(required)]
    pub last_error: Option<String>,
    /// The first KiB of the last answer's body.
    #[schema(required)]
    pub last_body: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[schema(required)]
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was delivered or failed for good.
    #[schema(required)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Every finished attempt, oldest first (only on `GET /deliveries/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<DeliveryAttemptOut>>,
}

impl DeliveryOut {
    fn new(d: store::DeliveryRecord, history: Option<Vec<store::DeliveryAttemptRecord>>) -> Self {
        DeliveryOut {
            body: serde_json::from_str(&d.body).unwrap_or(Value::String(d.body)),
            id: d.id,
            message_id: d.message_id,
            execution_id: d.execution_id,
            workflow_id: d.workflow_id,
            step_id: d.step_id,
            item_index: d.item_index,
            url: d.url,
            headers: d.headers,
            credential: d.credential,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            last_body: d.last_body,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            finished_at: d.finished_at,
            history: history.map(|h| h.into_iter().map(DeliveryAttemptOut::from).collect()),
        }
    }
}

/// One finished attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttemptOut {
    /// From 1; the count goes on after a retry by hand.
    pub attempt: u32,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: chrono::DateTime<chrono::Utc>,
    /// The HTTP status answered (`null`: no answer).
    #[schema(required)]
    pub status: Option<u16>,
    #[schema(required)]
    pub error: Option<String>,
    /// The first KiB of the answer's body.
    #[schema(required)]
    pub body: Option<String>,
    /// `delivered`, `retry` (another attempt was due) or `failed` (none was left).
    pub outcome: String,
}

impl From<store::DeliveryAttemptRecord> for DeliveryAttemptOut {
    fn from(a: store::DeliveryAttemptRecord) -> Self {
        DeliveryAttemptOut {
            attempt: a.attempt,
            started_at: a.started_at,
            finished_at: a.finished_at,
            status: a.status,
            error: a.error,
            body: a.body,
            outcome: a.outcome,
        }
    }
}

super::list_of!(
    /// `GET /deliveries`: newest first.
    DeliveryList,
    DeliveryOut
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only the deliveries of this execution.
    execution_id: Option<Uuid>,
    /// Only the deliveries of this workflow's executions.
    workflow_id: Option<Uuid>,
    /// Only deliveries with this status.
    #[param(value_type = Option<store::DeliveryStatus>)]
    status: Option<store::DeliveryStatus>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<u64>,
}

/// Outgoing webhooks, newest first, with cursor pagination.
#[utoipa::path(get, path = "/deliveries", tag = "deliveries",
    params(ListQuery),
    responses((status = 200, body = DeliveryList), (status = 400)))]
async fn list_deliveries(
    _: Caller,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<DeliveryList>> {
    if q.limit.is_some_and(|l| l == 0 || l > 200) {
        return Err(ApiError::bad_request("`limit` must be between 1 and 200"));
    }
    let page = state
        .store
        .list_deliveries(store::DeliveryFilter {
            execution_id: q.execution_id,
            workflow_id: q.workflow_id,
            status: q.status,
            cursor: q.cursor,
            limit: q.limit.map(|l| l as u32),
        })
        .await?;
    Ok(Json(DeliveryList {
        items: page
            .items
            .into_iter()
            .map(|d| DeliveryOut::new(d, None))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One outgoing webhook, with every finished attempt.
#[utoipa::path(get, path = "/deliveries/{id}", tag = "deliveries",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryOut), (status = 404)))]
async fn get_delivery(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<DeliveryOut>> {
    let d = state
        .store
        .delivery(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("delivery {id} does not exist")))?;
    let history = state.store.delivery_attempts(id).await?;
    Ok(Json(DeliveryOut::new(d, Some(history))))
}

/// Send a failed delivery again: it is pending at once, with a new round of the retry
/// schedule (its attempts go on counting).
#[utoipa::path(post, path = "/deliveries/{id}/retry", tag = "deliveries",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryOut), (status = 404),
        (status = 409, description = "Pending or delivered")))]
async fn retry_delivery(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<DeliveryOut>> {
    let d = state.store.retry_delivery(id).await?;
    Ok(Json(DeliveryOut::new(d, None)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
}

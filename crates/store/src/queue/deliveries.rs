//! Outgoing webhooks (`action: webhook`) and their queue: a step queues a delivery
//! ([`Store::queue_delivery`], idempotent by the step's key); a runner claims the due ones with
//! a lease ([`Store::claim_deliveries`], `attempts + 1`), sends each and records the attempt
//! ([`Store::record_attempt`], fenced by the lease owner and the attempt); an expired lease (a
//! runner that died) is claimed again. Nothing here sends anything or holds a secret: the
//! signing credential is stored by name.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value as DbValue,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::{delivery, delivery_attempt};
use crate::error::{Error, Result};
use crate::{Backend, Store, micros, now};

/// The most of an answer's body kept with an attempt (a longer one is cut at a character
/// boundary).
pub const MAX_EXCERPT: usize = 1024;

/// Where a delivery is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    sea_orm::DeriveActiveEnum,
    sea_orm::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: an attempt is due (at `next_attempt_at`) or under way.
    Pending,
    /// A 2xx answered.
    Delivered,
    /// No attempt is left (or the receiver answered 410 Gone); it may be retried by hand.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<DeliveryStatus> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(Error::corrupt(format!("unknown delivery status `{other}`"))),
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        DeliveryStatus::parse(s)
            .map_err(|_| format!("`{s}` is not a delivery status (pending, delivered, failed)"))
    }
}

/// What [`Store::queue_delivery`] stores.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub execution_id: Uuid,
    pub workflow_id: Uuid,
    pub step_id: String,
    pub item_index: Option<usize>,
    pub url: String,
    /// Extra headers of every attempt.
    pub headers: BTreeMap<String, String>,
    /// The JSON body, as the text sent (and signed) byte for byte.
    pub body: String,
    /// The `secret` credential that signs it, by name; `None`: unsigned.
    pub credential: Option<String>,
    /// The same key queues nothing new: the delivery queued under it first is the answer.
    pub idempotency_key: String,
}

/// A queued delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDelivery {
    pub id: Uuid,
    /// `webhook-id`: the same on every attempt.
    pub message_id: String,
    /// The key was used before: this is the delivery queued then, nothing new was stored.
    pub duplicate: bool,
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub message_id: String,
    pub execution_id: Uuid,
    pub workflow_id: Uuid,
    pub step_id: String,
    pub item_index: Option<u32>,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// The JSON body as text.
    pub body: String,
    pub credential: Option<String>,
    pub status: DeliveryStatus,
    /// Attempts started so far.
    pub attempts: u32,
    /// `attempts` when the current round of the retry schedule began (0, or at a retry by
    /// hand): the next attempt is number `attempts - schedule_from + 1` of the schedule.
    pub schedule_from: u32,
    /// When a pending delivery is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// The start of the last answer's body.
    pub last_body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl DeliveryRecord {
    fn from_model(m: delivery::Model) -> Result<DeliveryRecord> {
        Ok(DeliveryRecord {
            id: m.id,
            headers: serde_json::from_str(&m.headers).map_err(|e| {
                Error::corrupt(format!(
                    "the headers of delivery {} are unreadable: {e}",
                    m.id
                ))
            })?,
            status: m.status,
            message_id: m.message_id,
            execution_id: m.execution_id,
            workflow_id: m.workflow_id,
            step_id: m.step_id,
            item_index: m.item_index.map(|i| i.max(0) as u32),
            url: m.url,
            body: m.body,
            credential: m.credential,
            attempts: m.attempts.max(0) as u32,
            schedule_from: m.schedule_from.max(0) as u32,
            next_attempt_at: m.next_attempt_at,
            last_status: m.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: m.last_error,
            last_body: m.last_body,
            created_at: m.created_at,
            delivered_at: m.delivered_at,
            finished_at: m.finished_at,
        })
    }

    /// Delivered or failed: no attempt is due.
    pub fn is_finished(&self) -> bool {
        self.status != DeliveryStatus::Pending
    }
}

/// How one attempt went (see [`Store::record_attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub started_at: DateTime<Utc>,
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// Why it failed (no answer, or a status that is not a success).
    pub error: Option<String>,
    /// The start of the answer's body (cut to [`MAX_EXCERPT`] here if longer).
    pub body: Option<String>,
    pub next: Next,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A 2xx answered.
    Delivered,
    /// Another attempt at this time.
    RetryAt(DateTime<Utc>),
    /// No more attempts.
    Failed,
}

impl Next {
    fn outcome(self) -> &'static str {
        match self {
            Next::Delivered => "delivered",
            Next::RetryAt(_) => "retry",
            Next::Failed => "failed",
        }
    }
}

/// One finished attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttemptRecord {
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub body: Option<String>,
    /// `delivered`, `retry` or `failed`.
    pub outcome: String,
}

/// Which deliveries to list. `Default` lists all, newest first, 50 at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryFilter {
    pub execution_id: Option<Uuid>,
    pub workflow_id: Option<Uuid>,
    pub status: Option<DeliveryStatus>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Default 50, at most 200.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryRecord>,
    /// Pass as `cursor` for the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The claim on SQLite (see [`Store::claim_deliveries`]).
const CLAIM_SQLITE: &str = "UPDATE deliveries SET attempts = attempts + 1, lease_owner = ?1, \
     lease_expires_at = ?2 \
     WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?3 \
       AND (lease_expires_at IS NULL OR lease_expires_at < ?3) \
       ORDER BY next_attempt_at LIMIT ?4) \
     RETURNING *";

/// The claim on PostgreSQL: rows another process is claiming are skipped, not waited for.
const CLAIM_POSTGRES: &str = "UPDATE deliveries SET attempts = attempts + 1, lease_owner = $1, \
     lease_expires_at = $2 \
     WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $3 \
       AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
       ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING *";

/// `msg_` and the delivery's id in hex: unique, and the same on every attempt.
fn message_id(id: Uuid) -> String {
    format!("msg_{}", id.simple())
}

/// `text` cut to at most [`MAX_EXCERPT`] bytes, at a character boundary.
pub fn excerpt(text: &str) -> String {
    if text.len() <= MAX_EXCERPT {
        return text.to_string();
    }
    let mut end = MAX_EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

impl Store {
    /// Stores a pending delivery, due at once, and returns once it is committed (on SQLite:
    /// on disk). With an idempotency key used before, returns that delivery with
    /// `duplicate: true` and stores nothing. [`Error::NotFound`] if the execution does not
    /// exist.
    pub async fn queue_delivery(&self, new: NewDelivery) -> Result<QueuedDelivery> {
        let id = Uuid::now_v7();
        let at = now();
        let headers = serde_json::to_string(&new.headers)
            .map_err(|e| Error::invalid(format!("the headers are not serializable: {e}")))?;
        let key = new.idempotency_key.clone();
        let execution_id = new.execution_id;
        let row = delivery::ActiveModel {
            id: Set(id),
            message_id: Set(message_id(id)),
            execution_id: Set(new.execution_id),
            step_id: Set(new.step_id),
            item_index: Set(new.item_index.map(|i| i as i32)),
            workflow_id: Set(new.workflow_id),
            url: Set(new.url),
            headers: Set(headers),
            body: Set(new.body),
            credential: Set(new.credential),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            schedule_from: Set(0),
            next_attempt_at: Set(Some(at)),
            last_status: Set(None),
            last_error: Set(None),
            last_body: Set(None),
            idempotency_key: Set(new.idempotency_key),
            lease_owner: Set(None),
            lease_expires_at: Set(None),
            created_at: Set(at),
            delivered_at: Set(None),
            finished_at: Set(None),
        };
        let queued = self
            .write("queue_delivery", true, move |txn| {
                Box::pin(async move {
                    let inserted = delivery::Entity::insert(row)
                        .on_conflict(
                            OnConflict::column(delivery::Column::IdempotencyKey)
                                .do_nothing()
                                .to_owned(),
                        )
                        .exec_without_returning(txn)
                        .await?;
                    if inserted == 1 {
                        return Ok(QueuedDelivery {
                            id,
                            message_id: message_id(id),
                            duplicate: false,
                        });
                    }
                    let (first, message_id) = delivery::Entity::find()
                        .select_only()
                        .column(delivery::Column::Id)
                        .column(delivery::Column::MessageId)
                        .filter(delivery::Column::IdempotencyKey.eq(key.as_str()))
                        .into_tuple::<(Uuid, String)>()
                        .one(txn)
                        .await?
                        .ok_or_else(|| {
                            Error::conflict(format!(
                                "the delivery key `{key}` is taken by a delivery that vanished"
                            ))
                        })?;
                    Ok(QueuedDelivery {
                        id: first,
                        message_id,
                        duplicate: true,
                    })
                })
            })
            .await
            .map_err(|e| {
                if e.is_foreign_key_violation() {
                    Error::not_found("execution", execution_id)
                } else {
                    e
                }
            })?;
        if !queued.duplicate {
            self.inner.deliveries.queued.notify_one();
        }
        Ok(queued)
    }

    /// Waits until a delivery may be due in this process: one was queued or retried here, or
    /// `timeout` passed (deliveries queued by other processes, and retries coming due).
    pub async fn deliveries_due(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.inner.deliveries.queued.notified()).await;
    }

    /// Whether some pending delivery is due (a read: the runner's look before it claims, so
    /// that an idle queue costs no write).
    pub async fn deliveries_are_due(&self) -> Result<bool> {
        let due = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::Id)
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now()))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(self.db())
            .await?;
        Ok(due.is_some())
    }

    /// Claims up to `max` due deliveries for `owner`: pending ones whose `next_attempt_at`
    /// passed and that no live lease holds, the longest due first. Each gets `attempts + 1`
    /// and a lease until now + `lease`, and is returned as it is now. Safe with any number of
    /// concurrent claimers, in this process or others (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        lease: Duration,
        max: usize,
    ) -> Result<Vec<DeliveryRecord>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let at = now();
        let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::hours(1));
        let backend = self.db_backend();
        let sql = match self.backend() {
            Backend::Sqlite => CLAIM_SQLITE,
            Backend::Postgres => CLAIM_POSTGRES,
        };
        let owner = owner.to_string();
        let rows = self
            .write("claim_deliveries", false, move |txn| {
                Box::pin(async move {
                    let stmt = Statement::from_sql_and_values(
                        backend,
                        sql,
                        [
                            DbValue::from(owner),
                            until.into(),
                            at.into(),
                            (max as i64).into(),
                        ],
                    );
                    let mut rows = Vec::new();
                    for r in txn.query_all(stmt).await? {
                        rows.push(delivery::Model::from_query_result(&r, "")?);
                    }
                    Ok(rows)
                })
            })
            .await?;
        let mut claimed = rows
            .into_iter()
            .map(DeliveryRecord::from_model)
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|d| d.next_attempt_at);
        Ok(claimed)
    }

    /// Records attempt `attempt` of a delivery `owner` claimed, and what follows it. Fenced:
    /// only the holder of that claim records (`false` otherwise: the lease was lost and
    /// another claim took over). The lease ends.
    pub async fn record_attempt(
        &self,
        id: Uuid,
        owner: &str,
        attempt: u32,
        result: AttemptResult,
    ) -> Result<bool> {
        let at = now();
        let owner = owner.to_string();
        let body = result.body.as_deref().map(excerpt);
        let error = result.error.as_deref().map(excerpt);
        let (status, next_at, delivered_at, finished_at) = match result.next {
            Next::Delivered => (DeliveryStatus::Delivered, None, Some(at), Some(at)),
            Next::RetryAt(t) => (DeliveryStatus::Pending, Some(micros(t)), None, None),
            Next::Failed => (DeliveryStatus::Failed, None, None, Some(at)),
        };
        let attempt_row = delivery_attempt::Model {
            delivery_id: id,
            attempt: attempt as i32,
            started_at: micros(result.started_at),
            finished_at: at,
            status: result.status.map(i32::from),
            error: error.clone(),
            body: body.clone(),
            outcome: result.next.outcome().to_string(),
        };
        let done = status != DeliveryStatus::Pending;
        let recorded = self
            .write("record_attempt", true, move |txn| {
                Box::pin(async move {
                    let updated = delivery::Entity::update_many()
                        .col_expr(delivery::Column::Status, Expr::value(status))
                        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next_at))
                        .col_expr(
                            delivery::Column::LastStatus,
                            Expr::value(result.status.map(i32::from)),
                        )
                        .col_expr(delivery::Column::LastError, Expr::value(error))
                        .col_expr(delivery::Column::LastBody, Expr::value(body))
                        .col_expr(delivery::Column::LeaseOwner, Expr::value(None::<String>))
                        .col_expr(
                            delivery::Column::LeaseExpiresAt,
                            Expr::value(None::<DateTime<Utc>>),
                        )
                        .col_expr(delivery::Column::DeliveredAt, Expr::value(delivered_at))
                        .col_expr(delivery::Column::FinishedAt, Expr::value(finished_at))
                        .filter(delivery::Column::Id.eq(id))
                        .filter(delivery::Column::LeaseOwner.eq(owner))
                        .filter(delivery::Column::Attempts.eq(attempt as i32))
                        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
                        .exec(txn)
                        .await?
                        .rows_affected;
                    if updated != 1 {
                        return Ok(false);
                    }
                    delivery_attempt::Entity::insert(delivery_attempt::ActiveModel::from(
                        attempt_row,
                    ))
                    .on_conflict(
                        OnConflict::columns([
                            delivery_attempt::Column::DeliveryId,
                            delivery_attempt::Column::Attempt,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .exec_without_returning(txn)
                    .await?;
                    Ok(true)
                })
            })
            .await?;
        if recorded && done {
            self.inner.deliveries.finished.notify_waiters();
        }
        Ok(recorded)
    }

    /// Ends `owner`'s claims on these deliveries without an attempt (a runner shutting down
    /// before it sent them): they are due again at once, and the claim's attempt is given back.
    pub async fn release_deliveries(&self, owner: &str, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let owner = owner.to_string();
        let ids = ids.to_vec();
        self.write("release_deliveries", false, move |txn| {
            Box::pin(async move {
                delivery::Entity::update_many()
                    .col_expr(
                        delivery::Column::Attempts,
                        Expr::col(delivery::Column::Attempts).sub(1),
                    )
                    .col_expr(delivery::Column::LeaseOwner, Expr::value(None::<String>))
                    .col_expr(
                        delivery::Column::LeaseExpiresAt,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .filter(delivery::Column::Id.is_in(ids))
                    .filter(delivery::Column::LeaseOwner.eq(owner))
                    .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
                    .exec(txn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// A delivery, if it exists.
    pub async fn delivery(&self, id: Uuid) -> Result<Option<DeliveryRecord>> {
        delivery::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(DeliveryRecord::from_model)
            .transpose()
    }

    /// Waits until the delivery is delivered or failed for good, and returns it then
    /// ([`Error::NotFound`] if it does not exist). Woken by the finishes of this process, and
    /// looks at least every `poll` (finishes in other processes).
    pub async fn wait_delivery(&self, id: Uuid, poll: Duration) -> Result<DeliveryRecord> {
        loop {
            let finished = self.inner.deliveries.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            let record = self
                .delivery(id)
                .await?
                .ok_or_else(|| Error::not_found("delivery", id))?;
            if record.is_finished() {
                return Ok(record);
            }
            let _ = tokio::time::timeout(poll, finished).await;
        }
    }

    /// Every finished attempt of a delivery, oldest first.
    pub async fn delivery_attempts(&self, id: Uuid) -> Result<Vec<DeliveryAttemptRecord>> {
        let rows = delivery_attempt::Entity::find()
            .filter(delivery_attempt::Column::DeliveryId.eq(id))
            .order_by_asc(delivery_attempt::Column::Attempt)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| DeliveryAttemptRecord {
                attempt: r.attempt.max(0) as u32,
                started_at: r.started_at,
                finished_at: r.finished_at,
                status: r.status.and_then(|s| u16::try_from(s).ok()),
                error: r.error,
                body: r.body,
                outcome: r.outcome,
            })
            .collect())
    }

    /// A page of deliveries, newest first.
    pub async fn list_deliveries(&self, f: DeliveryFilter) -> Result<DeliveryPage> {
        let limit = f
            .limit
            .unwrap_or(super::executions::DEFAULT_PAGE)
            .clamp(1, super::executions::MAX_PAGE) as u64;
        let mut q = delivery::Entity::find();
        if let Some(e) = f.execution_id {
            q = q.filter(delivery::Column::ExecutionId.eq(e));
        }
        if let Some(w) = f.workflow_id {
            q = q.filter(delivery::Column::WorkflowId.eq(w));
        }
        if let Some(s) = f.status {
            q = q.filter(delivery::Column::Status.eq(s));
        }
        if let Some(c) = &f.cursor {
            let c =
                Uuid::parse_str(c).map_err(|_| Error::invalid(format!("invalid cursor `{c}`")))?;
            q = q.filter(delivery::Column::Id.lt(c));
        }
        let rows = q
            .order_by_desc(delivery::Column::Id)
            .limit(limit + 1)
            .all(self.db())
            .await?;
        let more = rows.len() as u64 > limit;
        let items = rows
            .into_iter()
            .take(limit as usize)
            .map(DeliveryRecord::from_model)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = match more {
            true => items.last().map(|d| d.id.simple().to_string()),
            false => None,
        };
        Ok(DeliveryPage { items, next_cursor })
    }

    /// Sends a failed delivery again: it becomes pending, due at once, with a new round of the
    /// retry schedule; its attempts go on counting. [`Error::Conflict`] for a delivery that is
    /// pending or delivered.
    pub async fn retry_delivery(&self, id: Uuid) -> Result<DeliveryRecord> {
        let at = now();
        let record = self
            .write("retry_delivery", true, move |txn| {
                Box::pin(async move {
                    let Some(m) = delivery::Entity::find_by_id(id).one(txn).await? else {
                        return Err(Error::not_found("delivery", id));
                    };
                    let current = DeliveryRecord::from_model(m)?;
                    match current.status {
                        DeliveryStatus::Failed => {}
                        DeliveryStatus::Pending => {
                            return Err(Error::conflict(
                                "the delivery is still pending: its next attempt is due already",
                            ));
                        }
                        DeliveryStatus::Delivered => {
                            return Err(Error::conflict("the delivery was delivered already"));
                        }
                    }
                    delivery::Entity::update_many()
                        .col_expr(
                            delivery::Column::Status,
                            Expr::value(DeliveryStatus::Pending.as_str()),
                        )
                        .col_expr(delivery::Column::NextAttemptAt, Expr::value(Some(at)))
                        .col_expr(
                            delivery::Column::ScheduleFrom,
                            Expr::col(delivery::Column::Attempts).into(),
                        )
                        .col_expr(
                            delivery::Column::FinishedAt,
                            Expr::value(None::<DateTime<Utc>>),
                        )
                        .filter(delivery::Column::Id.eq(id))
                        .filter(delivery::Column::Status.eq(DeliveryStatus::Failed))
                        .exec(txn)
                        .await?;
                    Ok(DeliveryRecord {
                        status: DeliveryStatus::Pending,
                        next_attempt_at: Some(at),
                        schedule_from: current.attempts,
                        finished_at: None,
                        ..current
                    })
                })
            })
            .await?;
        self.inner.deliveries.queued.notify_one();
        Ok(record)
    }
}

/// The in-process signals of the delivery queue.
#[derive(Default)]
pub(crate) struct Signals {
    /// A delivery was queued or retried here: the runner looks at once.
    queued: tokio::sync::Notify,
    /// A delivery was delivered or failed for good here: waiters look at once.
    finished: tokio::sync::Notify,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_cut_at_a_character_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(MAX_EXCERPT);
        let cut = excerpt(&long);
        assert!(cut.len() <= MAX_EXCERPT && cut.len() >= MAX_EXCERPT - 1);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn message_ids_carry_the_delivery_id() {
        let id = Uuid::now_v7();
        assert_eq!(message_id(id), format!("msg_{}", id.simple()));
    }
}

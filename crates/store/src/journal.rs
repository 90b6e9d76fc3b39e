//! The engine's journal on the store, and the in-process event stream.
//!
//! Per step event:
//! - `Started` makes a `running` step run (one per attempt, per item for `for_each`), written
//!   only if the attempt is still running after [`STARTED_DELAY`]: most steps finish sooner,
//!   and then one row is written instead of an insert and an update.
//! - `Retrying` marks that row `retrying` with the error (writing it if it was not yet).
//! - `Finished` writes the step's final result (`is_final`): it turns the row of the last
//!   attempt into the final row, or inserts one (a short attempt, skipped and cancelled
//!   steps, `for_each` steps), and closes the step's other open rows (the items) with the
//!   step's status.
//!
//! `Finished` is fenced: if the execution was claimed again since this journal's attempt (its
//! lease expired), nothing is written and the engine gets an error, which ends the stale run.
//! `record` returns once it is committed; `queue_finished` (what the engine uses) once it is
//! queued on SQLite, and `settle` waits for the commits of those queued so far, or reports
//! the first that failed. `Started` and `Retrying` rows only document progress (resume never
//! reads them), so on SQLite they are handed to the writer without waiting for the commit;
//! they still commit in order, before the step's `Finished`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::journal::{JournalError, StepEvent, StepResult, StepStatus};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait,
};
use sea_orm::{DbBackend, Value as DbValue};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::entity::{JsonText, execution, step_run};
use crate::error::{Error, Result};
use crate::executions::json_text;
use crate::records::ExecutionStatus;
use crate::writer::{Row, SqlCache, Tx, WriteFn, cached_sql};
use crate::{Queued, Store, micros, now};

/// Something that happened to an execution in this process.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionEvent {
    pub execution_id: Uuid,
    pub kind: ExecutionEventKind,
}

/// What happened. This is also what an execution's event stream sends (`GET
/// /api/v1/executions/{id}/events`), serialized as it is: the step events as `step`, the end
/// as `execution`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecutionEventKind {
    /// An attempt of a step started (per item for `for_each`).
    #[serde(rename = "started")]
    StepStarted {
        step_id: String,
        item_index: Option<u32>,
        attempt: u32,
        /// The rendered config (not sent: the step's result carries it).
        #[serde(skip)]
        #[schema(ignore)]
        input: Value,
        at: DateTime<Utc>,
    },
    /// An attempt failed; another follows after `delay_ms`.
    #[serde(rename = "retrying")]
    StepRetrying {
        step_id: String,
        item_index: Option<u32>,
        attempt: u32,
        error: String,
        delay_ms: u64,
    },
    /// A step's final result was recorded.
    #[serde(rename = "finished")]
    StepFinished {
        #[serde(flatten)]
        result: Box<StepResult>,
    },
    /// A cancel was requested while the execution runs (not sent to streams).
    #[serde(skip)]
    CancelRequested,
    /// The execution finished (its result is stored): the stream's last event.
    #[serde(rename = "execution")]
    Finished { status: ExecutionStatus },
    /// The execution changed status without finishing: it waits (`action: wait`) or was
    /// queued again to resume.
    #[serde(rename = "status")]
    Status { status: ExecutionStatus },
}

impl ExecutionEventKind {
    /// The name of this event on an event stream: `step`, `execution`, or none (not sent).
    pub fn stream_name(&self) -> Option<&'static str> {
        match self {
            ExecutionEventKind::StepStarted { .. }
            | ExecutionEventKind::StepRetrying { .. }
            | ExecutionEventKind::StepFinished { .. } => Some("step"),
            ExecutionEventKind::Finished { .. } => Some("execution"),
            ExecutionEventKind::Status { .. } => Some("status"),
            ExecutionEventKind::CancelRequested => None,
        }
    }
}

/// How long an attempt runs before its `running` row is written (see the module docs).
pub const STARTED_DELAY: Duration = Duration::from_millis(200);

/// An attempt that has not finished yet.
enum Open {
    /// Its row is not written yet; the journal's sweeper writes it once it is older than
    /// [`STARTED_DELAY`].
    Pending {
        row: Box<step_run::ActiveModel>,
        since: tokio::time::Instant,
    },
    /// Its row is written (or being written: the lock is held until the write is queued,
    /// committed on PostgreSQL, so that later writes of the row come after it).
    Written {
        id: Uuid,
        writing: Arc<tokio::sync::Mutex<()>>,
    },
}

/// (step id, item index, attempt).
type Key = (String, Option<u32>, u32);
type OpenRows = HashMap<Key, Open>;

/// The [`engine::Journal`] of one attempt of one execution. See the module docs.
pub struct StoreJournal {
    store: Store,
    execution_id: Uuid,
    attempt: i32,
    open: Arc<Mutex<OpenRows>>,
    /// The task writing the `running` rows of long attempts, started with the first one.
    sweeper: std::sync::OnceLock<tokio::task::AbortHandle>,
    /// `Finished` writes queued and not settled yet.
    queued: Mutex<Vec<Queued<()>>>,
}

impl Drop for StoreJournal {
    fn drop(&mut self) {
        if let Some(s) = self.sweeper.get() {
            s.abort();
        }
    }
}

/// An open attempt taken out of the map: the row to insert, or the row written and its lock.
enum Taken {
    Pending(Box<step_run::ActiveModel>),
    Written(Uuid),
}

impl Open {
    /// [`Open::take`] of an attempt that may not be open.
    async fn take_any(open: Option<Open>) -> Option<Taken> {
        match open {
            Some(o) => Some(o.take().await),
            None => None,
        }
    }

    /// Takes the attempt over for a final write (waiting for a write in progress).
    async fn take(self) -> Taken {
        match self {
            Open::Pending { row, .. } => Taken::Pending(row),
            Open::Written { id, writing } => {
                drop(writing.lock().await);
                Taken::Written(id)
            }
        }
    }
}

impl std::fmt::Debug for StoreJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreJournal")
            .field("execution_id", &self.execution_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The journal for `execution_id` as claimed with `attempt`.
    pub fn journal(&self, execution_id: Uuid, attempt: i32) -> StoreJournal {
        StoreJournal {
            store: self.clone(),
            execution_id,
            attempt,
            open: Arc::new(Mutex::new(HashMap::new())),
            sweeper: std::sync::OnceLock::new(),
            queued: Mutex::default(),
        }
    }
}

impl StoreJournal {
    fn open(&self) -> std::sync::MutexGuard<'_, OpenRows> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queued(&self) -> std::sync::MutexGuard<'_, Vec<Queued<()>>> {
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn started(
        &self,
        step_id: &str,
        item_index: Option<u32>,
        attempt: u32,
        input: &Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let id = Uuid::now_v7();
        let row = step_run::ActiveModel {
            id: Set(id),
            execution_id: Set(self.execution_id),
            execution_attempt: Set(self.attempt),
            step_id: Set(step_id.to_string()),
            action: Set(None),
            item_index: Set(item_index.map(|i| i as i32)),
            attempt: Set(attempt as i32),
            status: Set(StepStatus::Running),
            is_final: Set(false),
            input: Set(Some(JsonText(input.clone()))),
            output: Set(None),
            error: Set(None),
            error_details: Set(None),
            port: Set(None),
            response: Set(None),
            started_at: Set(Some(micros(at))),
            finished_at: Set(None),
            duration_us: Set(None),
        };
        let key: Key = (step_id.to_string(), item_index, attempt);
        self.open().insert(
            key,
            Open::Pending {
                row: Box::new(row),
                since: tokio::time::Instant::now(),
            },
        );
        self.sweeper.get_or_init(|| {
            tokio::spawn(sweep(self.store.clone(), Arc::downgrade(&self.open))).abort_handle()
        });
        self.store.publish(|| ExecutionEvent {
            execution_id: self.execution_id,
            kind: ExecutionEventKind::StepStarted {
                step_id: step_id.to_string(),
                item_index,
                attempt,
                input: input.clone(),
                at,
            },
        });
        Ok(())
    }

    async fn retrying(
        &self,
        step_id: &str,
        item_index: Option<u32>,
        attempt: u32,
        error: &str,
        delay_ms: u64,
    ) -> Result<()> {
        let open = self
            .open()
            .remove(&(step_id.to_string(), item_index, attempt));
        let taken = Open::take_any(open).await;
        let at = now();
        let message = error.to_string();
        let execution_id = self.execution_id;
        let execution_attempt = self.attempt;
        let step = step_id.to_string();
        self.store
            .write_detached("journal retrying", false, move |txn| {
                Box::pin(async move {
                    let status = StepStatus::Retrying;
                    match taken {
                        Some(Taken::Pending(row)) => {
                            let mut row = *row;
                            row.status = Set(status);
                            row.error = Set(Some(message));
                            row.finished_at = Set(Some(at));
                            step_run::Entity::insert(row)
                                .exec_without_returning(txn)
                                .await?;
                        }
                        Some(Taken::Written(id)) => {
                            step_run::Entity::update_many()
                                .col_expr(step_run::Column::Status, Expr::value(status))
                                .col_expr(step_run::Column::Error, Expr::value(message))
                                .col_expr(step_run::Column::FinishedAt, Expr::value(at))
                                .filter(step_run::Column::ExecutionId.eq(execution_id))
                                .filter(step_run::Column::Id.eq(id))
                                .exec(txn)
                                .await?;
                        }
                        None => {
                            step_run::Entity::insert(step_run::ActiveModel {
                                id: Set(Uuid::now_v7()),
                                execution_id: Set(execution_id),
                                execution_attempt: Set(execution_attempt),
                                step_id: Set(step),
                                action: Set(None),
                                item_index: Set(item_index.map(|i| i as i32)),
                                attempt: Set(attempt as i32),
                                status: Set(status),
                                is_final: Set(false),
                                input: Set(None),
                                output: Set(None),
                                error: Set(Some(message)),
                                error_details: Set(None),
                                port: Set(None),
                                response: Set(None),
                                started_at: Set(None),
                                finished_at: Set(Some(at)),
                                duration_us: Set(None),
                            })
                            .exec_without_returning(txn)
                            .await?;
                        }
                    }
                    Ok(())
                })
            })
            .await?;
        self.store.publish(|| ExecutionEvent {
            execution_id: self.execution_id,
            kind: ExecutionEventKind::StepRetrying {
                step_id: step_id.to_string(),
                item_index,
                attempt,
                error: error.to_string(),
                delay_ms,
            },
        });
        Ok(())
    }

    /// `wait`: return once committed; else once queued on SQLite (see
    /// [`engine::Journal::queue_finished`]), the write kept for [`StoreJournal::settle`].
    async fn finished(&self, result: &StepResult, wait: bool) -> Result<()> {
        // A `respond` step's answer goes to the waiting caller once it is durable.
        let answer = result
            .response
            .as_ref()
            .filter(|_| result.status == StepStatus::Succeeded)
            .filter(|_| self.store.waiters().waits_for(self.execution_id))
            .map(|response| {
                Arc::new(crate::Outcome {
                    id: self.execution_id,
                    status: ExecutionStatus::Running,
                    early: true,
                    response: Some(response.clone()),
                    output: None,
                    error: None,
                })
            });
        // The row of the last attempt becomes the final row; other open rows of the step
        // (for_each items, a cancelled attempt) are closed with the step's status.
        let (own, others) = {
            let mut open = self.open();
            let own = open.remove(&(result.step_id.clone(), None, result.attempts));
            let keys: Vec<Key> = open
                .keys()
                .filter(|(step, _, _)| *step == result.step_id)
                .cloned()
                .collect();
            let others: Vec<Open> = keys.iter().filter_map(|k| open.remove(k)).collect();
            (own, others)
        };
        // The row to update (written), or none: the final row is inserted, a short attempt's
        // with the id it started with (rows stay in start order).
        let (id, written) = match Open::take_any(own).await {
            Some(Taken::Written(id)) => (id, true),
            Some(Taken::Pending(row)) => (row.id.clone().unwrap(), false),
            None => (Uuid::now_v7(), false),
        };
        let mut written_others = Vec::new();
        let mut pending_others = Vec::new();
        for o in others {
            match o.take().await {
                Taken::Written(id) => written_others.push(id),
                Taken::Pending(row) => pending_others.push(*row),
            }
        }
        let status = result.status;
        let values = final_values(id, self.execution_id, self.attempt, result)?;
        let execution_id = self.execution_id;
        let attempt = self.attempt;
        let closed_at = result.finished_at.map(micros).unwrap_or_else(now);
        let closed_status = status;
        // Items whose rows were never written get them now, closed.
        let pending_others: Vec<step_run::ActiveModel> = pending_others
            .into_iter()
            .map(|mut r| {
                r.status = Set(closed_status);
                r.finished_at = Set(Some(closed_at));
                r
            })
            .collect();
        // The common case is one statement, prepared here (off the writer's thread) from SQL
        // built once: the fenced UPDATE of a written row, or the fenced INSERT … SELECT …
        // WHERE EXISTS of a new one. Several rows (items to close) take a transaction.
        let savepoint = !written_others.is_empty() || !pending_others.is_empty();
        let backend = self.store.db_backend();
        let (first, fallback) = if written {
            // Update the written row; insert it if it is missing (its detached write failed).
            (
                fenced_update(backend, values.clone(), id, execution_id, attempt),
                Some(fenced_insert(backend, values, execution_id, attempt)),
            )
        } else {
            (fenced_insert(backend, values, execution_id, attempt), None)
        };
        let fenced = self.store.inner.fenced.clone();
        let write: WriteFn<()> = Box::new(move |txn| {
            Box::pin(async move {
                let mut written = txn.execute(first).await?.rows_affected();
                if written == 0
                    && let Some(insert) = fallback
                {
                    written = txn.execute(insert).await?.rows_affected();
                }
                if written == 0 {
                    // Fenced out: counted, and said why (claimed again, or gone).
                    fenced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    ensure_attempt(txn, execution_id, attempt).await?;
                    return Err(Error::conflict(format!(
                        "the step run of execution {execution_id} could not be recorded"
                    )));
                }
                if !pending_others.is_empty() {
                    step_run::Entity::insert_many(pending_others)
                        .exec_without_returning(txn)
                        .await?;
                }
                if !written_others.is_empty() {
                    step_run::Entity::update_many()
                        .col_expr(step_run::Column::Status, Expr::value(closed_status))
                        .col_expr(step_run::Column::FinishedAt, Expr::value(closed_at))
                        .filter(step_run::Column::ExecutionId.eq(execution_id))
                        .filter(step_run::Column::Id.is_in(written_others))
                        .filter(step_run::Column::Status.eq(StepStatus::Running))
                        .exec(txn)
                        .await?;
                }
                Ok(())
            })
        });
        let queued = self
            .store
            .write_queued("journal finished", savepoint, write)
            .await;
        match (queued, answer) {
            // The run goes on at once; the caller is answered when the write commits (the
            // settle still sees the write's result).
            (Queued::Pending(rx), Some(answer)) if !wait => {
                let (tx, forwarded) = tokio::sync::oneshot::channel();
                let store = self.store.clone();
                let id = self.execution_id;
                tokio::spawn(async move {
                    let result = rx.await.unwrap_or(Err(Error::Closed));
                    if result.is_ok() {
                        store.tell_waiters(id, Some(answer));
                    }
                    let _ = tx.send(result);
                });
                self.queued().push(Queued::Pending(forwarded));
            }
            (queued @ Queued::Pending(_), None) if !wait => self.queued().push(queued),
            (queued, answer) => {
                queued.wait().await?;
                if let Some(answer) = answer {
                    self.store.tell_waiters(self.execution_id, Some(answer));
                }
            }
        }
        self.store.publish(|| ExecutionEvent {
            execution_id: self.execution_id,
            kind: ExecutionEventKind::StepFinished {
                result: Box::new(result.clone()),
            },
        });
        Ok(())
    }
}

/// The sweeper of a journal: every half [`STARTED_DELAY`], writes the `running` rows of the
/// attempts pending for longer than the delay (not finished nor retried yet). Ends with the
/// journal.
async fn sweep(store: Store, open: std::sync::Weak<Mutex<OpenRows>>) {
    let backend = store.db_backend();
    loop {
        tokio::time::sleep(STARTED_DELAY / 2).await;
        let Some(open) = open.upgrade() else {
            return;
        };
        // Take the old pending rows over (their later writes wait for these inserts).
        let due: Vec<_> = {
            let mut map = open.lock().unwrap_or_else(|e| e.into_inner());
            map.values_mut()
                .filter_map(|entry| match entry {
                    Open::Pending { row, since } if since.elapsed() >= STARTED_DELAY => {
                        let row = std::mem::take(row.as_mut());
                        let writing = Arc::new(tokio::sync::Mutex::new(()));
                        let guard = writing
                            .clone()
                            .try_lock_owned()
                            .expect("a new lock is free");
                        *entry = Open::Written {
                            id: row.id.clone().unwrap(),
                            writing,
                        };
                        Some((row, guard))
                    }
                    _ => None,
                })
                .collect()
        };
        drop(open);
        for (row, _guard) in due {
            if let Err(e) = store
                .insert("journal started", Row::step_run(backend, row), false)
                .await
            {
                tracing::warn!(error = %e, "recording a running step failed");
            }
        }
    }
}

/// The columns of a final step run, in the order of [`final_values`].
const FINAL_COLUMNS: [step_run::Column; 18] = [
    step_run::Column::Id,
    step_run::Column::ExecutionId,
    step_run::Column::ExecutionAttempt,
    step_run::Column::StepId,
    step_run::Column::Action,
    step_run::Column::ItemIndex,
    step_run::Column::Attempt,
    step_run::Column::Status,
    step_run::Column::IsFinal,
    step_run::Column::Input,
    step_run::Column::Output,
    step_run::Column::Error,
    step_run::Column::ErrorDetails,
    step_run::Column::Port,
    step_run::Column::Response,
    step_run::Column::StartedAt,
    step_run::Column::FinishedAt,
    step_run::Column::DurationUs,
];

/// The values of a step's final row, JSON serialized straight from the result (no copies of
/// the values).
fn final_values(
    id: Uuid,
    execution_id: Uuid,
    execution_attempt: i32,
    r: &StepResult,
) -> Result<Vec<DbValue>> {
    let time =
        |t: Option<DateTime<Utc>>| DbValue::ChronoDateTimeUtc(t.map(|t| Box::new(micros(t))));
    Ok(vec![
        DbValue::Uuid(Some(Box::new(id))),
        DbValue::Uuid(Some(Box::new(execution_id))),
        DbValue::Int(Some(execution_attempt)),
        DbValue::String(Some(Box::new(r.step_id.clone()))),
        DbValue::String(Some(Box::new(r.action.clone()))),
        DbValue::Int(None),
        DbValue::Int(Some(r.attempts as i32)),
        DbValue::String(Some(Box::new(r.status.as_str().to_string()))),
        DbValue::Bool(Some(true)),
        json_text(r.input.as_ref())?,
        json_text(r.output.as_ref())?,
        DbValue::String(r.error.clone().map(Box::new)),
        json_text(r.error_details.as_ref())?,
        DbValue::String(r.port.clone().map(Box::new)),
        json_text(r.response.as_ref())?,
        time(r.started_at),
        time(r.finished_at),
        DbValue::BigInt(Some(r.duration_us.min(i64::MAX as u64) as i64)),
    ])
}

/// `INSERT INTO step_runs (…) SELECT <values> WHERE EXISTS (<holds>)`: the row is inserted
/// only while the execution is held by `attempt`, in one statement.
fn fenced_insert(
    backend: DbBackend,
    values: Vec<DbValue>,
    execution_id: Uuid,
    attempt: i32,
) -> sea_orm::Statement {
    static SQL: SqlCache = SqlCache::new();
    let mut all = values;
    all.push(DbValue::Uuid(Some(Box::new(execution_id))));
    all.push(DbValue::Int(Some(attempt)));
    let sql = cached_sql(&SQL, backend, || {
        let mut select = Query::select();
        for v in &all[..FINAL_COLUMNS.len()] {
            select.expr(Expr::val(v.clone()));
        }
        select.and_where(Expr::exists(holds(execution_id, attempt)));
        let mut insert = Query::insert();
        insert
            .into_table(step_run::Entity)
            .columns(FINAL_COLUMNS)
            .select_from(select)
            .expect("the select has a value per column");
        backend.build(&insert)
    });
    sea_orm::Statement::from_sql_and_values(backend, sql, all)
}

/// `UPDATE step_runs SET <columns> = <values> WHERE execution_id = … AND id = … AND EXISTS
/// (<holds>)`.
fn fenced_update(
    backend: DbBackend,
    values: Vec<DbValue>,
    id: Uuid,
    execution_id: Uuid,
    attempt: i32,
) -> sea_orm::Statement {
    static SQL: SqlCache = SqlCache::new();
    let mut all = values;
    all.push(DbValue::Uuid(Some(Box::new(execution_id))));
    all.push(DbValue::Uuid(Some(Box::new(id))));
    all.push(DbValue::Uuid(Some(Box::new(execution_id))));
    all.push(DbValue::Int(Some(attempt)));
    let sql = cached_sql(&SQL, backend, || {
        let mut update = step_run::Entity::update_many();
        for (c, v) in FINAL_COLUMNS.iter().zip(&all) {
            update = update.col_expr(*c, Expr::value(v.clone()));
        }
        update
            .filter(step_run::Column::ExecutionId.eq(execution_id))
            .filter(step_run::Column::Id.eq(id))
            .filter(Expr::exists(holds(execution_id, attempt)))
            .build(backend)
    });
    sea_orm::Statement::from_sql_and_values(backend, sql, all)
}

/// `SELECT 1 FROM executions WHERE id = … AND attempt = … FOR SHARE`: the execution is still
/// held by `attempt`. On PostgreSQL the lock keeps a claim from slipping in before this
/// transaction commits (SQLite has one writer: nothing can slip in).
fn holds(execution_id: Uuid, attempt: i32) -> SelectStatement {
    Query::select()
        .expr(Expr::cust("1"))
        .from(execution::Entity)
        .and_where(Expr::col((execution::Entity, execution::Column::Id)).eq(execution_id))
        .and_where(Expr::col((execution::Entity, execution::Column::Attempt)).eq(attempt))
        .lock_shared()
        .to_owned()
}

/// Fails unless the execution is still held by `attempt` (locking the row on PostgreSQL).
async fn ensure_attempt(txn: &Tx<'_>, execution_id: Uuid, attempt: i32) -> Result<()> {
    let found = execution::Entity::find_by_id(execution_id)
        .select_only()
        .column(execution::Column::Attempt)
        .lock_shared()
        .into_tuple::<i32>()
        .one(txn)
        .await?;
    match found {
        Some(a) if a == attempt => Ok(()),
        Some(a) => Err(Error::conflict(format!(
            "execution {execution_id} was claimed again (attempt {a}); attempt {attempt} lost its lease"
        ))),
        None => Err(Error::not_found("execution", execution_id)),
    }
}

#[async_trait]
impl engine::Journal for StoreJournal {
    async fn record(&self, _execution_id: Uuid, event: StepEvent<'_>) -> Result<(), JournalError> {
        let r = match event {
            StepEvent::Started {
                step_id,
                item_index,
                attempt,
                input,
                at,
            } => {
                self.started(step_id, item_index.map(|i| i as u32), attempt, input, at)
                    .await
            }
            StepEvent::Retrying {
                step_id,
                item_index,
                attempt,
                error,
                delay_ms,
            } => {
                self.retrying(
                    step_id,
                    item_index.map(|i| i as u32),
                    attempt,
                    error,
                    delay_ms,
                )
                .await
            }
            StepEvent::Finished(result) => self.finished(result, true).await,
        };
        r.map_err(journal_error)
    }

    async fn queue_finished(
        &self,
        _execution_id: Uuid,
        result: &StepResult,
    ) -> Result<(), JournalError> {
        self.finished(result, false).await.map_err(journal_error)
    }

    async fn settle(&self, _execution_id: Uuid) -> Result<(), JournalError> {
        // The rest of a failed settle is dropped unawaited: the writer logs its failures.
        let queued = std::mem::take(&mut *self.queued());
        for q in queued {
            q.wait().await.map_err(journal_error)?;
        }
        Ok(())
    }
}

/// A store error as the engine sees it, keeping its class: a transient one (busy, lost
/// connection, failed group commit) or a closing store (a restart) interrupts the execution,
/// which is handed back and resumes; anything else fails it.
fn journal_error(e: crate::Error) -> JournalError {
    if e.is_transient() || matches!(e, crate::Error::Closed) {
        JournalError::transient(e.to_string())
    } else {
        JournalError::permanent(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(sql: &str, backend: DbBackend) -> usize {
        match backend {
            DbBackend::Postgres => (1..200)
                .take_while(|n| sql.contains(&format!("${n}")))
                .count(),
            _ => sql.matches('?').count(),
        }
    }

    #[test]
    fn fenced_statements_bind_every_placeholder() {
        let mut r = StepResult::new("a", "http", engine::journal::StepStatus::Succeeded);
        r.output = Some(serde_json::json!({ "q": "?", "d": "$1" }));
        let (id, exec) = (Uuid::now_v7(), Uuid::now_v7());
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let values = final_values(id, exec, 3, &r).unwrap();
            assert_eq!(values.len(), FINAL_COLUMNS.len());
            for st in [
                fenced_insert(backend, values.clone(), exec, 3),
                fenced_update(backend, values.clone(), id, exec, 3),
            ] {
                let n = st.values.as_ref().map_or(0, |v| v.0.len());
                assert_eq!(placeholders(&st.sql, backend), n, "{}", st.sql);
            }
        }
    }
}

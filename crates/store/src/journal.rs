//! The engine's journal on the store, and the in-process event stream.
//!
//! Per step event:
//! - `Started` inserts a `running` step run (one per attempt, per item for `for_each`).
//! - `Retrying` marks that row `retrying` with the error.
//! - `Finished` writes the step's final result (`is_final`): it turns the row of the last
//!   attempt into the final row, or inserts one (skipped and cancelled steps, `for_each`
//!   steps), and closes the step's other open rows (the items) with the step's status.
//!
//! `Finished` is committed before `record` returns and is fenced: if the execution was
//! claimed again since this journal's attempt (its lease expired), nothing is written and the
//! engine gets an error, which ends the stale run. `Started` and `Retrying` rows only
//! document progress (resume never reads them), so on SQLite they are handed to the writer
//! without waiting for the commit; they still commit in order, before the step's `Finished`.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::journal::{JournalError, StepEvent, StepResult};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::entity::{JsonText, execution, step_run};
use crate::error::{Error, Result};
use crate::executions::to_json;
use crate::records::{ExecutionStatus, StepRunStatus};
use crate::writer::{Row, Tx};
use crate::{Store, micros, now};

/// Something that happened to an execution in this process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionEvent {
    pub execution_id: Uuid,
    #[serde(flatten)]
    pub kind: ExecutionEventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecutionEventKind {
    /// An attempt of a step started (per item for `for_each`).
    StepStarted {
        step_id: String,
        item_index: Option<u32>,
        attempt: u32,
        input: Value,
        at: DateTime<Utc>,
    },
    /// An attempt failed; another follows after `delay_ms`.
    StepRetrying {
        step_id: String,
        item_index: Option<u32>,
        attempt: u32,
        error: String,
        delay_ms: u64,
    },
    /// A step's final result was recorded.
    StepFinished { result: Box<StepResult> },
    /// A cancel was requested while the execution runs.
    CancelRequested,
    /// The execution finished (its result is stored).
    Finished { status: ExecutionStatus },
}

/// Open rows: (step id, item index, attempt) → step run id.
type OpenRows = HashMap<(String, Option<u32>, u32), Uuid>;

/// The [`engine::Journal`] of one attempt of one execution. See the module docs.
pub struct StoreJournal {
    store: Store,
    execution_id: Uuid,
    attempt: i32,
    open: Mutex<OpenRows>,
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
            open: Mutex::new(HashMap::new()),
        }
    }
}

impl StoreJournal {
    fn open(&self) -> std::sync::MutexGuard<'_, OpenRows> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
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
        self.open()
            .insert((step_id.to_string(), item_index, attempt), id);
        let row = step_run::ActiveModel {
            id: Set(id),
            execution_id: Set(self.execution_id),
            execution_attempt: Set(self.attempt),
            step_id: Set(step_id.to_string()),
            action: Set(None),
            item_index: Set(item_index.map(|i| i as i32)),
            attempt: Set(attempt as i32),
            status: Set(StepRunStatus::Running.as_str().to_string()),
            is_final: Set(false),
            input: Set(Some(JsonText(input.clone()))),
            output: Set(None),
            error: Set(None),
            port: Set(None),
            response: Set(None),
            started_at: Set(Some(micros(at))),
            finished_at: Set(None),
            duration_us: Set(None),
        };
        self.store
            .insert("journal started", Row::StepRun(row), false)
            .await?;
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
        let id = self
            .open()
            .remove(&(step_id.to_string(), item_index, attempt));
        let at = now();
        let message = error.to_string();
        let execution_id = self.execution_id;
        let execution_attempt = self.attempt;
        let step = step_id.to_string();
        self.store
            .write_detached("journal retrying", false, move |txn| {
                Box::pin(async move {
                    let status = StepRunStatus::Retrying.as_str().to_string();
                    match id {
                        Some(id) => {
                            step_run::Entity::update_many()
                                .col_expr(step_run::Column::Status, Expr::value(status))
                                .col_expr(step_run::Column::Error, Expr::value(message))
                                .col_expr(step_run::Column::FinishedAt, Expr::value(at))
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

    async fn finished(&self, result: &StepResult) -> Result<()> {
        // The row of the last attempt becomes the final row; other open rows of the step
        // (for_each items, a cancelled attempt) are closed with the step's status.
        let (own, others) = {
            let mut open = self.open();
            let own = open.remove(&(result.step_id.clone(), None, result.attempts));
            let others: Vec<Uuid> = open
                .iter()
                .filter(|((step, _, _), _)| *step == result.step_id)
                .map(|(_, id)| *id)
                .collect();
            open.retain(|(step, _, _), _| *step != result.step_id);
            (own, others)
        };
        let status = StepRunStatus::from(result.status);
        let row = step_run::Model {
            id: own.unwrap_or_else(Uuid::now_v7),
            execution_id: self.execution_id,
            execution_attempt: self.attempt,
            step_id: result.step_id.clone(),
            action: Some(result.action.clone()),
            item_index: None,
            attempt: result.attempts as i32,
            status: status.as_str().to_string(),
            is_final: true,
            input: result.input.clone().map(JsonText),
            output: result.output.clone().map(JsonText),
            error: result.error.clone(),
            port: result.port.clone(),
            response: result
                .response
                .as_ref()
                .map(to_json)
                .transpose()?
                .map(JsonText),
            started_at: result.started_at.map(micros),
            finished_at: result.finished_at.map(micros),
            duration_us: Some(result.duration_us.min(i64::MAX as u64) as i64),
        };
        let execution_id = self.execution_id;
        let attempt = self.attempt;
        let closed_at = result.finished_at.map(micros).unwrap_or_else(now);
        // The common case (the last attempt's row exists, no items) is one fenced UPDATE: no
        // savepoint in a group commit, autocommit on PostgreSQL. Inserting (the fence is then
        // checked first) and closing items take a transaction.
        let savepoint = own.is_none() || !others.is_empty();
        self.store
            .write("journal finished", savepoint, move |txn| {
                Box::pin(async move {
                    let am = step_run::ActiveModel::from(row).reset_all();
                    let updated = match own {
                        Some(id) => {
                            step_run::Entity::update_many()
                                .set(am.clone())
                                .filter(step_run::Column::Id.eq(id))
                                .filter(Expr::exists(holds(execution_id, attempt)))
                                .exec(txn)
                                .await?
                                .rows_affected
                        }
                        None => 0,
                    };
                    if updated == 0 {
                        ensure_attempt(txn, execution_id, attempt).await?;
                        step_run::Entity::insert(am)
                            .exec_without_returning(txn)
                            .await?;
                    }
                    if !others.is_empty() {
                        step_run::Entity::update_many()
                            .col_expr(step_run::Column::Status, Expr::value(status.as_str()))
                            .col_expr(step_run::Column::FinishedAt, Expr::value(closed_at))
                            .filter(step_run::Column::Id.is_in(others))
                            .filter(step_run::Column::Status.eq(StepRunStatus::Running.as_str()))
                            .exec(txn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await?;
        self.store.publish(|| ExecutionEvent {
            execution_id: self.execution_id,
            kind: ExecutionEventKind::StepFinished {
                result: Box::new(result.clone()),
            },
        });
        Ok(())
    }
}

/// `SELECT 1 FROM executions WHERE id = … AND attempt = … FOR SHARE`: the execution is still
/// held by `attempt`. On PostgreSQL the lock keeps a claim from slipping in before this
/// transaction commits (SQLite has one writer: nothing can slip in).
fn holds(execution_id: Uuid, attempt: i32) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
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
            StepEvent::Finished(result) => self.finished(result).await,
        };
        r.map_err(|e| JournalError(e.to_string()))
    }
}

//! What the executor reports while it runs, and the record of an execution.
//!
//! The executor hands every step event to a [`Journal`] as it happens, and waits for the
//! journal to accept a step's result before any step that depends on it starts. The store
//! persists these events; on resume it hands back the [`StepResult`]s it has, and the
//! executor does not run those steps again.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::action::Response;

/// Where a step (or one attempt of it, a row of the journal) is: the one step status of the
/// engine, the store, the API and the editor. A step's final result is `succeeded`, `failed`,
/// `skipped` or `cancelled`; an attempt in progress is `running`, or `retrying` when it failed
/// and another follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")
)]
pub enum StepStatus {
    /// An attempt is in progress.
    Running,
    /// This attempt failed and another one follows.
    Retrying,
    Succeeded,
    /// The step failed; with `continue_on_error` its output is `{error}` and the run went on.
    Failed,
    /// A branch not taken, or every input skipped.
    Skipped,
    /// Stopped (or never started) because the execution failed, timed out or was cancelled.
    Cancelled,
    /// A `wait` step holding its execution until a timer or a request resumes it.
    Waiting,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Running => "running",
            StepStatus::Retrying => "retrying",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Cancelled => "cancelled",
            StepStatus::Waiting => "waiting",
        }
    }

    /// A status a step's final result can have (not one of an attempt in progress).
    pub fn is_final(self) -> bool {
        !matches!(self, StepStatus::Running | StepStatus::Retrying)
    }
}

impl std::str::FromStr for StepStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "running" => StepStatus::Running,
            "retrying" => StepStatus::Retrying,
            "succeeded" => StepStatus::Succeeded,
            "failed" => StepStatus::Failed,
            "skipped" => StepStatus::Skipped,
            "cancelled" => StepStatus::Cancelled,
            "waiting" => StepStatus::Waiting,
            other => return Err(format!("unknown step status `{other}`")),
        })
    }
}

/// Where an execution is in its life: the one status of an execution for the engine (which
/// ends one as `succeeded`, `failed` or `cancelled`), the store (which also has it `queued` and
/// `running`), the API and the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")
)]
pub enum ExecutionStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// A `wait` step holds it: no worker runs it until its timer or a request resumes it.
    Waiting,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Queued => "queued",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Succeeded => "succeeded",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Cancelled => "cancelled",
            ExecutionStatus::Waiting => "waiting",
        }
    }

    /// Succeeded, failed or cancelled: nothing will change it any more.
    pub fn is_finished(self) -> bool {
        !matches!(
            self,
            ExecutionStatus::Queued | ExecutionStatus::Running | ExecutionStatus::Waiting
        )
    }
}

impl std::str::FromStr for ExecutionStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "queued" => ExecutionStatus::Queued,
            "running" => ExecutionStatus::Running,
            "succeeded" => ExecutionStatus::Succeeded,
            "failed" => ExecutionStatus::Failed,
            "cancelled" => ExecutionStatus::Cancelled,
            "waiting" => ExecutionStatus::Waiting,
            other => {
                return Err(format!(
                    "unknown execution status `{other}` (queued, running, waiting, succeeded, failed, cancelled)"
                ));
            }
        })
    }
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepResult {
    pub step_id: String,
    pub action: String,
    pub status: StepStatus,
    /// Attempts made (for `for_each`, the most any item needed); 0 if it never ran.
    pub attempts: u32,
    /// The rendered config (credentials are referenced by name, never inlined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the action recorded with its failure (`ActionError::details`), e.g. the `status`,
    /// `headers` and `body` of the answer an `http` step was refused with: bounded by the
    /// action's own size caps, echoed credential secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<Value>,
    /// The output port taken, for branching actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// What a `respond` step sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Wall time in microseconds.
    #[serde(default)]
    pub duration_us: u64,
}

impl StepResult {
    /// A result with no attempts, input, output or timings yet.
    pub fn new(step_id: &str, action: &str, status: StepStatus) -> Self {
        StepResult {
            step_id: step_id.to_string(),
            action: action.to_string(),
            status,
            attempts: 0,
            input: None,
            output: None,
            error: None,
            error_details: None,
            port: None,
            response: None,
            started_at: None,
            finished_at: None,
            duration_us: 0,
        }
    }

    /// Whether a later run of the same execution (a resume after a crash or a hand-back, or a
    /// retry from the failed step) takes this result as it is instead of running the step
    /// again: it succeeded, was skipped, or failed into an output (`continue_on_error`). The one
    /// rule for the engine's resume and the store's copy of a retried execution's steps.
    pub fn adoptable(&self) -> bool {
        self.status == StepStatus::Skipped || self.ran()
    }

    /// Whether the step ran and its successors may use its output.
    pub fn ran(&self) -> bool {
        match self.status {
            StepStatus::Succeeded => true,
            StepStatus::Failed => self.output.is_some(),
            StepStatus::Skipped
            | StepStatus::Cancelled
            | StepStatus::Running
            | StepStatus::Retrying
            | StepStatus::Waiting => false,
        }
    }
}

/// The failure that ended an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExecutionError {
    /// The failing step, if a step failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    pub message: String,
}

/// The outcome of an execution, per step in document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionResult {
    pub execution_id: Uuid,
    pub status: ExecutionStatus,
    pub steps: Vec<StepResult>,
    /// Set by the first `respond` step that ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// The output of the last step (in document order) that ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ExecutionError>,
    /// The execution stopped because the journal failed with a transient error: nothing ran
    /// after the event it could not record. Its runner should hand it back to be run again
    /// (resuming from what was recorded) rather than record this result as a failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// For a `waiting` execution: the steps that wait, and for what.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<Wait>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// A step that holds its execution (see [`crate::action::Suspend`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    pub step_id: String,
    pub suspend: crate::action::Suspend,
}

impl ExecutionResult {
    /// An execution that failed without running a step (it could not start, it panicked, it
    /// was claimed too often), started at `started_at` and finished now.
    pub fn failed(execution_id: Uuid, message: String, started_at: DateTime<Utc>) -> Self {
        ExecutionResult {
            execution_id,
            status: ExecutionStatus::Failed,
            steps: Vec::new(),
            response: None,
            output: None,
            error: Some(ExecutionError {
                step_id: None,
                message,
            }),
            interrupted: false,
            waits: Vec::new(),
            started_at,
            finished_at: Utc::now(),
        }
    }

    pub fn step(&self, id: &str) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.step_id == id)
    }
}

/// A step event, in the order they happen.
#[derive(Debug, Clone, Copy)]
pub enum StepEvent<'a> {
    /// An attempt starts (for `for_each`, once per item and attempt).
    Started {
        step_id: &'a str,
        item_index: Option<usize>,
        attempt: u32,
        input: &'a Value,
        at: DateTime<Utc>,
    },
    /// An attempt failed and another one follows after `delay_ms`.
    Retrying {
        step_id: &'a str,
        item_index: Option<usize>,
        attempt: u32,
        error: &'a str,
        delay_ms: u64,
    },
    /// The step is done. Successors start only after this was accepted; one with effects
    /// outside Weft only after it is durable (see [`Journal::settle`]).
    Finished(&'a StepResult),
}

/// The journal could not record an event. `retryable` keeps the class of the cause: a
/// transient store error (SQLite busy, a PostgreSQL serialization failure or lost
/// connection, a group commit that failed) may pass if the execution runs again from what was
/// recorded; a permanent one (unreadable data, a closed store) will not.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("the journal could not record the step: {message}")]
pub struct JournalError {
    pub message: String,
    pub retryable: bool,
}

impl JournalError {
    /// A failure that may pass on another run of the execution.
    pub fn transient(message: impl Into<String>) -> Self {
        JournalError {
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure that another run will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        JournalError {
            message: message.into(),
            retryable: false,
        }
    }
}

/// Receives step events. `record` must return only once the event is stored as durably as the
/// journal promises; an error ends the execution (nothing unrecorded may run on).
#[async_trait]
pub trait Journal: Send + Sync {
    async fn record(&self, execution_id: Uuid, event: StepEvent<'_>) -> Result<(), JournalError>;

    /// Records a step's final result (`Finished`) where the journal keeps its writes in
    /// order: it may return once the write is queued, before it is durable, provided it is
    /// durable no later than anything written after it (the store's writer commits in
    /// order). [`Journal::settle`] waits for it. By default the same as `record`.
    async fn queue_finished(
        &self,
        execution_id: Uuid,
        result: &StepResult,
    ) -> Result<(), JournalError> {
        self.record(execution_id, StepEvent::Finished(result)).await
    }

    /// Returns once every result queued by [`Journal::queue_finished`] is durable, or with
    /// the error of one that could not be recorded. The engine calls it before a step with
    /// effects outside Weft starts. By default there is nothing to wait for.
    async fn settle(&self, _execution_id: Uuid) -> Result<(), JournalError> {
        Ok(())
    }
}

/// A journal that keeps nothing (the CLI's `weft run` and benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJournal;

#[async_trait]
impl Journal for NoJournal {
    async fn record(&self, _: Uuid, _: StepEvent<'_>) -> Result<(), JournalError> {
        Ok(())
    }
}

/// The trigger event as templates see it under `trigger`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct TriggerEvent {
    /// `webhook`, `schedule` or `manual`.
    pub kind: String,
    pub method: String,
    pub path: String,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub body: Value,
    /// For a child execution (`action: workflow`): the execution and step that started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    /// For a test run from the editor: pinned step outputs, or the one step to run. Only the
    /// API's test run sets it (never a webhook, a schedule or a plain run); templates do not
    /// see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<TestData>,
}

/// What a test run uses instead of calling out: see [`TriggerEvent::test`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct TestData {
    /// Outputs that stand for these steps (by step id): a pinned step is not run, its result
    /// is `succeeded` with this output and `{"pinned": true}` as its input.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub pins: BTreeMap<String, Value>,
    /// Run only this step: every other one is pinned or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
}

/// The execution and step that started a child execution; templates read it as
/// `trigger.parent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParentRef {
    pub execution_id: Uuid,
    pub workflow: String,
    pub step_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_index: Option<usize>,
    /// 1 for a child of an execution that has no parent, 2 for its child, …
    pub depth: u32,
}

impl TriggerEvent {
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`TriggerEvent::to_value`] without copying the body.
    pub fn into_value(self) -> Value {
        let mut m = serde_json::Map::with_capacity(7);
        m.insert("kind".into(), Value::String(self.kind));
        m.insert("method".into(), Value::String(self.method));
        m.insert("path".into(), Value::String(self.path));
        let strings = |map: BTreeMap<String, String>| {
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )
        };
        m.insert("headers".into(), strings(self.headers));
        m.insert("query".into(), strings(self.query));
        m.insert("body".into(), self.body);
        if let Some(parent) = self.parent {
            m.insert(
                "parent".into(),
                serde_json::to_value(parent).unwrap_or(Value::Null),
            );
        }
        Value::Object(m)
    }
}

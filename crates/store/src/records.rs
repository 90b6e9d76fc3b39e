//! The store's public records, converted from the entities at this boundary.

use chrono::{DateTime, Utc};
use engine::Response;
use engine::journal::{ExecutionError, StepResult, StepStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::entity::{JsonText, execution, step_run, workflow, workflow_version};
use crate::error::{Error, Result};

/// How a workflow document was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Yaml,
    Json,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Yaml => "yaml",
            SourceFormat::Json => "json",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<SourceFormat> {
        match s {
            "yaml" => Ok(SourceFormat::Yaml),
            "json" => Ok(SourceFormat::Json),
            other => Err(Error::corrupt(format!("unknown source format `{other}`"))),
        }
    }
}

/// A workflow document: the text exactly as the user sent it, and what it parses to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDoc {
    pub source: String,
    pub format: SourceFormat,
    pub workflow: engine::Workflow,
}

impl WorkflowDoc {
    /// The path below `/hooks/` the trigger listens at, if its kind listens at one (the
    /// `webhook_path` column, one active workflow per path).
    pub fn webhook_path(&self) -> Option<&str> {
        triggers::kinds().webhook_path(&self.workflow.trigger)
    }
}

/// A workflow with its current version's document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    /// The current version.
    pub version: i32,
    pub webhook_path: Option<String>,
    /// `webhook`, `schedule` or `manual`.
    pub trigger_kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub doc: WorkflowDoc,
}

impl WorkflowRecord {
    pub(crate) fn from_models(w: workflow::Model, v: workflow_version::Model) -> Result<Self> {
        Ok(WorkflowRecord::with_doc(w, doc_of(v)?))
    }

    pub(crate) fn with_doc(w: workflow::Model, doc: WorkflowDoc) -> Self {
        WorkflowRecord {
            id: w.id,
            name: w.name,
            description: w.description,
            active: w.active,
            version: w.current_version,
            webhook_path: w.webhook_path,
            trigger_kind: w.trigger_kind,
            created_at: w.created_at,
            updated_at: w.updated_at,
            doc,
        }
    }
}

pub(crate) fn doc_of(v: workflow_version::Model) -> Result<WorkflowDoc> {
    let workflow = serde_json::from_value(v.definition.0).map_err(|e| {
        Error::corrupt(format!(
            "workflow {} version {}: the stored definition does not parse: {e}",
            v.workflow_id, v.version
        ))
    })?;
    Ok(WorkflowDoc {
        source: v.source,
        format: SourceFormat::parse(&v.source_format)?,
        workflow,
    })
}

/// A workflow in a list: no document, but its last execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowSummary {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
    pub webhook_path: Option<String>,
    pub trigger_kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_execution: Option<LastExecution>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastExecution {
    pub id: Uuid,
    pub status: ExecutionStatus,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where a webhook goes: the active workflow for a path and the version it runs. Versions
/// never change once written, so whatever a caller derives from `(workflow_id, version)` (a
/// compiled plan) may be cached under that key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Route {
    pub workflow_id: Uuid,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSummary {
    pub version: i32,
    pub format: SourceFormat,
    pub created_at: DateTime<Utc>,
    /// Whether this is the workflow's current version.
    pub current: bool,
    /// What the save changed, in its author's words.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionRecord {
    pub workflow_id: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub message: Option<String>,
    pub doc: WorkflowDoc,
}

pub use engine::journal::ExecutionStatus;

/// A status read back from a row.
pub(crate) fn parse_status(s: &str) -> Result<ExecutionStatus> {
    s.parse()
        .map_err(|_| Error::corrupt(format!("unknown execution status `{s}`")))
}

/// An execution with everything stored about it except its step runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionRecord {
    pub id: Uuid,
    pub workflow_id: Uuid,
    pub version: i32,
    pub status: ExecutionStatus,
    pub trigger_kind: String,
    /// The captured trigger event, as stored.
    pub request: RequestJson,
    pub response: Option<Response>,
    pub output: Option<Value>,
    pub error: Option<ExecutionError>,
    pub idempotency_key: Option<String>,
    pub test: bool,
    /// The fencing counter: how many times it was claimed.
    pub attempt: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
    /// The execution this one retries.
    pub retry_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ExecutionRecord {
    /// The request read as an engine trigger event.
    pub fn trigger_event(&self) -> Result<engine::TriggerEvent> {
        serde_json::from_str(self.request.get()).map_err(|e| {
            Error::corrupt(format!(
                "execution {}: the stored request is not a trigger event: {e}",
                self.id
            ))
        })
    }

    pub(crate) fn from_model(m: execution::Model) -> Result<Self> {
        Ok(ExecutionRecord {
            id: m.id,
            workflow_id: m.workflow_id,
            version: m.version,
            status: m.status,
            trigger_kind: m.trigger_kind,
            request: RequestJson::new(m.request).map_err(|e| {
                Error::corrupt(format!(
                    "execution {}: the stored request is not JSON: {e}",
                    m.id
                ))
            })?,
            response: from_json_opt(m.response, "response")?,
            output: m.output.map(|o| o.0),
            error: from_json_opt(m.error, "error")?,
            idempotency_key: m.idempotency_key,
            test: m.test,
            attempt: m.attempt,
            lease_owner: m.lease_owner,
            lease_expires_at: m.lease_expires_at,
            cancel_requested: m.cancel_requested,
            retry_of: m.retry_of,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
        })
    }
}

/// A stored trigger request: the JSON text of its column (an `engine::TriggerEvent`), checked
/// to be JSON but not parsed. Serializing it writes the text as it is, so that reading an
/// execution with a large body does not build the body's parsed form (several times the size of
/// its text) unless the reader asks for it ([`RequestJson::to_value`],
/// [`ExecutionRecord::trigger_event`]).
#[derive(Debug, Clone)]
pub struct RequestJson(Box<serde_json::value::RawValue>);

impl RequestJson {
    pub(crate) fn new(text: String) -> serde_json::Result<RequestJson> {
        serde_json::value::RawValue::from_string(text).map(RequestJson)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The request parsed.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl Default for RequestJson {
    /// `null`: what a record holds once its request was taken out of it.
    fn default() -> Self {
        RequestJson(serde_json::value::RawValue::NULL.to_owned())
    }
}

impl PartialEq for RequestJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Serialize for RequestJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// An execution in a list: no request, response or output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionSummary {
    pub id: Uuid,
    pub workflow_id: Uuid,
    pub version: i32,
    pub status: ExecutionStatus,
    pub trigger_kind: String,
    pub error: Option<ExecutionError>,
    pub test: bool,
    pub attempt: i32,
    pub retry_of: Option<Uuid>,
    /// The process that runs it or ran it last (`executions.lease_owner`).
    pub process: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<ExecutionRecord> for ExecutionSummary {
    fn from(r: ExecutionRecord) -> Self {
        ExecutionSummary {
            id: r.id,
            workflow_id: r.workflow_id,
            version: r.version,
            status: r.status,
            trigger_kind: r.trigger_kind,
            error: r.error,
            test: r.test,
            attempt: r.attempt,
            retry_of: r.retry_of,
            process: r.lease_owner,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// One row of the journal: an attempt of a step (of one item for `for_each`), or the step's
/// final result (`is_final`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRunRecord {
    pub id: Uuid,
    pub execution_id: Uuid,
    /// The execution's claim attempt that wrote it (0: copied from an earlier execution by a
    /// retry from the failed step).
    pub execution_attempt: i32,
    pub step_id: String,
    pub action: Option<String>,
    pub item_index: Option<u32>,
    pub attempt: u32,
    pub status: StepStatus,
    pub is_final: bool,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    /// What the action recorded with its failure (see `engine::StepResult::error_details`).
    pub error_details: Option<Value>,
    pub port: Option<String>,
    pub response: Option<Response>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_us: Option<u64>,
}

impl StepRunRecord {
    pub(crate) fn from_model(m: step_run::Model) -> Result<Self> {
        Ok(StepRunRecord {
            id: m.id,
            execution_id: m.execution_id,
            execution_attempt: m.execution_attempt,
            step_id: m.step_id,
            action: m.action,
            item_index: m.item_index.map(|i| i.max(0) as u32),
            attempt: m.attempt.max(0) as u32,
            status: m.status,
            is_final: m.is_final,
            input: m.input.map(|i| i.0),
            output: m.output.map(|o| o.0),
            error: m.error,
            error_details: m.error_details.map(|d| d.0),
            port: m.port,
            response: from_json_opt(m.response, "response")?,
            started_at: m.started_at,
            finished_at: m.finished_at,
            duration_us: m.duration_us.map(|d| d.max(0) as u64),
        })
    }

    /// The engine's view of a final row.
    pub fn to_step_result(&self) -> Option<StepResult> {
        if !self.is_final {
            return None;
        }
        Some(StepResult {
            step_id: self.step_id.clone(),
            action: self.action.clone().unwrap_or_default(),
            status: Some(self.status).filter(|s| s.is_final())?,
            attempts: self.attempt,
            input: self.input.clone(),
            output: self.output.clone(),
            error: self.error.clone(),
            error_details: self.error_details.clone(),
            port: self.port.clone(),
            response: self.response.clone(),
            started_at: self.started_at,
            finished_at: self.finished_at,
            duration_us: self.duration_us.unwrap_or(0),
        })
    }
}

fn from_json_opt<T: serde::de::DeserializeOwned>(
    v: Option<JsonText>,
    what: &str,
) -> Result<Option<T>> {
    v.map(|v| v.0)
        .filter(|v| !v.is_null())
        .map(|v| {
            serde_json::from_value(v)
                .map_err(|e| Error::corrupt(format!("the stored {what} does not parse: {e}")))
        })
        .transpose()
}

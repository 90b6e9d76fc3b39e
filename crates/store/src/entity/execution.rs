//! `executions`: one row per run of a workflow; the queued and running rows are the queue.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7 (time-ordered: listing newest first is ordering by id) |
//! | `workflow_id`, `version` | the version it runs (foreign key to `workflow_versions`, cascading) |
//! | `status` | `queued`, `running`, `succeeded`, `failed`, `cancelled` |
//! | `trigger_kind` | `webhook`, `schedule`, `manual`, … |
//! | `request` | the captured trigger event (method, path, headers, query, body) as JSON text, kept as text here: written once by `request_text`, parsed once by a claim |
//! | `response` | what a `respond` step sent (`engine::Response`), or `NULL` |
//! | `output` | the output of the last step that ran |
//! | `error` | `{step_id, message}` when it failed or was cancelled |
//! | `idempotency_key` | unique per workflow while set; cleared when an expired key is reused |
//! | `idempotency_fingerprint` | SHA-256 of the method, path and body of the request that first used the key |
//! | `test` | started from `/hooks-test` or the editor |
//! | `attempt` | fencing counter: incremented by every claim; only the holder of the current attempt may finish it |
//! | `resumes` | how many claims resumed a wait (`action: wait`): the poison guard counts `attempt - resumes` |
//! | `lease_owner`, `lease_expires_at` | the worker running it and until when (renewed by heartbeats); an expired lease is claimed again |
//! | `cancel_requested` | a cancel arrived while it ran; the worker polls it |
//! | `retry_of` | the execution this one retries |
//! | `concurrency_key`, `concurrency_limit` | for a workflow with `concurrency:`: the rendered key (empty without one) and the limit; with the workflow, the group whose running executions the claim counts; `NULL` otherwise |
//! | `created_at`, `started_at`, `finished_at` | UTC; `started_at` is the first claim |

use sea_orm::entity::prelude::*;

use super::JsonText;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "executions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workflow_id: Uuid,
    pub version: i32,
    pub status: engine::ExecutionStatus,
    pub trigger_kind: String,
    #[sea_orm(column_type = "Text")]
    pub request: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub response: Option<JsonText>,
    #[sea_orm(column_type = "Text", nullable)]
    pub output: Option<JsonText>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<JsonText>,
    pub idempotency_key: Option<String>,
    pub test: bool,
    pub idempotency_fingerprint: Option<String>,
    pub attempt: i32,
    pub resumes: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub cancel_requested: bool,
    pub retry_of: Option<Uuid>,
    pub concurrency_key: Option<String>,
    pub concurrency_limit: Option<i32>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::step_run::Entity")]
    StepRuns,
}

impl Related<super::step_run::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StepRuns.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

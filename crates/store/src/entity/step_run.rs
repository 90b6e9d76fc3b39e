//! `step_runs`: the journal. One row per attempt of a step (per item for `for_each`), plus the
//! step's final result.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7 (ordering by id is the order of events) |
//! | `execution_id` | cascading foreign key; the key is `(execution_id, id)`: every read is by execution |
//! | `execution_attempt` | the execution's claim attempt that wrote it (0: copied by a retry) |
//! | `step_id`, `action` | the step; `action` is known for final rows |
//! | `item_index` | the `for_each` item, `NULL` for the step as a whole |
//! | `attempt` | 1, 2, … (on a final row: the attempts the step made, 0 if it never ran) |
//! | `status` | `running`, `retrying` (this attempt failed, another follows), `succeeded`, `failed`, `skipped`, `cancelled` |
//! | `is_final` | the step's result (`engine::StepResult`), which resume adopts; when an execution is resumed, the newest final row of a step wins |
//! | `input`, `output`, `error`, `error_details`, `port`, `response` | as in `engine::StepResult` (`error_details`: JSON, on final rows) |
//! | `started_at`, `finished_at`, `duration_us` | UTC; wall time in microseconds |

use sea_orm::entity::prelude::*;

use super::JsonText;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "step_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub execution_id: Uuid,
    pub execution_attempt: i32,
    pub step_id: String,
    pub action: Option<String>,
    pub item_index: Option<i32>,
    pub attempt: i32,
    pub status: engine::journal::StepStatus,
    pub is_final: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub input: Option<JsonText>,
    #[sea_orm(column_type = "Text", nullable)]
    pub output: Option<JsonText>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_details: Option<JsonText>,
    pub port: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response: Option<JsonText>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub duration_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::execution::Entity",
        from = "Column::ExecutionId",
        to = "super::execution::Column::Id",
        on_delete = "Cascade"
    )]
    Execution,
}

impl Related<super::execution::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Execution.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

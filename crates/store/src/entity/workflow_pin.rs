//! `workflow_pins`: a workflow's test data (the editor's pins), for test runs only.
//!
//! | column | meaning |
//! |---|---|
//! | `workflow_id` | primary key; the workflow (deleted with it) |
//! | `pins` | JSON text: `{trigger?: {body, headers, query}, steps: {step id: output}}` |
//! | `saved_at` | UTC |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_pins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workflow_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub pins: String,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

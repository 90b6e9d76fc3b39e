//! `workflow_versions`: every save of a workflow, immutable once written.
//!
//! | column | meaning |
//! |---|---|
//! | `workflow_id`, `version` | primary key; versions count from 1 |
//! | `source` | the document exactly as the user sent it (YAML or JSON text), so that exporting an unchanged import is byte-identical |
//! | `source_format` | `yaml` or `json` |
//! | `definition` | the parsed `engine::Workflow` as JSON |
//! | `created_at` | UTC |
//! | `message` | what the save changed, in its author's words (optional) |

use sea_orm::entity::prelude::*;

use super::JsonText;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workflow_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    #[sea_orm(column_type = "Text")]
    pub source: String,
    pub source_format: String,
    #[sea_orm(column_type = "Text")]
    pub definition: JsonText,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::workflow::Entity",
        from = "Column::WorkflowId",
        to = "super::workflow::Column::Id",
        on_delete = "Cascade"
    )]
    Workflow,
}

impl Related<super::workflow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workflow.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

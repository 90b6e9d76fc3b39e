//! `workflow_drafts`: a workflow's draft (the editor's work in progress, problems allowed).
//!
//! | column | meaning |
//! |---|---|
//! | `workflow_id` | primary key; the workflow (deleted with it) |
//! | `source`, `source_format` | the document as sent (YAML or JSON text), valid or not |
//! | `saved_at` | UTC |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_drafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workflow_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub source: String,
    pub source_format: String,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

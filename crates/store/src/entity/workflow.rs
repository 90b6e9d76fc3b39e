//! `workflows`: one row per workflow, pointing at its current version.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7 |
//! | `name`, `description` | copied from the current version's document (indexed by name, not unique) |
//! | `trigger_kind` | `webhook`, `schedule` or `manual`, from the current version |
//! | `webhook_path` | the current version's webhook path, `NULL` for other triggers; unique among active workflows (partial unique index `workflows_active_webhook_path`) |
//! | `active` | whether webhooks and schedules start it |
//! | `current_version` | the version that runs and that the editor shows |
//! | `created_at`, `updated_at` | UTC |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub trigger_kind: String,
    pub webhook_path: Option<String>,
    pub active: bool,
    pub current_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::workflow_version::Entity")]
    Versions,
}

impl Related<super::workflow_version::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Versions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

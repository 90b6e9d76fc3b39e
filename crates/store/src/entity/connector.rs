//! `connectors`: imported OpenAPI documents, one row per version.
//!
//! | column | meaning |
//! |---|---|
//! | `name`, `version` | the connector's slug and version (unique together; the newest is used) |
//! | `title`, `format`, `operations` | the document's title, `OpenAPI 3.0.1`/`Swagger 2.0`, its operation count |
//! | `base_url` | the import's override of the document's servers |
//! | `document` | the document's text as sent |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connectors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub version: i64,
    pub title: String,
    pub format: String,
    pub operations: i32,
    pub base_url: Option<String>,
    pub document: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

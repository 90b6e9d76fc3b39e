//! `delivery_attempts`: one row per finished attempt of a delivery.
//!
//! | column | meaning |
//! |---|---|
//! | `delivery_id`, `attempt` | the delivery (foreign key, cascading) and the attempt's number, from 1 |
//! | `started_at`, `finished_at` | UTC |
//! | `status` | the HTTP status answered, or `NULL` (no answer: refused, timed out, …) |
//! | `error` | why it failed, or `NULL` |
//! | `body` | the first KiB of the answer's body (as text) |
//! | `outcome` | `delivered`, `retry` (another attempt is due) or `failed` (no more attempts) |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub delivery_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub attempt: i32,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    pub status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    pub outcome: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

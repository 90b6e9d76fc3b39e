//! `rate_limits`: the webhook rate-limit counters of PostgreSQL, one row per key and fixed
//! window (SQLite counts in memory and leaves the table empty). Written and pruned by the two
//! statements of `Store::take_rate_slot`; this entity describes the table.
//!
//! | column | meaning |
//! |---|---|
//! | `key` | what is limited: a workflow id |
//! | `window_start`, `window_end` | the window, `[start, end)` in Unix seconds |
//! | `count` | the calls counted in it, refused ones included |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_limits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub window_start: i64,
    pub window_end: i64,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

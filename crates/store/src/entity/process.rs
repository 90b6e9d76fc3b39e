//! `processes`: one row per `weft serve` / `weft worker` process, with its heartbeat.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | the process's id: its workers' lease owner name (`executions.lease_owner`) |
//! | `kind` | `serve` (API and workers), `api` (`serve --no-workers`) or `worker` |
//! | `host`, `pid`, `version` | where it runs and which Weft it is |
//! | `concurrency` | its execution slots (0 for `api`) |
//! | `started_at`, `heartbeat_at`, `stopped_at` | UTC; no heartbeat for a while and no stop: dead |
//! | `fenced_writes` | its writes rejected by the claim counter, as of its last heartbeat |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: String,
    pub host: String,
    pub pid: i32,
    pub version: String,
    pub concurrency: i32,
    pub started_at: DateTimeUtc,
    pub heartbeat_at: DateTimeUtc,
    pub stopped_at: Option<DateTimeUtc>,
    pub fenced_writes: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

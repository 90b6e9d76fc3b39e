//! `deliveries`: outgoing webhooks (`action: webhook`), one row per message; the pending rows
//! are the delivery queue.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7 |
//! | `message_id` | `msg_<id in hex>`: the `webhook-id` of every attempt |
//! | `execution_id`, `step_id`, `item_index` | the step that queued it (foreign key to `executions`, cascading) |
//! | `workflow_id` | the execution's workflow |
//! | `url` | where it is POSTed |
//! | `headers` | the step's extra headers, a JSON object of text |
//! | `body` | the JSON body as text, sent byte for byte |
//! | `credential` | the name of the `secret` credential that signs it (read at each attempt; the secret is never stored) or `NULL` (unsigned) |
//! | `status` | `pending`, `delivered` or `failed` |
//! | `attempts` | attempts started (incremented by each claim) |
//! | `schedule_from` | `attempts` when the current round of the retry schedule began (0, or when it was retried by hand) |
//! | `next_attempt_at` | when a pending delivery is due |
//! | `last_status`, `last_error`, `last_body` | the last attempt's HTTP status, why it failed, the first KiB of its answer |
//! | `idempotency_key` | the step's (`execution:step[:item]`), unique: a step run again finds its delivery |
//! | `lease_owner`, `lease_expires_at` | the runner sending it and until when; an expired lease is claimed again |
//! | `created_at`, `delivered_at`, `finished_at` | UTC; `finished_at` when it was delivered or failed for good |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub message_id: String,
    pub execution_id: Uuid,
    pub step_id: String,
    pub item_index: Option<i32>,
    pub workflow_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub headers: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub credential: Option<String>,
    pub status: crate::queue::deliveries::DeliveryStatus,
    pub attempts: i32,
    pub schedule_from: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_body: Option<String>,
    pub idempotency_key: String,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `api_keys`: keys for the REST API. Only the SHA-256 of a secret is stored.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7 |
//! | `name` | a label |
//! | `prefix` | the start of the secret, shown in lists to tell keys apart |
//! | `hash` | lower-case hex SHA-256 of the secret (unique) |
//! | `scope` | `admin` (everything) or `read` (reads only) |
//! | `created_at`, `last_used_at`, `revoked_at` | UTC; a revoked key no longer verifies |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub scope: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

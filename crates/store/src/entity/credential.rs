//! `credentials`: the credentials managed through the API and the editor. Secret values are
//! sealed by the `credentials` crate before they reach the store; the store never sees them
//! in clear.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7; bound into every sealed value as associated data |
//! | `name` | what workflows name (unique) |
//! | `kind` | `bearer`, `basic`, `api_key`, `header`, `secret` or `oauth2` |
//! | `description` | free text |
//! | `allowed_hosts` | JSON array of host patterns; `NULL` only if unbound |
//! | `data` | JSON object: non-secret fields in clear, secret fields sealed |
//! | `token` | OAuth2: the sealed token set (access, refresh) |
//! | `token_expires_at`, `refresh_at` | OAuth2: when the access token expires, and when to renew it |
//! | `status`, `status_message` | `ok`, `not_connected` or `needs_reconnect`, and why |
//! | `pending` | OAuth2: the sealed authorization in progress (`state`, PKCE verifier) |
//! | `refresh_lease_until` | OAuth2: a renewal in progress (one at a time, across processes) |
//! | `revision` | bumped by every change (conditional updates, caches) |
//! | `created_at`, `updated_at`, `last_used_at` | UTC |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub allowed_hosts: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub data: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub token: Option<String>,
    pub token_expires_at: Option<DateTimeUtc>,
    pub refresh_at: Option<DateTimeUtc>,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub status_message: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub pending: Option<String>,
    pub refresh_lease_until: Option<DateTimeUtc>,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

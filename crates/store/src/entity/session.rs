//! `sessions`: browser sessions (an HttpOnly cookie issued at sign-in) and short-lived event
//! stream tokens. Only the SHA-256 of a token is stored.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | UUID v7 |
//! | `kind` | `session` (the editor's cookie) or `stream` (a `?access_token=` for an event stream) |
//! | `hash` | lower-case hex SHA-256 of the token (unique) |
//! | `api_key_id` | the API key it was made with; revoking the key ends it |
//! | `scope` | the key's scope when it was made |
//! | `csrf` | the token state-changing calls of a `session` must echo in `X-CSRF-Token` |
//! | `created_at`, `expires_at` | UTC |

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub hash: String,
    pub api_key_id: Uuid,
    pub scope: String,
    pub csrf: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

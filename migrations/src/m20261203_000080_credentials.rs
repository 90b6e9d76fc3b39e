//! Credentials managed through the API and the editor: `credentials`, one row per credential.
//! Secret fields never appear in clear: `data` holds the non-secret fields as JSON text and
//! each secret field as a sealed string (AES-256-GCM under a key of the keyring, the key's id
//! and a random nonce inside, the credential id and field name bound as associated data; see
//! the `credentials` crate). `token` and `pending` are sealed JSON too: an OAuth2 credential's
//! tokens, and an authorization in progress (its `state` and PKCE verifier).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000080_credentials"
    }
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    Id,
    Name,
    Kind,
    Description,
    AllowedHosts,
    Data,
    Token,
    TokenExpiresAt,
    RefreshAt,
    Status,
    StatusMessage,
    Pending,
    RefreshLeaseUntil,
    Revision,
    CreatedAt,
    UpdatedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Credentials::Table)
                .col(uuid(Credentials::Id).primary_key())
                .col(text(Credentials::Name).unique_key())
                .col(string(Credentials::Kind))
                .col(text(Credentials::Description))
                .col(text_null(Credentials::AllowedHosts))
                .col(text(Credentials::Data))
                .col(text_null(Credentials::Token))
                .col(timestamp_with_time_zone_null(Credentials::TokenExpiresAt))
                .col(timestamp_with_time_zone_null(Credentials::RefreshAt))
                .col(string(Credentials::Status))
                .col(text_null(Credentials::StatusMessage))
                .col(text_null(Credentials::Pending))
                .col(timestamp_with_time_zone_null(
                    Credentials::RefreshLeaseUntil,
                ))
                .col(big_integer(Credentials::Revision))
                .col(timestamp_with_time_zone(Credentials::CreatedAt))
                .col(timestamp_with_time_zone(Credentials::UpdatedAt))
                .col(timestamp_with_time_zone_null(Credentials::LastUsedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Credentials::Table).to_owned())
            .await
    }
}

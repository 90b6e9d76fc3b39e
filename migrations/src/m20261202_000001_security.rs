//! Safe by default: an idempotency key is bound to a fingerprint of the request that first
//! used it; API keys have a scope (`admin` or `read`); browser sessions and short-lived event
//! stream tokens live in `sessions`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000001_security"
    }
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    IdempotencyFingerprint,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Scope,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Kind,
    Hash,
    ApiKeyId,
    Scope,
    Csrf,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Executions::Table)
                .add_column(text_null(Executions::IdempotencyFingerprint))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .add_column(text(ApiKeys::Scope).default("admin"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(uuid(Sessions::Id).primary_key())
                .col(string(Sessions::Kind))
                .col(string(Sessions::Hash))
                .col(uuid(Sessions::ApiKeyId))
                .col(string(Sessions::Scope))
                .col(string_null(Sessions::Csrf))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sessions_hash")
                .table(Sessions::Table)
                .col(Sessions::Hash)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .drop_column(ApiKeys::Scope)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Executions::Table)
                .drop_column(Executions::IdempotencyFingerprint)
                .to_owned(),
        )
        .await
    }
}

//! Outgoing webhooks (`action: webhook`): `deliveries`, one row per message, claimed with a
//! lease and retried on a schedule; `delivery_attempts`, one row per attempt. See `store`'s
//! entity modules for what each column means.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000050_deliveries"
    }
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    MessageId,
    ExecutionId,
    StepId,
    ItemIndex,
    WorkflowId,
    Url,
    Headers,
    Body,
    Credential,
    Status,
    Attempts,
    ScheduleFrom,
    NextAttemptAt,
    LastStatus,
    LastError,
    LastBody,
    IdempotencyKey,
    LeaseOwner,
    LeaseExpiresAt,
    CreatedAt,
    DeliveredAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    DeliveryId,
    Attempt,
    StartedAt,
    FinishedAt,
    Status,
    Error,
    Body,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Deliveries::Table)
                .col(uuid(Deliveries::Id).primary_key())
                .col(string(Deliveries::MessageId))
                .col(uuid(Deliveries::ExecutionId))
                .col(string(Deliveries::StepId))
                .col(integer_null(Deliveries::ItemIndex))
                .col(uuid(Deliveries::WorkflowId))
                .col(text(Deliveries::Url))
                .col(text(Deliveries::Headers))
                .col(text(Deliveries::Body))
                .col(string_null(Deliveries::Credential))
                .col(string(Deliveries::Status))
                .col(integer(Deliveries::Attempts).default(0))
                .col(integer(Deliveries::ScheduleFrom).default(0))
                .col(timestamp_with_time_zone_null(Deliveries::NextAttemptAt))
                .col(integer_null(Deliveries::LastStatus))
                .col(text_null(Deliveries::LastError))
                .col(text_null(Deliveries::LastBody))
                .col(string(Deliveries::IdempotencyKey))
                .col(string_null(Deliveries::LeaseOwner))
                .col(timestamp_with_time_zone_null(Deliveries::LeaseExpiresAt))
                .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                .col(timestamp_with_time_zone_null(Deliveries::DeliveredAt))
                .col(timestamp_with_time_zone_null(Deliveries::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("deliveries_execution")
                        .from(Deliveries::Table, Deliveries::ExecutionId)
                        .to(Executions::Table, Executions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One delivery per step (and item) of an execution, across attempts and restarts.
        m.create_index(
            Index::create()
                .name("deliveries_idempotency_key")
                .table(Deliveries::Table)
                .col(Deliveries::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;
        // The runner's claim: pending deliveries by when they are due.
        m.create_index(
            Index::create()
                .name("deliveries_due")
                .table(Deliveries::Table)
                .col(Deliveries::Status)
                .col(Deliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        // An execution's deliveries.
        m.create_index(
            Index::create()
                .name("deliveries_by_execution")
                .table(Deliveries::Table)
                .col(Deliveries::ExecutionId)
                .col(Deliveries::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DeliveryAttempts::Table)
                .col(uuid(DeliveryAttempts::DeliveryId))
                .col(integer(DeliveryAttempts::Attempt))
                .col(timestamp_with_time_zone(DeliveryAttempts::StartedAt))
                .col(timestamp_with_time_zone(DeliveryAttempts::FinishedAt))
                .col(integer_null(DeliveryAttempts::Status))
                .col(text_null(DeliveryAttempts::Error))
                .col(text_null(DeliveryAttempts::Body))
                .col(string(DeliveryAttempts::Outcome))
                .primary_key(
                    Index::create()
                        .col(DeliveryAttempts::DeliveryId)
                        .col(DeliveryAttempts::Attempt),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("delivery_attempts_delivery")
                        .from(DeliveryAttempts::Table, DeliveryAttempts::DeliveryId)
                        .to(Deliveries::Table, Deliveries::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DeliveryAttempts::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await
    }
}

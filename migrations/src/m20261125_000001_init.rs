//! The first schema: workflows and their versions, executions (also the queue), step runs and
//! API keys. See `store`'s entity modules for what each column means.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_init"
    }
}

#[derive(DeriveIden)]
enum Workflows {
    Table,
    Id,
    Name,
    Description,
    TriggerKind,
    WebhookPath,
    Active,
    CurrentVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WorkflowVersions {
    Table,
    WorkflowId,
    Version,
    Source,
    SourceFormat,
    Definition,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    Id,
    WorkflowId,
    Version,
    Status,
    TriggerKind,
    Request,
    Response,
    Output,
    Error,
    IdempotencyKey,
    Test,
    Attempt,
    LeaseOwner,
    LeaseExpiresAt,
    CancelRequested,
    RetryOf,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum StepRuns {
    Table,
    Id,
    ExecutionId,
    ExecutionAttempt,
    StepId,
    Action,
    ItemIndex,
    Attempt,
    Status,
    IsFinal,
    Input,
    Output,
    Error,
    Port,
    Response,
    StartedAt,
    FinishedAt,
    DurationUs,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Prefix,
    Hash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Workflows::Table)
                .col(uuid(Workflows::Id).primary_key())
                .col(text(Workflows::Name))
                .col(text_null(Workflows::Description))
                .col(string(Workflows::TriggerKind))
                .col(string_null(Workflows::WebhookPath))
                .col(boolean(Workflows::Active).default(false))
                .col(integer(Workflows::CurrentVersion))
                .col(timestamp_with_time_zone(Workflows::CreatedAt))
                .col(timestamp_with_time_zone(Workflows::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("workflows_name")
                .table(Workflows::Table)
                .col(Workflows::Name)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("workflows_webhook_path")
                .table(Workflows::Table)
                .col(Workflows::WebhookPath)
                .to_owned(),
        )
        .await?;
        // At most one active workflow per webhook path. The store checks this inside the
        // transaction to give a clear conflict; the index is the guarantee across processes.
        m.create_index(
            Index::create()
                .name("workflows_active_webhook_path")
                .table(Workflows::Table)
                .col(Workflows::WebhookPath)
                .unique()
                .and_where(Expr::col(Workflows::Active).eq(true))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WorkflowVersions::Table)
                .col(uuid(WorkflowVersions::WorkflowId))
                .col(integer(WorkflowVersions::Version))
                .col(text(WorkflowVersions::Source))
                .col(string(WorkflowVersions::SourceFormat))
                .col(text(WorkflowVersions::Definition))
                .col(timestamp_with_time_zone(WorkflowVersions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(WorkflowVersions::WorkflowId)
                        .col(WorkflowVersions::Version),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("workflow_versions_workflow")
                        .from(WorkflowVersions::Table, WorkflowVersions::WorkflowId)
                        .to(Workflows::Table, Workflows::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Executions::Table)
                .col(uuid(Executions::Id).primary_key())
                .col(uuid(Executions::WorkflowId))
                .col(integer(Executions::Version))
                .col(string(Executions::Status))
                .col(string(Executions::TriggerKind))
                .col(text(Executions::Request))
                .col(text_null(Executions::Response))
                .col(text_null(Executions::Output))
                .col(text_null(Executions::Error))
                .col(string_null(Executions::IdempotencyKey))
                .col(boolean(Executions::Test).default(false))
                .col(integer(Executions::Attempt).default(0))
                .col(string_null(Executions::LeaseOwner))
                .col(timestamp_with_time_zone_null(Executions::LeaseExpiresAt))
                .col(boolean(Executions::CancelRequested).default(false))
                .col(uuid_null(Executions::RetryOf))
                .col(timestamp_with_time_zone(Executions::CreatedAt))
                .col(timestamp_with_time_zone_null(Executions::StartedAt))
                .col(timestamp_with_time_zone_null(Executions::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("executions_workflow_version")
                        .from(
                            Executions::Table,
                            (Executions::WorkflowId, Executions::Version),
                        )
                        .to(
                            WorkflowVersions::Table,
                            (WorkflowVersions::WorkflowId, WorkflowVersions::Version),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Listing a workflow's executions, newest first (ids are UUID v7: time-ordered).
        m.create_index(
            Index::create()
                .name("executions_workflow")
                .table(Executions::Table)
                .col(Executions::WorkflowId)
                .col(Executions::Id)
                .to_owned(),
        )
        .await?;
        // Claiming (oldest queued first) and listing by status.
        m.create_index(
            Index::create()
                .name("executions_status")
                .table(Executions::Table)
                .col(Executions::Status)
                .col(Executions::Id)
                .to_owned(),
        )
        .await?;
        // One execution per (workflow, idempotency key); NULL keys never collide. A key older
        // than the idempotency window is cleared from its execution when it is used again.
        m.create_index(
            Index::create()
                .name("executions_idempotency_key")
                .table(Executions::Table)
                .col(Executions::WorkflowId)
                .col(Executions::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StepRuns::Table)
                .col(uuid(StepRuns::Id).primary_key())
                .col(uuid(StepRuns::ExecutionId))
                .col(integer(StepRuns::ExecutionAttempt))
                .col(string(StepRuns::StepId))
                .col(string_null(StepRuns::Action))
                .col(integer_null(StepRuns::ItemIndex))
                .col(integer(StepRuns::Attempt))
                .col(string(StepRuns::Status))
                .col(boolean(StepRuns::IsFinal).default(false))
                .col(text_null(StepRuns::Input))
                .col(text_null(StepRuns::Output))
                .col(text_null(StepRuns::Error))
                .col(string_null(StepRuns::Port))
                .col(text_null(StepRuns::Response))
                .col(timestamp_with_time_zone_null(StepRuns::StartedAt))
                .col(timestamp_with_time_zone_null(StepRuns::FinishedAt))
                .col(big_integer_null(StepRuns::DurationUs))
                .foreign_key(
                    ForeignKey::create()
                        .name("step_runs_execution")
                        .from(StepRuns::Table, StepRuns::ExecutionId)
                        .to(Executions::Table, Executions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("step_runs_execution")
                .table(StepRuns::Table)
                .col(StepRuns::ExecutionId)
                .col(StepRuns::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(uuid(ApiKeys::Id).primary_key())
                .col(text(ApiKeys::Name))
                .col(string(ApiKeys::Prefix))
                .col(string(ApiKeys::Hash))
                .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("api_keys_hash")
                .table(ApiKeys::Table)
                .col(ApiKeys::Hash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("api_keys_prefix")
                .table(ApiKeys::Table)
                .col(ApiKeys::Prefix)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiKeys::Table.into_iden(),
            StepRuns::Table.into_iden(),
            Executions::Table.into_iden(),
            WorkflowVersions::Table.into_iden(),
            Workflows::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

//! Waits (`action: wait`): one row per waiting step of an execution, the timer or callback
//! that resumes it, and what it was resumed with; `settings` holds the process-wide secrets
//! (the key of resume URLs), shared by every process on one database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000070_waits"
    }
}

#[derive(DeriveIden)]
enum Waits {
    Table,
    ExecutionId,
    StepId,
    Kind,
    Until,
    Form,
    State,
    ResumedWith,
    CreatedAt,
    ResumedAt,
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    Id,
    Resumes,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Claims that resumed a wait: the poison guard counts the others only.
        m.alter_table(
            Table::alter()
                .table(Executions::Table)
                .add_column(integer(Executions::Resumes).default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Waits::Table)
                .col(uuid(Waits::ExecutionId))
                .col(string(Waits::StepId))
                .col(string(Waits::Kind))
                .col(timestamp_with_time_zone_null(Waits::Until))
                .col(text_null(Waits::Form))
                .col(string(Waits::State))
                .col(text_null(Waits::ResumedWith))
                .col(timestamp_with_time_zone(Waits::CreatedAt))
                .col(timestamp_with_time_zone_null(Waits::ResumedAt))
                .primary_key(Index::create().col(Waits::ExecutionId).col(Waits::StepId))
                .foreign_key(
                    ForeignKey::create()
                        .name("waits_execution")
                        .from(Waits::Table, Waits::ExecutionId)
                        .to(Executions::Table, Executions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The timer's look: waiting rows by when they are due.
        m.create_index(
            Index::create()
                .name("waits_due")
                .table(Waits::Table)
                .col(Waits::State)
                .col(Waits::Until)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(string(Settings::Name).primary_key())
                .col(text(Settings::Value))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Settings::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Waits::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Executions::Table)
                .drop_column(Executions::Resumes)
                .to_owned(),
        )
        .await
    }
}

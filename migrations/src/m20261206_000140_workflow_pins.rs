//! `workflow_pins`: the editor's test data for a workflow (a pinned trigger event and pinned
//! step outputs), used by test runs only, never by production runs. One row per workflow.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000140_workflow_pins"
    }
}

#[derive(DeriveIden)]
enum WorkflowPins {
    Table,
    WorkflowId,
    Pins,
    SavedAt,
}

#[derive(DeriveIden)]
enum Workflows {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WorkflowPins::Table)
                .col(uuid(WorkflowPins::WorkflowId).primary_key())
                .col(text(WorkflowPins::Pins))
                .col(timestamp_with_time_zone(WorkflowPins::SavedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WorkflowPins::Table, WorkflowPins::WorkflowId)
                        .to(Workflows::Table, Workflows::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WorkflowPins::Table).to_owned())
            .await
    }
}

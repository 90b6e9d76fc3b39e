//! `workflow_drafts`: the editor's work in progress on a workflow, kept even while it has
//! problems (at most one per workflow). The current version (the one that runs) stays the last
//! valid save; a valid save of a new version removes the draft.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000130_workflow_drafts"
    }
}

#[derive(DeriveIden)]
enum WorkflowDrafts {
    Table,
    WorkflowId,
    Source,
    SourceFormat,
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
                .table(WorkflowDrafts::Table)
                .col(uuid(WorkflowDrafts::WorkflowId).primary_key())
                .col(text(WorkflowDrafts::Source))
                .col(string(WorkflowDrafts::SourceFormat))
                .col(timestamp_with_time_zone(WorkflowDrafts::SavedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WorkflowDrafts::Table, WorkflowDrafts::WorkflowId)
                        .to(Workflows::Table, Workflows::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WorkflowDrafts::Table).to_owned())
            .await
    }
}

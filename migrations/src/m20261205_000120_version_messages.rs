//! `workflow_versions.message`: what a save changed, in the words of whoever saved it (an
//! optional label; set with the save or afterwards).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000120_version_messages"
    }
}

#[derive(DeriveIden)]
enum WorkflowVersions {
    Table,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(WorkflowVersions::Table)
                .add_column(ColumnDef::new(WorkflowVersions::Message).text().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(WorkflowVersions::Table)
                .drop_column(WorkflowVersions::Message)
                .to_owned(),
        )
        .await
    }
}

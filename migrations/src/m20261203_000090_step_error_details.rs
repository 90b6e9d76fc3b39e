//! `step_runs.error_details`: what an action recorded with its failure (`ActionError::details`,
//! JSON text), e.g. the status, headers and body of the answer a failed `http` step got, so
//! that a failed step's record shows more than its message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000090_step_error_details"
    }
}

#[derive(DeriveIden)]
enum StepRuns {
    Table,
    ErrorDetails,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(StepRuns::Table)
                .add_column(text_null(StepRuns::ErrorDetails))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(StepRuns::Table)
                .drop_column(StepRuns::ErrorDetails)
                .to_owned(),
        )
        .await
    }
}

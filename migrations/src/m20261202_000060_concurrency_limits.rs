//! Per-workflow concurrency limits (`concurrency: {limit, key}`): an execution of a limited
//! workflow carries its group (`concurrency_key`, the rendered key, empty without one; the
//! group is the workflow and the key) and the group's `concurrency_limit`; both `NULL` for an
//! unlimited workflow. The claim counts the group's running executions through
//! `executions_limited`, a partial index holding only queued and running limited executions:
//! an unlimited execution has no entry in it, and a finished one leaves it.
//!
//! A query uses the index by stating its condition (`concurrency_key IS NOT NULL AND status IN
//! ('queued', 'running')`) beside its own: SQLite only uses a partial index for a query whose
//! WHERE clause contains the index's terms.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000060_concurrency_limits"
    }
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    ConcurrencyKey,
    ConcurrencyLimit,
}

const INDEX: &str = "CREATE INDEX executions_limited ON executions \
     (workflow_id, concurrency_key, status, id) \
     WHERE concurrency_key IS NOT NULL AND status IN ('queued', 'running')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Executions::Table)
                .add_column(text_null(Executions::ConcurrencyKey))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Executions::Table)
                .add_column(integer_null(Executions::ConcurrencyLimit))
                .to_owned(),
        )
        .await?;
        m.get_connection().execute_unprepared(INDEX).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("executions_limited")
                .table(Executions::Table)
                .to_owned(),
        )
        .await?;
        for column in [Executions::ConcurrencyLimit, Executions::ConcurrencyKey] {
            m.alter_table(
                Table::alter()
                    .table(Executions::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

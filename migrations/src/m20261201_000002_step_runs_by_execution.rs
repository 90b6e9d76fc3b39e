//! Step runs are keyed by `(execution_id, id)`. Every read of them is by execution and every
//! write knows its execution, so the key serves both, and the separate `step_runs_execution`
//! index goes: a step run's insert maintains two B-trees instead of three (SQLite: the table
//! and the key's index; PostgreSQL: the heap and the key's index).
//!
//! SQLite cannot change a table's primary key, so there the table is rebuilt (same columns,
//! same declared types) and its rows copied; PostgreSQL changes the constraint in place.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000002_step_runs_by_execution"
    }
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
enum Executions {
    Table,
    Id,
}

/// The index the old key needed beside it (and the foreign key's name on both).
const EXECUTION_INDEX: &str = "step_runs_execution";
/// The table being built on SQLite, renamed to `step_runs` once filled.
const REBUILT: &str = "step_runs_rebuilt";

/// `step_runs` as `name`, keyed by `(execution_id, id)` (`by_execution`) or by `id` as the
/// first migration made it. The columns and their types are the first migration's.
fn step_runs(name: &str, by_execution: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(Alias::new(name));
    if by_execution {
        table.col(uuid(StepRuns::Id));
    } else {
        table.col(uuid(StepRuns::Id).primary_key());
    }
    table
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
                .name(EXECUTION_INDEX)
                .from(Alias::new(name), StepRuns::ExecutionId)
                .to(Executions::Table, Executions::Id)
                .on_delete(ForeignKeyAction::Cascade),
        );
    if by_execution {
        table.primary_key(Index::create().col(StepRuns::ExecutionId).col(StepRuns::Id));
    }
    table.to_owned()
}

fn execution_index() -> IndexCreateStatement {
    Index::create()
        .name(EXECUTION_INDEX)
        .table(StepRuns::Table)
        .col(StepRuns::ExecutionId)
        .col(StepRuns::Id)
        .to_owned()
}

/// SQLite: builds the table anew with the other key and moves the rows into it.
async fn rebuild_sqlite(m: &SchemaManager<'_>, by_execution: bool) -> Result<(), DbErr> {
    m.create_table(step_runs(REBUILT, by_execution)).await?;
    let db = m.get_connection();
    db.execute_unprepared(&format!(
        "INSERT INTO \"{REBUILT}\" SELECT * FROM \"step_runs\"; \
         DROP TABLE \"step_runs\"; \
         ALTER TABLE \"{REBUILT}\" RENAME TO \"step_runs\";"
    ))
    .await?;
    if !by_execution {
        m.create_index(execution_index()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DbBackend::Sqlite => rebuild_sqlite(m, true).await,
            _ => {
                m.get_connection()
                    .execute_unprepared(
                        "ALTER TABLE step_runs DROP CONSTRAINT step_runs_pkey; \
                         ALTER TABLE step_runs ADD PRIMARY KEY (execution_id, id);",
                    )
                    .await?;
                m.drop_index(
                    Index::drop()
                        .name(EXECUTION_INDEX)
                        .table(StepRuns::Table)
                        .to_owned(),
                )
                .await
            }
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DbBackend::Sqlite => rebuild_sqlite(m, false).await,
            _ => {
                m.get_connection()
                    .execute_unprepared(
                        "ALTER TABLE step_runs DROP CONSTRAINT step_runs_pkey; \
                         ALTER TABLE step_runs ADD PRIMARY KEY (id);",
                    )
                    .await?;
                m.create_index(execution_index()).await
            }
        }
    }
}

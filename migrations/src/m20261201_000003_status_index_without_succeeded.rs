//! The `(status, id)` index leaves out succeeded executions: nearly every execution ends
//! succeeded, and each finish used to move its entry from the `running` part of the index to
//! the `succeeded` part, one more page in every commit, for a listing that reads the newest
//! executions in id order anyway (most of them match). Queued and running executions (the
//! queue) and failed and cancelled ones (the listings people filter for) keep their entries.
//!
//! A query uses the index by stating its condition (`status <> 'succeeded'`) beside its own:
//! SQLite only uses a partial index for a query whose WHERE clause contains the index's terms.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_status_index_without_succeeded"
    }
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    Status,
    Id,
}

const NAME: &str = "executions_status";

fn index(partial: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(NAME)
        .table(Executions::Table)
        .col(Executions::Status)
        .col(Executions::Id);
    if partial {
        index.and_where(Expr::col(Executions::Status).ne("succeeded"));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table(Executions::Table).to_owned())
            .await?;
        m.create_index(index(true)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table(Executions::Table).to_owned())
            .await?;
        m.create_index(index(false)).await
    }
}

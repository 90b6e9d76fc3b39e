//! The idempotency index holds only executions that have a key. Most executions have none,
//! and each insert used to add a (workflow, NULL) entry that no lookup ever reads.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000001_partial_idempotency_index"
    }
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    WorkflowId,
    IdempotencyKey,
}

const NAME: &str = "executions_idempotency_key";

fn index(partial: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(NAME)
        .table(Executions::Table)
        .col(Executions::WorkflowId)
        .col(Executions::IdempotencyKey)
        .unique();
    if partial {
        index.and_where(Expr::col(Executions::IdempotencyKey).is_not_null());
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

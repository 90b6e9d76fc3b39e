//! `processes`: every `weft serve` and `weft worker` process that ran on this database, one
//! row each, with its heartbeat. A process whose heartbeat stopped without `stopped_at` died
//! (killed, lost its machine); the API shows it as such. `fenced_writes` counts the writes of
//! that process the claim counter rejected (it had lost its lease), as of its last heartbeat.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000100_processes"
    }
}

#[derive(DeriveIden)]
enum Processes {
    Table,
    Id,
    Kind,
    Host,
    Pid,
    Version,
    Concurrency,
    StartedAt,
    HeartbeatAt,
    StoppedAt,
    FencedWrites,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Processes::Table)
                .col(string(Processes::Id).primary_key())
                .col(string(Processes::Kind))
                .col(string(Processes::Host))
                .col(integer(Processes::Pid))
                .col(string(Processes::Version))
                .col(integer(Processes::Concurrency))
                .col(timestamp_with_time_zone(Processes::StartedAt))
                .col(timestamp_with_time_zone(Processes::HeartbeatAt))
                .col(timestamp_with_time_zone_null(Processes::StoppedAt))
                .col(big_integer(Processes::FencedWrites).default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Processes::Table).to_owned())
            .await
    }
}

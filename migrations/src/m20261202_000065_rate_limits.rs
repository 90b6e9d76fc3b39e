//! Webhook rate limits (`rate_limit: N/unit` on a webhook trigger): `rate_limits`, one row per
//! key (the workflow id) and fixed window, counting the calls of that window. PostgreSQL counts
//! here, so that several `weft serve` processes on one database share each limit (an
//! `INSERT … ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1`); SQLite, one
//! process by design, counts in the store's memory and leaves the table empty (it exists on
//! both so that the schema is one). Windows are Unix seconds: `[window_start, window_end)`.
//! Rows of past windows are deleted by the store when a key opens a new window.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000065_rate_limits"
    }
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    WindowStart,
    WindowEnd,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RateLimits::Table)
                .col(string(RateLimits::Key))
                .col(big_integer(RateLimits::WindowStart))
                .col(big_integer(RateLimits::WindowEnd))
                .col(big_integer(RateLimits::Count))
                .primary_key(
                    Index::create()
                        .col(RateLimits::Key)
                        .col(RateLimits::WindowStart),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RateLimits::Table).to_owned())
            .await
    }
}

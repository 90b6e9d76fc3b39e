//! Weft's database schema, one sea-orm-migration migration per change, for SQLite and
//! PostgreSQL alike.
//!
//! A migration that has been applied anywhere is never edited: a change to the schema is a new
//! module `mYYYYMMDD_NNNNNN_what` added at the end of [`Migrator::migrations`]. `store` runs
//! [`Migrator`] when it connects, and `weft migrate` runs it alone.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_init;
mod m20261201_000001_partial_idempotency_index;
mod m20261201_000002_step_runs_by_execution;
mod m20261201_000003_status_index_without_succeeded;
mod m20261202_000001_security;
mod m20261202_000050_deliveries;
mod m20261202_000060_concurrency_limits;
mod m20261202_000065_rate_limits;
mod m20261202_000070_waits;
mod m20261203_000080_credentials;
mod m20261203_000090_step_error_details;
mod m20261204_000100_processes;
mod m20261205_000110_connectors;
mod m20261205_000120_version_messages;
mod m20261205_000130_workflow_drafts;
mod m20261206_000140_workflow_pins;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_init::Migration),
            Box::new(m20261201_000001_partial_idempotency_index::Migration),
            Box::new(m20261201_000002_step_runs_by_execution::Migration),
            Box::new(m20261201_000003_status_index_without_succeeded::Migration),
            Box::new(m20261202_000001_security::Migration),
            Box::new(m20261202_000050_deliveries::Migration),
            Box::new(m20261202_000060_concurrency_limits::Migration),
            Box::new(m20261202_000065_rate_limits::Migration),
            Box::new(m20261202_000070_waits::Migration),
            Box::new(m20261203_000080_credentials::Migration),
            Box::new(m20261203_000090_step_error_details::Migration),
            Box::new(m20261204_000100_processes::Migration),
            Box::new(m20261205_000110_connectors::Migration),
            Box::new(m20261205_000120_version_messages::Migration),
            Box::new(m20261205_000130_workflow_drafts::Migration),
            Box::new(m20261206_000140_workflow_pins::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("weft_migrations").into_iden()
    }
}

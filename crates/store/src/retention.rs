//! Retention: finished executions (succeeded, failed, cancelled) older than an age, or beyond
//! the newest N of their workflow, are deleted with their step runs, waits and delivered or
//! failed deliveries (the foreign keys cascade), in small batches, each its own short write, so
//! that webhooks and workers go on between them. An execution with an outgoing webhook still
//! pending is kept until the delivery ends.

use std::collections::BTreeMap;
use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};
use uuid::Uuid;

use crate::entity::execution;
use crate::error::Result;
use crate::{Backend, Store, now};

/// What to keep. Both unset: everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Delete finished executions that finished longer ago than this.
    pub older_than: Option<Duration>,
    /// Keep only the newest this many finished executions of each workflow.
    pub keep: Option<usize>,
}

impl Retention {
    pub fn is_off(&self) -> bool {
        self.older_than.is_none() && self.keep.is_none()
    }
}

/// Executions deleted (or, in a dry run, that would be), by workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    pub by_workflow: BTreeMap<Uuid, u64>,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.by_workflow.values().sum()
    }
}

/// Executions deleted per write.
pub const PRUNE_BATCH: usize = 500;
/// The pause between two batches, which lets other writes in.
const BETWEEN_BATCHES: Duration = Duration::from_millis(20);

const FINISHED: &str = "status IN ('succeeded', 'failed', 'cancelled')";

impl Store {
    /// The finished executions `retention` lets go, as `SELECT id, workflow_id …` text and
    /// its values; `None` when it keeps everything.
    fn prune_candidates(&self, retention: Retention) -> Option<(String, Vec<Value>)> {
        let p = |i: usize| match self.backend() {
            Backend::Sqlite => format!("?{i}"),
            Backend::Postgres => format!("${i}"),
        };
        let mut values: Vec<Value> = Vec::new();
        let mut reasons = Vec::new();
        if let Some(age) = retention.older_than {
            let before = now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
            values.push(before.into());
            let cast = if self.backend() == Backend::Postgres {
                "::timestamptz"
            } else {
                ""
            };
            reasons.push(format!("e.finished_at < {}{cast}", p(values.len())));
        }
        if let Some(keep) = retention.keep {
            values.push(i64::try_from(keep).unwrap_or(i64::MAX).into());
            reasons.push(format!(
                "e.id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
                 (PARTITION BY workflow_id ORDER BY id DESC) AS n FROM executions \
                 WHERE {FINISHED}) r WHERE r.n > {})",
                p(values.len())
            ));
        }
        if reasons.is_empty() {
            return None;
        }
        let sql = format!(
            "SELECT e.id AS id, e.workflow_id AS workflow_id FROM executions e \
             WHERE e.{FINISHED} AND ({}) \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.execution_id = e.id \
             AND d.status = 'pending')",
            reasons.join(" OR ")
        );
        Some((sql, values))
    }

    /// Deletes (or with `dry_run` only counts) the finished executions `retention` lets go,
    /// [`PRUNE_BATCH`] at a time.
    pub async fn prune_executions(&self, retention: Retention, dry_run: bool) -> Result<Pruned> {
        let mut pruned = Pruned::default();
        let Some((sql, values)) = self.prune_candidates(retention) else {
            return Ok(pruned);
        };
        let backend = self.db_backend();
        if dry_run {
            let rows = self
                .db()
                .query_all(Statement::from_sql_and_values(backend, sql, values))
                .await?;
            for row in rows {
                let workflow: Uuid = row.try_get("", "workflow_id")?;
                *pruned.by_workflow.entry(workflow).or_default() += 1;
            }
            return Ok(pruned);
        }
        let batch = format!("{sql} ORDER BY e.id LIMIT {PRUNE_BATCH}");
        loop {
            let rows = self
                .db()
                .query_all(Statement::from_sql_and_values(
                    backend,
                    batch.clone(),
                    values.clone(),
                ))
                .await?;
            let mut ids = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: Uuid = row.try_get("", "id")?;
                let workflow: Uuid = row.try_get("", "workflow_id")?;
                ids.push(id);
                *pruned.by_workflow.entry(workflow).or_default() += 1;
            }
            let full = ids.len() == PRUNE_BATCH;
            if !ids.is_empty() {
                self.write("prune_executions", false, move |txn| {
                    Box::pin(async move {
                        execution::Entity::delete_many()
                            .filter(execution::Column::Id.is_in(ids))
                            .filter(sea_orm::sea_query::Expr::cust(FINISHED))
                            .exec(txn)
                            .await?;
                        Ok(())
                    })
                })
                .await?;
            }
            if !full {
                return Ok(pruned);
            }
            tokio::time::sleep(BETWEEN_BATCHES).await;
        }
    }
}

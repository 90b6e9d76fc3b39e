//! Retention: finished executions (succeeded, failed, cancelled) older than an age, or beyond
//! the newest N of their workflow, are deleted with their step runs, waits and delivered or
//! failed deliveries (the foreign keys cascade), in small batches, each its own short write, so
//! that webhooks and workers go on between them. An execution with an outgoing webhook still
//! pending is kept until the delivery ends. On SQLite the freed pages then go back to the
//! file system, a few thousand per write ([`Store::reclaim_space`]).

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

/// Which workflows a prune looks at.
enum Scope {
    Only(Uuid),
    /// Every workflow but these (those with a rule of their own).
    Except(Vec<Uuid>),
}

/// Pages (4 KiB) given back per write by [`Store::reclaim_space`].
const VACUUM_PAGES: i64 = 2048;

/// Executions deleted per write.
pub const PRUNE_BATCH: usize = 500;
/// The pause between two batches, which lets other writes in.
const BETWEEN_BATCHES: Duration = Duration::from_millis(20);

const FINISHED: &str = "status IN ('succeeded', 'failed', 'cancelled')";

impl Store {
    /// The finished executions `retention` lets go among the workflows of `scope`, as
    /// `SELECT id, workflow_id …` text and its values; `None` when it keeps everything.
    fn prune_candidates(
        &self,
        retention: Retention,
        scope: &Scope,
    ) -> Option<(String, Vec<Value>)> {
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
        let mut within = String::new();
        match scope {
            Scope::Only(id) => {
                values.push((*id).into());
                within = format!(" AND e.workflow_id = {}", p(values.len()));
            }
            Scope::Except(ids) if !ids.is_empty() => {
                let mut marks = Vec::with_capacity(ids.len());
                for id in ids {
                    values.push((*id).into());
                    marks.push(p(values.len()));
                }
                within = format!(" AND e.workflow_id NOT IN ({})", marks.join(", "));
            }
            Scope::Except(_) => {}
        }
        let sql = format!(
            "SELECT e.id AS id, e.workflow_id AS workflow_id FROM executions e \
             WHERE e.{FINISHED} AND ({}){within} \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.execution_id = e.id \
             AND d.status = 'pending')",
            reasons.join(" OR ")
        );
        Some((sql, values))
    }

    /// Deletes (or with `dry_run` only counts) the finished executions `retention` lets go,
    /// [`PRUNE_BATCH`] at a time; a workflow with a `retention:` of its own (in its current
    /// version) is pruned by that instead.
    pub async fn prune_executions(&self, retention: Retention, dry_run: bool) -> Result<Pruned> {
        let own = self.retention_overrides().await?;
        self.prune_executions_with(retention, &own, dry_run).await
    }

    /// [`Store::prune_executions`] with the workflows' own rules already read
    /// ([`Store::retention_overrides`]).
    pub async fn prune_executions_with(
        &self,
        retention: Retention,
        own: &[(Uuid, Retention)],
        dry_run: bool,
    ) -> Result<Pruned> {
        let mut pruned = Pruned::default();
        for (workflow, rule) in own {
            let p = self
                .prune_scope(*rule, &Scope::Only(*workflow), dry_run)
                .await?;
            pruned.by_workflow.extend(p.by_workflow);
        }
        let others = Scope::Except(own.iter().map(|(id, _)| *id).collect());
        let p = self.prune_scope(retention, &others, dry_run).await?;
        pruned.by_workflow.extend(p.by_workflow);
        if !dry_run && pruned.total() > 0 {
            self.reclaim_space().await?;
        }
        Ok(pruned)
    }

    /// SQLite: gives the pages that deletes freed back to the file system, a few thousand at a
    /// time through the writer (so webhooks go on between them), for a database made with
    /// `auto_vacuum = INCREMENTAL` (as Weft makes them). Returns how many pages it released;
    /// 0 on PostgreSQL (autovacuum's job) and on an older file made without it.
    pub async fn reclaim_space(&self) -> Result<u64> {
        if self.backend() != Backend::Sqlite {
            return Ok(0);
        }
        let pragma = |name: &str| {
            let sql = format!("PRAGMA {name}");
            async move {
                let row = self
                    .db()
                    .query_one(Statement::from_string(self.db_backend(), sql))
                    .await?;
                Ok::<i64, crate::Error>(match row {
                    Some(r) => r.try_get_by_index::<i64>(0)?,
                    None => 0,
                })
            }
        };
        // 2: INCREMENTAL.
        if pragma("auto_vacuum").await? != 2 {
            return Ok(0);
        }
        let mut released = 0u64;
        loop {
            let free = pragma("freelist_count").await?;
            if free <= 0 {
                return Ok(released);
            }
            let step = free.min(VACUUM_PAGES);
            self.write("incremental_vacuum", false, move |txn| {
                Box::pin(async move {
                    txn.execute_unprepared(&format!("PRAGMA incremental_vacuum({step})"))
                        .await?;
                    Ok(())
                })
            })
            .await?;
            released += step as u64;
            if free <= VACUUM_PAGES {
                return Ok(released);
            }
            tokio::time::sleep(BETWEEN_BATCHES).await;
        }
    }

    /// The workflows whose current version sets `retention:`, with their rule.
    pub async fn retention_overrides(&self) -> Result<Vec<(Uuid, Retention)>> {
        // Only versions whose text names the key are read (the definition is JSON text).
        let sql = "SELECT w.id AS id, v.definition AS definition FROM workflows w \
                   JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version \
                   WHERE v.definition LIKE '%\"retention\"%'";
        let rows = self
            .db()
            .query_all(Statement::from_string(self.db_backend(), sql))
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let text: String = row.try_get("", "definition")?;
            let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            let Some(rule) = doc.get("retention").filter(|r| r.is_object()) else {
                continue;
            };
            let policy: engine::model::RetentionPolicy =
                serde_json::from_value(rule.clone()).map_err(crate::Error::corrupt)?;
            out.push((
                id,
                Retention {
                    keep: policy
                        .keep
                        .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                    older_than: policy
                        .older_than
                        .as_deref()
                        .and_then(|t| engine::duration::parse(t).ok()),
                },
            ));
        }
        Ok(out)
    }

    async fn prune_scope(
        &self,
        retention: Retention,
        scope: &Scope,
        dry_run: bool,
    ) -> Result<Pruned> {
        let mut pruned = Pruned::default();
        let Some((sql, values)) = self.prune_candidates(retention, scope) else {
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

//! The processes sharing the database (`weft serve`, `weft serve --no-workers`, `weft worker`):
//! each registers a row at start ([`Store::register_process`]), renews its heartbeat
//! ([`Store::process_heartbeat`], which also records how many of its writes were fenced out)
//! and marks it stopped on a graceful shutdown. [`Store::list_processes`] tells alive, stopped
//! and dead ones apart and counts what each runs now.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::prelude::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::entity::{execution, process};
use crate::error::Result;
use crate::{ExecutionStatus, Store, now};

/// How often a process renews its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// A process whose last heartbeat is older than this, and that did not say it stopped, is
/// dead (a few missed heartbeats: a kill, a lost machine, a long pause).
pub const DEAD_AFTER: Duration = Duration::from_secs(20);
/// Rows of processes that stopped (or died) this long ago are deleted when one starts.
const FORGET_AFTER: chrono::Duration = chrono::Duration::days(7);
/// The most processes [`Store::list_processes`] returns (the newest first).
const MAX_LISTED: u64 = 200;

/// What a process says about itself when it starts.
#[derive(Debug, Clone)]
pub struct ProcessInfo {
    /// Unique among the processes on the database; the lease owner name of its workers.
    pub id: String,
    pub kind: ProcessKind,
    pub host: String,
    pub pid: u32,
    pub version: String,
    /// Its execution slots (0 without workers).
    pub concurrency: usize,
}

/// What a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessKind {
    /// `weft serve`: the API, webhooks, editor, triggers and workers.
    Serve,
    /// `weft serve --no-workers`: the API, webhooks, editor and triggers; executions run on
    /// workers elsewhere.
    Api,
    /// `weft worker`: executions and outgoing deliveries only.
    Worker,
}

impl ProcessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessKind::Serve => "serve",
            ProcessKind::Api => "api",
            ProcessKind::Worker => "worker",
        }
    }

    fn parse(s: &str) -> ProcessKind {
        match s {
            "api" => ProcessKind::Api,
            "worker" => ProcessKind::Worker,
            _ => ProcessKind::Serve,
        }
    }
}

/// Alive (heartbeat recent), stopped (said so) or dead (neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessState {
    Alive,
    Stopped,
    Dead,
}

/// A process as [`Store::list_processes`] shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessRecord {
    pub id: String,
    pub kind: ProcessKind,
    pub state: ProcessState,
    pub host: String,
    pub pid: u32,
    pub version: String,
    pub concurrency: usize,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// Executions it holds a claim on now.
    pub running: u64,
    /// Its writes the claim counter rejected, as of its last heartbeat.
    pub fenced_writes: u64,
}

/// A process without a heartbeat since this time (and no stop) is dead.
fn dead_before() -> DateTime<Utc> {
    now() - chrono::Duration::from_std(DEAD_AFTER).unwrap_or_default()
}

impl Store {
    /// Records that this process started (and forgets processes that ended a week ago).
    pub async fn register_process(&self, info: &ProcessInfo) -> Result<()> {
        let at = now();
        let row = process::ActiveModel {
            id: Set(info.id.clone()),
            kind: Set(info.kind.as_str().to_string()),
            host: Set(info.host.clone()),
            pid: Set(i32::try_from(info.pid).unwrap_or(i32::MAX)),
            version: Set(info.version.clone()),
            concurrency: Set(i32::try_from(info.concurrency).unwrap_or(i32::MAX)),
            started_at: Set(at),
            heartbeat_at: Set(at),
            stopped_at: Set(None),
            fenced_writes: Set(0),
        };
        let forget = at - FORGET_AFTER;
        self.write("register_process", true, move |txn| {
            Box::pin(async move {
                process::Entity::delete_many()
                    .filter(process::Column::HeartbeatAt.lt(forget))
                    .exec(txn)
                    .await?;
                process::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Renews the heartbeat of process `id` and records its fenced writes so far.
    pub async fn process_heartbeat(&self, id: &str) -> Result<()> {
        self.beat("process_heartbeat", id, false).await
    }

    /// Records that process `id` stopped on its own (a graceful shutdown).
    pub async fn process_stopped(&self, id: &str) -> Result<()> {
        self.beat("process_stopped", id, true).await
    }

    /// The heartbeat (and with `stopped` the stop) of process `id`, with its fenced writes.
    async fn beat(&self, what: &'static str, id: &str, stopped: bool) -> Result<()> {
        let id = id.to_string();
        let at = now();
        let fenced = i64::try_from(self.fenced_writes()).unwrap_or(i64::MAX);
        self.write(what, false, move |txn| {
            Box::pin(async move {
                let mut update = process::Entity::update_many()
                    .col_expr(process::Column::HeartbeatAt, Expr::value(at))
                    .col_expr(process::Column::FencedWrites, Expr::value(fenced));
                if stopped {
                    update = update.col_expr(process::Column::StoppedAt, Expr::value(Some(at)));
                }
                update.filter(process::Column::Id.eq(id)).exec(txn).await?;
                Ok(())
            })
        })
        .await
    }

    /// Whether a process other than `id` is alive on the database (a recent heartbeat, no
    /// stop).
    pub async fn peers_alive(&self, id: &str) -> Result<bool> {
        use sea_orm::PaginatorTrait;
        let n = process::Entity::find()
            .filter(process::Column::Id.ne(id))
            .filter(process::Column::StoppedAt.is_null())
            .filter(process::Column::HeartbeatAt.gt(dead_before()))
            .count(self.db())
            .await?;
        Ok(n > 0)
    }

    /// The processes, the newest first, with what each holds now.
    pub async fn list_processes(&self) -> Result<Vec<ProcessRecord>> {
        let rows = process::Entity::find()
            .order_by_desc(process::Column::StartedAt)
            .limit(MAX_LISTED)
            .all(self.db())
            .await?;
        let running: Vec<(Option<String>, i64)> = execution::Entity::find()
            .select_only()
            .column(execution::Column::LeaseOwner)
            .column_as(execution::Column::Id.count(), "n")
            .filter(execution::Column::Status.eq(ExecutionStatus::Running))
            .group_by(execution::Column::LeaseOwner)
            .into_tuple()
            .all(self.db())
            .await?;
        let dead_before = dead_before();
        Ok(rows
            .into_iter()
            .map(|p| {
                let state = if p.stopped_at.is_some() {
                    ProcessState::Stopped
                } else if p.heartbeat_at < dead_before {
                    ProcessState::Dead
                } else {
                    ProcessState::Alive
                };
                let running = running
                    .iter()
                    .find(|(owner, _)| owner.as_deref() == Some(p.id.as_str()))
                    .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
                ProcessRecord {
                    kind: ProcessKind::parse(&p.kind),
                    state,
                    host: p.host,
                    pid: u32::try_from(p.pid).unwrap_or(0),
                    version: p.version,
                    concurrency: usize::try_from(p.concurrency).unwrap_or(0),
                    started_at: p.started_at,
                    heartbeat_at: p.heartbeat_at,
                    stopped_at: p.stopped_at,
                    running,
                    fenced_writes: u64::try_from(p.fenced_writes).unwrap_or(0),
                    id: p.id,
                }
            })
            .collect())
    }

    /// Counts a write of this process that the claim counter rejected (the execution was
    /// claimed again after this process's lease ran out).
    pub fn note_fenced(&self) {
        self.inner.fenced.fetch_add(1, Ordering::Relaxed);
    }

    /// This process's writes rejected by the claim counter since it started.
    pub fn fenced_writes(&self) -> u64 {
        self.inner.fenced.load(Ordering::Relaxed)
    }
}

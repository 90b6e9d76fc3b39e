//! Executions and the queue.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use engine::journal::{ExecutionError, StepResult};
use engine::{ExecutionResult, TriggerEvent};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement, Value as DbValue,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::entity::{JsonText, execution, step_run, workflow};
use crate::error::{Error, Result};
use crate::journal::{ExecutionEvent, ExecutionEventKind};
use crate::records::{ExecutionRecord, ExecutionStatus, ExecutionSummary, StepRunRecord};
use crate::waiting::Outcome;
use crate::writer::{Row, SqlCache, Tx, cached_sql};
use crate::{Backend, Store, now};

/// A repeated idempotency key within this window returns the first execution.
pub const IDEMPOTENCY_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// What [`Store::enqueue`] stores.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    pub workflow_id: Uuid,
    /// The version to run (normally the workflow's current version).
    pub version: i32,
    /// `webhook`, `schedule`, `manual`.
    pub trigger_kind: String,
    /// The captured trigger event. The store serializes it to JSON text once, in `enqueue`;
    /// with [`NewExecution::claim_for`], the same event (not a copy) is what the claim hands the
    /// worker.
    pub request: Arc<TriggerEvent>,
    /// A caller-supplied key: the same key for the same workflow within 24 h returns the first
    /// execution instead of starting another.
    pub idempotency_key: Option<String>,
    /// What the key is bound to (e.g. a hash of the request's method, path and body): the same
    /// key with another fingerprint is [`Error::IdempotencyMismatch`], never the first
    /// execution.
    pub fingerprint: Option<String>,
    /// Started from `/hooks-test` or the editor.
    pub test: bool,
    /// Store it already claimed by this worker (a worker of this process with a free slot):
    /// it skips the queue, and [`Enqueued::claim`] is what the worker runs. Ignored for an
    /// execution with [`NewExecution::concurrency`]: that one is always queued, so that the
    /// claim counts its group and older ones go first.
    pub claim_for: Option<ClaimFor>,
    /// The concurrency group of an execution of a workflow with `concurrency:` (from
    /// `engine::Plan::concurrency_group`, which `worker::Worker::submit` fills in).
    pub concurrency: Option<Concurrency>,
}

/// At most `limit` executions of the workflow with this `key` run at once (see
/// [`Store::claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concurrency {
    /// The rendered `concurrency.key` (empty without one).
    pub key: String,
    pub limit: u32,
}

/// Who claims an execution as it is enqueued (see [`NewExecution::claim_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFor {
    pub worker: String,
    pub lease: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enqueued {
    pub execution_id: Uuid,
    /// The idempotency key was seen before: this is the first execution, nothing was inserted.
    pub duplicate: bool,
    /// With [`NewExecution::claim_for`], the claim of the new execution (attempt 1); `None`
    /// for a duplicate.
    #[serde(skip)]
    pub claim: Option<Claim>,
}

/// A new execution submitted to a process's workers (see `worker::Worker::submit`).
pub struct Submitted {
    pub enqueued: Enqueued,
    /// For a caller that waits for the end: the watch on it, and whether to read the database
    /// before waiting (the execution was queued, not started in this process).
    pub watch: Option<(crate::Watch, bool)>,
}

/// An execution a worker now holds, the attempt that fences its writes, and what it needs to
/// run it (so that it does not read the execution again).
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub execution_id: Uuid,
    pub attempt: i32,
    pub workflow_id: Uuid,
    pub version: i32,
    /// The captured trigger event: for a claim made at enqueue, the [`NewExecution::request`]
    /// itself; for a claim from the queue, parsed once from the stored text.
    pub request: Arc<TriggerEvent>,
    /// The execution this one retries (its journaled steps are copied into this one).
    pub retry_of: Option<Uuid>,
}

/// A row the claim returned, its request still text (parsed after the write).
struct ClaimedRow {
    execution_id: Uuid,
    attempt: i32,
    /// How many of the claims resumed a wait (not a run that was lost).
    resumes: i32,
    workflow_id: Uuid,
    version: i32,
    request: String,
    retry_of: Option<Uuid>,
}

/// Which executions to list. `Default` lists all, newest first, 50 at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionFilter {
    pub workflow_id: Option<Uuid>,
    pub status: Option<ExecutionStatus>,
    /// Created at or after.
    pub since: Option<DateTime<Utc>>,
    /// Created before.
    pub until: Option<DateTime<Utc>>,
    /// Only test executions (`Some(true)`) or only real ones (`Some(false)`).
    pub test: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Default 50, at most 200.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionPage {
    pub items: Vec<ExecutionSummary>,
    /// Pass as `cursor` for the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The condition of the partial `(status, id)` index (succeeded executions are left out; the
/// migration `m20261201_000003` holds the same text). A query that filters by another status
/// states it too: SQLite uses a partial index only for a query whose WHERE clause contains the
/// index's terms. A macro, so that the claim's SQL can be one literal with it.
macro_rules! indexed_statuses {
    () => {
        "status <> 'succeeded'"
    };
}

/// The condition of the partial `executions_limited` index (queued and running executions of
/// limited workflows; the migration `m20261202_000060` holds the same text), stated by the
/// queries that read it.
macro_rules! limited_rows {
    () => {
        "concurrency_key IS NOT NULL AND status IN ('queued', 'running')"
    };
}

/// The claim of queued executions of limited workflows (see [`Store::claim`]): the oldest
/// ones whose place in their group's queue (`n`) plus the group's running executions stays
/// within the limit. `$4`/`?4` is the claim's time, bound for the shape of the values only.
macro_rules! claim_limited {
    ($p1:literal, $p2:literal, $p3:literal, $p4:literal, $p5:literal) => {
        concat!(
            "UPDATE executions SET status = 'running', attempt = attempt + 1, \
             lease_owner = ", $p1, ", lease_expires_at = ", $p2, ", \
             started_at = COALESCE(started_at, ", $p3, ") \
             WHERE status = 'queued' AND id IN (SELECT id FROM ( \
               SELECT q.id AS id, q.concurrency_limit AS lim, \
                 ROW_NUMBER() OVER (PARTITION BY q.workflow_id, q.concurrency_key ORDER BY q.id) AS n, \
                 (SELECT COUNT(*) FROM executions r WHERE r.workflow_id = q.workflow_id \
                    AND r.concurrency_key = q.concurrency_key AND r.status = 'running' AND r.",
            limited_rows!(),
            ") AS busy \
               FROM executions q WHERE q.status = 'queued' AND q.",
            limited_rows!(),
            ") AS c WHERE c.n + c.busy <= c.lim AND ", $p4, " IS NOT NULL \
             ORDER BY c.id LIMIT ", $p5, ") \
             RETURNING id, attempt, resumes, workflow_id, version, request, retry_of"
        )
    };
}

const CLAIM_LIMITED_SQLITE: &str = claim_limited!("?1", "?2", "?3", "?4", "?5");
/// PostgreSQL measures leases by the database's clock: a lease ends `until - at` (the lease's
/// length, whatever this process's clock says) after the database's `now()`, and a lease has
/// run out when it ended before the database's `now()`. Processes whose clocks disagree then
/// still agree on who holds an execution.
const CLAIM_LIMITED_POSTGRES: &str = claim_limited!(
    "$1",
    "now() + ($2::timestamptz - $3::timestamptz)",
    "$3",
    "$4::timestamptz",
    "$5"
);

/// Taken in the transaction of a limited claim on PostgreSQL: one limited claim at a time
/// across every process on the database, so that two never count the same free places.
/// Released at commit; the next claim's statements see what this one committed.
const LIMITED_CLAIM_LOCK: &str = "SELECT pg_advisory_xact_lock(7308604897068083200)";

/// The claim on SQLite, one statement (see [`Store::claim`]).
const CLAIM_SQLITE: &str = concat!(
    "UPDATE executions SET status = 'running', attempt = attempt + 1, \
     lease_owner = ?1, lease_expires_at = ?2, started_at = COALESCE(started_at, ?3) \
     WHERE id IN (SELECT id FROM ( \
       SELECT id FROM (SELECT id FROM executions \
         WHERE status = 'running' AND ",
    indexed_statuses!(),
    " AND lease_expires_at < ?4 ORDER BY id LIMIT ?5) \
       UNION ALL \
       SELECT id FROM (SELECT id FROM executions WHERE status = 'queued' AND ",
    indexed_statuses!(),
    " AND concurrency_key IS NULL ORDER BY id LIMIT ?5) \
     ) LIMIT ?5) \
     RETURNING id, attempt, resumes, workflow_id, version, request, retry_of"
);

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

impl Store {
    /// Stores a queued execution and returns once it is committed (on SQLite: on disk).
    /// With an idempotency key already used for this workflow within 24 h, returns that
    /// execution with `duplicate: true` and stores nothing. [`Error::NotFound`] if the
    /// workflow version does not exist.
    pub async fn enqueue(&self, mut new: NewExecution) -> Result<Enqueued> {
        let id = Uuid::now_v7();
        let at = now();
        let workflow_id = new.workflow_id;
        let version = new.version;
        let key = new.idempotency_key.clone();
        let fingerprint = new.fingerprint.clone();
        let request = request_text(&new.request)?;
        // A limited execution waits in the queue: the claim counts its group.
        let (concurrency_key, concurrency_limit) = match new.concurrency {
            Some(c) => {
                new.claim_for = None;
                self.inner.limited_queued.store(true, Ordering::Release);
                (
                    Some(c.key),
                    Some(i32::try_from(c.limit).unwrap_or(i32::MAX)),
                )
            }
            None => (None, None),
        };
        // The claim made at enqueue carries the event itself; without one, it is dropped here
        // (its text is what is stored).
        let claim = new.claim_for.as_ref().map(|_| Claim {
            execution_id: id,
            attempt: 1,
            workflow_id,
            version,
            request: new.request,
            retry_of: None,
        });
        let (status, attempt, lease_owner, lease_expires_at, started_at) = match new.claim_for {
            Some(c) => (
                ExecutionStatus::Running,
                1,
                Some(c.worker),
                Some(at + lease_duration(c.lease)),
                Some(at),
            ),
            None => (ExecutionStatus::Queued, 0, None, None, None),
        };
        let row = execution::ActiveModel {
            id: Set(id),
            workflow_id: Set(new.workflow_id),
            version: Set(new.version),
            status: Set(status),
            trigger_kind: Set(new.trigger_kind),
            request: Set(request),
            response: Set(None),
            output: Set(None),
            error: Set(None),
            idempotency_key: Set(new.idempotency_key),
            idempotency_fingerprint: Set(new.fingerprint.clone()),
            test: Set(new.test),
            attempt: Set(attempt),
            // The column's default, 0.
            resumes: sea_orm::ActiveValue::NotSet,
            lease_owner: Set(lease_owner),
            lease_expires_at: Set(lease_expires_at),
            cancel_requested: Set(false),
            retry_of: Set(None),
            concurrency_key: Set(concurrency_key),
            concurrency_limit: Set(concurrency_limit),
            created_at: Set(at),
            started_at: Set(started_at),
            finished_at: Set(None),
        };
        let result = match key {
            // The common case is a single statement: no savepoint needed.
            None => self
                .insert("enqueue", Row::execution(self.db_backend(), row), true)
                .await
                .map(|()| Enqueued {
                    execution_id: id,
                    duplicate: false,
                    claim: None,
                }),
            Some(key) => {
                self.write("enqueue", true, move |txn| {
                    Box::pin(async move {
                        enqueue_keyed(txn, row, id, workflow_id, (key, fingerprint), at).await
                    })
                })
                .await
            }
        };
        result
            .map(|mut e| {
                if !e.duplicate {
                    if claim.is_none() {
                        // Queued for any worker: idle ones elsewhere start at once.
                        self.tell_queued();
                    }
                    e.claim = claim;
                }
                e
            })
            .map_err(|e| {
                if e.is_foreign_key_violation() {
                    Error::not_found("workflow version", format!("{workflow_id}@{version}"))
                } else {
                    e
                }
            })
    }

    /// Claims up to `max` executions for `worker`: queued ones, oldest first, and running ones
    /// whose lease expired (their worker died). Each becomes `running` with a lease until
    /// now + `lease`, `attempt + 1`, and `started_at` if it had none. Safe with any number of
    /// concurrent claimers, in this process or others (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    pub async fn claim(&self, worker: &str, lease: Duration, max: usize) -> Result<Vec<Claim>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let at = now();
        let until = at + lease_duration(lease);
        let backend = self.backend();
        let worker = worker.to_string();
        // Expired leases first (only the running rows are looked at), then the oldest queued
        // executions; each through the (status, id) index, whose condition the queries state
        // (see `indexed_statuses!`). One statement on SQLite.
        let statements: &'static [&'static str] = match backend {
            Backend::Sqlite => &[CLAIM_SQLITE],
            Backend::Postgres => &[
                // Leases by the database's clock (see `CLAIM_LIMITED_POSTGRES`).
                concat!(
                    "UPDATE executions SET status = 'running', attempt = attempt + 1, \
                     lease_owner = $1, lease_expires_at = now() + ($2::timestamptz - $3::timestamptz), \
                     started_at = COALESCE(started_at, $3) \
                     WHERE id IN (SELECT id FROM executions WHERE status = 'running' AND ",
                    indexed_statuses!(),
                    " AND lease_expires_at < now() AND $4::timestamptz IS NOT NULL \
                     ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, attempt, resumes, workflow_id, version, request, retry_of"
                ),
                concat!(
                    "UPDATE executions SET status = 'running', attempt = attempt + 1, \
                     lease_owner = $1, lease_expires_at = now() + ($2::timestamptz - $3::timestamptz), \
                     started_at = COALESCE(started_at, $3) \
                     WHERE id IN (SELECT id FROM executions WHERE status = 'queued' AND ",
                    indexed_statuses!(),
                    " AND concurrency_key IS NULL AND $4::timestamptz IS NOT NULL \
                     ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, attempt, resumes, workflow_id, version, request, retry_of"
                ),
            ],
        };
        // Executions of limited workflows are left to a statement of their own, run only when
        // some may be queued (see `limited_queued`): the claim of unlimited ones stays as it
        // was. On PostgreSQL it runs in a transaction, after the lock that orders limited
        // claims across processes.
        let limited = self.inner.limited_queued.swap(false, Ordering::AcqRel);
        let limited_sql = limited.then_some(match backend {
            Backend::Sqlite => (CLAIM_LIMITED_SQLITE, None),
            Backend::Postgres => (CLAIM_LIMITED_POSTGRES, Some(LIMITED_CLAIM_LOCK)),
        });
        let in_transaction = limited && backend == Backend::Postgres;
        let db_backend = self.db_backend();
        let written = self
            .write("claim", in_transaction, move |txn| {
                Box::pin(async move {
                    let mut claims = Vec::new();
                    let mut limited_full = false;
                    let values = |left: usize| {
                        [
                            DbValue::from(worker.clone()),
                            until.into(),
                            at.into(),
                            at.into(),
                            (left as i64).into(),
                        ]
                    };
                    let limited = limited_sql.map(|(sql, lock)| (sql, lock, true));
                    let unlimited = statements.iter().map(|sql| (*sql, None, false));
                    for (sql, lock, is_limited) in unlimited.chain(limited) {
                        let left = max - claims.len();
                        if left == 0 {
                            // Limited executions may still wait: look again next time.
                            limited_full |= is_limited;
                            break;
                        }
                        if let Some(lock) = lock {
                            txn.execute(Statement::from_string(db_backend, lock))
                                .await?;
                        }
                        let stmt = Statement::from_sql_and_values(db_backend, sql, values(left));
                        let rows = txn.query_all(stmt).await?;
                        limited_full |= is_limited && rows.len() == left;
                        for r in rows {
                            claims.push(ClaimedRow {
                                execution_id: r.try_get("", "id")?,
                                attempt: r.try_get("", "attempt")?,
                                resumes: r.try_get("", "resumes")?,
                                workflow_id: r.try_get("", "workflow_id")?,
                                version: r.try_get("", "version")?,
                                request: r.try_get("", "request")?,
                                retry_of: r.try_get("", "retry_of")?,
                            });
                        }
                    }
                    Ok((claims, limited_full))
                })
            })
            .await;
        let claims = match written {
            Ok((claims, limited_full)) => {
                if limited_full {
                    self.inner.limited_queued.store(true, Ordering::Release);
                }
                claims
            }
            Err(e) => {
                if limited {
                    self.inner.limited_queued.store(true, Ordering::Release);
                }
                return Err(e);
            }
        };
        // An execution claimed `max_claims` times before without finishing is a poison one
        // (claims that resumed a wait do not count: its run ended well):
        // finish it as failed (through the normal finish: waiters, events) instead; so is one
        // whose stored request is not a trigger event. The text is parsed here, once, off the
        // writer.
        let max_claims = self.inner.max_claims;
        let mut kept = Vec::with_capacity(claims.len());
        for c in claims {
            let failure = if c.attempt - c.resumes > max_claims {
                format!(
                    "claimed {} times without finishing: the worker stopped or lost its lease each time",
                    c.attempt - c.resumes - 1
                )
            } else {
                match serde_json::from_str::<TriggerEvent>(&c.request) {
                    Ok(request) => {
                        kept.push(Claim {
                            execution_id: c.execution_id,
                            attempt: c.attempt,
                            workflow_id: c.workflow_id,
                            version: c.version,
                            request: Arc::new(request),
                            retry_of: c.retry_of,
                        });
                        continue;
                    }
                    Err(e) => {
                        let message = format!("the stored request is not a trigger event: {e}");
                        tracing::error!(execution_id = %c.execution_id, error = %message, "cannot run the execution");
                        message
                    }
                }
            };
            let result = ExecutionResult::failed(c.execution_id, failure, chrono::Utc::now());
            self.finish_execution(c.execution_id, c.attempt, &result)
                .await?;
        }
        let mut claims = kept;
        claims.sort_by_key(|c| c.execution_id);
        Ok(claims)
    }

    /// Executions of limited workflows may be queued and claimable (one of them was queued or
    /// released here, one finished here and freed a place, or the poll: another process may
    /// have queued some): the next [`Store::claim`] looks for them.
    pub fn note_limited_queued(&self) {
        self.inner.limited_queued.store(true, Ordering::Release);
    }

    /// Extends the leases `worker` holds on these executions to now + `lease`.
    pub async fn heartbeat(&self, worker: &str, ids: &[Uuid], lease: Duration) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let at = now();
        let until = at + lease_duration(lease);
        let worker = worker.to_string();
        let ids = ids.to_vec();
        // PostgreSQL: by the database's clock (see `CLAIM_LIMITED_POSTGRES`).
        let expires = match self.backend() {
            Backend::Sqlite => Expr::value(until),
            Backend::Postgres => Expr::cust_with_values(
                "now() + ($1::timestamptz - $2::timestamptz)",
                [DbValue::from(until), DbValue::from(at)],
            ),
        };
        self.write("heartbeat", false, move |txn| {
            Box::pin(async move {
                execution::Entity::update_many()
                    .col_expr(execution::Column::LeaseExpiresAt, expires)
                    .filter(execution::Column::Id.is_in(ids))
                    .filter(execution::Column::LeaseOwner.eq(worker))
                    .filter(execution::Column::Status.eq(ExecutionStatus::Running))
                    .exec(txn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Hands executions `worker` holds back to the queue (graceful shutdown). Their journal
    /// stays: the next claim resumes after the steps already finished.
    pub async fn release(&self, worker: &str, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let worker = worker.to_string();
        let ids = ids.to_vec();
        // Some of them may be limited ones.
        self.note_limited_queued();
        self.write("release", false, move |txn| {
            Box::pin(async move {
                execution::Entity::update_many()
                    .col_expr(
                        execution::Column::Status,
                        Expr::value(ExecutionStatus::Queued),
                    )
                    .col_expr(execution::Column::LeaseOwner, Expr::value(None::<String>))
                    .col_expr(
                        execution::Column::LeaseExpiresAt,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .filter(execution::Column::Id.is_in(ids))
                    .filter(execution::Column::LeaseOwner.eq(worker))
                    .filter(execution::Column::Status.eq(ExecutionStatus::Running))
                    .exec(txn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// The newest execution of a workflow started by a trigger kind (e.g. a schedule's last
    /// tick), through the `(workflow_id, id)` index.
    pub async fn last_execution_of_kind(
        &self,
        workflow_id: Uuid,
        trigger_kind: &str,
    ) -> Result<Option<ExecutionRecord>> {
        execution::Entity::find()
            .filter(execution::Column::WorkflowId.eq(workflow_id))
            .filter(execution::Column::TriggerKind.eq(trigger_kind))
            .order_by_desc(execution::Column::Id)
            .one(self.db())
            .await?
            .map(ExecutionRecord::from_model)
            .transpose()
    }

    pub async fn execution(&self, id: Uuid) -> Result<Option<ExecutionRecord>> {
        execution::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(ExecutionRecord::from_model)
            .transpose()
    }

    /// Every step run of the execution (all attempts, items and final results), in the order
    /// they were written.
    pub async fn step_runs(&self, id: Uuid) -> Result<Vec<StepRunRecord>> {
        step_run::Entity::find()
            .filter(step_run::Column::ExecutionId.eq(id))
            .order_by_asc(step_run::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(StepRunRecord::from_model)
            .collect()
    }

    /// The final step results recorded so far, one per step (the newest if a resumed
    /// execution recorded a step twice), in the order they finished. Hand them to the engine
    /// as `Run::resume`.
    pub async fn finished_steps(&self, id: Uuid) -> Result<Vec<StepResult>> {
        let rows = step_run::Entity::find()
            .filter(step_run::Column::ExecutionId.eq(id))
            .filter(step_run::Column::IsFinal.eq(true))
            .order_by_desc(step_run::Column::Id)
            .all(self.db())
            .await?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for row in rows {
            if !seen.insert(row.step_id.clone()) {
                continue;
            }
            if let Some(r) = StepRunRecord::from_model(row)?.to_step_result() {
                out.push(r);
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Records the result if `attempt` still holds the execution (it is running and nobody
    /// claimed it since); `false` otherwise, and nothing is written.
    pub async fn finish_execution(
        &self,
        id: Uuid,
        attempt: i32,
        result: &ExecutionResult,
    ) -> Result<bool> {
        let status = result.status;
        let values = vec![
            DbValue::String(Some(Box::new(status.as_str().to_string()))),
            json_text(result.response.as_ref())?,
            json_text(result.output.as_ref())?,
            json_text(result.error.as_ref())?,
            DbValue::ChronoDateTimeUtc(Some(Box::new(now()))),
            DbValue::Uuid(Some(Box::new(id))),
            DbValue::Int(Some(attempt)),
        ];
        // A caller waiting in this process gets the outcome handed over (no read back).
        let outcome = self.waiters().waits_for(id).then(|| {
            // A caller that registered late still gets what a `respond` step answered before
            // a failure, as one that waited from the start did.
            let early = (result.response.is_none() && status.is_finished())
                .then(|| early_answer(&result.steps))
                .flatten();
            Outcome {
                id,
                status,
                early: early.is_some(),
                response: early.or_else(|| result.response.clone()),
                output: result.output.clone(),
                error: result.error.clone(),
            }
        });
        // Prepared here, off the SQLite writer's thread, from SQL built once per backend.
        static SQL: SqlCache = SqlCache::new();
        let backend = self.db_backend();
        let sql = cached_sql(&SQL, backend, || {
            let v = |i: usize| Expr::value(values[i].clone());
            execution::Entity::update_many()
                .col_expr(execution::Column::Status, v(0))
                .col_expr(execution::Column::Response, v(1))
                .col_expr(execution::Column::Output, v(2))
                .col_expr(execution::Column::Error, v(3))
                .col_expr(execution::Column::FinishedAt, v(4))
                // `lease_owner` stays: the process that ran it, shown by the API.
                .col_expr(execution::Column::LeaseExpiresAt, Expr::cust("NULL"))
                .filter(execution::Column::Id.eq(values[5].clone()))
                .filter(execution::Column::Attempt.eq(values[6].clone()))
                .filter(
                    Expr::col((execution::Entity, execution::Column::Status))
                        .eq(Expr::cust("'running'")),
                )
                .build(backend)
        });
        let update = Statement::from_sql_and_values(backend, sql, values);
        let updated = self
            .write("finish_execution", false, move |txn| {
                Box::pin(async move { Ok(txn.execute(update).await?.rows_affected()) })
            })
            .await?;
        if updated == 0 {
            self.note_fenced();
        }
        if updated == 1 {
            // A waiter that registered after the check above is woken too, and reads.
            self.tell_waiters(id, outcome.map(std::sync::Arc::new));
            self.publish(|| ExecutionEvent {
                execution_id: id,
                kind: ExecutionEventKind::Finished { status },
            });
        }
        Ok(updated == 1)
    }

    /// A page of executions, newest first.
    pub async fn list_executions(&self, f: ExecutionFilter) -> Result<ExecutionPage> {
        let limit = f.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as u64;
        #[derive(sea_orm::FromQueryResult)]
        struct Row {
            id: Uuid,
            workflow_id: Uuid,
            version: i32,
            status: String,
            trigger_kind: String,
            error: Option<JsonText>,
            test: bool,
            attempt: i32,
            retry_of: Option<Uuid>,
            lease_owner: Option<String>,
            created_at: DateTime<Utc>,
            started_at: Option<DateTime<Utc>>,
            finished_at: Option<DateTime<Utc>>,
        }
        let rows = list_select(&f)?
            .limit(limit + 1)
            .into_model::<Row>()
            .all(self.db())
            .await?;
        let more = rows.len() as u64 > limit;
        let items = rows
            .into_iter()
            .take(limit as usize)
            .map(|r| {
                Ok(ExecutionSummary {
                    id: r.id,
                    workflow_id: r.workflow_id,
                    version: r.version,
                    status: crate::records::parse_status(&r.status)?,
                    trigger_kind: r.trigger_kind,
                    error: r
                        .error
                        .map(|e| e.0)
                        .filter(|v| !v.is_null())
                        .map(serde_json::from_value::<ExecutionError>)
                        .transpose()
                        .map_err(Error::corrupt)?,
                    test: r.test,
                    attempt: r.attempt,
                    retry_of: r.retry_of,
                    process: r.lease_owner,
                    created_at: r.created_at,
                    started_at: r.started_at,
                    finished_at: r.finished_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if more {
            items.last().map(|i| i.id.simple().to_string())
        } else {
            None
        };
        Ok(ExecutionPage { items, next_cursor })
    }

    /// Cancels the execution: a queued or waiting one at once; for a running one, sets
    /// `cancel_requested` (the worker polls [`Store::cancel_requested_among`] and an
    /// [`ExecutionEventKind::CancelRequested`] event is published). Cancelling a cancelled
    /// execution changes nothing; a succeeded or failed one is an [`Error::Conflict`].
    pub async fn cancel_execution(&self, id: Uuid) -> Result<ExecutionRecord> {
        let at = now();
        let record = self
            .write("cancel_execution", true, move |txn| {
                Box::pin(async move {
                    let Some(m) = execution::Entity::find_by_id(id).one(txn).await? else {
                        return Err(Error::not_found("execution", id));
                    };
                    let mut r = ExecutionRecord::from_model(m)?;
                    match r.status {
                        ExecutionStatus::Queued | ExecutionStatus::Waiting => {
                            let error = ExecutionError {
                                step_id: None,
                                message: "the execution was cancelled".into(),
                            };
                            execution::Entity::update_many()
                                .col_expr(
                                    execution::Column::Status,
                                    Expr::value(ExecutionStatus::Cancelled),
                                )
                                .col_expr(
                                    execution::Column::Error,
                                    Expr::value(JsonText(to_json(&error)?)),
                                )
                                .col_expr(execution::Column::CancelRequested, Expr::value(true))
                                .col_expr(execution::Column::FinishedAt, Expr::value(at))
                                .filter(execution::Column::Id.eq(id))
                                .exec(txn)
                                .await?;
                            r.status = ExecutionStatus::Cancelled;
                            r.error = Some(error);
                            r.cancel_requested = true;
                            r.finished_at = Some(at);
                        }
                        ExecutionStatus::Running => {
                            execution::Entity::update_many()
                                .col_expr(execution::Column::CancelRequested, Expr::value(true))
                                .filter(execution::Column::Id.eq(id))
                                .exec(txn)
                                .await?;
                            r.cancel_requested = true;
                        }
                        ExecutionStatus::Cancelled => {}
                        s @ (ExecutionStatus::Succeeded | ExecutionStatus::Failed) => {
                            return Err(Error::conflict(format!(
                                "execution {id} already {}",
                                s.as_str()
                            )));
                        }
                    }
                    Ok(r)
                })
            })
            .await?;
        match record.status {
            ExecutionStatus::Cancelled if record.finished_at == Some(at) => {
                self.tell_waiters(id, None);
                self.publish(|| ExecutionEvent {
                    execution_id: id,
                    kind: ExecutionEventKind::Finished {
                        status: ExecutionStatus::Cancelled,
                    },
                })
            }
            ExecutionStatus::Running => self.publish(|| ExecutionEvent {
                execution_id: id,
                kind: ExecutionEventKind::CancelRequested,
            }),
            _ => {}
        }
        Ok(record)
    }

    /// Which of these executions have a cancel request (one query for a worker's whole set).
    pub async fn cancel_requested_among(&self, ids: &[Uuid]) -> Result<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(execution::Entity::find()
            .select_only()
            .column(execution::Column::Id)
            .filter(execution::Column::Id.is_in(ids.to_vec()))
            .filter(execution::Column::CancelRequested.eq(true))
            .into_tuple::<Uuid>()
            .all(self.db())
            .await?)
    }

    /// Deletes the execution and its step runs.
    pub async fn delete_execution(&self, id: Uuid) -> Result<()> {
        let deleted = self
            .write("delete_execution", false, move |txn| {
                Box::pin(async move {
                    Ok(execution::Entity::delete_by_id(id)
                        .exec(txn)
                        .await?
                        .rows_affected)
                })
            })
            .await?;
        if deleted == 0 {
            return Err(Error::not_found("execution", id));
        }
        Ok(())
    }

    /// Queues a new execution of the same workflow version with the same request
    /// (`retry_of` points at the old one). `from_failed_step`: the old execution's steps that
    /// succeeded or were skipped (and failed steps that continued on error) are copied as final
    /// results, so the engine resumes after them and runs the failed step again with the same
    /// inputs. The old execution must have finished ([`Error::Conflict`] otherwise).
    /// Queues a finished execution again as a new one (`retry_of` names the old): from the
    /// start or from its failed step (the steps that succeeded are copied), with the version it
    /// ran or, with `current_version`, the workflow's current version.
    pub async fn retry_execution(
        &self,
        id: Uuid,
        from_failed_step: bool,
        current_version: bool,
    ) -> Result<Uuid> {
        let new_id = Uuid::now_v7();
        let at = now();
        // The old execution may be a limited one (its group is copied).
        self.note_limited_queued();
        self.write("retry_execution", true, move |txn| {
            Box::pin(async move {
                let Some(old) = execution::Entity::find_by_id(id).one(txn).await? else {
                    return Err(Error::not_found("execution", id));
                };
                let status = old.status;
                if !status.is_finished() {
                    return Err(Error::conflict(format!(
                        "execution {id} is {}: only a finished execution can be retried",
                        status.as_str()
                    )));
                }
                let version = if current_version {
                    let Some(w) = workflow::Entity::find_by_id(old.workflow_id)
                        .one(txn)
                        .await?
                    else {
                        return Err(Error::not_found("workflow", old.workflow_id));
                    };
                    w.current_version
                } else {
                    old.version
                };
                let row = execution::ActiveModel {
                    id: Set(new_id),
                    workflow_id: Set(old.workflow_id),
                    version: Set(version),
                    status: Set(ExecutionStatus::Queued),
                    trigger_kind: Set(old.trigger_kind),
                    request: Set(old.request),
                    response: Set(None),
                    output: Set(None),
                    error: Set(None),
                    idempotency_key: Set(None),
                    idempotency_fingerprint: Set(None),
                    test: Set(old.test),
                    attempt: Set(0),
                    resumes: sea_orm::ActiveValue::NotSet,
                    lease_owner: Set(None),
                    lease_expires_at: Set(None),
                    cancel_requested: Set(false),
                    retry_of: Set(Some(id)),
                    concurrency_key: Set(old.concurrency_key),
                    concurrency_limit: Set(old.concurrency_limit),
                    created_at: Set(at),
                    started_at: Set(None),
                    finished_at: Set(None),
                };
                execution::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await?;
                if from_failed_step {
                    copy_final_steps(txn, id, new_id).await?;
                }
                Ok(new_id)
            })
        })
        .await
    }
}

async fn enqueue_keyed(
    txn: &Tx<'_>,
    row: execution::ActiveModel,
    id: Uuid,
    workflow_id: Uuid,
    (key, fingerprint): (String, Option<String>),
    at: DateTime<Utc>,
) -> Result<Enqueued> {
    // An expired key is released from its old execution so that the unique index lets the
    // new one have it.
    execution::Entity::update_many()
        .col_expr(
            execution::Column::IdempotencyKey,
            Expr::value(None::<String>),
        )
        .filter(execution::Column::WorkflowId.eq(workflow_id))
        .filter(execution::Column::IdempotencyKey.eq(key.as_str()))
        .filter(execution::Column::CreatedAt.lt(at - IDEMPOTENCY_WINDOW))
        .exec(txn)
        .await?;
    let inserted = execution::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                execution::Column::WorkflowId,
                execution::Column::IdempotencyKey,
            ])
            // The index is partial: only executions with a key are in it.
            .target_and_where(Expr::col(execution::Column::IdempotencyKey).is_not_null())
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 1 {
        return Ok(Enqueued {
            execution_id: id,
            duplicate: false,
            claim: None,
        });
    }
    let (first, bound_to) = execution::Entity::find()
        .select_only()
        .column(execution::Column::Id)
        .column(execution::Column::IdempotencyFingerprint)
        .filter(execution::Column::WorkflowId.eq(workflow_id))
        .filter(execution::Column::IdempotencyKey.eq(key.as_str()))
        .into_tuple::<(Uuid, Option<String>)>()
        .one(txn)
        .await?
        .ok_or_else(|| {
            Error::conflict(format!(
                "the idempotency key `{key}` is taken by an execution that vanished"
            ))
        })?;
    // A key belongs to the request that first used it: another request with the same key is
    // refused rather than answered with the first one's execution (or result).
    if bound_to != fingerprint {
        return Err(Error::IdempotencyMismatch { key });
    }
    Ok(Enqueued {
        execution_id: first,
        duplicate: true,
        claim: None,
    })
}

/// Copies the steps of `from` that resume adopts (final rows that succeeded, were skipped, or
/// failed with an output) into `to`, as final rows written by no attempt (0).
async fn copy_final_steps(txn: &Tx<'_>, from: Uuid, to: Uuid) -> Result<()> {
    let rows = step_run::Entity::find()
        .filter(step_run::Column::ExecutionId.eq(from))
        .filter(step_run::Column::IsFinal.eq(true))
        .order_by_desc(step_run::Column::Id)
        .all(txn)
        .await?;
    let mut seen = HashSet::new();
    let mut copies = Vec::new();
    for row in rows {
        if !seen.insert(row.step_id.clone()) {
            continue;
        }
        let keep = crate::records::StepRunRecord::from_model(row.clone())?
            .to_step_result()
            .is_some_and(|r| r.adoptable());
        if keep {
            copies.push(row);
        }
    }
    copies.reverse();
    for row in copies {
        let copy = step_run::Model {
            id: Uuid::now_v7(),
            execution_id: to,
            execution_attempt: 0,
            ..row
        };
        step_run::Entity::insert(step_run::ActiveModel::from(copy))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn lease_duration(lease: Duration) -> chrono::Duration {
    chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::days(365))
}

/// The text of the `request` column: the one place a trigger event becomes JSON text. Its shape
/// is `TriggerEvent`'s serde form (`{kind, method, path, headers, query, body}`, in that order),
/// which is also what rows written before as a `serde_json::Value` hold.
///
/// The text is measured first and written into a buffer of its exact size: grown by doubling,
/// a 10 MiB request would take up to three times its size while it is written.
pub(crate) fn request_text(event: &TriggerEvent) -> Result<String> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let failed = |e: serde_json::Error| {
        Error::invalid(format!(
            "the trigger event is not serializable as JSON: {e}"
        ))
    };
    let mut size = Count(0);
    serde_json::to_writer(&mut size, event).map_err(failed)?;
    let mut text = Vec::with_capacity(size.0);
    serde_json::to_writer(&mut text, event).map_err(failed)?;
    String::from_utf8(text)
        .map_err(|e| Error::invalid(format!("the trigger event's JSON is not UTF-8: {e}")))
}

/// A JSON column's value written straight from `v` (its JSON text; NULL for `None`), without
/// going through a `serde_json::Value` copy.
pub(crate) fn json_text<T: Serialize + ?Sized>(v: Option<&T>) -> Result<DbValue> {
    Ok(DbValue::String(match v {
        Some(v) => Some(Box::new(serde_json::to_string(v).map_err(|e| {
            Error::invalid(format!("not serializable as JSON: {e}"))
        })?)),
        None => None,
    }))
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::invalid(format!("not serializable as JSON: {e}")))
}

fn parse_cursor(c: &str) -> Result<Uuid> {
    Uuid::parse_str(c).map_err(|_| Error::invalid(format!("invalid cursor `{c}`")))
}

/// The listing's query without its limit: the filters, the summary's columns, newest first.
fn list_select(f: &ExecutionFilter) -> Result<sea_orm::Select<execution::Entity>> {
    let mut q = execution::Entity::find();
    if let Some(w) = f.workflow_id {
        q = q.filter(execution::Column::WorkflowId.eq(w));
    }
    if let Some(s) = f.status {
        q = q.filter(execution::Column::Status.eq(s));
        if s != ExecutionStatus::Succeeded {
            q = q.filter(Expr::cust(indexed_statuses!()));
        }
    }
    if let Some(t) = f.since {
        q = q.filter(execution::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(execution::Column::CreatedAt.lt(t));
    }
    if let Some(t) = f.test {
        q = q.filter(execution::Column::Test.eq(t));
    }
    if let Some(c) = &f.cursor {
        q = q.filter(execution::Column::Id.lt(parse_cursor(c)?));
    }
    let columns = [
        execution::Column::Id,
        execution::Column::WorkflowId,
        execution::Column::Version,
        execution::Column::Status,
        execution::Column::TriggerKind,
        execution::Column::Error,
        execution::Column::Test,
        execution::Column::Attempt,
        execution::Column::RetryOf,
        execution::Column::LeaseOwner,
        execution::Column::CreatedAt,
        execution::Column::StartedAt,
        execution::Column::FinishedAt,
    ];
    Ok(q.select_only()
        .columns(columns)
        .order_by_desc(execution::Column::Id))
}

/// The answer of the first `respond` step that succeeded, which a waiting caller got at once
/// (see `Store::wait_answerable`).
pub(crate) fn early_answer(steps: &[engine::journal::StepResult]) -> Option<engine::Response> {
    steps
        .iter()
        .filter(|s| s.status == engine::journal::StepStatus::Succeeded)
        .find_map(|s| s.response.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};

    /// SQLite's plan for `sql`, one detail line per step.
    async fn plan(store: &Store, st: Statement) -> String {
        let explain = Statement {
            sql: format!("EXPLAIN QUERY PLAN {}", st.sql),
            ..st
        };
        let rows = store.db().query_all(explain).await.unwrap();
        rows.iter()
            .map(|r| r.try_get::<String>("", "detail").unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn the_queue_and_listings_by_unsucceeded_statuses_read_the_partial_status_index() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let claim = plan(
            &store,
            Statement::from_string(DbBackend::Sqlite, CLAIM_SQLITE),
        )
        .await;
        assert_eq!(
            claim.matches("INDEX executions_status (status=?)").count(),
            2,
            "{claim}"
        );
        for status in [
            ExecutionStatus::Queued,
            ExecutionStatus::Running,
            ExecutionStatus::Failed,
            ExecutionStatus::Cancelled,
        ] {
            let filter = ExecutionFilter {
                status: Some(status),
                ..Default::default()
            };
            let select = list_select(&filter).unwrap().build(DbBackend::Sqlite);
            let listing = plan(&store, select).await;
            assert!(
                listing.contains("INDEX executions_status (status=?)"),
                "{status:?}: {listing}"
            );
        }
    }

    #[test]
    fn the_request_text_is_what_rows_written_from_a_value_hold() {
        let event = TriggerEvent {
            kind: "webhook".into(),
            method: "POST".into(),
            path: "/hooks/x".into(),
            headers: [
                ("x-b".to_string(), "2".to_string()),
                ("x-a".into(), "1".into()),
            ]
            .into(),
            query: [("q".to_string(), "v".to_string())].into(),
            body: serde_json::json!({ "zeta": 1, "alpha": [1, 2], "nul": "a\u{0}b" }),
            parent: None,
            test: None,
        };
        let text = request_text(&event).unwrap();
        // Byte for byte the text of the `Value` form rows were written from before.
        assert_eq!(text, event.to_value().to_string());
        assert_eq!(serde_json::from_str::<TriggerEvent>(&text).unwrap(), event);
    }
}

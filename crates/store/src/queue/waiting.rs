//! Waiting for an execution to finish (sync webhooks, `?wait=true`) and a liveness check.
//!
//! A waiter registers a oneshot for its execution; finishing it in this process fires it (with
//! the [`Outcome`], so that a sync webhook answers without reading the execution back), so a
//! waiter wakes once, not for every event of every execution. A finish in another process
//! (several workers on PostgreSQL) is seen by a periodic re-read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::Response;
use engine::journal::ExecutionError;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{ExecutionRecord, ExecutionStatus, Result, Store};

/// How an execution ended: what a caller waiting for it is answered with.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: Uuid,
    pub status: ExecutionStatus,
    /// The `respond` step's answer (or, for a failure, the trigger's `on_failure` answer).
    pub response: Option<Response>,
    /// `response` is what a `respond` step answered while the execution ran on (the status
    /// may be `running`, or `failed` by a later step): the caller gets it as it is.
    pub early: bool,
    /// The last step's output.
    pub output: Option<Value>,
    pub error: Option<ExecutionError>,
}

impl From<ExecutionRecord> for Outcome {
    fn from(e: ExecutionRecord) -> Outcome {
        Outcome {
            id: e.id,
            status: e.status,
            early: false,
            response: e.response,
            output: e.output,
            error: e.error,
        }
    }
}

/// What a waiter is woken with: the outcome when the finish happened in this process.
pub(crate) type Wake = Option<Arc<Outcome>>;

/// Pending `wait_finished` calls by execution id.
#[derive(Default)]
pub(crate) struct Waiters {
    map: Mutex<HashMap<Uuid, Vec<oneshot::Sender<Wake>>>>,
    count: AtomicUsize,
}

impl Waiters {
    pub(crate) fn is_empty(&self) -> bool {
        self.count.load(Ordering::Relaxed) == 0
    }

    /// Whether somebody waits for this execution.
    pub(crate) fn waits_for(&self, id: Uuid) -> bool {
        !self.is_empty() && self.map.lock().expect("waiters lock").contains_key(&id)
    }

    fn register(&self, id: Uuid) -> oneshot::Receiver<Wake> {
        let (tx, rx) = oneshot::channel();
        let mut map = self.map.lock().expect("waiters lock");
        map.entry(id).or_default().push(tx);
        self.count.fetch_add(1, Ordering::Relaxed);
        rx
    }

    pub(crate) fn wake(&self, id: Uuid, outcome: Wake) {
        if self.is_empty() {
            return;
        }
        let senders = self.map.lock().expect("waiters lock").remove(&id);
        if let Some(senders) = senders {
            self.count.fetch_sub(senders.len(), Ordering::Relaxed);
            for tx in senders {
                let _ = tx.send(outcome.clone());
            }
        }
    }

    /// Drops the registrations of a waiter that gave up.
    fn forget(&self, id: Uuid) {
        let mut map = self.map.lock().expect("waiters lock");
        if let Some(list) = map.get_mut(&id) {
            let before = list.len();
            list.retain(|tx| !tx.is_closed());
            self.count.fetch_sub(before - list.len(), Ordering::Relaxed);
            if list.is_empty() {
                map.remove(&id);
            }
        }
    }
}

impl Store {
    /// The database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db().execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Waits until the execution finished (returning it), or `timeout` passed (`None`).
    pub async fn wait_finished(
        &self,
        id: Uuid,
        timeout: Duration,
    ) -> Result<Option<ExecutionRecord>> {
        Ok(self
            .wait_until(id, timeout, |e| e.status.is_finished(), false)
            .await?
            .map(|o| o.0))
    }

    /// Waits until the execution finished or waits (`action: wait`: it may wait for days, so
    /// a caller waiting for it gets it now), returning it, or `timeout` passed (`None`).
    pub async fn wait_settled(
        &self,
        id: Uuid,
        timeout: Duration,
    ) -> Result<Option<ExecutionRecord>> {
        Ok(self
            .wait_until(id, timeout, answerable, false)
            .await?
            .map(|o| o.0))
    }

    /// Waits until the execution can answer a caller waiting for it, or `timeout` passed
    /// (`None`): it finished, it waits, or a `respond` step answered while it goes on (then
    /// [`Outcome::early`], with that step's answer, also if a later step failed).
    pub async fn wait_answerable(&self, id: Uuid, timeout: Duration) -> Result<Option<Outcome>> {
        Ok(self
            .wait_until(id, timeout, answerable, true)
            .await?
            .map(|(e, early)| Outcome {
                early,
                ..Outcome::from(e)
            }))
    }

    /// The answer of the first `respond` step of a running execution, once its result is
    /// durable.
    pub async fn early_response(&self, id: Uuid) -> Result<Option<Response>> {
        use crate::entity::{JsonText, step_run};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
        let row = step_run::Entity::find()
            .select_only()
            .column(step_run::Column::Response)
            .filter(step_run::Column::ExecutionId.eq(id))
            .filter(step_run::Column::IsFinal.eq(true))
            .filter(step_run::Column::Status.eq(engine::journal::StepStatus::Succeeded))
            .filter(step_run::Column::Response.is_not_null())
            .order_by_asc(step_run::Column::FinishedAt)
            .into_tuple::<Option<JsonText>>()
            .one(self.db())
            .await?;
        Ok(row
            .flatten()
            .map(|v| v.0)
            .filter(|v| !v.is_null())
            .and_then(|v| serde_json::from_value(v).ok()))
    }

    async fn wait_until(
        &self,
        id: Uuid,
        timeout: Duration,
        done_when: fn(&ExecutionRecord) -> bool,
        early: bool,
    ) -> Result<Option<(ExecutionRecord, bool)>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register before reading, so that a finish in between is not missed.
            let mut done = self.waiters().register(id);
            let found = self.settled(id, done_when, early).await;
            let last = tokio::time::Instant::now() >= deadline;
            if !matches!(found, Ok(Some(None))) || last {
                drop(done);
                self.waiters().forget(id);
                return Ok(found?.flatten());
            }
            let recheck = (tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline);
            let woken = tokio::select! {
                r = &mut done => r.is_ok(),
                _ = tokio::time::sleep_until(recheck) => false,
            };
            if !woken {
                drop(done);
                self.waiters().forget(id);
            }
        }
    }

    /// One look for [`Store::wait_until`]: `None`, no such execution; `Some(None)`, not yet;
    /// else the record, and whether its answer is a `respond` step's sent early.
    async fn settled(
        &self,
        id: Uuid,
        done_when: fn(&ExecutionRecord) -> bool,
        early: bool,
    ) -> Result<Option<Option<(ExecutionRecord, bool)>>> {
        let Some(mut e) = self.execution(id).await? else {
            return Ok(None);
        };
        let done = done_when(&e);
        // Running on (or waiting) after a `respond` step, or failed after one: the caller gets
        // its answer (a succeeded execution's record holds it already).
        let look = early && e.status != ExecutionStatus::Succeeded;
        if look && let Some(response) = self.early_response(id).await? {
            e.response = Some(response);
            return Ok(Some(Some((e, true))));
        }
        Ok(Some(done.then_some((e, false))))
    }

    /// Starts watching for the end of an execution; see [`Watch::outcome`]. Register before
    /// the execution can finish (e.g. before handing a claim to the worker) to miss nothing.
    pub fn watch(&self, id: Uuid) -> Watch {
        Watch {
            rx: Some(self.waiters().register(id)),
            store: self.clone(),
            id,
        }
    }
}

/// Finished, or waiting (see [`Store::wait_answerable`]).
fn answerable(e: &ExecutionRecord) -> bool {
    e.status.is_finished() || e.status == ExecutionStatus::Waiting
}

/// A registered wait for one execution's end, or its wait (see [`Store::watch`]).
pub struct Watch {
    store: Store,
    id: Uuid,
    rx: Option<oneshot::Receiver<Wake>>,
}

impl Watch {
    /// How the execution ended, that it waits (status `waiting`), or what a `respond` step
    /// answered while it runs on ([`Outcome::early`]); `None` after `timeout`. `read_first`: it
    /// may have finished before the watch was registered, so look at the database first. A
    /// finish (or an early answer) in this process answers without reading the execution back;
    /// one elsewhere is seen by the periodic re-read of [`Store::wait_answerable`].
    pub async fn outcome(mut self, timeout: Duration, read_first: bool) -> Result<Option<Outcome>> {
        let rx = self.rx.take().expect("outcome takes the watch once");
        if read_first {
            // The general wait: it registers and reads itself.
            drop(rx);
            self.store.waiters().forget(self.id);
            return self.store.wait_answerable(self.id, timeout).await;
        }
        let first = timeout.min(Duration::from_secs(1));
        if let Ok(Ok(Some(outcome))) = tokio::time::timeout(first, rx).await {
            return Ok(Some(Arc::unwrap_or_clone(outcome)));
        }
        self.store.waiters().forget(self.id);
        let left = timeout.saturating_sub(first);
        self.store.wait_answerable(self.id, left).await
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.rx.take().is_some() {
            self.store.waiters().forget(self.id);
        }
    }
}

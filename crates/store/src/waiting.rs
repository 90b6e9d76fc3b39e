//! Waiting for an execution to finish (sync webhooks, `?wait=true`) and a liveness check.
//!
//! A waiter registers a oneshot for its execution; finishing it in this process fires it, so a
//! waiter wakes once, not for every event of every execution. A finish in another process
//! (several workers on PostgreSQL) is seen by a periodic re-read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{ExecutionRecord, Result, Store};

/// Pending `wait_finished` calls by execution id.
#[derive(Default)]
pub(crate) struct Waiters {
    map: Mutex<HashMap<Uuid, Vec<oneshot::Sender<()>>>>,
    count: AtomicUsize,
}

impl Waiters {
    pub(crate) fn is_empty(&self) -> bool {
        self.count.load(Ordering::Relaxed) == 0
    }

    fn register(&self, id: Uuid) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut map = self.map.lock().expect("waiters lock");
        map.entry(id).or_default().push(tx);
        self.count.fetch_add(1, Ordering::Relaxed);
        rx
    }

    pub(crate) fn wake(&self, id: Uuid) {
        let senders = self.map.lock().expect("waiters lock").remove(&id);
        if let Some(senders) = senders {
            self.count.fetch_sub(senders.len(), Ordering::Relaxed);
            for tx in senders {
                let _ = tx.send(());
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
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register before reading, so that a finish in between is not missed.
            let mut done = self.waiters().register(id);
            match self.execution(id).await? {
                Some(e) if e.status.is_finished() => {
                    drop(done);
                    self.waiters().forget(id);
                    return Ok(Some(e));
                }
                None => {
                    drop(done);
                    self.waiters().forget(id);
                    return Ok(None);
                }
                Some(_) => {}
            }
            let recheck = (tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline);
            let woken = tokio::select! {
                r = &mut done => r.is_ok(),
                _ = tokio::time::sleep_until(recheck) => false,
            };
            if !woken {
                drop(done);
                self.waiters().forget(id);
                if tokio::time::Instant::now() >= deadline {
                    return Ok(self.execution(id).await?.filter(|e| e.status.is_finished()));
                }
            }
        }
    }
}

//! The trigger runtime of `weft serve`: what each trigger kind runs in the server
//! ([`engine::trigger::TriggerKind::start`], e.g. a scheduler), started once per kind when the
//! server starts and stopped on graceful shutdown. Kinds reach the server through [`Host`]: the
//! store's active workflows and a way to submit executions.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::trigger::{ActiveWorkflow, Submission, TriggerContext, TriggerHost, TriggerKinds};
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

/// How long [`TriggerRuntime::stop`] waits for the kinds' tasks before cutting them.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The tasks the trigger kinds started.
pub struct TriggerRuntime {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl TriggerRuntime {
    /// Calls every registered kind's `start` with `host`; runs each task it returns.
    pub fn start(kinds: &TriggerKinds, host: Arc<dyn TriggerHost>) -> TriggerRuntime {
        let (stop, stopping) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for kind in kinds.iter() {
            let context = TriggerContext {
                host: host.clone(),
                stop: stopping.clone(),
            };
            if let Some(task) = kind.start(context) {
                tracing::debug!(kind = kind.info().kind, "trigger kind started");
                tasks.spawn(task);
            }
        }
        TriggerRuntime { stop, tasks }
    }

    /// How many kinds started a task.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Signals every task to stop and waits for them (at most [`STOP_GRACE`], then aborts the
    /// rest).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let all = async {
            while let Some(r) = self.tasks.join_next().await {
                if let Err(e) = r
                    && e.is_panic()
                {
                    tracing::error!("a trigger kind's task panicked: {e}");
                }
            }
        };
        if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
            tracing::warn!("trigger kinds' tasks did not stop in time; cut");
            self.tasks.abort_all();
        }
    }
}

/// The server as trigger kinds see it: the store's active workflows (their plans from the
/// shared cache), and the local workers' `submit`.
pub struct Host {
    pub store: store::Store,
    pub plans: Arc<store::Plans>,
    pub worker: worker::Worker,
}

#[async_trait]
impl TriggerHost for Host {
    async fn active_workflows(&self, kind: &str) -> Result<Vec<ActiveWorkflow>, String> {
        // Asked every second by the scheduler: ids and versions only; a version's document is
        // read and compiled once, by the plan cache.
        let routes = self
            .store
            .active_routes(kind)
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(routes.len());
        for r in routes {
            let plan = self
                .plans
                .get(r.workflow_id, r.version)
                .await
                .map_err(|e| e.to_string())?;
            out.push(ActiveWorkflow {
                id: r.workflow_id,
                version: r.version,
                plan,
            });
        }
        Ok(out)
    }

    async fn last_scheduled(&self, workflow_id: Uuid) -> Result<Option<DateTime<Utc>>, String> {
        let last = self
            .store
            .last_execution_of_kind(workflow_id, "schedule")
            .await
            .map_err(|e| e.to_string())?;
        Ok(last.and_then(|e| {
            e.request.to_value()["body"]["scheduled_at"]
                .as_str()
                .and_then(|t| t.parse().ok())
        }))
    }

    async fn submit(&self, s: Submission) -> Result<Uuid, String> {
        let submitted = self
            .worker
            .submit(
                store::NewExecution {
                    workflow_id: s.workflow_id,
                    version: s.version,
                    trigger_kind: s.event.kind.clone(),
                    request: s.event,
                    idempotency_key: s.idempotency_key,
                    fingerprint: None,
                    test: false,
                    claim_for: None,
                    concurrency: None,
                },
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(submitted.enqueued.execution_id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use engine::trigger::{TriggerInfo, TriggerKind, TriggerTask};

    use super::*;

    /// A kind whose task records when it starts and when it stops.
    struct Recording(Arc<Mutex<Vec<&'static str>>>);

    impl TriggerKind for Recording {
        fn info(&self) -> TriggerInfo {
            TriggerInfo {
                kind: "recording",
                title: "Recording",
                description: "records start and stop",
            }
        }

        fn start(&self, mut context: TriggerContext) -> Option<TriggerTask> {
            let log = self.0.clone();
            log.lock().unwrap().push("started");
            Some(Box::pin(async move {
                let _ = context.stop.wait_for(|stop| *stop).await;
                log.lock().unwrap().push("stopped");
            }))
        }
    }

    struct NoHost;

    #[async_trait]
    impl TriggerHost for NoHost {
        async fn active_workflows(&self, _: &str) -> Result<Vec<ActiveWorkflow>, String> {
            Err("no store here".into())
        }
        async fn submit(&self, _: Submission) -> Result<Uuid, String> {
            Err("no store here".into())
        }
    }

    #[tokio::test]
    async fn every_kind_is_started_once_and_stopped_on_shutdown() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut kinds = triggers::kinds().clone();
        kinds.register(Recording(log.clone()));
        let runtime = TriggerRuntime::start(&kinds, Arc::new(NoHost));
        // The schedule kind's scheduler and the recording kind's task; webhook and manual start
        // nothing. (The scheduler, with no store to read, retries until stopped.)
        assert_eq!(runtime.len(), 2);
        assert_eq!(*log.lock().unwrap(), ["started"]);
        tokio::task::yield_now().await;
        assert_eq!(*log.lock().unwrap(), ["started"], "runs until stopped");
        runtime.stop().await;
        assert_eq!(*log.lock().unwrap(), ["started", "stopped"]);
    }
}

//! The worker loop: claims queued executions from the store's queue, runs them with the engine
//! (journaling every step into the store), and records the result. Crash recovery falls out of
//! the queue: an execution whose lease expired is claimed again and resumes from its journal.

pub mod deliveries;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::credentials::CredentialsProvider;
use engine::{Cancel, Limits, Run};
use serde_json::{Map, Value};
use store::Claim;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

mod services;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// A name unique among the processes sharing the queue.
    pub id: String,
    /// Executions running at once in this worker.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat; a dead worker's executions are taken over
    /// after this.
    pub lease: Duration,
    /// How often to look for work when nobody tells us there is some.
    pub poll: Duration,
    /// On shutdown, how long running executions get to finish before being handed back.
    pub shutdown_grace: Duration,
    pub limits: Limits,
    /// How deep workflow calls (`action: workflow`) may nest: a child of a child … of this
    /// depth may not call another.
    pub max_call_depth: u32,
    /// How executions' resume URLs (`{{execution.resume_url}}`) are made; `None`: they have
    /// none (a callback wait can then only time out).
    pub resume_urls: Option<ResumeUrls>,
}

/// The base and key of resume URLs: `{base}/hooks/_resume/{execution}/{token}`.
#[derive(Debug, Clone)]
pub struct ResumeUrls {
    /// The public URL of the server, without a trailing `/` (empty: relative URLs).
    pub base: String,
    pub key: store::ResumeKey,
}

impl ResumeUrls {
    pub fn url(&self, execution_id: Uuid) -> String {
        self.key.url(&self.base, execution_id)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            id: format!("worker-{}", Uuid::now_v7()),
            concurrency: 64,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(250),
            shutdown_grace: Duration::from_secs(10),
            limits: Limits::default(),
            max_call_depth: 10,
            resume_urls: None,
        }
    }
}

/// Everything a worker needs.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    store: store::Store,
    /// Compiled plans, shared with the webhook intake.
    plans: Arc<store::Plans>,
    credentials: Arc<dyn CredentialsProvider>,
    env: Arc<Map<String, Value>>,
    config: Config,
    /// Cancel signals of the executions running here.
    running: Mutex<HashMap<Uuid, Cancel>>,
    wake: Notify,
    /// Slots taken: running executions plus reservations (see [`Worker::reserve`]).
    busy: AtomicUsize,
    /// The queue may hold executions to claim (see the run loop).
    maybe_queued: AtomicBool,
    /// The tasks running executions, spawned by the run loop (claims) and by
    /// [`Reservation::start`] (claims made at enqueue) alike; `None` once shutdown began.
    tasks: Mutex<Option<JoinSet<()>>>,
}

/// How long an execution interrupted by a transient store error waits before it goes back to
/// the queue.
const HAND_BACK_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a claimed execution could not start.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Plan(#[from] store::PlanError),
    #[error("the steps to resume from could not be read: {0}")]
    Resume(store::Error),
}

impl StartError {
    /// A store error that may pass: the execution goes back to the queue instead of failing.
    fn is_transient(&self) -> bool {
        match self {
            StartError::Plan(store::PlanError::Store(e)) | StartError::Resume(e) => {
                e.is_transient()
            }
            StartError::Plan(_) => false,
        }
    }
}

/// Releases executions claimed by this worker back to the queue.
async fn hand_back(inner: &Inner, ids: &[Uuid]) {
    if let Err(e) = inner.store.release(&inner.config.id, ids).await {
        tracing::warn!(error = %e, "could not hand executions back; their leases will expire");
    }
}

/// A slot of a worker held for an execution that is being enqueued already claimed for it
/// (see [`store::NewExecution::claim_for`]). Dropping it unused frees the slot.
pub struct Reservation {
    worker: Option<Worker>,
}

impl Reservation {
    /// Who the execution is claimed for.
    pub fn claim_for(&self) -> store::ClaimFor {
        let inner = &self.worker.as_ref().expect("reservation").inner;
        store::ClaimFor {
            worker: inner.config.id.clone(),
            lease: inner.config.lease,
        }
    }

    /// Starts the stored claim in the reserved slot, on a task of its own (the caller's task
    /// may end before the execution does). If the worker is shutting down, the claim is handed
    /// back to the queue instead.
    pub fn start(mut self, claim: Claim) {
        let worker = self.worker.take().expect("reservation");
        worker.start(claim);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(w) = self.worker.take() {
            w.inner.busy.fetch_sub(1, Ordering::AcqRel);
            // A slot freed: queued work may be waiting for it.
            w.inner.wake.notify_one();
        }
    }
}

impl Worker {
    pub fn new(
        store: store::Store,
        plans: Arc<store::Plans>,
        credentials: Arc<dyn CredentialsProvider>,
        env: Arc<Map<String, Value>>,
        config: Config,
    ) -> Worker {
        Worker {
            inner: Arc::new(Inner {
                store,
                plans,
                credentials,
                env,
                config,
                running: Mutex::new(HashMap::new()),
                wake: Notify::new(),
                busy: AtomicUsize::new(0),
                maybe_queued: AtomicBool::new(true),
                tasks: Mutex::new(Some(JoinSet::new())),
            }),
        }
    }

    /// Takes up to `max` free slots; how many it took.
    fn take_slots(&self, max: usize) -> usize {
        let limit = self.inner.config.concurrency;
        let mut taken = 0;
        let _ = self
            .inner
            .busy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |busy| {
                taken = limit.saturating_sub(busy).min(max);
                (taken > 0).then_some(busy + taken)
            });
        taken
    }

    /// Holds a free slot for an execution about to be enqueued already claimed by this worker:
    /// it then skips the queue (no claim round trip, no read of what was just written).
    /// `None` when every slot is taken: enqueue it as queued.
    pub fn reserve(&self) -> Option<Reservation> {
        (self.take_slots(1) == 1).then(|| Reservation {
            worker: Some(self.clone()),
        })
    }

    /// Commits a new execution and gets it running: in a free slot of this worker (stored
    /// already claimed by it and started at once, skipping the queue), else queued and the
    /// run loop woken. With `watch` (the caller waits for the end), also the [`store::Watch`]
    /// on its end, registered before the worker can finish it, and whether it must read the
    /// database first (a queued execution may finish before the watch starts).
    pub async fn submit(
        &self,
        mut new: store::NewExecution,
        watch: bool,
    ) -> store::Result<store::Submitted> {
        // A limited workflow's execution gets its group and waits in the queue (the claim
        // counts the group); the others may skip the queue.
        new.concurrency = self
            .inner
            .plans
            .concurrency(new.workflow_id, new.version, &new.request)
            .await?;
        let reserved = if new.concurrency.is_some() {
            None
        } else {
            self.reserve()
        };
        new.claim_for = reserved.as_ref().map(Reservation::claim_for);
        let mut enqueued = self.inner.store.enqueue(new).await?;
        let watch = watch.then(|| self.inner.store.watch(enqueued.execution_id));
        let handed = match (reserved, enqueued.claim.take()) {
            (Some(r), Some(claim)) => {
                r.start(claim);
                true
            }
            _ => {
                self.wake();
                false
            }
        };
        Ok(store::Submitted {
            enqueued,
            watch: watch.map(|w| (w, !handed)),
        })
    }

    /// Tells the worker there may be new work (e.g. right after an enqueue in this process).
    pub fn wake(&self) {
        self.inner.maybe_queued.store(true, Ordering::Release);
        self.inner.wake.notify_one();
    }

    /// Asks a running execution to stop (it ends as `cancelled`). Returns whether it runs here.
    pub fn cancel(&self, execution_id: Uuid) -> bool {
        match self.inner.running.lock().expect("lock").get(&execution_id) {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }

    /// Runs until `shutdown` turns true; then stops claiming, gives running executions
    /// `shutdown_grace` to finish, and hands the rest back to the queue.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let inner = &self.inner;
        let mut heartbeat = tokio::time::interval(inner.config.lease / 3);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut poll = tokio::time::interval(inner.config.poll);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut wake_poll = tokio::time::interval(Duration::from_secs(1));
        wake_poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut cancel_poll = tokio::time::interval(Duration::from_millis(500));
        cancel_poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tracing::info!(worker = %inner.config.id, concurrency = inner.config.concurrency, "worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.reap();
            // Claim only when the queue may hold work: something was enqueued as queued, the
            // last claim filled every slot, or the poll (other processes, expired leases).
            // Not after every finished execution: most arrive claimed already (`reserve`), and
            // a claim is a write.
            if inner.maybe_queued.swap(false, Ordering::AcqRel) {
                let free = self.take_slots(usize::MAX);
                let mut claimed = 0;
                if free > 0 {
                    let started = std::time::Instant::now();
                    let claimed_now = inner
                        .store
                        .claim(&inner.config.id, inner.config.lease, free)
                        .await;
                    store::metrics().observe(
                        "weft_claim_duration_seconds",
                        &[],
                        started.elapsed().as_secs_f64(),
                    );
                    match claimed_now {
                        Ok(claims) => {
                            claimed = claims.len();
                            for c in claims {
                                self.start(c);
                            }
                        }
                        Err(e) => {
                            tracing::warn!(worker = %inner.config.id, error = %e, "claiming executions failed");
                        }
                    }
                    inner.busy.fetch_sub(free - claimed, Ordering::AcqRel);
                }
                if free == 0 || claimed == free {
                    // No slot, or every slot filled: there may be more once one frees.
                    inner.maybe_queued.store(true, Ordering::Release);
                }
            }
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = poll.tick() => {
                    // Other processes may have queued (or freed places for) limited ones.
                    inner.store.note_limited_queued();
                    inner.maybe_queued.store(true, Ordering::Release)
                }
                _ = heartbeat.tick() => self.heartbeat().await,
                _ = cancel_poll.tick() => self.poll_cancellations().await,
                _ = wake_poll.tick() => self.wake_due().await,
                _ = shutdown.changed() => {}
            }
        }
        // From now on, claims made at enqueue are handed back as they come (`start`).
        let mut tasks = inner
            .tasks
            .lock()
            .expect("lock")
            .take()
            .expect("a worker runs once");
        // Shutdown: no new claims; let running executions finish for a while.
        let grace = tokio::time::sleep(inner.config.shutdown_grace);
        tokio::pin!(grace);
        while !tasks.is_empty() {
            tokio::select! {
                _ = tasks.join_next() => {}
                _ = &mut grace => break,
            }
        }
        let left: Vec<Uuid> = inner
            .running
            .lock()
            .expect("lock")
            .keys()
            .copied()
            .collect();
        tasks.abort_all();
        if !left.is_empty() {
            tracing::info!(worker = %inner.config.id, count = left.len(), "handing unfinished executions back to the queue");
            hand_back(inner, &left).await;
        }
        tracing::info!(worker = %inner.config.id, "worker stopped");
    }

    async fn heartbeat(&self) {
        let inner = &self.inner;
        let ids: Vec<Uuid> = inner
            .running
            .lock()
            .expect("lock")
            .keys()
            .copied()
            .collect();
        if ids.is_empty() {
            return;
        }
        if let Err(e) = inner
            .store
            .heartbeat(&inner.config.id, &ids, inner.config.lease)
            .await
        {
            tracing::warn!(worker = %inner.config.id, error = %e, "renewing leases failed");
        }
    }

    /// Queues again the waiting executions whose timer is due (`action: wait`).
    async fn wake_due(&self) {
        match self.inner.store.wake_due().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::debug!(count = n, "waits elapsed; executions queued again");
                self.inner.maybe_queued.store(true, Ordering::Release);
            }
            Err(e) => tracing::warn!(error = %e, "looking for elapsed waits failed"),
        }
    }

    async fn poll_cancellations(&self) {
        let inner = &self.inner;
        let ids: Vec<Uuid> = inner
            .running
            .lock()
            .expect("lock")
            .keys()
            .copied()
            .collect();
        let requested = match inner.store.cancel_requested_among(&ids).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(worker = %inner.config.id, error = %e, "reading cancel requests failed");
                return;
            }
        };
        let running = inner.running.lock().expect("lock");
        for id in requested {
            if let Some(cancel) = running.get(&id) {
                cancel.cancel();
            }
        }
    }

    /// Gives an execution that a transient store error stopped back to the queue, after a
    /// pause that lets the store recover (the claim limit, `max_claims`, still ends one that
    /// never gets through), and wakes the run loop to claim it again.
    async fn hand_back_later(&self, id: Uuid) {
        tokio::time::sleep(HAND_BACK_PAUSE).await;
        hand_back(&self.inner, &[id]).await;
        self.inner.maybe_queued.store(true, Ordering::Release);
        self.inner.wake.notify_one();
    }

    /// Runs a claim (holding its slot) on a task of its own; hands it back to the queue if
    /// the worker is shutting down.
    fn start(&self, claim: Claim) {
        let mut tasks = self.inner.tasks.lock().expect("lock");
        match tasks.as_mut() {
            Some(tasks) => {
                let w = self.clone();
                tasks.spawn(async move { w.execute(claim).await });
            }
            None => {
                drop(tasks);
                self.inner.busy.fetch_sub(1, Ordering::AcqRel);
                let inner = self.inner.clone();
                tokio::spawn(async move { hand_back(&inner, &[claim.execution_id]).await });
            }
        }
    }

    /// Drops the tasks of finished executions.
    fn reap(&self) {
        if let Some(tasks) = self.inner.tasks.lock().expect("lock").as_mut() {
            while tasks.try_join_next().is_some() {}
        }
    }

    /// Runs one claimed execution to its end and records the result; frees its slot.
    async fn execute(&self, claim: Claim) {
        use tracing::Instrument;
        let span = tracing::info_span!("execution", execution_id = %claim.execution_id, attempt = claim.attempt);
        let version = (claim.workflow_id, claim.version);
        self.execute_in_span(claim).instrument(span).await;
        self.inner.busy.fetch_sub(1, Ordering::AcqRel);
        // A limited execution that ends frees a place in its group: claim its next one.
        if let Ok(plan) = self.inner.plans.get(version.0, version.1).await
            && plan.concurrency.is_some()
        {
            self.inner.store.note_limited_queued();
            self.inner.maybe_queued.store(true, Ordering::Release);
        }
        // A slot freed: queued work may be waiting for it.
        if self.inner.maybe_queued.load(Ordering::Acquire) {
            self.inner.wake.notify_one();
        }
    }

    async fn execute_in_span(&self, claim: Claim) {
        let inner = &self.inner;
        let Claim {
            execution_id: id,
            attempt,
            workflow_id,
            version,
            request,
            retry_of,
        } = claim;
        let outcome = async {
            let plan = inner.plans.get(workflow_id, version).await?;
            // The claim's event is normally the only reference left (the store serialized it
            // and let go): it moves into the run without a copy.
            let trigger = Arc::unwrap_or_clone(request);
            // Only an execution that ran before (a crash, a hand-back) or that copies the steps
            // of the one it retries has journaled steps to resume from.
            let (resume, resumed) = if attempt == 1 && retry_of.is_none() {
                (Vec::new(), Default::default())
            } else {
                let steps = inner
                    .store
                    .finished_steps(id)
                    .await
                    .map_err(StartError::Resume)?;
                // The waits an earlier run recorded (a resumed `wait` step reads its own).
                let waits = inner.store.waits_of(id).await.map_err(StartError::Resume)?;
                (steps, waits)
            };
            Ok::<_, StartError>((plan, trigger, resume, resumed))
        }
        .await;
        let (plan, trigger, resume, resumed) = match outcome {
            Ok(x) => x,
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "cannot start the execution yet; handing it back");
                self.hand_back_later(id).await;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot run the execution");
                let result = engine::ExecutionResult::failed(id, e.to_string(), chrono::Utc::now());
                let _ = inner.store.finish_execution(id, attempt, &result).await;
                return;
            }
        };
        let cancel = Cancel::new();
        inner
            .running
            .lock()
            .expect("lock")
            .insert(id, cancel.clone());
        let journal = inner.store.journal(id, attempt);
        // An error workflow's own failure starts no other error workflow (no loops).
        let on_error = plan
            .workflow
            .on_error
            .as_ref()
            .filter(|_| trigger.kind != services::ERROR_KIND)
            .map(|o| o.workflow.clone());
        let services = services::ExecutionServices {
            worker: self.clone(),
            execution_id: id,
            workflow_id,
            workflow: plan.workflow.name.clone(),
            parent: trigger.parent.clone(),
        };
        let mut run = Run::new(
            id,
            trigger,
            &inner.env,
            inner.credentials.as_ref(),
            &journal,
        );
        run.resume = resume;
        run.resumed = resumed;
        run.resume_url = inner.config.resume_urls.as_ref().map(|r| r.url(id));
        run.services = &services;
        run.cancel = Some(cancel);
        run.limits = inner.config.limits;
        // A panic fails the execution (and frees its slot and claim) instead of the task.
        let result = engine::execute_catching(&plan, &run).await;
        if let Some(e) = result
            .error
            .as_ref()
            .filter(|e| e.message.starts_with("the execution panicked"))
        {
            tracing::error!(error = %e.message, "the execution panicked");
        }
        if result.interrupted {
            // A transient store error stopped it (busy, a lost connection, a failed commit):
            // what was recorded stands, so it goes back to the queue and resumes from there
            // instead of failing. A pause first lets the store recover; the claim limit
            // (`max_claims`) still ends one that never gets through.
            tracing::warn!(error = ?result.error.as_ref().map(|e| &e.message), "the journal failed transiently; handing the execution back");
            inner.running.lock().expect("lock").remove(&id);
            self.hand_back_later(id).await;
            return;
        }
        if result.status == engine::ExecutionStatus::Waiting {
            // Its results first, then the wait: a resumed run adopts what it recorded.
            let suspended = match engine::Journal::settle(&journal, id).await {
                Ok(()) => {
                    inner
                        .store
                        .suspend_execution(id, attempt, &result.waits)
                        .await
                }
                Err(e) => Err(store::Error::Closed).inspect_err(
                    |_| tracing::warn!(error = %e, "the steps before the wait were not recorded"),
                ),
            };
            inner.running.lock().expect("lock").remove(&id);
            match suspended {
                Ok(true) => {
                    tracing::debug!(waits = result.waits.len(), "execution waiting");
                    // A wait that was already due or resumed queued it again.
                    self.wake();
                }
                Ok(false) => tracing::warn!("the execution was taken over by another worker"),
                Err(e) => {
                    tracing::warn!(error = %e, "recording the wait failed; handing the execution back");
                    self.hand_back_later(id).await;
                }
            }
            return;
        }
        if result.status == engine::ExecutionStatus::Failed
            && let Some(name) = &on_error
        {
            // Queued before the finish, under a key per failed execution: a crash in between
            // runs the execution again, and a second failure finds the error run queued.
            services.start_error_workflow(name, &result).await;
        }
        match inner.store.finish_execution(id, attempt, &result).await {
            Ok(true) => {
                tracing::debug!(status = result.status.as_str(), "execution finished");
                let metrics = store::metrics();
                metrics.inc(
                    "weft_executions_total",
                    &[
                        ("workflow", plan.workflow.name.as_str()),
                        ("status", result.status.as_str()),
                    ],
                );
                for step in result.steps.iter().filter(|s| s.finished_at.is_some()) {
                    metrics.observe(
                        "weft_step_duration_seconds",
                        &[("action", step.action.as_str())],
                        step.duration_us as f64 / 1e6,
                    );
                }
                // Step results the engine queued and did not wait for committed before the
                // finish (the writer keeps order); say if one of them failed.
                if let Err(e) = engine::Journal::settle(&journal, id).await {
                    tracing::error!(error = %e, "a step result of the execution was not recorded");
                }
            }
            Ok(false) => {
                tracing::warn!("the execution was taken over by another worker; result dropped")
            }
            Err(e) => {
                tracing::error!(error = %e, "recording the execution result failed; it will be retried after its lease expires")
            }
        }
        inner.running.lock().expect("lock").remove(&id);
    }
}

//! The executor: runs a [`Plan`] as a DAG. Steps whose inputs are done run concurrently (in one
//! task, bounded per execution); every step event goes to the [`Journal`], and a step's result is
//! recorded before any step that depends on it starts.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::action::{ActionContext, ActionError, ActionOutput};
use crate::credentials::CredentialsProvider;
use crate::journal::{
    ExecutionError, ExecutionResult, ExecutionStatus, Journal, JournalError, StepEvent, StepResult,
    StepStatus, TestData, TriggerEvent,
};
use crate::plan::{Plan, PlannedStep};
use crate::services::{NoServices, Services};
use crate::template::Scope;

/// Bounds of one execution.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Steps running at once in one execution.
    pub max_parallel_steps: usize,
    /// Used when the workflow sets no `timeout`.
    pub execution_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_parallel_steps: 32,
            execution_timeout: Some(Duration::from_secs(3600)),
        }
    }
}

/// A signal to cancel a running execution from outside (the API's "cancel").
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<(AtomicBool, Notify)>);

impl Cancel {
    pub fn new() -> Self {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Everything one execution needs besides the plan.
pub struct Run<'a> {
    pub execution_id: Uuid,
    /// The trigger event as templates read it under `trigger`: [`TriggerEvent::into_value`],
    /// made once by [`Run::new`] by moving the event (its body is not copied).
    pub trigger: Value,
    /// Variables templates may read as `env.*` (only what the operator allow-listed).
    pub env: &'a Map<String, Value>,
    pub credentials: &'a dyn CredentialsProvider,
    pub journal: &'a dyn Journal,
    /// Child executions and durable deliveries ([`NoServices`] unless the host sets them).
    pub services: &'a dyn Services,
    /// Results recorded by an earlier, interrupted attempt: steps that succeeded (or were
    /// skipped) are not run again.
    pub resume: Vec<StepResult>,
    /// For an execution resumed after a `wait`: what the host recorded of each waiting step's
    /// wait, by step id (see [`ActionContext::resumed`]).
    pub resumed: HashMap<String, Value>,
    /// The execution's resume URL (`{{execution.resume_url}}`), when the host has one.
    pub resume_url: Option<String>,
    pub cancel: Option<Cancel>,
    pub limits: Limits,
    /// A test run's pins and its one step ([`TriggerEvent::test`], taken by [`Run::new`]).
    pub test: Option<TestData>,
}

impl<'a> Run<'a> {
    /// A run with no journal, no credentials, no resume and default limits.
    pub fn new(
        execution_id: Uuid,
        mut trigger: TriggerEvent,
        env: &'a Map<String, Value>,
        credentials: &'a dyn CredentialsProvider,
        journal: &'a dyn Journal,
    ) -> Self {
        let test = trigger.test.take();
        Run {
            execution_id,
            test,
            trigger: trigger.into_value(),
            env,
            credentials,
            journal,
            services: &NoServices,
            resume: Vec::new(),
            resumed: HashMap::new(),
            resume_url: None,
            cancel: None,
            limits: Limits::default(),
        }
    }
}

struct Shared<'p> {
    plan: &'p Plan,
    run: &'p Run<'p>,
    /// A journal write failed with a transient error (see [`ExecutionResult::interrupted`]).
    interrupted: std::sync::atomic::AtomicBool,
    execution: Value,
    /// The W3C trace the execution belongs to (its trigger's `traceparent`, else its own).
    trace: crate::trace::Trace,
    /// Steps that suspended the execution (`wait`).
    waits: std::sync::Mutex<Vec<crate::journal::Wait>>,
}

type StepFuture<'p> = Pin<Box<dyn Future<Output = (usize, StepResult)> + Send + 'p>>;

/// [`execute`], with a panic anywhere in the execution (an action, a template, the executor)
/// turned into a `failed` result: `the execution panicked: <message>`.
pub async fn execute_catching<'p>(plan: &'p Plan, run: &'p Run<'p>) -> ExecutionResult {
    use futures::FutureExt;
    let started_at = Utc::now();
    match std::panic::AssertUnwindSafe(execute(plan, run))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(payload) => ExecutionResult::failed(
            run.execution_id,
            format!("the execution panicked: {}", panic_message(&*payload)),
            started_at,
        ),
    }
}

/// The message of a panic's payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Runs the plan to the end (success, failure, timeout or cancellation).
pub async fn execute<'p>(plan: &'p Plan, run: &'p Run<'p>) -> ExecutionResult {
    let started_at = Utc::now();
    let shared = Shared::new(plan, run, started_at);
    let mut state = State::new(&shared);
    let timeout = plan.timeout.or(run.limits.execution_timeout);
    let deadline = timeout.map(|d| tokio::time::Instant::now() + d);
    loop {
        state.start_ready().await;
        if state.running.is_empty() {
            break;
        }
        match state.next_finished(deadline, timeout).await {
            Ok((i, r)) => state.finish(i, r).await,
            Err(stop) => state.failure = Some(stop),
        }
        if state.failure.is_some() {
            state.stop_running().await;
            break;
        }
    }
    state.into_result(started_at)
}

impl<'p> Shared<'p> {
    fn new(plan: &'p Plan, run: &'p Run<'p>, started_at: DateTime<Utc>) -> Self {
        let mut execution = json!({
            "id": run.execution_id.to_string(),
            "started_at": started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "workflow": plan.workflow.name,
        });
        if let Some(url) = &run.resume_url {
            execution["resume_url"] = Value::String(url.clone());
        }
        let traceparent = run.trigger["headers"]["traceparent"].as_str();
        Shared {
            plan,
            run,
            interrupted: Default::default(),
            trace: crate::trace::Trace::of(run.execution_id, traceparent),
            execution,
            waits: Default::default(),
        }
    }
}

/// One execution in progress: what finished, what runs, what is ready to.
struct State<'s> {
    sh: &'s Shared<'s>,
    results: Vec<Option<StepResult>>,
    outputs: HashMap<String, Arc<Value>>,
    /// The inputs each step still waits for.
    remaining: Vec<usize>,
    ready: VecDeque<usize>,
    /// Results of an earlier attempt this one adopts, by step id.
    resume: HashMap<String, StepResult>,
    running: FuturesUnordered<StepFuture<'s>>,
    /// When each running step started.
    in_flight: HashMap<usize, DateTime<Utc>>,
    failure: Option<(ExecutionStatus, ExecutionError)>,
    max_parallel: usize,
    /// Results queued in the journal since the last `settle`.
    unsettled: bool,
}

impl<'s> State<'s> {
    fn new(sh: &'s Shared<'s>) -> Self {
        let (plan, run) = (sh.plan, sh.run);
        let n = plan.steps.len();
        let remaining: Vec<usize> = plan.steps.iter().map(|s| s.inputs.len()).collect();
        let ready: VecDeque<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
        let resume: HashMap<String, StepResult> = run
            .resume
            .iter()
            .filter(|r| r.adoptable())
            .map(|r| (r.step_id.clone(), r.clone()))
            .collect();
        State {
            sh,
            results: vec![None; n],
            outputs: HashMap::new(),
            remaining,
            ready,
            resume,
            running: FuturesUnordered::new(),
            in_flight: HashMap::new(),
            failure: None,
            max_parallel: run.limits.max_parallel_steps.max(1),
            unsettled: false,
        }
    }

    /// Starts (or skips, or adopts from the journal) every ready step it may.
    async fn start_ready(&mut self) {
        while self.failure.is_none() && self.running.len() < self.max_parallel {
            let Some(i) = self.ready.pop_front() else {
                break;
            };
            match self.adopt_or_skip(i).await {
                Some(r) => self.complete(i, r),
                None => {
                    if !self.settle_before(i).await {
                        break;
                    }
                    self.start(i);
                }
            }
        }
    }

    /// A ready step's result without running it: adopted from the earlier attempt, or
    /// `skipped` (and queued in the journal) when none of its input edges is active.
    async fn adopt_or_skip(&mut self, i: usize) -> Option<StepResult> {
        let run = self.sh.run;
        let step = &self.sh.plan.steps[i];
        if let Some(prior) = self.resume.remove(&step.id) {
            return Some(prior);
        }
        if let Some(test) = &run.test {
            if let Some(pin) = test.pins.get(&step.id) {
                let now = Utc::now();
                let pinned = StepResult {
                    input: Some(json!({ "pinned": true })),
                    output: Some(pin.clone()),
                    started_at: Some(now),
                    finished_at: Some(now),
                    ..StepResult::new(&step.id, &step.action_kind, StepStatus::Succeeded)
                };
                return Some(self.queue_finished(pinned).await);
            }
            match &test.only {
                // The one step runs whatever its inputs did (they are pinned or skipped).
                Some(only) if *only == step.id => return None,
                Some(_) => {
                    let skipped = StepResult::new(&step.id, &step.action_kind, StepStatus::Skipped);
                    return Some(self.queue_finished(skipped).await);
                }
                None => {}
            }
        }
        if step.inputs.is_empty()
            || step
                .inputs
                .iter()
                .any(|(j, port)| edge_active(self.results[*j].as_ref(), port))
        {
            return None;
        }
        let skipped = StepResult::new(&step.id, &step.action_kind, StepStatus::Skipped);
        Some(self.queue_finished(skipped).await)
    }

    /// A result the executor made without running the step, queued in the journal.
    async fn queue_finished(&mut self, r: StepResult) -> StepResult {
        let run = self.sh.run;
        self.unsettled = true;
        if let Err(e) = run.journal.queue_finished(run.execution_id, &r).await {
            self.failure = Some(self.sh.journal_failure(&r.step_id, e));
        }
        r
    }

    /// Output commit: an effect outside Weft never builds on a result that a crash could still
    /// lose, so an unsafe step first waits for the journal to settle. False if that failed.
    async fn settle_before(&mut self, i: usize) -> bool {
        let run = self.sh.run;
        let step = &self.sh.plan.steps[i];
        if self.unsettled && !step.safe {
            self.unsettled = false;
            if let Err(e) = run.journal.settle(run.execution_id).await {
                self.failure = Some(self.sh.journal_failure(&step.id, e));
                return false;
            }
        }
        true
    }

    /// Starts step `i` with the outputs its templates read.
    fn start(&mut self, i: usize) {
        let sh = self.sh;
        let snapshot: HashMap<String, Arc<Value>> = sh.plan.steps[i]
            .reads_steps
            .iter()
            .filter_map(|id| self.outputs.get(id).map(|v| (id.clone(), v.clone())))
            .collect();
        self.in_flight.insert(i, Utc::now());
        self.running.push(Box::pin(async move {
            let r = run_step(sh, i, snapshot).await;
            (i, r)
        }));
    }

    /// The next step to finish (whatever its status), or why the execution stops first: it
    /// timed out or was cancelled.
    async fn next_finished(
        &mut self,
        deadline: Option<tokio::time::Instant>,
        timeout: Option<Duration>,
    ) -> Result<(usize, StepResult), (ExecutionStatus, ExecutionError)> {
        let cancel = self.sh.run.cancel.as_ref();
        tokio::select! {
            Some((i, r)) = self.running.next() => Ok((i, r)),
            _ = sleep_until(deadline) => Err((ExecutionStatus::Failed, ExecutionError {
                step_id: None,
                message: format!("the execution timed out after {}", fmt_duration(timeout.unwrap_or_default())),
            })),
            _ = cancelled(cancel) => Err((ExecutionStatus::Cancelled, ExecutionError {
                step_id: None,
                message: "the execution was cancelled".into(),
            })),
        }
    }

    /// A step that ran finished: queue its result in the journal; a failure that does not
    /// continue ends the execution.
    async fn finish(&mut self, i: usize, r: StepResult) {
        let run = self.sh.run;
        let step = &self.sh.plan.steps[i];
        self.in_flight.remove(&i);
        self.unsettled = true;
        if let Err(e) = run.journal.queue_finished(run.execution_id, &r).await {
            self.failure = Some(self.sh.journal_failure(&step.id, e));
        }
        if r.status == StepStatus::Waiting {
            // Its successors wait with it: they become ready when it runs again, resumed.
            self.results[i] = Some(r);
            return;
        }
        if r.status == StepStatus::Failed && !step.continue_on_error && self.failure.is_none() {
            self.failure = Some((
                ExecutionStatus::Failed,
                ExecutionError {
                    step_id: Some(step.id.clone()),
                    message: r.error.clone().unwrap_or_default(),
                },
            ));
        }
        self.complete(i, r);
    }

    /// Keeps step `i`'s result and makes ready the successors it was the last input of.
    fn complete(&mut self, i: usize, mut r: StepResult) {
        lend_output(&mut r, &mut self.outputs);
        self.results[i] = Some(r);
        release(&self.sh.plan.steps[i], &mut self.remaining, &mut self.ready);
    }

    /// Stops what runs (its futures are dropped) and records it as cancelled.
    async fn stop_running(&mut self) {
        let run = self.sh.run;
        drop(std::mem::take(&mut self.running));
        let now = Utc::now();
        let mut stopped: Vec<usize> = self.in_flight.keys().copied().collect();
        stopped.sort();
        for i in stopped {
            let step = &self.sh.plan.steps[i];
            let started = self.in_flight[&i];
            let r = StepResult {
                error: self.failure.as_ref().map(|f| f.1.message.clone()),
                started_at: Some(started),
                finished_at: Some(now),
                duration_us: (now - started).num_microseconds().unwrap_or(0).max(0) as u64,
                ..StepResult::new(&step.id, &step.action_kind, StepStatus::Cancelled)
            };
            let _ = run
                .journal
                .record(run.execution_id, StepEvent::Finished(&r))
                .await;
            self.results[i] = Some(r);
        }
    }

    /// The execution's result: every step's (`cancelled` for those never started), the
    /// response, the last output, the status.
    fn into_result(self, started_at: DateTime<Utc>) -> ExecutionResult {
        let State {
            sh,
            results,
            mut outputs,
            running,
            failure,
            ..
        } = self;
        let plan = sh.plan;
        // Steps still holding shared outputs are gone: the outputs come back without a copy.
        drop(running);
        let failure_answer = failure
            .as_ref()
            .and_then(|(_, e)| failure_answer(sh, &outputs, e));
        let steps: Vec<StepResult> = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| match r {
                Some(mut r) => {
                    if let Some(out) = outputs.remove(&r.step_id)
                        && r.output.is_none()
                    {
                        r.output = Some(Arc::unwrap_or_clone(out));
                    }
                    r
                }
                None => StepResult::new(
                    &plan.steps[i].id,
                    &plan.steps[i].action_kind,
                    StepStatus::Cancelled,
                ),
            })
            .collect();
        // A failed execution's answer is its `on_failure` answer, or the default 500. A
        // `respond` step before the failure answered the sync caller already, as soon as its
        // result was durable (the store hands it over: `store::Outcome::early`).
        let response = match &failure {
            None => steps.iter().find_map(|s| s.response.clone()),
            Some(_) => failure_answer,
        };
        let output = steps
            .iter()
            .rev()
            .find(|s| s.ran())
            .and_then(|s| s.output.clone());
        let waits = std::mem::take(&mut *sh.waits.lock().expect("lock"));
        let (status, error) = match failure {
            Some((status, e)) => (status, Some(e)),
            None if !waits.is_empty() => (ExecutionStatus::Waiting, None),
            None => (ExecutionStatus::Succeeded, None),
        };
        ExecutionResult {
            execution_id: sh.run.execution_id,
            status,
            steps,
            response,
            output,
            error,
            interrupted: sh.interrupted.load(std::sync::atomic::Ordering::Relaxed),
            waits,
            started_at,
            finished_at: Utc::now(),
        }
    }
}

/// A sync webhook's `on_failure` answer for this failure, rendered with what ran (`None`
/// without one, or when it does not render: the caller then gets the default 500). Its status
/// is a 4xx or 5xx, 500 when absent or out of that range.
fn failure_answer(
    sh: &Shared<'_>,
    outputs: &HashMap<String, Arc<Value>>,
    error: &ExecutionError,
) -> Option<crate::action::Response> {
    let node = sh.plan.on_failure.as_ref()?;
    let mut execution = sh.execution.clone();
    execution["error"] = json!({ "message": error.message, "step_id": error.step_id });
    let scope = Scope {
        trigger: &sh.run.trigger,
        steps: outputs,
        execution: &execution,
        env: sh.run.env,
        item: None,
        index: None,
    };
    let rendered = match sh.plan.compiler.render(node, &scope) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(execution_id = %sh.run.execution_id, error = %e, "the on_failure answer did not render; answering the default 500");
            return None;
        }
    };
    let status = match &rendered["status"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| (400..=599).contains(s))
    .unwrap_or(500) as u16;
    let headers = rendered["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    Some(crate::action::Response {
        status,
        headers,
        body: rendered.get("body").cloned().unwrap_or(Value::Null),
    })
}

/// Resolves when `cancel` is cancelled; never without one.
async fn cancelled(cancel: Option<&Cancel>) {
    match cancel {
        Some(c) => c.cancelled().await,
        None => std::future::pending().await,
    }
}

impl Shared<'_> {
    /// A transient journal error marks the execution interrupted.
    fn note_journal_error(&self, e: &JournalError) {
        if e.retryable {
            self.interrupted
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The failure a journal error ends the execution with; a transient one also marks it
    /// interrupted.
    fn journal_failure(&self, step: &str, e: JournalError) -> (ExecutionStatus, ExecutionError) {
        self.note_journal_error(&e);
        (
            ExecutionStatus::Failed,
            ExecutionError {
                step_id: Some(step.to_string()),
                message: e.to_string(),
            },
        )
    }
}

/// Moves the output of a step that succeeded into the outputs later templates read (shared,
/// not copied); the execution's result gets it back at the end. A failed step's output (what
/// `continue_on_error` makes of the error) is what marks it as ran: that one is copied.
fn lend_output(r: &mut StepResult, outputs: &mut HashMap<String, Arc<Value>>) {
    let out = match r.status {
        StepStatus::Succeeded => r.output.take(),
        StepStatus::Failed => r.output.clone(),
        _ => None,
    };
    if let Some(out) = out {
        outputs.insert(r.step_id.clone(), Arc::new(out));
    }
}

/// Whether an edge from a finished predecessor lets its successor run.
fn edge_active(pred: Option<&StepResult>, port: &Option<String>) -> bool {
    match pred {
        Some(r) if r.ran() => match port {
            None => true,
            Some(p) => r.port.as_deref() == Some(p.as_str()),
        },
        _ => false,
    }
}

fn release(step: &PlannedStep, remaining: &mut [usize], ready: &mut VecDeque<usize>) {
    for &s in &step.successors {
        remaining[s] -= 1;
        if remaining[s] == 0 {
            ready.push_back(s);
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// `1.5s`, `250ms`, `2m3s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let s = d.as_secs_f64();
        if s.fract() == 0.0 {
            format!("{}s", s as u64)
        } else {
            format!("{s:.1}s")
        }
    } else {
        format!("{}m{}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

async fn run_step(sh: &Shared<'_>, i: usize, snapshot: HashMap<String, Arc<Value>>) -> StepResult {
    let step = &sh.plan.steps[i];
    let started_at = Utc::now();
    let t0 = Instant::now();
    let scope = Scope {
        trigger: &sh.run.trigger,
        steps: &snapshot,
        execution: &sh.execution,
        env: sh.run.env,
        item: None,
        index: None,
    };
    let mut r = StepResult {
        started_at: Some(started_at),
        ..StepResult::new(&step.id, &step.action_kind, StepStatus::Failed)
    };
    let outcome: Result<ActionOutput, ActionError> = match &step.for_each {
        None => match sh.plan.compiler.render(&step.config, &scope) {
            Err(e) => Err(ActionError::permanent(e.to_string())),
            Ok(input) => {
                let (out, attempts) = attempt(sh, step, None, &input).await;
                r.input = Some(input);
                r.attempts = attempts;
                out
            }
        },
        Some(for_each) => for_each_items(sh, step, for_each, &scope, &mut r).await,
    };
    match outcome {
        Ok(out) => {
            r.status = StepStatus::Succeeded;
            r.output = Some(out.value);
            r.port = out.port;
            r.response = out.response;
        }
        Err(ActionError {
            suspend: Some(suspend),
            ..
        }) => {
            r.status = StepStatus::Waiting;
            let mut out = json!({
                "until": suspend.until.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                "callback": suspend.callback,
            });
            if suspend.callback
                && let Some(url) = &sh.run.resume_url
            {
                out["resume_url"] = Value::String(url.clone());
            }
            r.output = Some(out);
            sh.waits.lock().expect("lock").push(crate::journal::Wait {
                step_id: step.id.clone(),
                suspend: *suspend,
            });
        }
        Err(e) => {
            r.status = StepStatus::Failed;
            if step.continue_on_error {
                let mut o = Map::new();
                o.insert("error".into(), Value::String(e.message.clone()));
                if let Some(d) = &e.details {
                    o.insert("details".into(), (**d).clone());
                }
                r.output = Some(Value::Object(o));
            }
            r.error = Some(e.message);
            r.error_details = e.details.map(|d| *d);
        }
    }
    r.finished_at = Some(Utc::now());
    r.duration_us = t0.elapsed().as_micros() as u64;
    r
}

async fn for_each_items(
    sh: &Shared<'_>,
    step: &PlannedStep,
    for_each: &crate::template::Node,
    scope: &Scope<'_>,
    r: &mut StepResult,
) -> Result<ActionOutput, ActionError> {
    let items = match sh.plan.compiler.render(for_each, scope) {
        Ok(Value::Array(items)) => items,
        Ok(other) => {
            return Err(ActionError::permanent(format!(
                "`for_each` must yield an array, got {}",
                short(&other)
            )));
        }
        Err(e) => return Err(ActionError::permanent(e.to_string())),
    };
    let count = items.len();
    let mut stream = futures::stream::iter(items.into_iter().enumerate())
        .map(|(index, item): (usize, Value)| async move {
            let item_scope = Scope {
                item: Some(&item),
                index: Some(index),
                ..*scope
            };
            match sh.plan.compiler.render(&step.config, &item_scope) {
                Err(e) => (
                    Value::Null,
                    Err(ActionError::permanent(format!("item {index}: {e}"))),
                    0,
                ),
                Ok(input) => {
                    let (out, attempts) = attempt(sh, step, Some(index), &input).await;
                    (input, out, attempts)
                }
            }
        })
        .buffered(step.concurrency);
    let mut inputs = Vec::with_capacity(count);
    let mut outputs = Vec::with_capacity(count);
    while let Some((input, out, attempts)) = stream.next().await {
        r.attempts = r.attempts.max(attempts);
        let index = inputs.len();
        inputs.push(input);
        match out {
            Ok(o) => outputs.push(o.value),
            Err(mut e) => {
                r.input = Some(Value::Array(inputs));
                if !e.message.starts_with("item ") {
                    e.message = format!("item {index}: {}", e.message);
                }
                return Err(e);
            }
        }
    }
    r.input = Some(Value::Array(inputs));
    Ok(ActionOutput::value(Value::Array(outputs)))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!("{}…", &s[..s.floor_char_boundary(80)])
    } else {
        s
    }
}

/// Runs the action with retries; returns the outcome and the attempts made.
async fn attempt(
    sh: &Shared<'_>,
    step: &PlannedStep,
    item_index: Option<usize>,
    input: &Value,
) -> (Result<ActionOutput, ActionError>, u32) {
    let run = sh.run;
    let mut n = 1;
    loop {
        if let Err(e) = run
            .journal
            .record(
                run.execution_id,
                StepEvent::Started {
                    step_id: &step.id,
                    item_index,
                    attempt: n,
                    input,
                    at: Utc::now(),
                },
            )
            .await
        {
            sh.note_journal_error(&e);
            return (Err(ActionError::permanent(e.to_string())), n);
        }
        let ctx = ActionContext {
            execution_id: run.execution_id,
            workflow: &sh.plan.workflow.name,
            step_id: &step.id,
            item_index,
            attempt: n,
            timeout: step.timeout,
            credentials: run.credentials,
            services: run.services,
            resumed: run.resumed.get(&step.id),
            trace: &sh.trace,
        };
        // Logs of the step (and of what its action calls) carry its id and attempt.
        let span = tracing::info_span!("step", step_id = %step.id, attempt = n);
        let call = tracing::Instrument::instrument(step.action.run(&ctx, input), span.clone());
        let res = match step.timeout {
            Some(t) => match tokio::time::timeout(t, call).await {
                Ok(r) => r,
                Err(_) => Err(ActionError::transient(format!(
                    "the step timed out after {}",
                    fmt_duration(t)
                ))),
            },
            None => call.await,
        };
        span.in_scope(|| match &res {
            Ok(_) => tracing::debug!("step attempt succeeded"),
            Err(e) => {
                tracing::debug!(error = %e.message, retryable = e.retryable, "step attempt failed")
            }
        });
        match res {
            Err(e) if e.retryable && n < step.retry.max_attempts => {
                let delay = e
                    .retry_after
                    .map(|d| d.min(step.retry.max_delay))
                    .unwrap_or_else(|| step.retry.delay(n));
                tracing::debug!(execution_id = %run.execution_id, step_id = %step.id, attempt = n, error = %e.message, delay_ms = delay.as_millis() as u64, "retrying step");
                if let Err(je) = run
                    .journal
                    .record(
                        run.execution_id,
                        StepEvent::Retrying {
                            step_id: &step.id,
                            item_index,
                            attempt: n,
                            error: &e.message,
                            delay_ms: delay.as_millis() as u64,
                        },
                    )
                    .await
                {
                    sh.note_journal_error(&je);
                    return (Err(ActionError::permanent(je.to_string())), n);
                }
                tokio::time::sleep(delay).await;
                n += 1;
            }
            other => return (other, n),
        }
    }
}

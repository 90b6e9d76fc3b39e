//! The worker's [`Services`] for one execution: child executions (`action: workflow`) through
//! the worker's own `submit`, durable deliveries through the store.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use engine::action::ActionError;
use engine::services::{
    ChildOutcome, ChildRequest, DeliveryOutcome, NewDelivery, QueuedDelivery, Services,
};
use engine::{ParentRef, TriggerEvent};
use serde_json::Value;
use uuid::Uuid;

use crate::Worker;

/// The services of one running execution.
pub(crate) struct ExecutionServices {
    pub(crate) worker: Worker,
    pub(crate) execution_id: Uuid,
    /// The running workflow's id (its deliveries are listed by it).
    pub(crate) workflow_id: Uuid,
    /// The running workflow's name.
    pub(crate) workflow: String,
    /// The running execution's own parent, when it is a child itself.
    pub(crate) parent: Option<ParentRef>,
}

/// The trigger kind of an error workflow's executions (`on_error`).
pub(crate) const ERROR_KIND: &str = "error";

impl ExecutionServices {
    /// Queues the `on_error` workflow named `name` for this failed execution, with
    /// `trigger.body = {execution_id, workflow, error: {message, step_id}}`. Problems are
    /// logged: the failed execution is recorded either way.
    pub(crate) async fn start_error_workflow(&self, name: &str, result: &engine::ExecutionResult) {
        let store = &self.worker.inner.store;
        let target = match store.workflow_by_name(name).await {
            Ok(Some(w)) => w,
            Ok(None) => {
                tracing::error!(
                    on_error = name,
                    "the execution failed and its error workflow does not exist"
                );
                return;
            }
            Err(e) => {
                tracing::error!(on_error = name, error = %e, "the execution failed and its error workflow could not be looked up");
                return;
            }
        };
        let error = result.error.as_ref();
        let body = serde_json::json!({
            "execution_id": self.execution_id,
            "workflow": self.workflow,
            "error": {
                "message": error.map(|e| e.message.as_str()),
                "step_id": error.and_then(|e| e.step_id.as_deref()),
            },
        });
        let event = TriggerEvent {
            kind: ERROR_KIND.into(),
            method: "POST".into(),
            path: String::new(),
            headers: Default::default(),
            query: Default::default(),
            body,
            parent: None,
            test: None,
        };
        let new = store::NewExecution {
            workflow_id: target.id,
            version: target.version,
            trigger_kind: ERROR_KIND.into(),
            request: Arc::new(event),
            idempotency_key: Some(format!("on_error:{}", self.execution_id)),
            fingerprint: None,
            test: false,
            claim_for: None,
            concurrency: None,
        };
        match self.worker.submit(new, false).await {
            Ok(s) => {
                tracing::info!(on_error = name, error_execution = %s.enqueued.execution_id, "the execution failed; its error workflow is queued")
            }
            Err(e) => {
                tracing::error!(on_error = name, error = %e, "the execution failed and its error workflow could not be queued")
            }
        }
    }
}

/// A store error as a step error: transient ones (busy, a lost connection, a store closing
/// for shutdown) may pass on another attempt of the step, others fail it. The one rule for
/// child executions and deliveries alike.
pub(crate) fn store_error(what: &str, e: store::Error) -> ActionError {
    let message = format!("{what}: {e}");
    if e.is_transient() || matches!(e, store::Error::Closed) {
        ActionError::transient(message)
    } else {
        ActionError::permanent(message)
    }
}

#[async_trait]
impl Services for ExecutionServices {
    async fn start_child(&self, request: ChildRequest) -> Result<Uuid, ActionError> {
        let inner = &self.worker.inner;
        let depth = self.parent.as_ref().map_or(1, |p| p.depth + 1);
        let max = inner.config.max_call_depth;
        if depth > max {
            return Err(ActionError::permanent(format!(
                "calling `{}` would nest workflow calls {depth} deep; at most {max} are allowed (a workflow that calls itself, directly or through others?)",
                request.workflow
            )));
        }
        let child = inner
            .store
            .workflow_by_name(&request.workflow)
            .await
            .map_err(|e| store_error("cannot look up the workflow to call", e))?
            .ok_or_else(|| {
                ActionError::permanent(format!(
                    "there is no workflow named `{}` to call",
                    request.workflow
                ))
            })?;
        let event = TriggerEvent {
            kind: "workflow".into(),
            method: "POST".into(),
            path: String::new(),
            headers: Default::default(),
            query: Default::default(),
            body: request.input,
            parent: Some(ParentRef {
                execution_id: self.execution_id,
                workflow: self.workflow.clone(),
                step_id: request.step_id,
                item_index: request.item_index,
                depth,
            }),
            test: None,
        };
        let new = store::NewExecution {
            workflow_id: child.id,
            version: child.version,
            trigger_kind: "workflow".into(),
            request: Arc::new(event),
            // Parent + step + item: a parent that runs this step again (a retry, a crash of
            // its worker) finds the child it started instead of starting another.
            idempotency_key: Some(request.idempotency_key),
            fingerprint: None,
            test: false,
            claim_for: None,
            concurrency: None,
        };
        let submitted = self
            .worker
            .submit(new, false)
            .await
            .map_err(|e| store_error("cannot queue the child execution", e))?;
        Ok(submitted.enqueued.execution_id)
    }

    async fn await_child(&self, execution_id: Uuid) -> Result<ChildOutcome, ActionError> {
        // The waiting parent lends its slot: with every slot held by waiting parents, their
        // children could otherwise never be claimed.
        let _lent = LentSlot::new(&self.worker);
        loop {
            match self
                .worker
                .inner
                .store
                .wait_finished(execution_id, Duration::from_secs(3600))
                .await
            {
                Ok(Some(e)) if e.status.is_finished() => {
                    let output = match e.response {
                        Some(r) => r.body,
                        None => e.output.unwrap_or(Value::Null),
                    };
                    return Ok(ChildOutcome {
                        status: e.status,
                        output,
                        error: e.error,
                    });
                }
                Ok(Some(_)) => continue,
                // The hour passed (a child may wait for days), or the child is gone.
                Ok(None) => match self.worker.inner.store.execution(execution_id).await {
                    Ok(Some(_)) => continue,
                    Ok(None) => {
                        return Err(ActionError::permanent(format!(
                            "the child execution {execution_id} is gone (deleted?)"
                        )));
                    }
                    Err(e) if e.is_transient() => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(e) => return Err(store_error("cannot read the child execution", e)),
                },
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, child = %execution_id, "reading the child execution failed; waiting on");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(store_error("cannot read the child execution", e)),
            }
        }
    }

    async fn queue_delivery(&self, delivery: NewDelivery) -> Result<QueuedDelivery, ActionError> {
        crate::deliveries::queue(
            &self.worker.inner.store,
            self.execution_id,
            self.workflow_id,
            delivery,
        )
        .await
    }

    async fn await_delivery(&self, delivery_id: Uuid) -> Result<DeliveryOutcome, ActionError> {
        // Like a waiting parent, a step waiting for its delivery lends its slot.
        let _lent = LentSlot::new(&self.worker);
        crate::deliveries::wait(&self.worker.inner.store, delivery_id).await
    }
}

/// A worker slot given back while an execution waits on something else (a child); taken
/// again on drop.
struct LentSlot<'w>(&'w Worker);

impl<'w> LentSlot<'w> {
    fn new(worker: &'w Worker) -> Self {
        let inner = &worker.inner;
        inner.busy.fetch_sub(1, Ordering::AcqRel);
        inner.maybe_queued.store(true, Ordering::Release);
        inner.wake.notify_one();
        LentSlot(worker)
    }
}

impl Drop for LentSlot<'_> {
    fn drop(&mut self) {
        self.0.inner.busy.fetch_add(1, Ordering::AcqRel);
    }
}

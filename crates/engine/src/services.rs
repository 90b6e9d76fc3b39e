//! What the host running an execution offers actions besides their input: other executions
//! (sub-workflows), durable outgoing deliveries and keeping a waiting execution. The server's worker offers them; `weft run`
//! offers none ([`NoServices`]): an action that needs one fails with a message saying so.
//!
//! The engine stays pure: these are interfaces, implemented where the store is.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

use crate::action::ActionError;
use crate::journal::{ExecutionError, ExecutionStatus};

/// A child execution to start (`action: workflow`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRequest {
    /// The name of the workflow to run (any workflow, active or not, whatever its trigger).
    pub workflow: String,
    /// The child's `trigger.body`.
    pub input: Value,
    /// The parent's step (and item), for the link from the child back to it.
    pub step_id: String,
    pub item_index: Option<usize>,
    /// Stable across the parent's attempts and restarts (parent + step + item): a parent that
    /// runs the step again finds the child it started before instead of starting another.
    pub idempotency_key: String,
}

/// How a child execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildOutcome {
    pub status: ExecutionStatus,
    /// The child's `respond` body, else the output of its last step.
    pub output: Value,
    pub error: Option<ExecutionError>,
}

/// An outgoing webhook to deliver durably (`action: webhook`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// Sent as JSON.
    pub body: Value,
    /// The `secret` credential that signs it (by name: the secret itself is never stored with
    /// the delivery); `None` sends it unsigned.
    pub credential: Option<String>,
    pub step_id: String,
    pub item_index: Option<usize>,
    /// Stable across the step's attempts and restarts: the same key queues nothing new and
    /// answers the delivery queued first.
    pub idempotency_key: String,
}

/// A queued delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDelivery {
    pub delivery_id: Uuid,
    /// `webhook-id`: the same for every attempt.
    pub message_id: String,
}

/// Where a delivery ended (or is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    /// The HTTP status of the last attempt, if it got one.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// What actions may ask of the host. Every method fails with [`ActionError`]s that keep their
/// class: a store that is briefly unavailable is transient, a workflow that does not exist is
/// not.
#[async_trait]
pub trait Services: Send + Sync {
    /// Queues a child execution (or finds the one started before under the same key); its id.
    async fn start_child(&self, request: ChildRequest) -> Result<Uuid, ActionError>;

    /// Waits for a child execution to finish.
    async fn await_child(&self, execution_id: Uuid) -> Result<ChildOutcome, ActionError>;

    /// Stores an outgoing webhook for delivery (or finds the one stored under the same key).
    async fn queue_delivery(&self, delivery: NewDelivery) -> Result<QueuedDelivery, ActionError>;

    /// Waits until a delivery succeeded or failed for good.
    async fn await_delivery(&self, delivery_id: Uuid) -> Result<DeliveryOutcome, ActionError>;

    /// Whether the host keeps a suspended execution and resumes it (`action: wait`); the
    /// server does. The error says why not.
    fn check_suspend(&self) -> Result<(), String> {
        Ok(())
    }
}

/// No services: `weft run`, and engine tests that need none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoServices;

impl NoServices {
    fn refuse(what: &str) -> ActionError {
        ActionError::permanent(format!(
            "{what} needs the server: run the workflow with `weft serve` (a stored workflow's executions are run by its workers), not `weft run`"
        ))
    }
}

#[async_trait]
impl Services for NoServices {
    async fn start_child(&self, _: ChildRequest) -> Result<Uuid, ActionError> {
        Err(NoServices::refuse("calling another workflow"))
    }

    async fn await_child(&self, _: Uuid) -> Result<ChildOutcome, ActionError> {
        Err(NoServices::refuse("calling another workflow"))
    }

    async fn queue_delivery(&self, _: NewDelivery) -> Result<QueuedDelivery, ActionError> {
        Err(NoServices::refuse("a durable outgoing webhook"))
    }

    async fn await_delivery(&self, _: Uuid) -> Result<DeliveryOutcome, ActionError> {
        Err(NoServices::refuse("a durable outgoing webhook"))
    }

    fn check_suspend(&self) -> Result<(), String> {
        Err(NoServices::refuse(
            "a wait (kept in the database while it waits, resumed by a timer or a request)",
        )
        .message)
    }
}

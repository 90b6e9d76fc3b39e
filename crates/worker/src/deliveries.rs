//! The delivery half of the worker's [`engine::services::Services`] (`services`): what
//! `action: webhook` asks of the store. [`queue`] stores a message (idempotent by the step's
//! key) and [`wait`] waits for its end; the server's delivery runner sends it.

use std::time::Duration;

use engine::action::ActionError;
use engine::services::{DeliveryOutcome, NewDelivery, QueuedDelivery};
use uuid::Uuid;

use crate::services::store_error;

/// How often [`wait`] looks at a delivery that another process may finish (finishes in this
/// process wake it at once).
pub const WAIT_POLL: Duration = Duration::from_secs(1);

/// Stores `delivery` for the step of execution `execution_id` (of workflow `workflow_id`),
/// pending and due at once, or finds the one stored before under the same idempotency key.
/// Returns once it is committed.
pub async fn queue(
    store: &store::Store,
    execution_id: Uuid,
    workflow_id: Uuid,
    delivery: NewDelivery,
) -> Result<QueuedDelivery, ActionError> {
    let body = serde_json::to_string(&delivery.body).map_err(|e| {
        ActionError::permanent(format!("the webhook body is not serializable as JSON: {e}"))
    })?;
    let queued = store
        .queue_delivery(store::NewDelivery {
            execution_id,
            workflow_id,
            step_id: delivery.step_id,
            item_index: delivery.item_index,
            url: delivery.url,
            headers: delivery.headers,
            body,
            credential: delivery.credential,
            idempotency_key: delivery.idempotency_key,
        })
        .await
        .map_err(|e| store_error("the webhook could not be queued", e))?;
    Ok(QueuedDelivery {
        delivery_id: queued.id,
        message_id: queued.message_id,
    })
}

/// Waits until the delivery is delivered or failed for good.
pub async fn wait(store: &store::Store, delivery_id: Uuid) -> Result<DeliveryOutcome, ActionError> {
    let record = store
        .wait_delivery(delivery_id, WAIT_POLL)
        .await
        .map_err(|e| store_error("cannot follow the webhook's delivery", e))?;
    Ok(DeliveryOutcome {
        status: record.status.as_str().to_string(),
        attempts: record.attempts,
        last_status: record.last_status,
        last_error: record.last_error,
    })
}

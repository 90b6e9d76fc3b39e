//! The execution queue and the delivery queue of outgoing webhooks (`deliveries`). The execution queue: enqueue (with idempotency keys), claims with leases and the fencing
//! attempt, heartbeats, hand-backs, finishing, retries and cancels (`executions`); waiting for
//! an execution's end (`waiting`); and the compiled plans of the versions executions run
//! (`plans`).

pub(crate) mod deliveries;
pub(crate) mod executions;
pub(crate) mod plans;
pub(crate) mod waiting;
pub(crate) mod waits;

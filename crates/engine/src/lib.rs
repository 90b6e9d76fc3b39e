//! Weft's engine: the workflow model, validation, templates and the DAG executor.
//!
//! The engine does no IO of its own and knows no database and no HTTP server. It reaches the
//! outside through small interfaces: [`action::Action`] (step types), [`journal::Journal`]
//! (records step events, hands back finished steps on resume) and
//! [`credentials::CredentialsProvider`] and [`services::Services`] (child executions, outgoing
//! deliveries); trigger kinds plug in through [`trigger::TriggerKind`].

pub mod action;
pub mod credentials;
pub mod duration;
pub mod error;
pub mod journal;
pub mod model;
pub mod redact;
pub mod size;
pub mod source;
pub mod template;
pub mod trace;
pub mod trigger;

pub use error::{Error, Location, Problem, Problems};
pub mod exec;
pub mod load;
pub mod plan;
pub mod schema;
pub mod services;

pub use action::{Action, ActionContext, ActionError, ActionOutput, Registry, Response};
pub use exec::{Cancel, Limits, Run, execute, execute_catching};
pub use journal::{
    ExecutionResult, ExecutionStatus, Journal, NoJournal, ParentRef, StepEvent, StepResult,
    StepStatus, TestData, TriggerEvent,
};
pub use load::{load, parse};
pub use model::Workflow;
pub use plan::{Plan, compile};

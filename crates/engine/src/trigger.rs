//! The trigger-kind interface: what a kind of trigger (`webhook`, `schedule`, `manual`, …)
//! implements, and [`TriggerKinds`], the registry mapping a `type:` to its kind.
//!
//! The document keeps its typed model ([`Trigger`], one variant per kind, for serde and the JSON
//! Schema); everything a kind *does* goes through its [`TriggerKind`], looked up by
//! [`Trigger::kind`]: validation of its settings (by [`crate::compile`]), the webhook path it
//! listens at (routing), the event a run started by hand sees, the checks at save time that need
//! credentials, and what it runs in the server ([`TriggerKind::start`], called once per kind by
//! the server's trigger runtime).
//!
//! The kinds themselves live in the `triggers` crate, registered in `triggers::kinds()`, and
//! reach the engine inside its [`crate::Registry`] ([`crate::Registry::triggers`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use crate::action::ConfigProblem;
use crate::credentials::CredentialsProvider;
use crate::journal::TriggerEvent;
use crate::model::Trigger;
use crate::plan::Plan;

/// Describes a trigger kind for the API and the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerInfo {
    /// The `type:` of the trigger in a workflow document.
    pub kind: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

/// What a run started by hand (the API's run, `weft run`) gives the trigger's event.
#[derive(Debug, Clone, Default)]
pub struct ManualInput {
    pub body: Value,
    /// Header names in any case; the event has them lower-case.
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
}

/// A task a kind runs in the server (e.g. a scheduler), until the context's `stop` turns true.
pub type TriggerTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What a kind's [`TriggerKind::start`] gets: the server, and the signal to stop.
#[derive(Clone)]
pub struct TriggerContext {
    pub host: Arc<dyn TriggerHost>,
    /// Turns `true` when the server shuts down; a started task then returns promptly.
    pub stop: watch::Receiver<bool>,
}

/// A workflow whose current version is active, as a kind's task sees it.
#[derive(Debug, Clone)]
pub struct ActiveWorkflow {
    pub id: Uuid,
    pub version: i32,
    /// Its compiled plan (from the process's plan cache: the same one its executions run).
    pub plan: Arc<Plan>,
}

/// An execution a kind's task asks for.
#[derive(Debug, Clone)]
pub struct Submission {
    pub workflow_id: Uuid,
    pub version: i32,
    pub event: Arc<TriggerEvent>,
    /// At most one execution per workflow and key (e.g. a schedule's tick).
    pub idempotency_key: Option<String>,
}

/// The server as trigger kinds reach it (implemented by `weft serve`; the engine knows no
/// store and no worker).
#[async_trait]
pub trait TriggerHost: Send + Sync + 'static {
    /// The active workflows whose current trigger is of `kind`.
    async fn active_workflows(&self, kind: &str) -> Result<Vec<ActiveWorkflow>, String>;
    /// Queues an execution (committed before this returns) and wakes the local workers; its id.
    async fn submit(&self, submission: Submission) -> Result<Uuid, String>;
    /// When the newest execution a schedule started for this workflow was due (its event's
    /// `scheduled_at`), for `catch_up: run_once`; `None` if there is none.
    async fn last_scheduled(
        &self,
        _workflow_id: Uuid,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        Ok(None)
    }
}

/// A kind of trigger. One implementation per kind, registered in [`TriggerKinds`]. Every method
/// taking a [`Trigger`] is only called with a trigger of this kind.
#[async_trait]
pub trait TriggerKind: Send + Sync + 'static {
    fn info(&self) -> TriggerInfo;

    /// Problems with the trigger's settings, each at a path below `trigger` (e.g. `path`,
    /// `methods[1]`, `auth.credential`). Checked with the rest of the document, before saving
    /// or running.
    fn validate(&self, _trigger: &Trigger) -> Vec<ConfigProblem> {
        Vec::new()
    }

    /// The path below `/hooks/` the trigger listens at, if any (one active workflow per path).
    fn webhook_path<'t>(&self, _trigger: &'t Trigger) -> Option<&'t str> {
        None
    }

    /// The event of a run started by hand, as if the trigger had fired. By default: this kind,
    /// `POST`, no path.
    fn manual_event(&self, _trigger: &Trigger, input: ManualInput) -> TriggerEvent {
        manual_event_with(self.info().kind, "POST", String::new(), input)
    }

    /// Checks at save time what validation cannot know (the credentials the trigger names
    /// exist and are usable); a problem is located like [`TriggerKind::validate`]'s.
    async fn check_saved(
        &self,
        _trigger: &Trigger,
        _credentials: &dyn CredentialsProvider,
    ) -> Result<(), ConfigProblem> {
        Ok(())
    }

    /// Starts what the kind needs in the server (a scheduler, …), once per server; `None` (the
    /// default) starts nothing. The task must return once `context.stop` turns true.
    fn start(&self, _context: TriggerContext) -> Option<TriggerTask> {
        None
    }
}

/// The event a run started by hand sees: header names lower-case.
pub fn manual_event_with(
    kind: &str,
    method: &str,
    path: String,
    input: ManualInput,
) -> TriggerEvent {
    TriggerEvent {
        kind: kind.to_string(),
        method: method.to_string(),
        path,
        headers: input
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        query: input.query,
        body: input.body,
        parent: None,
        test: None,
    }
}

/// Maps a trigger `type:` to its kind.
#[derive(Clone, Default)]
pub struct TriggerKinds {
    kinds: HashMap<&'static str, Arc<dyn TriggerKind>>,
    order: Vec<&'static str>,
}

impl TriggerKinds {
    pub fn new() -> Self {
        TriggerKinds::default()
    }

    pub fn register(&mut self, kind: impl TriggerKind) -> &mut Self {
        let name = kind.info().kind;
        if self.kinds.insert(name, Arc::new(kind)).is_none() {
            self.order.push(name);
        }
        self
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn TriggerKind>> {
        self.kinds.get(kind)
    }

    /// The kind of this trigger, if registered.
    pub fn of(&self, trigger: &Trigger) -> Option<&Arc<dyn TriggerKind>> {
        self.get(trigger.kind())
    }

    /// Every kind, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn TriggerKind>> + '_ {
        self.order.iter().map(|k| &self.kinds[k])
    }

    pub fn infos(&self) -> Vec<TriggerInfo> {
        self.iter().map(|k| k.info()).collect()
    }

    /// The path below `/hooks/` the trigger listens at, if any.
    pub fn webhook_path<'t>(&self, trigger: &'t Trigger) -> Option<&'t str> {
        self.of(trigger)?.webhook_path(trigger)
    }

    /// The event of a run started by hand (for an unregistered kind, the default event).
    pub fn manual_event(&self, trigger: &Trigger, input: ManualInput) -> TriggerEvent {
        match self.of(trigger) {
            Some(kind) => kind.manual_event(trigger, input),
            None => manual_event_with(trigger.kind(), "POST", String::new(), input),
        }
    }
}

impl std::fmt::Debug for TriggerKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.order).finish()
    }
}

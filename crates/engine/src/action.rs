//! The action interface: what a step type implements, and the registry mapping kind → action.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::credentials::CredentialsProvider;
use crate::services::Services;
use crate::trigger::TriggerKinds;

/// Describes an action kind for the CLI, the API and the editor's forms.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionInfo {
    /// The step's `action:` name: `http`, or `<connector>.<operation>` for an operation of an
    /// imported connector.
    #[schema(value_type = String)]
    pub kind: Cow<'static, str>,
    #[schema(value_type = String)]
    pub title: Cow<'static, str>,
    #[schema(value_type = String)]
    pub description: Cow<'static, str>,
    /// JSON Schema of the `with:` config.
    pub config_schema: Value,
    /// For a branching action, how its output ports follow from its config; `null` for an
    /// action with a single, unnamed output.
    #[schema(required)]
    pub ports: Option<Ports>,
    /// For an operation of an imported connector: where it comes from, its documentation,
    /// the credential types it takes and the schema of its success answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector: Option<ConnectorInfo>,
}

/// What an operation of an imported connector adds to its [`ActionInfo`].
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectorInfo {
    /// The connector's name (the part of the kind before the first `.`).
    pub name: String,
    /// The connector's version (1 for its first import).
    pub version: i64,
    /// The operation's id in the document (`operationId`, or a slug of method and path).
    pub operation: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path template, e.g. `/2010-04-01/Accounts/{AccountSid}/Messages.json`.
    pub path: String,
    /// The base URL requests go to.
    pub base_url: String,
    /// The credential types the operation's security schemes map to (`basic`, `bearer`,
    /// `api_key`, `oauth2`); empty when it takes none.
    pub credential_types: Vec<String>,
    /// The operation's tags, for grouping.
    pub tags: Vec<String>,
    /// JSON Schema of the step's output (`{status, headers, body}`, the body as the
    /// document's success answer describes it), when the document says.
    #[schema(required)]
    pub output_schema: Option<Value>,
}

/// How a branching action's output ports follow from its `with:`: the keys of one field of it,
/// in order, then fixed names (a key equal to a fixed name counts once, as the fixed one). The
/// engine and the editor derive a step's ports from this one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ports {
    /// A field of `with` whose keys are ports, e.g. `cases` for `switch`.
    #[schema(required)]
    pub keys_of: Option<&'static str>,
    /// Ports every step of this action has, after those of `keys_of`.
    #[schema(value_type = Vec<String>)]
    pub fixed: &'static [&'static str],
}

impl Ports {
    /// The ports of a step with this (raw or rendered) config, in display order.
    pub fn of(&self, config: &Value) -> Vec<String> {
        let keys = self
            .keys_of
            .and_then(|field| config.get(field))
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !self.fixed.contains(&k.as_str()))
            .cloned();
        keys.chain(self.fixed.iter().map(|p| p.to_string()))
            .collect()
    }
}

/// A problem in a step's `with:` config, found before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Path below `with`, e.g. `json.email` (empty: `with` itself).
    pub field: String,
    pub message: String,
}

impl ConfigProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What an action gets besides its rendered input.
pub struct ActionContext<'a> {
    pub execution_id: Uuid,
    pub workflow: &'a str,
    pub step_id: &'a str,
    /// The item index inside `for_each`.
    pub item_index: Option<usize>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The step's per-attempt timeout, if any (actions may pass it on, e.g. to HTTP clients).
    pub timeout: Option<Duration>,
    pub credentials: &'a dyn CredentialsProvider,
    /// What the host offers besides (child executions, durable deliveries).
    pub services: &'a dyn Services,
    /// For a step that suspended its execution before ([`ActionError::suspend`]): what the
    /// host recorded of its wait (`{state, until, request?}`), given back when the step runs
    /// again after the execution resumed.
    pub resumed: Option<&'a Value>,
    /// The execution's trace: outgoing calls send `traceparent` with [`crate::trace::Trace::child`].
    pub trace: &'a crate::trace::Trace,
}

impl ActionContext<'_> {
    /// Stable across attempts and restarts: `execution id:step id[:item index]`. Receivers use it
    /// to deduplicate a call that was retried or repeated after a crash.
    pub fn idempotency_key(&self) -> String {
        match self.item_index {
            Some(i) => format!("{}:{}:{}", self.execution_id, self.step_id, i),
            None => format!("{}:{}", self.execution_id, self.step_id),
        }
    }
}

/// What a step answers to the caller of a sync webhook or `weft run`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Response {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Value,
}

/// A successful action run.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutput {
    /// The step's output, readable as `steps.<id>`.
    pub value: Value,
    /// For branching actions: the output port taken (`true`/`false`, a case name, `default`).
    pub port: Option<String>,
    /// For `respond`: the response to send.
    pub response: Option<Response>,
}

impl ActionOutput {
    pub fn value(value: Value) -> Self {
        ActionOutput {
            value,
            port: None,
            response: None,
        }
    }
}

/// A failed action run.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionError {
    pub message: String,
    /// Worth another attempt (network failure, 5xx, 429…).
    pub retryable: bool,
    /// The server asked us to wait this long (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// Extra facts for the record, e.g. the HTTP status and body of a rejected call.
    /// Boxed, like `suspend`: an error travels through every step's `Result`.
    pub details: Option<Box<Value>>,
    /// Not a failure: the step holds the execution until a timer or a request resumes it
    /// (`action: wait`). The execution ends `waiting` once its other running steps finished.
    pub suspend: Option<Box<Suspend>>,
}

/// What a waiting step waits for.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Suspend {
    /// When the timer resumes it (for a callback: when it times out); `None`: never.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// A request to the execution's resume URL resumes it.
    pub callback: bool,
    /// For a callback: the JSON Schema of the form `GET` on the resume URL shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Value>,
}

impl ActionError {
    /// A failure that another attempt will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        ActionError {
            message: message.into(),
            retryable: false,
            retry_after: None,
            details: None,
            suspend: None,
        }
    }

    /// A failure that may pass on another attempt.
    pub fn transient(message: impl Into<String>) -> Self {
        ActionError {
            retryable: true,
            ..ActionError::permanent(message)
        }
    }

    /// The step waits (see [`ActionError::suspend`]).
    pub fn suspended(suspend: Suspend) -> Self {
        ActionError {
            suspend: Some(Box::new(suspend)),
            ..ActionError::permanent("the step waits")
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    pub fn is_transient(&self) -> bool {
        self.retryable
    }
}

/// A step type. One implementation per kind, registered in a [`Registry`].
#[async_trait]
pub trait Action: Send + Sync + 'static {
    fn info(&self) -> ActionInfo;

    /// Checks a `with:` config before anything runs. String leaves may be templates, so a
    /// typed field must accept a string there.
    fn validate(&self, config: &Value) -> Vec<ConfigProblem>;

    /// The output ports of a branching action (`if`, `switch`) for this config, by the rule
    /// its [`ActionInfo::ports`] states; `None` for an action with a single, unnamed output.
    fn ports(&self, config: &Value) -> Option<Vec<String>> {
        self.info().ports.map(|p| p.of(config))
    }

    /// Whether a run of this step, repeated or lost, changes nothing outside Weft (`set`,
    /// `if`, an HTTP GET): the engine starts such a step without waiting for the journal to
    /// make earlier results durable. A step with effects waits, so no effect ever builds on a
    /// result a crash could lose. `config` is the `with:` as written (templates unrendered).
    /// By default an action has effects.
    fn is_safe(&self, _config: &Value) -> bool {
        false
    }

    /// Why a step of this action cannot run per `for_each` item (`None`: it can). Checked
    /// when the workflow is validated.
    fn per_item_refusal(&self) -> Option<&'static str> {
        None
    }

    /// Runs once with the rendered config.
    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        input: &Value,
    ) -> Result<ActionOutput, ActionError>;
}

/// Maps an action kind to its implementation; carries the trigger kinds too
/// ([`Registry::triggers`]), so that whatever compiles or serves workflows has both.
#[derive(Clone, Default)]
pub struct Registry {
    actions: BTreeMap<Cow<'static, str>, Arc<dyn Action>>,
    triggers: TriggerKinds,
    /// Actions that come and go while the process runs (the operations of imported
    /// connectors), looked up after the built-in ones.
    more: Option<Arc<dyn ActionSource>>,
}

/// A set of actions that changes while the process runs (imported connectors): consulted by
/// [`Registry::get`] after the built-in actions.
pub trait ActionSource: Send + Sync + 'static {
    fn get(&self, kind: &str) -> Option<Arc<dyn Action>>;
    /// Every action of the set, in kind order.
    fn infos(&self) -> Vec<ActionInfo>;
    /// How many actions the set holds (for messages).
    fn count(&self) -> usize;
    /// Why `kind` (one with a `.`) is unknown, e.g. no connector of that name, or no such
    /// operation in it (with the nearest names).
    fn why_unknown(&self, kind: &str) -> String;
}

impl Registry {
    pub fn new() -> Self {
        Registry::default()
    }

    pub fn register(&mut self, action: impl Action) -> &mut Self {
        let kind = action.info().kind;
        self.actions.insert(kind, Arc::new(action));
        self
    }

    /// The action of a kind: a built-in one, else one of [`Registry::with_source`].
    pub fn get(&self, kind: &str) -> Option<Arc<dyn Action>> {
        match self.actions.get(kind) {
            Some(a) => Some(a.clone()),
            None => self.more.as_ref().and_then(|m| m.get(kind)),
        }
    }

    /// The built-in kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &str> + '_ {
        self.actions.keys().map(|k| k.as_ref())
    }

    /// Every action: the built-in ones, then those of the source.
    pub fn infos(&self) -> Vec<ActionInfo> {
        let mut infos = self.builtin_infos();
        if let Some(more) = &self.more {
            infos.extend(more.infos());
        }
        infos
    }

    /// The built-in actions only (what the workflow JSON Schema describes).
    pub fn builtin_infos(&self) -> Vec<ActionInfo> {
        self.actions.values().map(|a| a.info()).collect()
    }

    /// Why a kind is not an action, for the step's problem.
    pub fn why_unknown(&self, kind: &str) -> String {
        if kind.contains('.') {
            return match &self.more {
                Some(more) => more.why_unknown(kind),
                None => format!(
                    "unknown action `{kind}`: no connectors are available here (`weft run` and \
                     `weft validate` take them with `--connector FILE`)"
                ),
            };
        }
        format!(
            "unknown action `{kind}`; known actions: {}",
            self.kinds().collect::<Vec<_>>().join(", ")
        )
    }

    /// How many actions the source holds.
    pub fn source_count(&self) -> usize {
        self.more.as_ref().map_or(0, |m| m.count())
    }

    /// Adds actions that change while the process runs (see [`ActionSource`]).
    pub fn with_source(&mut self, source: Arc<dyn ActionSource>) -> &mut Self {
        self.more = Some(source);
        self
    }

    /// The trigger kinds workflows may use (none until [`Registry::with_triggers`]).
    pub fn triggers(&self) -> &TriggerKinds {
        &self.triggers
    }

    pub fn with_triggers(&mut self, triggers: TriggerKinds) -> &mut Self {
        self.triggers = triggers;
        self
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("actions", &self.actions.keys())
            .field("triggers", &self.triggers)
            .finish()
    }
}

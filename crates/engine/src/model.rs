//! The workflow model: exactly the YAML document users write (see `docs/workflow-format.md`).
//!
//! Every optional field is an `Option` (or skipped when default) so that serializing a parsed
//! workflow does not invent fields the author did not write. Values that need parsing
//! (durations, cron expressions, ids, paths) stay strings here and are checked by
//! [`crate::plan::compile`], so that every problem can be reported at once with its location.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A workflow: a trigger and a DAG of steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Shown in the editor and in execution lists.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What starts an execution.
    pub trigger: Trigger,
    /// Upper bound for a whole execution, e.g. `5m`. Default: the engine's setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"))]
    pub timeout: Option<String>,
    /// How many executions of this workflow run at once (per key value when `key` is set);
    /// the others wait in the queue, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<ConcurrencyLimit>,
    /// The steps, in document order. A step without `after` runs after the one listed before it.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// A workflow to run when an execution of this one fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<OnError>,
    /// Which finished executions of this workflow are kept, instead of the server's
    /// `retention_age` / `retention_count`; `{}` keeps them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionPolicy>,
}

/// `retention:` — the workflow's own rule for pruning its finished executions. It replaces
/// the server's rule for this workflow (a field not given does not apply).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Keep only the newest this many finished executions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub keep: Option<u64>,
    /// Delete finished executions that finished longer ago than this, e.g. `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"))]
    pub older_than: Option<String>,
}

/// `on_error:` — when an execution fails, the named workflow runs (trigger kind `error`) with
/// `trigger.body = {execution_id, workflow, error: {message, step_id}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnError {
    /// The name of the workflow to run (any stored workflow, active or not).
    pub workflow: String,
}

/// `on_failure:` of a sync webhook — the answer its caller gets when the execution fails,
/// instead of the default 500. Templates read `trigger`, `steps` and `execution` (with
/// `execution.error.message` and `execution.error.step_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnFailure {
    /// A 4xx or 5xx status (a number, or a template yielding one); 500 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Any value; templates inside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// `concurrency:` of a workflow: at most `limit` of its executions run at once, per value of
/// `key` when it is set. A queued execution does not count; the others wait in the queue,
/// oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcurrencyLimit {
    /// How many run at once (at least 1).
    #[schemars(range(min = 1))]
    pub limit: u32,
    /// A template reading `trigger` only, e.g. `{{trigger.body.customer_id}}`, rendered when
    /// the execution is queued: the limit holds per value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// What starts an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// An HTTP call to `/hooks/{path}`.
    Webhook(WebhookTrigger),
    /// A cron schedule.
    Schedule(ScheduleTrigger),
    /// Started by hand (editor, API, `weft run`).
    Manual(ManualTrigger),
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Webhook(_) => "webhook",
            Trigger::Schedule(_) => "schedule",
            Trigger::Manual(_) => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookTrigger {
    /// Served at `/hooks/{path}`; `[a-z0-9-_/]` only.
    #[schemars(regex(pattern = r"^[a-z0-9_-]+(/[a-z0-9_-]+)*$"))]
    pub path: String,
    /// Allowed HTTP methods, default `[POST]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<String>>,
    /// `async` (default): answer 202 at once; `sync`: wait and answer with the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<RespondMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<WebhookAuth>,
    /// At most N calls per second, minute or hour (`100/s`, `10/min`, `1000/h`), counted per
    /// workflow in fixed windows; beyond it the hook answers 429 with `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+/(s|sec|second|m|min|minute|h|hour)$"))]
    pub rate_limit: Option<String>,
    /// With `respond: sync`, the answer when the execution fails (default: a 500 naming the
    /// execution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<Box<OnFailure>>,
}

impl WebhookTrigger {
    /// The allowed methods, upper-case, with the default applied.
    pub fn allowed_methods(&self) -> Vec<String> {
        match &self.methods {
            Some(m) if !m.is_empty() => m.iter().map(|m| m.to_ascii_uppercase()).collect(),
            _ => vec!["POST".to_string()],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum RespondMode {
    #[default]
    Async,
    Sync,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookAuth {
    #[serde(rename = "type")]
    pub kind: AuthKind,
    /// For `hmac`: how the signature is carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<HmacPreset>,
    /// Name of the stored credential holding the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// For `header`: the header carrying the token (default `authorization`);
    /// for `hmac` with the `generic` preset: the header carrying the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    None,
    Header,
    Basic,
    Hmac,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HmacPreset {
    StandardWebhooks,
    Stripe,
    Github,
    Generic,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleTrigger {
    /// A cron expression: five fields (minute hour day month weekday), or six with seconds first.
    pub cron: String,
    /// IANA time zone name, e.g. `Europe/Paris`; default UTC. Daylight saving time follows the
    /// zone: a time skipped by the change runs at the first time after it, a time that occurs
    /// twice runs once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// What to do with ticks missed while Weft was not running: `skip` (default) drops them;
    /// `run_once` runs one execution for all of them when Weft is back (its body says how many).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up: Option<CatchUp>,
}

/// See [`ScheduleTrigger::catch_up`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    #[default]
    Skip,
    RunOnce,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ManualTrigger {}

/// One step of the DAG: an action with its config and per-step options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `[a-z_][a-z0-9_]*`, unique in the workflow; templates read the output as `steps.<id>`.
    #[schemars(regex(pattern = r"^[a-z_][a-z0-9_]*$"))]
    pub id: String,
    /// The step type: `http`, `set`, `if`, `switch`, `respond`, `delay`, `fail`, `workflow`, ….
    pub action: String,
    /// A human label for the editor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Steps (or `step.port` outputs) this one waits for. Absent: the step listed before;
    /// `[]`: right after the trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Vec<String>>,
    /// The action's config; string leaves may hold `{{…}}` templates.
    #[serde(default, rename = "with", skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// Per attempt, e.g. `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"))]
    pub timeout: Option<String>,
    /// A template yielding an array: the action runs once per item, with `item` and `index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<Value>,
    /// How many `for_each` items run at once (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub concurrency: Option<u32>,
    /// The step's failure becomes its output `{error}` and the workflow goes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_on_error: Option<bool>,
    /// Editor position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui: Option<Ui>,
}

impl Step {
    pub fn continues_on_error(&self) -> bool {
        self.continue_on_error.unwrap_or(false)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Total attempts including the first (1 = no retry).
    #[schemars(range(min = 1, max = 100))]
    pub max_attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// Delay before the second attempt (default `1s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"))]
    pub initial_delay: Option<String>,
    /// Upper bound of one delay (default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"))]
    pub max_delay: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    Fixed,
    #[default]
    Exponential,
}

/// Editor position of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    pub x: f64,
    pub y: f64,
}

/// One `after` entry: a step id and, for `if`/`switch` steps, an output port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency<'a> {
    pub step: &'a str,
    pub port: Option<&'a str>,
}

impl<'a> Dependency<'a> {
    pub fn parse(entry: &'a str) -> Self {
        match entry.split_once('.') {
            Some((step, port)) => Dependency {
                step,
                port: Some(port),
            },
            None => Dependency {
                step: entry,
                port: None,
            },
        }
    }
}

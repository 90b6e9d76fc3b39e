//! `wait`: holds the execution for a while, until a time, or until a request reaches its
//! resume URL (human in the loop). A waiting execution holds no worker slot: the step
//! suspends it ([`ActionError::suspended`]) and the host resumes it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem, Suspend};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{self, DurationText, Templated, is_template};
use crate::typed::TypedAction;

/// How long a callback waits when the step sets no `timeout`.
pub const DEFAULT_CALLBACK_TIMEOUT: std::time::Duration =
    std::time::Duration::from_secs(7 * 24 * 3600);

/// What a callback wait waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitFor {
    /// A request to `{{execution.resume_url}}`.
    Callback,
}

/// Waits, holding no worker slot, for one of: a `duration` (e.g. `2d`), an `until` time
/// (RFC 3339, or a template yielding one), or (`for: callback`) a request to the execution's
/// resume URL, `{{execution.resume_url}}`, within `timeout` (default 7d).
///
/// Output: for a timer, `{waited_until}`; for a callback, the request that resumed it,
/// `{method, headers, query, body}`. A callback that times out fails the step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WaitConfig")]
pub struct Config {
    /// How long to wait, e.g. `30s`, `2h`, `2d`.
    #[serde(default)]
    pub duration: Option<Templated<DurationText>>,
    /// Until when: an RFC 3339 timestamp such as `2027-01-31T09:00:00Z`.
    #[serde(default)]
    pub until: Option<String>,
    /// `callback`: until a request reaches `{{execution.resume_url}}`.
    #[serde(default, rename = "for")]
    pub wait_for: Option<WaitFor>,
    /// For a callback: how long to wait for it (default `7d`); then the step fails.
    #[serde(default)]
    pub timeout: Option<Templated<DurationText>>,
    /// For a callback: a JSON Schema object of fields; `GET` on the resume URL then shows a
    /// form whose submission resumes the execution.
    #[serde(default)]
    pub form: Option<Value>,
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let set = [
            self.duration.is_some(),
            self.until.is_some(),
            self.wait_for.is_some(),
        ]
        .iter()
        .filter(|s| **s)
        .count();
        if set != 1 {
            problems.push(ConfigProblem::new(
                "",
                "set exactly one of `duration`, `until` and `for: callback`",
            ));
        }
        if let Some(until) = &self.until
            && !is_template(until)
            && DateTime::parse_from_rfc3339(until).is_err()
        {
            problems.push(ConfigProblem::new(
                "until",
                format!("`{until}` is not an RFC 3339 time such as 2027-01-31T09:00:00Z"),
            ));
        }
        if self.wait_for.is_none() {
            for (field, set) in [
                ("timeout", self.timeout.is_some()),
                ("form", self.form.is_some()),
            ] {
                if set {
                    problems.push(ConfigProblem::new(
                        field,
                        format!("`{field}` belongs to a callback wait (`for: callback`)"),
                    ));
                }
            }
        }
        if let Some(form) = &self.form
            && form.get("properties").and_then(Value::as_object).is_none()
        {
            problems.push(ConfigProblem::new(
                "form",
                "a form is a JSON Schema object with `properties` (its fields)",
            ));
        }
        problems
    }
}

/// The `wait` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wait;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn later(d: std::time::Duration) -> Result<DateTime<Utc>, ActionError> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| Utc::now().checked_add_signed(d))
        .ok_or_else(|| ActionError::permanent("the wait is too long"))
}

#[async_trait]
impl TypedAction for Wait {
    type Config = Config;
    const KIND: &'static str = "wait";
    const TITLE: &'static str = "Wait";
    const PER_ITEM_REFUSAL: Option<&'static str> = Some(
        "a wait holds the whole execution: it cannot run per `for_each` item (wait before or after the loop)",
    );
    const DESCRIPTION: &'static str = "Holds the execution for a duration, until a time, or until a request reaches its resume URL (approvals, callbacks).";

    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        if ctx.item_index.is_some() {
            return Err(ActionError::permanent(
                "a wait holds the whole execution: it cannot run per `for_each` item",
            ));
        }
        ctx.services
            .check_suspend()
            .map_err(ActionError::permanent)?;
        let callback = config.wait_for == Some(WaitFor::Callback);
        // Run again after the execution resumed: what the host recorded decides.
        if let Some(record) = ctx.resumed {
            let until = record["until"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            return match record["state"].as_str() {
                Some("resumed") => Ok(ActionOutput::value(
                    record.get("request").cloned().unwrap_or(Value::Null),
                )),
                Some("elapsed") if callback => Err(ActionError::permanent(format!(
                    "no request reached the resume URL before the wait timed out{}",
                    until
                        .map(|t| format!(" at {}", time(t)))
                        .unwrap_or_default()
                ))),
                Some("elapsed") => Ok(ActionOutput::value(
                    json!({ "waited_until": until.map(time) }),
                )),
                _ => Err(ActionError::suspended(Suspend {
                    until,
                    callback,
                    form: config.form,
                })),
            };
        }
        let invalid = |field: &str, m: String| config::invalid(&ConfigProblem::new(field, m));
        let until = if let Some(d) = config.duration {
            Some(later(d.resolve().map_err(|m| invalid("duration", m))?.0)?)
        } else if let Some(text) = &config.until {
            let t = DateTime::parse_from_rfc3339(text.trim())
                .map_err(|_| {
                    invalid(
                        "until",
                        format!("`{text}` is not an RFC 3339 time such as 2027-01-31T09:00:00Z"),
                    )
                })?
                .with_timezone(&Utc);
            if t <= Utc::now() {
                // Already past: nothing to wait for.
                return Ok(ActionOutput::value(json!({ "waited_until": time(t) })));
            }
            Some(t)
        } else {
            let timeout = match config.timeout {
                Some(t) => t.resolve().map_err(|m| invalid("timeout", m))?.0,
                None => DEFAULT_CALLBACK_TIMEOUT,
            };
            Some(later(timeout)?)
        };
        Err(ActionError::suspended(Suspend {
            until,
            callback,
            form: config.form,
        }))
    }
}

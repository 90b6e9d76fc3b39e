//! `fail`: stops the step with an error, e.g. on a branch that should never be taken.

use async_trait::async_trait;
use engine::action::{Action, ActionContext, ActionError, ActionInfo, ActionOutput, ConfigProblem};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::config::{self, Text};

/// Fails the step with a message. The failure is permanent: retries do not repeat it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FailConfig")]
pub struct Config {
    /// The error message, e.g. `"unknown plan {{trigger.body.plan}}"`.
    pub message: Text,
}

impl config::Config for Config {}

/// The `fail` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fail;

#[async_trait]
impl Action for Fail {
    fn info(&self) -> ActionInfo {
        ActionInfo {
            kind: "fail",
            title: "Fail",
            description: "Stops the step with an error message; it is not retried.",
            config_schema: config::schema::<Config>(),
        }
    }

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    fn validate(&self, config: &Value) -> Vec<ConfigProblem> {
        config::validate::<Config>(config)
    }

    async fn run(&self, _: &ActionContext<'_>, input: &Value) -> Result<ActionOutput, ActionError> {
        let config: Config = config::parse(input)?;
        Err(ActionError::permanent(config.message.0))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::run;

    #[test]
    fn the_message_is_required_text() {
        assert_eq!(Fail.validate(&json!({"message": "bad {{x}}"})), vec![]);
        assert_eq!(Fail.validate(&json!({}))[0].field, "message");
        assert_eq!(
            Fail.validate(&json!({"message": ["a"]}))[0].field,
            "message"
        );
        assert_eq!(
            Fail.validate(&json!({"message": "m", "code": 1}))[0].field,
            "code"
        );
    }

    #[tokio::test]
    async fn it_always_fails_permanently_with_the_message() {
        let err = run(&Fail, json!({"message": "unknown plan gold"}))
            .await
            .unwrap_err();
        assert_eq!(err.message, "unknown plan gold");
        assert!(!err.retryable);
    }
}

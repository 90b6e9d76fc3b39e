//! `fail`: stops the step with an error, e.g. on a branch that should never be taken.

use crate::typed::TypedAction;
use async_trait::async_trait;
use engine::action::{ActionContext, ActionError, ActionOutput};
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
impl TypedAction for Fail {
    type Config = Config;
    const KIND: &'static str = "fail";
    const TITLE: &'static str = "Fail";
    const DESCRIPTION: &'static str = "Stops the step with an error message; it is not retried.";

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    async fn run(
        &self,
        _: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        Err(ActionError::permanent(config.message.0))
    }
}

#[cfg(test)]
mod tests {
    use engine::action::Action;

    use crate::Typed;
    use serde_json::json;

    use super::*;
    use crate::test_support::run;

    #[test]
    fn the_message_is_required_text() {
        assert_eq!(
            Typed(Fail).validate(&json!({"message": "bad {{x}}"})),
            vec![]
        );
        assert_eq!(Typed(Fail).validate(&json!({}))[0].field, "message");
        assert_eq!(
            Typed(Fail).validate(&json!({"message": ["a"]}))[0].field,
            "message"
        );
        assert_eq!(
            Typed(Fail).validate(&json!({"message": "m", "code": 1}))[0].field,
            "code"
        );
    }

    #[tokio::test]
    async fn it_always_fails_permanently_with_the_message() {
        let err = run(&Typed(Fail), json!({"message": "unknown plan gold"}))
            .await
            .unwrap_err();
        assert_eq!(err.message, "unknown plan gold");
        assert!(!err.retryable);
    }
}

//! `set`: builds a value from templates; the step's output is that value.

use crate::typed::TypedAction;
use async_trait::async_trait;
use engine::action::{ActionContext, ActionError, ActionOutput};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::config;

/// Builds a value: any YAML value with templates inside. The step's output is the rendered value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SetConfig")]
pub struct Config {
    /// The value to build, e.g. `{ user_id: "{{steps.create_user.body.id}}" }`.
    pub value: Value,
}

impl config::Config for Config {}

/// The `set` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Set;

#[async_trait]
impl TypedAction for Set {
    type Config = Config;
    const KIND: &'static str = "set";
    const TITLE: &'static str = "Set a value";
    const DESCRIPTION: &'static str =
        "Builds a value from templates; the step's output is that value.";

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    async fn run(
        &self,
        _: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        Ok(ActionOutput::value(config.value))
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
    fn any_value_is_valid_but_it_is_required() {
        assert_eq!(
            Typed(Set).validate(&json!({"value": {"a": "{{x}}", "b": [1, null]}})),
            vec![]
        );
        assert_eq!(Typed(Set).validate(&json!({"value": null})), vec![]);
        assert_eq!(Typed(Set).validate(&json!({}))[0].field, "value");
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            Typed(Set).validate(&json!({"value": 1, "vaule": 2}))[0].field,
            "vaule"
        );
    }

    #[tokio::test]
    async fn the_output_is_the_rendered_value() {
        let out = run(&Typed(Set), json!({"value": {"id": 7, "tags": ["a"]}}))
            .await
            .unwrap();
        assert_eq!(out.value, json!({"id": 7, "tags": ["a"]}));
        assert_eq!(out.port, None);
    }
}

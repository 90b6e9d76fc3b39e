//! `if`: takes port `true` or `false` by the truth of a condition.

use crate::typed::TypedAction;
use async_trait::async_trait;
use engine::action::{ActionContext, ActionError, ActionOutput, Ports};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config;

/// Takes port `true` when the condition is truthy, else port `false`. Output: `{result}`.
///
/// Truth is the one rule templates use too, [`engine::template::truthy`], documented in
/// docs/workflow-format.md, "Truth".
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "IfConfig")]
pub struct Config {
    /// The condition, usually a template such as `"{{gt trigger.body.amount 1000}}"`.
    pub condition: Value,
}

impl config::Config for Config {}

/// The `if` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct If;

#[async_trait]
impl TypedAction for If {
    type Config = Config;
    const PORTS: Option<Ports> = Some(Ports {
        keys_of: None,
        fixed: &["true", "false"],
    });
    const KIND: &'static str = "if";
    const TITLE: &'static str = "If";
    const DESCRIPTION: &'static str =
        "Takes port `true` when the condition is truthy, else port `false`.";

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    async fn run(
        &self,
        _: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        let result = engine::template::truthy(&config.condition);
        Ok(ActionOutput {
            value: json!({ "result": result }),
            port: Some(result.to_string()),
            response: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use engine::action::Action;

    use super::*;
    use crate::Typed;
    use crate::test_support::run;

    #[test]
    fn the_condition_is_required_and_may_be_anything() {
        assert_eq!(
            Typed(If).validate(&json!({"condition": "{{gt a 1}}"})),
            vec![]
        );
        assert_eq!(Typed(If).validate(&json!({"condition": false})), vec![]);
        assert_eq!(Typed(If).validate(&json!({}))[0].field, "condition");
        assert_eq!(
            Typed(If).validate(&json!({"condition": 1, "then": "x"}))[0].field,
            "then"
        );
    }

    #[test]
    fn the_ports_are_true_and_false() {
        assert_eq!(
            Typed(If).ports(&json!({})),
            Some(vec!["true".into(), "false".into()])
        );
    }

    /// The cases of docs/workflow-format.md, "Truth" (the engine's template tests check the
    /// same table for the helpers and block templates).
    #[tokio::test]
    async fn it_follows_the_one_truthiness_rule() {
        for (condition, want) in engine::template::TRUTH_CASES
            .iter()
            .map(|(text, want)| (serde_json::from_str::<Value>(text).unwrap(), *want))
        {
            let out = run(&Typed(If), json!({ "condition": condition }))
                .await
                .unwrap();
            assert_eq!(
                out.value,
                json!({ "result": want }),
                "{condition} should be {want}"
            );
            assert_eq!(
                out.port.as_deref(),
                Some(if want { "true" } else { "false" })
            );
            assert_eq!(engine::template::truthy(&condition), want, "{condition}");
        }
    }

    #[tokio::test]
    async fn it_takes_the_port_of_the_result() {
        let out = run(&Typed(If), json!({"condition": "off"})).await.unwrap();
        assert_eq!(out.value, json!({"result": false}));
        assert_eq!(out.port.as_deref(), Some("false"));
        let out = run(&Typed(If), json!({"condition": 1001})).await.unwrap();
        assert_eq!(out.port.as_deref(), Some("true"));
    }
}

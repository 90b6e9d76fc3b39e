//! `if`: takes port `true` or `false` by the truth of a condition.

use async_trait::async_trait;
use engine::action::{Action, ActionContext, ActionError, ActionInfo, ActionOutput, ConfigProblem};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config;

/// Takes port `true` when the condition is truthy, else port `false`. Output: `{result}`.
///
/// Falsy: `false`, `null`, `0`, `[]`, and the strings `""`, `"false"`, `"0"`, `"no"` and `"off"`
/// (any case, surrounding spaces ignored), so that a condition rendered inside text, such as
/// `"{{trigger.query.dry_run}}"`, reads as written. Everything else, including `{}`, is truthy.
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

const FALSE_WORDS: [&str; 4] = ["false", "0", "no", "off"];

/// The truth of a rendered condition (see [`Config`]).
fn is_true(condition: &Value) -> bool {
    match condition {
        Value::String(text) => {
            let text = text.trim();
            !text.is_empty() && !FALSE_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
        }
        other => engine::template::truthy(other),
    }
}

#[async_trait]
impl Action for If {
    fn info(&self) -> ActionInfo {
        ActionInfo {
            kind: "if",
            title: "If",
            description: "Takes port `true` when the condition is truthy, else port `false`.",
            config_schema: config::schema::<Config>(),
        }
    }

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    fn validate(&self, config: &Value) -> Vec<ConfigProblem> {
        config::validate::<Config>(config)
    }

    fn ports(&self, _: &Value) -> Option<Vec<String>> {
        Some(vec!["true".into(), "false".into()])
    }

    async fn run(&self, _: &ActionContext<'_>, input: &Value) -> Result<ActionOutput, ActionError> {
        let config: Config = config::parse(input)?;
        let result = is_true(&config.condition);
        Ok(ActionOutput {
            value: json!({ "result": result }),
            port: Some(result.to_string()),
            response: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::run;

    #[test]
    fn the_condition_is_required_and_may_be_anything() {
        assert_eq!(If.validate(&json!({"condition": "{{gt a 1}}"})), vec![]);
        assert_eq!(If.validate(&json!({"condition": false})), vec![]);
        assert_eq!(If.validate(&json!({}))[0].field, "condition");
        assert_eq!(
            If.validate(&json!({"condition": 1, "then": "x"}))[0].field,
            "then"
        );
    }

    #[test]
    fn the_ports_are_true_and_false() {
        assert_eq!(
            If.ports(&json!({})),
            Some(vec!["true".into(), "false".into()])
        );
    }

    #[test]
    fn words_for_no_are_false_like_handlebars_falsy_values() {
        for falsy in [
            json!(false),
            json!(null),
            json!(0),
            json!([]),
            json!(""),
            json!(" "),
            json!("false"),
            json!("FALSE"),
            json!("0"),
            json!("No"),
            json!("off"),
        ] {
            assert!(!is_true(&falsy), "{falsy} should be false");
        }
        for truthy in [
            json!(true),
            json!(1),
            json!(-0.5),
            json!("yes"),
            json!("true"),
            json!("00"),
            json!([0]),
            json!({}),
        ] {
            assert!(is_true(&truthy), "{truthy} should be true");
        }
    }

    #[tokio::test]
    async fn it_takes_the_port_of_the_result() {
        let out = run(&If, json!({"condition": "off"})).await.unwrap();
        assert_eq!(out.value, json!({"result": false}));
        assert_eq!(out.port.as_deref(), Some("false"));
        let out = run(&If, json!({"condition": 1001})).await.unwrap();
        assert_eq!(out.port.as_deref(), Some("true"));
    }
}

//! `switch`: takes the port of the first case whose value matches, else `default`.

use crate::typed::TypedAction;
use async_trait::async_trait;
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem, Ports};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Number, Value, json};

use crate::config::{self, Pairs};

/// Takes the port of the first case whose value equals `value`, else port `default`.
/// Output: `{case}`.
///
/// Numbers compare by value (`1` equals `1.0`), and a number equals the same number written as
/// a string (`201` equals `"201"`); everything else must be equal as JSON.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SwitchConfig")]
pub struct Config {
    /// The value to match, usually a template such as `"{{trigger.body.plan}}"`.
    pub value: Value,
    /// Case name → the value that selects it, tried in order. Names are the step's ports:
    /// `[a-z0-9_-]+`, not `default`.
    pub cases: Pairs<Value>,
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if self.cases.0.is_empty() {
            problems.push(ConfigProblem::new(
                "cases",
                "a switch needs at least one case",
            ));
        }
        for (name, _) in &self.cases.0 {
            let valid = !name.is_empty()
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !valid {
                problems.push(ConfigProblem::new(
                    format!("cases.{name}"),
                    format!("`{name}` is not a valid case name: use a-z, 0-9, `_` and `-`"),
                ));
            } else if name == DEFAULT {
                problems.push(ConfigProblem::new(
                    format!("cases.{name}"),
                    "`default` is the port taken when no case matches; name the case otherwise",
                ));
            }
        }
        problems
    }
}

const DEFAULT: &str = "default";

/// The `switch` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Switch;

/// Whether a rendered value matches a case's value (see [`Config`]).
fn matches(value: &Value, case: &Value) -> bool {
    let number = |v: &Value| match v {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => s.trim().parse::<Number>().ok(),
        _ => None,
    };
    if (value.is_number() || case.is_number())
        && let (Some(a), Some(b)) = (number(value), number(case))
    {
        return match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => a.as_f64() == b.as_f64(),
        };
    }
    value == case
}

#[async_trait]
impl TypedAction for Switch {
    type Config = Config;
    /// The case names in order, then `default`.
    const PORTS: Option<Ports> = Some(Ports {
        keys_of: Some("cases"),
        fixed: &[DEFAULT],
    });
    const KIND: &'static str = "switch";
    const TITLE: &'static str = "Switch";
    const DESCRIPTION: &'static str =
        "Takes the port of the first case whose value matches, else `default`.";

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    async fn run(
        &self,
        _: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        let case = config
            .cases
            .0
            .into_iter()
            .find(|(_, expected)| matches(&config.value, expected))
            .map_or_else(|| DEFAULT.to_string(), |(name, _)| name);
        Ok(ActionOutput {
            value: json!({ "case": case }),
            port: Some(case),
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
    fn value_and_cases_are_required() {
        let valid =
            json!({"value": "{{trigger.body.plan}}", "cases": {"gold": "gold", "tier-2": 2}});
        assert_eq!(Typed(Switch).validate(&valid), vec![]);
        assert_eq!(
            Typed(Switch).validate(&json!({"cases": {"a": 1}}))[0].field,
            "value"
        );
        assert_eq!(
            Typed(Switch).validate(&json!({"value": 1}))[0].field,
            "cases"
        );
        assert_eq!(
            Typed(Switch).validate(&json!({"value": 1, "cases": {}}))[0].field,
            "cases"
        );
        assert_eq!(
            Typed(Switch).validate(&json!({"value": 1, "cases": "{{x}}"}))[0].field,
            "cases"
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        let found =
            Typed(Switch).validate(&json!({"value": 1, "cases": {"a": 1}, "fallback": "a"}));
        assert_eq!(found[0].field, "fallback");
    }

    #[test]
    fn case_names_must_be_port_names_other_than_default() {
        let found = Typed(Switch)
            .validate(&json!({"value": 1, "cases": {"Gold": 1, "default": 2, "ok_1-b": 3}}));
        let fields: Vec<_> = found.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["cases.Gold", "cases.default"]);
    }

    #[test]
    fn the_ports_are_the_case_names_in_order_then_default() {
        let config = json!({"value": 1, "cases": {"zeta": 1, "alpha": 2}});
        assert_eq!(
            Typed(Switch).ports(&config),
            Some(vec!["zeta".into(), "alpha".into(), "default".into()])
        );
        assert_eq!(
            Typed(Switch).ports(&json!({})),
            Some(vec!["default".into()])
        );
    }

    #[test]
    fn numbers_match_by_value_and_as_numeric_strings() {
        assert!(matches(&json!(1), &json!(1.0)));
        assert!(matches(&json!(201), &json!("201")));
        assert!(matches(&json!(" 2.5"), &json!(2.5)));
        assert!(!matches(&json!("01"), &json!("1")));
        assert!(!matches(
            &json!(9007199254740993_u64),
            &json!(9007199254740992_u64)
        ));
        assert!(matches(&json!({"a": [1]}), &json!({"a": [1]})));
        assert!(!matches(&json!(true), &json!("true")));
        assert!(!matches(&json!(null), &json!(0)));
    }

    #[tokio::test]
    async fn the_first_matching_case_wins_else_default() {
        let config = |value| json!({"value": value, "cases": {"small": 1, "one": "1", "big": 100}});
        let out = run(&Typed(Switch), config(json!("1"))).await.unwrap();
        assert_eq!(out.value, json!({"case": "small"}));
        assert_eq!(out.port.as_deref(), Some("small"));
        let out = run(&Typed(Switch), config(json!(7))).await.unwrap();
        assert_eq!(out.value, json!({"case": "default"}));
        assert_eq!(out.port.as_deref(), Some("default"));
    }
}

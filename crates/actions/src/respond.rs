//! `respond`: sets the answer for the caller of a sync webhook or `weft run`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem, Response};
use reqwest::header::{HeaderName, HeaderValue};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{self, Pairs, Status, Templated, Texts, is_template};
use crate::typed::TypedAction;

/// Answers the caller of a sync webhook (or `weft run`). Output: what it sent,
/// `{status, headers, body}`.
///
/// A header with a list of values is sent once, its values joined with `, `; a null header is
/// left out.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RespondConfig")]
pub struct Config {
    /// The HTTP status; 200 when absent.
    #[serde(default)]
    pub status: Option<Templated<Status>>,
    /// Response headers by name.
    #[serde(default)]
    pub headers: Option<Templated<Pairs<Texts>>>,
    /// The body: any value; null when absent.
    #[serde(default)]
    pub body: Value,
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if let Some(Templated::Value(headers)) = &self.headers {
            for (name, Texts(values)) in &headers.0 {
                if !is_template(name) && HeaderName::from_bytes(name.as_bytes()).is_err() {
                    problems.push(ConfigProblem::new(
                        format!("headers.{name}"),
                        format!("`{name}` is not a valid header name"),
                    ));
                }
                let joined = values.join(", ");
                if !is_template(&joined) && HeaderValue::from_str(&joined).is_err() {
                    problems.push(ConfigProblem::new(
                        format!("headers.{name}"),
                        "the value holds characters a header cannot carry",
                    ));
                }
            }
        }
        problems
    }
}

/// The `respond` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Respond;

#[async_trait]
impl TypedAction for Respond {
    type Config = Config;
    const KIND: &'static str = "respond";
    const TITLE: &'static str = "Respond";
    const DESCRIPTION: &'static str = "Sets the status, headers and body answered to the caller of a sync \
                          webhook.";

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    async fn run(
        &self,
        _: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        let invalid =
            |field: &str, message: String| config::invalid(&ConfigProblem::new(field, message));
        let status = match config.status {
            Some(status) => status.resolve().map_err(|m| invalid("status", m))?.0,
            None => 200,
        };
        let mut headers = BTreeMap::new();
        if let Some(pairs) = config.headers {
            for (name, Texts(values)) in pairs.resolve().map_err(|m| invalid("headers", m))?.0 {
                if !values.is_empty() {
                    headers.insert(name, values.join(", "));
                }
            }
        }
        let response = Response {
            status,
            headers,
            body: config.body,
        };
        Ok(ActionOutput {
            value: json!({
                "status": response.status,
                "headers": response.headers,
                "body": response.body,
            }),
            port: None,
            response: Some(response),
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
    fn every_field_is_optional() {
        assert_eq!(Typed(Respond).validate(&json!({})), vec![]);
    }

    #[test]
    fn the_status_is_a_number_from_100_to_599_or_a_template() {
        assert_eq!(Typed(Respond).validate(&json!({"status": 201})), vec![]);
        assert_eq!(
            Typed(Respond).validate(&json!({"status": "{{steps.a.status}}"})),
            vec![]
        );
        assert_eq!(
            Typed(Respond).validate(&json!({"status": 600}))[0].field,
            "status"
        );
        assert_eq!(
            Typed(Respond).validate(&json!({"status": "created"}))[0].field,
            "status"
        );
    }

    #[test]
    fn headers_are_checked_and_unknown_fields_named() {
        let found = Typed(Respond).validate(&json!({"headers": {"X Bad": "v", "X-Ok": ["a", 1]}}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "headers.X Bad");
        assert_eq!(
            Typed(Respond).validate(&json!({"stauts": 200}))[0].field,
            "stauts"
        );
    }

    #[tokio::test]
    async fn it_returns_the_response_it_sends() {
        let input = json!({
            "status": "201",
            "headers": {"Location": "/users/7", "Vary": ["a", "b"], "X-None": null},
            "body": {"id": 7},
        });
        let out = run(&Typed(Respond), input).await.unwrap();
        let response = out.response.unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.headers["Location"], "/users/7");
        assert_eq!(response.headers["Vary"], "a, b");
        assert!(!response.headers.contains_key("X-None"));
        assert_eq!(
            out.value,
            json!({"status": 201, "headers": {"Location": "/users/7", "Vary": "a, b"}, "body": {"id": 7}})
        );
    }

    #[tokio::test]
    async fn the_defaults_are_200_and_a_null_body() {
        let out = run(&Typed(Respond), json!({})).await.unwrap();
        assert_eq!(
            out.value,
            json!({"status": 200, "headers": {}, "body": null})
        );
    }
}

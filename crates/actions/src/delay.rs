//! `delay`: waits, then goes on.

use std::time::Duration;

use crate::typed::TypedAction;
use async_trait::async_trait;
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{self, DurationText, Templated};

/// The longest wait a `delay` step may ask for. Longer waits belong to a schedule trigger: a
/// sleeping step holds its execution.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

/// Waits for a while (at most 1h), then goes on. Output: `{waited_ms}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DelayConfig")]
pub struct Config {
    /// How long to wait, e.g. `500ms`, `2s`, `5m`; at most `1h`.
    pub duration: Templated<DurationText>,
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        match self.duration.value() {
            Some(DurationText(d)) if *d > MAX_DELAY => vec![ConfigProblem::new(
                "duration",
                format!(
                    "{d:?} is longer than the 1h a delay step may wait; use a schedule trigger"
                ),
            )],
            _ => Vec::new(),
        }
    }
}

/// The `delay` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delay;

#[async_trait]
impl TypedAction for Delay {
    type Config = Config;
    const KIND: &'static str = "delay";
    const TITLE: &'static str = "Delay";
    const DESCRIPTION: &'static str = "Waits for a duration (at most 1h), then goes on.";

    fn is_safe(&self, _: &Value) -> bool {
        true
    }

    async fn run(
        &self,
        _: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        // `parse` has checked the rendered duration against the maximum.
        let wait = config
            .duration
            .resolve()
            .map_err(|message| config::invalid(&ConfigProblem::new("duration", message)))?;
        tokio::time::sleep(wait.0).await;
        Ok(ActionOutput::value(
            json!({ "waited_ms": wait.0.as_millis() as u64 }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use engine::action::Action;

    use super::*;
    use crate::Typed;
    use crate::test_support::run;

    #[test]
    fn the_duration_is_required_and_parsed() {
        assert_eq!(Typed(Delay).validate(&json!({"duration": "1h"})), vec![]);
        assert_eq!(
            Typed(Delay).validate(&json!({"duration": "{{env.WAIT}}"})),
            vec![]
        );
        assert_eq!(Typed(Delay).validate(&json!({}))[0].field, "duration");
        let found = Typed(Delay).validate(&json!({"duration": "5 minutes"}));
        assert_eq!(found[0].field, "duration");
        assert!(found[0].message.contains("not a duration"), "{found:?}");
        assert_eq!(
            Typed(Delay).validate(&json!({"duration": "1s", "jitter": "1s"}))[0].field,
            "jitter"
        );
    }

    #[test]
    fn a_delay_longer_than_an_hour_is_rejected() {
        let found = Typed(Delay).validate(&json!({"duration": "1h1s"}));
        assert_eq!(found[0].field, "duration");
        assert!(found[0].message.contains("longer than the 1h"), "{found:?}");
    }

    #[tokio::test]
    async fn it_sleeps_for_the_duration_and_reports_it() {
        let started = std::time::Instant::now();
        let out = run(&Typed(Delay), json!({"duration": "30ms"}))
            .await
            .unwrap();
        assert_eq!(out.value, json!({"waited_ms": 30}));
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    #[tokio::test]
    async fn a_rendered_duration_over_an_hour_fails_permanently() {
        let err = run(&Typed(Delay), json!({"duration": "2h"}))
            .await
            .unwrap_err();
        assert!(!err.retryable);
        assert!(
            err.message.contains("invalid `with.duration`"),
            "{}",
            err.message
        );
    }
}

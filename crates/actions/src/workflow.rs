//! `workflow`: runs another workflow as a child execution (a sub-workflow).

use async_trait::async_trait;
use engine::ExecutionStatus;
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem};
use engine::services::ChildRequest;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{self, is_template};
use crate::typed::TypedAction;

/// Calls another workflow by name, whatever its trigger and whether it is active: the child is
/// an execution of its own (trigger kind `workflow`, `input` as its `trigger.body`, the parent
/// as `trigger.parent`).
///
/// Output with `wait: true` (the default): `{execution_id, status, output}`, where `output` is
/// the child's `respond` body or else its last step's output; a child that fails fails the
/// step with the child's error. With `wait: false`: `{execution_id}` once the child is queued.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WorkflowConfig")]
pub struct Config {
    /// The name of the workflow to run.
    pub workflow: String,
    /// The child's `trigger.body`: any value; null when absent.
    #[serde(default)]
    pub input: Value,
    /// Wait for the child to finish and output its result (default), or go on once it is
    /// queued.
    #[serde(default = "yes")]
    pub wait: bool,
}

fn yes() -> bool {
    true
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        if self.workflow.trim().is_empty() {
            return vec![ConfigProblem::new(
                "workflow",
                "name the workflow to run (its `name:`)",
            )];
        }
        Vec::new()
    }
}

impl Config {
    /// The workflow called, when its name is written out (not a template): what the static
    /// cycle check follows.
    pub fn literal_workflow(config: &Value) -> Option<&str> {
        config
            .get("workflow")
            .and_then(Value::as_str)
            .filter(|name| !is_template(name))
    }
}

/// The `workflow` action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Workflow;

#[async_trait]
impl TypedAction for Workflow {
    type Config = Config;
    const KIND: &'static str = "workflow";
    const TITLE: &'static str = "Run workflow";
    const DESCRIPTION: &'static str =
        "Runs another workflow by name as a child execution and, by default, waits for its result.";

    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        config: Config,
    ) -> Result<ActionOutput, ActionError> {
        let request = ChildRequest {
            workflow: config.workflow,
            input: config.input,
            step_id: ctx.step_id.to_string(),
            item_index: ctx.item_index,
            idempotency_key: format!("workflow:{}", ctx.idempotency_key()),
        };
        let id = ctx.services.start_child(request).await?;
        if !config.wait {
            return Ok(ActionOutput::value(json!({ "execution_id": id })));
        }
        let child = ctx.services.await_child(id).await?;
        match child.status {
            ExecutionStatus::Succeeded => Ok(ActionOutput::value(json!({
                "execution_id": id,
                "status": child.status.as_str(),
                "output": child.output,
            }))),
            status => {
                let why = child
                    .error
                    .map(|e| match e.step_id {
                        Some(step) => format!("{} (step `{step}`)", e.message),
                        None => e.message,
                    })
                    .unwrap_or_else(|| "no error recorded".into());
                Err(ActionError::permanent(format!(
                    "the child execution {id} {}: {why}",
                    status.as_str()
                ))
                .with_details(json!({ "execution_id": id, "status": status.as_str() })))
            }
        }
    }
}

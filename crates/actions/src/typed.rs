//! The typed shape of an action: the config is the plug-in. An action names its kind, title and
//! description, its `Config` type (whose JSON Schema the editor draws a form from, and whose
//! deserialization is the validation), and what it does with a rendered config. [`Typed`] is
//! the one adapter to the engine's dynamic [`Action`]: no action parses its own `Value`.
//!
//! Adding an action kind is one file with a [`TypedAction`] and one line in [`crate::registry`].

use async_trait::async_trait;
use engine::action::{
    Action, ActionContext, ActionError, ActionInfo, ActionOutput, ConfigProblem, Ports,
};
use serde_json::Value;

use crate::config::{self, Config};

/// An action with a typed `with:` config; register it as `Typed(action)`.
#[async_trait]
pub trait TypedAction: Send + Sync + 'static {
    /// The step's `with:`, read once raw (validation: string leaves may still be templates)
    /// and once rendered (run), by the same type.
    type Config: Config + Send;
    /// The step's `action:` name.
    const KIND: &'static str;
    /// A short label for the editor's palette.
    const TITLE: &'static str;
    /// One sentence: what the action does.
    const DESCRIPTION: &'static str;

    /// See [`Action::is_safe`]; `config` is the raw `with:` (templates unrendered).
    fn is_safe(&self, _config: &Value) -> bool {
        false
    }

    /// See [`Action::per_item_refusal`].
    const PER_ITEM_REFUSAL: Option<&'static str> = None;

    /// For a branching action, how its ports follow from its `with:` (served to the editor,
    /// which draws the same ports); read from the raw config, so that the ports are known
    /// even while the rest of it has problems.
    const PORTS: Option<Ports> = None;

    /// Runs once with the rendered, checked config.
    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        config: Self::Config,
    ) -> Result<ActionOutput, ActionError>;
}

/// A [`TypedAction`] as the engine's [`Action`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Typed<A>(pub A);

#[async_trait]
impl<A: TypedAction> Action for Typed<A> {
    fn info(&self) -> ActionInfo {
        ActionInfo {
            kind: A::KIND.into(),
            title: A::TITLE.into(),
            description: A::DESCRIPTION.into(),
            config_schema: config::schema::<A::Config>(),
            ports: A::PORTS,
            connector: None,
        }
    }

    fn validate(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut problems = config::validate::<A::Config>(config);
        // A credential is named as written: a template would let whoever sends the trigger
        // pick any stored credential (and the usage check could not see it).
        if let Some(Value::String(name)) = config.get("credential")
            && config::is_template(name)
        {
            problems.push(ConfigProblem::new(
                "credential",
                "name the credential as written, not with a template: a template would let whoever sends the data pick any stored credential",
            ));
        }
        problems
    }

    fn ports(&self, config: &Value) -> Option<Vec<String>> {
        A::PORTS.map(|p| p.of(config))
    }

    fn is_safe(&self, config: &Value) -> bool {
        self.0.is_safe(config)
    }

    fn per_item_refusal(&self) -> Option<&'static str> {
        A::PER_ITEM_REFUSAL
    }

    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        input: &Value,
    ) -> Result<ActionOutput, ActionError> {
        let config = config::parse::<A::Config>(input)?;
        self.0.run(ctx, config).await
    }
}

//! Weft's step types. One file per action kind, each with a typed `Config` (the `with:` of a
//! step, whose JSON Schema drives the editor's forms) and its behaviour; [`registry`] maps each
//! kind to its implementation.
//!
//! A config is checked twice with the same type: raw by [`Action::validate`] (string leaves may
//! still be templates, see `config::Templated`) and rendered at the start of [`Action::run`].
//!
//! [`Action::validate`]: engine::action::Action::validate
//! [`Action::run`]: engine::action::Action::run

mod config;
mod delay;
mod fail;
mod http;
mod r#if;
pub mod outbound;
mod respond;
mod set;
mod switch;
mod typed;
mod wait;
pub mod webhook;
mod workflow;

use std::sync::Arc;
use std::time::Duration;

use engine::action::Registry;

pub use config::{Config, DurationText, Pairs, Status, Templated, Text, Texts, kind_of};
pub use delay::{Delay, MAX_DELAY};
pub use fail::Fail;
pub use http::{Http, HttpMethod, HttpUrl};
pub use r#if::If;
pub use respond::Respond;
pub use set::Set;
pub use switch::Switch;
pub use typed::{Typed, TypedAction};
pub use wait::Wait;
pub use webhook::Webhook;
pub use workflow::Workflow;

/// The typed `with:` config of each action.
pub mod configs {
    pub use crate::delay::Config as Delay;
    pub use crate::fail::Config as Fail;
    pub use crate::http::Config as Http;
    pub use crate::r#if::Config as If;
    pub use crate::respond::Config as Respond;
    pub use crate::set::Config as Set;
    pub use crate::switch::Config as Switch;
    pub use crate::wait::Config as Wait;
    pub use crate::webhook::Config as Webhook;
    pub use crate::workflow::Config as Workflow;
}

/// Every action kind, the `http` action calling out through `client` (see [`http_client`]),
/// whose outbound policy the `webhook` action checks too.
pub fn registry(client: HttpClient) -> Registry {
    let mut registry = Registry::new();
    registry
        .register(Typed(Http::new(client.clone())))
        .register(Typed(Webhook::new(client)))
        .register(Typed(Set))
        .register(Typed(If))
        .register(Typed(Switch))
        .register(Typed(Respond))
        .register(Typed(Delay))
        .register(Typed(Fail))
        .register(Typed(Wait))
        .register(Typed(Workflow));
    registry
}

/// The HTTP client the `http` action calls out with, and the outbound policy it enforces.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub(crate) client: reqwest::Client,
    pub(crate) policy: Arc<outbound::Policy>,
}

impl HttpClient {
    pub fn policy(&self) -> &outbound::Policy {
        &self.policy
    }

    /// The underlying reqwest client (its resolver enforces the policy for names).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }
}

/// [`http_client_with`] the default policy: every non-public address refused.
pub fn http_client() -> HttpClient {
    http_client_with(outbound::Policy::deny_private())
}

/// The one HTTP client the process shares (it pools connections): no redirects of its own
/// (the `http` action follows them, checking each hop), a 10s connect timeout, user agent
/// `weft/<version>`, and a DNS resolver that drops the addresses `policy` refuses.
/// Per-request timeouts come from the step.
///
/// # Panics
/// When the TLS backend cannot be initialised, which leaves the process unable to make calls.
pub fn http_client_with(policy: outbound::Policy) -> HttpClient {
    let policy = Arc::new(policy);
    let client = reqwest::Client::builder()
        .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(outbound::Resolver {
            policy: policy.clone(),
        }))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_keepalive(Duration::from_secs(60))
        .build()
        .expect("the HTTP client (TLS backend) could not be initialised");
    HttpClient { client, policy }
}

#[cfg(test)]
mod test_support {
    use engine::action::{Action, ActionContext, ActionError, ActionOutput};
    use engine::credentials::{CredentialsProvider, NoCredentials};
    use serde_json::Value;
    use uuid::Uuid;

    /// Runs an action once with a plain context and no credentials.
    pub(crate) async fn run(
        action: &dyn Action,
        input: Value,
    ) -> Result<ActionOutput, ActionError> {
        run_with(action, input, &NoCredentials).await
    }

    /// Runs an action once with a plain context and `credentials`.
    pub(crate) async fn run_with(
        action: &dyn Action,
        input: Value,
        credentials: &dyn CredentialsProvider,
    ) -> Result<ActionOutput, ActionError> {
        let ctx = ActionContext {
            execution_id: Uuid::nil(),
            workflow: "test",
            step_id: "step",
            item_index: None,
            attempt: 1,
            timeout: None,
            credentials,
            services: &engine::services::NoServices,
            resumed: None,
            trace: &engine::trace::Trace::of(Uuid::nil(), None),
        };
        action.run(&ctx, &input).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_knows_every_action_kind() {
        let registry = registry(http_client());
        let kinds: Vec<_> = registry.kinds().collect();
        assert_eq!(
            kinds,
            [
                "delay", "fail", "http", "if", "respond", "set", "switch", "wait", "webhook",
                "workflow"
            ]
        );
    }

    #[test]
    fn every_config_schema_is_an_object_schema_that_rejects_unknown_fields() {
        for info in registry(http_client()).infos() {
            let schema = &info.config_schema;
            assert_eq!(schema["type"], "object", "{}", info.kind);
            assert_eq!(schema["additionalProperties"], false, "{}", info.kind);
        }
    }
}

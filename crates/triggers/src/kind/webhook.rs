//! `type: webhook`: an HTTP call to `/hooks/{path}`. Its intake (auth, body, idempotency) is
//! [`crate::intake`]; this is what the rest of Weft asks of the kind.

use async_trait::async_trait;
use engine::TriggerEvent;
use engine::action::ConfigProblem;
use engine::credentials::CredentialsProvider;
use engine::model::{AuthKind, Trigger, WebhookTrigger};
use engine::trigger::{ManualInput, TriggerInfo, TriggerKind, manual_event_with};

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The webhook trigger kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Webhook;

impl Webhook {
    pub const KIND: &str = "webhook";

    /// The settings of a webhook trigger (`None` for another kind).
    pub fn settings(trigger: &Trigger) -> Option<&WebhookTrigger> {
        match trigger {
            Trigger::Webhook(w) => Some(w),
            _ => None,
        }
    }
}

#[async_trait]
impl TriggerKind for Webhook {
    fn info(&self) -> TriggerInfo {
        TriggerInfo {
            kind: Webhook::KIND,
            title: "Webhook",
            description: "An HTTP call to /hooks/{path}: answered at once (async) or with the result (sync).",
        }
    }

    fn validate(&self, trigger: &Trigger) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let Some(w) = Webhook::settings(trigger) else {
            return problems;
        };
        if !valid_hook_path(&w.path) {
            problems.push(ConfigProblem::new("path", format!(
                "`{}` is not a valid webhook path: use lower-case letters, digits, `-`, `_` and `/` between segments",
                w.path
            )));
        } else if w.path.starts_with('_') {
            problems.push(ConfigProblem::new(
                "path",
                format!(
                    "`{}`: webhook paths starting with `_` are reserved for Weft's own URLs (such as `/hooks/_resume/...`)",
                    w.path
                ),
            ));
        }
        if let Some(methods) = &w.methods {
            for (k, m) in methods.iter().enumerate() {
                if !HTTP_METHODS.contains(&m.to_ascii_uppercase().as_str()) {
                    problems.push(ConfigProblem::new(
                        format!("methods[{k}]"),
                        format!("`{m}` is not an HTTP method ({})", HTTP_METHODS.join(", ")),
                    ));
                }
            }
        }
        if let Some(auth) = &w.auth {
            if auth.kind != AuthKind::None && auth.credential.as_deref().is_none_or(str::is_empty) {
                problems.push(ConfigProblem::new(
                    "auth.credential",
                    "this auth type needs `credential`: the name of the stored secret",
                ));
            }
            if auth.kind == AuthKind::Hmac && auth.preset.is_none() {
                problems.push(ConfigProblem::new(
                    "auth.preset",
                    "hmac auth needs a `preset`: standard-webhooks, stripe, github or generic",
                ));
            }
            if auth.kind != AuthKind::Hmac && auth.preset.is_some() {
                problems.push(ConfigProblem::new(
                    "auth.preset",
                    "`preset` applies only to `type: hmac`",
                ));
            }
        }
        problems
    }

    fn webhook_path<'t>(&self, trigger: &'t Trigger) -> Option<&'t str> {
        Webhook::settings(trigger).map(|w| w.path.as_str())
    }

    /// The first allowed method and the trigger's path.
    fn manual_event(&self, trigger: &Trigger, input: ManualInput) -> TriggerEvent {
        let (method, path) = match Webhook::settings(trigger) {
            Some(w) => (
                w.allowed_methods()
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| "POST".into()),
                format!("/hooks/{}", w.path),
            ),
            None => ("POST".to_string(), String::new()),
        };
        manual_event_with(Webhook::KIND, &method, path, input)
    }

    /// The secret the trigger's auth names exists and is strong enough ([`crate::check_secret`]).
    async fn check_saved(
        &self,
        trigger: &Trigger,
        credentials: &dyn CredentialsProvider,
    ) -> Result<(), ConfigProblem> {
        let Some(auth) = Webhook::settings(trigger).and_then(|w| w.auth.as_ref()) else {
            return Ok(());
        };
        if auth.kind == AuthKind::None {
            return Ok(());
        }
        let credential = match &auth.credential {
            Some(name) => credentials.get(name).await.ok(),
            None => None,
        };
        crate::check_secret(auth, credential.as_ref())
            .map_err(|message| ConfigProblem::new("auth.credential", message))
    }
}

fn valid_hook_path(p: &str) -> bool {
    !p.is_empty()
        && p.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use engine::model::ManualTrigger;
    use serde_json::Value;

    use super::*;

    #[test]
    fn hook_paths_follow_the_format() {
        assert!(valid_hook_path("new-customer"));
        assert!(valid_hook_path("crm/new_user"));
        assert!(!valid_hook_path("/lead"));
        assert!(!valid_hook_path("Bad Path!"));
    }

    #[test]
    fn a_manual_run_of_a_webhook_workflow_looks_like_its_first_method_and_path() {
        let t = Trigger::Webhook(WebhookTrigger {
            path: "new-user".into(),
            methods: Some(vec!["put".into(), "post".into()]),
            respond: None,
            auth: None,
            on_failure: None,
        });
        let headers = BTreeMap::from([("X-Api-Key".to_string(), "k".to_string())]);
        let input = |headers| ManualInput {
            body: Value::Null,
            headers,
            query: BTreeMap::new(),
        };
        let e = crate::kinds().manual_event(&t, input(headers));
        assert_eq!(e.method, "PUT");
        assert_eq!(e.path, "/hooks/new-user");
        assert_eq!(e.headers["x-api-key"], "k");
        let m =
            crate::kinds().manual_event(&Trigger::Manual(ManualTrigger {}), input(BTreeMap::new()));
        assert_eq!(m.kind, "manual");
    }
}

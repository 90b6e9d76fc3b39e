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
        if let Some(rate) = &w.rate_limit
            && let Err(message) = RateLimit::parse(rate)
        {
            problems.push(ConfigProblem::new("rate_limit", message));
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
            Some(name) => credentials.get(name).await.ok().map(|r| r.credential),
            None => None,
        };
        crate::check_secret(auth, credential.as_ref())
            .map_err(|message| ConfigProblem::new("auth.credential", message))
    }
}

/// A webhook's `rate_limit`, parsed: at most `limit` calls per fixed window of `window_secs`
/// seconds (windows start at multiples of their length since the Unix epoch, so `10/min`
/// resets on each minute of the clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// At least 1.
    pub limit: u32,
    /// 1, 60 or 3600.
    pub window_secs: u32,
}

impl RateLimit {
    /// Parses `N/unit`: N a positive integer, the unit `s`, `sec`, `second`, `m`, `min`,
    /// `minute`, `h` or `hour`. The error is the message of the validation problem.
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let wrong = || {
            format!(
                "rate_limit `{text}`: expected N/unit like 100/s, 10/min or 1000/h (N a positive whole number; units s, sec, second, m, min, minute, h, hour)"
            )
        };
        let (n, unit) = text.split_once('/').ok_or_else(wrong)?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(wrong());
        }
        let limit: u32 = match n.parse() {
            Ok(0) => {
                return Err(format!(
                    "rate_limit `{text}`: N must be at least 1 (to stop the hook, deactivate the workflow)"
                ));
            }
            Ok(n) => n,
            Err(_) => return Err(format!("rate_limit `{text}`: N is too large")),
        };
        let window_secs = match unit {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(wrong()),
        };
        Ok(RateLimit { limit, window_secs })
    }

    /// The trigger's rate limit: `None` without one (or with one that does not parse, which
    /// validation refuses before a workflow is saved).
    pub fn of(hook: &WebhookTrigger) -> Option<RateLimit> {
        hook.rate_limit
            .as_deref()
            .and_then(|r| RateLimit::parse(r).ok())
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
    fn rate_limits_are_n_per_second_minute_or_hour() {
        let rate = |limit, window_secs| Ok(RateLimit { limit, window_secs });
        for (text, expected) in [
            ("100/s", rate(100, 1)),
            ("1/sec", rate(1, 1)),
            ("5/second", rate(5, 1)),
            ("10/m", rate(10, 60)),
            ("10/min", rate(10, 60)),
            ("3/minute", rate(3, 60)),
            ("1000/h", rate(1000, 3600)),
            ("7/hour", rate(7, 3600)),
            ("4294967295/s", rate(u32::MAX, 1)),
        ] {
            assert_eq!(RateLimit::parse(text), expected, "{text}");
        }
        for text in [
            "ten/s", "", "10", "/s", "10/", "10/d", "10/S", "10/ s", " 10/s", "-1/s", "+1/s",
            "1.5/s", "10/s/s", "10 per s",
        ] {
            let e = RateLimit::parse(text).expect_err(text);
            assert_eq!(
                e,
                format!(
                    "rate_limit `{text}`: expected N/unit like 100/s, 10/min or 1000/h (N a positive whole number; units s, sec, second, m, min, minute, h, hour)"
                )
            );
        }
        assert!(
            RateLimit::parse("0/min")
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(
            RateLimit::parse("4294967296/s")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn a_bad_rate_limit_is_a_problem_at_its_field() {
        let hook = |rate: &str| {
            Trigger::Webhook(WebhookTrigger {
                path: "p".into(),
                methods: None,
                respond: None,
                auth: None,
                rate_limit: Some(rate.into()),
                on_failure: None,
            })
        };
        assert!(Webhook.validate(&hook("100/s")).is_empty());
        let problems = Webhook.validate(&hook("ten/s"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "rate_limit");
        assert!(
            problems[0]
                .message
                .starts_with("rate_limit `ten/s`: expected N/unit like 100/s")
        );
        let Trigger::Webhook(w) = hook("3/min") else {
            unreachable!()
        };
        assert_eq!(
            RateLimit::of(&w),
            Some(RateLimit {
                limit: 3,
                window_secs: 60
            })
        );
    }

    #[test]
    fn a_manual_run_of_a_webhook_workflow_looks_like_its_first_method_and_path() {
        let t = Trigger::Webhook(WebhookTrigger {
            path: "new-user".into(),
            methods: Some(vec!["put".into(), "post".into()]),
            respond: None,
            auth: None,
            rate_limit: None,
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

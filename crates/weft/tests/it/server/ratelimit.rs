//! Webhook rate limits: `rate_limit: 3/min` lets three calls a minute through and answers the
//! next 429 `rate_limited` with `Retry-After`, before its body is read and without an
//! execution; the test URL shares the workflow's count; a workflow without `rate_limit` is not
//! limited; a bad value is a located problem; two processes on one PostgreSQL share a limit.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::harness::{Backend, Deployment, Reply, Server, on_both_backends, send};

fn hook(path: &str, rate_limit: Option<&str>) -> String {
    let rate = rate_limit
        .map(|r| format!(", rate_limit: \"{r}\""))
        .unwrap_or_default();
    format!(
        r#"
name: {path}
trigger: {{ type: webhook, path: {path}{rate} }}
steps:
  - id: ok
    action: set
    with: {{ value: 1 }}
"#
    )
}

/// Waits for the next minute when this one is nearly over, so that the calls of a test land in
/// one window of a `/min` limit (windows start on the minute of the clock; the server runs on
/// this machine's clock).
async fn within_one_minute() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
}

/// A refusal: 429 `rate_limited`, `Retry-After` between 1 and the window's 60 s, and the same
/// seconds in the details.
#[track_caller]
fn expect_limited(reply: &Reply) {
    let error = reply.expect_error(429, "rate_limited");
    let retry: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds\n{reply}"));
    assert!((1..=60).contains(&retry), "{reply}");
    assert_eq!(error["details"]["retry_after_secs"], retry, "{reply}");
    assert_eq!(error["details"]["rate_limit"], "3/min", "{reply}");
}

async fn the_fourth_call_in_a_minute_is_refused_and_runs_nothing(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let limited = server.deploy(&hook("limited", Some("3/min"))).await;
    let free = server.deploy(&hook("free", None)).await;
    within_one_minute().await;
    for n in 1..=3 {
        let reply = server.call_hook("limited", &json!({ "n": n })).await;
        reply.expect_status(202);
    }
    expect_limited(&server.call_hook("limited", &json!({ "n": 4 })).await);
    // Before the body: one that is not JSON is refused for the limit, not as malformed.
    let not_json = send(
        server
            .hook(Method::POST, "limited")
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    expect_limited(&not_json);
    // The test URL counts against the same limit.
    expect_limited(
        &server
            .call_test_hook(&limited, "limited", &json!({ "n": 5 }))
            .await,
    );
    server.wait_idle(Duration::from_secs(60)).await;
    assert_eq!(
        server.count_executions(&limited).await,
        3,
        "refused calls created no execution"
    );

    // Another workflow, without a limit, is not affected.
    for n in 0..10 {
        server
            .call_hook("free", &json!({ "n": n }))
            .await
            .expect_status(202);
    }
    server.wait_idle(Duration::from_secs(60)).await;
    assert_eq!(server.count_executions(&free).await, 10);
}

async fn a_bad_rate_limit_is_a_located_problem(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let yaml = "name: bad\ntrigger:\n  type: webhook\n  path: bad\n  rate_limit: ten/s\nsteps:\n  - id: ok\n    action: set\n    with: { value: 1 }\n";
    let reply = send(
        server
            .post("/api/v1/workflows/validate")
            .header("content-type", "application/yaml")
            .body(yaml),
    )
    .await;
    reply.expect_status(200);
    let v = reply.json();
    let problem = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .find(|p| p["path"] == "trigger.rate_limit")
        .unwrap_or_else(|| panic!("no problem at trigger.rate_limit: {v:#}"))
        .clone();
    assert_eq!(problem["location"]["line"], 5, "{v:#}");
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.contains("ten/s") && message.contains("expected N/unit like 100/s"),
        "{message}"
    );
    // And it is not saved.
    let reply = send(
        server
            .post("/api/v1/workflows")
            .header("content-type", "application/yaml")
            .body(yaml),
    )
    .await;
    reply.expect_error(422, "invalid_workflow");
}

on_both_backends!(
    the_fourth_call_in_a_minute_is_refused_and_runs_nothing,
    a_bad_rate_limit_is_a_located_problem,
);

/// Two `weft serve` processes on one PostgreSQL: three calls a minute between them.
#[tokio::test]
async fn two_processes_on_one_postgres_share_the_limit() {
    super::harness::bounded(async {
        let deployment = Deployment::new(Backend::Postgres).await;
        let a = deployment.start().await;
        let b = deployment.start().await;
        let id = a.deploy(&hook("shared", Some("3/min"))).await;
        within_one_minute().await;
        let servers: [&Server; 2] = [&a, &b];
        let mut accepted = 0;
        for n in 0..8 {
            let reply = servers[n % 2].call_hook("shared", &json!({ "n": n })).await;
            if reply.status == 202 {
                accepted += 1;
            } else {
                expect_limited(&reply);
            }
        }
        assert_eq!(
            accepted, 3,
            "three calls in the minute across both processes"
        );
        a.wait_idle(Duration::from_secs(60)).await;
        assert_eq!(a.count_executions(&id).await, 3);
    })
    .await;
}

//! `GET /metrics`: Prometheus' text format behind an API key, with executions by workflow and
//! status, step durations by action, webhook latency by status, claim latency, the queue, the
//! pending deliveries and the fenced writes.

use serde_json::json;

use super::harness::{Backend, Deployment, on_both_backends, send};

const WORKFLOW: &str = r#"
name: Metered "one"
trigger: { type: webhook, path: metered }
steps:
  - id: call
    action: http
    with:
      url: "{{env.API_URL}}/echo/metered"
  - id: shape
    action: set
    with:
      value: { n: "{{trigger.body.n}}" }
"#;

const FAILING: &str = r#"
name: Metered failing
trigger: { type: webhook, path: metered-fails }
steps:
  - id: boom
    action: fail
    with: { message: "no" }
"#;

/// The value of the sample `line` (name and labels) in the text.
fn sample(text: &str, line: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.parse().expect("a number"))
}

async fn metrics_count_what_happened(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server.deploy(WORKFLOW).await;
    server.deploy(FAILING).await;
    for n in 0..3 {
        let e = server.run_hook("metered", &json!({ "n": n })).await;
        assert_eq!(e["status"], "succeeded", "{e:#}");
    }
    let e = server.run_hook("metered-fails", &json!({})).await;
    assert_eq!(e["status"], "failed", "{e:#}");
    send(
        server
            .hook(reqwest::Method::POST, "nowhere")
            .json(&json!({})),
    )
    .await
    .expect_status(404);

    // Behind an API key, like the API.
    send(server.http.get(format!("{}/metrics", server.url)))
        .await
        .expect_status(401);
    let reply = send(server.get("/metrics")).await;
    reply.expect_status(200);
    assert_eq!(
        reply.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = reply.text();
    let has = |line: &str| sample(&text, line).unwrap_or_else(|| panic!("no `{line}` in\n{text}"));
    assert_eq!(
        has(r#"weft_executions_total{workflow="Metered \"one\"",status="succeeded"}"#),
        3.0
    );
    assert_eq!(
        has(r#"weft_executions_total{workflow="Metered failing",status="failed"}"#),
        1.0
    );
    assert_eq!(
        has(r#"weft_step_duration_seconds_count{action="http"}"#),
        3.0
    );
    assert_eq!(
        has(r#"weft_step_duration_seconds_bucket{action="http",le="+Inf"}"#),
        3.0
    );
    assert_eq!(
        has(r#"weft_step_duration_seconds_count{action="set"}"#),
        3.0
    );
    assert_eq!(
        has(r#"weft_step_duration_seconds_count{action="fail"}"#),
        1.0
    );
    assert!(has(r#"weft_step_duration_seconds_sum{action="http"}"#) > 0.0);
    assert_eq!(
        has(r#"weft_webhook_request_duration_seconds_count{status="202"}"#),
        4.0
    );
    assert_eq!(
        has(r#"weft_webhook_request_duration_seconds_count{status="404"}"#),
        1.0
    );
    assert_eq!(has("weft_queue_depth"), 0.0);
    assert_eq!(has("weft_queue_oldest_age_seconds"), 0.0);
    assert_eq!(has("weft_executions_running"), 0.0);
    assert_eq!(has("weft_deliveries_pending"), 0.0);
    assert_eq!(has("weft_fenced_writes_total"), 0.0);
    assert!(
        text.contains("# TYPE weft_step_duration_seconds histogram\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE weft_claim_duration_seconds histogram\n"),
        "{text}"
    );
    // Every sample line is `name{labels} value` or `name value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a sample: {line}"));
    }
}

on_both_backends!(metrics_count_what_happened);

//! Observability: the W3C `traceparent` of a webhook request goes on in the execution's
//! outgoing calls (same trace, a new parent id each), an execution without one gets a trace
//! named by its id, and `WEFT_LOG_FORMAT=json` writes JSON lines carrying `execution_id` and
//! `step_id`.

use serde_json::{Value, json};

use super::harness::{Backend, Deployment, on_both_backends, send};

const WORKFLOW: &str = r#"
name: Traced
trigger: { type: webhook, path: traced }
steps:
  - id: first
    action: http
    with:
      url: "{{env.API_URL}}/echo/first"
  - id: second
    action: http
    with:
      url: "{{env.API_URL}}/echo/second"
"#;

async fn the_callers_trace_goes_on_in_every_outgoing_call(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_LOG", "info,engine=debug")
        .env("WEFT_LOG_FORMAT", "json");
    let server = d.start().await;
    server.deploy(WORKFLOW).await;
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let reply = send(
        server
            .hook(reqwest::Method::POST, "traced")
            .header("traceparent", parent)
            .json(&json!({})),
    )
    .await;
    reply.expect_status(202);
    let id = reply.json()["execution_id"].as_str().unwrap().to_string();
    let e = server.wait_finished(&id).await;
    assert_eq!(e["status"], "succeeded", "{e:#}");
    let sent: Vec<String> = d
        .mock
        .requests_to("GET", "/echo/")
        .iter()
        .map(|r| r.header("traceparent").expect("a traceparent").to_string())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for t in &sent {
        assert!(t.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{t}");
        assert!(t.ends_with("-01"), "{t}");
        assert_ne!(t, parent);
    }
    assert_ne!(sent[0], sent[1], "each call has a parent id of its own");

    // Without one: a trace of the execution's own, named by its id.
    let e = server.run_hook("traced", &json!({})).await;
    let own = e["id"].as_str().unwrap().replace('-', "");
    let later: Vec<String> = d
        .mock
        .requests_to("GET", "/echo/")
        .iter()
        .skip(2)
        .map(|r| r.header("traceparent").unwrap().to_string())
        .collect();
    assert_eq!(later.len(), 2);
    for t in &later {
        assert!(t.starts_with(&format!("00-{own}-")), "{t} for {own}");
    }

    // The log is JSON lines; the step's lines carry the execution and the step.
    let log = server.log_since_start();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty(), "{log}");
    let step_line = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "step attempt succeeded" && l["span"]["step_id"] == "second"
        })
        .unwrap_or_else(|| panic!("no JSON line of step `second`:\n{log}"));
    let spans = step_line["spans"].as_array().expect("the span list");
    assert!(
        spans.iter().any(|s| s["execution_id"] == id.as_str()),
        "{step_line:#}"
    );
}

on_both_backends!(the_callers_trace_goes_on_in_every_outgoing_call);

//! When things fail: a workflow's `on_error` workflow runs with the failed execution, workflow
//! and step (and an error workflow's own failure starts no other); a failing sync webhook
//! answers 500 with the execution id, or the trigger's `on_failure` answer; `on_failure` is
//! checked when saving; a `respond` step answers early and the workflow runs on.

use std::time::{Duration, Instant};

use serde_json::json;

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

const FRAGILE: &str = r#"
name: fragile
on_error: { workflow: Alert on error }
trigger: { type: webhook, path: fragile }
steps:
  - id: fine
    action: set
    with: { value: 1 }
  - id: breaks
    action: fail
    with: { message: "out of coffee" }
"#;

async fn wait_for(server: &Server, query: &str, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = server.executions(query).await;
        if all.len() >= n
            && all
                .iter()
                .all(|e| !matches!(e["status"].as_str(), Some("queued" | "running")))
        {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than {n} finished: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn the_error_workflow_runs_with_the_failed_step(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let example = std::fs::read_to_string(crate::support::example("alert-on-error.yaml")).unwrap();
    let alert = server.create_workflow(&example).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    server.deploy(FRAGILE).await;

    let failed = server.run_hook("fragile", &json!({})).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    let runs = wait_for(&server, &format!("workflow_id={alert}"), 1).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["trigger_kind"], "error");
    assert_eq!(runs[0]["status"], "succeeded", "{runs:#?}");
    let run = server.execution(runs[0]["id"].as_str().unwrap()).await;
    let body = &run["request"]["body"];
    assert_eq!(body["execution_id"], failed["id"], "{run:#}");
    assert_eq!(body["workflow"], "fragile");
    assert_eq!(body["error"]["step_id"], "breaks");
    assert_eq!(body["error"]["message"], "out of coffee");
    let notes = deployment.mock.notifications();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        notes[0]["text"],
        "fragile failed at step breaks: out of coffee"
    );
    assert_eq!(notes[0]["execution"], failed["id"]);

    // A success runs nothing.
    server
        .deploy(
            r#"
name: sturdy
on_error: { workflow: Alert on error }
trigger: { type: webhook, path: sturdy }
steps:
  - id: fine
    action: set
    with: { value: 1 }
"#,
        )
        .await;
    let ok = server.run_hook("sturdy", &json!({})).await;
    assert_eq!(ok["status"], "succeeded");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.count_executions(&alert).await, 1);
}

async fn a_failing_error_workflow_starts_no_other(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let id = server
        .deploy(
            r#"
name: doomed
on_error: { workflow: doomed }
trigger: { type: webhook, path: doomed }
steps:
  - id: breaks
    action: fail
    with: { message: "always" }
"#,
        )
        .await;
    let first = server.run_hook("doomed", &json!({})).await;
    assert_eq!(first["status"], "failed");
    let all = wait_for(&server, &format!("workflow_id={id}"), 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all_after = server.executions(&format!("workflow_id={id}")).await;
    assert_eq!(all_after.len(), 2, "the run and one error run: {all:#?}");
    assert_eq!(all_after[0]["trigger_kind"], "error");
    assert_eq!(all_after[0]["status"], "failed");
}

async fn a_failing_sync_webhook_answers_500_or_its_on_failure_answer(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .deploy(
            r#"
name: plain sync
trigger: { type: webhook, path: plain, respond: sync }
steps:
  - id: fine
    action: set
    with: { value: { ok: true } }
  - id: breaks
    action: fail
    with: { message: "no" }
"#,
        )
        .await;
    let reply = server.call_hook("plain", &json!({})).await;
    let err = reply.expect_error(500, "execution_failed");
    let id = err["details"]["execution_id"].as_str().expect("the id");
    assert_eq!(reply.header("x-weft-execution-id"), Some(id));

    server
        .deploy(
            r#"
name: kind sync
trigger:
  type: webhook
  path: kind
  respond: sync
  on_failure:
    status: 422
    headers: { x-reason: "{{execution.error.step_id}}" }
    body:
      error: "{{execution.error.message}}"
      order: "{{trigger.body.order}}"
      checked: "{{steps.check}}"
steps:
  - id: check
    action: set
    with: { value: "{{trigger.body.order}}" }
  - id: breaks
    action: fail
    with: { message: "order {{trigger.body.order}} is closed" }
"#,
        )
        .await;
    let reply = server.call_hook("kind", &json!({ "order": 7 })).await;
    reply.expect_status(422);
    assert_eq!(reply.header("x-reason"), Some("breaks"));
    let id = reply
        .header("x-weft-execution-id")
        .expect("the id")
        .to_string();
    assert_eq!(
        reply.json(),
        json!({ "error": "order 7 is closed", "order": 7, "checked": 7 })
    );
    let e = server.execution(&id).await;
    assert_eq!(e["status"], "failed");
}

async fn on_failure_is_checked_when_saving(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    for (yaml, path) in [
        (
            "name: a\ntrigger:\n  type: webhook\n  path: a\n  on_failure: { status: 502 }\nsteps: []\n",
            "trigger.on_failure",
        ),
        (
            "name: b\ntrigger:\n  type: webhook\n  path: b\n  respond: sync\n  on_failure: { status: 200 }\nsteps: []\n",
            "trigger.on_failure.status",
        ),
        (
            "name: c\non_error: { workflow: \"\" }\ntrigger: { type: manual }\nsteps: []\n",
            "on_error.workflow",
        ),
    ] {
        let reply = send(
            server
                .post("/api/v1/workflows")
                .header("content-type", "application/yaml")
                .body(yaml),
        )
        .await;
        let err = reply.expect_error(422, "invalid_workflow");
        let problem = &err["details"]["problems"][0];
        assert_eq!(problem["path"], path, "{err:#}");
        assert!(problem["location"]["line"].as_u64().is_some(), "{err:#}");
    }
}

/// A `respond` step in the middle answers the caller once its result is durable; the rest of
/// the workflow runs on (here: waits, or fails), and the answer stays the respond step's.
async fn a_respond_step_answers_early_and_the_rest_runs_on(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .deploy(
            r#"
name: early
trigger: { type: webhook, path: early, respond: sync }
steps:
  - id: ack
    action: respond
    with: { status: 201, headers: { x-order: "{{trigger.body.order}}" }, body: { accepted: "{{trigger.body.order}}" } }
  - id: later
    action: wait
    with: { duration: 1h }
"#,
        )
        .await;
    let reply = server.call_hook("early", &json!({ "order": "A-1" })).await;
    reply.expect_status(201);
    assert_eq!(reply.json(), json!({ "accepted": "A-1" }));
    assert_eq!(reply.header("x-order"), Some("A-1"));
    let id = reply
        .header("x-weft-execution-id")
        .expect("the execution id")
        .to_string();
    // Answered while the execution goes on: it waits an hour.
    let e = server
        .wait_until(&id, "waiting", |e| e["status"] == "waiting")
        .await;
    assert_eq!(e["steps"][0]["status"], "succeeded", "{e:#}");
    // A replay of the same request while it waits gets the same answer.
    for _ in 0..2 {
        let again = send(
            server
                .hook(reqwest::Method::POST, "early")
                .header("idempotency-key", "early-1")
                .json(&json!({ "order": "A-2" })),
        )
        .await;
        again.expect_status(201);
        assert_eq!(again.json(), json!({ "accepted": "A-2" }));
    }
    // It need not wait the hour.
    send(server.post(&format!("/api/v1/executions/{id}/cancel")))
        .await
        .expect_status(200);

    server
        .deploy(
            r#"
name: early then broken
trigger: { type: webhook, path: early-broken, respond: sync }
steps:
  - id: ack
    action: respond
    with: { status: 202, body: { queued: true } }
  - id: breaks
    action: fail
    with: { message: "after the answer" }
"#,
        )
        .await;
    for _ in 0..2 {
        let reply = send(
            server
                .hook(reqwest::Method::POST, "early-broken")
                .header("idempotency-key", "early-broken-1")
                .json(&json!({})),
        )
        .await;
        // The caller got the answer before the failure; a replay of the request (by then
        // failed) gets the same answer.
        reply.expect_status(202);
        assert_eq!(reply.json(), json!({ "queued": true }));
        let id = reply.header("x-weft-execution-id").unwrap().to_string();
        let e = server.wait_finished(&id).await;
        assert_eq!(e["status"], "failed", "{e:#}");
        assert_eq!(e["error"]["step_id"], "breaks", "{e:#}");
    }
}

on_both_backends!(
    a_respond_step_answers_early_and_the_rest_runs_on,
    the_error_workflow_runs_with_the_failed_step,
    a_failing_error_workflow_starts_no_other,
    a_failing_sync_webhook_answers_500_or_its_on_failure_answer,
    on_failure_is_checked_when_saving,
);

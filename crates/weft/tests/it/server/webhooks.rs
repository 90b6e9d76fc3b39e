//! Webhook modes: async (202 at once), sync (the respond step's answer, the last output, a 500
//! on failure, a 202 past the sync wait), content negotiation, and idempotency keys.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Backend, Deployment, on_both_backends, send};

/// Creates a user from the body's email, then shapes an output.
const ASYNC_SIGNUP: &str = r#"
name: Async signup
trigger:
  type: webhook
  path: signup
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json:
        email: "{{trigger.body.email}}"
  - id: done
    action: set
    with:
      value:
        user_id: "{{steps.create.body.id}}"
"#;

async fn an_async_webhook_answers_202_at_once_and_its_execution_succeeds(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let workflow_id = server.deploy(ASYNC_SIGNUP).await;

    // Host and X-Forwarded-* are the caller's to set: the status URL is not built from them
    // (it is relative unless WEFT_PUBLIC_URL is set).
    let reply = send(
        server
            .hook(Method::POST, "signup")
            .header("host", "attacker.example")
            .header("x-forwarded-proto", "javascript")
            .header("x-forwarded-host", "attacker.example")
            .json(&json!({ "email": "ada@example.com" })),
    )
    .await;
    reply.expect_status(202);
    let body = reply.json();
    let id = body["execution_id"].as_str().expect("an execution id");
    let status_url = format!("/api/v1/executions/{id}");
    assert_eq!(body["status_url"], status_url.as_str(), "{reply}");
    assert_eq!(body["duplicate"], false, "{reply}");
    assert_eq!(
        reply.header("location"),
        Some(status_url.as_str()),
        "{reply}"
    );

    // The status URL is part of the API: it needs the key.
    send(server.http.get(format!("{}{status_url}", server.url)))
        .await
        .expect_error(401, "unauthorized");
    let exec = server.wait_finished(id).await;
    assert_eq!(exec["status"], "succeeded", "{exec:#}");
    assert_eq!(exec["workflow_id"], workflow_id.as_str());
    assert_eq!(exec["trigger_kind"], "webhook");
    assert_eq!(exec["request"]["body"]["email"], "ada@example.com");
    // The queue's internals are not part of the API.
    for internal in ["lease_owner", "lease_expires_at"] {
        assert!(exec.get(internal).is_none(), "{internal} leaks: {exec:#}");
    }
    assert_eq!(exec["output"], json!({ "user_id": 1 }), "{exec:#}");

    let creates = d.mock.requests_to("POST", "/users");
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(
        creates[0].idempotency_key(),
        Some(format!("{id}:create").as_str()),
        "the engine keys a create by execution and step"
    );
    assert_eq!(d.mock.users()[0]["email"], "ada@example.com");
}

async fn a_sync_webhook_answers_with_the_status_headers_and_body_of_its_respond_step(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Sync signup
trigger:
  type: webhook
  path: sync-signup
  respond: sync
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json:
        email: "{{trigger.body.email}}"
  - id: reply
    action: respond
    with:
      status: 201
      headers:
        x-user-id: "user-{{steps.create.body.id}}"
        cache-control: no-store
      body:
        id: "{{steps.create.body.id}}"
        email: "{{steps.create.body.email}}"
"#,
        )
        .await;

    let reply = server
        .call_hook("sync-signup", &json!({ "email": "grace@example.com" }))
        .await;
    reply.expect_status(201);
    assert_eq!(reply.header("x-user-id"), Some("user-1"), "{reply}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{reply}"
    );
    assert_eq!(
        reply.json(),
        json!({ "id": 1, "email": "grace@example.com" })
    );
    let id = reply
        .header("x-weft-execution-id")
        .expect("the execution id header");
    // The answer left once the respond step was durable; the finish may come just after.
    let exec = server.wait_finished(id).await;
    assert_eq!(exec["status"], "succeeded", "{exec:#}");
    assert_eq!(exec["response"]["status"], 201, "{exec:#}");
}

async fn a_sync_webhook_without_a_respond_step_answers_with_the_last_output_as_json(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Greeter
trigger:
  type: webhook
  path: greet
  respond: sync
steps:
  - id: first
    action: set
    with:
      value:
        name: "{{trigger.body.name}}"
  - id: last
    action: set
    with:
      value:
        greeting: "hello {{steps.first.name}}"
        n: "{{trigger.body.n}}"
"#,
        )
        .await;

    let reply = server
        .call_hook("greet", &json!({ "name": "Ada", "n": 3 }))
        .await;
    reply.expect_status(200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{reply}"
    );
    assert_eq!(reply.json(), json!({ "greeting": "hello Ada", "n": 3 }));
}

async fn a_failing_sync_webhook_answers_500_with_the_execution_id_and_no_internals(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Lookup
trigger:
  type: webhook
  path: lookup
  respond: sync
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json: { email: x@example.com }
  - id: check
    action: http
    with:
      url: "{{env.API_URL}}/users/999"
  - id: reply
    action: respond
    with:
      body: never
"#,
        )
        .await;

    let reply = server.call_hook("lookup", &json!({})).await;
    let error = reply.expect_error(500, "execution_failed");
    let id = error["details"]["execution_id"]
        .as_str()
        .expect("the execution id");
    // The anonymous caller learns the execution id, not what failed inside (no step, no
    // internal URL, no upstream status): that stays behind the API key.
    assert!(error["details"].get("step_id").is_none(), "{reply}");
    // (The execution id itself may contain `404`: it is left out of the check.)
    let text = reply.text().replace(id, "");
    assert!(
        !text.contains("127.0.0.1") && !text.contains("check") && !text.contains("404"),
        "{reply}"
    );
    assert_eq!(reply.header("x-weft-execution-id"), Some(id), "{reply}");
    let exec = server.execution(id).await;
    assert_eq!(exec["status"], "failed", "{exec:#}");
    assert_eq!(exec["error"]["step_id"], "check", "{exec:#}");
}

async fn a_sync_webhook_slower_than_the_sync_wait_answers_504_with_a_status_url(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_SYNC_WAIT", "500ms");
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Slow report
trigger:
  type: webhook
  path: slow-report
  respond: sync
steps:
  - id: report
    action: http
    with:
      url: "{{env.API_URL}}/slow?ms=4000"
  - id: reply
    action: respond
    with:
      body: done
"#,
        )
        .await;

    let started = Instant::now();
    let reply = server.call_hook("slow-report", &json!({})).await;
    let waited = started.elapsed();
    // Not a 2xx: the caller did not get the workflow's answer.
    let e = reply.expect_error(504, "still_running");
    assert!(
        waited < Duration::from_millis(3500),
        "the caller waited {waited:?}, not about the sync wait"
    );
    let body = &e["details"];
    let id = body["execution_id"].as_str().expect("an execution id");
    assert_eq!(
        body["status_url"],
        format!("/api/v1/executions/{id}").as_str()
    );
    assert_eq!(
        reply.header("location"),
        body["status_url"].as_str(),
        "{reply}"
    );
    let exec = server.wait_finished(id).await;
    assert_eq!(exec["status"], "succeeded", "{exec:#}");
    assert_eq!(exec["response"]["body"], "done", "{exec:#}");
}

async fn a_sync_webhook_honours_accept_for_yaml_and_text_and_refuses_others_with_406(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let structured = server
        .deploy(
            r#"
name: Structured answer
trigger:
  type: webhook
  path: structured
  respond: sync
steps:
  - id: reply
    action: respond
    with:
      body:
        name: "{{trigger.body.name}}"
        tags: [a, b]
"#,
        )
        .await;
    server
        .deploy(
            r#"
name: Text answer
trigger:
  type: webhook
  path: text
  respond: sync
steps:
  - id: reply
    action: respond
    with:
      body: "hello {{trigger.body.name}}"
"#,
        )
        .await;
    let call = |path: &'static str, accept: &'static str| {
        send(
            server
                .hook(Method::POST, path)
                .header("accept", accept)
                .json(&json!({ "name": "Ada" })),
        )
    };

    let yaml = call("structured", "application/yaml").await;
    yaml.expect_status(200);
    assert_eq!(
        yaml.header("content-type"),
        Some("application/yaml"),
        "{yaml}"
    );
    let parsed: Value = serde_yaml::from_str(&yaml.text()).expect("the body is YAML");
    assert_eq!(parsed, json!({ "name": "Ada", "tags": ["a", "b"] }));

    let preferred = call("structured", "text/html, application/json;q=0.5").await;
    preferred.expect_status(200);
    assert_eq!(
        preferred.json(),
        json!({ "name": "Ada", "tags": ["a", "b"] })
    );

    let text = call("text", "text/plain").await;
    text.expect_status(200);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{text}"
    );
    assert_eq!(text.text(), "hello Ada");
    let text_as_json = call("text", "application/json").await;
    assert_eq!(text_as_json.json(), json!("hello Ada"));

    // A structured body has no plain-text form.
    call("structured", "text/plain")
        .await
        .expect_error(406, "not_acceptable");
    // Nothing we can produce: refused before anything runs.
    let before = server.count_executions(&structured).await;
    call("structured", "text/html")
        .await
        .expect_error(406, "not_acceptable");
    assert_eq!(server.count_executions(&structured).await, before);
}

async fn a_repeated_idempotency_key_returns_the_first_execution_and_starts_no_other(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let workflow_id = server.deploy(ASYNC_SIGNUP).await;
    let call = |key: &'static str| {
        send(
            server
                .hook(Method::POST, "signup")
                .header("idempotency-key", key)
                .json(&json!({ "email": "ada@example.com" })),
        )
    };

    let first = call("order-42").await;
    first.expect_status(202);
    let first = first.json();
    assert_eq!(first["duplicate"], false);
    let again = call("order-42").await;
    again.expect_status(202);
    let again = again.json();
    assert_eq!(again["execution_id"], first["execution_id"], "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(server.count_executions(&workflow_id).await, 1);

    let other = call("order-43").await.json();
    assert_ne!(other["execution_id"], first["execution_id"]);
    assert_eq!(server.count_executions(&workflow_id).await, 2);
    // Once the first finished, its key still leads to it.
    let id = first["execution_id"].as_str().unwrap();
    server.wait_finished(id).await;
    let later = call("order-42").await.json();
    assert_eq!(later["execution_id"], first["execution_id"]);
    server.wait_idle(Duration::from_secs(30)).await;
    assert_eq!(server.count_executions(&workflow_id).await, 2);
    assert_eq!(d.mock.count("POST", "/users"), 2);
}

async fn a_repeated_idempotency_key_on_a_sync_webhook_answers_with_the_first_result(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let workflow_id = server
        .deploy(
            r#"
name: Sync create
trigger:
  type: webhook
  path: sync-create
  respond: sync
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json:
        email: "{{trigger.body.email}}"
"#,
        )
        .await;
    let call = |email: &'static str| {
        send(
            server
                .hook(Method::POST, "sync-create")
                .header("idempotency-key", "signup-7")
                .json(&json!({ "email": email })),
        )
    };
    let first = call("first@example.com").await;
    first.expect_status(200);
    let again = call("first@example.com").await;
    again.expect_status(200);
    assert_eq!(
        again.header("x-weft-execution-id"),
        first.header("x-weft-execution-id")
    );
    assert_eq!(again.json(), first.json());
    assert_eq!(again.json()["body"]["email"], "first@example.com");
    // The key is bound to the request that first used it: another body with the same key is
    // refused (IETF idempotency-key draft: 422) and never gets the first caller's result.
    let squatted = call("second@example.com").await;
    let error = squatted.expect_error(422, "idempotency_key_reused");
    assert!(!squatted.text().contains("first@example.com"), "{error}");
    assert_eq!(server.count_executions(&workflow_id).await, 1);
    assert_eq!(d.mock.users().len(), 1);
}

on_both_backends!(
    an_async_webhook_answers_202_at_once_and_its_execution_succeeds,
    a_sync_webhook_answers_with_the_status_headers_and_body_of_its_respond_step,
    a_sync_webhook_without_a_respond_step_answers_with_the_last_output_as_json,
    a_failing_sync_webhook_answers_500_with_the_execution_id_and_no_internals,
    a_sync_webhook_slower_than_the_sync_wait_answers_504_with_a_status_url,
    a_sync_webhook_honours_accept_for_yaml_and_text_and_refuses_others_with_406,
    a_repeated_idempotency_key_returns_the_first_execution_and_starts_no_other,
    a_repeated_idempotency_key_on_a_sync_webhook_answers_with_the_first_result,
);

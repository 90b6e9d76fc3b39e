//! The editor's test data and test runs: pins stand in for the trigger and for steps in test
//! runs only (the mock API counts what was really called; production runs never use them),
//! "run one step" runs that step alone with the data given, and template previews render each
//! template on its own against sample data.

use serde_json::{Value, json};

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

const WORKFLOW: &str = r#"
name: Pinned
trigger: { type: webhook, path: pinned }
steps:
  - id: create_user
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json: { email: "{{trigger.body.email}}" }
  - id: tag
    action: http
    with:
      method: PATCH
      url: "{{env.API_URL}}/users/{{steps.create_user.body.id}}"
      json: { tag: "{{trigger.body.tag}}" }
  - id: shape
    action: set
    with:
      value: { tagged: "{{steps.tag.body.tag}}", id: "{{steps.tag.body.id}}" }
"#;

fn step<'a>(execution: &'a Value, id: &str) -> &'a Value {
    execution["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step_id"] == id))
        .unwrap_or_else(|| panic!("no step {id} in {execution:#}"))
}

async fn test_run(server: &Server, workflow: &str, body: Value) -> Value {
    let reply = send(
        server
            .post(&format!("/api/v1/workflows/{workflow}/test-run?wait=true"))
            .json(&body),
    )
    .await;
    reply.expect_status(200);
    reply.json()
}

/// A user made in the mock directly (not by a workflow): its id.
async fn mock_user(d: &Deployment, email: &str) -> u64 {
    let res = reqwest::Client::new()
        .post(format!("{}/users", d.mock.base_url()))
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("the mock answers");
    let user: Value = res.json().await.expect("JSON");
    user["id"].as_u64().expect("an id")
}

async fn pins_stand_in_for_the_trigger_and_steps_in_test_runs_only(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server.deploy(WORKFLOW).await;
    let user = mock_user(&d, "pinned@example.com").await;

    // No pins yet: empty, not an error.
    let empty = send(server.get(&format!("/api/v1/workflows/{id}/pins"))).await;
    empty.expect_status(200);
    assert_eq!(empty.json()["saved_at"], Value::Null);

    let pins = json!({
        "trigger": { "body": { "email": "typed@example.com", "tag": "vip" } },
        "steps": { "create_user": { "status": 201, "body": { "id": user, "email": "pinned@example.com" } } }
    });
    let saved = send(
        server
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/workflows/{id}/pins"),
            )
            .json(&pins),
    )
    .await;
    saved.expect_status(200);
    assert!(saved.json()["saved_at"].is_string(), "{saved}");
    let read = send(server.get(&format!("/api/v1/workflows/{id}/pins")))
        .await
        .json();
    assert_eq!(read["steps"], pins["steps"]);
    assert_eq!(read["trigger"]["body"], pins["trigger"]["body"]);

    // A test run: the pinned step is not called, the next one runs with the pinned output.
    let creates_before = d.mock.count("POST", "/users");
    let execution = test_run(&server, &id, json!({})).await;
    assert_eq!(execution["status"], "succeeded", "{execution:#}");
    assert_eq!(execution["test"], true, "{execution:#}");
    let created = step(&execution, "create_user");
    assert_eq!(created["status"], "succeeded");
    assert_eq!(created["input"], json!({ "pinned": true }));
    assert_eq!(created["output"], pins["steps"]["create_user"]);
    assert_eq!(
        step(&execution, "shape")["output"],
        json!({ "tagged": "vip", "id": user })
    );
    assert_eq!(
        d.mock.count("POST", "/users"),
        creates_before,
        "the pinned step called out"
    );
    assert_eq!(d.mock.count("PATCH", &format!("/users/{user}")), 1);

    // Production never reads pins: the webhook and a plain run call every step.
    let webhook = server
        .run_hook(
            "pinned",
            &json!({ "email": "real@example.com", "tag": "x" }),
        )
        .await;
    assert_eq!(webhook["status"], "succeeded", "{webhook:#}");
    assert_ne!(
        step(&webhook, "create_user")["input"],
        json!({ "pinned": true })
    );
    assert_eq!(d.mock.count("POST", "/users"), creates_before + 1);
    let run = send(
        server
            .post(&format!("/api/v1/workflows/{id}/run?wait=true"))
            .json(&json!({ "email": "manual@example.com", "tag": "y" })),
    )
    .await;
    run.expect_status(200);
    assert_eq!(run.json()["status"], "succeeded", "{run}");
    assert_eq!(d.mock.count("POST", "/users"), creates_before + 2);

    // A test run may leave the pins aside.
    let unpinned = test_run(
        &server,
        &id,
        json!({ "pins": false, "trigger": { "body": { "email": "u@example.com", "tag": "z" } } }),
    )
    .await;
    assert_eq!(unpinned["status"], "succeeded", "{unpinned:#}");
    assert_eq!(d.mock.count("POST", "/users"), creates_before + 3);

    // Pins name steps of the workflow, within a size.
    let wrong = send(
        server
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/workflows/{id}/pins"),
            )
            .json(&json!({ "steps": { "nope": {} } })),
    )
    .await;
    let error = wrong.expect_error(422, "invalid_body");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no step `nope`"),
        "{wrong}"
    );
    let big = "x".repeat(3 * 1024 * 1024);
    let huge = send(
        server
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/workflows/{id}/pins"),
            )
            .json(&json!({ "steps": { "tag": big } })),
    )
    .await;
    assert_eq!(huge.status, 413, "{huge}");

    send(server.api(
        reqwest::Method::DELETE,
        &format!("/api/v1/workflows/{id}/pins"),
    ))
    .await
    .expect_status(204);
    let gone = send(server.get(&format!("/api/v1/workflows/{id}/pins")))
        .await
        .json();
    assert_eq!(gone["steps"], json!({}));
}

async fn runs_one_step_alone_with_the_data_given(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server.deploy(WORKFLOW).await;
    let user = mock_user(&d, "one@example.com").await;
    let creates_before = d.mock.count("POST", "/users");

    let execution = test_run(
        &server,
        &id,
        json!({
            "step": "tag",
            "trigger": { "body": { "tag": "gold" } },
            "steps": { "create_user": { "body": { "id": user } } }
        }),
    )
    .await;
    assert_eq!(execution["status"], "succeeded", "{execution:#}");
    let tag = step(&execution, "tag");
    assert_eq!(tag["status"], "succeeded", "{execution:#}");
    assert_eq!(tag["output"]["body"]["tag"], "gold", "{execution:#}");
    assert_eq!(
        step(&execution, "shape")["status"],
        "skipped",
        "{execution:#}"
    );
    assert_eq!(d.mock.count("POST", "/users"), creates_before);
    assert_eq!(d.mock.count("PATCH", &format!("/users/{user}")), 1);

    // The one step with nothing to read fails, saying what is missing.
    let missing = test_run(&server, &id, json!({ "step": "tag", "pins": false })).await;
    assert_eq!(missing["status"], "failed", "{missing:#}");
    let error = step(&missing, "tag")["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("steps.create_user"), "{error}");

    let unknown = send(
        server
            .post(&format!("/api/v1/workflows/{id}/test-run"))
            .json(&json!({ "step": "nope" })),
    )
    .await;
    let error = unknown.expect_error(422, "invalid_body");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("step: the workflow has no step `nope`"),
        "{unknown}"
    );
}

async fn previews_each_template_against_sample_data(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let body = json!({
        "path": "with",
        "value": {
            "url": "{{env.API_URL}}/users/{{steps.create_user.body.id}}",
            "id": "{{steps.create_user.body.id}}",
            "missing": "{{steps.nope.body}}",
            "broken": "{{#if trigger.body.x}}",
            "text": "Hi {{upper trigger.body.name}}",
            "fixed": 3
        },
        "trigger": { "body": { "name": "ada" } },
        "steps": { "create_user": { "body": { "id": 7 } } }
    });
    let reply = send(server.post("/api/v1/templates/render").json(&body)).await;
    reply.expect_status(200);
    let out = reply.json();
    let v = &out["value"];
    assert_eq!(v["url"], "‹env.API_URL›/users/7", "{out:#}");
    assert_eq!(v["id"], 7, "a single expression keeps its type: {out:#}");
    assert_eq!(v["text"], "Hi ADA", "{out:#}");
    assert_eq!(v["fixed"], 3);
    assert_eq!(
        v["missing"], "{{steps.nope.body}}",
        "a failed template stays as written"
    );
    let errors = out["errors"].as_array().unwrap();
    let at = |path: &str| {
        errors
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("no error at {path}: {out:#}"))
    };
    assert!(
        at("with.missing")["message"]
            .as_str()
            .unwrap()
            .contains("steps.nope"),
        "{out:#}"
    );
    assert_eq!(at("with.broken")["template"], "{{#if trigger.body.x}}");
    assert_eq!(errors.len(), 2, "{out:#}");
    // The server's own environment never shows.
    assert!(!reply.text().contains(&d.mock.base_url()), "{out:#}");

    let bad = send(
        server
            .post("/api/v1/templates/render")
            .json(&json!({ "values": 1 })),
    )
    .await;
    bad.expect_error(422, "invalid_body");
}

on_both_backends!(
    pins_stand_in_for_the_trigger_and_steps_in_test_runs_only,
    runs_one_step_alone_with_the_data_given,
    previews_each_template_against_sample_data,
);

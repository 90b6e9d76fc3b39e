//! Sub-workflows (`action: workflow`): a parent calls any workflow by name (inactive, with
//! whatever trigger) as a child execution linked both ways; `wait: true` answers with the
//! child's output, `wait: false` once it is queued; a failed child fails the step; calls
//! nest to a bound; a static cycle is refused at save; a parent whose server is SIGKILLed
//! while the child runs still has exactly one child after the restart.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

/// A child with a manual trigger, never activated: it shouts the name it was given.
const GREET: &str = r#"
name: greet
trigger: { type: manual }
steps:
  - id: shout
    action: set
    with:
      value:
        greeting: "hello {{trigger.body.name}}"
        parent_step: "{{trigger.parent.step_id}}"
"#;

const PARENT: &str = r#"
name: parent
trigger: { type: webhook, path: parent, respond: sync }
steps:
  - id: call
    action: workflow
    with:
      workflow: greet
      input: { name: "{{trigger.body.name}}" }
  - id: answer
    action: respond
    with:
      status: 201
      body:
        said: "{{steps.call.output.greeting}}"
        child: "{{steps.call.execution_id}}"
        status: "{{steps.call.status}}"
"#;

/// The children of the workflow named `child_id`'s executions.
async fn children(server: &Server, child_id: &str) -> Vec<Value> {
    server.executions(&format!("workflow_id={child_id}")).await
}

async fn workflow_id(server: &Server, yaml: &str) -> String {
    server.create_workflow(yaml).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn waits_for_the_child_and_answers_with_its_output(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let greet = workflow_id(&server, GREET).await;
    server.deploy(PARENT).await;

    let reply = server.call_hook("parent", &json!({ "name": "Ada" })).await;
    reply.expect_status(201);
    let body = reply.json();
    assert_eq!(body["said"], "hello Ada", "{body:#}");
    assert_eq!(body["status"], "succeeded", "{body:#}");
    let child_id = body["child"].as_str().expect("the child's id").to_string();

    // Linked both ways: the child knows its parent execution and step.
    let kids = children(&server, &greet).await;
    assert_eq!(kids.len(), 1, "{kids:#?}");
    let child = server.execution(&child_id).await;
    assert_eq!(child["trigger_kind"], "workflow", "{child:#}");
    assert_eq!(child["request"]["body"], json!({ "name": "Ada" }));
    let parent_ref = &child["request"]["parent"];
    assert_eq!(parent_ref["step_id"], "call", "{child:#}");
    assert_eq!(parent_ref["workflow"], "parent");
    assert_eq!(parent_ref["depth"], 1);
    assert_eq!(child["output"]["parent_step"], "call");
    let parent = server
        .execution(parent_ref["execution_id"].as_str().unwrap())
        .await;
    let call = parent["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == "call")
        .expect("the call step");
    assert_eq!(
        call["output"]["execution_id"],
        child_id.as_str(),
        "{call:#}"
    );
}

async fn without_wait_goes_on_once_the_child_is_queued(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let greet = workflow_id(&server, GREET).await;
    server
        .deploy(
            r#"
name: fire and forget
trigger: { type: webhook, path: fire }
steps:
  - id: call
    action: workflow
    with: { workflow: greet, input: { name: Bob }, wait: false }
"#,
        )
        .await;
    let parent = server.run_hook("fire", &json!({})).await;
    assert_eq!(parent["status"], "succeeded", "{parent:#}");
    let output = &parent["output"];
    assert_eq!(
        output.as_object().map(|o| o.len()),
        Some(1),
        "only the id: {output:#}"
    );
    let child_id = output["execution_id"].as_str().expect("the child's id");
    let child = server.wait_finished(child_id).await;
    assert_eq!(child["status"], "succeeded", "{child:#}");
    assert_eq!(child["output"]["greeting"], "hello Bob");
    assert_eq!(children(&server, &greet).await.len(), 1);
}

async fn a_failed_child_fails_the_step_and_a_missing_one_is_named(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    workflow_id(
        &server,
        r#"
name: broken
trigger: { type: manual }
steps:
  - id: boom
    action: fail
    with: { message: "the child broke" }
"#,
    )
    .await;
    server
        .deploy(
            r#"
name: caller
trigger: { type: webhook, path: caller }
steps:
  - id: call
    action: workflow
    with: { workflow: "{{trigger.body.which}}" }
"#,
        )
        .await;
    let parent = server
        .run_hook("caller", &json!({ "which": "broken" }))
        .await;
    assert_eq!(parent["status"], "failed", "{parent:#}");
    let message = parent["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the child broke") && message.contains("`boom`"),
        "{message}"
    );
    assert_eq!(parent["error"]["step_id"], "call");

    let parent = server
        .run_hook("caller", &json!({ "which": "nobody" }))
        .await;
    assert_eq!(parent["status"], "failed", "{parent:#}");
    let message = parent["error"]["message"].as_str().unwrap();
    assert!(message.contains("no workflow named `nobody`"), "{message}");
}

async fn calls_nest_to_a_bound_and_static_cycles_are_refused(backend: Backend) {
    let deployment = Deployment::new(backend)
        .await
        .env("WEFT_MAX_CALL_DEPTH", "3");
    let server = deployment.start().await;
    // A name from a template escapes the static check: the depth bound stops it.
    let id = server
        .deploy(
            r#"
name: again
trigger: { type: webhook, path: again }
steps:
  - id: call
    action: workflow
    with: { workflow: "{{trigger.body.name}}", input: { name: again } }
"#,
        )
        .await;
    let top = server.run_hook("again", &json!({ "name": "again" })).await;
    assert_eq!(top["status"], "failed", "{top:#}");
    // Every level fails: the deepest with the bound, the others with their child's error.
    let all = server.executions(&format!("workflow_id={id}")).await;
    assert_eq!(all.len(), 4, "the top and 3 nested calls: {all:#?}");
    let deepest = server.execution(all[0]["id"].as_str().unwrap()).await;
    assert_eq!(deepest["request"]["parent"]["depth"], 3, "{deepest:#}");
    let message = deepest["error"]["message"].as_str().unwrap();
    assert!(message.contains("at most 3"), "{message}");
    assert!(
        top["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 3"),
        "{top:#}"
    );

    // A → B → A, written out, is refused where the call is.
    workflow_id(
        &server,
        r#"
name: ping
trigger: { type: manual }
steps:
  - id: to_pong
    action: workflow
    with: { workflow: pong }
"#,
    )
    .await;
    let reply = send(
        server
            .post("/api/v1/workflows")
            .header("content-type", "application/yaml")
            .body(
                r#"name: pong
trigger: { type: manual }
steps:
  - id: first
    action: set
    with: { value: 1 }
  - id: to_ping
    action: workflow
    with:
      workflow: ping
"#,
            ),
    )
    .await;
    let err = reply.expect_error(422, "invalid_workflow");
    let problem = &err["details"]["problems"][0];
    assert_eq!(problem["path"], "steps[1].with.workflow", "{err:#}");
    assert_eq!(problem["step"], "to_ping");
    assert_eq!(problem["location"]["line"], 10, "{err:#}");
    let message = problem["message"].as_str().unwrap();
    assert!(message.contains("`pong` → `ping` → `pong`"), "{message}");
}

/// The child waits on a slow endpoint long enough for the kill.
async fn a_killed_parent_still_has_exactly_one_child(backend: Backend) {
    let deployment = Deployment::new(backend).await.env("WEFT_LEASE", "2s");
    let mut server = deployment.start().await;
    let slow = workflow_id(
        &server,
        r#"
name: slow child
trigger: { type: manual }
steps:
  - id: wait
    action: delay
    with: { duration: 3s }
  - id: done
    action: set
    with: { value: { child_of: "{{trigger.parent.execution_id}}" } }
"#,
    )
    .await;
    server
        .deploy(
            r#"
name: patient parent
trigger: { type: webhook, path: patient }
steps:
  - id: call
    action: workflow
    with: { workflow: slow child }
"#,
        )
        .await;
    let reply = server.call_hook("patient", &json!({})).await;
    reply.expect_status(202);
    let parent_id = reply.json()["execution_id"].as_str().unwrap().to_string();
    // Kill while the child runs.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let kids = children(&server, &slow).await;
        if kids.first().is_some_and(|k| k["status"] == "running") {
            break;
        }
        assert!(Instant::now() < deadline, "the child never ran: {kids:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();

    let server = deployment.start().await;
    let parent = server.wait_finished(&parent_id).await;
    assert_eq!(parent["status"], "succeeded", "{parent:#}");
    let kids = children(&server, &slow).await;
    assert_eq!(
        kids.len(),
        1,
        "exactly one child after the restart: {kids:#?}"
    );
    assert_eq!(parent["output"]["execution_id"], kids[0]["id"]);
    assert_eq!(parent["output"]["output"]["child_of"], parent_id.as_str());
}

/// The example pair: `onboard-user.yaml` calls `notify-team.yaml` (never activated).
async fn the_onboarding_example_calls_the_notify_example(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let read = |name: &str| crate::support::example(name);
    let text = |name: &str| std::fs::read_to_string(read(name)).expect("the example");
    workflow_id(&server, &text("notify-team.yaml")).await;
    server.deploy(&text("onboard-user.yaml")).await;

    let reply = server
        .call_hook("onboard", &json!({ "email": "ada@example.com" }))
        .await;
    reply.expect_status(201);
    let body = reply.json();
    let users = deployment.mock.users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(body["user_id"], users[0]["id"], "{body:#}");
    assert_eq!(body["notified"], true, "{body:#}");
    let notes = deployment.mock.notifications();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let text = notes[0]["text"].as_str().unwrap();
    assert!(text.contains("ada@example.com"), "{text}");
    let child = server
        .execution(body["notification"].as_str().unwrap())
        .await;
    assert_eq!(
        notes[0]["from_execution"], child["request"]["parent"]["execution_id"],
        "{child:#}"
    );
}

on_both_backends!(
    the_onboarding_example_calls_the_notify_example,
    waits_for_the_child_and_answers_with_its_output,
    without_wait_goes_on_once_the_child_is_queued,
    a_failed_child_fails_the_step_and_a_missing_one_is_named,
    calls_nest_to_a_bound_and_static_cycles_are_refused,
    a_killed_parent_still_has_exactly_one_child,
);

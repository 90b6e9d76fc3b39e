//! Waits (`action: wait`): a waiting execution holds no worker slot and lives in the database;
//! a timer or a request to its resume URL resumes it, also across a SIGKILL of `weft serve`.
//! The resume URL resumes once (a second request 409, a wrong token 404), shows a form on
//! `GET`, and a timed-out callback fails the step (or continues with `continue_on_error`).

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

/// Tells the (mock) chat service where to answer, then waits for the answer.
const APPROVAL: &str = r#"
name: approval
trigger: { type: webhook, path: approval }
steps:
  - id: ask
    action: set
    with:
      value: { link: "{{execution.resume_url}}", amount: "{{trigger.body.amount}}" }
  - id: decision
    action: wait
    with:
      for: callback
      timeout: 1h
      form:
        title: Approve the refund?
        properties:
          approved: { type: boolean, title: Approve }
          comment: { type: string }
        required: [comment]
  - id: done
    action: set
    with:
      value:
        approved: "{{steps.decision.body.approved}}"
        comment: "{{steps.decision.body.comment}}"
        by: "{{steps.decision.method}}"
"#;

fn waiting(e: &Value) -> bool {
    e["status"] == "waiting"
}

/// Starts an execution of `path` and waits until it waits; returns it.
async fn start_waiting(server: &Server, path: &str, body: &Value) -> Value {
    let reply = server.call_hook(path, body).await;
    reply.expect_status(202);
    let id = reply.json()["execution_id"].as_str().unwrap().to_string();
    server.wait_until(&id, "waiting", waiting).await
}

/// `POST url` with a form-urlencoded body to come (as the form page submits it).
fn form_post(server: &Server, url: &str) -> reqwest::RequestBuilder {
    server
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
}

fn step<'a>(execution: &'a Value, id: &str) -> &'a Value {
    execution["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == id)
        .unwrap_or_else(|| panic!("no step {id}: {execution:#}"))
}

/// The resume URL the workflow's first step was given (relative: no `public_url`), on
/// `server`.
fn resume_url(server: &Server, execution: &Value) -> String {
    let link = step(execution, "ask")["output"]["link"]
        .as_str()
        .expect("the resume URL in the step's output");
    assert!(link.starts_with("/hooks/_resume/"), "{link}");
    format!("{}{link}", server.url)
}

async fn a_callback_survives_a_restart_and_resumes_once(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let mut server = deployment.start().await;
    server.deploy(APPROVAL).await;
    let execution = start_waiting(&server, "approval", &json!({ "amount": 40 })).await;
    let id = execution["id"].as_str().unwrap().to_string();
    let wait = step(&execution, "decision");
    assert_eq!(wait["status"], "waiting", "{wait:#}");
    assert_eq!(wait["output"]["callback"], true, "{wait:#}");
    assert_eq!(
        step(&execution, "ask")["output"]["link"],
        wait["output"]["resume_url"]
    );

    server.kill();
    let server = deployment.start().await;
    assert_eq!(server.execution(&id).await["status"], "waiting");
    let url = resume_url(&server, &execution);

    // Anything but the exact token finds nothing.
    let (base, token) = url.rsplit_once('/').unwrap();
    let mut wrong = token.to_string();
    wrong.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
    for bad in [
        format!("{base}/{wrong}"),
        format!("{base}/"),
        format!("{base}/x"),
    ] {
        let reply = send(server.http.post(&bad).json(&json!({}))).await;
        assert_eq!(reply.status, 404, "{bad}: {}", reply.text());
    }
    let other = uuid::Uuid::now_v7();
    let reply = send(
        server
            .http
            .post(format!("{}/hooks/_resume/{other}/{token}", server.url))
            .json(&json!({})),
    )
    .await;
    assert_eq!(reply.status, 404, "another execution with this token");

    let reply = send(
        server
            .http
            .post(&url)
            .query(&[("via", "chat")])
            .header("authorization", "Bearer secret-of-the-caller")
            .json(&json!({ "approved": true, "comment": "fine" })),
    )
    .await;
    reply.expect_status(202);
    assert_eq!(reply.json()["execution_id"], id.as_str());
    let second = send(server.http.post(&url).json(&json!({ "approved": false }))).await;
    second.expect_error(409, "conflict");

    let done = server.wait_finished(&id).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(
        done["output"],
        json!({ "approved": true, "comment": "fine", "by": "POST" })
    );
    let wait = step(&done, "decision");
    assert_eq!(wait["output"]["query"]["via"], "chat", "{wait:#}");
    // The caller's secrets are redacted like a webhook's.
    let auth = wait["output"]["headers"]["authorization"].as_str().unwrap();
    assert!(!auth.contains("secret-of-the-caller"), "{auth}");
    // Resumed once: the steps before the wait ran once.
    assert_eq!(step(&done, "ask")["attempts"], 1, "{done:#}");
    let after = send(server.http.post(&url).json(&json!({}))).await;
    after.expect_error(409, "conflict");
}

async fn the_form_page_submits_typed_values(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server.deploy(APPROVAL).await;
    let execution = start_waiting(&server, "approval", &json!({ "amount": 7 })).await;
    let id = execution["id"].as_str().unwrap().to_string();
    let url = resume_url(&server, &execution);

    let page = send(server.http.get(&url).header("accept", "text/html")).await;
    page.expect_status(200);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    let html = page.text();
    assert!(html.contains("Approve the refund?"), "{html}");
    assert!(html.contains("name=\"approved\""), "{html}");
    assert!(html.contains("name=\"comment\""), "{html}");
    assert!(!html.contains("<script"), "no script: {html}");
    assert!(!html.contains("http"), "no external asset: {html}");
    // Looking at the page resumes nothing.
    assert!(waiting(&server.execution(&id).await));

    // A required field left empty is refused and the wait goes on.
    let empty = send(form_post(&server, &url).body("approved=true")).await;
    let err = empty.expect_error(400, "bad_request");
    assert!(
        err["message"].as_str().unwrap().contains("`comment`"),
        "{err:#}"
    );
    assert!(waiting(&server.execution(&id).await));

    let submitted = send(
        form_post(&server, &url)
            .header("accept", "text/html")
            .body("approved=true&comment=ok+then"),
    )
    .await;
    submitted.expect_status(200);
    assert!(submitted.text().contains("Thank you"));
    let done = server.wait_finished(&id).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(
        step(&done, "decision")["output"]["body"],
        json!({ "approved": true, "comment": "ok then" })
    );
    // The page of an answered wait says so.
    let gone = send(server.http.get(&url).header("accept", "text/html")).await;
    gone.expect_status(409);
    assert!(gone.text().contains("answered already"));
}

async fn a_timed_out_callback_fails_the_step_or_continues(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .deploy(
            r#"
name: impatient
trigger: { type: webhook, path: impatient }
steps:
  - id: ask
    action: set
    with: { value: { link: "{{execution.resume_url}}" } }
  - id: decision
    action: wait
    with: { for: callback, timeout: 1s }
  - id: never
    action: set
    with: { value: reached }
"#,
        )
        .await;
    server
        .deploy(
            r#"
name: lenient
trigger: { type: webhook, path: lenient }
steps:
  - id: decision
    action: wait
    continue_on_error: true
    with: { for: callback, timeout: 1s }
  - id: after
    action: set
    with: { value: { timed_out: "{{steps.decision.error}}" } }
"#,
        )
        .await;
    let failed = server.run_hook("impatient", &json!({})).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    assert_eq!(failed["error"]["step_id"], "decision", "{failed:#}");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.contains("timed out"), "{message}");
    assert!(
        failed["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["step_id"] != "never" || s["status"] == "skipped"),
        "{failed:#}"
    );
    let url = resume_url(&server, &failed);
    let late = send(server.http.post(&url).json(&json!({}))).await;
    late.expect_error(409, "conflict");

    let lenient = server.run_hook("lenient", &json!({})).await;
    assert_eq!(lenient["status"], "succeeded", "{lenient:#}");
    let timed_out = lenient["output"]["timed_out"].as_str().unwrap();
    assert!(timed_out.contains("timed out"), "{timed_out}");
}

/// Three waits at once on one worker slot: waiting holds none. A short timer resumes.
async fn timer_waits_hold_no_worker_slot(backend: Backend) {
    let deployment = Deployment::new(backend).await.env("WEFT_CONCURRENCY", "1");
    let server = deployment.start().await;
    server
        .deploy(
            r#"
name: pause
trigger: { type: webhook, path: pause }
steps:
  - id: hold
    action: wait
    with: { duration: "{{trigger.body.for}}" }
  - id: after
    action: set
    with: { value: { waited_until: "{{steps.hold.waited_until}}" } }
"#,
        )
        .await;
    let mut long = Vec::new();
    for _ in 0..3 {
        let e = start_waiting(&server, "pause", &json!({ "for": "1h" })).await;
        long.push(e["id"].as_str().unwrap().to_string());
    }
    for id in &long {
        let e = server.execution(id).await;
        assert!(waiting(&e), "each waits at once: {e:#}");
        let until = step(&e, "hold")["output"]["until"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(until).is_ok(), "{e:#}");
    }
    let short = server.run_hook("pause", &json!({ "for": "1s" })).await;
    assert_eq!(short["status"], "succeeded", "{short:#}");
    let until = short["output"]["waited_until"].as_str().unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(until).expect("a time");
    let started = chrono::DateTime::parse_from_rfc3339(short["started_at"].as_str().unwrap())
        .expect("a start time");
    assert!(until > started, "{short:#}");
    for id in &long {
        send(server.post(&format!("/api/v1/executions/{id}/cancel")))
            .await
            .expect_status(200);
    }
}

/// A sync caller of a workflow that waits gets 202 and where to follow it, not a 504 after
/// the sync wait; a waiting execution can be cancelled, and then nothing resumes it.
async fn a_sync_caller_is_told_and_a_waiting_execution_cancels(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .deploy(
            r#"
name: sync approval
trigger: { type: webhook, path: sync-approval, respond: sync }
steps:
  - id: ask
    action: set
    with: { value: { link: "{{execution.resume_url}}" } }
  - id: decision
    action: wait
    with: { for: callback }
"#,
        )
        .await;
    let reply = send(
        server
            .hook(Method::POST, "sync-approval")
            .header("accept", "application/json")
            .json(&json!({})),
    )
    .await;
    reply.expect_status(202);
    let id = reply.json()["execution_id"].as_str().unwrap().to_string();
    let execution = server.wait_until(&id, "waiting", waiting).await;
    let url = resume_url(&server, &execution);
    send(server.post(&format!("/api/v1/executions/{id}/cancel")))
        .await
        .expect_status(200);
    assert_eq!(server.execution(&id).await["status"], "cancelled");
    let late = send(server.http.post(&url).json(&json!({}))).await;
    late.expect_error(409, "conflict");
}

/// Hook paths under `_` are Weft's own.
async fn hook_paths_under_an_underscore_are_refused(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let reply = send(
        server
            .post("/api/v1/workflows")
            .header("content-type", "application/yaml")
            .body("name: sneaky\ntrigger: { type: webhook, path: _resume/x }\nsteps:\n  - id: a\n    action: set\n    with: { value: 1 }\n"),
    )
    .await;
    let err = reply.expect_error(422, "invalid_workflow");
    let problem = &err["details"]["problems"][0];
    assert_eq!(problem["path"], "trigger.path", "{err:#}");
    assert!(
        problem["message"].as_str().unwrap().contains("reserved"),
        "{err:#}"
    );
}

/// The example: the chat message carries the resume URL; the form's answer pays out.
async fn the_refund_example_waits_for_the_approval(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let yaml = std::fs::read_to_string(crate::support::example("approve-refund.yaml"))
        .expect("the example");
    server.deploy(&yaml).await;
    let order = json!({ "order_id": "A-17", "amount": 25, "email": "ada@example.com" });
    let execution = start_waiting(&server, "refunds", &order).await;
    let id = execution["id"].as_str().unwrap().to_string();
    let notes = deployment.mock.notifications();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let text = notes[0]["text"].as_str().unwrap();
    let link = &text[text
        .find("/hooks/_resume/")
        .expect("the link in the message")..];
    let url = format!("{}{link}", server.url);
    send(form_post(&server, &url).body("approved=true&comment=sorry+about+that"))
        .await
        .expect_status(202);
    let done = server.wait_finished(&id).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    let notes = deployment.mock.notifications();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[1]["channel"], "#payments", "{notes:?}");
    let paid = notes[1]["text"].as_str().unwrap();
    assert!(
        paid.contains("ada@example.com") && paid.contains("sorry about that"),
        "{paid}"
    );
    assert_eq!(step(&done, "decline")["status"], "skipped", "{done:#}");
}

/// A parent waits for a child that waits for an answer: the answer finishes both.
async fn a_parent_waits_for_a_child_that_waits(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .create_workflow(
            r#"
name: asks
trigger: { type: manual }
steps:
  - id: ask
    action: set
    with: { value: { link: "{{execution.resume_url}}" } }
  - id: decision
    action: wait
    with: { for: callback }
  - id: said
    action: set
    with: { value: { answer: "{{steps.decision.body.answer}}" } }
"#,
        )
        .await;
    server
        .deploy(
            r#"
name: delegates
trigger: { type: webhook, path: delegates }
steps:
  - id: call
    action: workflow
    with: { workflow: asks }
  - id: done
    action: set
    with: { value: "{{steps.call.output.answer}}" }
"#,
        )
        .await;
    let reply = server.call_hook("delegates", &json!({})).await;
    reply.expect_status(202);
    let parent = reply.json()["execution_id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let child_id = loop {
        let kids = server.executions("status=waiting").await;
        if let Some(k) = kids.first() {
            break k["id"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let child = server.execution(&child_id).await;
    assert_eq!(child["request"]["parent"]["execution_id"], parent.as_str());
    let url = resume_url(&server, &child);
    send(server.http.post(&url).json(&json!({ "answer": "yes" })))
        .await
        .expect_status(202);
    let done = server.wait_finished(&parent).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(done["output"], "yes", "{done:#}");
}

/// Resuming is not a lost run: more waits in a row than the poison guard's claims (5) finish,
/// and waits already due when they suspend (`0s`, a callback timing out at once) go on.
async fn many_waits_in_a_row_and_waits_due_at_once_go_on(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let mut yaml = String::from("name: many\ntrigger: { type: webhook, path: many }\nsteps:\n");
    for n in 0..7 {
        yaml.push_str(&format!(
            "  - id: w{n}\n    action: wait\n    with: {{ duration: \"{{{{trigger.body.each}}}}\" }}\n"
        ));
    }
    yaml.push_str("  - id: after\n    action: set\n    with: { value: done }\n");
    server.deploy(&yaml).await;
    for each in ["0s", "1ms", "100ms"] {
        let done = server.run_hook("many", &json!({ "each": each })).await;
        assert_eq!(done["status"], "succeeded", "{each}: {done:#}");
        assert_eq!(done["output"], "done", "{done:#}");
    }
    server
        .deploy(
            r#"
name: no patience
trigger: { type: webhook, path: no-patience }
steps:
  - id: decision
    action: wait
    with: { for: callback, timeout: "{{trigger.body.timeout}}" }
"#,
        )
        .await;
    let failed = server
        .run_hook("no-patience", &json!({ "timeout": "0s" }))
        .await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.contains("timed out"), "{message}");
}

/// An answer that comes before the execution reaches its wait is told to come back (503 with
/// `Retry-After`), not refused for good; once it waits, the answer resumes it.
async fn an_answer_before_the_wait_is_told_to_retry(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .deploy(
            r#"
name: slow to ask
trigger: { type: webhook, path: slow-to-ask }
steps:
  - id: ask
    action: set
    with: { value: { link: "{{execution.resume_url}}" } }
  - id: think
    action: delay
    with: { duration: 2s }
  - id: decision
    action: wait
    with: { for: callback }
"#,
        )
        .await;
    let reply = server.call_hook("slow-to-ask", &json!({})).await;
    reply.expect_status(202);
    let id = reply.json()["execution_id"].as_str().unwrap().to_string();
    let running = server
        .wait_until(&id, "asked", |e| {
            e["steps"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|s| s["step_id"] == "ask" && s["status"] == "succeeded")
            })
        })
        .await;
    let url = resume_url(&server, &running);
    let early = send(server.http.post(&url).json(&json!({ "n": 1 }))).await;
    // (Only a machine stalled for the whole 2 s delay would have it waiting already.)
    let want = if early.status == 202 {
        1
    } else {
        let err = early.expect_error(503, "busy");
        assert_eq!(early.header("retry-after"), Some("1"));
        assert!(
            err["message"].as_str().unwrap().contains("not reached"),
            "{err:#}"
        );
        server.wait_until(&id, "waiting", waiting).await;
        send(server.http.post(&url).json(&json!({ "n": 2 })))
            .await
            .expect_status(202);
        2
    };
    let done = server.wait_finished(&id).await;
    assert_eq!(
        step(&done, "decision")["output"]["body"]["n"],
        want,
        "{done:#}"
    );
}

on_both_backends!(
    many_waits_in_a_row_and_waits_due_at_once_go_on,
    an_answer_before_the_wait_is_told_to_retry,
    a_parent_waits_for_a_child_that_waits,
    the_refund_example_waits_for_the_approval,
    a_callback_survives_a_restart_and_resumes_once,
    the_form_page_submits_typed_values,
    a_timed_out_callback_fails_the_step_or_continues,
    timer_waits_hold_no_worker_slot,
    a_sync_caller_is_told_and_a_waiting_execution_cancels,
    hook_paths_under_an_underscore_are_refused,
);

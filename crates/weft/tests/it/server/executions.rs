//! The executions API: list (filters, time range, cursor pages), get with every step's input,
//! output and attempts, cancel, retry (from the start, from the failed step), delete, and the
//! live event stream.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

/// An async webhook that fails when the body says so.
const MAYBE_FAIL: &str = r#"
name: Maybe fail
trigger:
  type: webhook
  path: maybe-fail
steps:
  - id: check
    action: if
    with:
      condition: "{{trigger.body.fail}}"
  - id: boom
    action: fail
    after: [check.true]
    with:
      message: asked to fail
  - id: fine
    action: set
    after: [check.false]
    with:
      value: { ok: true }
"#;

const OTHER: &str = r#"
name: Other
trigger:
  type: webhook
  path: other
steps:
  - id: fine
    action: set
    with:
      value: { ok: true }
"#;

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_string())
        .collect()
}

async fn executions_are_filtered_by_workflow_status_and_time_and_paged_by_cursor(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let a = server.deploy(MAYBE_FAIL).await;
    let b = server.deploy(OTHER).await;
    for i in 0..5 {
        let e = server
            .run_hook("maybe-fail", &json!({ "fail": i % 2 == 1 }))
            .await;
        let expected = if i % 2 == 1 { "failed" } else { "succeeded" };
        assert_eq!(e["status"], expected, "{e:#}");
    }
    for _ in 0..2 {
        server.run_hook("other", &json!({})).await;
    }

    let all_a = server.executions(&format!("workflow_id={a}")).await;
    assert_eq!(all_a.len(), 5);
    assert!(all_a.iter().all(|e| e["workflow_id"] == a.as_str()));
    let mut sorted = ids(&all_a);
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids(&all_a), sorted, "newest first");
    let failed = server.executions("status=failed").await;
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|e| e["workflow_id"] == a.as_str()));
    assert_eq!(failed[0]["error"]["step_id"], "boom", "{:#}", failed[0]);
    assert_eq!(
        server
            .executions(&format!("workflow_id={a}&status=succeeded"))
            .await
            .len(),
        3
    );
    assert_eq!(server.executions("status=succeeded").await.len(), 5);
    assert_eq!(
        server
            .executions(&format!("workflow_id={b}&status=failed"))
            .await
            .len(),
        0
    );

    // Pages of 2: 2 + 2 + 1, in the same order as the whole list.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let mut request = server
            .get("/api/v1/executions")
            .query(&[("workflow_id", a.as_str()), ("limit", "2")]);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c.as_str())]);
        }
        let page = send(request).await.json();
        let items = page["items"].as_array().unwrap().clone();
        sizes.push(items.len());
        paged.extend(items);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(ids(&paged), ids(&all_a));

    // A time range: since is inclusive, until exclusive.
    let pivot = all_a[2]["created_at"].as_str().unwrap().to_string();
    let range = |name: &'static str| {
        send(
            server
                .get("/api/v1/executions")
                .query(&[("workflow_id", a.as_str()), (name, pivot.as_str())]),
        )
    };
    let since = range("since").await.json();
    assert_eq!(ids(since["items"].as_array().unwrap()), ids(&all_a[..3]));
    let until = range("until").await.json();
    assert_eq!(ids(until["items"].as_array().unwrap()), ids(&all_a[3..]));

    for bad in [
        "limit=0",
        "limit=201",
        "status=exploded",
        "since=yesterday",
        "cursor=not-a-cursor",
        "workflow_id=42",
    ] {
        send(server.get(&format!("/api/v1/executions?{bad}")))
            .await
            .expect_error(400, "bad_request");
    }
}

async fn an_execution_shows_each_steps_input_and_output_and_every_attempt_of_a_retried_step(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let w = server
        .create_workflow(
            r#"
name: Flaky fetch
trigger:
  type: manual
steps:
  - id: fetch
    action: http
    with:
      url: "{{env.API_URL}}/flaky/{{execution.id}}?fail=2"
    retry: { max_attempts: 3, initial_delay: 10ms }
  - id: shape
    action: set
    with:
      value:
        attempts: "{{steps.fetch.body.attempts}}"
"#,
        )
        .await;
    let id = w["id"].as_str().unwrap();
    let reply = send(
        server
            .post(&format!("/api/v1/workflows/{id}/run?wait=true"))
            .json(&json!({ "x": 1 })),
    )
    .await;
    reply.expect_status(200);
    let exec_id = reply.json()["id"].as_str().unwrap().to_string();
    let e = server.execution(&exec_id).await;
    assert_eq!(e["status"], "succeeded", "{e:#}");
    assert_eq!(e["output"], json!({ "attempts": 3 }), "{e:#}");
    assert_eq!(e["request"]["body"], json!({ "x": 1 }));
    assert_eq!(d.mock.flaky_attempts(&exec_id), 3);

    let steps = e["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2, "{e:#}");
    let (fetch, shape) = (&steps[0], &steps[1]);
    assert_eq!(fetch["step_id"], "fetch");
    assert_eq!(fetch["status"], "succeeded");
    assert_eq!(fetch["attempts"], 3);
    assert_eq!(
        fetch["input"]["url"],
        format!("{}/flaky/{exec_id}?fail=2", d.mock.base_url()).as_str(),
        "the rendered input: {fetch:#}"
    );
    assert_eq!(fetch["output"]["status"], 200, "{fetch:#}");
    assert_eq!(fetch["output"]["body"], json!({ "attempts": 3 }));
    assert_eq!(shape["step_id"], "shape");
    assert_eq!(shape["input"], json!({ "value": { "attempts": 3 } }));
    assert_eq!(shape["output"], json!({ "attempts": 3 }));

    // Every attempt of the retried step is kept.
    let attempts: Vec<&Value> = e["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter(|a| a["step_id"] == "fetch")
        .collect();
    let summary: Vec<(u64, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(1, "retrying"), (2, "retrying"), (3, "succeeded")],
        "{:#}",
        e["attempts"]
    );
    for failed in &attempts[..2] {
        assert!(
            failed["error"].as_str().unwrap().contains("503"),
            "{failed:#}"
        );
    }
    send(server.get(&format!("/api/v1/executions/{}", uuid::Uuid::now_v7())))
        .await
        .expect_error(404, "not_found");
}

/// A manual workflow whose first step takes 20 s.
const SLOW: &str = r#"
name: Slow
trigger:
  type: manual
steps:
  - id: wait
    action: http
    with:
      url: "{{env.API_URL}}/slow?ms=20000"
    timeout: 30s
  - id: after
    action: set
    with:
      value: { done: true }
"#;

async fn start_run(server: &Server, workflow_id: &str) -> String {
    let reply = send(
        server
            .post(&format!("/api/v1/workflows/{workflow_id}/run"))
            .json(&json!({})),
    )
    .await;
    reply.expect_status(202);
    reply.json()["execution_id"].as_str().unwrap().to_string()
}

async fn queued_and_running_executions_can_be_cancelled(backend: Backend) {
    // One execution at a time: the second waits in the queue.
    let d = Deployment::new(backend).await.env("WEFT_CONCURRENCY", "1");
    let server = d.start().await;
    let w = server.create_workflow(SLOW).await;
    let w = w["id"].as_str().unwrap();
    let running = start_run(&server, w).await;
    server
        .wait_until(&running, "running", |e| e["status"] == "running")
        .await;
    let queued = start_run(&server, w).await;
    assert_eq!(server.execution(&queued).await["status"], "queued");

    let reply = send(server.post(&format!("/api/v1/executions/{queued}/cancel"))).await;
    reply.expect_status(200);
    assert_eq!(reply.json()["status"], "cancelled", "{reply}");

    // The slow call is under way: cancel stops it well before its 20 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.mock.count("GET", "/slow") == 0 {
        assert!(Instant::now() < deadline, "the slow step never called");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = Instant::now();
    let reply = send(server.post(&format!("/api/v1/executions/{running}/cancel"))).await;
    reply.expect_status(200);
    assert_eq!(reply.json()["cancel_requested"], true, "{reply}");
    let e = server.wait_finished(&running).await;
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "cancelling took {:?}",
        asked.elapsed()
    );
    assert_eq!(e["status"], "cancelled", "{e:#}");
    let after: Vec<&Value> = e["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step_id"] == "after" && s["status"] == "succeeded")
        .collect();
    assert!(after.is_empty(), "a step after the cancel ran: {e:#}");

    // The queued one never ran; a finished execution cannot be cancelled.
    let e = server.execution(&queued).await;
    assert_eq!(e["status"], "cancelled");
    assert_eq!(e["steps"], json!([]), "{e:#}");
    assert_eq!(d.mock.count("GET", "/slow"), 1);
    send(server.post(&format!("/api/v1/executions/{running}/cancel")))
        .await
        .expect_error(409, "conflict");
}

async fn a_failed_execution_is_retried_from_the_start_or_from_the_failed_step(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let w = server
        .create_workflow(
            r#"
name: Create then check
trigger:
  type: manual
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json:
        email: "{{trigger.body.email}}"
  - id: check
    action: http
    with:
      url: "{{env.API_URL}}/flaky/retry-test?fail=1"
  - id: done
    action: set
    with:
      value:
        user: "{{steps.create.body.id}}"
        attempts: "{{steps.check.body.attempts}}"
"#,
        )
        .await;
    let w = w["id"].as_str().unwrap();
    let reply = send(
        server
            .post(&format!("/api/v1/workflows/{w}/run?wait=true"))
            .json(&json!({ "email": "ada@example.com" })),
    )
    .await;
    let failed = reply.json();
    assert_eq!(failed["status"], "failed", "{reply}");
    assert_eq!(failed["error"]["step_id"], "check", "{reply}");
    let failed_id = failed["id"].as_str().unwrap().to_string();
    assert_eq!(d.mock.count("POST", "/users"), 1);
    assert_eq!(d.mock.flaky_attempts("retry-test"), 1);

    let retry = |from: Option<&'static str>| {
        let mut request = server.post(&format!("/api/v1/executions/{failed_id}/retry"));
        if let Some(from) = from {
            request = request.json(&json!({ "from": from }));
        }
        send(request)
    };

    // From the failed step: the create is not run again, the check gets the same input.
    let reply = retry(Some("failed_step")).await;
    reply.expect_status(202);
    let resumed = reply.json()["execution_id"].as_str().unwrap().to_string();
    let e = server.wait_finished(&resumed).await;
    assert_eq!(e["status"], "succeeded", "{e:#}");
    assert_eq!(e["retry_of"], failed_id.as_str());
    assert_eq!(e["output"], json!({ "user": 1, "attempts": 2 }), "{e:#}");
    assert_eq!(
        d.mock.count("POST", "/users"),
        1,
        "the step that succeeded ran again"
    );
    let step = |e: &Value, id: &str| {
        e["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no step {id}: {e:#}"))
    };
    let old = server.execution(&failed_id).await;
    assert_eq!(step(&e, "create")["output"], step(&old, "create")["output"]);
    assert_eq!(step(&e, "check")["input"], step(&old, "check")["input"]);

    // From the start (the default): everything runs again, as a new execution.
    let reply = retry(None).await;
    reply.expect_status(202);
    let fresh = reply.json()["execution_id"].as_str().unwrap().to_string();
    let e = server.wait_finished(&fresh).await;
    assert_eq!(e["status"], "succeeded", "{e:#}");
    assert_eq!(e["retry_of"], failed_id.as_str());
    assert_eq!(e["output"], json!({ "user": 2, "attempts": 3 }), "{e:#}");
    assert_eq!(d.mock.count("POST", "/users"), 2);
    let reply = retry(Some("start")).await;
    reply.expect_status(202);

    retry(Some("the middle"))
        .await
        .expect_error(400, "bad_request");
    send(server.post(&format!(
        "/api/v1/executions/{}/retry",
        uuid::Uuid::now_v7()
    )))
    .await
    .expect_error(404, "not_found");
}

async fn a_retry_runs_the_version_it_ran_or_the_current_one(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let version = |fixed: bool| {
        format!(
            "name: Fix then retry\ntrigger: {{ type: manual }}\nsteps:\n  - id: create\n    action: http\n    with: {{ method: POST, url: \"{{{{env.API_URL}}}}/users\", json: {{ email: a@b.c }} }}\n  - id: check\n    action: {}\n",
            if fixed {
                "set\n    with: { value: { fixed: true, user: \"{{steps.create.body.id}}\" } }"
            } else {
                "fail\n    with: { message: not yet }"
            }
        )
    };
    let w = server.create_workflow(&version(false)).await;
    let w = w["id"].as_str().unwrap().to_string();
    let failed = send(
        server
            .post(&format!("/api/v1/workflows/{w}/run?wait=true"))
            .json(&json!({})),
    )
    .await
    .json();
    assert_eq!(failed["status"], "failed", "{failed:#}");
    let failed_id = failed["id"].as_str().unwrap().to_string();
    // The fix is saved as version 2.
    send(
        server
            .api(Method::PUT, &format!("/api/v1/workflows/{w}"))
            .header("content-type", "application/yaml")
            .body(version(true)),
    )
    .await
    .expect_status(200);
    let retry = |body: Value| {
        send(
            server
                .post(&format!("/api/v1/executions/{failed_id}/retry"))
                .json(&body),
        )
    };

    // The version it ran fails again; the current one succeeds, without creating again.
    let again = retry(json!({"from": "failed_step"})).await.json();
    let e = server
        .wait_finished(again["execution_id"].as_str().unwrap())
        .await;
    assert_eq!(
        (e["status"].clone(), e["version"].clone()),
        (json!("failed"), json!(1)),
        "{e:#}"
    );
    let fixed = retry(json!({"from": "failed_step", "version": "current"}))
        .await
        .json();
    let e = server
        .wait_finished(fixed["execution_id"].as_str().unwrap())
        .await;
    assert_eq!(
        (e["status"].clone(), e["version"].clone()),
        (json!("succeeded"), json!(2)),
        "{e:#}"
    );
    assert_eq!(e["output"], json!({"fixed": true, "user": 1}), "{e:#}");
    assert_eq!(
        d.mock.count("POST", "/users"),
        1,
        "the step that succeeded ran again"
    );
    retry(json!({"version": "newest"}))
        .await
        .expect_error(400, "bad_request");
}

async fn a_finished_execution_can_be_deleted_but_not_a_running_one(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let quick = server.deploy(OTHER).await;
    let done = server.run_hook("other", &json!({})).await;
    let done = done["id"].as_str().unwrap();
    let delete = |id: &str| send(server.api(Method::DELETE, &format!("/api/v1/executions/{id}")));

    delete(done).await.expect_status(204);
    send(server.get(&format!("/api/v1/executions/{done}")))
        .await
        .expect_error(404, "not_found");
    assert_eq!(server.count_executions(&quick).await, 0);
    delete(done).await.expect_error(404, "not_found");

    let slow = server.create_workflow(SLOW).await;
    let running = start_run(&server, slow["id"].as_str().unwrap()).await;
    delete(&running).await.expect_error(409, "conflict");
    send(server.post(&format!("/api/v1/executions/{running}/cancel")))
        .await
        .expect_status(200);
    server.wait_finished(&running).await;
    delete(&running).await.expect_status(204);
}

/// One server-sent event.
#[derive(Debug)]
struct Event {
    name: String,
    data: Value,
}

/// Reads the SSE stream at `url` until it ends (or 30 s pass).
async fn read_events(server: &Server, url: &str) -> Vec<Event> {
    let mut res = server
        .http
        .get(url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("the event stream");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = res.chunk().await.expect("a chunk of the stream") {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the stream ends after the execution event");
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_string());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some(Event {
                name: name?,
                data: serde_json::from_str(&data).expect("JSON data"),
            })
        })
        .collect()
}

async fn the_event_stream_sends_step_events_then_the_final_execution_event(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let w = server
        .create_workflow(
            r#"
name: Streamed
trigger:
  type: manual
steps:
  - id: slow
    action: http
    with:
      url: "{{env.API_URL}}/slow?ms=800"
  - id: after
    action: set
    with:
      value: { done: true }
"#,
        )
        .await;
    let id = start_run(&server, w["id"].as_str().unwrap()).await;
    // EventSource cannot send headers: a short-lived stream token goes in the query (never
    // the API key).
    let token = send(server.post("/api/v1/stream-tokens")).await.json()["token"]
        .as_str()
        .expect("a stream token")
        .to_string();
    let url = format!(
        "{}/api/v1/executions/{id}/events?access_token={token}",
        server.url
    );
    let events = read_events(&server, &url).await;
    let summary: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.name,
                e.data["type"].as_str().unwrap_or("-"),
                e.data["step_id"].as_str().unwrap_or("-")
            )
        })
        .collect();
    let last = events.last().expect("events");
    assert_eq!(last.name, "execution", "{summary:#?}");
    assert_eq!(last.data["status"], "succeeded", "{summary:#?}");
    for step in ["slow", "after"] {
        let finished = events
            .iter()
            .find(|e| e.name == "step" && e.data["type"] == "finished" && e.data["step_id"] == step)
            .unwrap_or_else(|| panic!("no finished event for {step}: {summary:#?}"));
        assert_eq!(finished.data["status"], "succeeded");
    }
    assert!(
        summary.contains(&"step started after".to_string()),
        "the step that started while the stream was open was not streamed: {summary:#?}"
    );
    let after = events
        .iter()
        .find(|e| e.data["step_id"] == "after" && e.data["type"] == "finished")
        .unwrap();
    assert_eq!(after.data["output"], json!({ "done": true }));

    // A finished execution replays its steps and ends at once.
    let replay = read_events(&server, &url).await;
    let names: Vec<(&str, &str)> = replay
        .iter()
        .map(|e| (e.name.as_str(), e.data["step_id"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        names,
        [("step", "slow"), ("step", "after"), ("execution", "-")]
    );

    let plain = format!("{}/api/v1/executions/{id}/events", server.url);
    send(server.http.get(&plain))
        .await
        .expect_error(401, "unauthorized");
    send(server.http.get(format!("{plain}?access_token=wrong-key")))
        .await
        .expect_error(401, "unauthorized");
    // The API key itself is not taken from a URL, and a stream token opens nothing else.
    send(
        server
            .http
            .get(format!("{plain}?access_token={}", server.key)),
    )
    .await
    .expect_error(401, "unauthorized");
    send(server.http.get(format!(
        "{}/api/v1/executions/{id}?access_token={token}",
        server.url
    )))
    .await
    .expect_error(401, "unauthorized");
}

on_both_backends!(
    executions_are_filtered_by_workflow_status_and_time_and_paged_by_cursor,
    an_execution_shows_each_steps_input_and_output_and_every_attempt_of_a_retried_step,
    queued_and_running_executions_can_be_cancelled,
    a_failed_execution_is_retried_from_the_start_or_from_the_failed_step,
    a_retry_runs_the_version_it_ran_or_the_current_one,
    a_finished_execution_can_be_deleted_but_not_a_running_one,
    the_event_stream_sends_step_events_then_the_final_execution_event,
);

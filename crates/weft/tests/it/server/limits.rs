//! Per-workflow limits: `concurrency: {limit: N}` never lets more than N executions of a
//! workflow reach a slow endpoint at once (the mock's `/inflight/{name}` counts the requests in
//! flight) and every execution completes; with a `key`, the limit holds per key value; two
//! processes on one PostgreSQL still keep it.

use serde_json::json;

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

/// A workflow limited to `limit` at once (per `key`), each execution holding the slow
/// endpoint `name` for `ms`.
fn limited(path: &str, limit: u32, key: Option<&str>, ms: u64) -> String {
    let key = key.map(|k| format!(", key: \"{k}\"")).unwrap_or_default();
    format!(
        r#"
name: {path}
trigger: {{ type: webhook, path: {path} }}
concurrency: {{ limit: {limit}{key} }}
steps:
  - id: hold
    action: http
    with:
      method: GET
      url: "{{{{env.API_URL}}}}/inflight/{{{{trigger.body.counter}}}}?ms={ms}"
"#
    )
}

/// Fires `n` executions at `path` (bodies from `body`) and waits for all; each must succeed.
async fn fire_and_finish(
    servers: &[&Server],
    path: &str,
    n: usize,
    body: impl Fn(usize) -> serde_json::Value,
) {
    let mut ids = Vec::new();
    for i in 0..n {
        let server = servers[i % servers.len()];
        let reply = server.call_hook(path, &body(i)).await;
        reply.expect_status(202);
        ids.push(reply.json()["execution_id"].as_str().unwrap().to_string());
    }
    for id in ids {
        let e = servers[0].wait_finished(&id).await;
        assert_eq!(e["status"], "succeeded", "{e:#}");
    }
}

async fn a_limit_of_two_never_lets_a_third_execution_reach_the_endpoint(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server.deploy(&limited("limited", 2, None, 300)).await;
    fire_and_finish(&[&server], "limited", 8, |_| json!({ "counter": "two" })).await;
    let (max, seen) = deployment.mock.max_in_flight("two");
    assert_eq!(seen, 8, "every execution reached the endpoint");
    assert_eq!(max, 2, "at most two at once, and the limit is used");
}

async fn a_key_limits_per_key_value(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    server
        .deploy(&limited(
            "per-customer",
            1,
            Some("{{trigger.body.customer}}"),
            300,
        ))
        .await;
    // Two customers, three executions each, each customer's counter apart; a shared counter
    // sees both customers side by side.
    fire_and_finish(&[&server], "per-customer", 6, |i| {
        let customer = if i % 2 == 0 { "a" } else { "b" };
        json!({ "customer": customer, "counter": format!("customer-{customer}") })
    })
    .await;
    for c in ["a", "b"] {
        let (max, seen) = deployment.mock.max_in_flight(&format!("customer-{c}"));
        assert_eq!(
            (max, seen),
            (1, 3),
            "customer {c}: one at a time, all three ran"
        );
    }
}

/// Two `weft serve` processes on one PostgreSQL: still at most two at once.
#[tokio::test]
async fn two_processes_on_one_postgres_keep_the_limit() {
    super::harness::bounded(async {
        let deployment = Deployment::new(Backend::Postgres).await;
        let a = deployment.start().await;
        let b = deployment.start().await;
        a.deploy(&limited("shared-limit", 2, None, 300)).await;
        fire_and_finish(
            &[&a, &b],
            "shared-limit",
            10,
            |_| json!({ "counter": "shared" }),
        )
        .await;
        let (max, seen) = deployment.mock.max_in_flight("shared");
        assert_eq!(seen, 10, "every execution reached the endpoint");
        assert!(max <= 2, "{max} executions at once across two processes");
    })
    .await;
}

/// `limit: 0` and a key reading a step are problems located at their fields; a request whose
/// key renders to nothing is refused with a message naming `concurrency.key`.
async fn bad_limits_are_located_problems_and_a_missing_key_is_refused(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let yaml = r#"name: bad
trigger: { type: webhook, path: bad }
concurrency:
  limit: 0
  key: "{{steps.hold.output}}"
steps:
  - id: hold
    action: set
    with: { value: 1 }
"#;
    let reply = send(
        server
            .post("/api/v1/workflows/validate")
            .header("content-type", "application/yaml")
            .body(yaml),
    )
    .await;
    reply.expect_status(200);
    let v = reply.json();
    let problems = v["problems"].as_array().expect("problems");
    let at = |path: &str| {
        problems
            .iter()
            .find(|p| p["path"] == path)
            .unwrap_or_else(|| panic!("no problem at {path}: {v:#}"))
    };
    assert_eq!(at("concurrency.limit")["location"]["line"], 4, "{v:#}");
    let key = at("concurrency.key");
    assert_eq!(key["location"]["line"], 5, "{v:#}");
    assert!(
        key["message"].as_str().unwrap().contains("`trigger` only"),
        "{v:#}"
    );

    server
        .deploy(&limited("keyed", 1, Some("{{trigger.body.customer}}"), 0))
        .await;
    let reply = server.call_hook("keyed", &json!({ "counter": "x" })).await;
    let error = reply.expect_error(400, "bad_request");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("concurrency.key"),
        "{reply}"
    );
}

on_both_backends!(
    a_limit_of_two_never_lets_a_third_execution_reach_the_endpoint,
    a_key_limits_per_key_value,
    bad_limits_are_located_problems_and_a_missing_key_is_refused,
);

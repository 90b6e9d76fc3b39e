//! Independent work runs concurrently. No timing assertions: the mock's `/barrier/{name}?n=2`
//! only answers once two requests are in flight together, so a green run is the proof; the
//! sequential controls show that the barrier really refuses calls made one after the other.

use tests::MockApi;

use crate::support::{run, workflow_file};

/// Two steps that both start right after the trigger.
const PARALLEL: &str = r#"
name: Two calls at once
trigger: { type: manual }
steps:
  - id: left
    action: http
    after: []
    with:
      url: "{{env.API_URL}}/barrier/pair?n=2"
  - id: right
    action: http
    after: []
    with:
      url: "{{env.API_URL}}/barrier/pair?n=2"
  - id: both
    action: set
    after: [left, right]
    with:
      value:
        left: "{{steps.left.body.arrived}}"
        right: "{{steps.right.body.arrived}}"
"#;

#[tokio::test]
async fn steps_that_start_after_the_trigger_run_at_the_same_time() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(PARALLEL);
    let out = run(&file, &mock).output().await;
    out.success();
    assert_eq!(
        out.json(),
        serde_json::json!({ "left": 2, "right": 2 }),
        "{out}"
    );
    assert_eq!(mock.count("GET", "/barrier/pair"), 2, "{out}");
}

#[tokio::test]
async fn the_barrier_fails_steps_that_run_one_after_the_other() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Two calls in a row
trigger: { type: manual }
steps:
  - id: first
    action: http
    with:
      url: "{{env.API_URL}}/barrier/row?n=2&timeout_ms=300"
  - id: second
    action: http
    with:
      url: "{{env.API_URL}}/barrier/row?n=2&timeout_ms=300"
"#,
    );
    let out = run(&file, &mock).output().await;
    out.exit_code(1);
    assert!(
        out.stderr.contains("first"),
        "the failed step is named\n{out}"
    );
    assert_eq!(
        mock.count("GET", "/barrier/row"),
        1,
        "the second step never ran\n{out}"
    );
}

#[tokio::test]
async fn for_each_with_concurrency_two_runs_two_items_at_the_same_time() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Items at once
trigger: { type: manual }
steps:
  - id: calls
    action: http
    for_each: "{{trigger.body.items}}"
    concurrency: 2
    with:
      url: "{{env.API_URL}}/barrier/items?n=2"
      query: { item: "{{item}}" }
"#,
    );
    let out = run(&file, &mock)
        .input(&serde_json::json!({ "items": ["a", "b"] }))
        .output()
        .await;
    out.success();
    let outputs = out.json();
    let outputs = outputs
        .as_array()
        .expect("a for_each step outputs an array");
    assert_eq!(outputs.len(), 2, "{out}");
    assert!(outputs.iter().all(|o| o["body"]["arrived"] == 2), "{out}");
}

#[tokio::test]
async fn for_each_runs_one_item_at_a_time_by_default() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Items in a row
trigger: { type: manual }
steps:
  - id: calls
    action: http
    for_each: "{{trigger.body.items}}"
    with:
      url: "{{env.API_URL}}/barrier/one-by-one?n=2&timeout_ms=300"
"#,
    );
    let out = run(&file, &mock)
        .input(&serde_json::json!({ "items": ["a", "b"] }))
        .output()
        .await;
    // The first item waited alone at the barrier until it gave up.
    out.exit_code(1);
    assert!(
        out.stderr.contains("calls"),
        "the failed step is named\n{out}"
    );
}

//! Retention: `weft prune` deletes finished executions beyond the newest N of each workflow or
//! older than an age (`--dry-run` only counts them), and a server with `retention_count` set
//! applies it by itself, in the background.

use std::time::{Duration, Instant};

use serde_json::json;

use super::harness::{Backend, Deployment, on_both_backends, send};

const WORKFLOW: &str = r#"
name: Kept for a while
trigger: { type: webhook, path: kept }
steps:
  - id: shape
    action: set
    with:
      value: { n: "{{trigger.body.n}}" }
"#;

async fn prunes_by_count_and_age_and_a_dry_run_deletes_nothing(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let workflow_id = server.deploy(WORKFLOW).await;
    let mut ids = Vec::new();
    for n in 0..30 {
        let execution = server.run_hook("kept", &json!({ "n": n })).await;
        assert_eq!(execution["status"], "succeeded", "{execution:#}");
        ids.push(execution["id"].as_str().unwrap().to_string());
    }

    let out = d.cli(["prune", "--dry-run", "--keep", "10"]).output().await;
    out.success();
    assert!(
        out.stdout.contains("Would delete 20 finished executions."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Kept for a while"), "{}", out.stdout);
    assert_eq!(server.count_executions(&workflow_id).await, 30);

    let out = d.cli(["prune", "--older-than", "1h"]).output().await;
    out.success();
    assert!(
        out.stdout.contains("Deleted 0 finished executions."),
        "{}",
        out.stdout
    );

    let out = d.cli(["prune", "--keep", "10"]).output().await;
    out.success();
    assert!(
        out.stdout.contains("Deleted 20 finished executions."),
        "{}",
        out.stdout
    );
    let left: Vec<String> = server
        .executions(&format!("workflow_id={workflow_id}"))
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let mut newest = ids[20..].to_vec();
    newest.reverse();
    assert_eq!(left, newest, "the newest ten are kept");
    // An old one is gone with its step runs.
    send(server.get(&format!("/api/v1/executions/{}", ids[0])))
        .await
        .expect_status(404);

    // Age: everything finished before now.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = d.cli(["prune", "--older-than", "1s"]).output().await;
    out.success();
    assert!(
        out.stdout.contains("Deleted 10 finished executions."),
        "{}",
        out.stdout
    );
    assert_eq!(server.count_executions(&workflow_id).await, 0);

    // Nothing to prune by.
    let out = d.cli(["prune"]).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("nothing to prune by"), "{}", out.stderr);
    let out = d.cli(["prune", "--older-than", "soon"]).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("--older-than"), "{}", out.stderr);
}

async fn a_server_with_a_retention_count_prunes_by_itself(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_RETENTION_COUNT", "3")
        .env("WEFT_RETENTION_INTERVAL", "1s");
    let server = d.start().await;
    let workflow_id = server.deploy(WORKFLOW).await;
    for n in 0..12 {
        let execution = server.run_hook("kept", &json!({ "n": n })).await;
        assert_eq!(execution["status"], "succeeded", "{execution:#}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = server.count_executions(&workflow_id).await;
        if left == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "{left} executions left, not 3");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let newest = server
        .executions(&format!("workflow_id={workflow_id}"))
        .await;
    let ns: Vec<&serde_json::Value> = newest.iter().map(|e| &e["status"]).collect();
    assert!(ns.iter().all(|s| *s == "succeeded"), "{newest:#?}");
}

on_both_backends!(
    prunes_by_count_and_age_and_a_dry_run_deletes_nothing,
    a_server_with_a_retention_count_prunes_by_itself,
);

//! Retention: `weft prune` deletes finished executions beyond the newest N of each workflow or
//! older than an age (`--dry-run` only counts them), and a server with `retention_count` set
//! applies it by itself, in the background.

use std::time::{Duration, Instant};

use serde_json::json;

use super::harness::{Backend, Deployment, bounded, on_both_backends, send};

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

fn workflow_with(path: &str, retention: &str) -> String {
    format!(
        "name: Own rule {path}\ntrigger: {{ type: webhook, path: {path} }}\n{retention}steps:\n  - id: shape\n    action: set\n    with:\n      value: {{ n: \"{{{{trigger.body.n}}}}\" }}\n"
    )
}

async fn a_workflows_own_retention_replaces_the_servers(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_RETENTION_COUNT", "3")
        .env("WEFT_RETENTION_INTERVAL", "1s");
    let server = d.start().await;
    let by_server = server.deploy(&workflow_with("by-server", "")).await;
    let six = server
        .deploy(&workflow_with("six", "retention: { keep: 6 }\n"))
        .await;
    let all = server
        .deploy(&workflow_with("all", "retention: {}\n"))
        .await;
    for n in 0..10 {
        for path in ["by-server", "six", "all"] {
            let e = server.run_hook(path, &json!({ "n": n })).await;
            assert_eq!(e["status"], "succeeded", "{e:#}");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (a, b) = (
            server.count_executions(&by_server).await,
            server.count_executions(&six).await,
        );
        if a == 3 && b == 6 {
            break;
        }
        assert!(Instant::now() < deadline, "{a} and {b} left, not 3 and 6");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Two more passes: the workflow that keeps everything still has everything.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(server.count_executions(&all).await, 10);
    assert_eq!(server.count_executions(&six).await, 6);
}

async fn a_workflows_own_retention_is_enough_for_weft_prune(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server
        .deploy(&workflow_with(
            "two",
            "retention: { keep: 2, older_than: 30d }\n",
        ))
        .await;
    for n in 0..5 {
        server.run_hook("two", &json!({ "n": n })).await;
    }
    let out = d.cli(["prune", "--dry-run"]).output().await;
    out.success();
    assert!(
        out.stdout.contains("Would delete 3 finished executions."),
        "{}",
        out.stdout
    );
    assert_eq!(server.count_executions(&id).await, 5);
    let out = d.cli(["prune"]).output().await;
    out.success();
    assert_eq!(server.count_executions(&id).await, 2);

    // A rule that does not parse is refused where it is.
    let reply = send(
        server
            .post("/api/v1/workflows")
            .header("content-type", "application/yaml")
            .body(workflow_with(
                "bad",
                "retention: { older_than: soon, keep: 0 }\n",
            )),
    )
    .await;
    reply.expect_status(422);
    let text = reply.text();
    assert!(text.contains("retention.older_than"), "{text}");
    assert!(text.contains("retention.keep"), "{text}");
}

on_both_backends!(
    prunes_by_count_and_age_and_a_dry_run_deletes_nothing,
    a_server_with_a_retention_count_prunes_by_itself,
    a_workflows_own_retention_replaces_the_servers,
    a_workflows_own_retention_is_enough_for_weft_prune,
);

/// SQLite gives the space of pruned executions back to the file system (a new database is
/// made with `auto_vacuum = INCREMENTAL`; the prune releases the freed pages).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_gives_the_space_of_pruned_executions_back() {
    bounded(async {
        let d = Deployment::new(Backend::Sqlite).await;
        let server = d.start().await;
        let id = server.deploy(WORKFLOW).await;
        let pad = "x".repeat(64 * 1024);
        for n in 0..40 {
            let e = server
                .run_hook("kept", &json!({ "n": n, "pad": pad }))
                .await;
            assert_eq!(e["status"], "succeeded", "{e:#}");
        }
        let path = d.sqlite_path().expect("a database file");
        let read = |name: &str| {
            let conn = rusqlite::Connection::open(&path).expect("open the database");
            conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))
                .expect("a pragma")
        };
        assert_eq!(
            read("auto_vacuum"),
            2,
            "made with auto_vacuum = INCREMENTAL"
        );
        let before = read("page_count");
        let out = d.cli(["prune", "--keep", "1"]).output().await;
        out.success();
        assert_eq!(server.count_executions(&id).await, 1);
        let after = read("page_count");
        assert!(
            after * 2 < before,
            "{before} pages before the prune, {after} after"
        );
        assert_eq!(read("freelist_count"), 0);
    })
    .await;
}

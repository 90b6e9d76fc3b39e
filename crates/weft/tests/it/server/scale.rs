//! Scale-out on one PostgreSQL database: `weft serve --no-workers` takes the webhooks and
//! `weft worker` processes run the executions. Each execution runs exactly once (the mock API
//! counts its calls), the process list shows who runs what, and a worker killed with SIGKILL
//! and another paused (SIGSTOP) for longer than its lease lose nothing: a third takes over
//! their executions, and the paused one's late writes are rejected and counted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::harness::{ADMIN_KEY, Backend, Deployment, Server, bounded, client, free_port, send};

/// One call that names the execution, then a shaped output.
fn workflow(slow_ms: u64) -> String {
    format!(
        r#"
name: Scaled
trigger: {{ type: webhook, path: scaled }}
steps:
  - id: slow
    action: http
    with:
      url: "{{{{env.API_URL}}}}/slow?ms={slow_ms}"
  - id: call
    action: http
    with:
      url: "{{{{env.API_URL}}}}/echo/{{{{execution.id}}}}"
  - id: done
    action: set
    with:
      value: {{ n: "{{{{trigger.body.n}}}}" }}
"#
    )
}

/// Sends `count` webhooks, 16 at a time; returns the execution ids of the 202s.
async fn send_hooks(server: &Server, count: usize) -> Vec<String> {
    let url = format!("{}/hooks/scaled", server.url);
    let next = Arc::new(AtomicUsize::new(0));
    let http = client();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (next, http, url) = (next.clone(), http.clone(), url.clone());
        senders.spawn(async move {
            let mut ids = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= count {
                    return ids;
                }
                let reply = send(http.post(&url).json(&json!({ "n": n }))).await;
                reply.expect_status(202);
                ids.push(reply.json()["execution_id"].as_str().unwrap().to_string());
            }
        });
    }
    let mut ids = Vec::new();
    while let Some(part) = senders.join_next().await {
        ids.extend(part.expect("a sender"));
    }
    ids
}

/// Waits until every execution of the workflow has finished; returns them by id.
async fn wait_all_finished(
    server: &Server,
    workflow_id: &str,
    count: usize,
    limit: Duration,
) -> BTreeMap<String, Value> {
    let deadline = Instant::now() + limit;
    loop {
        let all = server
            .executions(&format!("workflow_id={workflow_id}"))
            .await;
        let finished = all.iter().filter(|e| e["finished_at"].is_string()).count();
        if all.len() == count && finished == count {
            return all
                .into_iter()
                .map(|e| (e["id"].as_str().unwrap().to_string(), e))
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{finished} of {count} executions finished within {limit:?} ({} listed)",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every execution succeeded (else: how many did not, and the first of them).
fn assert_all_succeeded(executions: &BTreeMap<String, Value>) {
    let failed: Vec<&Value> = executions
        .values()
        .filter(|e| e["status"] != "succeeded")
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:#}",
        failed.len(),
        json!(failed.first())
    );
}

async fn processes(server: &Server) -> Vec<Value> {
    let reply = send(server.get("/api/v1/processes")).await;
    reply.expect_status(200);
    reply.json()["items"].as_array().expect("items").clone()
}

/// The ids of the alive processes of `kind`.
async fn alive(server: &Server, kind: &str) -> Vec<String> {
    processes(server)
        .await
        .iter()
        .filter(|p| p["kind"] == kind && p["state"] == "alive")
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

/// How many times the mock was called for each execution.
fn calls_by_execution(d: &Deployment) -> BTreeMap<String, usize> {
    let mut calls = BTreeMap::new();
    for r in d.mock.requests_to("GET", "/echo/") {
        let id = r.path.trim_start_matches("/echo/").to_string();
        *calls.entry(id).or_insert(0) += 1;
    }
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_api_process_and_two_workers_run_each_execution_once() {
    bounded(async {
        const COUNT: usize = 2000;
        let d = Deployment::new(Backend::Postgres).await;
        let api = d.start_with(&["--no-workers"]).await;
        let metrics_port = free_port();
        let w1 = d
            .start_worker_with(
                "worker-1",
                &["--metrics-bind", &format!("127.0.0.1:{metrics_port}")],
            )
            .await;
        let w2 = d.start_worker("worker-2").await;
        let workflow_id = api.deploy(&workflow(0)).await;
        let workers = alive(&api, "worker").await;
        assert_eq!(workers.len(), 2, "{:#}", json!(processes(&api).await));
        let apis = alive(&api, "api").await;
        assert_eq!(apis.len(), 1, "{:#}", json!(processes(&api).await));

        let ids = send_hooks(&api, COUNT).await;
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), COUNT);
        let executions =
            wait_all_finished(&api, &workflow_id, COUNT, Duration::from_secs(180)).await;

        // Each exactly once: succeeded, and one call to the mock each.
        assert_all_succeeded(&executions);
        let calls = calls_by_execution(&d);
        let expected: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(calls.keys().collect::<BTreeSet<_>>(), expected);
        let twice: Vec<_> = calls.iter().filter(|(_, n)| **n != 1).collect();
        assert!(twice.is_empty(), "called more than once: {twice:?}");
        assert!(executions.values().all(|e| e["attempt"] == 1));

        // The workers ran them, both of them, and the API process none.
        let mut by_process: BTreeMap<String, usize> = BTreeMap::new();
        for e in executions.values() {
            let p = e["process"]
                .as_str()
                .expect("the process that ran it")
                .to_string();
            *by_process.entry(p).or_insert(0) += 1;
        }
        let ran: BTreeSet<&String> = by_process.keys().collect();
        assert_eq!(ran, workers.iter().collect(), "{by_process:?}");
        let list = processes(&api).await;
        for p in &list {
            assert_eq!(p["running"], 0, "{p:#}");
            assert_eq!(p["fenced_writes"], 0, "{p:#}");
        }
        let api_row = list.iter().find(|p| p["kind"] == "api").unwrap();
        assert_eq!(api_row["concurrency"], 0, "{api_row:#}");
        assert_eq!(api_row["pid"], api.pid(), "{api_row:#}");
        let pids: BTreeSet<u64> = list
            .iter()
            .filter(|p| p["kind"] == "worker")
            .map(|p| p["pid"].as_u64().unwrap())
            .collect();
        assert_eq!(
            pids,
            [w1.pid() as u64, w2.pid() as u64].into_iter().collect()
        );
        eprintln!("executions by process: {by_process:?}");

        // The first worker's metrics count what it ran (behind the API key).
        let metrics_url = format!("http://127.0.0.1:{metrics_port}/metrics");
        send(client().get(&metrics_url)).await.expect_status(401);
        let reply = send(client().get(&metrics_url).bearer_auth(ADMIN_KEY)).await;
        reply.expect_status(200);
        let text = reply.text();
        let w1_id = list
            .iter()
            .find(|p| p["pid"] == w1.pid())
            .and_then(|p| p["id"].as_str())
            .unwrap()
            .to_string();
        let ran = by_process.get(&w1_id).copied().unwrap_or(0);
        assert!(
            text.contains(&format!(
                "weft_executions_total{{workflow=\"Scaled\",status=\"succeeded\"}} {ran}\n"
            )),
            "{ran} expected in\n{text}"
        );
        assert!(
            text.contains("weft_claim_duration_seconds_count "),
            "{text}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_and_a_paused_worker_lose_nothing_and_stale_writes_are_fenced() {
    bounded(async {
        const COUNT: usize = 300;
        let d = Deployment::new(Backend::Postgres)
            .await
            .env("WEFT_LEASE", "3s")
            .env("WEFT_CONCURRENCY", "16");
        let api = d.start_with(&["--no-workers"]).await;
        let mut killed = d.start_worker("killed").await;
        let paused = d.start_worker("paused").await;
        let workflow_id = api.deploy(&workflow(1500)).await;
        let ids = send_hooks(&api, COUNT).await;
        // Both hold executions in the middle of their slow step.
        let deadline = Instant::now() + Duration::from_secs(60);
        let (killed_id, paused_id) = loop {
            let list = processes(&api).await;
            let holding: BTreeMap<u64, String> = list
                .iter()
                .filter(|p| p["kind"] == "worker" && p["running"].as_u64() > Some(0))
                .map(|p| {
                    (
                        p["pid"].as_u64().unwrap(),
                        p["id"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            if let (Some(k), Some(p)) = (
                holding.get(&(killed.pid() as u64)),
                holding.get(&(paused.pid() as u64)),
            ) {
                break (k.clone(), p.clone());
            }
            assert!(
                Instant::now() < deadline,
                "the workers took nothing: {list:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        killed.kill();
        let killed_at = chrono::Utc::now();
        paused.signal("STOP");
        // A third worker takes over once the leases (3 s) run out; the paused one stays
        // stopped well past that.
        let _taker = d.start_worker("taker").await;
        tokio::time::sleep(Duration::from_secs(8)).await;
        paused.signal("CONT");

        let executions =
            wait_all_finished(&api, &workflow_id, COUNT, Duration::from_secs(180)).await;
        assert_all_succeeded(&executions);
        // Every execution made its call (a step cut by a death is made again: at least once).
        let calls = calls_by_execution(&d);
        for id in &ids {
            assert!(calls.get(id).is_some_and(|n| *n >= 1), "{id} never called");
        }
        let taken_over = executions.values().filter(|e| e["attempt"] != 1).count();
        assert!(taken_over > 0, "no execution was taken over");
        // Nothing finished under the killed worker after it died: each execution has one
        // owner, its last claim.
        for e in executions.values() {
            let finished: chrono::DateTime<chrono::Utc> =
                e["finished_at"].as_str().unwrap().parse().unwrap();
            if finished > killed_at {
                assert_ne!(e["process"], killed_id.as_str(), "{e:#}");
            }
        }

        // The paused worker's late writes were rejected and counted (its next heartbeat
        // records them).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let list = processes(&api).await;
            let row = list
                .iter()
                .find(|p| p["id"] == paused_id.as_str())
                .unwrap()
                .clone();
            if row["fenced_writes"].as_u64() > Some(0) {
                assert_eq!(row["state"], "alive", "{row:#}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no fenced write counted: {row:#}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let list = processes(&api).await;
        let killed_row = list.iter().find(|p| p["id"] == killed_id.as_str()).unwrap();
        assert_eq!(killed_row["running"], 0, "{killed_row:#}");
        assert!(killed_row["stopped_at"].is_null(), "{killed_row:#}");
    })
    .await;
}

/// A split needs PostgreSQL: on SQLite both refuse to start, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_elsewhere_need_postgres() {
    bounded(async {
        let d = Deployment::new(Backend::Sqlite).await;
        for args in [&["worker"][..], &["serve", "--no-workers"][..]] {
            let out = d.cli(args.iter().copied()).output().await;
            assert_eq!(out.code, Some(1), "{}", out.stderr);
            assert!(
                out.stderr.contains("needs a PostgreSQL database"),
                "{}",
                out.stderr
            );
        }
    })
    .await;
}

/// `docker-compose.yml` (Docker does not run here) is the topology the tests above run with
/// plain processes: PostgreSQL, one `weft serve --no-workers`, two `weft worker` sharing the
/// key volume, and commands this binary takes.
#[test]
fn the_compose_file_is_the_tested_topology() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docker-compose.yml");
    let text = std::fs::read_to_string(path).expect("read docker-compose.yml");
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    doc.apply_merge().expect("merge keys");
    let services = &doc["services"];
    for (name, v) in services.as_mapping().unwrap() {
        let mut service = v.clone();
        service.apply_merge().expect("merge keys");
        let name = name.as_str().unwrap();
        if name == "postgres" {
            continue;
        }
        let env = &service["environment"];
        let mut env = env.clone();
        env.apply_merge().unwrap();
        assert!(
            env["WEFT_DATABASE_URL"]
                .as_str()
                .is_some_and(|u| u.starts_with("postgres://") && u.contains("@postgres:5432/")),
            "{name}: {env:?}"
        );
        assert_eq!(
            service["volumes"][0].as_str(),
            Some("weft-data:/var/lib/weft"),
            "{name}"
        );
        let command: Vec<String> = service["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        match name {
            "weft" => {
                assert_eq!(command, ["serve", "--no-workers"]);
                assert!(env["WEFT_ADMIN_API_KEY"].is_string());
            }
            "worker" => {
                assert_eq!(command, ["worker"]);
                assert_eq!(service["deploy"]["replicas"].as_u64(), Some(2));
                assert_eq!(
                    service["depends_on"]["weft"]["condition"].as_str(),
                    Some("service_healthy")
                );
            }
            other => panic!("an unexpected service {other}"),
        }
        // The binary takes the command.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(&command)
            .arg("--help")
            .output()
            .expect("run weft");
        assert!(out.status.success(), "weft {command:?} --help: {out:?}");
    }
}

/// A sync webhook taken by the API process and run by a worker is answered when the worker
/// finishes, told by `NOTIFY` (without it the API process would see the finish only at its
/// next re-read, a second later: the median below would be about a second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_webhook_run_by_a_worker_is_answered_when_it_finishes() {
    bounded(async {
        let d = Deployment::new(Backend::Postgres).await;
        let api = d.start_with(&["--no-workers"]).await;
        let _worker = d.start_worker("worker").await;
        api.deploy(
            r#"
name: Answered elsewhere
trigger: { type: webhook, path: answer, respond: sync }
steps:
  - id: call
    action: http
    with:
      url: "{{env.API_URL}}/echo/answer"
  - id: reply
    action: respond
    with:
      status: 201
      body: { n: "{{trigger.body.n}}", ran: "{{execution.id}}" }
"#,
        )
        .await;
        let mut took = Vec::new();
        for n in 0..7 {
            let started = Instant::now();
            let reply = api.call_hook("answer", &json!({ "n": n })).await;
            took.push(started.elapsed());
            reply.expect_status(201);
            assert_eq!(reply.json()["n"], n, "{reply}");
            let id = reply.json()["ran"].as_str().unwrap().to_string();
            let execution = api.execution(&id).await;
            let ran_by = execution["process"].as_str().unwrap().to_string();
            assert!(
                alive(&api, "worker").await.contains(&ran_by),
                "{execution:#}"
            );
        }
        took.sort();
        let median = took[took.len() / 2];
        eprintln!("sync webhook round trips through a worker: {took:?}");
        assert!(
            median < Duration::from_millis(500),
            "the API process was not told of the finish: {took:?}"
        );
    })
    .await;
}

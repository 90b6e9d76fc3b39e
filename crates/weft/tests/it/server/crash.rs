//! Durability: a server killed with SIGKILL in the middle of a burst of webhooks loses no
//! accepted request and creates nothing twice once restarted; a server stopped with SIGTERM
//! lets running executions finish, or hands them back to the queue for the next start.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Backend, Deployment, Server, client, on_both_backends, send};

/// Creates a user, waits on a slow call, then shapes an output.
const SIGNUP: &str = r#"
name: Burst signup
trigger:
  type: webhook
  path: burst
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json:
        email: "{{trigger.body.email}}"
        n: "{{trigger.body.n}}"
  - id: slow
    action: http
    with:
      url: "{{env.API_URL}}/slow?ms=50"
  - id: done
    action: set
    with:
      value:
        n: "{{trigger.body.n}}"
        user: "{{steps.create.body.id}}"
"#;

const REQUESTS: usize = 500;
const SENDERS: usize = 16;
const KILL_AFTER: usize = 200;

/// What happened to each request: the execution id of its 202 and whether it was a duplicate.
type Outcomes = Arc<Mutex<BTreeMap<usize, (String, bool)>>>;

/// Sends the requests in `todo` to `url`, `SENDERS` at a time, each with the idempotency key
/// `burst-{n}`; records every 202. Stops taking new requests once `stop` is set.
async fn send_burst(
    url: String,
    todo: Vec<usize>,
    outcomes: Outcomes,
    answered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> usize {
    let todo = Arc::new(todo);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let http = client();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (todo, next, failed, http, url, outcomes, answered, stop) = (
            todo.clone(),
            next.clone(),
            failed.clone(),
            http.clone(),
            url.clone(),
            outcomes.clone(),
            answered.clone(),
            stop.clone(),
        );
        senders.spawn(async move {
            loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Some(&n) = todo.get(next.fetch_add(1, Ordering::SeqCst)) else {
                    return;
                };
                let res = http
                    .post(format!("{url}/hooks/burst"))
                    .header("idempotency-key", format!("burst-{n}"))
                    .json(&json!({ "n": n, "email": format!("user-{n}@example.com") }))
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await;
                let accepted = match res {
                    Ok(r) if r.status() == 202 => r.json::<Value>().await.ok(),
                    _ => None,
                };
                match accepted {
                    Some(v) => {
                        let id = v["execution_id"].as_str().expect("an id").to_string();
                        let duplicate = v["duplicate"].as_bool().expect("duplicate");
                        outcomes.lock().unwrap().insert(n, (id, duplicate));
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    None => {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        });
    }
    while let Some(r) = senders.join_next().await {
        r.expect("a sender");
    }
    failed.load(Ordering::SeqCst)
}

async fn a_server_killed_mid_burst_loses_no_accepted_webhook_and_creates_nothing_twice(
    backend: Backend,
) {
    // A short lease: the killed worker's executions are taken over 2 s after its last renewal.
    let d = Deployment::new(backend).await.env("WEFT_LEASE", "2s");
    let mut server = d.start().await;
    let workflow_id = server.deploy(SIGNUP).await;

    let outcomes: Outcomes = Arc::default();
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let burst = tokio::spawn(send_burst(
        server.url.clone(),
        (0..REQUESTS).collect(),
        outcomes.clone(),
        answered.clone(),
        stop.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "the first {KILL_AFTER} answers took over 60 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Kill while executions run (the burst goes on meanwhile).
    let mut running_at_kill = 0;
    while Instant::now() < deadline {
        running_at_kill = server.executions("status=running").await.len();
        if running_at_kill >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // No request starts after the kill; those in flight lose their answer.
    stop.store(true, Ordering::SeqCst);
    server.kill();
    let lost_in_flight = burst.await.expect("the burst");
    let before_kill = outcomes.lock().unwrap().len();

    let server = d.start().await;
    let unfinished_at_restart = server.executions("status=queued").await.len()
        + server.executions("status=running").await.len();
    // Every request without a 202 is sent again, with its key: one in flight at the kill may
    // have been committed, and must then come back as that execution.
    let todo: Vec<usize> = {
        let done = outcomes.lock().unwrap();
        (0..REQUESTS).filter(|n| !done.contains_key(n)).collect()
    };
    let failed = send_burst(
        server.url.clone(),
        todo.clone(),
        outcomes.clone(),
        answered.clone(),
        Arc::new(AtomicBool::new(false)),
    )
    .await;
    assert_eq!(failed, 0, "requests failed after the restart");
    let outcomes = outcomes.lock().unwrap().clone();
    assert_eq!(
        outcomes.len(),
        REQUESTS,
        "every request got a 202 in the end"
    );
    let committed_unanswered = todo.iter().filter(|n| outcomes[n].1).count();
    server.wait_idle(Duration::from_secs(120)).await;

    // Every 202 has exactly one execution, and it succeeded.
    let executions = server
        .executions(&format!("workflow_id={workflow_id}"))
        .await;
    let listed: BTreeSet<String> = executions
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let answered_ids: BTreeSet<String> = outcomes.values().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        answered_ids.len(),
        REQUESTS,
        "two requests got the same execution"
    );
    assert_eq!(
        listed, answered_ids,
        "the executions are not exactly those of the 202s"
    );
    let not_succeeded: Vec<&Value> = executions
        .iter()
        .filter(|e| e["status"] != "succeeded")
        .collect();
    assert!(not_succeeded.is_empty(), "{not_succeeded:#?}");
    let interrupted = executions
        .iter()
        .filter(|e| e["attempt"].as_i64().unwrap() > 1)
        .count();

    // Each execution ran its own request and created its own user, once.
    let mut user_of = BTreeMap::new();
    for (n, (id, _)) in &outcomes {
        let e = server.execution(id).await;
        assert_eq!(e["request"]["body"]["n"], *n, "{e:#}");
        assert_eq!(e["output"]["n"], *n, "{e:#}");
        user_of.insert(id.clone(), (*n, e["output"]["user"].clone()));
    }
    let creates = d.mock.creates_by_idempotency_key();
    let mut repeated_creates = 0;
    for (key, count) in &creates {
        let key = key
            .as_deref()
            .expect("every create carries an idempotency key");
        let id = key
            .strip_suffix(":create")
            .unwrap_or_else(|| panic!("the key `{key}` is not `<execution id>:create`"));
        assert!(
            user_of.contains_key(id),
            "a create for an unknown execution {id}"
        );
        repeated_creates += count - 1;
    }
    assert_eq!(creates.len(), REQUESTS, "one create key per execution");
    let users = d.mock.users();
    assert_eq!(users.len(), REQUESTS, "a user was created twice");
    let by_email: BTreeMap<String, &Value> = users
        .iter()
        .map(|u| (u["email"].as_str().unwrap().to_string(), u))
        .collect();
    assert_eq!(by_email.len(), REQUESTS, "two users share an email");
    for (n, user) in user_of.values() {
        let created = by_email[&format!("user-{n}@example.com")];
        assert_eq!(&created["id"], user, "execution {n} saw another user");
    }

    eprintln!(
        "crash test on {backend:?}: {before_kill} requests answered 202 before the SIGKILL, \
         which came with {running_at_kill} executions running, {lost_in_flight} in flight lost their answer ({committed_unanswered} of them had been \
         committed and came back as their first execution when sent again), \
         {unfinished_at_restart} executions unfinished at the restart, {interrupted} were \
         running when killed and resumed after their lease expired, {repeated_creates} create \
         calls were sent again and deduplicated by their idempotency key"
    );
    assert!(
        interrupted > 0,
        "no execution was running at the kill: the test proved nothing"
    );
}

/// A manual workflow whose first step takes `ms` milliseconds.
fn slow_workflow(ms: u64) -> String {
    format!(
        r#"
name: Slow {ms}
trigger:
  type: manual
steps:
  - id: wait
    action: http
    with:
      url: "{{{{env.API_URL}}}}/slow?ms={ms}"
    timeout: 60s
  - id: after
    action: set
    with:
      value: {{ waited: "{{{{steps.wait.body.slept_ms}}}}" }}
"#
    )
}

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

/// Waits until the mock saw `n` calls to `/slow`.
async fn slow_calls(d: &Deployment, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while d.mock.count("GET", "/slow") < n {
        assert!(
            Instant::now() < deadline,
            "no call {n} to /slow within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_sigterm_lets_a_short_execution_and_its_sync_caller_finish_before_the_exit(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let mut server = d.start().await;
    let w = server.create_workflow(&slow_workflow(2000)).await;
    let manual = start_run(&server, w["id"].as_str().unwrap()).await;
    server
        .deploy(
            r#"
name: Sync slow
trigger:
  type: webhook
  path: sync-slow
  respond: sync
steps:
  - id: wait
    action: http
    with:
      url: "{{env.API_URL}}/slow?ms=2000"
  - id: reply
    action: respond
    with:
      body: { answered: true }
"#,
        )
        .await;
    let caller = tokio::spawn(send(
        server.hook(Method::POST, "sync-slow").json(&json!({})),
    ));
    slow_calls(&d, 2).await;

    let asked = Instant::now();
    let status = server.terminate(Duration::from_secs(30)).await;
    let took = asked.elapsed();
    assert!(status.success(), "weft serve exited with {status}");
    assert!(
        took < Duration::from_secs(8),
        "the exit took {took:?}: it did not just finish the 2 s executions"
    );
    let reply = caller.await.expect("the sync caller");
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({ "answered": true }));

    let server = d.start().await;
    let e = server.execution(&manual).await;
    assert_eq!(e["status"], "succeeded", "finished before the exit: {e:#}");
    assert_eq!(e["output"], json!({ "waited": 2000 }));
    assert_eq!(d.mock.count("GET", "/slow"), 2, "nothing ran twice");
}

async fn a_sigterm_hands_a_long_execution_back_and_the_next_start_completes_it(backend: Backend) {
    // The default lease (30 s): a handed-back execution is claimed at once on the next
    // start, one whose lease must expire is not.
    let d = Deployment::new(backend).await;
    let mut server = d.start().await;
    let w = server.create_workflow(&slow_workflow(14_000)).await;
    let id = start_run(&server, w["id"].as_str().unwrap()).await;
    slow_calls(&d, 1).await;

    let asked = Instant::now();
    let status = server.terminate(Duration::from_secs(30)).await;
    let took = asked.elapsed();
    assert!(status.success(), "weft serve exited with {status}");
    assert!(
        took < Duration::from_secs(13),
        "the exit took {took:?}: it waited for the 14 s step"
    );

    let server = d.start().await;
    let restarted = Instant::now();
    let e = server
        .wait_until(&id, "claimed again", |e| {
            e["status"] == "running" && e["attempt"].as_i64() == Some(2)
        })
        .await;
    assert!(
        restarted.elapsed() < Duration::from_secs(10),
        "claimed again only after {:?}: the execution was not handed back\n{e:#}",
        restarted.elapsed()
    );
    let e = server.wait_finished(&id).await;
    assert_eq!(e["status"], "succeeded", "{e:#}");
    assert_eq!(e["output"], json!({ "waited": 14000 }));
    assert_eq!(e["attempt"], 2, "{e:#}");
}

/// A store error that passes (here: the SQLite file locked by another process for longer
/// than the busy timeout) interrupts an execution instead of failing it: it goes back to the
/// queue and resumes from what was recorded, and the call with effects after the failed write
/// runs once, after it.
#[tokio::test]
async fn a_transient_store_error_hands_the_execution_back_instead_of_failing_it() {
    super::harness::bounded(async {
        let d = Deployment::new(Backend::Sqlite)
            .await
            .env("WEFT_LEASE", "300s");
        let server = d.start().await;
        server
            .deploy(
                r#"
name: Locked out
trigger: { type: webhook, path: locked }
steps:
  - id: slow
    action: http
    with: { url: "{{env.API_URL}}/slow?ms=3000" }
  - id: create
    action: http
    with: { method: POST, url: "{{env.API_URL}}/users", json: { email: a@example.com } }
"#,
            )
            .await;
        let reply = server.call_hook("locked", &json!({})).await;
        reply.expect_status(202);
        let exec_id = reply.json()["execution_id"].as_str().unwrap().to_string();
        slow_calls(&d, 1).await;
        // Once the attempt's `running` row is written, take the write lock the way another
        // process would, and keep it past the busy timeout (5 s) of the write of `slow`'s
        // result: until the server says it hands the execution back (at most 20 s).
        tokio::time::sleep(Duration::from_millis(600)).await;
        let path = d.sqlite_path().unwrap();
        let log = {
            let server = &server;
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let locker = std::thread::spawn(move || {
                let conn = rusqlite::Connection::open(path).expect("open the database");
                conn.execute_batch("BEGIN IMMEDIATE")
                    .expect("take the write lock");
                let _ = rx.blocking_recv();
                conn.execute_batch("COMMIT")
                    .expect("release the write lock");
            });
            let deadline = Instant::now() + Duration::from_secs(20);
            while !server
                .log_since_start()
                .contains("handing the execution back")
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = tx.send(());
            locker.join().expect("the locker thread");
            server.log_since_start()
        };
        let e = server.wait_finished(&exec_id).await;
        assert_eq!(e["status"], "succeeded", "{e:#}\n{log}");
        assert_eq!(e["attempt"], 2, "claimed again after the hand-back: {e:#}");
        assert_eq!(
            d.mock.count("POST", "/users"),
            1,
            "the call after the failed write ran once, after the resume"
        );
        assert!(
            log.contains("handing the execution back"),
            "the journal error was not seen as transient\n{log}"
        );
    })
    .await;
}

on_both_backends!(
    a_server_killed_mid_burst_loses_no_accepted_webhook_and_creates_nothing_twice,
    a_sigterm_lets_a_short_execution_and_its_sync_caller_finish_before_the_exit,
    a_sigterm_hands_a_long_execution_back_and_the_next_start_completes_it,
);

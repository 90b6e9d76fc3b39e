//! A PostgreSQL outage under webhook load, on a server of the test's own (stopped with
//! `pg_ctl stop -m immediate` for 10 s, then started again; fsync on, so that a commit is a
//! commit): while it is down webhooks answer
//! 503 with `Retry-After`, never a 2xx that was not stored; afterwards the API process and the
//! worker recover by themselves, and every accepted execution runs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::TempPostgres;

use super::harness::{Deployment, bounded, client};

/// One answer of the load: when, the status, whether it had `Retry-After`, the execution id.
#[derive(Debug, Clone)]
struct Answer {
    at: Instant,
    status: u16,
    retry_after: bool,
    execution_id: Option<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_answer_503_while_postgres_is_down_and_everything_recovers() {
    bounded(async {
        let pg = Arc::new(
            tokio::task::spawn_blocking(TempPostgres::start_durable)
                .await
                .expect("start PostgreSQL"),
        );
        let url = {
            let pg = pg.clone();
            tokio::task::spawn_blocking(move || pg.create_database("weft"))
                .await
                .unwrap()
        };
        let d = Deployment::on(Some(url)).await;
        let api = d.start_with(&["--no-workers"]).await;
        let _worker = d.start_worker("worker").await;
        api.deploy(
            r#"
name: Through an outage
trigger: { type: webhook, path: outage }
steps:
  - id: shape
    action: set
    with:
      value: { n: "{{trigger.body.n}}" }
"#,
        )
        .await;

        // The load: two senders, a request every 50 ms each, until told to stop.
        let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut senders = tokio::task::JoinSet::new();
        for s in 0..2 {
            let (answers, stop, url) = (
                answers.clone(),
                stop.clone(),
                format!("{}/hooks/outage", api.url),
            );
            senders.spawn(async move {
                let http = client();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    n += 1;
                    let res = http
                        .post(&url)
                        .json(&json!({ "n": format!("{s}-{n}") }))
                        .timeout(Duration::from_secs(20))
                        .send()
                        .await
                        .expect("an answer, even while the database is down");
                    let status = res.status().as_u16();
                    let retry_after = res.headers().contains_key("retry-after");
                    let body: serde_json::Value = res.json().await.unwrap_or_default();
                    answers.lock().unwrap().push(Answer {
                        at: Instant::now(),
                        status,
                        retry_after,
                        execution_id: body["execution_id"].as_str().map(str::to_string),
                    });
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
        }

        // Long-running executions in flight when the database goes: a slow call that ends
        // during the outage (its result cannot be written then), and a delay that spans it.
        // They pause and go on once it is back; neither fails.
        api.deploy(
            r#"
name: Longer than the outage
trigger: { type: webhook, path: long }
steps:
  - id: slow
    action: http
    with:
      url: "{{env.API_URL}}/slow?ms=3000"
  - id: pause
    action: delay
    with: { duration: 6s }
  - id: after
    action: set
    with:
      value: { slept: "{{steps.slow.body.slept_ms}}" }
"#,
        )
        .await;
        let mut in_flight = Vec::new();
        for n in 0..2 {
            let reply = super::harness::send(
                api.hook(reqwest::Method::POST, "long")
                    .json(&json!({ "n": n })),
            )
            .await;
            reply.expect_status(202);
            in_flight.push(reply.json()["execution_id"].as_str().unwrap().to_string());
        }

        tokio::time::sleep(Duration::from_secs(2)).await;
        let down_at = Instant::now();
        {
            let pg = pg.clone();
            tokio::task::spawn_blocking(move || pg.stop())
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        {
            let pg = pg.clone();
            tokio::task::spawn_blocking(move || pg.start_again())
                .await
                .unwrap();
        }
        let up_at = Instant::now();
        // Recovery: a 202 again within 30 s of the database's return, then a little more load.
        let deadline = up_at + Duration::from_secs(30);
        loop {
            let recovered = answers
                .lock()
                .unwrap()
                .iter()
                .any(|a| a.at > up_at && a.status == 202);
            if recovered {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no webhook was accepted within 30 s after the database came back"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        while senders.join_next().await.is_some() {}

        let answers = answers.lock().unwrap().clone();
        let odd: Vec<&Answer> = answers
            .iter()
            .filter(|a| !(a.status == 202 || (a.status == 503 && a.retry_after)))
            .collect();
        assert!(
            odd.is_empty(),
            "answers other than 202 or 503 with Retry-After: {odd:#?}"
        );
        let refused = answers
            .iter()
            .filter(|a| a.status == 503 && a.at > down_at)
            .count();
        assert!(refused > 0, "no 503 while the database was down");
        let accepted: Vec<String> = answers
            .iter()
            .filter(|a| a.status == 202)
            .map(|a| a.execution_id.clone().expect("a 202 names its execution"))
            .collect();
        eprintln!(
            "{} answers: {} accepted, {refused} refused during the outage",
            answers.len(),
            accepted.len()
        );
        // No 2xx was lost: every accepted execution exists and runs to its end.
        for id in &accepted {
            let e = api.wait_finished(id).await;
            assert_eq!(e["status"], "succeeded", "{e:#}");
        }
        // The executions that were running through the outage paused and finished.
        for id in &in_flight {
            let e = api.wait_finished(id).await;
            assert_eq!(e["status"], "succeeded", "paused, not failed: {e:#}");
            let after = e["steps"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["step_id"] == "after"))
                .cloned()
                .unwrap_or_default();
            assert_eq!(after["output"]["slept"], 3000, "{e:#}");
        }
    })
    .await;
}

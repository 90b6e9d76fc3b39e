//! Outgoing webhooks (`action: webhook`) against a receiver the test runs on 127.0.0.1: a
//! message answered 500, 500, then 200, with `weft serve` killed between the attempts, arrives
//! three times with the same `webhook-id` and a valid signature for each timestamp; 410 stops
//! the retries; a 3xx is not followed; `Retry-After` is honoured; a failed delivery is retried
//! by hand through the API; two processes on one PostgreSQL send each attempt once;
//! the signed sign-up example tells its chat service.

use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use engine::model::HmacPreset;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::harness::{Backend, Deployment, Server, on_both_backends, send};
use crate::support::host_port;

const CHAT_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_test_secret_stripe_0123456789";

fn credentials() -> String {
    format!(
        "chat-signing: {{ type: secret, value: \"{CHAT_SECRET}\" }}\n\
         stripe-signing: {{ type: secret, value: \"{STRIPE_SECRET}\" }}\n"
    )
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Seen {
    headers: HashMap<String, String>,
    body: String,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct ReceiverState {
    seen: HashMap<String, Vec<Seen>>,
    /// The statuses to answer on a path, in order; 200 once they are used up.
    script: HashMap<String, VecDeque<u16>>,
    /// Paths that answer 500 to the first request of each `webhook-id`, 200 after.
    fail_each_once: Vec<String>,
}

/// A webhook receiver on 127.0.0.1: records every request by path and answers as scripted (a
/// 3xx with `Location: /target`, a 503 with `Retry-After: 2`).
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<ReceiverState>>);

impl Receiver {
    async fn start() -> (Receiver, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("the receiver's address");
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, format!("http://{addr}"))
    }

    fn answer(&self, path: &str, statuses: &[u16]) {
        self.0
            .lock()
            .unwrap()
            .script
            .insert(path.to_string(), statuses.iter().copied().collect());
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        self.0
            .lock()
            .unwrap()
            .seen
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    async fn wait_seen(&self, path: &str, n: usize) -> Vec<Seen> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let seen = self.seen(path);
            if seen.len() >= n {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} requests on {path} within 60 s, not {n}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let status = {
        let mut state = receiver.0.lock().unwrap();
        let id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let first_of_id = !state
            .seen
            .get(&path)
            .is_some_and(|seen| seen.iter().any(|s| s.header("webhook-id") == Some(&id)));
        let fail_once = state.fail_each_once.contains(&path) && first_of_id;
        state.seen.entry(path.clone()).or_default().push(Seen {
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        });
        match fail_once {
            true => 500,
            false => state
                .script
                .get_mut(&path)
                .and_then(VecDeque::pop_front)
                .unwrap_or(200),
        }
    };
    let status = StatusCode::from_u16(status).unwrap();
    if status.is_redirection() {
        return (status, [(header::LOCATION, "/target")], "moved").into_response();
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        return (status, [(header::RETRY_AFTER, "2")], "busy").into_response();
    }
    (status, format!("answer {}", status.as_u16())).into_response()
}

/// A deployment whose servers may call the mock API and the receiver at `base`, with
/// the test's credentials and a short retry schedule.
async fn deployment(backend: Backend, base: &str, schedule: &str) -> Deployment {
    let d = Deployment::new(backend).await;
    let allow = format!("{},{}", host_port(&d.mock.base_url()), host_port(base));
    d.credentials(&credentials())
        .env("WEFT_OUTBOUND_ALLOW", &allow)
        .env("WEFT_DELIVERY_SCHEDULE", schedule)
}

/// `GET /api/v1/deliveries/{id}`, polled until `done` holds.
async fn wait_delivery(
    server: &Server,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = send(server.get(&format!("/api/v1/deliveries/{id}"))).await;
        reply.expect_status(200);
        let d = reply.json();
        if done(&d) {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "delivery {id}: not {what} within 60 s: {d:#}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn history_len(d: &Value) -> usize {
    d["history"].as_array().map_or(0, Vec::len)
}

/// The output of step `id` of an execution.
fn step_output(execution: &Value, id: &str) -> Value {
    execution["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step_id"] == id))
        .map(|s| s["output"].clone())
        .unwrap_or_else(|| panic!("no step {id}: {execution:#}"))
}

/// The Standard Webhooks signature `secret` gives for a message.
fn signature(id: &str, timestamp: &str, body: &str) -> String {
    let headers = triggers::sign(
        HmacPreset::StandardWebhooks,
        CHAT_SECRET,
        id,
        timestamp.parse().expect("a numeric timestamp"),
        body.as_bytes(),
    )
    .expect("sign");
    headers
        .into_iter()
        .find(|(name, _)| *name == "webhook-signature")
        .expect("a signature")
        .1
}

/// `weft verify-signature` on a received message; its exit code and output.
async fn verify_with_cli(seen: &Seen, body: &str) -> (i32, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .args([
            "verify-signature",
            "--id",
            seen.header("webhook-id").unwrap(),
            "--timestamp",
            seen.header("webhook-timestamp").unwrap(),
            "--signature",
            seen.header("webhook-signature").unwrap(),
        ])
        .env("WEFT_WEBHOOK_SECRET", CHAT_SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start weft verify-signature");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(body.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn redelivered_across_restarts_until_a_2xx(backend: Backend) {
    let (receiver, base) = Receiver::start().await;
    receiver.answer("/chat", &[500, 500]);
    let d = deployment(backend, &base, "0s,4s,4s,4s").await;
    let mut server = d.start().await;
    server
        .deploy(&format!(
            r#"
name: Notify chat
trigger: {{ type: webhook, path: notify }}
steps:
  - id: tell
    action: webhook
    with:
      url: "{base}/chat"
      credential: chat-signing
      headers: {{ X-Source: weft-test }}
      body:
        text: "hello {{{{trigger.body.name}}}}"
        n: "{{{{trigger.body.n}}}}"
"#
        ))
        .await;
    let execution = server
        .run_hook("notify", &json!({"name": "ann", "n": 7}))
        .await;
    assert_eq!(execution["status"], "succeeded", "{execution:#}");
    let output = step_output(&execution, "tell");
    let id = output["delivery_id"]
        .as_str()
        .expect("a delivery id")
        .to_string();
    let message_id = output["message_id"]
        .as_str()
        .expect("a message id")
        .to_string();
    assert!(message_id.starts_with("msg_"), "{output}");

    // 500, recorded; the server dies; the next start sends the second attempt: 500 again.
    // The retries are 4 s apart so that the kill normally lands between two attempts; on a
    // loaded machine the test may see an attempt late, after the next one was already sent,
    // and then checks that attempt from its history instead of the delivery's current state.
    for n in 1..=2 {
        receiver.wait_seen("/chat", n).await;
        let delivery = wait_delivery(&server, &id, "recorded", |d| history_len(d) >= n).await;
        let attempt = &delivery["history"][n - 1];
        assert_eq!(attempt["status"], 500, "{delivery:#}");
        assert_eq!(attempt["outcome"], "retry", "{delivery:#}");
        if history_len(&delivery) == n && delivery["attempts"] == n {
            assert_eq!(delivery["status"], "pending", "{delivery:#}");
            assert_eq!(delivery["last_status"], 500, "{delivery:#}");
            assert!(delivery["next_attempt_at"].is_string(), "{delivery:#}");
            assert_eq!(delivery["last_body"], "answer 500", "{delivery:#}");
        }
        server.kill();
        server = d.start().await;
    }
    let delivery = wait_delivery(&server, &id, "delivered", |d| d["status"] == "delivered").await;
    assert_eq!(delivery["attempts"], 3, "{delivery:#}");
    assert_eq!(delivery["last_status"], 200, "{delivery:#}");
    assert!(delivery["delivered_at"].is_string(), "{delivery:#}");
    assert_eq!(delivery["credential"], "chat-signing", "{delivery:#}");
    assert_eq!(
        delivery["body"],
        json!({"text": "hello ann", "n": 7}),
        "{delivery:#}"
    );
    let outcomes: Vec<&str> = delivery["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["retry", "retry", "delivered"], "{delivery:#}");

    // The same message three times: the same id and body, a fresh timestamp and a valid
    // signature for it each time.
    let seen = receiver.seen("/chat");
    assert_eq!(seen.len(), 3, "{seen:#?}");
    let mut last_timestamp = 0;
    for s in &seen {
        assert_eq!(s.header("webhook-id"), Some(message_id.as_str()), "{s:?}");
        assert_eq!(s.header("content-type"), Some("application/json"), "{s:?}");
        assert_eq!(s.header("x-source"), Some("weft-test"), "{s:?}");
        assert_eq!(s.body, seen[0].body);
        let timestamp = s.header("webhook-timestamp").expect("a timestamp");
        let t: i64 = timestamp.parse().unwrap();
        assert!(t > last_timestamp, "timestamps go forward: {seen:#?}");
        last_timestamp = t;
        assert_eq!(
            s.header("webhook-signature"),
            Some(signature(&message_id, timestamp, &s.body).as_str()),
            "{s:?}"
        );
    }
    assert_eq!(
        serde_json::from_str::<Value>(&seen[0].body).unwrap(),
        json!({"text": "hello ann", "n": 7})
    );
    // What a receiver runs to check it: valid as sent, invalid with another body.
    let (code, out) = verify_with_cli(&seen[2], &seen[2].body).await;
    assert_eq!((code, out.trim()), (0, "valid"));
    let (code, out) = verify_with_cli(&seen[2], "{\"text\":\"forged\"}").await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid"), "{out}");

    // The list, by execution and by status.
    let execution_id = execution["id"].as_str().unwrap();
    let reply = send(server.get(&format!("/api/v1/deliveries?execution_id={execution_id}"))).await;
    reply.expect_status(200);
    let list = reply.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list:#}");
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(list["items"][0].get("history").is_none(), "{list:#}");
    assert!(list["next_cursor"].is_null(), "{list:#}");
    let reply = send(server.get("/api/v1/deliveries?status=pending")).await;
    assert_eq!(reply.json()["items"], json!([]), "{reply}");
    // The secret is in no record the API shows.
    assert!(!reply.text().contains("MfKQ9r8"));
    let reply = send(server.get(&format!("/api/v1/deliveries/{id}"))).await;
    assert!(!reply.text().contains("MfKQ9r8"), "{reply}");
    let log = std::fs::read_to_string(d.dir().join("server.log")).unwrap_or_default();
    assert!(!log.contains("MfKQ9r8"), "the secret is in the server log");
}

async fn gone_stops_redirects_are_not_followed_and_failures_are_retried_by_hand(backend: Backend) {
    let (receiver, base) = Receiver::start().await;
    receiver.answer("/gone", &[410]);
    receiver.answer("/moved", &[302, 302]);
    receiver.answer("/gone-for-good", &[410]);
    receiver.answer("/busy", &[503]);
    let d = deployment(backend, &base, "0s,1s").await;
    let server = d.start().await;
    server
        .deploy(&format!(
            r#"
name: Fan out
trigger: {{ type: webhook, path: fanout }}
steps:
  - id: gone
    action: webhook
    with: {{ url: "{base}/gone", body: {{ k: gone }} }}
  - id: moved
    action: webhook
    with: {{ url: "{base}/moved", body: {{ k: moved }} }}
  - id: busy
    action: webhook
    with: {{ url: "{base}/busy", body: {{ k: busy }} }}
"#
        ))
        .await;
    let execution = server.run_hook("fanout", &json!({})).await;
    assert_eq!(execution["status"], "succeeded", "{execution:#}");
    let gone = step_output(&execution, "gone")["delivery_id"]
        .as_str()
        .unwrap()
        .to_string();
    let moved = step_output(&execution, "moved")["delivery_id"]
        .as_str()
        .unwrap()
        .to_string();

    // 410: failed at once, no second attempt.
    let d_gone = wait_delivery(&server, &gone, "failed", |d| d["status"] == "failed").await;
    assert_eq!(d_gone["attempts"], 1, "{d_gone:#}");
    assert_eq!(d_gone["last_status"], 410, "{d_gone:#}");
    let error = d_gone["last_error"].as_str().unwrap();
    assert!(
        error.contains("410") && error.contains("no more deliveries"),
        "{error}"
    );
    // Unsigned (no credential): the id and timestamp, no signature.
    let first = &receiver.seen("/gone")[0];
    assert!(
        first
            .header("webhook-id")
            .is_some_and(|i| i.starts_with("msg_"))
    );
    assert!(first.header("webhook-timestamp").is_some());
    assert!(first.header("webhook-signature").is_none(), "{first:?}");

    // 302 twice: each attempt failed, the redirect never followed; no attempt left after two.
    let d_moved = wait_delivery(&server, &moved, "failed", |d| d["status"] == "failed").await;
    assert_eq!(d_moved["attempts"], 2, "{d_moved:#}");
    assert_eq!(d_moved["last_status"], 302, "{d_moved:#}");
    let error = d_moved["last_error"].as_str().unwrap();
    assert!(error.contains("not followed"), "{error}");
    assert_eq!(receiver.seen("/moved").len(), 2);
    assert!(
        receiver.seen("/target").is_empty(),
        "a redirect was followed"
    );

    // 503 with `Retry-After: 2`: the next attempt waits for it, not for the schedule's 1 s.
    let busy = step_output(&execution, "busy")["delivery_id"]
        .as_str()
        .unwrap()
        .to_string();
    let d_busy = wait_delivery(&server, &busy, "delivered", |d| d["status"] == "delivered").await;
    assert_eq!(d_busy["attempts"], 2, "{d_busy:#}");
    let seen = receiver.seen("/busy");
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(1800),
        "Retry-After not honoured: {gap:?}"
    );

    let execution_id = execution["id"].as_str().unwrap();
    let reply = send(server.get(&format!(
        "/api/v1/deliveries?execution_id={execution_id}&status=failed"
    )))
    .await;
    assert_eq!(
        reply.json()["items"].as_array().unwrap().len(),
        2,
        "{reply}"
    );

    // By hand: pending again, and delivered on the next attempt (the receiver takes it now);
    // the attempts go on counting, the message id stays.
    let reply = send(server.post(&format!("/api/v1/deliveries/{gone}/retry"))).await;
    reply.expect_status(200);
    assert_eq!(reply.json()["status"], "pending", "{reply}");
    let d_gone = wait_delivery(&server, &gone, "delivered", |d| d["status"] == "delivered").await;
    assert_eq!(d_gone["attempts"], 2, "{d_gone:#}");
    let seen = receiver.seen("/gone");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"));
    send(server.post(&format!("/api/v1/deliveries/{gone}/retry")))
        .await
        .expect_error(409, "conflict");
    send(server.post(&format!(
        "/api/v1/deliveries/{}/retry",
        uuid::Uuid::now_v7()
    )))
    .await
    .expect_error(404, "not_found");
    send(server.get("/api/v1/deliveries?status=lost"))
        .await
        .expect_error(400, "bad_request");

    // `wait: true`: the step fails with why once no attempt is left.
    server
        .deploy(&format!(
            r#"
name: Wait for it
trigger: {{ type: webhook, path: wait-gone }}
steps:
  - id: tell
    action: webhook
    with: {{ url: "{base}/gone-for-good", body: {{ k: 1 }}, wait: true }}
"#
        ))
        .await;
    let failed = server.run_hook("wait-gone", &json!({})).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    let message = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not delivered after 1 attempt") && message.contains("410"),
        "{failed:#}"
    );

    // An address the outbound policy refuses fails the step before anything is queued.
    server
        .deploy(
            r#"
name: Refused
trigger: { type: webhook, path: refused }
steps:
  - id: tell
    action: webhook
    with: { url: "http://127.0.0.1:9/hook", body: {} }
"#,
        )
        .await;
    let refused = server.run_hook("refused", &json!({})).await;
    assert_eq!(refused["status"], "failed", "{refused:#}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("refused"), "{refused:#}");
}

async fn the_signup_example_tells_the_chat_service_signed(backend: Backend) {
    let (receiver, base) = Receiver::start().await;
    let d = deployment(backend, &base, "0s,1s")
        .await
        .env("WEFT_ALLOW_ENV", "API_URL,CHAT_URL")
        .env("CHAT_URL", &format!("{base}/chat-room"));
    let server = d.start().await;
    let yaml = std::fs::read_to_string(crate::support::example("signup-to-chat.yaml")).unwrap();
    server.deploy(&yaml).await;

    let body = json!({
        "id": "evt_1",
        "type": "customer.created",
        "data": {"object": {"email": "ann@example.com"}}
    })
    .to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signed = triggers::sign(
        HmacPreset::Stripe,
        STRIPE_SECRET,
        "",
        timestamp,
        body.as_bytes(),
    )
    .unwrap();
    let mut request = server
        .hook(reqwest::Method::POST, "stripe-signup")
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in signed {
        request = request.header(name, value);
    }
    let reply = send(request).await;
    reply.expect_status(202);
    let execution = server
        .wait_finished(reply.json()["execution_id"].as_str().unwrap())
        .await;
    assert_eq!(execution["status"], "succeeded", "{execution:#}");

    let users = d.mock.users();
    assert_eq!(users.len(), 1, "{users:?}");
    let user_id = users[0]["id"].as_u64().unwrap();
    assert_eq!(users[0]["tag"], "paying");

    let seen = receiver.wait_seen("/chat-room", 1).await;
    let message: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(message["user_id"], user_id, "{message}");
    assert_eq!(message["stripe_event"], "evt_1", "{message}");
    assert!(
        message["text"]
            .as_str()
            .is_some_and(|t| t.contains("ann@example.com")),
        "{message}"
    );
    let id = seen[0].header("webhook-id").unwrap();
    let timestamp = seen[0].header("webhook-timestamp").unwrap();
    assert_eq!(
        seen[0].header("webhook-signature"),
        Some(signature(id, timestamp, &seen[0].body).as_str())
    );
}

/// Two processes on one database share the deliveries: every message is sent once per
/// attempt (here a 500, then a 200), never twice, whichever process claims it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_send_each_attempt_once() {
    super::harness::bounded(async {
        let (receiver, base) = Receiver::start().await;
        receiver
            .0
            .lock()
            .unwrap()
            .fail_each_once
            .push("/many".into());
        let d = deployment(Backend::Postgres, &base, "0s,1s").await;
        let a = d.start().await;
        let b = d.start().await;
        a.deploy(&format!(
            r#"
name: Many
trigger: {{ type: webhook, path: many }}
steps:
  - id: tell
    action: webhook
    for_each: "{{{{trigger.body.items}}}}"
    concurrency: 5
    with:
      url: "{base}/many"
      credential: chat-signing
      body: {{ n: "{{{{item}}}}" }}
"#
        ))
        .await;
        let items: Vec<u32> = (0..20).collect();
        let execution = a.run_hook("many", &json!({ "items": items })).await;
        assert_eq!(execution["status"], "succeeded", "{execution:#}");
        let execution_id = execution["id"].as_str().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let list = loop {
            let reply = send(b.get(&format!(
                "/api/v1/deliveries?execution_id={execution_id}&status=delivered&limit=200"
            )))
            .await;
            let list = reply.json();
            if list["items"].as_array().map_or(0, Vec::len) == 20 {
                break list;
            }
            assert!(
                Instant::now() < deadline,
                "not all delivered within 60 s: {list:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        for item in list["items"].as_array().unwrap() {
            assert_eq!(item["attempts"], 2, "{item:#}");
        }
        let seen = receiver.seen("/many");
        let mut per_message: HashMap<&str, usize> = HashMap::new();
        for s in &seen {
            *per_message
                .entry(s.header("webhook-id").unwrap())
                .or_default() += 1;
        }
        assert_eq!(per_message.len(), 20, "{per_message:?}");
        assert!(
            per_message.values().all(|n| *n == 2),
            "an attempt was sent twice: {per_message:?}"
        );
    })
    .await;
}

on_both_backends!(
    redelivered_across_restarts_until_a_2xx,
    gone_stops_redirects_are_not_followed_and_failures_are_retried_by_hand,
    the_signup_example_tells_the_chat_service_signed,
);

//! Safe by default, tried as an attacker would: against a real `weft serve` on loopback, each
//! test sends what a hostile caller can send and checks what it gets (and what it does not).
//! Test URLs, replays and idempotency keys, Host and failure details live beside their
//! subjects (`workflows`, `webhook_auth`, `webhooks`); this module holds the rest: what is
//! checked before a body is read, slow clients and the connection cap, memory per request,
//! the headers of hook answers and editor pages, key scopes and the editor's session, secret
//! headers in stored requests, and the data dir's permissions.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Backend, Deployment, Server, bounded, on_both_backends, send};

/// The `host:port` of a server.
fn addr(server: &Server) -> String {
    server.url.trim_start_matches("http://").to_string()
}

/// Sends `head` (a request line and headers, without the blank line's end) on a new connection
/// and returns the first bytes of what comes back within `limit` (empty if nothing came).
async fn raw_answer(server: &Server, head: &str, limit: Duration) -> String {
    let mut s = TcpStream::connect(addr(server)).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(limit, s.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        _ => String::new(),
    }
}

const TOKEN_HOOK: &str = r#"
name: Token hook
trigger:
  type: webhook
  path: token-hook
  auth: {type: header, header: X-Hook-Token, credential: hook-token}
steps:
  - id: note
    action: set
    with: { value: { ok: true } }
"#;

async fn route_method_and_header_auth_are_checked_before_the_body_is_read(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .credentials("hook-token: {type: bearer, token: \"hook-token-0123456789abcdef\"}\n");
    let server = d.start().await;
    server.deploy(TOKEN_HOOK).await;
    // Each request announces a 10 MB body and sends none of it: the answer must come anyway.
    let head = |method: &str, path: &str, extra: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 10000000\r\n{extra}\r\n"
        )
    };
    let cases = [
        (
            "an unknown path",
            head("POST", "/hooks/nobody-here", ""),
            "404",
        ),
        (
            "a method the hook does not take",
            head("PUT", "/hooks/token-hook", ""),
            "405",
        ),
        (
            "a wrong token",
            head(
                "POST",
                "/hooks/token-hook",
                "X-Hook-Token: wrong-token-000000000000\r\n",
            ),
            "401",
        ),
        ("no token", head("POST", "/hooks/token-hook", ""), "401"),
    ];
    for (case, request, status) in cases {
        let answer = raw_answer(&server, &request, Duration::from_secs(5)).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{case}: expected {status} before the body, got {answer:?}"
        );
    }
    assert_eq!(server.count_executions_all().await, 0);
}

async fn a_client_that_sends_its_headers_slowly_is_cut_off(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_HEADER_TIMEOUT", "1s");
    let server = d.start().await;
    let mut s = TcpStream::connect(addr(&server)).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    // One header line every 300 ms, for at most 20 s: the server must close first.
    let mut closed = false;
    for i in 0..66 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if s.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(1), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                closed = true; // an answer (408) before the headers ended
                break;
            }
            Err(_) => {}
        }
    }
    assert!(
        closed,
        "a client dribbling headers kept its connection for 20 s"
    );
    // The server still answers others.
    send(server.get("/healthz")).await.expect_status(200);
}

async fn connections_beyond_the_cap_wait_until_one_closes(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_MAX_CONNECTIONS", "2");
    let server = d.start().await;
    let idle: Vec<TcpStream> = futures_join(&server, 2).await;
    // Give the server a moment to accept both.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    let blocked = fresh.get(format!("{}/healthz", server.url)).send().await;
    assert!(
        blocked.is_err(),
        "a third connection was served: {blocked:?}"
    );
    drop(idle);
    let mut served = false;
    for _ in 0..50 {
        if let Ok(r) = fresh.get(format!("{}/healthz", server.url)).send().await {
            assert_eq!(r.status(), 200);
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served,
        "no connection was served after the idle ones closed"
    );
}

async fn futures_join(server: &Server, n: usize) -> Vec<TcpStream> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(TcpStream::connect(addr(server)).await.expect("connect"));
    }
    out
}

/// Peak resident memory of a process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

/// A JSON document of about `bytes` bytes: records as a CRM export would have them.
fn big_json(bytes: usize) -> Vec<u8> {
    let mut out = String::with_capacity(bytes + 200);
    out.push_str("{\"records\":[");
    let mut i = 0;
    while out.len() < bytes - 200 {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"id\":{i},\"email\":\"user{i}@example.com\",\"note\":\"{}\"}}",
            "x".repeat(40)
        ));
        i += 1;
    }
    out.push_str("]}");
    out.into_bytes()
}

async fn parallel_10_mib_posts_beyond_the_intake_budget_get_503_with_retry_after(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let workflow_id = server
        .deploy(
            r#"
name: Bulk import
trigger: { type: webhook, path: bulk }
steps:
  - id: count
    action: set
    with: { value: { first: "{{trigger.body.records.0.id}}" } }
"#,
        )
        .await;
    let body = big_json(10 * 1024 * 1024 - 1024);
    let before = peak_rss(server.pid());
    let calls = (0..8).map(|_| {
        send(
            server
                .hook(Method::POST, "bulk")
                .header("content-type", "application/json")
                .body(body.clone()),
        )
    });
    let replies = futures::future::join_all(calls).await;
    let mut accepted = Vec::new();
    for r in &replies {
        match r.status {
            202 => accepted.push(r.json()["execution_id"].as_str().unwrap().to_string()),
            503 => assert!(
                r.header("retry-after").is_some(),
                "503 without Retry-After: {r}"
            ),
            _ => panic!("neither accepted nor busy: {r}"),
        }
    }
    assert!(!accepted.is_empty(), "no post was accepted");
    // The default budget (16 MiB) admits one 10 MiB body at a time.
    assert!(
        accepted.len() < 8,
        "the intake budget admitted every post at once"
    );
    for id in &accepted {
        assert_eq!(server.wait_finished(id).await["status"], "succeeded");
    }
    assert_eq!(server.count_executions(&workflow_id).await, accepted.len());
    let peak = peak_rss(server.pid());
    println!(
        "8 × 10 MiB parallel posts: {} accepted, {} busy; peak RSS {} MB (before {} MB)",
        accepted.len(),
        8 - accepted.len(),
        peak / 1_000_000,
        before / 1_000_000
    );
    // The figures are recorded in docs/benchmarks.md ("Webhook intake memory"): one parsed copy
    // of the body, its text written once, the event handed to the worker without a copy.
    assert!(
        peak < 300_000_000,
        "peak RSS {} MB: over the 300 MB target",
        peak / 1_000_000
    );
}

async fn hook_answers_are_sandboxed_and_editor_pages_have_a_strict_policy(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Page
trigger: { type: webhook, path: page, respond: sync, methods: [GET] }
steps:
  - id: reply
    action: respond
    with:
      headers: { content-type: text/html }
      body: "<script>fetch('/api/v1/workflows')</script>"
"#,
        )
        .await;
    let reply = send(server.hook(Method::GET, "page")).await;
    reply.expect_status(200);
    assert_eq!(reply.header("content-type"), Some("text/html"), "{reply}");
    assert_eq!(reply.header("content-security-policy"), Some("sandbox"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    // Refusals of hooks are sandboxed too.
    let missing = send(server.hook(Method::GET, "nothing")).await;
    assert_eq!(missing.header("content-security-policy"), Some("sandbox"));

    for path in ["/", "/api/v1/workflows", "/healthz"] {
        let r = send(server.get(path)).await;
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp:?}"
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
}

async fn a_read_scoped_key_reads_but_changes_and_runs_nothing(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server
        .deploy(
            r#"
name: Watched
trigger: { type: webhook, path: watched }
steps:
  - id: a
    action: set
    with: { value: 1 }
"#,
        )
        .await;
    let created = d
        .cli(["api-key", "create", "viewer", "--scope", "read"])
        .output()
        .await;
    created.success();
    let reader = created.stdout.trim().to_string();
    let as_reader = |method: Method, path: &str| {
        server
            .http
            .request(method, format!("{}{path}", server.url))
            .bearer_auth(&reader)
    };
    send(as_reader(Method::GET, "/api/v1/workflows"))
        .await
        .expect_status(200);
    send(as_reader(Method::GET, &format!("/api/v1/workflows/{id}")))
        .await
        .expect_status(200);
    for (method, path) in [
        (Method::POST, "/api/v1/workflows".to_string()),
        (Method::PUT, format!("/api/v1/workflows/{id}")),
        (Method::DELETE, format!("/api/v1/workflows/{id}")),
        (Method::POST, format!("/api/v1/workflows/{id}/run")),
        (Method::POST, format!("/api/v1/workflows/{id}/deactivate")),
        (Method::POST, format!("/api/v1/workflows/{id}/test-run")),
        (Method::PUT, format!("/api/v1/workflows/{id}/pins")),
    ] {
        let r = send(
            as_reader(method.clone(), &path)
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
        r.expect_error(403, "forbidden");
    }
    assert_eq!(server.count_executions(&id).await, 0);
    // Checking a document and minting a stream token change nothing.
    let r = send(
        as_reader(Method::POST, "/api/v1/workflows/validate")
            .header("content-type", "application/yaml")
            .body("name: x\ntrigger: {type: manual}\nsteps: []\n"),
    )
    .await;
    assert_ne!(r.status, 403, "{r}");
    send(as_reader(Method::POST, "/api/v1/stream-tokens"))
        .await
        .expect_status(200);
    // Nor does previewing templates (the editor's previews with a read-only key).
    send(
        as_reader(Method::POST, "/api/v1/templates/render")
            .header("content-type", "application/json")
            .body(r#"{"value": "{{trigger.body.x}}", "trigger": {"body": {"x": 1}}}"#),
    )
    .await
    .expect_status(200);
    // The admin key still changes things.
    send(server.post(&format!("/api/v1/workflows/{id}/deactivate")))
        .await
        .expect_status(200);
}

/// The `weft_session=…` pair of a `Set-Cookie` answer.
fn session_cookie(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_string()
}

async fn the_editor_session_is_an_http_only_cookie_whose_changes_need_the_csrf_token(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    send(
        server
            .http
            .post(format!("{}/api/v1/session", server.url))
            .json(&json!({ "api_key": "wrong-key-0123456789" })),
    )
    .await
    .expect_error(401, "unauthorized");
    let signed_in = send(
        server
            .http
            .post(format!("{}/api/v1/session", server.url))
            .json(&json!({ "api_key": server.key })),
    )
    .await;
    signed_in.expect_status(200);
    let set_cookie = signed_in
        .header("set-cookie")
        .expect("a cookie")
        .to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains(&server.key),
        "the cookie is the key itself"
    );
    let body = signed_in.json();
    assert_eq!(body["scope"], "admin");
    let csrf = body["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_string();
    let cookie = session_cookie(&set_cookie);
    let with_cookie = |method: Method, path: &str| {
        server
            .http
            .request(method, format!("{}{path}", server.url))
            .header("cookie", &cookie)
    };
    send(with_cookie(Method::GET, "/api/v1/workflows"))
        .await
        .expect_status(200);
    let again = send(with_cookie(Method::GET, "/api/v1/session")).await;
    assert_eq!(again.json()["csrf_token"], csrf.as_str());
    let yaml = "name: Cookie\ntrigger: {type: manual}\nsteps:\n  - id: a\n    action: set\n    with: {value: 1}\n";
    let create = |csrf: Option<&str>| {
        let mut r = with_cookie(Method::POST, "/api/v1/workflows")
            .header("content-type", "application/yaml")
            .body(yaml);
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        send(r)
    };
    create(None).await.expect_error(403, "forbidden");
    create(Some("not-the-token"))
        .await
        .expect_error(403, "forbidden");
    create(Some(&csrf)).await.expect_status(201);
    // Signing out ends the session.
    send(with_cookie(Method::DELETE, "/api/v1/session").header("x-csrf-token", &csrf))
        .await
        .expect_status(204);
    send(with_cookie(Method::GET, "/api/v1/workflows"))
        .await
        .expect_error(401, "unauthorized");
}

async fn secret_headers_never_reach_the_execution_record(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_REDACT_HEADERS", "X-Partner-Secret");
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Open hook
trigger: { type: webhook, path: open }
steps:
  - id: a
    action: set
    with: { value: 1 }
"#,
        )
        .await;
    let reply = send(
        server
            .hook(Method::POST, "open")
            .header("authorization", "Bearer caller-token-0123456789")
            .header("proxy-authorization", "Basic cHJveHk6c2VjcmV0")
            .header("cookie", "session=caller-cookie-0123")
            .header("x-api-key", "caller-api-key-0123456789")
            .header("stripe-signature", "t=1,v1=00")
            .header("x-partner-secret", "partner-secret-0123")
            .header("x-request-id", "kept-123")
            .json(&json!({})),
    )
    .await;
    reply.expect_status(202);
    let id = reply.json()["execution_id"].as_str().unwrap().to_string();
    let exec = server.wait_finished(&id).await;
    let headers = &exec["request"]["headers"];
    for name in [
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "stripe-signature",
        "x-partner-secret",
    ] {
        assert_eq!(headers[name], "[redacted]", "{name}: {headers:#}");
    }
    assert_eq!(headers["x-request-id"], "kept-123");
    let text = exec.to_string();
    for secret in [
        "caller-token-0123",
        "caller-cookie-0123",
        "caller-api-key-0123",
        "partner-secret-0123",
    ] {
        assert!(!text.contains(secret), "{secret} is stored: {text}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_dir_and_the_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    bounded(async {
        let d = Deployment::new(Backend::Sqlite).await;
        let server = d.start().await;
        server.deploy(TOKEN_HOOK_FREE).await;
        let data = d.dir().join("data");
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&data), 0o700, "the data dir");
        for name in ["weft.db", "weft.db-wal", "weft.db-shm"] {
            let p = data.join(name);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{name}");
            }
        }
        assert!(data.join("weft.db").exists());
    })
    .await;
}

const TOKEN_HOOK_FREE: &str = r#"
name: Plain
trigger: { type: manual }
steps:
  - id: a
    action: set
    with: { value: 1 }
"#;

on_both_backends!(
    route_method_and_header_auth_are_checked_before_the_body_is_read,
    a_client_that_sends_its_headers_slowly_is_cut_off,
    connections_beyond_the_cap_wait_until_one_closes,
    parallel_10_mib_posts_beyond_the_intake_budget_get_503_with_retry_after,
    hook_answers_are_sandboxed_and_editor_pages_have_a_strict_policy,
    a_read_scoped_key_reads_but_changes_and_runs_nothing,
    the_editor_session_is_an_http_only_cookie_whose_changes_need_the_csrf_token,
    secret_headers_never_reach_the_execution_record,
);

//! Webhook requests the server refuses (unknown path, wrong method, too large, malformed JSON,
//! unsupported content type), and the bodies it accepts reaching `trigger.body`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

/// Async, POST and PUT, one `set` step.
const ORDERS: &str = r#"
name: Orders
trigger:
  type: webhook
  path: orders
  methods: [POST, PUT]
steps:
  - id: note
    action: set
    with:
      value: { received: true }
"#;

async fn an_unknown_webhook_path_is_a_404_json_error(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server.deploy(ORDERS).await;
    for path in ["nope", "orders/extra", "order"] {
        let reply = server.call_hook(path, &json!({})).await;
        reply.expect_error(404, "not_found");
    }
    send(server.http.post(format!("{}/hooks-test/nope", server.url)))
        .await
        .expect_error(404, "not_found");
}

async fn a_method_the_trigger_does_not_allow_is_a_405_naming_the_allowed_ones(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server.deploy(ORDERS).await;
    for method in [Method::GET, Method::DELETE, Method::PATCH] {
        let reply = send(server.hook(method.clone(), "orders")).await;
        reply.expect_error(405, "method_not_allowed");
        assert_eq!(
            reply.header("allow"),
            Some("POST, PUT"),
            "{method}: {reply}"
        );
    }
    send(server.hook(Method::PUT, "orders").json(&json!({})))
        .await
        .expect_status(202);
    assert_eq!(server.count_executions(&id).await, 1);
}

/// A JSON object of exactly `len` bytes.
fn json_of_len(len: usize) -> Vec<u8> {
    let overhead = br#"{"pad":""}"#.len();
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(len - overhead)).into_bytes()
}

/// Sends `total` bytes of JSON as a chunked body over a raw connection (no `Content-Length`),
/// reading the answer while writing; returns the status and the whole answer.
async fn post_chunked(server: &Server, path: &str, total: usize) -> (u16, String) {
    let addr = server.url.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect to the server");
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /hooks/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let body = json_of_len(total);
    // The write half is kept open until the answer is read: the server treats a client that
    // closes its side as gone.
    let writer = tokio::spawn(async move {
        let sent = async {
            write.write_all(head.as_bytes()).await?;
            for chunk in body.chunks(4096) {
                write
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                write.write_all(chunk).await?;
                write.write_all(b"\r\n").await?;
                tokio::task::yield_now().await;
            }
            write.write_all(b"0\r\n\r\n").await?;
            write.flush().await
        }
        .await;
        (write, sent)
    });
    let mut answer = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 8192];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read_all)
        .await
        .expect("an answer to the chunked request");
    // The server may stop reading (and close) before the whole body was written.
    drop(writer.await);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status line in {answer:?}"));
    (status, answer)
}

async fn a_body_over_the_limit_is_413_whether_its_length_is_announced_or_streamed(
    backend: Backend,
) {
    let d = Deployment::new(backend)
        .await
        .env("WEFT_BODY_LIMIT", "64KiB");
    let server = d.start().await;
    let id = server.deploy(ORDERS).await;
    let limit = 64 * 1024;
    let post = |body: Vec<u8>| {
        send(
            server
                .hook(Method::POST, "orders")
                .header("content-type", "application/json")
                .body(body),
        )
    };

    post(json_of_len(limit)).await.expect_status(202);
    let reply = post(json_of_len(limit + 1)).await;
    reply.expect_error(413, "payload_too_large");

    let (status, answer) = post_chunked(&server, "orders", limit).await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = post_chunked(&server, "orders", 2 * limit).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");

    assert_eq!(
        server.count_executions(&id).await,
        2,
        "only the bodies within the limit started executions"
    );
}

async fn malformed_json_is_a_400_giving_the_position_of_the_error(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server.deploy(ORDERS).await;
    let reply = send(
        server
            .hook(Method::POST, "orders")
            .header("content-type", "application/json")
            .body("{\n  \"email\": \"a@b.c\",\n  \"n\": \n}"),
    )
    .await;
    let error = reply.expect_error(400, "malformed_body");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("line 4, column 1"), "{reply}");
    assert_eq!(server.count_executions(&id).await, 0);
}

async fn an_unsupported_content_type_is_a_415(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server.deploy(ORDERS).await;
    for content_type in [
        "multipart/form-data; boundary=xyz",
        "application/vnd.weird",
        "text/plain; charset=klingon",
    ] {
        let reply = send(
            server
                .hook(Method::POST, "orders")
                .header("content-type", content_type)
                .body("--xyz\r\n\r\nhello\r\n--xyz--\r\n"),
        )
        .await;
        let error = reply.expect_error(415, "unsupported_media_type");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains(content_type.split(';').next().unwrap()),
            "{reply}"
        );
    }
    assert_eq!(server.count_executions(&id).await, 0);
}

async fn form_text_binary_and_json_bodies_reach_the_trigger_body(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    server
        .deploy(
            r#"
name: Echo body
trigger:
  type: webhook
  path: echo
  respond: sync
steps:
  - id: reply
    action: respond
    with:
      body:
        body: "{{trigger.body}}"
        content_type: "{{trigger.headers.[content-type]}}"
"#,
        )
        .await;
    let server = &server;
    let echo = |content_type: &'static str, body: Vec<u8>| async move {
        let reply = send(
            server
                .hook(Method::POST, "echo")
                .header("content-type", content_type)
                .body(body),
        )
        .await;
        reply.expect_status(200);
        let v = reply.json();
        assert_eq!(v["content_type"], content_type, "{reply}");
        v["body"].clone()
    };

    assert_eq!(
        echo(
            "application/x-www-form-urlencoded",
            b"name=Ada+Lovelace&tag=a&tag=b%26c&empty=".to_vec()
        )
        .await,
        json!({ "name": "Ada Lovelace", "tag": ["a", "b&c"], "empty": "" })
    );
    assert_eq!(
        echo(
            "text/plain; charset=utf-8",
            "line one\nline two ✓".as_bytes().to_vec()
        )
        .await,
        json!("line one\nline two ✓")
    );
    assert_eq!(
        echo("application/octet-stream", vec![0, 1, 2, 254, 255]).await,
        json!({ "base64": "AAEC/v8=", "content_type": "application/octet-stream", "size": 5 })
    );
    let png = echo("image/png", b"\x89PNG\r\n\x1a\n".to_vec()).await;
    assert_eq!(png["base64"], "iVBORw0KGgo=");
    assert_eq!(png["size"], 8);
    let nested = json!({ "nested": { "a": [1, 2.5, null, true] }, "s": "\u{e9}" });
    assert_eq!(
        echo("application/json", serde_json::to_vec(&nested).unwrap()).await,
        nested
    );
    let vendor: Value = json!({ "kind": "event" });
    assert_eq!(
        echo(
            "application/vnd.api+json",
            serde_json::to_vec(&vendor).unwrap()
        )
        .await,
        vendor
    );
}

on_both_backends!(
    an_unknown_webhook_path_is_a_404_json_error,
    a_method_the_trigger_does_not_allow_is_a_405_naming_the_allowed_ones,
    a_body_over_the_limit_is_413_whether_its_length_is_announced_or_streamed,
    malformed_json_is_a_400_giving_the_position_of_the_error,
    an_unsupported_content_type_is_a_415,
    form_text_binary_and_json_bodies_reach_the_trigger_body,
);

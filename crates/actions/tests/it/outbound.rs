//! The outbound policy, redirects and bounds of the `http` action, against listeners on
//! loopback only.

use std::sync::atomic::Ordering;

use engine::redact::MASK;
use serde_json::json;

use crate::support::{Harness, listener};

#[tokio::test]
async fn loopback_is_refused_by_default_naming_the_rule_and_nothing_is_sent() {
    let (port, accepted) = listener(0).await;
    let api = Harness::start_with("").await;
    for url in [
        format!("http://127.0.0.1:{port}/seen"),
        format!("http://2130706433:{port}/seen"),
        format!("http://[::ffff:127.0.0.1]:{port}/seen"),
        format!("http://localhost:{port}/seen"),
    ] {
        let err = api.run(json!({"url": url})).await.unwrap_err();
        assert!(!err.retryable, "{err:?}");
        assert!(err.message.contains("refused"), "{url}: {}", err.message);
        assert!(
            err.message.contains("loopback address") && err.message.contains("WEFT_OUTBOUND_ALLOW"),
            "{url}: {}",
            err.message
        );
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the listener was reached"
    );
}

#[tokio::test]
async fn an_allowed_port_works_and_other_spellings_and_ports_stay_refused() {
    let (port, accepted) = listener(0).await;
    let (other, other_accepted) = listener(0).await;
    let api = Harness::start_with(&format!("127.0.0.1:{port}")).await;
    let out = api
        .run(json!({"url": format!("http://127.0.0.1:{port}/seen")}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 200);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    for url in [
        format!("http://127.0.0.1:{other}/seen"),
        format!("http://localhost:{port}/seen"),
        format!("http://0x7f.0.0.1:{other}/seen"),
    ] {
        let err = api.run(json!({"url": url})).await.unwrap_err();
        assert!(err.message.contains("refused"), "{url}: {}", err.message);
    }
    assert_eq!(other_accepted.load(Ordering::SeqCst), 0);

    let api = Harness::start_with(&format!("localhost:{port}")).await;
    let out = api
        .run(json!({"url": format!("http://localhost:{port}/seen")}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 200);
}

#[tokio::test]
async fn a_redirect_to_a_refused_address_is_refused_at_the_hop() {
    let (port, _) = listener(0).await;
    let (denied, denied_accepted) = listener(0).await;
    let api = Harness::start_with(&format!("127.0.0.1:{port}")).await;
    let target = format!("http://127.0.0.1:{denied}/seen");
    let err = api
        .run(json!({"url": format!("http://127.0.0.1:{port}/to"), "query": {"u": target}}))
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains(&format!("outbound call to 127.0.0.1:{denied} refused")),
        "{}",
        err.message
    );
    assert_eq!(denied_accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn credentials_are_not_sent_to_another_origin_after_a_redirect() {
    let (first, _) = listener(0).await;
    let (second, _) = listener(0).await;
    let api = Harness::start_with(&format!("127.0.0.1:{first},127.0.0.1:{second}")).await;
    for credential in ["crm-bearer", "api-header", "api-custom-header", "api-query"] {
        let target = format!("http://127.0.0.1:{second}/seen");
        let out = api
            .run(json!({
                "url": format!("http://127.0.0.1:{first}/to"),
                "query": {"u": target},
                "headers": {"Cookie": "session=1", "X-Kept": "yes"},
                "credential": credential,
            }))
            .await
            .unwrap();
        let seen = &out.value["body"];
        let text = seen.to_string();
        assert!(
            !text.contains(crate::support::API_KEY),
            "{credential}: {text}"
        );
        assert!(!text.contains("t0ken"), "{credential}: {text}");
        // The output is masked: a credential that arrived would show as the mask.
        assert!(!text.contains(MASK), "{credential}: {text}");
        assert!(seen["headers"].get("cookie").is_none(), "{text}");
        assert!(seen["headers"].get("authorization").is_none(), "{text}");
        assert_eq!(seen["headers"]["x-kept"], "yes");
    }
    // On the same origin they are kept.
    let target = format!("http://127.0.0.1:{first}/seen");
    let out = api
        .run(json!({
            "url": format!("http://127.0.0.1:{first}/to"),
            "query": {"u": target},
            "credential": "crm-bearer",
        }))
        .await
        .unwrap();
    // The token arrived (the listener echoed it, and the output masks it).
    assert_eq!(
        out.value["body"]["headers"]["authorization"],
        format!("Bearer {MASK}")
    );
}

#[tokio::test]
async fn a_body_over_max_response_size_fails_the_step() {
    let (port, _) = listener(11 * 1024 * 1024).await;
    let api = Harness::start_with(&format!("127.0.0.1:{port}")).await;
    let url = format!("http://127.0.0.1:{port}/big");
    let err = api.run(json!({"url": url})).await.unwrap_err();
    assert!(
        err.message
            .contains("response body exceeds 10 MiB (max_response_size)"),
        "{}",
        err.message
    );
    assert!(!err.retryable);
    let err = api
        .run(json!({"url": url, "max_response_size": "64KiB"}))
        .await
        .unwrap_err();
    assert!(err.message.contains("exceeds 64 KiB"), "{}", err.message);
    let out = api
        .run(json!({"url": url, "max_response_size": "20MiB"}))
        .await
        .unwrap();
    assert_eq!(out.value["body"].as_str().unwrap().len(), 11 * 1024 * 1024);
}

#[tokio::test]
async fn a_dot_segment_rendered_into_the_path_cannot_climb() {
    let (port, _) = listener(0).await;
    let api = Harness::start_with(&format!("127.0.0.1:{port}")).await;
    // What `{{url_encode trigger.body.id}}` renders for `..`: `%2E%2E`.
    for id in ["%2E%2E", "..", ".%2e", "%2e."] {
        let url = format!("http://127.0.0.1:{port}/api/users/{id}/profile");
        let err = api.run_rendered(json!({"url": url})).await.unwrap_err();
        assert!(
            err.message.contains("url") && err.message.contains("segment"),
            "{id}: {}",
            err.message
        );
    }
}

#[tokio::test]
async fn cr_lf_in_a_header_value_is_refused_naming_the_header() {
    let (port, accepted) = listener(0).await;
    let api = Harness::start_with(&format!("127.0.0.1:{port}")).await;
    let err = api
        .run_rendered(json!({
            "url": format!("http://127.0.0.1:{port}/seen"),
            "headers": {"X-Name": "a\r\nX-Injected: 1"},
        }))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("with.headers.X-Name"),
        "{}",
        err.message
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
}

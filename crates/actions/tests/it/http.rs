//! The `http` action against a real server on loopback.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{API_KEY, Harness, closed_port_url};

#[tokio::test]
async fn json_is_sent_as_json_and_a_json_answer_is_parsed() {
    let api = Harness::start().await;
    let out = api
        .run(json!({"method": "POST", "url": api.url("/echo"), "json": {"email": "a@b.c", "n": 1}}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 200);
    let received = &out.value["body"];
    assert_eq!(received["method"], "POST");
    assert_eq!(received["headers"]["content-type"], "application/json");
    let sent: serde_json::Value = serde_json::from_str(received["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent, json!({"email": "a@b.c", "n": 1}));
}

#[tokio::test]
async fn a_content_type_set_in_headers_is_kept_for_json() {
    let api = Harness::start().await;
    let received = api
        .echo(json!({"method": "PUT", "headers": {"Content-Type": "application/vnd.api+json"}, "json": {}}))
        .await;
    assert_eq!(
        received["headers"]["content-type"],
        "application/vnd.api+json"
    );
}

#[tokio::test]
async fn a_form_is_sent_urlencoded() {
    let api = Harness::start().await;
    let received = api
        .echo(json!({"method": "POST", "form": {"name": "Ada Lovelace", "tag": ["a", "b"], "n": 2, "skip": null}}))
        .await;
    assert_eq!(
        received["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(received["body"], "name=Ada+Lovelace&tag=a&tag=b&n=2");
}

#[tokio::test]
async fn a_raw_body_is_sent_as_written_without_an_invented_content_type() {
    let api = Harness::start().await;
    let received = api.echo(json!({"method": "POST", "body": "<ping/>"})).await;
    assert_eq!(received["body"], "<ping/>");
    assert!(
        received["headers"].get("content-type").is_none(),
        "{received}"
    );

    let received = api
        .echo(json!({"method": "POST", "body": "<ping/>", "headers": {"Content-Type": "application/xml"}}))
        .await;
    assert_eq!(received["headers"]["content-type"], "application/xml");
}

#[tokio::test]
async fn query_parameters_are_appended_to_those_in_the_url() {
    let api = Harness::start().await;
    let out = api
        .run(json!({
            "url": api.url("/echo?a=1"),
            "query": {"b": 2, "tag": ["x", "y"], "q": "a b&c", "gone": null},
        }))
        .await
        .unwrap();
    assert_eq!(out.value["body"]["query"], "a=1&b=2&tag=x&tag=y&q=a+b%26c");
}

#[tokio::test]
async fn headers_are_sent_and_the_user_agent_names_weft() {
    let api = Harness::start().await;
    let received = api
        .echo(json!({"headers": {"X-Trace": "abc", "X-Many": ["1", "2"], "X-Gone": null, "X-Num": 7}}))
        .await;
    let headers = &received["headers"];
    assert_eq!(headers["x-trace"], "abc");
    assert_eq!(headers["x-many"], "1, 2");
    assert_eq!(headers["x-num"], "7");
    assert!(headers.get("x-gone").is_none());
    assert_eq!(
        headers["user-agent"],
        format!("weft/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn response_headers_are_lower_case_with_repeated_values_joined() {
    let api = Harness::start().await;
    let out = api.run(json!({"url": api.url("/echo")})).await.unwrap();
    assert_eq!(out.value["headers"]["x-multi"], "a, b");
    assert_eq!(out.value["headers"]["content-type"], "application/json");
}

#[tokio::test]
async fn a_text_answer_is_returned_as_text_and_an_empty_one_as_null() {
    let api = Harness::start().await;
    let out = api.run(json!({"url": api.url("/text")})).await.unwrap();
    assert_eq!(out.value["body"], "hello, weft");
    let out = api
        .run(json!({"method": "DELETE", "url": api.url("/empty")}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 204);
    assert_eq!(out.value["body"], json!(null));
}

#[tokio::test]
async fn redirects_are_followed() {
    let api = Harness::start().await;
    let out = api.run(json!({"url": api.url("/redirect")})).await.unwrap();
    assert_eq!(out.value["status"], 200);
    assert_eq!(out.value["body"]["query"], "redirected=1");
}

#[tokio::test]
async fn a_bearer_credential_becomes_an_authorization_header() {
    let api = Harness::start().await;
    let received = api.echo(json!({"credential": "crm-bearer"})).await;
    assert_eq!(api.echoed()["headers"]["authorization"], "Bearer t0ken");
    // The echoed token is masked in the output.
    assert_eq!(received["headers"]["authorization"], "Bearer ***");
}

#[tokio::test]
async fn a_basic_credential_is_sent_base64_encoded() {
    let api = Harness::start().await;
    let received = api
        .echo(json!({"credential": "crm-basic", "headers": {"Authorization": "overridden"}}))
        .await;
    // base64("alice:s3cret")
    assert_eq!(
        api.echoed()["headers"]["authorization"],
        "Basic YWxpY2U6czNjcmV0"
    );
    assert_eq!(received["headers"]["authorization"], "Basic ***");
}

#[tokio::test]
async fn an_api_key_goes_in_x_api_key_unless_the_credential_names_a_header_or_a_query_parameter() {
    let api = Harness::start().await;
    api.echo(json!({"credential": "api-header"})).await;
    assert_eq!(api.echoed()["headers"]["x-api-key"], API_KEY);

    api.echo(json!({"credential": "api-custom-header"})).await;
    assert_eq!(api.echoed()["headers"]["x-token"], API_KEY);
    assert!(api.echoed()["headers"].get("x-api-key").is_none());

    let received = api
        .echo(json!({"credential": "api-query", "query": {"page": 1}}))
        .await;
    assert_eq!(api.echoed()["query"], format!("page=1&api_key={API_KEY}"));
    assert_eq!(received["query"], "page=1&api_key=***");
    assert!(api.echoed()["headers"].get("x-api-key").is_none());
}

#[tokio::test]
async fn an_api_key_in_the_query_does_not_leak_into_errors_or_the_output() {
    let api = Harness::start().await;
    let err = api
        .run(json!({"url": api.url("/status/404"), "credential": "api-query"}))
        .await
        .unwrap_err();
    assert!(!err.message.contains(API_KEY), "{}", err.message);
    assert!(!err.details.unwrap().to_string().contains(API_KEY));

    let err = api
        .run(json!({"url": closed_port_url("/x"), "credential": "api-query"}))
        .await
        .unwrap_err();
    assert!(!err.message.contains(API_KEY), "{}", err.message);
}

#[tokio::test]
async fn a_secret_credential_cannot_be_used_for_http_auth() {
    let api = Harness::start().await;
    let err = api
        .run(json!({"url": api.url("/echo"), "credential": "signing"}))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("cannot be used for http auth"),
        "{}",
        err.message
    );
    assert!(!err.retryable);
}

#[tokio::test]
async fn a_missing_credential_is_a_permanent_error() {
    let api = Harness::start().await;
    let err = api
        .run(json!({"url": api.url("/echo"), "credential": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.message, "credential `nope` does not exist");
    assert!(!err.retryable);
}

#[tokio::test]
async fn a_post_carries_an_idempotency_key_that_is_the_same_on_every_attempt() {
    let api = Harness::start().await;
    let config = json!({"method": "POST", "url": api.url("/echo"), "json": {}});
    let first = api.run_with(config.clone(), 1, None).await.unwrap();
    let second = api.run_with(config, 2, None).await.unwrap();
    let key = &first.value["body"]["headers"]["idempotency-key"];
    assert_eq!(key, &json!(format!("{}:call", api.execution_id)));
    assert_eq!(&second.value["body"]["headers"]["idempotency-key"], key);
}

#[tokio::test]
async fn a_get_carries_no_idempotency_key_and_one_set_by_the_user_wins() {
    let api = Harness::start().await;
    let received = api.echo(json!({})).await;
    assert!(received["headers"].get("idempotency-key").is_none());

    let received = api
        .echo(json!({"method": "PATCH", "headers": {"Idempotency-Key": "mine"}}))
        .await;
    assert_eq!(received["headers"]["idempotency-key"], "mine");
}

#[tokio::test]
async fn a_non_2xx_answer_is_an_error_naming_method_url_and_status_with_the_output_as_details() {
    let api = Harness::start().await;
    let url = api.url("/status/404");
    let err = api
        .run(json!({"method": "POST", "url": url, "json": {}}))
        .await
        .unwrap_err();
    assert_eq!(err.message, format!("POST {url} answered 404 Not Found"));
    assert!(!err.retryable);
    assert_eq!(err.retry_after, None);
    let details = err.details.unwrap();
    assert_eq!(details["status"], 404);
    assert_eq!(details["body"], json!({"title": "Not Found"}));
    assert_eq!(
        details["headers"]["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn accept_status_turns_a_listed_status_into_a_success() {
    let api = Harness::start().await;
    let out = api
        .run(json!({"url": api.url("/status/404"), "accept_status": [409, "404"]}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 404);
    assert_eq!(out.value["body"]["title"], "Not Found");
}

#[tokio::test]
async fn overload_and_gateway_errors_are_retryable_and_client_errors_are_not() {
    let api = Harness::start().await;
    for code in [408, 425, 429, 500, 502, 503, 504] {
        let err = api
            .run(json!({"url": api.url(&format!("/status/{code}"))}))
            .await
            .unwrap_err();
        assert!(err.retryable, "{code} should be retryable");
    }
    for code in [400, 401, 403, 409, 422, 501] {
        let err = api
            .run(json!({"url": api.url(&format!("/status/{code}"))}))
            .await
            .unwrap_err();
        assert!(!err.retryable, "{code} should not be retryable");
    }
}

#[tokio::test]
async fn retry_after_is_taken_from_429_and_503_answers() {
    let api = Harness::start().await;
    let err = api
        .run(json!({"url": api.url("/status/429?retry_after=7")}))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
    let err = api
        .run(json!({"url": api.url("/status/503?retry_after=2")}))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after, Some(Duration::from_secs(2)));
    let err = api
        .run(json!({"url": api.url("/status/500?retry_after=2")}))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after, None);
}

#[tokio::test]
async fn a_slow_answer_times_out_with_a_retryable_error() {
    let api = Harness::start().await;
    let url = api.url("/slow");
    let started = Instant::now();
    let err = api
        .run(json!({"url": url, "timeout": "100ms"}))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(err.retryable);
    assert_eq!(
        err.message,
        format!("GET {url} failed: timed out after 100ms")
    );
}

#[tokio::test]
async fn without_its_own_timeout_a_call_uses_the_step_timeout() {
    let api = Harness::start().await;
    let started = Instant::now();
    let err = api
        .run_with(
            json!({"url": api.url("/slow")}),
            1,
            Some(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        err.message.ends_with("timed out after 100ms"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_says_so() {
    let api = Harness::start().await;
    let url = closed_port_url("/users");
    let err = api
        .run(json!({"method": "POST", "url": url, "json": {}}))
        .await
        .unwrap_err();
    assert!(err.retryable);
    assert_eq!(
        err.message,
        format!("POST {url} failed: could not connect: connection refused")
    );
}

#[tokio::test]
async fn a_rendered_config_with_a_wrong_value_fails_permanently() {
    let api = Harness::start().await;
    let err = api
        .run_rendered(json!({"url": "not a url"}))
        .await
        .unwrap_err();
    assert!(!err.retryable);
    assert!(
        err.message.starts_with("invalid `with.url`"),
        "{}",
        err.message
    );

    let err = api
        .run_rendered(json!({"url": api.url("/echo"), "timeout": "soon"}))
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("invalid `with.timeout`"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn numbers_rendered_as_text_are_read_as_numbers() {
    let api = Harness::start().await;
    let out = api
        .run_rendered(json!({"url": api.url("/status/409"), "accept_status": ["409"]}))
        .await
        .unwrap();
    assert_eq!(out.value["status"], 409);
}

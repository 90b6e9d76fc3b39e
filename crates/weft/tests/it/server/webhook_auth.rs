//! Webhook authentication against a real server: for each HMAC preset the whole matrix (valid,
//! one valid signature among several, a body changed by one byte, a wrong secret, timestamps
//! ±299 s and ±301 s, missing headers, empty and truncated signatures, replays), header-token
//! and basic auth, and saving a trigger whose secret is too weak.
//!
//! Every refusal is the same bare 401: nothing in it tells a caller what was wrong.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine::model::HmacPreset;
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Backend, Deployment, Reply, Server, on_both_backends, send};

/// `whsec_` + base64 of 32 bytes (Standard Webhooks decodes it).
const SW_SECRET: &str = "whsec_d2VmdC10ZXN0LXN0YW5kYXJkLXdlYmhvb2tzLWtleSE=";
const SW_OTHER: &str = "whsec_YW5vdGhlci1zdGFuZGFyZC13ZWJob29rcy1rZXkhISE=";
/// Stripe signs with the whole `whsec_…` string.
const STRIPE_SECRET: &str = "whsec_stripe_test_secret_0123456789";
const STRIPE_OTHER: &str = "whsec_stripe_test_secret_0123456780";
const GITHUB_SECRET: &str = "github-webhook-secret-0123456789";
const GITHUB_OTHER: &str = "github-webhook-secret-0123456780";
const GENERIC_SECRET: &str = "generic-webhook-secret-0123456789";
const GENERIC_OTHER: &str = "generic-webhook-secret-012345678";
const HOOK_TOKEN: &str = "hook-token-0123456789abcdef";
const BASIC_USER: &str = "zapier";
const BASIC_PASSWORD: &str = "basic-password-0123";

fn credentials() -> String {
    format!(
        "sw-secret: {{type: secret, value: \"{SW_SECRET}\"}}\n\
         stripe-secret: {{type: secret, value: \"{STRIPE_SECRET}\"}}\n\
         github-secret: {{type: secret, value: \"{GITHUB_SECRET}\"}}\n\
         generic-secret: {{type: secret, value: \"{GENERIC_SECRET}\"}}\n\
         short-secret: {{type: secret, value: \"too-short-12\"}}\n\
         short-whsec: {{type: secret, value: \"whsec_dGVuLWJ5dGVzIQ==\"}}\n\
         short-token: {{type: bearer, token: \"short-token\"}}\n\
         hook-token: {{type: bearer, token: \"{HOOK_TOKEN}\"}}\n\
         hook-basic: {{type: basic, username: \"{BASIC_USER}\", password: \"{BASIC_PASSWORD}\"}}\n"
    )
}

async fn deployment(backend: Backend) -> Deployment {
    Deployment::new(backend).await.credentials(&credentials())
}

/// An async webhook at `path` with this `auth:` (YAML flow mapping) and one `set` step.
fn workflow(path: &str, auth: &str) -> String {
    format!(
        r#"
name: Signed {path}
trigger:
  type: webhook
  path: {path}
  auth: {auth}
steps:
  - id: note
    action: set
    with:
      value:
        got: "{{{{trigger.body}}}}"
"#
    )
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
}

/// POST `/hooks/{path}` with these headers and the raw body (JSON).
async fn post(server: &Server, path: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
    let mut request = server
        .hook(Method::POST, path)
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    send(request).await
}

/// Asserts the bare 401 every refused webhook gets.
#[track_caller]
fn refused(reply: &Reply, case: &str) {
    assert_eq!(reply.status, 401, "{case}: expected 401\n{reply}");
    assert_eq!(
        reply.json(),
        json!({ "error": {
            "code": "unauthorized",
            "message": "missing or invalid credentials",
            "details": null,
        } }),
        "{case}: the 401 must not say what was wrong"
    );
}

/// Asserts a 202 and returns `(execution id, duplicate)`.
#[track_caller]
fn accepted(reply: &Reply, case: &str) -> (String, bool) {
    assert_eq!(reply.status, 202, "{case}: expected 202\n{reply}");
    let v = reply.json();
    (
        v["execution_id"].as_str().expect("an execution id").into(),
        v["duplicate"].as_bool().expect("duplicate"),
    )
}

/// `triggers::sign`'s headers as owned pairs.
fn sign(preset: HmacPreset, secret: &str, id: &str, ts: i64, body: &[u8]) -> Vec<(String, String)> {
    triggers::sign(preset, secret, id, ts, body)
        .expect("sign")
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The value of header `name` in `headers`.
fn value<'h>(headers: &'h [(String, String)], name: &str) -> &'h str {
    &headers.iter().find(|(k, _)| k == name).expect(name).1
}

/// `headers` with `name` set to `v` (or removed when `v` is `None`).
fn with(headers: &[(String, String)], name: &str, v: Option<String>) -> Vec<(String, String)> {
    let mut out: Vec<_> = headers.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(v) = v {
        out.push((name.to_string(), v));
    }
    out
}

/// Sends a request signed for `now + skew` seconds: `make(timestamp)` builds it. A try during
/// which the clock's second turned is repeated: the server may then have judged the timestamp
/// against another second than the one it was signed for.
async fn signed_at_skew(
    server: &Server,
    path: &str,
    skew: i64,
    make: impl Fn(i64) -> (Vec<(String, String)>, Vec<u8>),
) -> Reply {
    for _ in 0..20 {
        let before = unix_now();
        if before.subsec_millis() > 600 {
            let rest = 1000 - u64::from(before.subsec_millis()) + 5;
            tokio::time::sleep(Duration::from_millis(rest)).await;
            continue;
        }
        let now = before.as_secs() as i64;
        let (headers, body) = make(now + skew);
        let reply = post(server, path, &headers, &body).await;
        if unix_now().as_secs() as i64 == now {
            return reply;
        }
    }
    panic!("no request of 20 finished within the second it was signed in");
}

const BODY: &[u8] = br#"{"event":"order.paid","amount":1250}"#;

/// The body with one byte changed (`1250` → `1251`).
fn tampered() -> Vec<u8> {
    let mut b = BODY.to_vec();
    let i = b.len() - 2;
    b[i] = b'1';
    assert_ne!(b, BODY);
    b
}

/// Checks that the matrix cases a preset shares (valid, tampered body, wrong secret, missing
/// header, empty and truncated signatures) behave; returns the execution of the valid
/// request. `header`: the preset's signature header; `truncate` cuts a valid header value.
#[allow(clippy::too_many_arguments)]
async fn common_cases(
    server: &Server,
    path: &str,
    preset: HmacPreset,
    secret: &str,
    other: &str,
    header: &str,
    empty: &str,
    truncate: impl Fn(&str) -> Vec<String>,
) -> (Vec<(String, String)>, String) {
    let now = unix_now().as_secs() as i64;
    let valid = sign(preset, secret, "msg_valid", now, BODY);
    let (id, duplicate) = accepted(&post(server, path, &valid, BODY).await, "valid");
    assert!(!duplicate);

    refused(
        &post(server, path, &valid, &tampered()).await,
        "a body changed by one byte",
    );
    let wrong = sign(preset, other, "msg_valid", now, BODY);
    refused(&post(server, path, &wrong, BODY).await, "a wrong secret");
    refused(
        &post(server, path, &with(&valid, header, None), BODY).await,
        "no signature header",
    );
    refused(
        &post(
            server,
            path,
            &with(&valid, header, Some(empty.to_string())),
            BODY,
        )
        .await,
        &format!("the empty signature `{empty}`"),
    );
    for cut in truncate(value(&valid, header)) {
        refused(
            &post(server, path, &with(&valid, header, Some(cut.clone())), BODY).await,
            &format!("the truncated signature `{cut}`"),
        );
    }
    (valid, id)
}

async fn standard_webhooks_signatures_are_checked_by_the_whole_matrix(backend: Backend) {
    let d = deployment(backend).await;
    let server = d.start().await;
    let path = "sw";
    let workflow_id = server
        .deploy(&workflow(
            path,
            "{type: hmac, preset: standard-webhooks, credential: sw-secret}",
        ))
        .await;
    let preset = HmacPreset::StandardWebhooks;
    let (valid, first) = common_cases(
        &server,
        path,
        preset,
        SW_SECRET,
        SW_OTHER,
        "webhook-signature",
        "v1,",
        |v| vec![v[..v.len() - 4].to_string(), v[..10].to_string()],
    )
    .await;

    // Several signatures (key rotation), one valid.
    let now = unix_now().as_secs() as i64;
    let good = sign(preset, SW_SECRET, "msg_several", now, BODY);
    let bad = sign(preset, SW_OTHER, "msg_several", now, BODY);
    let list = format!(
        "v1,AAAA {} v2,xyz {}",
        value(&bad, "webhook-signature"),
        value(&good, "webhook-signature")
    );
    let reply = post(
        &server,
        path,
        &with(&good, "webhook-signature", Some(list)),
        BODY,
    )
    .await;
    accepted(&reply, "one valid signature among several");
    let only_bad = format!(
        "v1, {} v1,{}",
        value(&bad, "webhook-signature"),
        &value(&good, "webhook-signature")[3..20]
    );
    refused(
        &post(
            &server,
            path,
            &with(&good, "webhook-signature", Some(only_bad)),
            BODY,
        )
        .await,
        "several signatures, none valid",
    );

    // Each of the three headers is needed.
    for missing in ["webhook-id", "webhook-timestamp"] {
        refused(
            &post(&server, path, &with(&valid, missing, None), BODY).await,
            &format!("no {missing}"),
        );
    }

    // The signed timestamp may be at most 300 s away, either way.
    for skew in [-299, 299] {
        let reply = signed_at_skew(&server, path, skew, |ts| {
            (
                sign(preset, SW_SECRET, &format!("msg_skew_{ts}"), ts, BODY),
                BODY.to_vec(),
            )
        })
        .await;
        accepted(&reply, &format!("a timestamp {skew} s away"));
    }
    for skew in [-301, 301] {
        let reply = signed_at_skew(&server, path, skew, |ts| {
            (
                sign(preset, SW_SECRET, &format!("msg_skew_{ts}"), ts, BODY),
                BODY.to_vec(),
            )
        })
        .await;
        refused(&reply, &format!("a timestamp {skew} s away"));
    }

    // A replayed message id starts nothing: the first execution is returned.
    let count = server.count_executions(&workflow_id).await;
    let (again, duplicate) = accepted(&post(&server, path, &valid, BODY).await, "a replay");
    assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
    let resigned = sign(preset, SW_SECRET, "msg_valid", now + 5, BODY);
    let (again, duplicate) = accepted(
        &post(&server, path, &resigned, BODY).await,
        "a replay signed again with a later timestamp",
    );
    assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
    // An unsigned header cannot make a replay new: the signed message id wins over any
    // `Idempotency-Key` the sender of the copy chose.
    for key in ["replay-1", "replay-2"] {
        let keyed = with(&valid, "idempotency-key", Some(key.to_string()));
        let (again, duplicate) = accepted(
            &post(&server, path, &keyed, BODY).await,
            "a replay with its own Idempotency-Key",
        );
        assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
    }
    assert_eq!(
        server.count_executions(&workflow_id).await,
        count,
        "replays started executions"
    );
}

async fn stripe_signatures_are_checked_by_the_whole_matrix(backend: Backend) {
    let d = deployment(backend).await;
    let server = d.start().await;
    let path = "stripe";
    let workflow_id = server
        .deploy(&workflow(
            path,
            "{type: hmac, preset: stripe, credential: stripe-secret}",
        ))
        .await;
    let preset = HmacPreset::Stripe;
    let (valid, first) = common_cases(
        &server,
        path,
        preset,
        STRIPE_SECRET,
        STRIPE_OTHER,
        "stripe-signature",
        "",
        |v| {
            let (t, sig) = v.split_once(",v1=").expect("t=…,v1=…");
            vec![
                format!("{t},v1="),
                format!("{t},v1={}", &sig[..sig.len() - 1]),
                format!("{t},v1={}", &sig[..sig.len() - 2]),
                t.to_string(),
            ]
        },
    )
    .await;

    // Several v1 signatures (key rotation), one valid; v0 entries are ignored.
    let now = unix_now().as_secs() as i64 + 1;
    let good = sign(preset, STRIPE_SECRET, "", now, BODY);
    let bad = sign(preset, STRIPE_OTHER, "", now, BODY);
    let bad_sig = value(&bad, "stripe-signature")
        .split_once(",v1=")
        .unwrap()
        .1;
    let good_sig = value(&good, "stripe-signature")
        .split_once(",v1=")
        .unwrap()
        .1;
    let list = format!("t={now},v1={bad_sig},v1={good_sig},v0={bad_sig}");
    accepted(
        &post(&server, path, &[("stripe-signature".into(), list)], BODY).await,
        "one valid v1 among several",
    );
    refused(
        &post(
            &server,
            path,
            &[(
                "stripe-signature".into(),
                format!("t={now},v1={bad_sig},v0={good_sig}"),
            )],
            BODY,
        )
        .await,
        "the valid signature only as v0",
    );

    for skew in [-299, 299] {
        let reply = signed_at_skew(&server, path, skew, |ts| {
            (sign(preset, STRIPE_SECRET, "", ts, BODY), BODY.to_vec())
        })
        .await;
        accepted(&reply, &format!("a timestamp {skew} s away"));
    }
    for skew in [-301, 301] {
        let reply = signed_at_skew(&server, path, skew, |ts| {
            (sign(preset, STRIPE_SECRET, "", ts, BODY), BODY.to_vec())
        })
        .await;
        refused(&reply, &format!("a timestamp {skew} s away"));
    }

    // A replay (even with an extra signature added) starts nothing.
    let count = server.count_executions(&workflow_id).await;
    let (again, duplicate) = accepted(&post(&server, path, &valid, BODY).await, "a replay");
    assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
    let padded = format!(
        "{},v1={}",
        value(&valid, "stripe-signature"),
        "1".repeat(64)
    );
    let (again, duplicate) = accepted(
        &post(&server, path, &[("stripe-signature".into(), padded)], BODY).await,
        "a replay with an extra signature",
    );
    assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
    // Stripe retries an event signed again with a new timestamp: the event id in the body
    // (`evt_…`) makes it the same delivery.
    let event = br#"{"id":"evt_1Retry","object":"event","type":"invoice.paid"}"#;
    let now = unix_now().as_secs() as i64;
    let (delivered, _) = accepted(
        &post(
            &server,
            path,
            &sign(preset, STRIPE_SECRET, "", now - 60, event),
            event,
        )
        .await,
        "a Stripe event",
    );
    let count = count + 1;
    let (retried, duplicate) = accepted(
        &post(
            &server,
            path,
            &sign(preset, STRIPE_SECRET, "", now, event),
            event,
        )
        .await,
        "Stripe's retry of the event, signed again",
    );
    assert_eq!((retried.as_str(), duplicate), (delivered.as_str(), true));
    assert_eq!(
        server.count_executions(&workflow_id).await,
        count,
        "replays started executions"
    );
}

/// The matrix for the presets without a timestamp or message id (GitHub, generic): no
/// timestamp cases; a signature header holds one signature, so a repeated header is refused
/// rather than guessed at; a replay cannot be told from a new message by the signature, but a
/// redelivery carrying the same `Idempotency-Key` starts nothing.
async fn untimed_matrix(backend: Backend, preset: HmacPreset) {
    let d = deployment(backend).await;
    let server = d.start().await;
    let (path, name, secret, other, header) = match preset {
        HmacPreset::Github => (
            "github",
            "github",
            GITHUB_SECRET,
            GITHUB_OTHER,
            "x-hub-signature-256",
        ),
        _ => (
            "generic",
            "generic",
            GENERIC_SECRET,
            GENERIC_OTHER,
            "x-signature",
        ),
    };
    let workflow_id = server
        .deploy(&workflow(
            path,
            &format!("{{type: hmac, preset: {name}, credential: {name}-secret}}"),
        ))
        .await;
    let (valid, _) = common_cases(
        &server,
        path,
        preset,
        secret,
        other,
        header,
        "sha256=",
        |v| {
            vec![
                v[..v.len() - 1].to_string(),
                v[..v.len() - 2].to_string(),
                "sha256=00".to_string(),
            ]
        },
    )
    .await;

    let bad = sign(preset, other, "", 0, BODY);
    let mut twice = valid.clone();
    twice.push((header.to_string(), value(&bad, header).to_string()));
    refused(
        &post(&server, path, &twice, BODY).await,
        "the signature header twice, one valid",
    );

    let mut keyed = valid.clone();
    keyed.push(("idempotency-key".into(), "delivery-1".into()));
    let (first, duplicate) = accepted(&post(&server, path, &keyed, BODY).await, "keyed");
    assert!(!duplicate);
    let count = server.count_executions(&workflow_id).await;
    let (again, duplicate) = accepted(
        &post(&server, path, &keyed, BODY).await,
        "a redelivery with the same key",
    );
    assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
    assert_eq!(server.count_executions(&workflow_id).await, count);

    if preset == HmacPreset::Github {
        // GitHub names each delivery: a redelivery of the same one starts nothing.
        let mut delivered = valid.clone();
        delivered.push(("x-github-delivery".into(), "72d3162e-cc78-11e3".into()));
        let (first, duplicate) =
            accepted(&post(&server, path, &delivered, BODY).await, "a delivery");
        assert!(!duplicate);
        let count = server.count_executions(&workflow_id).await;
        let (again, duplicate) = accepted(
            &post(&server, path, &delivered, BODY).await,
            "a redelivery of the same X-GitHub-Delivery",
        );
        assert_eq!((again.as_str(), duplicate), (first.as_str(), true));
        assert_eq!(server.count_executions(&workflow_id).await, count);
    }
}

async fn github_signatures_are_checked_by_the_whole_matrix(backend: Backend) {
    untimed_matrix(backend, HmacPreset::Github).await;
}

async fn generic_hmac_signatures_are_checked_by_the_whole_matrix(backend: Backend) {
    untimed_matrix(backend, HmacPreset::Generic).await;
}

async fn header_token_auth_accepts_the_token_only_and_keeps_it_out_of_the_record(backend: Backend) {
    let d = deployment(backend).await;
    let server = d.start().await;
    server
        .deploy(&workflow(
            "token",
            "{type: header, header: X-Hook-Token, credential: hook-token}",
        ))
        .await;
    server
        .deploy(&workflow(
            "bearer",
            "{type: header, credential: hook-token}",
        ))
        .await;
    let call = |path: &'static str, name: &'static str, value: Option<String>| {
        let headers: Vec<(String, String)> =
            value.map(|v| (name.to_string(), v)).into_iter().collect();
        let server = &server;
        async move { post(server, path, &headers, BODY).await }
    };

    let reply = call("token", "x-hook-token", Some(HOOK_TOKEN.into())).await;
    let (id, _) = accepted(&reply, "the token");
    let exec = server.wait_finished(&id).await;
    assert_eq!(exec["status"], "succeeded", "{exec:#}");
    assert_eq!(
        exec["request"]["headers"]["x-hook-token"], "[redacted]",
        "the token is stored: {exec:#}"
    );
    assert!(!exec.to_string().contains(HOOK_TOKEN), "{exec:#}");

    let cases = [
        ("no header", None),
        (
            "a wrong token",
            Some("hook-token-0123456789abcdeX".to_string()),
        ),
        ("a prefix of the token", Some(HOOK_TOKEN[..20].to_string())),
        ("the token and more", Some(format!("{HOOK_TOKEN}0"))),
        (
            "the token as a bearer",
            Some(format!("Bearer {HOOK_TOKEN}")),
        ),
    ];
    for (case, value) in cases {
        refused(&call("token", "x-hook-token", value).await, case);
    }
    refused(
        &call("token", "authorization", Some(HOOK_TOKEN.into())).await,
        "the token in another header",
    );

    // Without `header`, the token goes in `Authorization`, bare or as a bearer token.
    accepted(
        &call(
            "bearer",
            "authorization",
            Some(format!("Bearer {HOOK_TOKEN}")),
        )
        .await,
        "a bearer token",
    );
    accepted(
        &call("bearer", "authorization", Some(HOOK_TOKEN.into())).await,
        "the bare token",
    );
    refused(
        &call("bearer", "authorization", Some("Bearer nope".into())).await,
        "a wrong bearer token",
    );
}

async fn basic_auth_accepts_the_user_and_password_only(backend: Backend) {
    let d = deployment(backend).await;
    let server = d.start().await;
    server
        .deploy(&workflow("basic", "{type: basic, credential: hook-basic}"))
        .await;
    let call = |user: Option<&'static str>, password: &'static str| {
        let mut request = server
            .hook(Method::POST, "basic")
            .header("content-type", "application/json")
            .body(BODY);
        if let Some(user) = user {
            request = request.basic_auth(user, Some(password));
        }
        send(request)
    };

    let reply = call(Some(BASIC_USER), BASIC_PASSWORD).await;
    let (id, _) = accepted(&reply, "the right user and password");
    let exec = server.wait_finished(&id).await;
    assert_eq!(exec["request"]["headers"]["authorization"], "[redacted]");

    refused(
        &call(Some(BASIC_USER), "basic-password-0124").await,
        "a wrong password",
    );
    refused(&call(Some("zapier2"), BASIC_PASSWORD).await, "a wrong user");
    refused(&call(Some(BASIC_USER), "").await, "no password");
    refused(&call(None, "").await, "no authorization");
    for header in [
        "Basic !!!not-base64",
        "Basic ",
        "Bearer basic-password-0123",
    ] {
        let reply = send(
            server
                .hook(Method::POST, "basic")
                .header("authorization", header)
                .json(&json!({})),
        )
        .await;
        refused(&reply, header);
    }
}

async fn a_trigger_whose_secret_is_missing_or_too_short_cannot_be_saved(backend: Backend) {
    let d = deployment(backend).await;
    let server = d.start().await;
    let create = |yaml: String| {
        send(
            server
                .post("/api/v1/workflows")
                .header("content-type", "application/yaml")
                .body(yaml),
        )
    };
    let cases = [
        (
            "{type: hmac, preset: github, credential: short-secret}",
            "shorter than 16 bytes",
        ),
        (
            "{type: hmac, preset: standard-webhooks, credential: short-whsec}",
            "shorter than 16 bytes",
        ),
        (
            "{type: hmac, preset: stripe, credential: no-such-secret}",
            "does not exist",
        ),
        (
            "{type: header, credential: short-token}",
            "shorter than 16 characters",
        ),
    ];
    for (auth, why) in cases {
        let reply = create(workflow("weak", auth)).await;
        let error = reply.expect_error(422, "weak_secret");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(why), "{auth}: {reply}");
        assert!(!reply.text().contains("too-short-12"), "{reply}");
    }
    let listed = send(server.get("/api/v1/workflows")).await.json();
    assert_eq!(listed["items"], json!([]), "nothing was saved");

    // Saving a new version with a weak secret is refused too; the old version stays.
    let created = server
        .create_workflow(&workflow(
            "weak",
            "{type: hmac, preset: github, credential: github-secret}",
        ))
        .await;
    let id = created["id"].as_str().unwrap();
    let reply = send(
        server
            .api(Method::PUT, &format!("/api/v1/workflows/{id}"))
            .header("content-type", "application/yaml")
            .body(workflow(
                "weak",
                "{type: hmac, preset: github, credential: short-secret}",
            )),
    )
    .await;
    reply.expect_error(422, "weak_secret");
    let current: Value = send(server.get(&format!("/api/v1/workflows/{id}")))
        .await
        .json();
    assert_eq!(current["version"], 1);
    assert_eq!(
        current["workflow"]["trigger"]["auth"]["credential"],
        "github-secret"
    );
}

on_both_backends!(
    standard_webhooks_signatures_are_checked_by_the_whole_matrix,
    stripe_signatures_are_checked_by_the_whole_matrix,
    github_signatures_are_checked_by_the_whole_matrix,
    generic_hmac_signatures_are_checked_by_the_whole_matrix,
    header_token_auth_accepts_the_token_only_and_keeps_it_out_of_the_record,
    basic_auth_accepts_the_user_and_password_only,
    a_trigger_whose_secret_is_missing_or_too_short_cannot_be_saved,
);

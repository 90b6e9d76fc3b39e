//! Credentials managed through the API: sealed at rest (the secret is in no database file, WAL
//! included, no log line and no API answer), bound to their hosts (a URL from a webhook body
//! cannot carry the token anywhere else), the API's rules (write-only secrets, located
//! problems, the operator's read-only ones, delete refused while used), key rotation while the
//! server runs and a wrong key at start, and OAuth2 against the mock provider: authorization
//! code with PKCE through `/oauth/callback`, one renewal per expiry for 20 concurrent
//! executions (two processes too), renewal after a 401, `needs_reconnect` once revoked.

use std::path::Path;
use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use tests::{MockApi, OAUTH_CLIENT_SECRET, TempPostgres};

use super::harness::{Backend, Deployment, Reply, Server, bounded, on_both_backends, send};
use crate::support::host_port;

async fn create(server: &Server, body: Value) -> Reply {
    send(server.post("/api/v1/credentials").json(&body)).await
}

fn calling(name: &str, path: &str, url: &str, credential: &str) -> String {
    format!(
        r#"
name: {name}
trigger: {{ type: webhook, path: {path} }}
steps:
  - id: call
    action: http
    with: {{ url: "{url}", credential: {credential} }}
"#
    )
}

/// Every file below `dir`, read whole.
fn files_below(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p.display().to_string(), bytes));
            }
        }
    }
    out
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The database's files: the SQLite file with its WAL and shared memory, or the whole
/// PostgreSQL data directory (heap files, WAL, logs).
fn database_files(deployment: &Deployment, backend: Backend) -> Vec<(String, Vec<u8>)> {
    match backend {
        Backend::Sqlite => files_below(
            deployment
                .sqlite_path()
                .expect("a SQLite file")
                .parent()
                .expect("its directory"),
        ),
        Backend::Postgres => files_below(&TempPostgres::shared().data_dir()),
    }
}

async fn a_bearer_credential_is_sealed_bound_and_never_shown(backend: Backend) {
    let secret = format!("tok-{}", uuid::Uuid::new_v4().simple());
    let marker = format!("marker-{}", uuid::Uuid::new_v4().simple());
    let other = MockApi::start().await;
    let deployment = Deployment::new(backend).await;
    let allow = format!(
        "{},{}",
        host_port(&deployment.mock.base_url()),
        host_port(&other.base_url())
    );
    let deployment = deployment.env("WEFT_OUTBOUND_ALLOW", &allow);
    let server = deployment.start().await;
    let mut answers = Vec::new();
    let reply = create(
        &server,
        json!({"name": "crm", "type": "bearer", "data": {"token": secret}, "description": marker,
               "allowed_hosts": [host_port(&deployment.mock.base_url())]}),
    )
    .await;
    reply.expect_status(201);
    assert_eq!(reply.json()["secrets_set"], json!(["token"]), "{reply}");
    assert_eq!(reply.json()["data"], json!({}), "{reply}");
    answers.push(reply.text());

    server
        .deploy(&calling("calls-crm", "crm", "{{env.API_URL}}/echo", "crm"))
        .await;
    let done = server.run_hook("crm", &json!({})).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    let sent = deployment.mock.requests_to("GET", "/echo");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {secret}").as_str())
    );
    // The API echoed the token back: the step's output holds it masked.
    assert_eq!(
        done["steps"][0]["output"]["body"]["headers"]["authorization"], "Bearer ***",
        "{done:#}"
    );
    answers.push(done.to_string());

    // A URL taken from the webhook body cannot carry the credential to another host.
    server
        .deploy(&calling("steals", "steal", "{{trigger.body.url}}", "crm"))
        .await;
    let stolen = server
        .run_hook(
            "steal",
            &json!({"url": format!("{}/echo", other.base_url())}),
        )
        .await;
    assert_eq!(stolen["status"], "failed", "{stolen:#}");
    let error = stolen["steps"][0]["error"].to_string();
    assert!(
        error.contains(&format!(
            "may not be sent to `{}`",
            host_port(&other.base_url())
        )),
        "{stolen:#}"
    );
    assert!(
        other.requests().is_empty(),
        "the other host received a request"
    );
    answers.push(stolen.to_string());

    for path in [
        "/api/v1/credentials",
        "/api/v1/credentials/crm",
        "/api/v1/executions",
        "/api/v1/workflows",
    ] {
        let reply = send(server.get(path)).await;
        reply.expect_status(200);
        answers.push(reply.text());
    }
    let tested = send(
        server
            .post("/api/v1/credentials/crm/test")
            .json(&json!({"url": format!("{}/echo", deployment.mock.base_url())})),
    )
    .await;
    tested.expect_status(200);
    assert_eq!(tested.json()["ok"], true, "{tested}");
    answers.push(tested.text());
    for a in &answers {
        assert!(!a.contains(&secret), "an API answer holds the secret: {a}");
    }
    assert!(answers[0].contains(&marker));
    server.wait_idle(Duration::from_secs(30)).await;
    let log = server.log_since_start();
    assert!(!log.contains(&secret), "the log holds the secret");
    // The marker (stored in clear) shows that the search reads what the database wrote; the
    // secret is nowhere beside it.
    let mut found_marker = false;
    for _ in 0..50 {
        let files = database_files(&deployment, backend);
        for (name, bytes) in &files {
            assert!(!holds(bytes, &secret), "{name} holds the secret in clear");
        }
        found_marker = files.iter().any(|(_, b)| holds(b, &marker));
        if found_marker {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        found_marker,
        "the search never found what the database stored in clear"
    );
}

async fn the_api_keeps_secrets_write_only_and_refuses_what_is_wrong(backend: Backend) {
    let deployment = Deployment::new(backend)
        .await
        .credentials("ops: {type: bearer, token: ops-token-0123456789}\n");
    let server = deployment.start().await;
    let host = host_port(&deployment.mock.base_url());
    let problem = |reply: &Reply, field: &str| {
        let e = reply.expect_error(422, "invalid_body");
        assert_eq!(e["details"]["field"], field, "{reply}");
    };
    problem(
        &create(
            &server,
            json!({"name": "a", "type": "bearer", "data": {"token": "t0ken"}}),
        )
        .await,
        "allowed_hosts",
    );
    problem(
        &create(&server, json!({"name": "a", "type": "bearer", "data": {"token": "t0ken"}, "allowed_hosts": ["https://x.com/"]})).await,
        "allowed_hosts",
    );
    problem(
        &create(
            &server,
            json!({"name": "a", "type": "nope", "data": {}, "allowed_hosts": [host]}),
        )
        .await,
        "type",
    );
    problem(
        &create(&server, json!({"name": "a", "type": "bearer", "data": {"token": "t0ken", "extra": 1}, "allowed_hosts": [host]})).await,
        "data.extra",
    );
    problem(
        &create(&server, json!({"name": "a b", "type": "bearer", "data": {"token": "t0ken"}, "allowed_hosts": [host]})).await,
        "name",
    );
    create(&server, json!({"name": "crm", "type": "bearer", "data": {"token": "first-token-1"}, "allowed_hosts": [host]}))
        .await
        .expect_status(201);
    create(&server, json!({"name": "crm", "type": "bearer", "data": {"token": "x-token"}, "allowed_hosts": [host]}))
        .await
        .expect_error(409, "conflict");
    create(&server, json!({"name": "ops", "type": "bearer", "data": {"token": "x-token"}, "allowed_hosts": [host]}))
        .await
        .expect_error(409, "conflict");
    // The operator's credential: listed, unbound, read-only.
    let list = send(server.get("/api/v1/credentials")).await;
    let items = list.json()["items"].clone();
    let ops = items
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ops")
        .unwrap()
        .clone();
    assert_eq!(ops["source"], "file");
    assert_eq!(ops["read_only"], true);
    assert_eq!(ops["allowed_hosts"], Value::Null);
    assert!(!list.text().contains("ops-token"));
    send(
        server
            .api(Method::PUT, "/api/v1/credentials/ops")
            .json(&json!({"description": "x"})),
    )
    .await
    .expect_error(409, "conflict");
    send(server.api(Method::DELETE, "/api/v1/credentials/ops"))
        .await
        .expect_error(409, "conflict");

    // A change without the secret keeps it; a new secret replaces it.
    let id = server
        .deploy(&calling("uses-crm", "crm", "{{env.API_URL}}/echo", "crm"))
        .await;
    send(
        server
            .api(Method::PUT, "/api/v1/credentials/crm")
            .json(&json!({"description": "CRM"})),
    )
    .await
    .expect_status(200);
    assert_eq!(
        server.run_hook("crm", &json!({})).await["status"],
        "succeeded"
    );
    // Sending the stored secret somewhere new needs it given again: editing is not reading.
    problem(
        &send(
            server
                .api(Method::PUT, "/api/v1/credentials/crm")
                .json(&json!({"allowed_hosts": [host, "elsewhere.example"]})),
        )
        .await,
        "data.token",
    );
    send(server.api(Method::PUT, "/api/v1/credentials/crm").json(
        &json!({"data": {"token": "second-token-2"}, "allowed_hosts": [host, "elsewhere.example"]}),
    ))
    .await
    .expect_status(200);
    // Narrowing keeps it.
    send(
        server
            .api(Method::PUT, "/api/v1/credentials/crm")
            .json(&json!({"allowed_hosts": [host]})),
    )
    .await
    .expect_status(200);
    assert_eq!(
        server.run_hook("crm", &json!({})).await["status"],
        "succeeded"
    );
    let tokens: Vec<String> = deployment
        .mock
        .requests_to("GET", "/echo")
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .collect();
    assert_eq!(tokens, ["Bearer first-token-1", "Bearer second-token-2"]);
    let one = send(server.get("/api/v1/credentials/crm")).await.json();
    assert_eq!(one["used_by"], json!(["uses-crm"]), "{one:#}");
    assert_eq!(one["description"], "CRM");

    // Delete: refused while an active workflow uses it, naming it.
    let refused = send(server.api(Method::DELETE, "/api/v1/credentials/crm")).await;
    let e = refused.expect_error(409, "conflict");
    assert_eq!(e["details"]["workflows"], json!(["uses-crm"]), "{refused}");
    send(server.post(&format!("/api/v1/workflows/{id}/deactivate")))
        .await
        .expect_status(200);
    send(server.api(Method::DELETE, "/api/v1/credentials/crm"))
        .await
        .expect_status(204);
    send(server.get("/api/v1/credentials/crm"))
        .await
        .expect_error(404, "not_found");
    // A webhook secret made through the API checks incoming webhooks (no hosts: never sent).
    create(&server, json!({"name": "hook-token", "type": "secret", "data": {"value": "hook-secret-0123456789abcdef"}}))
        .await
        .expect_status(201);
    server
        .deploy(
            "name: guarded\ntrigger: { type: webhook, path: guarded, auth: { type: header, credential: hook-token } }\nsteps:\n  - { id: ok, action: set, with: { value: 1 } }\n",
        )
        .await;
    server
        .call_hook("guarded", &json!({}))
        .await
        .expect_error(401, "unauthorized");
    let reply = send(
        server
            .hook(Method::POST, "guarded")
            .bearer_auth("hook-secret-0123456789abcdef")
            .json(&json!({})),
    )
    .await;
    reply.expect_status(202);
    // Without hosts it only checks: signing with it for a URL is refused, until it names the
    // receiver (given again, as the secret now goes somewhere new).
    server
        .deploy(&format!(
            "name: signs\ntrigger: {{ type: webhook, path: signs }}\nsteps:\n  - id: tell\n    action: webhook\n    with: {{ url: \"{}/echo/chat\", credential: hook-token, body: {{ a: 1 }} }}\n",
            deployment.mock.base_url()
        ))
        .await;
    let refused = server.run_hook("signs", &json!({})).await;
    assert_eq!(refused["status"], "failed", "{refused:#}");
    assert!(
        refused
            .to_string()
            .contains("only checks incoming requests"),
        "{refused:#}"
    );
    problem(
        &send(
            server
                .api(Method::PUT, "/api/v1/credentials/hook-token")
                .json(&json!({"allowed_hosts": [host]})),
        )
        .await,
        "data.value",
    );
    send(
        server
            .api(Method::PUT, "/api/v1/credentials/hook-token")
            .json(&json!({"allowed_hosts": [host], "data": {"value": "hook-secret-0123456789abcdef"}})),
    )
    .await
    .expect_status(200);
    let signed = server.run_hook("signs", &json!({})).await;
    assert_eq!(signed["status"], "succeeded", "{signed:#}");
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = deployment.mock.requests_to("POST", "/echo/chat");
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        delivered.len(),
        1,
        "one signed delivery, none before the hosts were named"
    );
    assert!(delivered[0].header("webhook-signature").is_some());
    let types = send(server.get("/api/v1/credential-types")).await.json();
    let kinds: Vec<&str> = types["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["bearer", "basic", "api_key", "header", "secret", "oauth2"]
    );
}

/// The credential shows `needs_reconnect` with the provider's reason.
async fn needs_reconnect_because(server: &Server, name: &str, reason: &str) {
    let view = send(server.get(&format!("/api/v1/credentials/{name}")))
        .await
        .json();
    assert_eq!(view["status"], "needs_reconnect", "{view:#}");
    assert!(
        view["status_message"].as_str().unwrap().contains(reason),
        "{view:#}"
    );
}

fn key_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("the key file")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

async fn rotating_the_key_reseals_while_the_server_runs_and_a_wrong_key_stops_the_start(
    backend: Backend,
) {
    let deployment = Deployment::new(backend).await;
    let mut server = deployment.start().await;
    // The key file is in the data directory (the default `./weft-data` beside PostgreSQL).
    let data_dir = match backend {
        Backend::Sqlite => "data",
        Backend::Postgres => "weft-data",
    };
    let key_file = deployment.dir().join(data_dir).join("secret.key");
    let before = key_lines(&key_file);
    assert_eq!(before.len(), 1);
    create(
        &server,
        json!({"name": "crm", "type": "bearer", "data": {"token": "rotated-token-1"},
        "allowed_hosts": [host_port(&deployment.mock.base_url())]}),
    )
    .await
    .expect_status(201);
    server
        .deploy(&calling("uses-crm", "crm", "{{env.API_URL}}/echo", "crm"))
        .await;
    assert_eq!(
        server.run_hook("crm", &json!({})).await["status"],
        "succeeded"
    );

    let out = deployment.cli(["credentials", "rotate-key"]).output().await;
    out.success();
    assert!(
        out.stderr.contains("Sealed 1 value(s) of 1 credential(s)"),
        "{}",
        out.stderr
    );
    let after = key_lines(&key_file);
    assert_eq!(
        after.len(),
        1,
        "the old key is dropped once nothing uses it"
    );
    assert_ne!(after, before);
    // The running server reads the new key when it meets its id.
    assert_eq!(
        server.run_hook("crm", &json!({})).await["status"],
        "succeeded"
    );
    server.terminate(Duration::from_secs(20)).await;
    let server = deployment.start().await;
    assert_eq!(
        server.run_hook("crm", &json!({})).await["status"],
        "succeeded"
    );
    let tokens = deployment.mock.requests_to("GET", "/echo");
    assert_eq!(tokens.len(), 3);
    assert!(
        tokens
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer rotated-token-1"))
    );
    drop(server);

    // A wrong key (a valid one, not the one the values were sealed with): a clear refusal.
    let wrong = deployment
        .cli(["serve", "--bind", "127.0.0.1:0"])
        .process_env(
            "WEFT_SECRET_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .output()
        .await;
    assert_ne!(wrong.code, Some(0), "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("credential `crm`") && wrong.stderr.contains("WEFT_SECRET_KEY"),
        "{}",
        wrong.stderr
    );
    let garbage = deployment
        .cli(["serve", "--bind", "127.0.0.1:0"])
        .process_env("WEFT_SECRET_KEY", "not-a-key")
        .output()
        .await;
    assert_ne!(garbage.code, Some(0));
    assert!(garbage.stderr.contains("32 bytes"), "{}", garbage.stderr);
    assert!(!garbage.stderr.contains("not-a-key"), "{}", garbage.stderr);
}

/// Creates an OAuth2 (authorization code) credential against the mock provider and connects
/// it the way a browser does: the provider's page, then Weft's `/oauth/callback`.
async fn connected_oauth(server: &Server, mock: &MockApi) {
    let base = mock.base_url();
    let created = create(
        server,
        json!({"name": "oauth", "type": "oauth2",
        "data": {"grant": "authorization_code", "authorize_url": format!("{base}/oauth/authorize"),
                 "token_url": format!("{base}/oauth/token"), "client_id": "weft-test",
                 "client_secret": OAUTH_CLIENT_SECRET, "scopes": ["read"]},
        "allowed_hosts": [host_port(&base)]}),
    )
    .await;
    created.expect_status(201);
    assert_eq!(created.json()["status"], "not_connected");
    let connect = send(server.post("/api/v1/credentials/oauth/connect")).await;
    connect.expect_status(200);
    let authorize = connect.json()["authorize_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let approved = browser.get(&authorize).send().await.unwrap();
    assert_eq!(approved.status(), 302);
    let back = approved.headers()["location"].to_str().unwrap().to_string();
    assert!(
        back.starts_with(&format!("{}/oauth/callback?", server.url)),
        "{back}"
    );
    // A forged state is refused and connects nothing.
    let forged = back.replace("state=", "state=0");
    assert_eq!(browser.get(&forged).send().await.unwrap().status(), 400);
    let page = browser.get(&back).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Connected"));
    // The code is used up.
    assert_eq!(browser.get(&back).send().await.unwrap().status(), 400);
    let view = send(server.get("/api/v1/credentials/oauth")).await.json();
    assert_eq!(view["status"], "ok", "{view:#}");
}

async fn run_many(server: &Server, path: &str, n: usize) -> Vec<Value> {
    let bodies: Vec<Value> = (0..n).map(|i| json!({ "i": i })).collect();
    join_all(bodies.iter().map(|b| server.run_hook(path, b))).await
}

fn refreshes(mock: &MockApi) -> u64 {
    mock.oauth_stats()["refreshes"].as_u64().unwrap()
}

/// Tokens last 5 s and are renewed 1 s before (the margin is a fifth of the lifetime, at most
/// a minute); the token endpoint takes 300 ms, so that concurrent executions meet a renewal
/// in progress.
async fn configure_provider(mock: &MockApi) {
    send(
        super::harness::client()
            .post(format!("{}/oauth/config", mock.base_url()))
            .json(&json!({"expires_in": 5, "rotate_refresh": true, "delay_ms": 300})),
    )
    .await
    .expect_status(200);
}

async fn oauth2_renews_once_per_expiry_and_after_a_401_and_needs_reconnect_once_revoked(
    backend: Backend,
) {
    let deployment = Deployment::new(backend).await;
    configure_provider(&deployment.mock).await;
    let server = deployment.start().await;
    server
        .deploy(&calling("me", "me", "{{env.API_URL}}/oauth/me", "oauth"))
        .await;
    connected_oauth(&server, &deployment.mock).await;
    for round in 0..3u64 {
        let done = run_many(&server, "me", 20).await;
        for d in &done {
            assert_eq!(d["status"], "succeeded", "{d:#}");
        }
        assert_eq!(refreshes(&deployment.mock), round, "one renewal per expiry");
        tokio::time::sleep(Duration::from_millis(5200)).await;
    }
    // Renewed again by the first execution after the expiry: 3.
    assert_eq!(
        server.run_hook("me", &json!({})).await["status"],
        "succeeded"
    );
    assert_eq!(refreshes(&deployment.mock), 3);
    // The API refuses a token that has not expired by Weft's clock: renewed once, retried once.
    send(super::harness::client().post(format!("{}/oauth/expire", deployment.mock.base_url())))
        .await
        .expect_status(200);
    let done = server.run_hook("me", &json!({})).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(refreshes(&deployment.mock), 4);
    assert_eq!(done["steps"][0]["output"]["status"], 200);

    // Revoked at the provider: the next renewal fails for good.
    let client = super::harness::client();
    for route in ["revoke", "expire"] {
        send(client.post(format!("{}/oauth/{route}", deployment.mock.base_url())))
            .await
            .expect_status(200);
    }
    let failed = server.run_hook("me", &json!({})).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    assert!(failed.to_string().contains("reconnect"), "{failed:#}");
    needs_reconnect_because(&server, "oauth", "invalid_grant").await;
    // The renewals are counted in the metrics, the refusal too.
    let metrics = send(server.get("/metrics")).await;
    metrics.expect_status(200);
    let text = metrics.text();
    assert!(
        text.contains(&format!(
            "weft_oauth_refreshes_total{{result=\"renewed\"}} {}\n",
            refreshes(&deployment.mock)
        )),
        "{text}"
    );
    assert!(
        text.contains("weft_oauth_refreshes_total{result=\"refused\"} 1\n"),
        "{text}"
    );
    // Further steps fail at once, without asking the provider again.
    let asked = deployment.mock.count("POST", "/oauth/token");
    assert_eq!(server.run_hook("me", &json!({})).await["status"], "failed");
    assert_eq!(deployment.mock.count("POST", "/oauth/token"), asked);
    let log = server.log_since_start();
    assert!(
        !log.contains("mock-access-") && !log.contains("mock-refresh-"),
        "a token in the log"
    );
}

async fn client_credentials_get_a_token_and_a_refused_client_needs_reconnect(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    let base = deployment.mock.base_url();
    create(
        &server,
        json!({"name": "oauth", "type": "oauth2",
        "data": {"grant": "client_credentials", "token_url": format!("{base}/oauth/token"),
                 "client_id": "weft-test", "client_secret": OAUTH_CLIENT_SECRET},
        "allowed_hosts": [host_port(&base)]}),
    )
    .await
    .expect_status(201);
    server
        .deploy(&calling("me", "me", "{{env.API_URL}}/oauth/me", "oauth"))
        .await;
    for d in run_many(&server, "me", 5).await {
        assert_eq!(d["status"], "succeeded", "{d:#}");
    }
    assert_eq!(deployment.mock.oauth_stats()["client_credentials"], 1);
    let tested = send(server.post("/api/v1/credentials/oauth/test"))
        .await
        .json();
    assert_eq!(tested["ok"], true, "{tested:#}");
    let client = super::harness::client();
    for route in ["revoke", "expire"] {
        send(client.post(format!("{base}/oauth/{route}")))
            .await
            .expect_status(200);
    }
    assert_eq!(server.run_hook("me", &json!({})).await["status"], "failed");
    needs_reconnect_because(&server, "oauth", "invalid_client").await;
}

/// A failed `http` step keeps the answer it got (status, headers, body) in the execution
/// record, with the credential's secret the API echoed masked there as in an output.
async fn a_failed_http_step_records_the_answer_with_echoed_secrets_masked(backend: Backend) {
    let secret = format!("tok-{}", uuid::Uuid::new_v4().simple());
    let deployment = Deployment::new(backend).await;
    let server = deployment.start().await;
    create(
        &server,
        json!({"name": "crm", "type": "bearer", "data": {"token": secret},
               "allowed_hosts": [host_port(&deployment.mock.base_url())]}),
    )
    .await
    .expect_status(201);
    server
        .deploy(&calling(
            "rejected",
            "rejected",
            "{{env.API_URL}}/reject",
            "crm",
        ))
        .await;
    let done = server.run_hook("rejected", &json!({})).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    let step = &done["steps"][0];
    assert!(
        step["error"]
            .as_str()
            .is_some_and(|e| e.ends_with("answered 400 Bad Request")),
        "{done:#}"
    );
    let details = &step["error_details"];
    assert_eq!(details["status"], 400, "{done:#}");
    assert_eq!(
        details["headers"]["x-request-id"], "mock-reject",
        "{done:#}"
    );
    assert_eq!(
        details["headers"]["x-echo-authorization"], "Bearer ***",
        "{done:#}"
    );
    assert_eq!(
        details["body"],
        json!({
            "error": "invalid_request",
            "message": "the mock API rejects every request to /reject",
            "echoed": {"authorization": "Bearer ***"},
        }),
        "{done:#}"
    );
    // The journal's final row holds the same, and the secret is nowhere in the record.
    let id = done["id"].as_str().expect("an id");
    let record = server.execution(id).await;
    let last = record["attempts"]
        .as_array()
        .and_then(|a| a.iter().rfind(|r| r["is_final"] == true))
        .expect("a final row")
        .clone();
    assert_eq!(last["error_details"], *details, "{record:#}");
    assert!(!record.to_string().contains(&secret), "{record:#}");
    assert_eq!(deployment.mock.count("GET", "/reject"), 1);
}

on_both_backends!(
    a_bearer_credential_is_sealed_bound_and_never_shown,
    a_failed_http_step_records_the_answer_with_echoed_secrets_masked,
    the_api_keeps_secrets_write_only_and_refuses_what_is_wrong,
    rotating_the_key_reseals_while_the_server_runs_and_a_wrong_key_stops_the_start,
    oauth2_renews_once_per_expiry_and_after_a_401_and_needs_reconnect_once_revoked,
    client_credentials_get_a_token_and_a_refused_client_needs_reconnect,
);

/// Two processes on one PostgreSQL, 20 executions each at an expiry: one renewal in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_renew_a_token_once_per_expiry() {
    bounded(async {
        let deployment = Deployment::new(Backend::Postgres).await;
        configure_provider(&deployment.mock).await;
        let a = deployment.start().await;
        let b = deployment.start().await;
        a.deploy(&calling("me", "me", "{{env.API_URL}}/oauth/me", "oauth"))
            .await;
        connected_oauth(&a, &deployment.mock).await;
        for round in 0..2u64 {
            let (x, y) = tokio::join!(run_many(&a, "me", 20), run_many(&b, "me", 20));
            for d in x.iter().chain(&y) {
                assert_eq!(d["status"], "succeeded", "{d:#}");
            }
            assert_eq!(refreshes(&deployment.mock), round);
            tokio::time::sleep(Duration::from_millis(5200)).await;
        }
        let (x, y) = tokio::join!(run_many(&a, "me", 20), run_many(&b, "me", 20));
        assert!(x.iter().chain(&y).all(|d| d["status"] == "succeeded"));
        assert_eq!(refreshes(&deployment.mock), 2);
    })
    .await;
}

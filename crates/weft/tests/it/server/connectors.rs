//! Connectors through the real binary on both backends: `weft connector import` on the
//! database and `POST /api/v1/connectors` import real documents; their operations are
//! actions (`GET /actions`); a Twilio "create a message" step runs against a local stand-in
//! for Twilio (method, path, form encoding, basic auth checked by it); delete is refused while
//! a workflow uses the connector; a re-import is a new version that names the workflows it
//! breaks; bad documents get located problems; connectors survive a restart.

use serde_json::{Value, json};
use tests::{TWILIO_ACCOUNT, TWILIO_TOKEN};

use super::harness::{Backend, Deployment, Server, bounded, on_both_backends, send};
use crate::connectors::shared;

fn sms_workflow() -> String {
    format!(
        r#"
name: Text new customers
trigger: {{ type: webhook, path: sms }}
steps:
  - id: send_sms
    action: twilio.CreateMessage
    with:
      AccountSid: {TWILIO_ACCOUNT}
      credential: twilio
      body:
        To: "{{{{trigger.body.phone}}}}"
        From: "+15005550006"
        Body: "Welcome, {{{{trigger.body.name}}}}!"
"#
    )
}

async fn import(
    server: &Server,
    query: &str,
    content_type: &str,
    text: String,
) -> super::harness::Reply {
    send(
        server
            .post(&format!("/api/v1/connectors{query}"))
            .header("content-type", content_type)
            .body(text),
    )
    .await
}

async fn actions(server: &Server) -> Vec<Value> {
    let reply = send(server.get("/api/v1/actions")).await;
    reply.expect_status(200);
    reply.json()["items"].as_array().unwrap().clone()
}

async fn imports_runs_versions_and_deletes_connectors(backend: Backend) {
    let d = Deployment::new(backend).await;
    // On the database, before any server runs.
    let out = d
        .cli([
            "connector",
            "import",
            &shared("twilio/twilio_lookups_v2.yaml"),
            "--name",
            "lookups",
        ])
        .output()
        .await;
    out.success();
    assert!(out.stderr.contains("10 operations"), "{out}");

    let mut server = d.start().await;
    let kinds: Vec<String> = actions(&server)
        .await
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| k.starts_with("lookups.")).count(),
        10,
        "{kinds:?}"
    );

    let twilio = std::fs::read_to_string(shared("twilio/twilio_api_v2010.yaml")).unwrap();
    let base = format!("{}/twilio", d.mock.base_url());
    let reply = import(
        &server,
        &format!("?name=twilio&base_url={base}"),
        "application/yaml",
        twilio.clone(),
    )
    .await;
    reply.expect_status(201);
    let c = reply.json()["connector"].clone();
    assert_eq!(c["version"], 1, "{c:#}");
    assert_eq!(c["operations"], 197);
    assert_eq!(c["format"], "OpenAPI 3.0.1");
    assert_eq!(c["base_url"], base.as_str());
    assert_eq!(c["base_url_overridden"], true);
    assert_eq!(c["security"][0]["credential_type"], "basic", "{c:#}");

    let all = actions(&server).await;
    let create = all
        .iter()
        .find(|a| a["kind"] == "twilio.CreateMessage")
        .expect("the operation is an action");
    assert_eq!(create["connector"]["method"], "POST");
    assert_eq!(create["connector"]["credential_types"], json!(["basic"]));
    assert!(
        create["connector"]["output_schema"]["properties"]["body"].is_object(),
        "{create:#}"
    );
    assert!(
        create["config_schema"]["required"]
            .as_array()
            .unwrap()
            .contains(&json!("AccountSid"))
    );

    // A credential bound to the stand-in's host, and a workflow using the operation.
    send(server.post("/api/v1/credentials").json(&json!({
        "name": "twilio",
        "type": "basic",
        "data": { "username": TWILIO_ACCOUNT, "password": TWILIO_TOKEN },
        "allowed_hosts": ["127.0.0.1"],
    })))
    .await
    .expect_status(201);
    server.deploy(&sms_workflow()).await;
    let done = server
        .run_hook("sms", &json!({"phone": "+15551230000", "name": "Ada"}))
        .await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    let output = &done["steps"][0]["output"];
    assert_eq!(output["status"], 201, "{done:#}");
    assert_eq!(output["body"]["to"], "+15551230000");
    assert_eq!(output["body"]["status"], "queued");
    let sent = d.mock.requests_to("POST", "/twilio/");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path,
        format!("/twilio/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json")
    );
    let body = sent[0].body.as_str().unwrap();
    assert!(
        body.contains("To=%2B15551230000") && body.contains("Body=Welcome%2C+Ada%21"),
        "{body}"
    );
    // The password is in no record.
    assert!(!done.to_string().contains(TWILIO_TOKEN));

    // Used: delete is refused, naming the workflow.
    let reply = send(server.api(reqwest::Method::DELETE, "/api/v1/connectors/twilio")).await;
    let error = reply.expect_error(409, "conflict");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Text new customers"),
        "{error}"
    );

    // A new version without the operation: stored, and the workflow's problem named.
    let changed = twilio.replace(
        "operationId: CreateMessage\n",
        "operationId: CreateMessageV2\n",
    );
    let reply = import(
        &server,
        &format!("?name=twilio&base_url={base}"),
        "application/yaml",
        changed,
    )
    .await;
    reply.expect_status(201);
    let out = reply.json();
    assert_eq!(out["connector"]["version"], 2);
    let affected = &out["workflows_with_problems"][0];
    assert_eq!(affected["workflow"], "Text new customers", "{out:#}");
    assert_eq!(affected["problems"][0]["step"], "send_sms", "{out:#}");
    assert!(
        affected["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CreateMessageV2"),
        "{out:#}"
    );
    let detail = send(server.get("/api/v1/connectors/twilio")).await;
    detail.expect_status(200);
    let versions: Vec<i64> = detail.json()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1]);
    // Back to a version that has it.
    import(
        &server,
        &format!("?name=twilio&base_url={base}"),
        "application/yaml",
        twilio,
    )
    .await
    .expect_status(201);

    // Bad documents.
    let reply = import(&server, "", "text/csv", "a,b".into()).await;
    reply.expect_error(415, "unsupported_media_type");
    let broken = "openapi: 3.0.3\ninfo: {title: Broken, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {in: query}\n";
    let reply = import(&server, "", "application/yaml", broken.into()).await;
    let error = reply.expect_error(422, "invalid_document");
    let problems = error["details"]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["pointer"] == "/paths/~1a/get/parameters/0" && p["line"] == 7),
        "{error:#}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["message"].as_str().unwrap().contains("no server URL")),
        "{error:#}"
    );
    let reply = import(&server, "", "application/json", "{\"openapi\": ".into()).await;
    reply.expect_error(422, "invalid_document");

    // A restart reads them back from the database.
    server.terminate(std::time::Duration::from_secs(20)).await;
    let server = d.start().await;
    let list = send(server.get("/api/v1/connectors")).await;
    list.expect_status(200);
    let names: Vec<(String, i64)> = list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![("lookups".to_string(), 1), ("twilio".to_string(), 3)]
    );
    let done = server
        .run_hook("sms", &json!({"phone": "+15550000001", "name": "Bo"}))
        .await;
    assert_eq!(done["status"], "succeeded", "{done:#}");

    // The CLI through the server: `--server` may follow the subcommand.
    let out = d
        .cli([
            "connector",
            "list",
            "--server",
            &server.url,
            "--api-key",
            &server.key,
        ])
        .output()
        .await;
    out.success();
    assert!(
        out.stdout.contains("twilio") && out.stdout.contains("v3"),
        "{out}"
    );

    // Unused: deleted, and its actions are gone.
    send(server.api(reqwest::Method::DELETE, "/api/v1/connectors/lookups"))
        .await
        .expect_status(204);
    assert!(
        !actions(&server)
            .await
            .iter()
            .any(|a| a["kind"].as_str().unwrap().starts_with("lookups."))
    );
    send(server.api(reqwest::Method::DELETE, "/api/v1/connectors/lookups"))
        .await
        .expect_status(404);
}

on_both_backends!(imports_runs_versions_and_deletes_connectors);

/// A connector imported on the API process reaches a worker that started before it: the
/// worker's copy is refreshed when a version does not compile with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_a_connector_imported_on_the_api_process() {
    bounded(async {
        let d = Deployment::new(Backend::Postgres).await;
        let api = d.start_with(&["--no-workers"]).await;
        let _worker = d.start_worker("worker-1").await;
        let twilio = std::fs::read_to_string(shared("twilio/twilio_api_v2010.yaml")).unwrap();
        let base = format!("{}/twilio", d.mock.base_url());
        import(
            &api,
            &format!("?name=twilio&base_url={base}"),
            "application/yaml",
            twilio,
        )
        .await
        .expect_status(201);
        send(api.post("/api/v1/credentials").json(&json!({
            "name": "twilio",
            "type": "basic",
            "data": { "username": TWILIO_ACCOUNT, "password": TWILIO_TOKEN },
            "allowed_hosts": ["127.0.0.1"],
        })))
        .await
        .expect_status(201);
        api.deploy(&sms_workflow()).await;
        let done = api
            .run_hook("sms", &json!({"phone": "+15551230000", "name": "Ada"}))
            .await;
        assert_eq!(done["status"], "succeeded", "{done:#}");
        assert!(
            done["process"].as_str().unwrap().starts_with("worker-"),
            "{done:#}"
        );
        assert_eq!(d.mock.requests_to("POST", "/twilio/").len(), 1);
    })
    .await;
}

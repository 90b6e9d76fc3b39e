//! The API as a whole: every route needs the key, the OpenAPI document lists exactly the
//! routes, health checks, and what the editor reads (actions, trigger kinds, the workflow
//! schema).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Backend, Deployment, on_both_backends, send};

/// Every route of `/api/v1` the tests use (and the OpenAPI document must list).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/workflows"),
    ("PATCH", "/api/v1/workflows/{id}/versions/{version}"),
    ("GET", "/api/v1/workflows/{id}/draft"),
    ("PUT", "/api/v1/workflows/{id}/draft"),
    ("DELETE", "/api/v1/workflows/{id}/draft"),
    ("GET", "/api/v1/workflows/{id}/pins"),
    ("PUT", "/api/v1/workflows/{id}/pins"),
    ("DELETE", "/api/v1/workflows/{id}/pins"),
    ("POST", "/api/v1/workflows/{id}/test-run"),
    ("POST", "/api/v1/templates/render"),
    ("GET", "/api/v1/connectors"),
    ("POST", "/api/v1/connectors"),
    ("GET", "/api/v1/connectors/{name}"),
    ("DELETE", "/api/v1/connectors/{name}"),
    ("POST", "/api/v1/workflows"),
    ("POST", "/api/v1/workflows/validate"),
    ("GET", "/api/v1/workflows/{id}"),
    ("PUT", "/api/v1/workflows/{id}"),
    ("DELETE", "/api/v1/workflows/{id}"),
    ("POST", "/api/v1/workflows/{id}/activate"),
    ("POST", "/api/v1/workflows/{id}/deactivate"),
    ("GET", "/api/v1/workflows/{id}/versions"),
    ("GET", "/api/v1/workflows/{id}/versions/{version}"),
    ("POST", "/api/v1/workflows/{id}/versions/{version}/restore"),
    ("POST", "/api/v1/workflows/{id}/run"),
    ("GET", "/api/v1/workflows/{id}/test-event"),
    ("GET", "/api/v1/workflows/{id}/schedule"),
    ("GET", "/api/v1/schedules/preview"),
    ("GET", "/api/v1/executions"),
    ("GET", "/api/v1/executions/{id}"),
    ("DELETE", "/api/v1/executions/{id}"),
    ("POST", "/api/v1/executions/{id}/cancel"),
    ("POST", "/api/v1/executions/{id}/retry"),
    ("GET", "/api/v1/executions/{id}/events"),
    ("GET", "/api/v1/deliveries"),
    ("GET", "/api/v1/deliveries/{id}"),
    ("POST", "/api/v1/deliveries/{id}/retry"),
    ("GET", "/api/v1/actions"),
    ("GET", "/api/v1/triggers"),
    ("GET", "/api/v1/credentials"),
    ("POST", "/api/v1/credentials"),
    ("GET", "/api/v1/credentials/{name}"),
    ("PUT", "/api/v1/credentials/{name}"),
    ("DELETE", "/api/v1/credentials/{name}"),
    ("POST", "/api/v1/credentials/{name}/test"),
    ("POST", "/api/v1/credentials/{name}/connect"),
    ("GET", "/api/v1/credential-types"),
    ("GET", "/api/v1/schema/workflow.json"),
    ("GET", "/api/v1/environment"),
    ("GET", "/api/v1/processes"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("POST", "/api/v1/stream-tokens"),
];

/// Routes the OpenAPI document lists that take no key: signing in trades a key for a session.
const OPEN_ROUTES: &[(&str, &str)] = &[("POST", "/api/v1/session")];

const WORKFLOW: &str = r#"
name: Guarded
trigger:
  type: webhook
  path: guarded
steps:
  - id: fine
    action: set
    with:
      value: { ok: true }
"#;

async fn every_api_route_refuses_a_request_without_a_valid_key(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .credentials("crm-api: {type: bearer, token: crm-token-0123456789}\n");
    let server = d.start().await;
    let workflow = server.deploy(WORKFLOW).await;
    let execution = server.run_hook("guarded", &json!({})).await;
    let execution = execution["id"].as_str().unwrap().to_string();
    let concrete = |path: &str| {
        let path = path
            .replace("{version}", "1")
            .replace("{name}", "crm-api")
            .replace(
                "{id}",
                if path.contains("/executions/") {
                    &execution
                } else {
                    &workflow
                },
            );
        format!("{}{path}", server.url)
    };
    let mut routes: Vec<(&str, &str)> = ROUTES.to_vec();
    routes.push(("GET", "/api/v1/openapi.json"));

    for (method, path) in routes.iter().copied() {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let url = concrete(path);
        let attempts = [
            ("no Authorization", None, url.clone()),
            (
                "a wrong key",
                Some("Bearer weft_wrong-key-0123456789".to_string()),
                url.clone(),
            ),
            ("an empty bearer", Some("Bearer ".to_string()), url.clone()),
            (
                "the key as basic auth",
                Some(format!(
                    "Basic {}",
                    "YWRtaW46d2VmdC10ZXN0LWFkbWluLWtleS0wMTIzNDU2Nzg5"
                )),
                url.clone(),
            ),
            (
                "the key without a scheme",
                Some(server.key.clone()),
                url.clone(),
            ),
            (
                "a wrong access_token",
                None,
                format!("{url}?access_token=nope"),
            ),
        ];
        for (case, authorization, url) in attempts {
            let mut request = server
                .http
                .request(method.clone(), &url)
                .header("content-type", "application/json")
                .body("{}");
            if let Some(a) = authorization {
                request = request.header("authorization", a);
            }
            let reply = send(request).await;
            assert_eq!(reply.status, 401, "{method} {path} with {case}\n{reply}");
            reply.expect_error(401, "unauthorized");
            assert!(
                reply
                    .header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Bearer")),
                "{method} {path}: {reply}"
            );
        }
    }

    // With the key, the reading routes answer (so the list above names real routes).
    for (method, path) in routes.iter().copied().filter(|(m, _)| *m == "GET") {
        let url = concrete(path);
        let url = if path.ends_with("test-event") {
            format!("{url}?timeout=1")
        } else if path.ends_with("preview") {
            format!("{url}?cron=0%209%20*%20*%20*")
        } else {
            url
        };
        let reply = send(server.http.get(&url).bearer_auth(&server.key)).await;
        if path.ends_with("{id}/schedule") {
            // The route's own answer for the webhook workflow used here.
            reply.expect_error(409, "conflict");
            continue;
        }
        if path == "/api/v1/connectors/{name}" || path.ends_with("/draft") {
            // No connector is imported and no draft kept here: the route's own answer.
            reply.expect_error(404, "not_found");
            continue;
        }
        if path == "/api/v1/connectors/{name}" {
            // No connector is imported here: the route's own answer.
            reply.expect_error(404, "not_found");
            continue;
        }
        if path.starts_with("/api/v1/deliveries/") {
            // No delivery has the workflow's id: the route's own answer.
            reply.expect_error(404, "not_found");
            continue;
        }
        assert!(
            matches!(reply.status, 200 | 204),
            "{method} {path} with the key\n{reply}"
        );
    }
}

async fn the_openapi_document_lists_every_route_of_the_api(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let reply = send(server.get("/api/v1/openapi.json")).await;
    reply.expect_status(200);
    let doc = reply.json();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc:#}"
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let used: BTreeSet<(String, String)> = ROUTES
        .iter()
        .chain(OPEN_ROUTES)
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let undocumented: Vec<_> = used.difference(&documented).collect();
    let untested: Vec<_> = documented.difference(&used).collect();
    assert!(
        undocumented.is_empty() && untested.is_empty(),
        "routes the tests use but the document lacks: {undocumented:?}\n\
         documented routes the tests do not know: {untested:?}"
    );
    assert!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer")),
        "{:#}",
        doc["components"]
    );
}

async fn health_checks_answer_without_a_key(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let healthz = send(server.http.get(format!("{}/healthz", server.url))).await;
    healthz.expect_status(200);
    assert_eq!(healthz.text(), "ok");
    let readyz = send(server.http.get(format!("{}/readyz", server.url))).await;
    readyz.expect_status(200);
    assert_eq!(readyz.text(), "ready");
}

async fn unknown_api_routes_and_methods_answer_in_the_error_shape(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    send(server.get("/api/v1/nope"))
        .await
        .expect_error(404, "not_found");
    let reply = send(server.api(reqwest::Method::PATCH, "/api/v1/workflows")).await;
    reply.expect_error(405, "method_not_allowed");
    assert!(
        reply.header("allow").is_some_and(|a| a.contains("POST")),
        "{}",
        reply.text()
    );
}

async fn credentials_are_listed_by_name_and_type_never_with_their_secret(backend: Backend) {
    let d = Deployment::new(backend)
        .await
        .credentials("crm-api: {type: bearer, token: crm-token-0123456789}\nhook: {type: secret, value: hook-secret-0123456789}\n");
    let server = d.start().await;
    let reply = send(server.get("/api/v1/credentials")).await;
    reply.expect_status(200);
    let list = reply.json();
    assert_eq!(list["next_cursor"], Value::Null, "{list}");
    let items = list["items"].as_array().expect("a list");
    let shown: Vec<Value> = items
        .iter()
        .map(|c| {
            json!([
                c["name"],
                c["type"],
                c["source"],
                c["read_only"],
                c["allowed_hosts"],
                c["secrets_set"]
            ])
        })
        .collect();
    assert_eq!(
        shown,
        [
            json!(["crm-api", "bearer", "file", true, null, ["token"]]),
            json!(["hook", "secret", "file", true, null, ["value"]]),
        ],
        "{list:#}"
    );
    assert!(!reply.text().contains("0123456789"), "{}", reply.text());
}

async fn the_environment_names_the_allow_listed_variables_never_their_values(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let reply = send(server.get("/api/v1/environment")).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({ "variables": ["API_URL"] }));
    assert!(!reply.text().contains(&d.mock.base_url()), "{reply}");
}

async fn the_actions_and_the_workflow_schema_are_served(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let list = send(server.get("/api/v1/actions")).await.json();
    assert_eq!(list["next_cursor"], Value::Null, "{list}");
    let actions = &list["items"];
    let kinds: Vec<&str> = actions
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "delay", "fail", "http", "if", "respond", "set", "switch", "wait", "webhook",
            "workflow"
        ]
    );
    assert!(
        actions
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["config_schema"]["type"] == "object")
    );
    // Branching actions state how their ports follow from their config; the editor draws
    // ports by this rule alone.
    let ports = |kind: &str| {
        actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == kind)
            .unwrap()["ports"]
            .clone()
    };
    assert_eq!(
        ports("if"),
        json!({ "keys_of": null, "fixed": ["true", "false"] })
    );
    assert_eq!(
        ports("switch"),
        json!({ "keys_of": "cases", "fixed": ["default"] })
    );
    assert_eq!(ports("http"), Value::Null);

    // The OpenAPI document it serves is the committed one (which the editor's types are
    // generated from): a field renamed in the code fails here until both are regenerated.
    let served = send(server.get("/api/v1/openapi.json")).await;
    served.expect_status(200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/openapi.json"
        ))
        .expect("docs/openapi.json"),
    )
    .unwrap();
    assert!(
        served.json() == committed,
        "the served OpenAPI document is not docs/openapi.json: regenerate it with `cargo run -p weft -- openapi > docs/openapi.json`"
    );

    let schema = send(server.get("/api/v1/schema/workflow.json")).await;
    schema.expect_status(200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/workflow.schema.json"
        ))
        .expect("docs/workflow.schema.json"),
    )
    .unwrap();
    assert_eq!(
        schema.json(),
        committed,
        "the served schema is the committed one"
    );
    // Editors' `$schema=` lines can fetch it without a key.
    let public = send(
        server
            .http
            .get(format!("{}/schema/workflow.json", server.url)),
    )
    .await;
    public.expect_status(200);
    assert_eq!(public.json(), committed);
}

async fn the_trigger_kinds_are_listed(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let reply = send(server.get("/api/v1/triggers")).await;
    reply.expect_status(200);
    let list = reply.json();
    assert_eq!(list["next_cursor"], Value::Null, "{list}");
    let items = list["items"].as_array().expect("a list");
    let kinds: Vec<&str> = items.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["webhook", "schedule", "manual"]);
    for t in items {
        assert_eq!(
            t.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["kind", "title", "description"],
            "{t}"
        );
        assert!(!t["title"].as_str().unwrap().is_empty(), "{t}");
        assert!(!t["description"].as_str().unwrap().is_empty(), "{t}");
    }
}

on_both_backends!(
    the_trigger_kinds_are_listed,
    credentials_are_listed_by_name_and_type_never_with_their_secret,
    unknown_api_routes_and_methods_answer_in_the_error_shape,
    every_api_route_refuses_a_request_without_a_valid_key,
    the_openapi_document_lists_every_route_of_the_api,
    health_checks_answer_without_a_key,
    the_actions_and_the_workflow_schema_are_served,
    the_environment_names_the_allow_listed_variables_never_their_values,
);

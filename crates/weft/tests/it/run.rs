//! `weft run`: inputs reach the trigger, outputs reach stdout, and exit codes tell success (0),
//! a failed execution (1) and an invalid workflow or usage (2) apart.

use serde_json::json;
use tests::MockApi;

use crate::support::{TempFiles, run, weft, workflow_file};

#[tokio::test]
async fn a_failing_step_makes_the_run_exit_1_and_is_named() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Fails
trigger: { type: manual }
steps:
  - id: check_stock
    action: fail
    with: { message: "out of stock" }
  - id: never
    action: set
    with: { value: unreachable }
"#,
    );
    let out = run(&file, &mock).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("check_stock"), "{out}");
    assert!(out.stderr.contains("out of stock"), "{out}");
}

#[tokio::test]
async fn a_wait_is_refused_naming_the_server_that_keeps_it() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Waits
trigger: { type: manual }
steps:
  - id: hold
    action: wait
    with: { for: callback }
"#,
    );
    let out = run(&file, &mock).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("hold"), "{out}");
    assert!(out.stderr.contains("`weft serve`"), "{out}");
}

#[tokio::test]
async fn a_failing_http_call_makes_the_run_exit_1() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Missing user
trigger: { type: manual }
steps:
  - id: get_user
    action: http
    with:
      url: "{{env.API_URL}}/users/999"
"#,
    );
    let out = run(&file, &mock).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("get_user"), "{out}");
    assert!(out.stderr.contains("404"), "{out}");
}

#[tokio::test]
async fn an_invalid_workflow_exits_2_without_running_anything() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Invalid
trigger: { type: manual }
steps:
  - id: create
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json: { email: a@example.com }
  - id: oops
    action: sendd_email
"#,
    );
    let out = run(&file, &mock).output().await;
    out.exit_code(2);
    assert!(out.stderr.contains("sendd_email"), "{out}");
    assert!(
        mock.requests().is_empty(),
        "nothing ran: {:?}",
        mock.requests()
    );
}

#[tokio::test]
async fn input_that_is_not_json_is_a_usage_error() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        "name: Echo\ntrigger: { type: manual }\nsteps:\n  - id: out\n    action: set\n    with: { value: hi }\n",
    );
    let out = run(&file, &mock)
        .arg("--input")
        .arg("{not json")
        .output()
        .await;
    out.exit_code(2);
}

#[tokio::test]
async fn a_missing_workflow_file_is_a_usage_error() {
    let files = TempFiles::new();
    let out = weft(["run", "no-such-file.yaml"])
        .current_dir(files.dir())
        .output()
        .await;
    out.exit_code(2);
    assert!(out.stderr.contains("no-such-file.yaml"), "{out}");
}

#[tokio::test]
async fn input_can_be_read_from_a_file_with_an_at_sign() {
    let mock = MockApi::start().await;
    let (files, file) = workflow_file(
        r#"
name: Greets
trigger: { type: manual }
steps:
  - id: greeting
    action: set
    with:
      value:
        text: "Hello {{trigger.body.name}}"
        tags: "{{trigger.body.tags}}"
"#,
    );
    let input = files.write("input.json", r#"{"name": "Ada", "tags": ["a", "b"]}"#);
    let out = run(&file, &mock)
        .arg("--input")
        .arg(format!("@{}", input.display()))
        .output()
        .await;
    out.success();
    assert_eq!(
        out.json(),
        json!({ "text": "Hello Ada", "tags": ["a", "b"] }),
        "{out}"
    );
}

#[tokio::test]
async fn headers_and_query_parameters_reach_the_trigger() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Forwards
trigger:
  type: webhook
  path: forward
  respond: sync
steps:
  - id: call
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/echo"
      headers:
        x-tenant: "{{trigger.headers.x-tenant}}"
      query:
        colour: "{{trigger.query.colour}}"
      json:
        order: "{{trigger.body.order}}"
  - id: reply
    action: respond
    with:
      status: 202
      body:
        tenant: "{{steps.call.body.headers.x-tenant}}"
        colour: "{{steps.call.body.query.colour}}"
        order: "{{steps.call.body.body.order}}"
"#,
    );
    let out = run(&file, &mock)
        .input(&json!({ "order": 42 }))
        .args(["--header", "X-Tenant:acme", "--query", "colour=blue"])
        .output()
        .await;
    out.success();

    let calls = mock.requests_to("POST", "/echo");
    assert_eq!(calls.len(), 1, "{out}");
    assert_eq!(calls[0].header("x-tenant"), Some("acme"));
    assert_eq!(calls[0].query, "colour=blue");
    assert_eq!(calls[0].body, json!({ "order": 42 }));

    let response = out.json();
    assert_eq!(response["status"], 202, "{out}");
    assert_eq!(
        response["body"],
        json!({ "tenant": "acme", "colour": "blue", "order": 42 }),
        "{out}"
    );
}

#[tokio::test]
async fn allow_listed_process_variables_reach_env() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Reads env
trigger: { type: manual }
steps:
  - id: greeting
    action: set
    with:
      value: "{{env.WEFT_IT_GREETING}} from {{env.API_URL}}"
"#,
    );
    let out = run(&file, &mock)
        .process_env("WEFT_IT_GREETING", "hello")
        .args(["--allow-env", "WEFT_IT_GREETING"])
        .output()
        .await;
    out.success();
    assert_eq!(
        out.json(),
        json!(format!("hello from {}", mock.base_url())),
        "{out}"
    );
}

#[tokio::test]
async fn a_retried_call_sends_the_same_idempotency_key_on_every_attempt() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Retried create
trigger: { type: manual }
steps:
  - id: submit
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/flaky/submit?fail=2"
      json: { order: 1 }
    retry: { max_attempts: 3, backoff: fixed, initial_delay: 10ms }
"#,
    );
    let out = run(&file, &mock).output().await;
    out.success();
    let calls = mock.requests_to("POST", "/flaky/submit");
    assert_eq!(calls.len(), 3, "{out}");
    let key = calls[0].idempotency_key();
    assert!(
        key.is_some_and(|k| !k.is_empty()),
        "the call carries an idempotency key: {:?}",
        calls[0].headers
    );
    assert!(
        calls.iter().all(|c| c.idempotency_key() == key),
        "the same key on every attempt: {calls:?}"
    );
}

#[tokio::test]
async fn retries_stop_after_max_attempts_and_the_run_fails() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Gives up
trigger: { type: manual }
steps:
  - id: fetch
    action: http
    with:
      url: "{{env.API_URL}}/flaky/never?fail=100"
    retry: { max_attempts: 3, initial_delay: 10ms }
"#,
    );
    let out = run(&file, &mock).output().await;
    out.exit_code(1);
    assert_eq!(mock.count("GET", "/flaky/never"), 3, "{out}");
}

#[tokio::test]
async fn the_schema_command_prints_the_workflow_json_schema() {
    let out = weft(["schema"]).output().await;
    out.success();
    let schema = out.json();
    let properties = &schema["properties"];
    for field in ["name", "trigger", "steps"] {
        assert!(
            properties.get(field).is_some(),
            "the schema describes `{field}`\n{out}"
        );
    }
}

#[tokio::test]
async fn credentials_from_a_file_or_the_environment_authenticate_calls_and_stay_out_of_the_output()
{
    let mock = MockApi::start().await;
    let (files, file) = workflow_file(
        r#"
name: Authenticated
trigger: { type: manual }
steps:
  - id: with_file
    action: http
    with: { url: "{{env.API_URL}}/echo", credential: crm-api }
  - id: with_env
    action: http
    with: { url: "{{env.API_URL}}/echo", credential: legacy-basic }
  - id: reply
    action: set
    with:
      value:
        file: "{{steps.with_file.body.headers.authorization}}"
        env: "{{steps.with_env.body.headers.authorization}}"
"#,
    );
    let creds = files.write(
        "creds.yaml",
        "crm-api: {type: bearer, token: file-token-123, allowed_hosts: [\"127.0.0.1\"]}\n",
    );
    let out = run(&file, &mock)
        .arg("--credentials")
        .arg(creds)
        .process_env(
            "WEFT_CREDENTIAL_LEGACY_BASIC",
            r#"{"type": "basic", "username": "ann", "password": "pw"}"#,
        )
        .arg("--record")
        .output()
        .await;
    out.success();
    let record = out.json();
    let steps = record["steps"].as_array().unwrap();
    // The mock echoed each credential exactly (`Bearer file-token-123`, `Basic
    // base64(ann:pw)`): the step's output masks the echo.
    assert_eq!(steps[2]["output"]["file"], "Bearer ***");
    assert_eq!(steps[2]["output"]["env"], "Basic ***");
    assert!(!record.to_string().contains("file-token-123"));
    assert!(!record.to_string().contains("YW5uOnB3"));
    // The rendered inputs name the credential; the secret itself is nowhere in them.
    assert_eq!(steps[0]["input"]["credential"], "crm-api");
    assert!(!steps[0]["input"].to_string().contains("file-token-123"));
    assert!(!steps[1]["input"].to_string().contains("YW5uOnB3"));
}

const CALLS_THE_MOCK: &str = r#"
name: Calls the mock
trigger: { type: manual }
steps:
  - id: get_user
    action: http
    with:
      url: "{{env.API_URL}}/users/{{url_encode trigger.body.id}}"
"#;

#[tokio::test]
async fn a_loopback_call_is_refused_unless_allowed_naming_the_rule() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(CALLS_THE_MOCK);
    let out = run(&file, &mock)
        .input(&json!({"id": "1"}))
        .process_env("WEFT_OUTBOUND_ALLOW", "")
        .output()
        .await;
    out.exit_code(1);
    assert!(
        out.stderr
            .contains("refused: 127.0.0.1 is a loopback address")
            && out.stderr.contains("WEFT_OUTBOUND_ALLOW"),
        "{out}"
    );
}

#[tokio::test]
async fn an_invalid_outbound_allow_entry_is_a_usage_error_naming_it() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(CALLS_THE_MOCK);
    let out = run(&file, &mock)
        .args(["--outbound-allow", "127.0.0.1/32,10.0.0.0/33"])
        .output()
        .await;
    out.exit_code(2);
    assert!(out.stderr.contains("`10.0.0.0/33`"), "{out}");
}

#[tokio::test]
async fn a_url_encoded_dot_dot_cannot_climb_out_of_the_path() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(CALLS_THE_MOCK);
    let out = run(&file, &mock).input(&json!({"id": ".."})).output().await;
    out.exit_code(1);
    assert!(
        out.stderr.contains("url") && out.stderr.contains("segment"),
        "{out}"
    );
}

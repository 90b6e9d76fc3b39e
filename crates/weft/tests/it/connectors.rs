//! Connectors and pagination without a server: `weft run --connector` sends the request an
//! operation describes (method, path with encoded parameters, form body, basic auth) to a
//! local stand-in for Twilio; `weft validate --connector` locates step problems; an `http`
//! step's `paginate` reads every kind of paged list from the mock and `max_pages` stops an
//! endless one.

use serde_json::{Value, json};
use tests::{MockApi, TWILIO_ACCOUNT, TWILIO_TOKEN};

use crate::support::{TempFiles, run, weft, workflow_file};

pub fn shared(path: &str) -> String {
    format!("{}/../../tests/openapi/{path}", env!("CARGO_MANIFEST_DIR"))
}

const SMS: &str = r#"
name: Text a customer
trigger: { type: manual }
steps:
  - id: send_sms
    action: twilio.CreateMessage
    with:
      AccountSid: "{{trigger.body.account}}"
      credential: twilio
      body:
        To: "{{trigger.body.phone}}"
        From: "+15005550006"
        Body: "Hello {{trigger.body.name}} & welcome"
"#;

fn twilio_credentials(files: &TempFiles) -> std::path::PathBuf {
    files.write(
        "credentials.yaml",
        &format!(
            "twilio: {{type: basic, username: {TWILIO_ACCOUNT}, password: {TWILIO_TOKEN}, allowed_hosts: [\"127.0.0.1\"]}}\n"
        ),
    )
}

#[tokio::test]
async fn a_twilio_message_is_sent_as_the_operation_describes() {
    let mock = MockApi::start().await;
    let (files, file) = workflow_file(SMS);
    let creds = twilio_credentials(&files);
    let out = run(&file, &mock)
        .arg("--connector")
        .arg(format!("twilio={}", shared("twilio/twilio_api_v2010.yaml")))
        .arg("--connector-base-url")
        .arg(format!("twilio={}/twilio", mock.base_url()))
        .arg("--credentials")
        .arg(&creds)
        .input(&json!({"account": TWILIO_ACCOUNT, "phone": "+15551230000", "name": "Ada"}))
        .output()
        .await;
    out.success();
    let output = out.json();
    assert_eq!(output["status"], 201, "{out}");
    assert_eq!(output["body"]["to"], "+15551230000", "{out}");
    assert_eq!(output["body"]["body"], "Hello Ada & welcome", "{out}");

    let sent = mock.requests_to("POST", "/twilio/");
    assert_eq!(sent.len(), 1, "{sent:?}");
    let r = &sent[0];
    assert_eq!(
        r.path,
        format!("/twilio/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json")
    );
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded"),
        "{r:?}"
    );
    let body = r.body.as_str().unwrap();
    assert!(body.contains("To=%2B15551230000"), "{body}");
    assert!(body.contains("Body=Hello+Ada+%26+welcome"), "{body}");
    assert!(
        r.header("authorization").unwrap().starts_with("Basic "),
        "{r:?}"
    );
    assert!(
        r.idempotency_key().is_some(),
        "a POST carries an Idempotency-Key"
    );
}

#[tokio::test]
async fn path_parameters_are_encoded_and_a_credential_stays_on_its_hosts() {
    let mock = MockApi::start().await;
    let (files, file) = workflow_file(SMS);
    // Bound to another host: refused before anything is sent.
    let creds = files.write(
        "credentials.yaml",
        &format!("twilio: {{type: basic, username: {TWILIO_ACCOUNT}, password: {TWILIO_TOKEN}, allowed_hosts: [api.twilio.com]}}\n"),
    );
    let out = run(&file, &mock)
        .arg("--connector")
        .arg(format!("twilio={}", shared("twilio/twilio_api_v2010.yaml")))
        .arg("--connector-base-url")
        .arg(format!("twilio={}/twilio", mock.base_url()))
        .arg("--credentials")
        .arg(&creds)
        .input(&json!({"account": "AC/../x y", "phone": "+1", "name": "A"}))
        .output()
        .await;
    out.exit_code(1);
    assert!(
        out.stderr.contains("api.twilio.com") || out.stderr.contains("127.0.0.1"),
        "{out}"
    );
    assert_eq!(
        mock.requests_to("POST", "/twilio/").len(),
        0,
        "nothing was sent"
    );

    // Without a credential, the path parameter goes encoded as one segment.
    let (_f2, file) = workflow_file(&SMS.replace("      credential: twilio\n", ""));
    let out = run(&file, &mock)
        .arg("--connector")
        .arg(format!("twilio={}", shared("twilio/twilio_api_v2010.yaml")))
        .arg("--connector-base-url")
        .arg(format!("twilio={}/echo", mock.base_url()))
        .input(&json!({"account": "AC/../x y", "phone": "+1", "name": "A"}))
        .output()
        .await;
    out.success();
    let sent = mock.requests_to("POST", "/echo/");
    assert_eq!(
        sent[0].path,
        "/echo/2010-04-01/Accounts/AC%2F..%2Fx%20y/Messages.json"
    );
}

#[tokio::test]
async fn validate_locates_connector_step_problems() {
    let (files, _) = workflow_file("");
    let file = files.write(
        "bad.yaml",
        r#"
name: Bad steps
trigger: { type: manual }
steps:
  - id: typo
    action: twilio.CreateMesage
  - id: missing
    action: twilio.CreateMessage
    with:
      body: { To: "+1", Attempt: "many" }
      colour: red
"#,
    );
    let out = weft(["validate"])
        .arg(&file)
        .arg("--connector")
        .arg(format!("twilio={}", shared("twilio/twilio_api_v2010.yaml")))
        .arg("--format")
        .arg("json")
        .output()
        .await;
    out.exit_code(1);
    let problems: Vec<Value> = out.json()["files"][0]["problems"]
        .as_array()
        .unwrap()
        .clone();
    let find = |step: &str, field: &str| {
        problems
            .iter()
            .find(|p| p["step"] == step && p["field"] == field)
            .unwrap_or_else(|| panic!("no problem at {step}/{field}: {problems:#?}"))
            .clone()
    };
    assert!(
        find("typo", "action")["message"]
            .as_str()
            .unwrap()
            .contains("twilio.CreateMessage")
    );
    let missing = find("missing", "with.AccountSid");
    assert!(missing["location"]["line"].as_u64().is_some(), "{missing}");
    find("missing", "with.body.Attempt");
    find("missing", "with.colour");

    // Without the connector, the message says how to give it.
    let out = weft(["validate"]).arg(&file).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("--connector"), "{out}");
}

#[tokio::test]
async fn a_document_with_problems_is_refused_with_pointer_and_line() {
    let (files, _) = workflow_file("");
    let doc = files.write(
        "broken.yaml",
        "openapi: 3.0.3\ninfo: {title: Broken, version: '1'}\nservers: [{url: 'https://api.example.com'}]\npaths:\n  /users/{id}:\n    get:\n      operationId: getUser\n      responses:\n        '200':\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Missing'}\n",
    );
    let wf = files.write(
        "wf.yaml",
        "name: x\ntrigger: {type: manual}\nsteps:\n  - {id: a, action: set, with: {value: 1}}\n",
    );
    let out = weft(["validate"])
        .arg(&wf)
        .arg("--connector")
        .arg(&doc)
        .output()
        .await;
    out.exit_code(2);
    assert!(out.stderr.contains("#/components/schemas/Missing"), "{out}");
    assert!(out.stderr.contains("line 12"), "{out}");
}

async fn paged(mock: &MockApi, url: &str, paginate: &str) -> Value {
    let (_files, file) = workflow_file(&format!(
        "name: Pages\ntrigger: {{type: manual}}\nsteps:\n  - id: list\n    action: http\n    with:\n      url: \"{{{{env.API_URL}}}}{url}\"\n      paginate: {paginate}\n"
    ));
    let out = run(&file, mock).arg("--record").output().await;
    out.success();
    let record = out.json();
    let step = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == "list")
        .unwrap()
        .clone();
    step["output"].clone()
}

fn ids(output: &Value) -> Vec<u64> {
    output["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn paginate_reads_every_kind_of_paged_list() {
    let mock = MockApi::start().await;
    let all: Vec<u64> = (1..=7).collect();
    for (url, paginate, pages) in [
        ("/pages/next", "{next_url: body.next, items: body.data}", 3),
        ("/pages/link", "{next_url: link}", 3),
        (
            "/pages/cursor",
            "{cursor: {from: body.meta.next_cursor, param: cursor}, items: body.data}",
            3,
        ),
        // Page and offset stop at the first empty page.
        ("/pages/page", "{page: {param: page}, items: body.items}", 4),
        (
            "/pages/offset",
            "{offset: {param: offset, limit_param: limit, limit: 3}, items: body.results}",
            4,
        ),
    ] {
        let output = paged(&mock, url, paginate).await;
        assert_eq!(ids(&output), all, "{url}: {output}");
        let recorded = output["pages"].as_array().unwrap();
        assert_eq!(recorded.len(), pages, "{url}: {output}");
        assert!(
            recorded.iter().all(|p| p["status"] == 200),
            "{url}: {output}"
        );
    }
    // Each page request is recorded with its URL.
    let output = paged(
        &mock,
        "/pages/page",
        "{page: {param: page, start: 1}, items: body.items}",
    )
    .await;
    assert!(
        output["pages"][1]["url"]
            .as_str()
            .unwrap()
            .ends_with("/pages/page?page=2"),
        "{output}"
    );
    assert_eq!(mock.count("GET", "/pages/cursor"), 3);
}

#[tokio::test]
async fn max_pages_stops_a_list_that_never_ends() {
    let mock = MockApi::start().await;
    let output = paged(
        &mock,
        "/pages/endless",
        "{next_url: body.next, items: body.data, max_pages: 5}",
    )
    .await;
    assert_eq!(output["pages"].as_array().unwrap().len(), 5);
    assert_eq!(ids(&output), (1..=15).collect::<Vec<_>>());
    assert_eq!(mock.count("GET", "/pages/endless"), 5);
}

#[tokio::test]
async fn a_paginate_without_a_rule_is_a_located_problem() {
    let (_files, file) = workflow_file(
        "name: P\ntrigger: {type: manual}\nsteps:\n  - id: list\n    action: http\n    with:\n      url: http://127.0.0.1:9/\n      paginate: {items: body, cursor: {from: body.c, param: c}, page: {param: p}}\n",
    );
    let out = weft(["validate"]).arg(&file).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("paginate.page"), "{out}");
    assert!(out.stderr.contains("use one"), "{out}");
}

#[tokio::test]
async fn the_connector_example_runs_with_its_connector() {
    let mock = MockApi::start().await;
    let files = TempFiles::new();
    let creds = twilio_credentials(&files);
    let example = format!(
        "{}/../../workflows-examples/connectors/text-new-contacts.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run(std::path::Path::new(&example), &mock)
        .arg("--connector")
        .arg(format!("twilio={}", shared("twilio/twilio_api_v2010.yaml")))
        .arg("--connector-base-url")
        .arg(format!("twilio={}/twilio", mock.base_url()))
        .arg("--credentials")
        .arg(&creds)
        .env_var("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT)
        .env_var("TWILIO_FROM", "+15005550006")
        .input(&json!({"name": "Ada", "phone": "+15551230000"}))
        .output()
        .await;
    out.success();
    let answer = out.json();
    assert_eq!(answer["status"], 201, "{out}");
    let contact = mock.contacts()[0]["id"].clone();
    assert_eq!(answer["body"]["contact_id"], contact, "{out}");
    assert_eq!(answer["body"]["message_status"], "queued", "{out}");
    let sent = mock.requests_to("POST", "/twilio/");
    let body = sent[0].body.as_str().unwrap();
    assert!(body.contains(&format!("number+is+{contact}")), "{body}");
}

#[tokio::test]
async fn query_and_path_parameters_go_encoded_as_the_operation_says() {
    let mock = MockApi::start().await;
    let (_files, file) = workflow_file(
        r#"
name: Look up a number
trigger: { type: manual }
steps:
  - id: lookup
    action: lookups.FetchPhoneNumber
    with:
      PhoneNumber: "{{trigger.body.number}}"
      Fields: "caller_name,sim_swap"
      FirstName: "Ada & Bo"
"#,
    );
    let out = run(&file, &mock)
        .arg("--connector")
        .arg(format!(
            "lookups={}",
            shared("twilio/twilio_lookups_v2.yaml")
        ))
        .arg("--connector-base-url")
        .arg(format!("lookups={}/echo", mock.base_url()))
        .input(&json!({"number": "+1 555/123?x#y"}))
        .output()
        .await;
    out.success();
    let sent = mock.requests_to("GET", "/echo/");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path,
        "/echo/v2/PhoneNumbers/%2B1%20555%2F123%3Fx%23y"
    );
    assert_eq!(
        sent[0].query,
        "Fields=caller_name%2Csim_swap&FirstName=Ada+%26+Bo"
    );
    assert!(
        sent[0].idempotency_key().is_none(),
        "a GET carries no Idempotency-Key"
    );
}

#[tokio::test]
async fn a_connector_step_paginates_like_an_http_step() {
    let mock = MockApi::start().await;
    let files = TempFiles::new();
    let doc = files.write(
        "things.yaml",
        &format!(
            "openapi: 3.0.3\ninfo: {{title: Things, version: '1'}}\nservers: [{{url: '{}'}}]\npaths:\n  /pages/cursor:\n    get:\n      operationId: listThings\n      parameters:\n        - {{name: cursor, in: query, schema: {{type: string}}}}\n      responses:\n        '200': {{description: ok}}\n",
            mock.base_url()
        ),
    );
    let wf = files.write(
        "wf.yaml",
        "name: All things\ntrigger: {type: manual}\nsteps:\n  - id: list\n    action: things.listThings\n    with:\n      paginate: {cursor: {from: body.meta.next_cursor, param: cursor}, items: body.data, max_pages: 10}\n",
    );
    let out = run(&wf, &mock)
        .arg("--connector")
        .arg(&doc)
        .arg("--record")
        .output()
        .await;
    out.success();
    let record = out.json();
    let output = &record["steps"][0]["output"];
    assert_eq!(ids(output), (1..=7).collect::<Vec<_>>(), "{output}");
    assert_eq!(output["pages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_next_page_on_another_origin_is_refused_before_anything_is_sent_there() {
    let mock = MockApi::start().await;
    let other = MockApi::start().await;
    let (_files, file) = workflow_file(&format!(
        "name: Pages\ntrigger: {{type: manual}}\nsteps:\n  - id: list\n    action: http\n    with:\n      url: \"{{{{env.API_URL}}}}/pages/elsewhere?to={}\"\n      paginate: {{next_url: body.next, items: body.data}}\n",
        other.addr().port()
    ));
    let out = run(&file, &mock).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("another origin"), "{out}");
    assert_eq!(
        other.requests().len(),
        0,
        "nothing reached the other origin"
    );
}

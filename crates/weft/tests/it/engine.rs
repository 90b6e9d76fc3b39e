//! Data-driven engine tests: a workflow (YAML), an input, and a snapshot of what happened,
//! run in-process with the real actions against the mock API on 127.0.0.1.

use std::sync::Mutex;

use async_trait::async_trait;
use engine::journal::JournalError;
use engine::{
    Cancel, ExecutionResult, Journal, Run, StepEvent, StepResult, StepStatus, TriggerEvent,
};
use expect_test::{Expect, expect};
use serde_json::{Map, Value, json};
use tests::MockApi;
use uuid::Uuid;

/// Records every event, and checks as they come that a step starts only after all of its
/// inputs finished.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
    finished: Mutex<Vec<String>>,
    inputs: Vec<(String, Vec<String>)>,
}

#[async_trait]
impl Journal for Recorder {
    async fn record(&self, _: Uuid, event: StepEvent<'_>) -> Result<(), JournalError> {
        let line = match event {
            StepEvent::Started {
                step_id,
                item_index,
                attempt,
                ..
            } => {
                let finished = self.finished.lock().unwrap();
                if let Some((_, ins)) = self.inputs.iter().find(|(id, _)| id == step_id) {
                    for i in ins {
                        assert!(
                            finished.contains(i),
                            "`{step_id}` started before its input `{i}` was journaled"
                        );
                    }
                }
                format!(
                    "start {step_id}{} #{attempt}",
                    item_index.map(|i| format!("[{i}]")).unwrap_or_default()
                )
            }
            StepEvent::Retrying {
                step_id, attempt, ..
            } => format!("retry {step_id} after #{attempt}"),
            StepEvent::Finished(r) => {
                self.finished.lock().unwrap().push(r.step_id.clone());
                format!("finish {} {}", r.step_id, r.status.as_str())
            }
        };
        self.events.lock().unwrap().push(line);
        Ok(())
    }
}

struct Outcome {
    result: ExecutionResult,
    journal: Vec<String>,
}

async fn execute(
    yaml: &str,
    input: Value,
    api: &MockApi,
    resume: Vec<StepResult>,
    cancel: Option<Cancel>,
) -> Outcome {
    let policy =
        actions::outbound::Policy::parse(&crate::support::host_port(&api.base_url())).unwrap();
    let registry = weft::registry_with(policy);
    let plan = match engine::load(yaml, Some("test.yaml"), &registry) {
        Ok(p) => p,
        Err(problems) => panic!("invalid test workflow:\n{problems}"),
    };
    let mut env = Map::new();
    env.insert("API_URL".into(), Value::String(api.base_url()));
    let recorder = Recorder {
        inputs: plan
            .steps
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    s.inputs
                        .iter()
                        .map(|(j, _)| plan.steps[*j].id.clone())
                        .collect(),
                )
            })
            .collect(),
        // Resumed steps were journaled by the earlier attempt.
        finished: Mutex::new(resume.iter().map(|r| r.step_id.clone()).collect()),
        ..Default::default()
    };
    let creds = engine::credentials::NoCredentials;
    let mut run = Run::new(
        Uuid::now_v7(),
        TriggerEvent {
            kind: "manual".into(),
            method: "POST".into(),
            body: input,
            ..Default::default()
        },
        &env,
        &creds,
        &recorder,
    );
    run.resume = resume;
    run.cancel = cancel;
    let result = engine::execute(&plan, &run).await;
    let journal = recorder.events.lock().unwrap().clone();
    Outcome { result, journal }
}

/// A compact, stable rendering of an execution: one line per step, then the result.
fn summary(r: &ExecutionResult) -> String {
    let mut out = String::new();
    for s in &r.steps {
        out.push_str(&format!("{} {}", s.step_id, s.status.as_str()));
        if let Some(p) = &s.port {
            out.push_str(&format!(" →{p}"));
        }
        if s.attempts > 1 {
            out.push_str(&format!(" x{}", s.attempts));
        }
        if let Some(o) = &s.output {
            out.push_str(&format!(" {}", stable(o)));
        }
        if let Some(e) = &s.error {
            out.push_str(&format!(" error: {e}"));
        }
        out.push('\n');
    }
    out.push_str(&format!("=> {}", r.status.as_str()));
    if let Some(e) = &r.error {
        out.push_str(&format!(" at {:?}: {}", e.step_id, e.message));
    }
    if let Some(resp) = &r.response {
        out.push_str(&format!(" respond {} {}", resp.status, stable(&resp.body)));
    }
    out.push('\n');
    scrub_api_url(&out)
}

/// The mock API's port changes from run to run.
fn scrub_api_url(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("http://127.0.0.1:") {
        out.push_str(&rest[..i]);
        out.push_str("<api>");
        rest =
            rest[i + "http://127.0.0.1:".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// JSON without the parts that change from run to run (ids, times, ports, dates).
fn stable(v: &Value) -> String {
    fn scrub(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "headers" | "created_at" | "updated_at"))
                    .map(|(k, v)| (k.clone(), scrub(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(scrub).collect()),
            other => other.clone(),
        }
    }
    scrub(v).to_string()
}

async fn check(yaml: &str, input: Value, expect: Expect) -> (Outcome, MockApi) {
    let api = MockApi::start().await;
    let o = execute(yaml, input, &api, Vec::new(), None).await;
    expect.assert_eq(&summary(&o.result));
    (o, api)
}

#[tokio::test]
async fn a_created_id_flows_into_the_next_calls_and_the_response() {
    let (_, api) = check(
        r#"
name: chain
trigger: { type: manual }
steps:
  - id: create_user
    action: http
    with: { method: POST, url: "{{env.API_URL}}/users", json: { email: "{{trigger.body.email}}" } }
  - id: get_user
    action: http
    with: { url: "{{env.API_URL}}/users/{{steps.create_user.body.id}}" }
  - id: reply
    action: respond
    with: { status: 201, body: { id: "{{steps.get_user.body.id}}", email: "{{steps.get_user.body.email}}" } }
"#,
        json!({"email": "ann@example.com"}),
        expect![[r#"
            create_user succeeded {"status":201,"body":{"id":1,"email":"ann@example.com"}}
            get_user succeeded {"status":200,"body":{"id":1,"email":"ann@example.com"}}
            reply succeeded {"status":201,"body":{"id":1,"email":"ann@example.com"}}
            => succeeded respond 201 {"id":1,"email":"ann@example.com"}
        "#]],
    )
    .await;
    assert_eq!(api.count("GET", "/users/1"), 1);
}

const BRANCHES: &str = r#"
name: branches
trigger: { type: manual }
steps:
  - id: big
    action: if
    with: { condition: "{{gt trigger.body.amount 1000}}" }
  - id: vip
    action: set
    after: [big.true]
    with: { value: vip }
  - id: vip_followup
    action: set
    with: { value: "{{steps.vip}}-2" }
  - id: normal
    action: set
    after: [big.false]
    with: { value: normal }
  - id: merge
    action: set
    after: [vip_followup, normal]
    with: { value: "{{default steps.vip_followup steps.normal}}" }
"#;

#[tokio::test]
async fn an_if_runs_one_branch_skips_the_other_and_the_merge_runs_either_way() {
    check(
        BRANCHES,
        json!({"amount": 5000}),
        expect![[r#"
            big succeeded →true {"result":true}
            vip succeeded "vip"
            vip_followup succeeded "vip-2"
            normal skipped
            merge succeeded "vip-2"
            => succeeded
        "#]],
    )
    .await;
    check(
        BRANCHES,
        json!({"amount": 10}),
        expect![[r#"
            big succeeded →false {"result":false}
            vip skipped
            vip_followup skipped
            normal succeeded "normal"
            merge succeeded "normal"
            => succeeded
        "#]],
    )
    .await;
}

#[tokio::test]
async fn a_switch_takes_the_matching_case_or_default() {
    let wf = r#"
name: switch
trigger: { type: manual }
steps:
  - id: route
    action: switch
    with: { value: "{{trigger.body.plan}}", cases: { pro: pro, free: free } }
  - id: pro
    action: set
    after: [route.pro]
    with: { value: 1 }
  - id: other
    action: set
    after: [route.default]
    with: { value: 2 }
"#;
    check(
        wf,
        json!({"plan": "pro"}),
        expect![[r#"
            route succeeded →pro {"case":"pro"}
            pro succeeded 1
            other skipped
            => succeeded
        "#]],
    )
    .await;
    check(
        wf,
        json!({"plan": "team"}),
        expect![[r#"
            route succeeded →default {"case":"default"}
            pro skipped
            other succeeded 2
            => succeeded
        "#]],
    )
    .await;
}

#[tokio::test]
async fn continue_on_error_makes_the_failure_an_output_and_the_run_goes_on() {
    check(
        r#"
name: continue
trigger: { type: manual }
steps:
  - id: missing
    action: http
    continue_on_error: true
    with: { url: "{{env.API_URL}}/users/999" }
  - id: after
    action: set
    with: { value: "{{steps.missing.details.status}}" }
"#,
        json!({}),
        expect![[r#"
            missing failed {"error":"GET <api>/users/999 answered 404 Not Found","details":{"status":404,"body":{"error":"no user with id `999`"}}} error: GET <api>/users/999 answered 404 Not Found
            after succeeded 404
            => succeeded
        "#]],
    )
    .await;
}

#[tokio::test]
async fn a_failure_cancels_running_branches_and_starts_nothing_more() {
    let (o, _) = check(
        r#"
name: fail fast
trigger: { type: manual }
steps:
  - id: slow
    action: delay
    after: []
    with: { duration: 30s }
  - id: after_slow
    action: set
    with: { value: 1 }
  - id: boom
    action: fail
    after: []
    with: { message: "card declined" }
"#,
        json!({}),
        expect![[r#"
            slow cancelled error: card declined
            after_slow cancelled
            boom failed error: card declined
            => failed at Some("boom"): card declined
        "#]],
    )
    .await;
    assert!(
        !o.journal.iter().any(|e| e.contains("after_slow")),
        "{:?}",
        o.journal
    );
}

#[tokio::test]
async fn retries_follow_retry_after_and_keep_one_idempotency_key() {
    let (o, api) = check(
        r#"
name: retry
trigger: { type: manual }
steps:
  - id: flaky
    action: http
    retry: { max_attempts: 4, initial_delay: 5ms }
    with: { method: POST, url: "{{env.API_URL}}/flaky/k1?fail=2" }
"#,
        json!({}),
        expect![[r#"
            flaky succeeded x3 {"status":200,"body":{"attempts":3}}
            => succeeded
        "#]],
    )
    .await;
    assert_eq!(
        o.journal,
        [
            "start flaky #1",
            "retry flaky after #1",
            "start flaky #2",
            "retry flaky after #2",
            "start flaky #3",
            "finish flaky succeeded"
        ]
    );
    let keys: Vec<_> = api
        .requests_to("POST", "/flaky/k1")
        .iter()
        .map(|r| r.idempotency_key().map(str::to_string))
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(
        keys[0].is_some() && keys.iter().all(|k| *k == keys[0]),
        "{keys:?}"
    );
}

#[tokio::test]
async fn retries_stop_at_max_attempts_and_non_retryable_errors_are_not_retried() {
    check(
        r#"
name: retry exhausted
trigger: { type: manual }
steps:
  - id: flaky
    action: http
    continue_on_error: true
    retry: { max_attempts: 2, initial_delay: 1ms }
    with: { url: "{{env.API_URL}}/flaky/k2?fail=5" }
  - id: missing
    action: http
    retry: { max_attempts: 3, initial_delay: 1ms }
    with: { url: "{{env.API_URL}}/users/12345" }
"#,
        json!({}),
        expect![[r#"
            flaky failed x2 {"error":"GET <api>/flaky/k2?fail=5 answered 503 Service Unavailable","details":{"status":503,"body":{"error":"flaky: failing attempt 2 of 5"}}} error: GET <api>/flaky/k2?fail=5 answered 503 Service Unavailable
            missing failed error: GET <api>/users/12345 answered 404 Not Found
            => failed at Some("missing"): GET <api>/users/12345 answered 404 Not Found
        "#]],
    )
    .await;
}

#[tokio::test]
async fn for_each_runs_per_item_and_keeps_the_item_order() {
    let (_, api) = check(
        r#"
name: each
trigger: { type: manual }
steps:
  - id: create
    action: http
    for_each: "{{trigger.body.contacts}}"
    concurrency: 3
    with: { method: POST, url: "{{env.API_URL}}/contacts", json: { email: "{{item.email}}", n: "{{index}}" } }
  - id: ids
    action: set
    with: { value: { count: "{{len steps.create}}", first: "{{steps.create.0.body.n}}", last: "{{steps.create.3.body.n}}" } }
"#,
        json!({"contacts": [{"email": "a@x"}, {"email": "b@x"}, {"email": "c@x"}, {"email": "d@x"}]}),
        expect![[r#"
            create succeeded [{"status":201,"body":{"id":1,"email":"a@x","n":0}},{"status":201,"body":{"id":2,"email":"b@x","n":1}},{"status":201,"body":{"id":3,"email":"c@x","n":2}},{"status":201,"body":{"id":4,"email":"d@x","n":3}}]
            ids succeeded {"count":4,"first":0,"last":3}
            => succeeded
        "#]],
    )
    .await;
    let keys = api.creates_by_idempotency_key();
    assert_eq!(keys.len(), 4, "one distinct key per item: {keys:?}");
}

#[tokio::test]
async fn for_each_over_something_else_than_an_array_fails_clearly() {
    check(
        r#"
name: each bad
trigger: { type: manual }
steps:
  - id: each
    action: set
    for_each: "{{trigger.body.contacts}}"
    with: { value: "{{item}}" }
"#,
        json!({"contacts": "nope"}),
        expect![[r#"
            each failed error: `for_each` must yield an array, got "nope"
            => failed at Some("each"): `for_each` must yield an array, got "nope"
        "#]],
    )
    .await;
}

#[tokio::test]
async fn a_missing_value_fails_the_step_naming_template_and_path() {
    check(
        r#"
name: missing
trigger: { type: manual }
steps:
  - id: greet
    action: set
    with: { value: "Hello {{trigger.body.user.name}}" }
"#,
        json!({"user": {}}),
        expect![[r#"
            greet failed error: template `Hello {{trigger.body.user.name}}`: `trigger.body.user.name` is missing: `trigger.body.user` has no field `name`
            => failed at Some("greet"): template `Hello {{trigger.body.user.name}}`: `trigger.body.user.name` is missing: `trigger.body.user` has no field `name`
        "#]],
    )
    .await;
}

#[tokio::test]
async fn step_and_execution_timeouts_stop_what_runs_too_long() {
    let api = MockApi::start().await;
    let o = execute(
        r#"
name: step timeout
trigger: { type: manual }
steps:
  - id: slow
    action: http
    timeout: 50ms
    with: { url: "{{env.API_URL}}/slow?ms=5000" }
"#,
        json!({}),
        &api,
        Vec::new(),
        None,
    )
    .await;
    // The http action's own timeout and the engine's guard around the step share the step's
    // deadline; on a busy machine the guard's timer can fire first. Either stops the call.
    let summary = summary(&o.result).replace(
        "the step timed out after 50ms",
        "GET <api>/slow?ms=5000 failed: timed out after 50ms",
    );
    expect![[r#"
        slow failed error: GET <api>/slow?ms=5000 failed: timed out after 50ms
        => failed at Some("slow"): GET <api>/slow?ms=5000 failed: timed out after 50ms
    "#]]
    .assert_eq(&summary);
    check(
        r#"
name: execution timeout
trigger: { type: manual }
timeout: 100ms
steps:
  - id: wait
    action: delay
    with: { duration: 30s }
"#,
        json!({}),
        expect![[r#"
            wait cancelled error: the execution timed out after 100ms
            => failed at None: the execution timed out after 100ms
        "#]],
    )
    .await;
}

#[tokio::test]
async fn a_resumed_execution_does_not_repeat_steps_that_succeeded() {
    let wf = r#"
name: resume
trigger: { type: manual }
steps:
  - id: create_user
    action: http
    with: { method: POST, url: "{{env.API_URL}}/users", json: { email: "{{trigger.body.email}}" } }
  - id: get_user
    action: http
    with: { url: "{{env.API_URL}}/users/{{steps.create_user.body.id}}" }
"#;
    let api = MockApi::start().await;
    let first = execute(wf, json!({"email": "a@x"}), &api, Vec::new(), None).await;
    assert_eq!(api.count("POST", "/users"), 1);
    // As if the process died after create_user was journaled: only its result survives.
    let journaled = vec![first.result.step("create_user").unwrap().clone()];
    let second = execute(wf, json!({"email": "a@x"}), &api, journaled, None).await;
    expect![[r#"
        create_user succeeded {"status":201,"body":{"id":1,"email":"a@x"}}
        get_user succeeded {"status":200,"body":{"id":1,"email":"a@x"}}
        => succeeded
    "#]]
    .assert_eq(&summary(&second.result));
    assert_eq!(api.count("POST", "/users"), 1, "create_user ran again");
    assert_eq!(api.count("GET", "/users/1"), 2);
    assert_eq!(
        second.journal,
        ["start get_user #1", "finish get_user succeeded"]
    );
}

#[tokio::test]
async fn a_cancelled_execution_stops_and_says_so() {
    let api = MockApi::start().await;
    let cancel = Cancel::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        // Cancel once the step is running.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        c.cancel();
    });
    let o = execute(
        "name: c\ntrigger: { type: manual }\nsteps:\n  - id: wait\n    action: delay\n    with: { duration: 30s }\n",
        json!({}),
        &api,
        Vec::new(),
        Some(cancel),
    )
    .await;
    assert_eq!(o.result.status, engine::ExecutionStatus::Cancelled);
    assert_eq!(o.result.steps[0].status, StepStatus::Cancelled);
}

/// A journal whose queued results become durable only at `settle`; it notes, per start, the
/// results not durable yet.
#[derive(Default)]
struct Durability {
    events: Mutex<Vec<String>>,
    queued: Mutex<Vec<String>>,
}

#[async_trait]
impl Journal for Durability {
    async fn record(&self, _: Uuid, event: StepEvent<'_>) -> Result<(), JournalError> {
        if let StepEvent::Started { step_id, .. } = event {
            let queued = self.queued.lock().unwrap().join(", ");
            let line = match queued.is_empty() {
                true => format!("start {step_id}"),
                false => format!("start {step_id} before {queued} is durable"),
            };
            self.events.lock().unwrap().push(line);
        }
        Ok(())
    }

    async fn queue_finished(&self, _: Uuid, r: &StepResult) -> Result<(), JournalError> {
        self.queued.lock().unwrap().push(r.step_id.clone());
        Ok(())
    }

    async fn settle(&self, _: Uuid) -> Result<(), JournalError> {
        let settled = std::mem::take(&mut *self.queued.lock().unwrap());
        let mut events = self.events.lock().unwrap();
        events.push(format!("durable: {}", settled.join(", ")));
        Ok(())
    }
}

#[tokio::test]
async fn a_step_with_effects_starts_only_once_every_result_before_it_is_durable() {
    let api = MockApi::start().await;
    let plan = engine::load(
        r#"
name: output-commit
trigger: { type: manual }
steps:
  - id: create_user
    action: http
    with: { method: POST, url: "{{env.API_URL}}/users", json: { email: a@example.com } }
  - id: get_user
    action: http
    with: { url: "{{env.API_URL}}/users/{{steps.create_user.body.id}}" }
  - id: check
    action: if
    with: { condition: "{{steps.get_user.body.id}}" }
  - id: tag_user
    action: http
    after: [check.true]
    with: { method: " patch ", url: "{{env.API_URL}}/users/{{steps.get_user.body.id}}", json: { tag: x } }
  - id: head
    action: http
    with: { method: "{{trigger.body.method}}", url: "{{env.API_URL}}/users/1" }
  - id: reply
    action: respond
    with: { body: "{{steps.tag_user.body.id}}" }
"#,
        None,
        &weft::registry_with(
            actions::outbound::Policy::parse(&crate::support::host_port(&api.base_url()))
                .unwrap(),
        ),
    )
    .unwrap();
    let safe: Vec<(&str, bool)> = plan.steps.iter().map(|s| (s.id.as_str(), s.safe)).collect();
    assert_eq!(
        safe,
        [
            ("create_user", false),
            ("get_user", true),
            ("check", true),
            ("tag_user", false),
            ("head", false),
            ("reply", true),
        ],
        "a templated method counts as one with effects"
    );
    let mut env = Map::new();
    env.insert("API_URL".into(), Value::String(api.base_url()));
    let journal = Durability::default();
    let creds = engine::credentials::NoCredentials;
    let trigger = TriggerEvent {
        kind: "manual".into(),
        body: json!({ "method": "HEAD" }),
        ..Default::default()
    };
    let run = Run::new(Uuid::now_v7(), trigger, &env, &creds, &journal);
    let result = engine::execute(&plan, &run).await;
    assert_eq!(
        result.status,
        engine::ExecutionStatus::Succeeded,
        "{result:?}"
    );
    expect![[r#"
        start create_user
        start get_user before create_user is durable
        start check before create_user, get_user is durable
        durable: create_user, get_user, check
        start tag_user
        durable: tag_user
        start head
        start reply before head is durable
    "#]]
    .assert_eq(&(journal.events.lock().unwrap().join("\n") + "\n"));
}

/// A journal that fails to record `fail_on`'s result, with an error of the given class.
struct FailingJournal {
    fail_on: &'static str,
    retryable: bool,
}

#[async_trait]
impl Journal for FailingJournal {
    async fn record(&self, _: Uuid, event: StepEvent<'_>) -> Result<(), JournalError> {
        match event {
            StepEvent::Finished(r) if r.step_id == self.fail_on => Err(JournalError {
                message: "database is locked".into(),
                retryable: self.retryable,
            }),
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_journal_error_keeps_its_class_and_nothing_runs_after_it() {
    let plan = engine::load(
        r#"
name: journal-errors
trigger: { type: manual }
steps:
  - { id: a, action: set, with: { value: 1 } }
  - { id: b, action: set, with: { value: 2 } }
  - { id: c, action: set, with: { value: 3 } }
"#,
        None,
        &weft::registry(),
    )
    .unwrap();
    let env = Map::new();
    let creds = engine::credentials::NoCredentials;
    for retryable in [true, false] {
        let journal = FailingJournal {
            fail_on: "b",
            retryable,
        };
        let run = Run::new(
            Uuid::now_v7(),
            TriggerEvent::default(),
            &env,
            &creds,
            &journal,
        );
        let result = engine::execute(&plan, &run).await;
        assert_eq!(result.status, engine::ExecutionStatus::Failed, "{result:?}");
        let error = result.error.as_ref().unwrap();
        assert_eq!(error.step_id.as_deref(), Some("b"));
        assert!(error.message.contains("database is locked"), "{error:?}");
        // A transient error interrupts (the runner hands the execution back to resume from
        // `a`); a permanent one is a plain failure.
        assert_eq!(result.interrupted, retryable, "{result:?}");
        assert_eq!(
            result.step("c").unwrap().status,
            StepStatus::Cancelled,
            "nothing runs after a result that was not recorded"
        );
    }
}

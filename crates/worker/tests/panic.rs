//! An execution that panics ends `failed` with the panic's message; the worker goes on (its
//! slot and the claim are freed, the next execution runs).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use engine::action::{ActionInfo, ConfigProblem};
use engine::{ActionContext, ActionError, ActionOutput};
use serde_json::{Map, Value, json};
use store::{ExecutionStatus, NewExecution, SourceFormat, Store, WorkflowDoc};
use tokio::sync::watch;

/// An action that panics when `with.panic` is true.
struct Boom;

#[async_trait]
impl engine::Action for Boom {
    fn info(&self) -> ActionInfo {
        ActionInfo {
            kind: "boom".into(),
            title: "Boom".into(),
            description: "panics on demand".into(),
            config_schema: json!({}),
            ports: None,
            connector: None,
        }
    }
    fn validate(&self, _: &Value) -> Vec<ConfigProblem> {
        Vec::new()
    }
    fn is_safe(&self, _: &Value) -> bool {
        true
    }
    async fn run(&self, _: &ActionContext<'_>, input: &Value) -> Result<ActionOutput, ActionError> {
        if input["panic"] == json!(true) {
            panic!("boom went the action");
        }
        Ok(ActionOutput::value(json!({ "ok": true })))
    }
}

async fn wait_for(store: &Store, id: uuid::Uuid) -> store::ExecutionRecord {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let e = store.execution(id).await.unwrap().unwrap();
        if e.status != ExecutionStatus::Queued && e.status != ExecutionStatus::Running {
            return e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {:?}",
            e.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_panicking_execution_fails_and_frees_its_slot() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/weft.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    let mut ids = Vec::new();
    for panic in [true, false] {
        let source = format!(
            "name: w{panic}\ntrigger: {{ type: manual }}\nsteps:\n  - id: a\n    action: boom\n    with: {{ panic: {panic} }}\n"
        );
        let mut registry = engine::Registry::new();
        registry.register(Boom);
        let (workflow, _) = engine::parse(&source, None).unwrap();
        let w = store
            .create_workflow(WorkflowDoc {
                source,
                format: SourceFormat::Yaml,
                workflow,
            })
            .await
            .unwrap();
        ids.push(w);
    }
    let mut registry = engine::Registry::new();
    registry
        .register(Boom)
        .with_triggers(triggers::kinds().clone());
    // One slot: the second execution runs only if the panic freed it.
    let config = worker::Config {
        concurrency: 1,
        ..worker::Config::default()
    };
    let worker = worker::Worker::new(
        store.clone(),
        store::Plans::new(store.clone(), Arc::new(registry), store::DEFAULT_PLANS),
        Arc::new(engine::credentials::NoCredentials),
        Arc::new(Map::new()),
        config,
    );
    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(worker.clone().run(stopped));
    let mut executions = Vec::new();
    for w in &ids {
        let e = store
            .enqueue(NewExecution {
                workflow_id: w.id,
                version: w.version,
                trigger_kind: w.trigger_kind.clone(),
                request: Arc::new(engine::TriggerEvent {
                    kind: "manual".into(),
                    method: "POST".into(),
                    body: json!({}),
                    ..Default::default()
                }),
                idempotency_key: None,
                fingerprint: None,
                test: false,
                claim_for: None,
                concurrency: None,
            })
            .await
            .unwrap();
        executions.push(e.execution_id);
    }
    let failed = wait_for(&store, executions[0]).await;
    assert_eq!(failed.status, ExecutionStatus::Failed, "{failed:?}");
    let message = failed
        .error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("the execution panicked: boom went the action"),
        "{failed:?}"
    );
    assert!(failed.lease_expires_at.is_none(), "{failed:?}");
    let ok = wait_for(&store, executions[1]).await;
    assert_eq!(ok.status, ExecutionStatus::Succeeded, "{ok:?}");
    stop.send(true).unwrap();
    run.await.unwrap();
}

use chrono::{DateTime, SubsecRound, Utc};
use engine::journal::{ExecutionError, StepResult, StepStatus};
use engine::{ExecutionResult, ExecutionStatus};
use serde_json::{Value, json};
use store::{NewExecution, SourceFormat, Store, WorkflowDoc, WorkflowRecord};
use uuid::Uuid;

/// A store on a fresh database; keeps its temp dir alive.
pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/weft.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url).await.expect("connect to SQLite");
    TestDb {
        store,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> TestDb {
    let url = tokio::task::spawn_blocking(|| tests::TempPostgres::shared().fresh_database())
        .await
        .unwrap();
    let store = Store::connect(&url).await.expect("connect to PostgreSQL");
    TestDb { store, _dir: None }
}

/// Defines each `async fn name(store: Store) { … }` twice: `sqlite::name` and
/// `postgres::name`.
macro_rules! backends {
    ($(async fn $name:ident($store:ident: Store) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::sqlite().await;
                    let $store: store::Store = db.store.clone();
                    tokio::time::timeout(std::time::Duration::from_secs(60), async move $body)
                        .await
                        .expect("the test finishes within 60 s");
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::postgres().await;
                    let $store: store::Store = db.store.clone();
                    tokio::time::timeout(std::time::Duration::from_secs(60), async move $body)
                        .await
                        .expect("the test finishes within 60 s");
                }
            )*
        }
    };
}

/// A YAML workflow document with a webhook trigger on `path` and two steps.
pub fn webhook_doc(name: &str, path: &str) -> WorkflowDoc {
    yaml(&format!(
        "# a comment the export keeps\nname: {name}\ntrigger:\n  type: webhook\n  path: {path}\nsteps:\n  - id: a\n    action: set\n    with: {{ value: 1 }}\n  - id: b\n    action: set\n    with:\n      value: \"{{{{steps.a}}}}\"\n"
    ))
}

/// A YAML workflow document with a manual trigger.
pub fn manual_doc(name: &str) -> WorkflowDoc {
    yaml(&format!(
        "name: {name}\ntrigger: {{ type: manual }}\nsteps:\n  - id: a\n    action: set\n    with: {{ value: 1 }}\n"
    ))
}

pub fn yaml(source: &str) -> WorkflowDoc {
    let (workflow, _) = engine::parse(source, None).expect("a valid workflow");
    WorkflowDoc {
        source: source.to_string(),
        format: SourceFormat::Yaml,
        workflow,
    }
}

/// A captured webhook request with this body.
pub fn request(body: Value) -> std::sync::Arc<engine::TriggerEvent> {
    std::sync::Arc::new(engine::TriggerEvent {
        kind: "webhook".into(),
        method: "POST".into(),
        path: "/hooks/x".into(),
        headers: [("content-type".to_string(), "application/json".to_string())].into(),
        query: Default::default(),
        body,
        parent: None,
        test: None,
    })
}

pub fn new_execution(w: &WorkflowRecord, key: Option<&str>) -> NewExecution {
    NewExecution {
        workflow_id: w.id,
        version: w.version,
        trigger_kind: w.trigger_kind.clone(),
        request: request(json!({ "n": 1 })),
        idempotency_key: key.map(str::to_string),
        fingerprint: None,
        test: false,
        claim_for: None,
        concurrency: None,
    }
}

/// A workflow with an execution queued and claimed by `worker-1`.
pub async fn claimed_execution(store: &Store) -> (WorkflowRecord, Uuid, i32) {
    let w = store.create_workflow(manual_doc("claimed")).await.unwrap();
    let e = store.enqueue(new_execution(&w, None)).await.unwrap();
    let claims = store
        .claim("worker-1", std::time::Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].execution_id, e.execution_id);
    (w, e.execution_id, claims[0].attempt)
}

pub fn at() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn step(id: &str, status: StepStatus, output: Option<Value>) -> StepResult {
    let started = at();
    StepResult {
        step_id: id.into(),
        action: "set".into(),
        status,
        attempts: u32::from(status != StepStatus::Skipped),
        input: (status != StepStatus::Skipped).then(|| json!({ "value": id })),
        output,
        error: (status == StepStatus::Failed).then(|| format!("{id} failed")),
        error_details: None,
        port: None,
        response: None,
        started_at: Some(started),
        finished_at: Some(started + chrono::Duration::milliseconds(3)),
        duration_us: 3000,
    }
}

pub fn result(
    execution_id: Uuid,
    status: ExecutionStatus,
    steps: Vec<StepResult>,
) -> ExecutionResult {
    let failed = steps
        .iter()
        .find(|s| s.status == StepStatus::Failed && s.output.is_none());
    ExecutionResult {
        execution_id,
        status,
        error: failed.map(|s| ExecutionError {
            step_id: Some(s.step_id.clone()),
            message: s.error.clone().unwrap_or_default(),
        }),
        output: steps
            .iter()
            .rev()
            .find(|s| s.ran())
            .and_then(|s| s.output.clone()),
        response: None,
        interrupted: false,
        waits: Vec::new(),
        steps,
        started_at: at(),
        finished_at: at(),
    }
}

//! A claim made at enqueue that reaches a worker after its shutdown began is handed back to
//! the queue (not left claimed until its lease expires).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, json};
use store::{ExecutionStatus, NewExecution, SourceFormat, Store, WorkflowDoc};
use tokio::sync::watch;

#[tokio::test]
async fn a_claim_started_after_shutdown_goes_back_to_the_queue() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let source = "name: w\ntrigger: { type: manual }\nsteps:\n  - id: a\n    action: set\n    with: { value: 1 }\n";
    let (workflow, _) = engine::parse(source, None).unwrap();
    let w = store
        .create_workflow(WorkflowDoc {
            source: source.into(),
            format: SourceFormat::Yaml,
            workflow,
        })
        .await
        .unwrap();
    let worker = worker::Worker::new(
        store.clone(),
        store::Plans::new(
            store.clone(),
            Arc::new(engine::Registry::new()),
            store::DEFAULT_PLANS,
        ),
        Arc::new(engine::credentials::NoCredentials),
        Arc::new(Map::new()),
        worker::Config::default(),
    );
    // A slot reserved while the worker ran; the worker stops before the claim arrives.
    let reservation = worker.reserve().expect("a free slot");
    let (_stop, stopped) = watch::channel(true);
    worker.clone().run(stopped).await;

    let enqueued = store
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
            claim_for: Some(reservation.claim_for()),
            concurrency: None,
        })
        .await
        .unwrap();
    let id = enqueued.execution_id;
    assert_eq!(
        store.execution(id).await.unwrap().unwrap().status,
        ExecutionStatus::Running
    );
    reservation.start(enqueued.claim.expect("claimed at enqueue"));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let e = store.execution(id).await.unwrap().unwrap();
        if e.status == ExecutionStatus::Queued {
            assert!(e.lease_owner.is_none(), "{e:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {:?}",
            e.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

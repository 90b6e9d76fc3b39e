use std::collections::HashSet;
use std::time::Duration;

use engine::ExecutionStatus as Done;
use serde_json::json;
use store::{Error, ExecutionStatus};

use crate::support::*;

backends! {
    async fn an_enqueued_execution_is_queued_with_its_request(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let mut new = new_execution(&w, None);
        new.request = request(json!({ "zeta": 1, "alpha": [1, 2], "mid": { "y": 1, "x": 2 }, "nul": "a\u{0}b" }));
        new.test = true;
        let e = store.enqueue(new.clone()).await.unwrap();
        assert!(!e.duplicate);
        let r = store.execution(e.execution_id).await.unwrap().unwrap();
        assert_eq!(r.status, ExecutionStatus::Queued);
        assert_eq!((r.workflow_id, r.version, r.attempt), (w.id, 1, 0));
        assert_eq!(r.trigger_kind, "manual");
        assert!(r.test);
        assert_eq!(r.request.to_value(), serde_json::to_value(&*new.request).unwrap());
        assert_eq!(r.request.get(), serde_json::to_string(&*new.request).unwrap(), "object keys keep their order");
        assert_eq!(r.request.to_value()["body"]["nul"], json!("a\u{0}b"));
        assert_eq!(serde_json::to_value(&r).unwrap()["request"], r.request.to_value(), "a record serializes its request as stored");
        assert_eq!(r.trigger_event().unwrap().body["alpha"], json!([1, 2]));
        assert!(r.started_at.is_none() && r.finished_at.is_none() && r.lease_owner.is_none());
    }

    async fn enqueuing_for_a_version_that_does_not_exist_is_not_found(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let mut new = new_execution(&w, None);
        new.version = 7;
        let r = store.enqueue(new).await;
        assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
        // The failed write did not disturb the others of its group commit.
        assert!(!store.enqueue(new_execution(&w, None)).await.unwrap().duplicate);
    }

    async fn a_repeated_idempotency_key_returns_the_first_execution_and_stores_nothing(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let other = store.create_workflow(manual_doc("other")).await.unwrap();
        let first = store.enqueue(new_execution(&w, Some("evt_1"))).await.unwrap();
        let again = store.enqueue(new_execution(&w, Some("evt_1"))).await.unwrap();
        assert!(!first.duplicate);
        assert!(again.duplicate);
        assert_eq!(again.execution_id, first.execution_id);
        // Keys are per workflow.
        let elsewhere = store.enqueue(new_execution(&other, Some("evt_1"))).await.unwrap();
        assert!(!elsewhere.duplicate);

        // Concurrent requests with one key: exactly one execution.
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            let new = new_execution(&w, Some("evt_2"));
            tasks.push(tokio::spawn(async move { store.enqueue(new).await.unwrap() }));
        }
        let mut ids = HashSet::new();
        let mut fresh = 0;
        for t in tasks {
            let e = t.await.unwrap();
            ids.insert(e.execution_id);
            fresh += usize::from(!e.duplicate);
        }
        assert_eq!((ids.len(), fresh), (1, 1));
        let page = store.list_executions(store::ExecutionFilter { workflow_id: Some(w.id), ..Default::default() }).await.unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(
            store.execution(first.execution_id).await.unwrap().unwrap().idempotency_key.as_deref(),
            Some("evt_1")
        );
    }

    async fn many_concurrent_enqueues_are_all_committed(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..500 {
            let store = store.clone();
            let new = new_execution(&w, None);
            tasks.push(tokio::spawn(async move { store.enqueue(new).await.unwrap().execution_id }));
        }
        let mut ids = HashSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap());
        }
        assert_eq!(ids.len(), 500);
        for id in ids.iter().take(20) {
            assert!(store.execution(*id).await.unwrap().is_some());
        }
    }

    async fn each_execution_is_claimed_by_exactly_one_of_several_concurrent_workers(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let mut queued = HashSet::new();
        for _ in 0..120 {
            queued.insert(store.enqueue(new_execution(&w, None)).await.unwrap().execution_id);
        }
        let mut workers = Vec::new();
        for n in 0..4 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let name = format!("worker-{n}");
                let mut got = Vec::new();
                loop {
                    let claims = store.claim(&name, Duration::from_secs(60), 7).await.unwrap();
                    if claims.is_empty() {
                        return got;
                    }
                    got.extend(claims);
                    tokio::task::yield_now().await;
                }
            }));
        }
        let mut seen = HashSet::new();
        for w in workers {
            for c in w.await.unwrap() {
                assert_eq!(c.attempt, 1);
                assert!(seen.insert(c.execution_id), "{} was claimed twice", c.execution_id);
            }
        }
        assert_eq!(seen, queued);
        let one = store.execution(*seen.iter().next().unwrap()).await.unwrap().unwrap();
        assert_eq!(one.status, ExecutionStatus::Running);
        assert!(one.lease_owner.unwrap().starts_with("worker-"));
        assert!(one.started_at.is_some() && one.lease_expires_at.is_some());
    }

    async fn an_expired_lease_is_claimed_again_and_the_old_attempt_is_fenced_out(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let e = store.enqueue(new_execution(&w, None)).await.unwrap();
        let first = store.claim("dead", Duration::from_millis(50), 5).await.unwrap();
        assert_eq!(first.len(), 1);
        let started_at = store.execution(e.execution_id).await.unwrap().unwrap().started_at;
        assert!(store.claim("alive", Duration::from_secs(60), 5).await.unwrap().is_empty());
        tokio::time::sleep(Duration::from_millis(120)).await;

        let second = store.claim("alive", Duration::from_secs(60), 5).await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].execution_id, e.execution_id);
        assert_eq!(second[0].attempt, first[0].attempt + 1);
        let r = store.execution(e.execution_id).await.unwrap().unwrap();
        assert_eq!(r.lease_owner.as_deref(), Some("alive"));
        assert_eq!(r.started_at, started_at, "started_at is the first claim");

        // The stale worker can neither journal a result nor finish the execution.
        let stale = store.journal(e.execution_id, first[0].attempt);
        let a = step("a", engine::StepStatus::Succeeded, Some(json!(1)));
        let refused = engine::Journal::record(&stale, e.execution_id, engine::StepEvent::Finished(&a)).await;
        assert!(refused.is_err(), "{refused:?}");
        // Queued: the refusal comes from `settle` (SQLite) or at once (PostgreSQL).
        let refused = match engine::Journal::queue_finished(&stale, e.execution_id, &a).await {
            Ok(()) => engine::Journal::settle(&stale, e.execution_id).await,
            refused => refused,
        };
        assert!(refused.is_err(), "{refused:?}");
        assert!(store.finished_steps(e.execution_id).await.unwrap().is_empty());
        let done = result(e.execution_id, Done::Succeeded, vec![a]);
        assert!(!store.finish_execution(e.execution_id, first[0].attempt, &done).await.unwrap());
        assert!(store.finish_execution(e.execution_id, second[0].attempt, &done).await.unwrap());
        let r = store.execution(e.execution_id).await.unwrap().unwrap();
        assert_eq!(r.status, ExecutionStatus::Succeeded);
        assert_eq!(r.output, Some(json!(1)));
        // The lease ends; the owner stays, naming the process that ran it.
        assert!(r.finished_at.is_some() && r.lease_expires_at.is_none());
        assert_eq!(r.lease_owner.as_deref(), Some("alive"));
        // Finishing twice is refused too, and a finished execution is not claimed again.
        assert!(!store.finish_execution(e.execution_id, second[0].attempt, &done).await.unwrap());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(store.claim("late", Duration::from_secs(60), 5).await.unwrap().is_empty());
    }

    async fn a_heartbeat_keeps_the_lease_of_its_own_worker_only(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let e = store.enqueue(new_execution(&w, None)).await.unwrap();
        store.claim("w1", Duration::from_millis(300), 5).await.unwrap();
        store.heartbeat("someone-else", &[e.execution_id], Duration::from_secs(3600)).await.unwrap();
        store.heartbeat("w1", &[e.execution_id], Duration::from_secs(60)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(store.claim("w2", Duration::from_secs(60), 5).await.unwrap().is_empty());
        let r = store.execution(e.execution_id).await.unwrap().unwrap();
        assert_eq!(r.lease_owner.as_deref(), Some("w1"));
    }

    async fn a_released_execution_goes_back_to_the_queue(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        store.release("not-the-owner", &[id]).await.unwrap();
        assert_eq!(store.execution(id).await.unwrap().unwrap().status, ExecutionStatus::Running);
        store.release("worker-1", &[id]).await.unwrap();
        let r = store.execution(id).await.unwrap().unwrap();
        assert_eq!(r.status, ExecutionStatus::Queued);
        assert!(r.lease_owner.is_none() && r.lease_expires_at.is_none());
        let again = store.claim("worker-2", Duration::from_secs(60), 5).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempt, attempt + 1);
    }

    async fn an_execution_enqueued_claimed_skips_the_queue_and_its_watch_gets_the_outcome(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let claim_for = store::ClaimFor { worker: "local".into(), lease: Duration::from_secs(60) };
        let mut new = new_execution(&w, Some("k1"));
        new.claim_for = Some(claim_for.clone());
        let enqueued = store.enqueue(new.clone()).await.unwrap();
        let claim = enqueued.claim.clone().expect("claimed at enqueue");
        assert_eq!((claim.execution_id, claim.attempt, claim.workflow_id, claim.version), (enqueued.execution_id, 1, w.id, w.version));
        assert_eq!(claim.request, new.request);
        assert_eq!(claim.retry_of, None);
        let row = store.execution(claim.execution_id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempt, row.lease_owner.as_deref()), (ExecutionStatus::Running, 1, Some("local")));
        assert!(row.started_at.is_some() && row.lease_expires_at.is_some());
        // Nobody else claims it while its lease holds.
        assert!(store.claim("other", Duration::from_secs(60), 5).await.unwrap().is_empty());
        // A repeated key returns the first execution and claims nothing.
        let again = store.enqueue(new).await.unwrap();
        assert!(again.duplicate && again.claim.is_none());
        assert_eq!(again.execution_id, claim.execution_id);

        // The watch registered before the worker finishes gets the outcome handed over.
        let watch = store.watch(claim.execution_id);
        let mut done = result(claim.execution_id, engine::ExecutionStatus::Succeeded, vec![]);
        done.output = Some(serde_json::json!({ "id": 7 }));
        assert!(store.finish_execution(claim.execution_id, claim.attempt, &done).await.unwrap());
        let outcome = watch.outcome(Duration::from_secs(5), false).await.unwrap().unwrap();
        assert_eq!(outcome.status, ExecutionStatus::Succeeded);
        assert_eq!(outcome.output, Some(serde_json::json!({ "id": 7 })));
        // A watch started after the finish reads it (read_first).
        let late = store.watch(claim.execution_id).outcome(Duration::from_secs(5), true).await.unwrap().unwrap();
        assert_eq!(late, outcome);
    }

    async fn claims_carry_what_the_worker_needs_to_run(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let new = new_execution(&w, None);
        let id = store.enqueue(new.clone()).await.unwrap().execution_id;
        let claims = store.claim("w", Duration::from_secs(60), 5).await.unwrap();
        assert_eq!(claims.len(), 1);
        let c = &claims[0];
        assert_eq!((c.execution_id, c.attempt, c.workflow_id, c.version, c.retry_of), (id, 1, w.id, w.version, None));
        assert_eq!(c.request, new.request);
    }

    async fn an_execution_whose_lease_expired_max_claims_times_ends_failed(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let e = store.enqueue(new_execution(&w, None)).await.unwrap();
        for attempt in 1..=store::MAX_CLAIMS {
            let claims = store.claim("dies", Duration::from_millis(1), 5).await.unwrap();
            assert_eq!(claims.len(), 1, "claim {attempt}");
            assert_eq!(claims[0].attempt, attempt);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The next claim finishes it as failed instead of handing it out.
        assert!(store.claim("dies", Duration::from_secs(60), 5).await.unwrap().is_empty());
        let r = store.execution(e.execution_id).await.unwrap().unwrap();
        assert_eq!(r.status, ExecutionStatus::Failed, "{r:?}");
        let message = r.error.clone().map(|e| e.message).unwrap_or_default();
        assert_eq!(
            message,
            format!("claimed {} times without finishing: the worker stopped or lost its lease each time", store::MAX_CLAIMS)
        );
        assert!(r.lease_expires_at.is_none(), "{r:?}");
        assert!(store.claim("dies", Duration::from_secs(60), 5).await.unwrap().is_empty());
    }
}

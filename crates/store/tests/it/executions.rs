use std::collections::HashSet;
use std::time::Duration;

use engine::journal::{StepEvent, StepStatus};
use engine::{ExecutionStatus as Done, Journal};
use serde_json::json;
use store::{Error, ExecutionFilter, ExecutionStatus};

use crate::support::*;

backends! {
    async fn executions_are_listed_newest_first_by_filter_and_page(store: Store) {
        let a = store.create_workflow(manual_doc("a")).await.unwrap();
        let b = store.create_workflow(manual_doc("b")).await.unwrap();
        let mut a_ids = Vec::new();
        for _ in 0..7 {
            a_ids.push(store.enqueue(new_execution(&a, None)).await.unwrap().execution_id);
        }
        let middle = at();
        tokio::time::sleep(Duration::from_millis(5)).await;
        for _ in 0..3 {
            store.enqueue(new_execution(&b, None)).await.unwrap();
        }
        a_ids.reverse();

        let mut pages = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_executions(ExecutionFilter { workflow_id: Some(a.id), limit: Some(3), cursor: cursor.clone(), ..Default::default() })
                .await
                .unwrap();
            pages.push(page.items.iter().map(|e| e.id).collect::<Vec<_>>());
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(pages.concat(), a_ids);

        let all = store.list_executions(ExecutionFilter::default()).await.unwrap();
        assert_eq!(all.items.len(), 10);
        assert!(all.next_cursor.is_none());
        let since = store.list_executions(ExecutionFilter { since: Some(middle), ..Default::default() }).await.unwrap();
        assert!(since.items.iter().all(|e| e.workflow_id == b.id));
        assert_eq!(since.items.len(), 3);
        let until = store.list_executions(ExecutionFilter { until: Some(middle), ..Default::default() }).await.unwrap();
        assert_eq!(until.items.len(), 7);

        let claims = store.claim("w", Duration::from_secs(60), 2).await.unwrap();
        let running = store.list_executions(ExecutionFilter { status: Some(ExecutionStatus::Running), ..Default::default() }).await.unwrap();
        assert_eq!(
            running.items.iter().map(|e| e.id).collect::<HashSet<_>>(),
            claims.iter().map(|c| c.execution_id).collect::<HashSet<_>>()
        );
        let bad = store.list_executions(ExecutionFilter { cursor: Some("nope".into()), ..Default::default() }).await;
        assert!(matches!(bad, Err(Error::Invalid { .. })), "{bad:?}");
    }

    async fn a_queued_execution_is_cancelled_at_once_and_a_running_one_on_request(store: Store) {
        let w = store.create_workflow(manual_doc("w")).await.unwrap();
        let running = store.enqueue(new_execution(&w, None)).await.unwrap().execution_id;
        let claims = store.claim("w1", Duration::from_secs(60), 1).await.unwrap();
        let queued = store.enqueue(new_execution(&w, None)).await.unwrap().execution_id;

        let c = store.cancel_execution(queued).await.unwrap();
        assert_eq!(c.status, ExecutionStatus::Cancelled);
        assert!(c.finished_at.is_some());
        assert_eq!(store.execution(queued).await.unwrap().unwrap(), c);
        assert!(store.claim("w2", Duration::from_secs(60), 5).await.unwrap().is_empty());

        assert!(store.cancel_requested_among(&[running]).await.unwrap().is_empty());
        let r = store.cancel_execution(running).await.unwrap();
        assert_eq!(r.status, ExecutionStatus::Running);
        assert_eq!(store.cancel_requested_among(&[running]).await.unwrap(), [running]);
        let done = result(running, Done::Cancelled, vec![]);
        assert!(store.finish_execution(running, claims[0].attempt, &done).await.unwrap());
        assert_eq!(store.execution(running).await.unwrap().unwrap().status, ExecutionStatus::Cancelled);

        // Cancelling again changes nothing; a succeeded execution cannot be cancelled.
        assert_eq!(store.cancel_execution(queued).await.unwrap().status, ExecutionStatus::Cancelled);
        let (_, ok, attempt) = claimed_execution(&store).await;
        store.finish_execution(ok, attempt, &result(ok, Done::Succeeded, vec![])).await.unwrap();
        let refused = store.cancel_execution(ok).await;
        assert!(matches!(refused, Err(Error::Conflict { .. })), "{refused:?}");
        let missing = store.cancel_execution(uuid::Uuid::now_v7()).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    }

    async fn a_retry_from_the_failed_step_keeps_the_steps_that_succeeded(store: Store) {
        let (w, id, attempt) = claimed_execution(&store).await;
        let journal = store.journal(id, attempt);
        let a = step("a", StepStatus::Succeeded, Some(json!({ "id": 7 })));
        let s = step("s", StepStatus::Skipped, None);
        let soft = step("soft", StepStatus::Failed, Some(json!({ "error": "ignored" })));
        let b = step("b", StepStatus::Failed, None);
        for r in [&a, &s, &soft, &b] {
            journal.record(id, StepEvent::Finished(r)).await.unwrap();
        }
        let failed = result(id, Done::Failed, vec![a.clone(), s.clone(), soft.clone(), b]);
        assert!(store.finish_execution(id, attempt, &failed).await.unwrap());
        let old = store.execution(id).await.unwrap().unwrap();
        assert_eq!(old.error.as_ref().unwrap().step_id.as_deref(), Some("b"));

        let retry = store.retry_execution(id, true, false).await.unwrap();
        let r = store.execution(retry).await.unwrap().unwrap();
        assert_eq!(r.status, ExecutionStatus::Queued);
        assert_eq!((r.workflow_id, r.version, r.retry_of), (w.id, old.version, Some(id)));
        assert_eq!(r.request, old.request);
        assert_eq!(store.finished_steps(retry).await.unwrap(), vec![a, s, soft]);
        assert!(store.step_runs(retry).await.unwrap().iter().all(|r| r.execution_attempt == 0));

        let fresh = store.retry_execution(id, false, false).await.unwrap();
        assert!(store.finished_steps(fresh).await.unwrap().is_empty());
        let not_finished = store.retry_execution(retry, true, false).await;
        assert!(matches!(not_finished, Err(Error::Conflict { .. })), "{not_finished:?}");
    }

    async fn deleting_an_execution_deletes_its_step_runs(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let a = step("a", StepStatus::Succeeded, Some(json!(1)));
        store.journal(id, attempt).record(id, StepEvent::Finished(&a)).await.unwrap();
        store.delete_execution(id).await.unwrap();
        assert!(store.execution(id).await.unwrap().is_none());
        assert!(store.step_runs(id).await.unwrap().is_empty());
        assert!(matches!(store.delete_execution(id).await, Err(Error::NotFound { .. })));
        // A worker still running it learns it lost the execution.
        let done = result(id, Done::Succeeded, vec![a]);
        assert!(!store.finish_execution(id, attempt, &done).await.unwrap());
    }
}

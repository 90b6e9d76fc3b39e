use engine::journal::{StepEvent, StepStatus};
use engine::{Journal, Response};
use serde_json::json;
use store::{ExecutionEventKind, ExecutionStatus};

use crate::support::*;

backends! {
    async fn journaled_step_results_come_back_as_the_finished_steps(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let journal = store.journal(id, attempt);

        let input = json!({ "url": "http://x/users" });
        let mut a = step("a", StepStatus::Succeeded, Some(json!({ "status": 201, "body": { "id": 7 } })));
        a.port = Some("true".into());
        journal.record(id, StepEvent::Started { step_id: "a", item_index: None, attempt: 1, input: &input, at: at() }).await.unwrap();
        journal.record(id, StepEvent::Finished(&a)).await.unwrap();

        let b = step("b", StepStatus::Skipped, None);
        journal.record(id, StepEvent::Finished(&b)).await.unwrap();

        let mut c = step("c", StepStatus::Failed, None);
        c.attempts = 2;
        c.response = Some(Response { status: 500, headers: Default::default(), body: json!({ "e": 1 }) });
        journal.record(id, StepEvent::Started { step_id: "c", item_index: None, attempt: 1, input: &input, at: at() }).await.unwrap();
        journal.record(id, StepEvent::Retrying { step_id: "c", item_index: None, attempt: 1, error: "503 from the server", delay_ms: 10 }).await.unwrap();
        journal.record(id, StepEvent::Started { step_id: "c", item_index: None, attempt: 2, input: &input, at: at() }).await.unwrap();
        journal.record(id, StepEvent::Finished(&c)).await.unwrap();

        assert_eq!(store.finished_steps(id).await.unwrap(), vec![a, b, c]);

        let runs = store.step_runs(id).await.unwrap();
        let summary: Vec<(&str, u32, StepStatus, bool)> = runs
            .iter()
            .map(|r| (r.step_id.as_str(), r.attempt, r.status, r.is_final))
            .collect();
        assert_eq!(
            summary,
            [
                ("a", 1, StepStatus::Succeeded, true),
                ("b", 0, StepStatus::Skipped, true),
                ("c", 1, StepStatus::Retrying, false),
                ("c", 2, StepStatus::Failed, true),
            ]
        );
        assert_eq!(runs[2].error.as_deref(), Some("503 from the server"));
        assert_eq!(runs[2].input, Some(input));
        assert!(runs.iter().all(|r| r.execution_attempt == attempt));
    }

    async fn queued_results_are_in_the_journal_once_settled(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let journal = store.journal(id, attempt);
        let a = step("a", StepStatus::Succeeded, Some(json!({ "id": 1 })));
        let b = step("b", StepStatus::Skipped, None);
        journal.queue_finished(id, &a).await.unwrap();
        journal.queue_finished(id, &b).await.unwrap();
        journal.settle(id).await.unwrap();
        assert_eq!(store.finished_steps(id).await.unwrap(), vec![a, b]);
        // Nothing left to wait for.
        journal.settle(id).await.unwrap();
    }

    async fn for_each_items_are_closed_when_their_step_finishes(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let journal = store.journal(id, attempt);
        for i in 0..3 {
            let input = json!({ "item": i });
            journal.record(id, StepEvent::Started { step_id: "each", item_index: Some(i), attempt: 1, input: &input, at: at() }).await.unwrap();
        }
        let mut each = step("each", StepStatus::Succeeded, Some(json!([1, 2, 3])));
        each.input = Some(json!([{ "item": 0 }, { "item": 1 }, { "item": 2 }]));
        journal.record(id, StepEvent::Finished(&each)).await.unwrap();

        let runs = store.step_runs(id).await.unwrap();
        assert_eq!(runs.len(), 4);
        let items: Vec<(Option<u32>, StepStatus)> =
            runs.iter().filter(|r| !r.is_final).map(|r| (r.item_index, r.status)).collect();
        assert_eq!(
            items,
            [
                (Some(0), StepStatus::Succeeded),
                (Some(1), StepStatus::Succeeded),
                (Some(2), StepStatus::Succeeded),
            ]
        );
        assert!(runs.iter().filter(|r| !r.is_final).all(|r| r.finished_at.is_some()));
        assert_eq!(store.finished_steps(id).await.unwrap(), vec![each]);
    }

    async fn a_resumed_execution_keeps_one_final_result_per_step(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let first = store.journal(id, attempt);
        let cancelled = step("a", StepStatus::Cancelled, None);
        first.record(id, StepEvent::Finished(&cancelled)).await.unwrap();
        store.release("worker-1", &[id]).await.unwrap();
        let again = store.claim("worker-2", std::time::Duration::from_secs(60), 1).await.unwrap();
        let second = store.journal(id, again[0].attempt);
        let ok = step("a", StepStatus::Succeeded, Some(json!("done")));
        second.record(id, StepEvent::Finished(&ok)).await.unwrap();
        assert_eq!(store.finished_steps(id).await.unwrap(), vec![ok]);
    }

    async fn step_events_and_the_finish_are_published_to_subscribers(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let mut events = store.events();
        let journal = store.journal(id, attempt);
        let input = json!({ "v": 1 });
        journal.record(id, StepEvent::Started { step_id: "a", item_index: None, attempt: 1, input: &input, at: at() }).await.unwrap();
        let a = step("a", StepStatus::Succeeded, Some(json!(1)));
        journal.record(id, StepEvent::Finished(&a)).await.unwrap();
        let done = result(id, engine::ExecutionStatus::Succeeded, vec![a.clone()]);
        assert!(store.finish_execution(id, attempt, &done).await.unwrap());

        let mut kinds = Vec::new();
        for _ in 0..3 {
            let e = events.recv().await.unwrap();
            assert_eq!(e.execution_id, id);
            kinds.push(e.kind);
        }
        assert!(matches!(&kinds[0], ExecutionEventKind::StepStarted { step_id, attempt: 1, .. } if step_id == "a"));
        assert_eq!(kinds[1], ExecutionEventKind::StepFinished {
                result: Box::new(a)
            });
        assert_eq!(kinds[2], ExecutionEventKind::Finished { status: ExecutionStatus::Succeeded });
        // Serialized as an event stream sends them.
        assert_eq!(serde_json::to_value(&kinds[2]).unwrap(), json!({ "type": "execution", "status": "succeeded" }));
        let finished = serde_json::to_value(&kinds[1]).unwrap();
        assert_eq!((&finished["type"], &finished["step_id"]), (&json!("finished"), &json!("a")), "{finished}");
        assert_eq!(kinds[0].stream_name(), Some("step"));
        assert_eq!(ExecutionEventKind::CancelRequested.stream_name(), None);
    }

    async fn an_attempt_still_running_after_the_started_delay_shows_as_running_and_keeps_its_row(store: Store) {
        let (_, id, attempt) = claimed_execution(&store).await;
        let journal = store.journal(id, attempt);
        let input = json!({ "slow": true });
        journal.record(id, StepEvent::Started { step_id: "slow", item_index: None, attempt: 1, input: &input, at: at() }).await.unwrap();
        for i in 0..2 {
            let item = json!({ "item": i });
            journal.record(id, StepEvent::Started { step_id: "each", item_index: Some(i), attempt: 1, input: &item, at: at() }).await.unwrap();
        }
        // Not finished after the delay: the running rows get written (bounded wait).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let running = loop {
            store.flush().await.unwrap();
            let runs = store.step_runs(id).await.unwrap();
            if runs.len() == 3 {
                break runs;
            }
            assert!(std::time::Instant::now() < deadline, "running rows never appeared: {runs:?}");
            tokio::time::sleep(store::STARTED_DELAY / 2).await;
        };
        assert!(running.iter().all(|r| r.status == StepStatus::Running && !r.is_final && r.finished_at.is_none()));
        let slow_row = running.iter().find(|r| r.step_id == "slow").unwrap();
        assert_eq!(slow_row.input, Some(input.clone()));

        // One more item starts and ends quickly: never written until its step finishes.
        let item = json!({ "item": 2 });
        journal.record(id, StepEvent::Started { step_id: "each", item_index: Some(2), attempt: 1, input: &item, at: at() }).await.unwrap();
        let slow = step("slow", StepStatus::Succeeded, Some(json!("done")));
        journal.record(id, StepEvent::Finished(&slow)).await.unwrap();
        let each = step("each", StepStatus::Succeeded, Some(json!([0, 1, 2])));
        journal.record(id, StepEvent::Finished(&each)).await.unwrap();

        let runs = store.step_runs(id).await.unwrap();
        let slow_final = runs.iter().find(|r| r.step_id == "slow").unwrap();
        assert_eq!((slow_final.id, slow_final.status, slow_final.is_final), (slow_row.id, StepStatus::Succeeded, true));
        let mut items: Vec<(Option<u32>, StepStatus)> =
            runs.iter().filter(|r| r.step_id == "each" && !r.is_final).map(|r| (r.item_index, r.status)).collect();
        items.sort_by_key(|(i, _)| *i);
        assert_eq!(items, [(Some(0), StepStatus::Succeeded), (Some(1), StepStatus::Succeeded), (Some(2), StepStatus::Succeeded)]);
        assert_eq!(runs.len(), 5);
        assert_eq!(store.finished_steps(id).await.unwrap(), vec![slow, each]);
    }
}

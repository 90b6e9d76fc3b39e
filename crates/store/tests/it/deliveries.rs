//! The delivery queue of outgoing webhooks: one delivery per key, claims that never hand the
//! same attempt to two runners, records fenced by the claim, leases that run out, retries by
//! hand.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use store::{AttemptResult, DeliveryFilter, DeliveryStatus, Error, NewDelivery, Next, Store};
use uuid::Uuid;

use crate::support::*;

async fn execution(store: &Store) -> (Uuid, Uuid) {
    let w = store.create_workflow(manual_doc("sender")).await.unwrap();
    let e = store.enqueue(new_execution(&w, None)).await.unwrap();
    (w.id, e.execution_id)
}

fn delivery(workflow_id: Uuid, execution_id: Uuid, step: &str) -> NewDelivery {
    NewDelivery {
        execution_id,
        workflow_id,
        step_id: step.to_string(),
        item_index: None,
        url: "https://chat.example/hook".into(),
        headers: BTreeMap::from([("x-team".to_string(), "sales".to_string())]),
        body: r#"{"text":"hi","a":[1,2]}"#.into(),
        credential: Some("chat-signing".into()),
        idempotency_key: format!("{execution_id}:{step}"),
    }
}

fn attempt(next: Next, status: u16) -> AttemptResult {
    AttemptResult {
        started_at: at(),
        status: Some(status),
        error: (status >= 300).then(|| format!("answered {status}")),
        body: Some("x".repeat(5000)),
        next,
    }
}

backends! {
    async fn a_key_queues_one_delivery_and_its_fields_come_back_as_stored(store: Store) {
        let (w, e) = execution(&store).await;
        assert!(!store.deliveries_are_due().await.unwrap());
        let first = store.queue_delivery(delivery(w, e, "tell")).await.unwrap();
        assert!(store.deliveries_are_due().await.unwrap());
        assert!(!first.duplicate);
        assert_eq!(first.message_id, format!("msg_{}", first.id.simple()));
        let again = store.queue_delivery(delivery(w, e, "tell")).await.unwrap();
        assert!(again.duplicate);
        assert_eq!((again.id, again.message_id), (first.id, first.message_id.clone()));
        let d = store.delivery(first.id).await.unwrap().unwrap();
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!((d.attempts, d.execution_id, d.workflow_id), (0, e, w));
        assert_eq!(d.body, r#"{"text":"hi","a":[1,2]}"#);
        assert_eq!(d.headers["x-team"], "sales");
        assert_eq!(d.credential.as_deref(), Some("chat-signing"));
        assert!(d.next_attempt_at.is_some());

        let missing = store.queue_delivery(delivery(w, Uuid::now_v7(), "tell")).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    }

    async fn concurrent_claims_never_share_an_attempt_and_records_are_fenced(store: Store) {
        let (w, e) = execution(&store).await;
        let mut ids = HashSet::new();
        for n in 0..20 {
            ids.insert(store.queue_delivery(delivery(w, e, &format!("s{n}"))).await.unwrap().id);
        }
        let lease = Duration::from_secs(60);
        let (a, b) = tokio::join!(
            store.claim_deliveries("runner-a", lease, 15),
            store.claim_deliveries("runner-b", lease, 15)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let claimed: Vec<Uuid> = a.iter().chain(&b).map(|d| d.id).collect();
        assert_eq!(claimed.len(), 20, "every due delivery claimed once");
        assert_eq!(claimed.iter().copied().collect::<HashSet<_>>(), ids);
        assert!(a.iter().chain(&b).all(|d| d.attempts == 1));
        assert!(store.claim_deliveries("runner-c", lease, 10).await.unwrap().is_empty());

        let d = &a[0];
        // Not the holder, or not the attempt it holds: nothing is recorded.
        assert!(!store.record_attempt(d.id, "runner-b", 1, attempt(Next::Delivered, 200)).await.unwrap());
        assert!(!store.record_attempt(d.id, "runner-a", 2, attempt(Next::Delivered, 200)).await.unwrap());
        let retry_at = at() - chrono::Duration::seconds(1);
        assert!(store.record_attempt(d.id, "runner-a", 1, attempt(Next::RetryAt(retry_at), 500)).await.unwrap());
        assert!(!store.record_attempt(d.id, "runner-a", 1, attempt(Next::Delivered, 200)).await.unwrap(), "recorded once");
        let r = store.delivery(d.id).await.unwrap().unwrap();
        assert_eq!((r.status, r.attempts, r.last_status), (DeliveryStatus::Pending, 1, Some(500)));
        assert_eq!(r.last_body.as_ref().map(String::len), Some(store::MAX_EXCERPT), "the excerpt is bounded");

        // Due again: the second attempt.
        let again = store.claim_deliveries("runner-b", lease, 10).await.unwrap();
        assert_eq!(again.iter().map(|x| (x.id, x.attempts)).collect::<Vec<_>>(), [(d.id, 2)]);
        assert!(store.record_attempt(d.id, "runner-b", 2, attempt(Next::Delivered, 204)).await.unwrap());
        let r = store.delivery(d.id).await.unwrap().unwrap();
        assert_eq!(r.status, DeliveryStatus::Delivered);
        assert!(r.delivered_at.is_some() && r.finished_at.is_some() && r.next_attempt_at.is_none());
        let history = store.delivery_attempts(d.id).await.unwrap();
        assert_eq!(history.iter().map(|h| (h.attempt, h.outcome.as_str(), h.status)).collect::<Vec<_>>(),
            [(1, "retry", Some(500)), (2, "delivered", Some(204))]);
        // Finished: the waiter returns at once.
        assert_eq!(store.wait_delivery(d.id, Duration::from_secs(5)).await.unwrap().status, DeliveryStatus::Delivered);
    }

    async fn an_expired_lease_is_claimed_again_and_a_release_gives_the_attempt_back(store: Store) {
        let (w, e) = execution(&store).await;
        let q = store.queue_delivery(delivery(w, e, "tell")).await.unwrap();
        let short = store.claim_deliveries("dead", Duration::from_millis(1), 1).await.unwrap();
        assert_eq!(short[0].attempts, 1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let taken = store.claim_deliveries("alive", Duration::from_secs(60), 1).await.unwrap();
        assert_eq!((taken[0].id, taken[0].attempts), (q.id, 2));
        // The dead runner's late record is refused.
        assert!(!store.record_attempt(q.id, "dead", 1, attempt(Next::Delivered, 200)).await.unwrap());
        store.release_deliveries("alive", &[q.id]).await.unwrap();
        let back = store.claim_deliveries("next", Duration::from_secs(60), 1).await.unwrap();
        assert_eq!(back[0].attempts, 2, "the released attempt was given back");
    }

    async fn a_failed_delivery_is_retried_by_hand_and_listed_by_status(store: Store) {
        let (w, e) = execution(&store).await;
        let q = store.queue_delivery(delivery(w, e, "tell")).await.unwrap();
        let other = store.queue_delivery(delivery(w, e, "other")).await.unwrap();
        assert!(matches!(store.retry_delivery(q.id).await, Err(Error::Conflict { .. })), "pending");
        let c = store.claim_deliveries("r", Duration::from_secs(60), 10).await.unwrap();
        assert_eq!(c.len(), 2);
        assert!(store.record_attempt(q.id, "r", 1, attempt(Next::Failed, 410)).await.unwrap());
        let failed = store.list_deliveries(DeliveryFilter { status: Some(DeliveryStatus::Failed), ..Default::default() }).await.unwrap();
        assert_eq!(failed.items.iter().map(|d| d.id).collect::<Vec<_>>(), [q.id]);
        let all = store.list_deliveries(DeliveryFilter { execution_id: Some(e), limit: Some(1), ..Default::default() }).await.unwrap();
        assert_eq!(all.items[0].id, other.id, "newest first");
        let rest = store.list_deliveries(DeliveryFilter { execution_id: Some(e), cursor: all.next_cursor, ..Default::default() }).await.unwrap();
        assert_eq!(rest.items.iter().map(|d| d.id).collect::<Vec<_>>(), [q.id]);
        assert!(rest.next_cursor.is_none());

        let retried = store.retry_delivery(q.id).await.unwrap();
        assert_eq!((retried.status, retried.schedule_from, retried.attempts), (DeliveryStatus::Pending, 1, 1));
        let c = store.claim_deliveries("r", Duration::from_secs(60), 10).await.unwrap();
        assert_eq!(c.iter().map(|d| (d.id, d.attempts, d.schedule_from)).collect::<Vec<_>>(), [(q.id, 2, 1)]);
        assert!(store.record_attempt(q.id, "r", 2, attempt(Next::Delivered, 200)).await.unwrap());
        assert!(matches!(store.retry_delivery(q.id).await, Err(Error::Conflict { .. })), "delivered");
        assert!(matches!(store.retry_delivery(Uuid::now_v7()).await, Err(Error::NotFound { .. })));
    }
}

use serde_json::json;
use store::{Error, ExecutionStatus, SourceFormat};

use crate::support::*;

backends! {
    async fn a_created_workflow_is_inactive_version_1_and_keeps_its_source_byte_for_byte(store: Store) {
        let doc = webhook_doc("New customer", "new-customer");
        let created = store.create_workflow(doc.clone()).await.unwrap();
        assert_eq!(created.version, 1);
        assert!(!created.active);
        assert_eq!(created.trigger_kind, "webhook");
        assert_eq!(created.webhook_path.as_deref(), Some("new-customer"));

        let read = store.workflow(created.id).await.unwrap().unwrap();
        assert_eq!(read, created);
        assert_eq!(read.doc.source, doc.source);
        assert_eq!(read.doc.format, SourceFormat::Yaml);
        assert_eq!(read.doc.workflow, doc.workflow);
        assert_eq!(store.workflow_by_name("New customer").await.unwrap().unwrap().id, created.id);
        assert!(store.workflow_by_name("nobody").await.unwrap().is_none());
        assert!(store.workflow(uuid::Uuid::now_v7()).await.unwrap().is_none());
    }

    async fn a_json_document_keeps_its_format_and_text(store: Store) {
        let source = r#"{"name": "j", "trigger": {"type": "manual"}, "steps": [{"id": "a", "action": "set", "with": {"value": 1}}]}"#;
        let doc = store::WorkflowDoc {
            source: source.into(),
            format: SourceFormat::Json,
            workflow: serde_json::from_str(source).unwrap(),
        };
        let w = store.create_workflow(doc).await.unwrap();
        let read = store.workflow(w.id).await.unwrap().unwrap();
        assert_eq!(read.doc.format, SourceFormat::Json);
        assert_eq!(read.doc.source, source);
        assert_eq!(read.webhook_path, None);
        assert_eq!(read.trigger_kind, "manual");
    }

    async fn every_save_is_a_new_version_and_earlier_ones_can_be_restored(store: Store) {
        let v1 = webhook_doc("flow", "p1");
        let w = store.create_workflow(v1.clone()).await.unwrap();
        let v2 = webhook_doc("flow renamed", "p2");
        let updated = store.update_workflow(w.id, v2.clone()).await.unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.name, "flow renamed");
        assert_eq!(updated.webhook_path.as_deref(), Some("p2"));
        assert_eq!(updated.created_at, w.created_at);
        assert_eq!(store.workflow(w.id).await.unwrap().unwrap(), updated);

        let versions = store.versions(w.id).await.unwrap();
        let numbers: Vec<(i32, bool)> = versions.iter().map(|v| (v.version, v.current)).collect();
        assert_eq!(numbers, [(2, true), (1, false)]);
        assert_eq!(store.version(w.id, 1).await.unwrap().unwrap().doc.source, v1.source);
        assert!(store.version(w.id, 9).await.unwrap().is_none());

        let restored = store.restore_version(w.id, 1).await.unwrap();
        assert_eq!(restored.version, 3);
        assert_eq!(restored.doc.source, v1.source);
        assert_eq!(restored.name, "flow");
        assert_eq!(restored.webhook_path.as_deref(), Some("p1"));

        let missing = store.update_workflow(uuid::Uuid::now_v7(), v2).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
        assert!(matches!(store.versions(uuid::Uuid::now_v7()).await, Err(Error::NotFound { .. })));
    }

    async fn activating_a_second_workflow_on_a_served_webhook_path_is_a_conflict(store: Store) {
        let a = store.create_workflow(webhook_doc("a", "orders")).await.unwrap();
        let b = store.create_workflow(webhook_doc("b", "orders")).await.unwrap();
        assert!(store.active_by_path("orders").await.unwrap().is_none());
        assert_eq!(store.workflow_by_path_any("orders").await.unwrap().unwrap().id, b.id);

        assert!(store.set_active(a.id, true).await.unwrap().active);
        let taken = store.set_active(b.id, true).await;
        assert!(matches!(&taken, Err(Error::Conflict { message }) if message.contains("orders")), "{taken:?}");
        assert!(!store.workflow(b.id).await.unwrap().unwrap().active);

        let served = store.active_by_path("orders").await.unwrap().unwrap();
        assert_eq!(served.id, a.id);
        assert_eq!(store.workflow_by_path_any("orders").await.unwrap().unwrap().id, a.id);
        let route = store.route("orders").await.unwrap().unwrap();
        assert_eq!((route.workflow_id, route.version), (a.id, 1));
        assert!(store.route("nowhere").await.unwrap().is_none());

        // Activating twice is harmless; after deactivating a, b may take the path.
        assert!(store.set_active(a.id, true).await.unwrap().active);
        assert!(!store.set_active(a.id, false).await.unwrap().active);
        assert!(store.set_active(b.id, true).await.unwrap().active);
        assert_eq!(store.active_by_path("orders").await.unwrap().unwrap().id, b.id);
        assert_eq!(store.active_routes("webhook").await.unwrap(), [store::Route { workflow_id: b.id, version: b.version }]);
        assert!(store.active_routes("schedule").await.unwrap().is_empty());
    }

    async fn saving_an_active_workflow_onto_a_served_path_is_a_conflict_and_changes_nothing(store: Store) {
        let a = store.create_workflow(webhook_doc("a", "one")).await.unwrap();
        let b = store.create_workflow(webhook_doc("b", "two")).await.unwrap();
        store.set_active(a.id, true).await.unwrap();
        store.set_active(b.id, true).await.unwrap();
        let clash = store.update_workflow(b.id, webhook_doc("b", "one")).await;
        assert!(matches!(clash, Err(Error::Conflict { .. })), "{clash:?}");
        let b_now = store.workflow(b.id).await.unwrap().unwrap();
        assert_eq!((b_now.version, b_now.webhook_path.as_deref()), (1, Some("two")));
        assert_eq!(store.versions(b.id).await.unwrap().len(), 1);
        // An active workflow serves a new save at once.
        let moved = store.update_workflow(b.id, webhook_doc("b", "three")).await.unwrap();
        assert!(moved.active);
        assert_eq!(store.active_by_path("three").await.unwrap().unwrap().version, 2);
        assert!(store.active_by_path("two").await.unwrap().is_none());
    }

    async fn the_workflow_list_shows_each_workflows_last_execution(store: Store) {
        let a = store.create_workflow(manual_doc("a")).await.unwrap();
        let b = store.create_workflow(manual_doc("b")).await.unwrap();
        store.enqueue(new_execution(&a, None)).await.unwrap();
        let last = store.enqueue(new_execution(&a, None)).await.unwrap();
        let list = store.list_workflows().await.unwrap();
        assert_eq!(list.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let a_last = list[0].last_execution.as_ref().unwrap();
        assert_eq!(a_last.id, last.execution_id);
        assert_eq!(a_last.status, ExecutionStatus::Queued);
        assert_eq!(list[1].id, b.id);
        assert!(list[1].last_execution.is_none());
    }

    async fn deleting_a_workflow_deletes_its_versions_executions_and_step_runs(store: Store) {
        let (w, id, attempt) = claimed_execution(&store).await;
        store.update_workflow(w.id, manual_doc("v2")).await.unwrap();
        let journal = store.journal(id, attempt);
        let a = step("a", engine::StepStatus::Succeeded, Some(json!(1)));
        engine::Journal::record(&journal, id, engine::StepEvent::Finished(&a)).await.unwrap();
        assert_eq!(store.step_runs(id).await.unwrap().len(), 1);

        store.delete_workflow(w.id).await.unwrap();
        assert!(store.workflow(w.id).await.unwrap().is_none());
        assert!(store.version(w.id, 1).await.unwrap().is_none());
        assert!(store.execution(id).await.unwrap().is_none());
        assert!(store.step_runs(id).await.unwrap().is_empty());
        let again = store.delete_workflow(w.id).await;
        assert!(matches!(again, Err(Error::NotFound { .. })), "{again:?}");
    }
}

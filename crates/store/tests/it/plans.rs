use std::sync::Arc;

use store::{PlanError, Plans};

use crate::support::*;

fn no_steps(name: &str) -> store::WorkflowDoc {
    yaml(&format!(
        "name: {name}\ntrigger: {{ type: manual }}\nsteps: []\n"
    ))
}

backends! {
    async fn plans_are_compiled_once_per_version_and_the_least_recently_used_goes_first(store: Store) {
        let w = store.create_workflow(no_steps("cached")).await.unwrap();
        store.update_workflow(w.id, no_steps("cached")).await.unwrap();
        store.update_workflow(w.id, no_steps("cached")).await.unwrap();
        // The trigger kinds, and no action at all.
        let mut registry = engine::Registry::new();
        registry.with_triggers(triggers::kinds().clone());
        let plans = Plans::new(store.clone(), Arc::new(registry), 2);

        let one = plans.get(w.id, 1).await.unwrap();
        assert!(Arc::ptr_eq(&one, &plans.get(w.id, 1).await.unwrap()), "served from the cache");
        let two = plans.get(w.id, 2).await.unwrap();
        plans.get(w.id, 1).await.unwrap(); // 1 is now more recent than 2
        plans.get(w.id, 3).await.unwrap();
        assert_eq!(plans.len(), 2, "bounded");
        assert!(Arc::ptr_eq(&one, &plans.get(w.id, 1).await.unwrap()), "1 stayed");
        assert!(!Arc::ptr_eq(&two, &plans.get(w.id, 2).await.unwrap()), "2 went and was compiled again");

        match plans.get(w.id, 9).await {
            Err(PlanError::Missing { version: 9, .. }) => {}
            other => panic!("expected Missing, got {:?}", other.map(|_| ())),
        }
        // A stored version that no longer compiles (here: no action is registered) says why.
        let bad = store.create_workflow(manual_doc("uses set")).await.unwrap();
        match plans.get(bad.id, 1).await {
            Err(e @ PlanError::Invalid(_)) => assert!(e.to_string().contains("set"), "{e}"),
            other => panic!("expected Invalid, got {:?}", other.map(|_| ())),
        }
    }
}

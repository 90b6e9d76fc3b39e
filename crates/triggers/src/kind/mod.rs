//! The trigger kinds, one module each, each an [`engine::trigger::TriggerKind`]; [`kinds`]
//! registers them. Adding a kind is one module here, one line in [`kinds`] and its variant in
//! [`engine::model::Trigger`] (the typed document and its JSON Schema).

mod manual;
mod schedule;
mod webhook;

use std::sync::LazyLock;

use engine::trigger::TriggerKinds;

pub use manual::Manual;
pub use schedule::{Parsed as ParsedSchedule, Schedule};
pub use webhook::{RateLimit, Webhook};

/// Every trigger kind. Built once per process: the registry carried by `engine::Registry`
/// (see `weft::registry`) and the store's routing read the same one.
pub fn kinds() -> &'static TriggerKinds {
    static KINDS: LazyLock<TriggerKinds> = LazyLock::new(|| {
        let mut kinds = TriggerKinds::new();
        kinds.register(Webhook).register(Schedule).register(Manual);
        kinds
    });
    &KINDS
}

#[cfg(test)]
mod tests {
    use engine::model::Trigger;

    /// Every `type:` the document's schema allows has a registered kind, and every kind a
    /// variant in [`Trigger`].
    #[test]
    fn every_trigger_type_of_the_document_is_registered() {
        let schema = engine::schema::workflow_schema(&engine::Registry::new());
        let mut types: Vec<_> = schema["$defs"]["Trigger"]["oneOf"]
            .as_array()
            .expect("Trigger is a oneOf")
            .iter()
            .map(|v| {
                v["properties"]["type"]["const"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        types.sort();
        let mut kinds: Vec<_> = super::kinds()
            .iter()
            .map(|k| k.info().kind.to_string())
            .collect();
        kinds.sort();
        assert_eq!(types, kinds);
        for t in &types {
            let trigger: Trigger = serde_json::from_value(match t.as_str() {
                "schedule" => serde_json::json!({"type": t, "cron": "* * * * *"}),
                "webhook" => serde_json::json!({"type": t, "path": "p"}),
                _ => serde_json::json!({"type": t}),
            })
            .unwrap();
            assert_eq!(trigger.kind(), t, "Trigger::kind agrees with serde's tag");
        }
    }
}

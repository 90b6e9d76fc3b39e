//! `type: manual`: started by hand (the editor, the API, `weft run`). Its event is the default
//! one: kind `manual`, `POST`, no path, the given body.

use engine::trigger::{TriggerInfo, TriggerKind};

/// The manual trigger kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Manual;

impl Manual {
    pub const KIND: &str = "manual";
}

impl TriggerKind for Manual {
    fn info(&self) -> TriggerInfo {
        TriggerInfo {
            kind: Manual::KIND,
            title: "Manual",
            description: "Started by hand: from the editor, the API (POST /api/v1/workflows/{id}/run) or `weft run`.",
        }
    }
}

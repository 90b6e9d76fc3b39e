//! `type: schedule`: a cron schedule. Validated here; nothing fires it yet (the scheduler will
//! be this kind's [`TriggerKind::start`]).

use engine::action::ConfigProblem;
use engine::model::{ScheduleTrigger, Trigger};
use engine::trigger::{TriggerInfo, TriggerKind};

/// The schedule trigger kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Schedule;

impl Schedule {
    pub const KIND: &str = "schedule";

    /// The settings of a schedule trigger (`None` for another kind).
    pub fn settings(trigger: &Trigger) -> Option<&ScheduleTrigger> {
        match trigger {
            Trigger::Schedule(s) => Some(s),
            _ => None,
        }
    }
}

impl TriggerKind for Schedule {
    fn info(&self) -> TriggerInfo {
        TriggerInfo {
            kind: Schedule::KIND,
            title: "Schedule",
            description: "A cron schedule: five fields (minute hour day month weekday), or six with seconds first, in a time zone.",
        }
    }

    fn validate(&self, trigger: &Trigger) -> Vec<ConfigProblem> {
        let Some(s) = Schedule::settings(trigger) else {
            return Vec::new();
        };
        match s.cron.parse::<croner::Cron>() {
            Ok(_) => Vec::new(),
            Err(e) => vec![ConfigProblem::new(
                "cron",
                format!("`{}` is not a valid cron expression: {e}", s.cron),
            )],
        }
    }
}

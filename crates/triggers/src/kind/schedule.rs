//! `type: schedule`: a cron schedule in a time zone, fired by this kind's task in `weft serve`.
//!
//! The task looks at the active schedule workflows every second (so an activation, a
//! deactivation or a new version takes effect within a second) and submits one execution per
//! tick. Each submission carries the idempotency key `schedule:<tick>`, taken in the enqueue
//! transaction, so a tick runs once even when several processes share one database. A tick
//! runs from its time until [`LATE`] after it (a paused process drops older ones). Ticks missed
//! while the process was down are dropped (`catch_up: skip`, the default), or run as one
//! execution at the process's first look (`catch_up: run_once`; the body's `missed` says how
//! many).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use engine::TriggerEvent;
use engine::action::ConfigProblem;
use engine::model::{CatchUp, ScheduleTrigger, Trigger};
use engine::trigger::{
    ActiveWorkflow, Submission, TriggerContext, TriggerInfo, TriggerKind, TriggerTask,
};
use serde_json::json;
use uuid::Uuid;

/// How long after its time a tick still runs.
pub const LATE: Duration = Duration::from_secs(30);

/// How often the task looks at the active schedule workflows.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The most ticks counted when catching up (a schedule every second, down for days).
const MAX_MISSED: usize = 100_000;

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

/// A schedule's cron and time zone, parsed.
#[derive(Debug, Clone)]
pub struct Parsed {
    cron: croner::Cron,
    tz: Tz,
}

impl Parsed {
    /// Parses the settings; the problems are located below `trigger`.
    pub fn new(s: &ScheduleTrigger) -> Result<Parsed, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let cron = s
            .cron
            .parse::<croner::Cron>()
            .map_err(|e| {
                problems.push(ConfigProblem::new(
                    "cron",
                    format!("`{}` is not a valid cron expression: {e}", s.cron),
                ))
            })
            .ok();
        let tz = match s.timezone.as_deref() {
            None => Some(Tz::UTC),
            Some(name) => Tz::from_str(name)
                .map_err(|_| {
                    problems.push(ConfigProblem::new(
                        "timezone",
                        format!(
                            "`{name}` is not an IANA time zone (e.g. `Europe/Paris`, `America/New_York`, `UTC`)"
                        ),
                    ))
                })
                .ok(),
        };
        match (cron, tz) {
            (Some(cron), Some(tz)) if problems.is_empty() => Ok(Parsed { cron, tz }),
            _ => Err(problems),
        }
    }

    /// The first tick strictly after `after` (ticks are whole seconds).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        use chrono::SubsecRound;
        self.cron
            .find_next_occurrence(&after.trunc_subsecs(0).with_timezone(&self.tz), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The next `count` ticks strictly after `after`.
    pub fn next_runs(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(count);
        let mut at = after;
        while out.len() < count {
            match self.next_after(at) {
                Some(t) => {
                    out.push(t);
                    at = t;
                }
                None => break,
            }
        }
        out
    }

    pub fn timezone(&self) -> &str {
        self.tz.name()
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
        match Schedule::settings(trigger) {
            Some(s) => Parsed::new(s).err().unwrap_or_default(),
            None => Vec::new(),
        }
    }

    fn start(&self, context: TriggerContext) -> Option<TriggerTask> {
        Some(Box::pin(run(context)))
    }
}

/// What the task knows of one active schedule workflow.
struct Slot {
    version: i32,
    parsed: Parsed,
    /// The next tick to submit.
    next: Option<DateTime<Utc>>,
}

async fn run(mut context: TriggerContext) {
    let mut slots: HashMap<Uuid, Slot> = HashMap::new();
    // Ticks missed while the process was down are caught up (`run_once`) at its first look
    // only: a workflow activated or saved later starts from then.
    let mut first_look = true;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = context.stop.changed() => {}
        }
        if *context.stop.borrow() {
            return;
        }
        let active = match context.host.active_workflows(Schedule::KIND).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the active schedules; trying again");
                continue;
            }
        };
        slots.retain(|id, _| active.iter().any(|w| w.id == *id));
        let now = Utc::now();
        for w in &active {
            let fresh = slots.get(&w.id).is_none_or(|s| s.version != w.version);
            if fresh {
                let Some(slot) = first_sight(&context, w, now, first_look).await else {
                    continue;
                };
                slots.insert(w.id, slot);
            }
            if let Some(slot) = slots.get_mut(&w.id) {
                fire_due(&context, w, slot, now).await;
            }
        }
        first_look = false;
    }
}

/// A workflow seen for the first time (a start, an activation, a new version): its ticks count
/// from now; at the process's first look, `catch_up: run_once` also runs one execution for the
/// ticks missed since the last one that ran.
async fn first_sight(
    context: &TriggerContext,
    w: &ActiveWorkflow,
    now: DateTime<Utc>,
    catch_up_allowed: bool,
) -> Option<Slot> {
    let s = Schedule::settings(&w.plan.workflow.trigger)?;
    let parsed = match Parsed::new(s) {
        Ok(p) => p,
        Err(problems) => {
            // Saved versions are validated; a zone database change could still do this.
            tracing::error!(workflow_id = %w.id, problems = ?problems.iter().map(|p| &p.message).collect::<Vec<_>>(), "the schedule cannot be read; it does not run");
            return None;
        }
    };
    if catch_up_allowed && s.catch_up.unwrap_or_default() == CatchUp::RunOnce {
        match context.host.last_scheduled(w.id).await {
            Ok(Some(last)) => {
                let mut missed = 0usize;
                let mut latest = None;
                let mut at = last;
                while let Some(t) = parsed.next_after(at) {
                    if t > now || missed >= MAX_MISSED {
                        break;
                    }
                    missed += 1;
                    latest = Some(t);
                    at = t;
                }
                if let Some(tick) = latest {
                    submit(context, w, &parsed, tick, Some(missed)).await;
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(workflow_id = %w.id, error = %e, "cannot read the last scheduled run; nothing caught up")
            }
        }
    }
    Some(Slot {
        version: w.version,
        next: parsed.next_after(now),
        parsed,
    })
}

/// Submits every tick that is due (at or before `now`, not more than [`LATE`] ago).
async fn fire_due(
    context: &TriggerContext,
    w: &ActiveWorkflow,
    slot: &mut Slot,
    now: DateTime<Utc>,
) {
    let oldest = now - chrono::Duration::from_std(LATE).unwrap_or_default();
    if let Some(tick) = slot.next.filter(|t| *t < oldest) {
        // The process was paused: the ticks since are dropped at once, not one by one.
        tracing::info!(workflow_id = %w.id, from = %tick, to = %oldest, "ticks more than 30 s late are skipped");
        slot.next = slot
            .parsed
            .next_after(oldest - chrono::Duration::seconds(1));
    }
    while let Some(tick) = slot.next.filter(|t| *t <= now) {
        submit(context, w, &slot.parsed, tick, None).await;
        slot.next = slot.parsed.next_after(tick);
    }
}

async fn submit(
    context: &TriggerContext,
    w: &ActiveWorkflow,
    parsed: &Parsed,
    tick: DateTime<Utc>,
    missed: Option<usize>,
) {
    let at = tick.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut body = json!({ "scheduled_at": at, "timezone": parsed.timezone() });
    if let Some(n) = missed {
        body["missed"] = json!(n);
    }
    let event = TriggerEvent {
        kind: Schedule::KIND.into(),
        method: "POST".into(),
        body,
        ..Default::default()
    };
    let submission = Submission {
        workflow_id: w.id,
        version: w.version,
        event: std::sync::Arc::new(event),
        idempotency_key: Some(format!("schedule:{at}")),
    };
    if let Err(e) = context.host.submit(submission).await {
        tracing::error!(workflow_id = %w.id, tick = %at, error = %e, "a scheduled run could not be queued");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(cron: &str, tz: Option<&str>) -> Parsed {
        Parsed::new(&ScheduleTrigger {
            cron: cron.into(),
            timezone: tz.map(str::to_string),
            catch_up: None,
        })
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn five_fields_or_six_with_seconds_first_in_a_time_zone() {
        let p = parsed("30 9 * * 1-5", Some("Europe/Paris"));
        // 2026-03-06 is a Friday; 09:30 in Paris (UTC+1 in winter) is 08:30 UTC.
        assert_eq!(
            p.next_runs(at("2026-03-06T00:00:00Z"), 2),
            [at("2026-03-06T08:30:00Z"), at("2026-03-09T08:30:00Z")]
        );
        let every_second = parsed("* * * * * *", None);
        assert_eq!(
            every_second.next_runs(at("2026-01-01T00:00:00Z"), 2),
            [at("2026-01-01T00:00:01Z"), at("2026-01-01T00:00:02Z")]
        );
    }

    #[test]
    fn daylight_saving_time_follows_the_zone() {
        // Paris moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00: 09:30 local is 08:30 UTC the
        // day before and 07:30 UTC after.
        let p = parsed("30 9 * * *", Some("Europe/Paris"));
        assert_eq!(
            p.next_runs(at("2026-03-28T00:00:00Z"), 2),
            [at("2026-03-28T08:30:00Z"), at("2026-03-29T07:30:00Z")]
        );
        // 02:30 does not exist that night: it runs once, at the first time after the gap.
        let gap = parsed("30 2 * * *", Some("Europe/Paris"));
        let runs = gap.next_runs(at("2026-03-28T12:00:00Z"), 2);
        assert_eq!(runs.len(), 2);
        assert!(
            runs[0] >= at("2026-03-29T01:00:00Z") && runs[0] < at("2026-03-29T02:00:00Z"),
            "{runs:?}"
        );
    }

    #[test]
    fn a_bad_cron_or_zone_is_a_located_problem() {
        let problems = Parsed::new(&ScheduleTrigger {
            cron: "every day".into(),
            timezone: Some("Mars/Olympus".into()),
            catch_up: None,
        })
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["cron", "timezone"], "{problems:?}");
        assert!(problems[1].message.contains("Mars/Olympus"), "{problems:?}");
    }
}

//! The human trace `weft run` prints on stderr while the execution runs.

use std::io::Write;
use std::sync::Mutex;

use async_trait::async_trait;
use engine::journal::JournalError;
use engine::{ExecutionResult, Journal, Plan, StepEvent, StepStatus};
use uuid::Uuid;

pub struct Trace {
    width: usize,
    out: Mutex<std::io::Stderr>,
}

impl Trace {
    pub fn new(plan: &Plan) -> Self {
        Trace {
            width: plan
                .steps
                .iter()
                .map(|s| s.id.len())
                .max()
                .unwrap_or(4)
                .max(4),
            out: Mutex::new(std::io::stderr()),
        }
    }

    fn line(&self, s: String) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{s}");
    }

    pub fn start(&self, plan: &Plan, id: Uuid) {
        self.line(format!("▶ {}  (execution {id})", plan.workflow.name));
    }

    pub fn finish(&self, r: &ExecutionResult) {
        let ms = (r.finished_at - r.started_at)
            .num_microseconds()
            .unwrap_or(0) as f64
            / 1000.0;
        match &r.error {
            None => self.line(format!("✓ {} in {ms:.1} ms", r.status.as_str())),
            Some(e) => self.line(format!(
                "✗ {} in {ms:.1} ms{}: {}",
                r.status.as_str(),
                e.step_id
                    .as_ref()
                    .map(|s| format!(" at step `{s}`"))
                    .unwrap_or_default(),
                e.message
            )),
        }
    }
}

#[async_trait]
impl Journal for Trace {
    async fn record(&self, _: Uuid, event: StepEvent<'_>) -> Result<(), JournalError> {
        match event {
            StepEvent::Started { .. } => {}
            StepEvent::Retrying {
                step_id,
                item_index,
                attempt,
                error,
                delay_ms,
            } => self.line(format!(
                "  ↻ {step_id:<w$}  attempt {attempt}{} failed: {error}; retrying in {delay_ms} ms",
                item_index
                    .map(|i| format!(" (item {i})"))
                    .unwrap_or_default(),
                w = self.width
            )),
            StepEvent::Finished(r) => {
                let mark = match r.status {
                    StepStatus::Succeeded => "✓",
                    StepStatus::Failed if r.output.is_some() => "!",
                    StepStatus::Failed => "✗",
                    StepStatus::Skipped => "↷",
                    StepStatus::Cancelled => "■",
                    StepStatus::Waiting => "⏸",
                    // Not a final status: never in a `Finished` event.
                    StepStatus::Running | StepStatus::Retrying => "…",
                };
                let mut s = format!(
                    "  {mark} {:<w$}  {:<8} {:<9}",
                    r.step_id,
                    r.action,
                    r.status.as_str(),
                    w = self.width
                );
                if r.status != StepStatus::Skipped {
                    s.push_str(&format!(" {:>9.1} ms", r.duration_us as f64 / 1000.0));
                }
                if r.attempts > 1 {
                    s.push_str(&format!("  {} attempts", r.attempts));
                }
                if let Some(port) = &r.port {
                    s.push_str(&format!("  → {port}"));
                }
                if let Some(e) = &r.error {
                    s.push_str(&format!("  error: {e}"));
                }
                self.line(s);
            }
        }
        Ok(())
    }
}

//! The process's metrics, rendered in Prometheus' text format by `GET /metrics`: counters and
//! histograms kept in memory (they start at zero with the process, as Prometheus expects),
//! plus gauges the scrape reads from the database ([`Store::metrics_text`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use crate::entity::{delivery, execution};
use crate::error::Result;
use crate::{DeliveryStatus, ExecutionStatus, Store};

/// Histogram buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Every metric: name, type, help.
const DESCRIBED: &[(&str, &str, &str)] = &[
    (
        "weft_executions_total",
        "counter",
        "Executions finished by this process, by workflow and status.",
    ),
    (
        "weft_step_duration_seconds",
        "histogram",
        "Duration of finished steps, by action.",
    ),
    (
        "weft_claim_duration_seconds",
        "histogram",
        "Time a claim of queued executions took.",
    ),
    (
        "weft_webhook_request_duration_seconds",
        "histogram",
        "Webhook requests answered, by status.",
    ),
    (
        "weft_oauth_refreshes_total",
        "counter",
        "OAuth2 token requests, by result (renewed, refused, failed).",
    ),
    (
        "weft_fenced_writes_total",
        "counter",
        "Writes rejected because this process had lost the execution's lease.",
    ),
    (
        "weft_queue_depth",
        "gauge",
        "Executions queued, waiting for a worker.",
    ),
    (
        "weft_queue_oldest_age_seconds",
        "gauge",
        "Age of the oldest queued execution (0 when none).",
    ),
    (
        "weft_executions_running",
        "gauge",
        "Executions running on any process.",
    ),
    (
        "weft_deliveries_pending",
        "gauge",
        "Outgoing webhooks not yet delivered or failed.",
    ),
];

type Key = (&'static str, Vec<(&'static str, String)>);

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The in-memory counters and histograms of this process.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, u64>>,
    histograms: Mutex<BTreeMap<Key, Histogram>>,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    (
        name,
        labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect(),
    )
}

impl Metrics {
    /// Adds 1 to counter `name` with `labels`.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *counters.entry(key(name, labels)).or_default() += 1;
    }

    /// Records `seconds` in histogram `name` with `labels`.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], seconds: f64) {
        let mut histograms = self.histograms.lock().unwrap_or_else(|p| p.into_inner());
        let h = histograms.entry(key(name, labels)).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    fn render(&self, out: &mut String) {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let histograms = self.histograms.lock().unwrap_or_else(|p| p.into_inner());
        for (name, kind, _) in DESCRIBED {
            match *kind {
                "counter" => {
                    for ((n, labels), v) in counters.iter().filter(|((n, _), _)| n == name) {
                        let _ = writeln!(out, "{n}{} {v}", label_text(labels, None));
                    }
                }
                "histogram" => {
                    for ((n, labels), h) in histograms.iter().filter(|((n, _), _)| n == name) {
                        for (i, le) in BUCKETS.iter().enumerate() {
                            let le = le.to_string();
                            let _ = writeln!(
                                out,
                                "{n}_bucket{} {}",
                                label_text(labels, Some(&le)),
                                h.counts[i]
                            );
                        }
                        let _ = writeln!(
                            out,
                            "{n}_bucket{} {}",
                            label_text(labels, Some("+Inf")),
                            h.count
                        );
                        let _ = writeln!(out, "{n}_sum{} {}", label_text(labels, None), h.sum);
                        let _ = writeln!(out, "{n}_count{} {}", label_text(labels, None), h.count);
                    }
                }
                _ => {}
            }
        }
    }
}

/// `{a="x",b="y"}` (with `le` last), escaped as the text format wants; empty without labels.
fn label_text(labels: &[(&'static str, String)], le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Store {
    /// Every metric of this process in Prometheus' text format (version 0.0.4), with the
    /// queue's gauges read from the database now.
    pub async fn metrics_text(&self) -> Result<String> {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
        let queued = execution::Entity::find()
            .filter(execution::Column::Status.eq(ExecutionStatus::Queued))
            .count(self.db())
            .await?;
        let running = execution::Entity::find()
            .filter(execution::Column::Status.eq(ExecutionStatus::Running))
            .count(self.db())
            .await?;
        let oldest: Option<chrono::DateTime<chrono::Utc>> = execution::Entity::find()
            .select_only()
            .column_as(execution::Column::CreatedAt.min(), "oldest")
            .filter(execution::Column::Status.eq(ExecutionStatus::Queued))
            .into_tuple::<Option<chrono::DateTime<chrono::Utc>>>()
            .one(self.db())
            .await?
            .flatten();
        let pending = delivery::Entity::find()
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .count(self.db())
            .await?;
        let oldest_age = oldest.map_or(0.0, |t| {
            (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
        });
        let mut out = String::new();
        for (name, kind, help) in DESCRIBED {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        }
        metrics().render(&mut out);
        let _ = writeln!(out, "weft_fenced_writes_total {}", self.fenced_writes());
        let _ = writeln!(out, "weft_queue_depth {queued}");
        let _ = writeln!(out, "weft_queue_oldest_age_seconds {oldest_age}");
        let _ = writeln!(out, "weft_executions_running {running}");
        let _ = writeln!(out, "weft_deliveries_pending {pending}");
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_text_format() {
        let m = Metrics::default();
        m.inc(
            "weft_executions_total",
            &[("workflow", "a \"b\"\n"), ("status", "succeeded")],
        );
        m.inc(
            "weft_executions_total",
            &[("workflow", "a \"b\"\n"), ("status", "succeeded")],
        );
        m.observe("weft_step_duration_seconds", &[("action", "http")], 0.02);
        m.observe("weft_step_duration_seconds", &[("action", "http")], 3.0);
        let mut out = String::new();
        m.render(&mut out);
        assert!(
            out.contains(
                "weft_executions_total{workflow=\"a \\\"b\\\"\\n\",status=\"succeeded\"} 2\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("weft_step_duration_seconds_bucket{action=\"http\",le=\"0.01\"} 0\n"),
            "{out}"
        );
        assert!(
            out.contains("weft_step_duration_seconds_bucket{action=\"http\",le=\"0.025\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("weft_step_duration_seconds_bucket{action=\"http\",le=\"5\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("weft_step_duration_seconds_bucket{action=\"http\",le=\"+Inf\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("weft_step_duration_seconds_sum{action=\"http\"} 3.02\n"),
            "{out}"
        );
        assert!(
            out.contains("weft_step_duration_seconds_count{action=\"http\"} 2\n"),
            "{out}"
        );
    }
}

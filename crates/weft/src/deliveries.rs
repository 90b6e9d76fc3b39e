//! The delivery runner of `weft serve`: sends the outgoing webhooks steps queued
//! (`action: webhook`). It claims due deliveries from the store with a lease, POSTs each
//! through the process's one HTTP client (its outbound policy; no redirects followed), signed
//! per Standard Webhooks with a fresh timestamp and signature per attempt and the same
//! `webhook-id`, and records the attempt: delivered on a 2xx; otherwise the next attempt on the
//! retry schedule (with jitter, and not before the receiver's `Retry-After`), or failed after
//! the last attempt or on a 410. A process that dies mid-attempt loses nothing: the lease runs
//! out and the delivery is claimed again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use engine::credentials::CredentialsProvider;
use engine::model::HmacPreset;
use store::{AttemptResult, DeliveryRecord, Next};
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

/// The Standard Webhooks schedule: the delay before each attempt, the first at once.
pub const DEFAULT_SCHEDULE: [Duration; 10] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// The longest `Retry-After` honoured; a receiver asking for more gets the schedule's delay (or
/// this).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// How often the runner looks for due deliveries besides being told (retries coming due,
/// deliveries queued by other processes).
const POLL: Duration = Duration::from_secs(1);

/// How long in-flight attempts get at shutdown before they are cut (and handed back).
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The most of an answer's body kept with an attempt.
const MAX_BODY: usize = store::MAX_EXCERPT;

/// How the runner behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The delay before each attempt (the first zero: at once): as many attempts as entries.
    pub schedule: Vec<Duration>,
    /// One attempt, reading the answer included.
    pub timeout: Duration,
    /// Attempts in flight at once in this process.
    pub concurrency: usize,
}

/// Everything an attempt needs.
struct Runner {
    store: store::Store,
    client: actions::HttpClient,
    credentials: Arc<dyn CredentialsProvider>,
    settings: Settings,
    /// This process's lease owner name.
    owner: String,
    /// The deliveries claimed and not yet recorded.
    in_flight: Mutex<HashSet<Uuid>>,
}

/// Starts the runner on a task; it stops when `stop` turns true.
pub fn start(
    store: store::Store,
    client: actions::HttpClient,
    credentials: Arc<dyn CredentialsProvider>,
    settings: Settings,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let runner = Arc::new(Runner {
        store,
        client,
        credentials,
        settings,
        owner: format!("deliveries-{}", Uuid::now_v7()),
        in_flight: Mutex::new(HashSet::new()),
    });
    tokio::spawn(run(runner, stop))
}

async fn run(runner: Arc<Runner>, mut stop: watch::Receiver<bool>) {
    // A claim lasts the attempt's timeout and a margin: an attempt still under way when it ends
    // has timed out, so no two processes send the same attempt.
    let lease = runner.settings.timeout + Duration::from_secs(30);
    let concurrency = runner.settings.concurrency.max(1);
    let mut tasks = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let free = concurrency.saturating_sub(tasks.len());
        let mut full = false;
        // A read first: an idle queue costs no write.
        let due = match runner.store.deliveries_are_due().await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for due deliveries");
                false
            }
        };
        if free > 0 && due {
            match runner
                .store
                .claim_deliveries(&runner.owner, lease, free)
                .await
            {
                Ok(claimed) => {
                    full = claimed.len() == free;
                    for d in claimed {
                        runner.in_flight.lock().expect("lock").insert(d.id);
                        let r = runner.clone();
                        tasks.spawn(async move { r.attempt(d).await });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot claim deliveries"),
            }
        }
        if full {
            // More may be due: look again as soon as a slot frees.
            tokio::select! {
                _ = tasks.join_next() => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        tokio::select! {
            _ = runner.store.deliveries_due(POLL) => {}
            _ = stop.changed() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    let all = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let cut: Vec<Uuid> = runner.in_flight.lock().expect("lock").drain().collect();
        tracing::warn!(
            deliveries = cut.len(),
            "delivery attempts cut at shutdown; they are due again at the next start"
        );
        if let Err(e) = runner.store.release_deliveries(&runner.owner, &cut).await {
            tracing::warn!(error = %e, "cannot hand deliveries back; their leases will run out");
        }
    }
}

impl Runner {
    /// One attempt of a claimed delivery, recorded.
    async fn attempt(&self, d: DeliveryRecord) {
        let started_at = Utc::now();
        let schedule = &self.settings.schedule;
        // The attempt's number in the current round of the schedule, from 1.
        let number = d.attempts.saturating_sub(d.schedule_from) as usize;
        let result = if number > schedule.len() {
            // Claims that ended without a record (a crash mid-attempt) used up the round.
            AttemptResult {
                started_at,
                status: None,
                error: Some(format!(
                    "no attempt left: the round of {} attempts ended with an interrupted one",
                    schedule.len()
                )),
                body: None,
                next: Next::Failed,
            }
        } else {
            self.send(&d, started_at, number).await
        };
        let outcome = match result.next {
            Next::Delivered => "delivered",
            Next::RetryAt(_) => "retry",
            Next::Failed => "failed",
        };
        // The URL and the error (which names it) may carry a receiver's token: not logged.
        tracing::info!(
            delivery_id = %d.id, message_id = %d.message_id, attempt = d.attempts,
            status = result.status, outcome, "webhook delivery attempt"
        );
        match self
            .store
            .record_attempt(d.id, &self.owner, d.attempts, result)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(delivery_id = %d.id, "the delivery was taken over by another runner; attempt not recorded")
            }
            Err(e) => {
                tracing::warn!(delivery_id = %d.id, error = %e, "cannot record the delivery attempt; it is claimed again after its lease")
            }
        }
        self.in_flight.lock().expect("lock").remove(&d.id);
    }

    /// Signs and sends attempt `number` (of the round) of `d`, and says what follows.
    async fn send(
        &self,
        d: &DeliveryRecord,
        started_at: chrono::DateTime<Utc>,
        number: usize,
    ) -> AttemptResult {
        let retry_or_fail = |retry_after: Option<Duration>| match self.settings.schedule.get(number)
        {
            Some(delay) => {
                let wait = jitter(*delay).max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER));
                Next::RetryAt(
                    Utc::now()
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero()),
                )
            }
            None => Next::Failed,
        };
        let timestamp = Utc::now().timestamp();
        let mut webhook_headers = vec![
            ("webhook-id", d.message_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
        ];
        if let Some(name) = &d.credential {
            match self.sign(d, name, timestamp).await {
                Ok(headers) => webhook_headers = headers,
                // Not sent. A credential not bound to the URL's host never signs for it; any
                // other problem the operator may fix before the next attempt.
                Err((error, permanent)) => {
                    return AttemptResult {
                        started_at,
                        status: None,
                        error: Some(format!("not sent: {error}")),
                        body: None,
                        next: if permanent {
                            Next::Failed
                        } else {
                            retry_or_fail(None)
                        },
                    };
                }
            }
        }
        let sent = actions::webhook::send(
            &self.client,
            actions::webhook::Outgoing {
                url: &d.url,
                headers: &d.headers,
                webhook_headers: &webhook_headers,
                body: &d.body,
                timeout: self.settings.timeout,
                max_body: MAX_BODY,
            },
        )
        .await;
        let next = if sent.is_success() {
            Next::Delivered
        } else if sent.permanent || sent.status == Some(410) {
            Next::Failed
        } else {
            retry_or_fail(sent.retry_after)
        };
        let error = match (sent.status, sent.error) {
            (Some(410), Some(e)) => Some(format!("{e}: the receiver wants no more deliveries")),
            (_, e) => e,
        };
        AttemptResult {
            started_at,
            status: sent.status,
            error,
            body: sent.body,
            next,
        }
    }

    /// The `webhook-*` headers of `d` signed with credential `name`, read at each attempt
    /// (never stored); on an error, whether it is permanent (the credential may not sign for
    /// the URL's host).
    async fn sign(
        &self,
        d: &DeliveryRecord,
        name: &str,
        timestamp: i64,
    ) -> Result<Vec<(&'static str, String)>, (String, bool)> {
        let resolved = self
            .credentials
            .get(name)
            .await
            .map_err(|e| (e.to_string(), false))?;
        actions::webhook::check_signing_host(name, &resolved, &d.url).map_err(|e| (e, true))?;
        let secret = actions::webhook::check_signing_secret(name, resolved.credential)
            .map_err(|e| (e, false))?;
        triggers::sign(
            HmacPreset::StandardWebhooks,
            &secret,
            &d.message_id,
            timestamp,
            d.body.as_bytes(),
        )
        .map_err(|e| (format!("credential `{name}`: {e}"), false))
    }
}

/// `delay` plus or minus up to 10%, so that deliveries failing together do not come back
/// together.
fn jitter(delay: Duration) -> Duration {
    if delay.is_zero() {
        return delay;
    }
    // A uniform factor in [0.9, 1.1).
    let unit = (Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    delay.mul_f64(0.9 + 0.2 * unit)
}

/// Parses a schedule: comma-separated durations (`0s,5s,5m`), at least one, each at most a
/// week; the first is `0s` (the first attempt is sent as soon as the step queued it), each
/// next one the delay after a failed attempt.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    let mut schedule = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let d = match part {
            "0" => Duration::ZERO,
            _ => engine::duration::parse(part)?,
        };
        if d > Duration::from_secs(7 * 24 * 3600) {
            return Err(format!("`{part}` is longer than a week"));
        }
        schedule.push(d);
    }
    match schedule.first() {
        None => Err("the schedule needs at least one attempt, e.g. `0s,5s,5m`".into()),
        Some(first) if !first.is_zero() => Err(format!(
            "the first attempt is sent at once: start the schedule with `0s`, not `{}`",
            text.split(',').next().unwrap_or_default().trim()
        )),
        Some(_) => Ok(schedule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_jitter_stays_within_ten_percent() {
        assert_eq!(
            parse_schedule("0s, 1s,2m").unwrap(),
            [
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(120)
            ]
        );
        assert!(parse_schedule("").is_err());
        assert!(parse_schedule("1s,soon").unwrap_err().contains("soon"));
        assert!(parse_schedule("0s,8d").unwrap_err().contains("week"));
        assert!(
            parse_schedule("5s,1m")
                .unwrap_err()
                .contains("start the schedule with `0s`")
        );
        for _ in 0..100 {
            let d = jitter(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(9) && d <= Duration::from_secs(11),
                "{d:?}"
            );
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}

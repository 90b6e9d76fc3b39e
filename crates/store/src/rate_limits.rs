//! Webhook rate limits: [`Store::take_rate_slot`], a fixed-window counter per key.
//!
//! PostgreSQL counts in the `rate_limits` table (one row per key and window, one upsert per
//! call), so that every `weft serve` process on the database shares a limit. SQLite is one
//! process by design: it counts in this process's memory, and a call costs no write.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as DbValue};

use crate::{Backend, Error, Result, Store};

/// What [`Store::take_rate_slot`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// The call is within the limit (and counted).
    pub allowed: bool,
    /// Whole seconds until the current window ends (at least 1): `Retry-After` of a refusal.
    pub retry_after_secs: u64,
}

/// SQLite's counters: the current window of each key.
#[derive(Debug, Default)]
pub(crate) struct Windows(Mutex<HashMap<String, Window>>);

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    end: i64,
    count: u64,
}

/// How many keys SQLite's map holds before a new key makes it drop the ended windows.
const PRUNE_AT: usize = 1024;

/// PostgreSQL: rows of windows that ended this long ago go, whatever their key (a little
/// slack for processes whose clocks differ by a few seconds).
const STALE_AFTER_SECS: i64 = 60;

const TAKE_POSTGRES: &str = "INSERT INTO rate_limits (key, window_start, window_end, count) \
     VALUES ($1, $2, $3, 1) \
     ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 \
     RETURNING count";

/// The key's earlier windows, and any window that ended a while ago.
const PRUNE_POSTGRES: &str =
    "DELETE FROM rate_limits WHERE (key = $1 AND window_start < $2) OR window_end < $3";

impl Store {
    /// Counts one call of `key` in the fixed window of `window_secs` seconds holding `now`
    /// (windows start at multiples of their length since the Unix epoch) and says whether it
    /// is within `limit`. A refused call is counted too (the count only grows within a
    /// window). The webhook intake calls it with the workflow id as the key.
    ///
    /// PostgreSQL: one upsert on `rate_limits`, shared by every process on the database (they
    /// are expected to agree on the time to within a second or so); the first call of a window
    /// also deletes the key's earlier windows and every window that ended over a minute ago,
    /// so the table holds about one row per limited workflow. SQLite: a counter in this
    /// process's memory (one entry per key; ended windows are dropped once there are many
    /// keys), so a restart starts every window afresh.
    pub async fn take_rate_slot(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_secs: u32,
        limit: u32,
    ) -> Result<RateDecision> {
        let length = i64::from(window_secs.max(1));
        let start = now.timestamp().div_euclid(length) * length;
        let end = start + length;
        // Ceil of the time left, in whole seconds: never 0.
        let left_ms = (end * 1000 - now.timestamp_millis()).max(1);
        let retry_after_secs = (left_ms as u64).div_ceil(1000).max(1);
        let count = match self.backend() {
            Backend::Sqlite => self
                .inner
                .rate_windows
                .take(key, (start, end), now.timestamp()),
            Backend::Postgres => {
                let stmt = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    TAKE_POSTGRES,
                    [DbValue::from(key), start.into(), end.into()],
                );
                let row = self
                    .db()
                    .query_one(stmt)
                    .await?
                    .ok_or_else(|| Error::corrupt("the rate-limit upsert returned no row"))?;
                let count: i64 = row.try_get("", "count")?;
                if count == 1 {
                    self.prune_rate_windows(key, start, now.timestamp()).await;
                }
                u64::try_from(count).unwrap_or(u64::MAX)
            }
        };
        Ok(RateDecision {
            allowed: count <= u64::from(limit),
            retry_after_secs,
        })
    }

    /// PostgreSQL: deletes the windows that are over (see [`Store::take_rate_slot`]). A
    /// failure is logged: the rows go with the next window.
    async fn prune_rate_windows(&self, key: &str, start: i64, now: i64) {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            PRUNE_POSTGRES,
            [
                DbValue::from(key),
                start.into(),
                (now - STALE_AFTER_SECS).into(),
            ],
        );
        if let Err(e) = self.db().execute(stmt).await {
            tracing::warn!(error = %e, "could not delete ended rate-limit windows");
        }
    }
}

impl Windows {
    /// Counts a call of `key` in the window `[start, end)` holding `now`; returns the
    /// window's count.
    fn take(&self, key: &str, (start, end): (i64, i64), now: i64) -> u64 {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = map.get_mut(key) {
            if w.start != start {
                *w = Window {
                    start,
                    end,
                    count: 0,
                };
            }
            w.count = w.count.saturating_add(1);
            return w.count;
        }
        if map.len() >= PRUNE_AT {
            map.retain(|_, w| w.end > now);
        }
        map.insert(
            key.to_string(),
            Window {
                start,
                end,
                count: 1,
            },
        );
        1
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_its_calls_and_a_new_window_starts_at_zero() {
        let w = Windows::default();
        assert_eq!(w.take("a", (60, 120), 61), 1);
        assert_eq!(w.take("a", (60, 120), 119), 2);
        assert_eq!(w.take("b", (60, 120), 119), 1, "keys count apart");
        assert_eq!(w.take("a", (120, 180), 120), 1, "the next window");
        assert_eq!(w.take("a", (120, 180), 121), 2);
    }

    #[test]
    fn many_keys_drop_the_ended_windows() {
        let w = Windows::default();
        for k in 0..PRUNE_AT {
            w.take(&format!("old-{k}"), (0, 1), 0);
        }
        w.take("hour", (0, 3600), 0);
        w.take("open", (10, 11), 10);
        assert_eq!(w.len(), 2, "the ended windows went, the open ones stay");
    }
}

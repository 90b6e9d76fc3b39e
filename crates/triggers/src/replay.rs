//! Replay protection: remembering the messages already accepted, so a captured signed request
//! sent again is refused ([`crate::AuthError::Replayed`]).
//!
//! Only presets whose signature covers a timestamp and a message identity give a replay key
//! (Standard Webhooks: `webhook-id`; Stripe: `t` and the signature). A key needs to be kept only
//! as long as its timestamp is inside the tolerance (±5 minutes, so 10 minutes); older replays
//! already fail the timestamp check. [`MemoryReplayGuard`] keeps keys 24 hours.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Remembers replay keys. Implementations must check and record in one atomic step and should
/// scope keys per workflow (see [`Scoped`]): two senders may use the same message ids.
pub trait ReplayGuard: Send + Sync {
    /// `true` if `key` was seen before (a replay); otherwise records it and returns `false`.
    fn seen(&self, key: &str) -> bool;
}

/// Keys in process memory, forgotten after a time to live (default 24 hours). For tests and a
/// single-process server; a restart forgets everything.
#[derive(Debug)]
pub struct MemoryReplayGuard {
    ttl: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    first_seen: HashMap<String, Instant>,
    next_sweep: Instant,
}

impl MemoryReplayGuard {
    pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

    pub fn new() -> Self {
        Self::with_ttl(Self::DEFAULT_TTL)
    }

    pub fn with_ttl(ttl: Duration) -> Self {
        MemoryReplayGuard {
            ttl,
            state: Mutex::new(State {
                first_seen: HashMap::new(),
                next_sweep: Instant::now(),
            }),
        }
    }

    /// [`ReplayGuard::seen`] at a given instant (for tests of expiry).
    pub fn seen_at(&self, key: &str, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.ttl;
        let live = |at: &Instant| now.saturating_duration_since(*at) < ttl;
        if now >= state.next_sweep {
            state.first_seen.retain(|_, at| live(at));
            state.next_sweep = now + (ttl / 16).max(Duration::from_secs(1));
        }
        match state.first_seen.get(key) {
            Some(at) if live(at) => true,
            _ => {
                state.first_seen.insert(key.to_string(), now);
                false
            }
        }
    }

    /// How many keys are remembered (expired ones may linger until the next sweep).
    pub fn len(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.first_seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn seen(&self, key: &str) -> bool {
        self.seen_at(key, Instant::now())
    }
}

/// A guard whose keys are prefixed with a scope (e.g. the workflow id): `{scope}:{key}`.
pub struct Scoped<'a> {
    scope: &'a str,
    inner: &'a dyn ReplayGuard,
}

impl<'a> Scoped<'a> {
    pub fn new(scope: &'a str, inner: &'a dyn ReplayGuard) -> Self {
        Scoped { scope, inner }
    }
}

impl ReplayGuard for Scoped<'_> {
    fn seen(&self, key: &str) -> bool {
        self.inner.seen(&format!("{}:{key}", self.scope))
    }
}

/// A guard that remembers nothing: for a server that enforces
/// [`crate::Verified::replay_key`] itself, e.g. with a unique index written in the same
/// transaction as the execution.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReplayGuard;

impl ReplayGuard for NoReplayGuard {
    fn seen(&self, _key: &str) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_once_and_seen_afterwards() {
        let guard = MemoryReplayGuard::new();
        assert!(!guard.seen("msg_1"));
        assert!(guard.seen("msg_1"));
        assert!(!guard.seen("msg_2"));
        assert_eq!(guard.len(), 2);
    }

    #[test]
    fn a_key_is_forgotten_after_its_time_to_live() {
        let guard = MemoryReplayGuard::with_ttl(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!guard.seen_at("k", t0));
        assert!(guard.seen_at("k", t0 + Duration::from_secs(59)));
        assert!(!guard.seen_at("k", t0 + Duration::from_secs(61)));
        assert!(guard.seen_at("k", t0 + Duration::from_secs(62)));
    }

    #[test]
    fn expired_keys_are_swept_away() {
        let guard = MemoryReplayGuard::with_ttl(Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..100 {
            guard.seen_at(&format!("k{i}"), t0);
        }
        assert_eq!(guard.len(), 100);
        guard.seen_at("later", t0 + Duration::from_secs(120));
        assert_eq!(guard.len(), 1);
    }

    #[test]
    fn scoped_guards_do_not_share_keys() {
        let guard = MemoryReplayGuard::new();
        let (a, b) = (Scoped::new("wf-a", &guard), Scoped::new("wf-b", &guard));
        assert!(!a.seen("msg_1"));
        assert!(!b.seen("msg_1"));
        assert!(a.seen("msg_1"));
        assert!(guard.seen("wf-a:msg_1"));
    }
}

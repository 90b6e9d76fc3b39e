//! Waiting executions (`action: wait`). A run whose step suspended it is recorded `waiting`
//! ([`Store::suspend_execution`], fenced by the attempt) with one `waits` row per waiting step;
//! no worker holds it. It goes back to the queue when a timer is due ([`Store::wake_due`]) or
//! a request reaches its resume URL ([`Store::resume_wait`]), each a conditional update, so it
//! resumes once. The resumed run gives each waiting step what was recorded of its wait
//! ([`Store::waits_of`]).
//!
//! Resume URLs are `/hooks/_resume/{execution}/{token}`, the token an HMAC of the execution id
//! under a random key kept in `settings` (one per database: every process agrees on it).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement, Value as DbValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::{Backend, ExecutionEvent, ExecutionEventKind, ExecutionStatus, Store, micros, now};
use engine::journal::Wait;

/// The `settings` row holding the resume URL key.
const RESUME_KEY: &str = "resume_url_key";

/// What a resume request found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumed {
    /// The wait took the request: the execution is queued again.
    Resumed,
    /// The execution does not wait for a request (any more): resumed before, timed out,
    /// finished, or waiting on a timer only.
    NotWaiting(String),
    /// The execution runs (or is queued) and has no callback wait yet: it may reach one soon.
    NotYet(String),
}

/// A callback wait, as the resume URL's form sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackWait {
    pub step_id: String,
    pub form: Option<Value>,
    pub until: Option<DateTime<Utc>>,
}

/// Statements with `$1` placeholders, written as the backend wants them (`?1` on SQLite).
/// `Copy`, so that a write's closure takes it along.
#[derive(Clone, Copy)]
struct Sql {
    backend: Backend,
    db: sea_orm::DbBackend,
}

impl Sql {
    fn stmt(self, pg: &str, values: impl IntoIterator<Item = DbValue>) -> Statement {
        let text = match self.backend {
            Backend::Postgres => pg.to_string(),
            Backend::Sqlite => pg.replace('$', "?"),
        };
        Statement::from_sql_and_values(self.db, text, values)
    }
}

/// A due wait: elapsed now (`$1`: now, `$2`: execution, `$3`: step).
const ELAPSE: &str = "UPDATE waits SET state = 'elapsed', resumed_at = $1 \
     WHERE execution_id = $2 AND step_id = $3 AND state = 'waiting'";

/// The callback wait a request to the resume URL answers (`$1`: execution, `$2`: now): the
/// first by step id that still waits and has not timed out, of an execution not ended.
const OPEN_CALLBACK: &str = "SELECT w.step_id, w.form, w.until FROM waits w \
     JOIN executions e ON e.id = w.execution_id \
     WHERE w.execution_id = $1 AND w.kind = 'callback' AND w.state = 'waiting' \
     AND (w.until IS NULL OR w.until > $2) \
     AND e.status IN ('waiting', 'running', 'queued') ORDER BY w.step_id LIMIT 1";

/// A waiting execution back in the queue to resume (`$1`: execution); the claim that resumes it
/// does not count as a lost run.
const REQUEUE: &str = "UPDATE executions SET status = 'queued', resumes = resumes + 1 \
     WHERE id = $1 AND status = 'waiting'";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of resume URLs (one per database, see [`Store::resume_key`]). Its `Debug` shows
/// nothing of it.
#[derive(Clone)]
pub struct ResumeKey(Arc<Vec<u8>>);

impl std::fmt::Debug for ResumeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResumeKey(<redacted>)")
    }
}

impl ResumeKey {
    pub fn new(key: Vec<u8>) -> Self {
        ResumeKey(Arc::new(key))
    }

    /// The token of an execution's resume URL.
    pub fn token(&self, execution_id: Uuid) -> String {
        hex(&triggers::signature::hmac(
            &self.0,
            &[b"resume:", execution_id.as_bytes()],
        ))
    }

    /// Whether `token` is the execution's resume token (constant time).
    pub fn check(&self, execution_id: Uuid, token: &str) -> bool {
        triggers::signature::same(self.token(execution_id).as_bytes(), token.as_bytes())
    }

    /// The execution's resume URL under `base` (the public URL without a trailing `/`, or
    /// empty for a URL relative to the server).
    pub fn url(&self, base: &str, execution_id: Uuid) -> String {
        format!(
            "{base}/hooks/_resume/{execution_id}/{}",
            self.token(execution_id)
        )
    }
}

impl Store {
    fn sql(&self) -> Sql {
        Sql {
            backend: self.backend(),
            db: self.db_backend(),
        }
    }

    fn statement(&self, pg: &str, values: Vec<DbValue>) -> Statement {
        self.sql().stmt(pg, values)
    }

    /// The key of resume URLs: created (random) by the first process that asks, then the same
    /// for every process on the database.
    pub async fn resume_key(&self) -> Result<ResumeKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::invalid(format!("no randomness: {e}")))?;
        let insert = self.statement(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            vec![RESUME_KEY.into(), hex(&bytes).into()],
        );
        self.write("resume_key", false, move |txn| {
            Box::pin(async move {
                txn.execute(insert).await?;
                Ok(())
            })
        })
        .await?;
        let row = self
            .db()
            .query_one(self.statement(
                "SELECT value FROM settings WHERE name = $1",
                vec![RESUME_KEY.into()],
            ))
            .await?
            .ok_or_else(|| Error::corrupt("the resume URL key was not stored"))?;
        let text: String = row.try_get("", "value")?;
        Ok(ResumeKey::new(text.into_bytes()))
    }

    /// Records a run that ended `waiting` (fenced by `attempt`): the execution no longer holds
    /// a lease, each wait gets its row (a wait recorded by an earlier run keeps its own, with
    /// its first `until`). False if another worker took the execution over. A run whose
    /// waits include one already resumed (a request that came while it ran) goes back to the
    /// queue at once instead.
    pub async fn suspend_execution(&self, id: Uuid, attempt: i32, waits: &[Wait]) -> Result<bool> {
        let at = now();
        let sq = self.sql();
        let rows: Vec<Statement> = waits
            .iter()
            .map(|w| {
                self.statement(
                    "INSERT INTO waits (execution_id, step_id, kind, until, form, state, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'waiting', $6) \
                     ON CONFLICT (execution_id, step_id) DO NOTHING",
                    vec![
                        id.into(),
                        w.step_id.clone().into(),
                        (if w.suspend.callback { "callback" } else { "timer" }).into(),
                        w.suspend.until.map(micros).into(),
                        w.suspend.form.as_ref().map(|f| f.to_string()).into(),
                        at.into(),
                    ],
                )
            })
            .collect();
        let steps: Vec<String> = waits.iter().map(|w| w.step_id.clone()).collect();
        let status = self
            .write("suspend_execution", true, move |txn| {
                Box::pin(async move {
                    for r in rows {
                        txn.execute(r).await?;
                    }
                    // A wait of this run already resumed or due: queue it again at once.
                    let mut done = 0;
                    for step in &steps {
                        let q = sq.stmt(
                            "SELECT state, until FROM waits WHERE execution_id = $1 AND step_id = $2",
                            [id.into(), step.clone().into()],
                        );
                        if let Some(r) = txn.query_one(q).await? {
                            let state: String = r.try_get("", "state")?;
                            let until: Option<DateTime<Utc>> = r.try_get("", "until")?;
                            if state != "waiting" {
                                done += 1;
                            } else if until.is_some_and(|u| u <= at) {
                                // Already due: elapsed now, so the resumed run goes on.
                                let elapse =
                                    sq.stmt(ELAPSE, [at.into(), id.into(), step.clone().into()]);
                                txn.execute(elapse).await?;
                                done += 1;
                            }
                        }
                    }
                    let status = if done > 0 {
                        ExecutionStatus::Queued
                    } else {
                        ExecutionStatus::Waiting
                    };
                    let update = sq.stmt(
                        "UPDATE executions SET status = $1, lease_owner = NULL, lease_expires_at = NULL, \
                         resumes = resumes + (CASE WHEN $1 = 'queued' THEN 1 ELSE 0 END) \
                         WHERE id = $2 AND attempt = $3 AND status = 'running'",
                        [status.as_str().into(), id.into(), attempt.into()],
                    );
                    let n = txn.execute(update).await?.rows_affected();
                    Ok((n == 1).then_some(status))
                })
            })
            .await?;
        if let Some(status) = status {
            // It holds no place of its workflow's concurrency limit any more, and a caller
            // waiting for its answer gets that it waits.
            self.note_limited_queued();
            self.tell_waiters(id, None);
            self.publish(|| ExecutionEvent {
                execution_id: id,
                kind: ExecutionEventKind::Status { status },
            });
        }
        Ok(status.is_some())
    }

    /// Puts back in the queue the waiting executions whose timer is due (a timer wait that
    /// elapsed, a callback that timed out); how many.
    pub async fn wake_due(&self) -> Result<usize> {
        let at = now();
        // A read first: most looks find nothing, and a read is not a write.
        let due = self
            .db()
            .query_all(self.statement(
                "SELECT execution_id, step_id FROM waits WHERE state = 'waiting' AND until <= $1 LIMIT 100",
                vec![at.into()],
            ))
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut pairs = Vec::with_capacity(due.len());
        for r in due {
            let e: Uuid = r.try_get("", "execution_id")?;
            let s: String = r.try_get("", "step_id")?;
            pairs.push((e, s));
        }
        let sq = self.sql();
        let woken = self
            .write("wake_due", true, move |txn| {
                Box::pin(async move {
                    let mut woken = Vec::new();
                    for (e, s) in pairs {
                        let w = sq.stmt(ELAPSE, [at.into(), e.into(), s.into()]);
                        if txn.execute(w).await?.rows_affected() == 1 {
                            let q = sq.stmt(REQUEUE, [e.into()]);
                            if txn.execute(q).await?.rows_affected() == 1 {
                                woken.push(e);
                            }
                        }
                    }
                    Ok(woken)
                })
            })
            .await?;
        if !woken.is_empty() {
            self.note_limited_queued();
        }
        for id in &woken {
            self.publish(|| ExecutionEvent {
                execution_id: *id,
                kind: ExecutionEventKind::Status {
                    status: engine::ExecutionStatus::Queued,
                },
            });
        }
        Ok(woken.len())
    }

    /// The callback wait of a waiting execution, if it has one that still waits (not timed
    /// out, and the execution not cancelled or finished meanwhile).
    pub async fn callback_wait(&self, id: Uuid) -> Result<Option<CallbackWait>> {
        let row = self
            .db()
            .query_one(self.statement(OPEN_CALLBACK, vec![id.into(), now().into()]))
            .await?;
        let Some(r) = row else { return Ok(None) };
        let form: Option<String> = r.try_get("", "form")?;
        Ok(Some(CallbackWait {
            step_id: r.try_get("", "step_id")?,
            form: form.and_then(|f| serde_json::from_str(&f).ok()),
            until: r.try_get("", "until")?,
        }))
    }

    /// Resumes the execution's callback wait with `request` (`{method, headers, query, body}`,
    /// the wait step's output) and queues the execution again. Only the first request wins.
    pub async fn resume_wait(&self, id: Uuid, request: &Value) -> Result<Resumed> {
        let at = now();
        let text = request.to_string();
        let sq = self.sql();
        let outcome = self
            .write("resume_wait", true, move |txn| {
                Box::pin(async move {
                    let pick = sq.stmt(OPEN_CALLBACK, [id.into(), at.into()]);
                    let Some(r) = txn.query_one(pick).await? else {
                        return Ok(None);
                    };
                    let step: String = r.try_get("", "step_id")?;
                    let take = sq.stmt(
                        "UPDATE waits SET state = 'resumed', resumed_with = $1, resumed_at = $2 \
                         WHERE execution_id = $3 AND step_id = $4 AND state = 'waiting'",
                        [text.into(), at.into(), id.into(), step.into()],
                    );
                    if txn.execute(take).await?.rows_affected() != 1 {
                        return Ok(None);
                    }
                    // A run in progress (another wait of it resumed first) re-reads the waits
                    // when it suspends again; a waiting one is queued.
                    let queue = sq.stmt(REQUEUE, [id.into()]);
                    Ok(Some(txn.execute(queue).await?.rows_affected() == 1))
                })
            })
            .await?;
        match outcome {
            Some(queued) => {
                if queued {
                    self.note_limited_queued();
                    self.publish(|| ExecutionEvent {
                        execution_id: id,
                        kind: ExecutionEventKind::Status {
                            status: engine::ExecutionStatus::Queued,
                        },
                    });
                }
                Ok(Resumed::Resumed)
            }
            None => {
                let status = self
                    .execution(id)
                    .await?
                    .ok_or_else(|| Error::not_found("execution", id))?
                    .status;
                // Running with a callback answered (or timed out) before: this is a second
                // answer; with none yet: it has not reached its wait.
                let answered = matches!(status, ExecutionStatus::Queued | ExecutionStatus::Running)
                    && self
                        .db()
                        .query_one(self.statement(
                            "SELECT step_id FROM waits WHERE execution_id = $1 AND kind = 'callback' LIMIT 1",
                            vec![id.into()],
                        ))
                        .await?
                        .is_some();
                Ok(match status {
                    ExecutionStatus::Queued | ExecutionStatus::Running if answered => {
                        Resumed::NotWaiting(format!(
                            "execution {id} runs on: its callback wait was answered already (or timed out)"
                        ))
                    }
                    ExecutionStatus::Queued | ExecutionStatus::Running => Resumed::NotYet(format!(
                        "execution {id} is {} and has not reached a callback wait (yet): retry in a moment",
                        status.as_str()
                    )),
                    ExecutionStatus::Waiting => Resumed::NotWaiting(format!(
                        "execution {id} waits on a timer, or its callback was answered or timed out: nothing waits for this request"
                    )),
                    ended => Resumed::NotWaiting(format!(
                        "execution {id} has ended ({}): nothing waits for a request any more",
                        ended.as_str()
                    )),
                })
            }
        }
    }

    /// What was recorded of each wait of the execution, by step id, for the run that resumes
    /// it: `{state, until, request?}` (`state`: `waiting`, `elapsed` or `resumed`).
    pub async fn waits_of(&self, id: Uuid) -> Result<HashMap<String, Value>> {
        let rows = self
            .db()
            .query_all(self.statement(
                "SELECT step_id, state, until, resumed_with FROM waits WHERE execution_id = $1",
                vec![id.into()],
            ))
            .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            let step: String = r.try_get("", "step_id")?;
            let state: String = r.try_get("", "state")?;
            let until: Option<DateTime<Utc>> = r.try_get("", "until")?;
            let with: Option<String> = r.try_get("", "resumed_with")?;
            let mut v = json!({
                "state": state,
                "until": until.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            });
            if let Some(with) = with {
                v["request"] = serde_json::from_str(&with).unwrap_or(Value::Null);
            }
            out.insert(step, v);
        }
        Ok(out)
    }
}

//! Wake-ups between the processes on one PostgreSQL database (`LISTEN`/`NOTIFY`): a finish (or
//! an early answer, or a wait) of an execution that nobody in this process waits for is told
//! on `weft_finished` (payload: the execution id), so that a `weft serve` holding that
//! execution's sync caller answers at once instead of at its next re-read; an execution queued
//! for workers elsewhere is told on `weft_queued`, which wakes idle workers at once. Both are
//! hints: the re-reads and the workers' poll stay as the fallback (a notification sent while a
//! listener reconnects is lost). SQLite is one process: nothing is sent or listened to.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::queue::waiting::Wake;
use crate::{Backend, Store};

const FINISHED: &str = "weft_finished";
const QUEUED: &str = "weft_queued";

impl Store {
    /// Starts listening for the other processes' notifications (PostgreSQL; `None` on
    /// SQLite). The listener reconnects by itself after the database comes back.
    pub fn listen_to_other_processes(&self) -> Option<tokio::task::JoinHandle<()>> {
        if self.backend() != Backend::Postgres {
            return None;
        }
        let pool = self.db().get_postgres_connection_pool().clone();
        let store = self.clone();
        Some(tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => match listener.listen_all([FINISHED, QUEUED]).await {
                        Ok(()) => loop {
                            match listener.recv().await {
                                Ok(n) => store.on_notification(n.channel(), n.payload()),
                                Err(e) => {
                                    tracing::warn!(error = %e, "lost the notifications of the other processes; listening again");
                                    break;
                                }
                            }
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot listen for the other processes' notifications")
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot connect to listen for the other processes' notifications")
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }

    fn on_notification(&self, channel: &str, payload: &str) {
        match channel {
            FINISHED => {
                if let Ok(id) = Uuid::parse_str(payload) {
                    // The waiters read the record back.
                    self.waiters().wake(id, None);
                }
            }
            QUEUED => self.inner.queued_elsewhere.notify_waiters(),
            _ => {}
        }
    }

    /// Says whether other processes are alive on the database (the heartbeat looks): a
    /// process alone sends no notifications, which would cost the database a statement per
    /// execution for nobody.
    pub fn set_peers(&self, alive: bool) {
        self.inner
            .peers
            .store(alive, std::sync::atomic::Ordering::Relaxed);
    }

    fn has_peers(&self) -> bool {
        self.inner.peers.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Resolves when another process tells that it queued executions (PostgreSQL).
    pub async fn queued_elsewhere(&self) {
        self.inner.queued_elsewhere.notified().await
    }

    /// Wakes this process's waiters for execution `id` (with `outcome`, or to read it back);
    /// on PostgreSQL, when none of them waits here, tells the other processes.
    pub(crate) fn tell_waiters(&self, id: Uuid, outcome: Wake) {
        if self.backend() == Backend::Postgres && self.has_peers() && !self.waiters().waits_for(id)
        {
            self.notify(FINISHED, id.to_string());
        }
        self.waiters().wake(id, outcome);
    }

    /// Tells the other processes that executions were queued for any worker (PostgreSQL).
    pub(crate) fn tell_queued(&self) {
        if self.backend() == Backend::Postgres && self.has_peers() {
            self.notify(QUEUED, String::new());
        }
    }

    /// `pg_notify` on a task of its own: the caller does not wait for it, and a failure only
    /// costs the other processes their next re-read.
    fn notify(&self, channel: &'static str, payload: String) {
        let store = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [channel.into(), payload.into()],
            );
            if let Err(e) = store.read.execute(stmt).await {
                tracing::debug!(error = %e, channel, "could not notify the other processes");
            }
        });
    }
}

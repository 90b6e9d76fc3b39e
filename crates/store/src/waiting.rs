//! Waiting for an execution to finish (sync webhooks, `?wait=true`) and a liveness check.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::journal::ExecutionEventKind;
use crate::{ExecutionRecord, Result, Store};

impl Store {
    /// The database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db().execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Waits until the execution finished (returning it), or `timeout` passed (`None`).
    /// Finishing in this process wakes the waiter at once; a finish in another process is
    /// seen by a periodic re-read.
    pub async fn wait_finished(
        &self,
        id: Uuid,
        timeout: Duration,
    ) -> Result<Option<ExecutionRecord>> {
        // Subscribe before reading, so that a finish in between is not missed.
        let mut events = self.events();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.execution(id).await? {
                Some(e) if e.status.is_finished() => return Ok(Some(e)),
                None => return Ok(None),
                Some(_) => {}
            }
            let recheck = (tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline);
            loop {
                tokio::select! {
                    ev = events.recv() => match ev {
                        Ok(ev) if ev.execution_id == id && matches!(ev.kind, ExecutionEventKind::Finished { .. }) => break,
                        Ok(_) => continue,
                        // Lagged or closed: re-read from the database.
                        Err(_) => break,
                    },
                    _ = tokio::time::sleep_until(recheck) => break,
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(self.execution(id).await?.filter(|e| e.status.is_finished()));
            }
        }
    }
}

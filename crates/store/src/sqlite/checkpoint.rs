//! SQLite checkpoints off the writer's path.
//!
//! In WAL mode every commit appends pages to the log; a checkpoint copies them back into the
//! database file and fsyncs it, and only once the whole log is copied can the next write
//! start the log again from its beginning. Left to SQLite (`wal_autocheckpoint`), the commit
//! that crosses 1,000 log pages runs the checkpoint in place: under load the writer stopped
//! for ~5 ms every few hundred milliseconds (copying a few hundred pages and the database
//! file's fsync), and every caller waiting on a commit waited that long too.
//!
//! Here a thread of its own does that work beside the writer with `PASSIVE` checkpoints
//! (they never block the writer or readers). A passive checkpoint cannot catch up with a busy
//! writer, so when the log is long and a pass has copied what was there, the checkpointer
//! marks a checkpoint *due* and the writer, between two batches, runs a passive checkpoint
//! itself: it copies only the pages committed since that pass and fsyncs a database file
//! with little left to write, after which its next transaction restarts the log. The writer
//! keeps SQLite's own automatic checkpoint as a backstop, at a length the checkpointer never
//! lets the log reach while it works.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the checkpointer copies the log into the database file.
const PASS_EVERY: Duration = Duration::from_millis(50);
/// A log this long (pages) gets restarted: the writer is asked to finish the checkpoint.
const RESTART_AT: i64 = 1_000;
/// The writer's own automatic checkpoint, should the checkpointer fall behind or stop.
pub(crate) const BACKSTOP: i64 = 20_000;

/// What the checkpointer and the writer share.
#[derive(Debug, Default)]
pub(crate) struct Checkpoints {
    due: AtomicBool,
}

impl Checkpoints {
    /// Whether the writer should finish a checkpoint now (asking clears it).
    pub(crate) fn take_due(&self) -> bool {
        self.due.load(Ordering::Relaxed) && self.due.swap(false, Ordering::AcqRel)
    }
}

/// Starts the checkpointer for the database at `path`; it stops once the returned handle
/// (held by the writer) is dropped.
pub(crate) fn spawn(
    path: &std::path::Path,
    busy_timeout: Duration,
) -> Result<Arc<Checkpoints>, sea_orm::DbErr> {
    let conn = crate::lite::LiteConnection::open_checkpointer(path, busy_timeout)?;
    let shared = Arc::new(Checkpoints::default());
    let weak = Arc::downgrade(&shared);
    std::thread::Builder::new()
        .name("weft-sqlite-checkpoint".into())
        .spawn(move || run(&conn, &weak))
        .map_err(|e| sea_orm::DbErr::Custom(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(shared)
}

fn run(conn: &rusqlite::Connection, shared: &Weak<Checkpoints>) {
    loop {
        std::thread::sleep(PASS_EVERY);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        match passive_checkpoint(conn) {
            // Everything the log held when the pass began is in the database file: the
            // writer can finish it cheaply.
            Ok((log, copied)) if log >= RESTART_AT && copied == log => {
                shared.due.store(true, Ordering::Release);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a background checkpoint failed"),
        }
    }
}

/// A checkpoint that never waits for the writer or readers.
pub(crate) const PASSIVE: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// Runs [`PASSIVE`]: the log's length and how much of it is copied (pages).
fn passive_checkpoint(conn: &rusqlite::Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(PASSIVE, [], |r| Ok((r.get(1)?, r.get(2)?)))
}

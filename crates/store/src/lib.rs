//! Weft's persistence: workflows and their versions, executions (which are also the queue),
//! the step journal and API keys, on SQLite (the embedded default) or PostgreSQL, through
//! sea-orm.
//!
//! - [`Store::connect`] opens the database and runs the migrations (`migrations` crate).
//! - Engine types are not sea-orm models: the `entity` module has one model per table and the
//!   repositories convert to the engine's types and to the records below at this boundary.
//! - Every write is committed before the call returns (the journal's `Started`/`Retrying`
//!   rows excepted, see [`StoreJournal`]). On SQLite all writes go through one writer task that
//!   commits them in groups (see `writer`); reads use a small pool of reader connections (WAL
//!   lets them run beside the writer). Call [`Store::flush`] before the process exits.
//! - JSON columns hold JSON *text* on both databases ([`entity::JsonText`]): documents, bodies
//!   and outputs come back exactly as stored, key order included.
//! - The queue: [`Store::enqueue`] inserts a `queued` execution; workers [`Store::claim`]
//!   executions with a lease that [`Store::heartbeat`] renews; an expired lease is claimed
//!   again with `attempt + 1`, and [`Store::finish_execution`] and the journal's final writes
//!   are fenced by that attempt.
//! - [`Store::take_rate_slot`] counts a webhook's calls against its `rate_limit` (PostgreSQL:
//!   the `rate_limits` table, shared by processes; SQLite: this process's memory).
//! - [`Store::journal`] gives the engine a [`engine::Journal`] that records step runs;
//!   [`Store::events`] streams what happens to executions in this process.

pub mod entity;
mod error;
/// The journal of step runs and the in-process events of executions.
mod journal;
/// The process's Prometheus metrics.
mod metrics;
/// `LISTEN`/`NOTIFY` between the processes on a PostgreSQL database.
mod notify;
/// The processes sharing the database, with their heartbeats.
mod processes;
mod queue;
/// Webhook rate limits: fixed-window counters ([`Store::take_rate_slot`]).
mod rate_limits;
mod records;
mod repos;
/// Retention: pruning finished executions by age and count.
mod retention;
mod sqlite;

// The parts by job: `repos` (workflows, API keys, sessions), `queue` (executions, waiting,
// plans), `sqlite` (its connections, writer and checkpointer), `journal` (step runs, events).
use queue::{deliveries, executions, plans, waiting, waits};
use repos::{api_keys, sessions};

use sqlite::{checkpoint, lite, writer};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use futures::future::BoxFuture;
use migrations::MigratorTrait;
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, SqlxSqliteConnector,
    Statement, TransactionTrait,
};
use tokio::sync::{broadcast, oneshot};

use crate::writer::Tx;

pub use api_keys::{ApiKeyRecord, Scope};
pub use deliveries::{
    AttemptResult, DeliveryAttemptRecord, DeliveryFilter, DeliveryPage, DeliveryRecord,
    DeliveryStatus, MAX_EXCERPT, NewDelivery, Next, QueuedDelivery, excerpt,
};
pub use error::{Error, Result};
pub use executions::{
    Claim, ClaimFor, Concurrency, Enqueued, ExecutionFilter, ExecutionPage, NewExecution, Submitted,
};
pub use journal::{ExecutionEvent, ExecutionEventKind, STARTED_DELAY, StoreJournal};
pub use metrics::{Metrics, metrics};
pub use plans::{DEFAULT_PLANS, PlanError, Plans, Refresh};
pub use processes::{
    DEAD_AFTER, HEARTBEAT_EVERY, ProcessInfo, ProcessKind, ProcessRecord, ProcessState,
};
pub use rate_limits::RateDecision;
pub use records::{
    ExecutionRecord, ExecutionStatus, ExecutionSummary, LastExecution, RequestJson, Route,
    SourceFormat, StepRunRecord, VersionRecord, VersionSummary, WorkflowDoc, WorkflowRecord,
    WorkflowSummary,
};
pub use repos::connectors::{ConnectorHead, NewConnector};
pub use repos::credentials::CredentialRow;
pub use retention::{PRUNE_BATCH, Pruned, Retention};
pub use sessions::{Session, SessionKind};
pub use waiting::{Outcome, Watch};
pub use waits::{CallbackWait, ResumeKey, Resumed};

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Tuning for [`Store::connect_with`]; [`Options::default`] suits `weft serve`.
#[derive(Debug, Clone)]
pub struct Options {
    /// PostgreSQL: the pool size (default 16).
    pub max_connections: u32,
    /// SQLite: reader connections beside the single writer (default 4).
    pub sqlite_readers: u32,
    /// SQLite: how long a statement waits for a lock held by another process (default 5 s).
    pub busy_timeout: Duration,
    /// Capacity of the in-process event channel (default 4096); slow receivers lag.
    pub event_capacity: usize,
    /// How many times an execution may be claimed without finishing (its worker stopped or
    /// lost its lease each time) before the next claim finishes it as failed (default
    /// [`MAX_CLAIMS`]).
    pub max_claims: i32,
}

/// The default of [`Options::max_claims`].
pub const MAX_CLAIMS: i32 = 5;

impl Default for Options {
    fn default() -> Self {
        Options {
            max_connections: 16,
            sqlite_readers: 4,
            busy_timeout: Duration::from_secs(5),
            event_capacity: 4096,
            max_claims: MAX_CLAIMS,
        }
    }
}

/// The store: cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    /// Reads (and, on PostgreSQL, writes too).
    read: DatabaseConnection,
    /// SQLite: the group-commit writer; `None` on PostgreSQL.
    writer: Option<writer::Sender>,
    /// SQLite file: rusqlite connections for hand-written reads on the hot path (a webhook's
    /// route), run in place on the calling thread (see `lite`).
    fast_read: Option<lite::LiteConnection>,
    events: broadcast::Sender<ExecutionEvent>,
    /// Callers of `wait_finished` in this process, by execution.
    waiters: waiting::Waiters,
    max_claims: i32,
    /// The in-process signals of the delivery queue (queued, finished).
    deliveries: deliveries::Signals,
    /// Executions of limited workflows may be queued (see [`Store::note_limited_queued`]):
    /// the claim runs the statement that counts their groups. True at start (rows of an
    /// earlier run).
    limited_queued: std::sync::atomic::AtomicBool,
    /// SQLite: the webhook rate-limit counters of this process (PostgreSQL counts in the
    /// `rate_limits` table).
    rate_windows: rate_limits::Windows,
    /// This process's writes the claim counter rejected (see [`Store::note_fenced`]).
    fenced: Arc<std::sync::atomic::AtomicU64>,
    /// Another process queued executions (PostgreSQL `NOTIFY`, see `notify`).
    queued_elsewhere: tokio::sync::Notify,
    /// Other processes are alive on the database (see [`Store::set_peers`]): only then are
    /// notifications sent. True until a heartbeat says otherwise.
    peers: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// URLs: `sqlite:///abs/path/weft.db?mode=rwc`, `sqlite://relative.db?mode=rwc` (the file
    /// and its directory are created when missing), `sqlite::memory:` (tests), or
    /// `postgres://user:password@host:port/db` / `postgresql://…`.
    ///
    /// On SQLite the connections use WAL, `synchronous=FULL`, a busy timeout and foreign keys.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, &Options::default()).await
    }

    /// [`Store::connect`] with explicit [`Options`].
    pub async fn connect_with(url: &str, options: &Options) -> Result<Store> {
        let (backend, read, writer, fast_read) = match backend_of(url)? {
            Backend::Sqlite => {
                let (writer_db, read, file) = open_sqlite(url, options).await?;
                migrations::Migrator::up(&writer_db, None).await?;
                // A file gets the rusqlite writer and hot-path readers (see `lite`); an
                // in-memory database lives in sqlx's one connection, which the readers share,
                // so it keeps that.
                let (writer_db, fast_read, checkpoints) = match file {
                    Some(path) => {
                        writer_db.close().await?;
                        let writer =
                            lite::LiteConnection::open_writer(&path, options.busy_timeout)?;
                        let readers = lite::LiteConnection::open_readers(
                            &path,
                            options.busy_timeout,
                            options.sqlite_readers as usize,
                        )?;
                        (
                            Database::connect_proxy(DbBackend::Sqlite, Arc::new(Box::new(writer)))
                                .await?,
                            Some(readers),
                            Some(checkpoint::spawn(&path, options.busy_timeout)?),
                        )
                    }
                    None => (writer_db, None, None),
                };
                (
                    Backend::Sqlite,
                    read,
                    Some(writer::spawn(writer_db, checkpoints)?),
                    fast_read,
                )
            }
            Backend::Postgres => {
                migrate_postgres(url).await?;
                let mut o = ConnectOptions::new(url);
                // While the database is down a request waits this long for a connection,
                // then fails as transient (a webhook answers 503), rather than hanging.
                o.max_connections(options.max_connections)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(3))
                    .connect_timeout(Duration::from_secs(3))
                    .sqlx_logging(false);
                (Backend::Postgres, Database::connect(o).await?, None, None)
            }
        };
        let (events, _) = broadcast::channel(options.event_capacity.max(16));
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                read,
                writer,
                fast_read,
                events,
                waiters: Default::default(),
                max_claims: options.max_claims.max(1),
                deliveries: Default::default(),
                limited_queued: std::sync::atomic::AtomicBool::new(true),
                rate_windows: Default::default(),
                fenced: Default::default(),
                queued_elsewhere: Default::default(),
                peers: std::sync::atomic::AtomicBool::new(true),
            }),
        })
    }

    /// Only brings the schema at `url` up to date (for `weft migrate`).
    pub async fn migrate(url: &str) -> Result<()> {
        match backend_of(url)? {
            Backend::Sqlite => {
                let (writer_db, read, _) = open_sqlite(url, &Options::default()).await?;
                migrations::Migrator::up(&writer_db, None).await?;
                writer_db.close().await?;
                read.close().await?;
            }
            Backend::Postgres => migrate_postgres(url).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The backend as sea-orm names it, for building statements.
    pub(crate) fn db_backend(&self) -> DbBackend {
        match self.inner.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// Waits until every write queued so far in this process is committed (on SQLite some
    /// journal rows are queued without waiting; call this before shutting down).
    pub async fn flush(&self) -> Result<()> {
        self.write("flush", false, |_| Box::pin(async { Ok(()) }))
            .await
    }

    /// Subscribes to what happens to executions in this process: step events as the journal
    /// records them, cancel requests, and finished executions.
    pub fn events(&self) -> broadcast::Receiver<ExecutionEvent> {
        self.inner.events.subscribe()
    }

    /// Sends an event to the subscribers of [`Store::events`]; built only if there are any
    /// (a step's event carries its input and output). Waiters of a finish are woken by
    /// whoever finishes the execution ([`waiting::Waiters::wake`]), not from here.
    pub(crate) fn publish(&self, make: impl FnOnce() -> ExecutionEvent) {
        if self.inner.events.receiver_count() > 0 {
            let _ = self.inner.events.send(make());
        }
    }

    pub(crate) fn waiters(&self) -> &waiting::Waiters {
        &self.inner.waiters
    }

    /// The connection for reads.
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.read
    }

    /// Runs `write` and returns once it is committed. `savepoint`: the write has more than one
    /// statement and must be atomic — on SQLite it runs in a savepoint of the group commit, on
    /// PostgreSQL in a transaction of its own; otherwise (one statement, or statements whose
    /// partial effects are harmless) it runs directly in the group commit on SQLite and in
    /// autocommit mode on PostgreSQL.
    pub(crate) async fn write<T, F>(
        &self,
        what: &'static str,
        savepoint: bool,
        write: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a Tx<'a>) -> BoxFuture<'a, Result<T>> + Send + 'static,
    {
        self.write_queued(what, savepoint, write).await.wait().await
    }

    /// Like [`Store::write`] but, on SQLite, returns once the write is queued: it commits with
    /// the next group, in order with the other writes of the process, and [`Queued::wait`]
    /// waits for that. On PostgreSQL the write is done on return.
    pub(crate) async fn write_queued<T, F>(
        &self,
        what: &'static str,
        savepoint: bool,
        write: F,
    ) -> Queued<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a Tx<'a>) -> BoxFuture<'a, Result<T>> + Send + 'static,
    {
        match &self.inner.writer {
            Some(sender) => {
                let (tx, rx) = oneshot::channel();
                let job = writer::TypedJob::new(what, savepoint, Box::new(write), tx);
                match sender.send(Box::new(job)).await {
                    Ok(()) => Queued::Pending(rx),
                    Err(_) => Queued::Done(Err(Error::Closed)),
                }
            }
            // A single statement needs no transaction (autocommit saves two round trips).
            None if !savepoint => Queued::Done(write(&Tx::Db(&self.inner.read)).await),
            None => {
                let r = async {
                    let txn = self.inner.read.begin().await?;
                    match write(&Tx::Txn(&txn)).await {
                        Ok(v) => {
                            txn.commit().await?;
                            Ok(v)
                        }
                        Err(e) => {
                            let _ = txn.rollback().await;
                            Err(e)
                        }
                    }
                };
                Queued::Done(r.await)
            }
        }
    }

    /// Like [`Store::write`] but, on SQLite, returns once the write is queued (see
    /// [`Store::write_queued`]); nobody waits for the commit, failures are logged. On
    /// PostgreSQL it waits for the commit.
    pub(crate) async fn write_detached<F>(
        &self,
        what: &'static str,
        savepoint: bool,
        write: F,
    ) -> Result<()>
    where
        F: for<'a> FnOnce(&'a Tx<'a>) -> BoxFuture<'a, Result<()>> + Send + 'static,
    {
        match self.write_queued(what, savepoint, write).await {
            Queued::Done(r) => r,
            Queued::Pending(_) => Ok(()),
        }
    }
}

/// A write handed to the store: done (PostgreSQL), or queued for the SQLite writer's next
/// group commit.
pub(crate) enum Queued<T> {
    Done(Result<T>),
    Pending(oneshot::Receiver<Result<T>>),
}

impl<T> Queued<T> {
    /// Returns once the write is committed, with its result.
    pub(crate) async fn wait(self) -> Result<T> {
        match self {
            Queued::Done(r) => r,
            Queued::Pending(rx) => rx.await.map_err(|_| Error::Closed)?,
        }
    }
}

impl Store {
    /// Inserts one row (prepared by [`writer::Row`]). `wait`: return once committed, else (on
    /// SQLite) once queued, as [`Store::write_detached`].
    pub(crate) async fn insert(
        &self,
        what: &'static str,
        row: writer::Row,
        wait: bool,
    ) -> Result<()> {
        let stmt = row.0;
        let write: writer::WriteFn<()> = Box::new(move |txn| {
            Box::pin(async move {
                txn.execute(stmt).await?;
                Ok(())
            })
        });
        if wait {
            self.write(what, false, write).await
        } else {
            self.write_detached(what, false, write).await
        }
    }
}

fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(Error::invalid(format!(
            "unsupported database URL `{}`: expected sqlite:… or postgres://…",
            redact_url(url)
        )))
    }
}

/// The URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Opens SQLite: a single-connection pool for the writer (the migrations run on it), a pool
/// of readers, and the database file's path (`None` in memory).
async fn open_sqlite(
    url: &str,
    options: &Options,
) -> Result<(
    DatabaseConnection,
    DatabaseConnection,
    Option<std::path::PathBuf>,
)> {
    let base = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::invalid(format!("bad SQLite URL `{url}`: {e}")))?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout)
        .disable_statement_logging();
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    if !memory
        && let Some(dir) = base.get_filename().parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::invalid(format!(
                "cannot create the database directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let write_options = if memory {
        base.clone()
    } else {
        // A new file gives freed pages back on request (`Store::reclaim_space`); the setting
        // only takes on a file without tables, so an older file keeps what it had.
        base.clone()
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
    };
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(write_options)
        .await
        .map_err(|e| Error::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))))?;
    let writer = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
    if memory {
        // One in-memory database lives in one connection: readers share the writer's.
        return Ok((writer.clone(), writer, None));
    }
    let file = base.get_filename().to_path_buf();
    let readers = SqlitePoolOptions::new()
        .max_connections(options.sqlite_readers.max(1))
        .min_connections(1)
        .connect_with(base.read_only(true))
        .await
        .map_err(|e| Error::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))))?;
    Ok((
        writer,
        SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
        Some(file),
    ))
}

/// Runs the migrations on PostgreSQL under an advisory lock, so that several processes
/// starting together migrate once.
async fn migrate_postgres(url: &str) -> Result<()> {
    let mut o = ConnectOptions::new(url);
    o.max_connections(1).min_connections(1).sqlx_logging(false);
    let db = Database::connect(o).await?;
    let lock = |sql: &str| Statement::from_string(sea_orm::DbBackend::Postgres, sql.to_string());
    db.execute(lock("SELECT pg_advisory_lock(746546602)"))
        .await?;
    let migrated = migrations::Migrator::up(&db, None).await;
    let _ = db
        .execute(lock("SELECT pg_advisory_unlock(746546602)"))
        .await;
    let _ = db.close().await;
    migrated?;
    Ok(())
}

/// Now, in UTC, at the precision both databases keep (microseconds).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A timestamp at the precision both databases keep (microseconds).
pub(crate) fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

//! Group commit (SQLite): every write of the process goes through one writer that owns the
//! write connection, on a thread of its own (see [`spawn`]). It takes everything queued (up
//! to [`MAX_BATCH`] jobs), runs them in one transaction in arrival order (a job of several
//! statements that must stand or fall together inside a savepoint), commits once, and only
//! then answers each caller. With `synchronous=FULL` one fsync covers the whole batch, which
//! is what lets thousands of accepted webhooks per second be on disk before they are
//! acknowledged.
//!
//! The connection is rusqlite's behind sea-orm's proxy interface (`lite`): statements run in
//! place, so what a batch costs is SQLite's own work — mostly writing the commit's pages to
//! the log and the fsync. Hot statements are prepared by the callers (SQL built once, values
//! bound from the data) so that the writer's thread only executes them.
//!
//! On PostgreSQL the store does not use this writer: multi-statement writes run in their own
//! transaction and single statements in autocommit mode on the pool ([`Tx::Db`]); the server
//! groups concurrent commits' WAL flushes itself.

use async_trait::async_trait;
use futures::future::BoxFuture;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, ExecResult, QueryResult, Statement,
};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::Checkpoints;
use crate::entity::{execution, step_run};
use crate::error::{Error, Result};

/// The most jobs committed together.
pub(crate) const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer; senders wait when it is full (backpressure).
pub(crate) const QUEUE: usize = 8192;

/// Where a write runs: the group commit's transaction (or a savepoint in it), a transaction of
/// its own, or (PostgreSQL, single-statement writes) the pool in autocommit mode.
#[derive(Clone, Copy)]
pub(crate) enum Tx<'a> {
    Txn(&'a DatabaseTransaction),
    Db(&'a DatabaseConnection),
}

#[async_trait]
impl ConnectionTrait for Tx<'_> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Tx::Txn(t) => t.get_database_backend(),
            Tx::Db(d) => d.get_database_backend(),
        }
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Tx::Txn(t) => t.execute(stmt).await,
            Tx::Db(d) => d.execute(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Tx::Txn(t) => t.execute_unprepared(sql).await,
            Tx::Db(d) => d.execute_unprepared(sql).await,
        }
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Tx::Txn(t) => t.query_one(stmt).await,
            Tx::Db(d) => d.query_one(stmt).await,
        }
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Tx::Txn(t) => t.query_all(stmt).await,
            Tx::Db(d) => d.query_all(stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            Tx::Txn(t) => t.support_returning(),
            Tx::Db(d) => d.support_returning(),
        }
    }
}

/// A write: runs inside the batch's transaction.
pub(crate) type WriteFn<T> = Box<dyn for<'a> FnOnce(&'a Tx<'a>) -> BoxFuture<'a, Result<T>> + Send>;

/// A type-erased job in the writer's queue.
pub(crate) trait Job: Send {
    /// Whether the job may leave partial writes behind on failure (more than one statement):
    /// then it runs inside a savepoint.
    fn needs_savepoint(&self) -> bool;
    /// Runs the job; `false` if it failed (its result is kept for [`Job::complete`]).
    fn run<'a>(&'a mut self, txn: &'a Tx<'a>) -> BoxFuture<'a, bool>;
    /// Answers the caller once the batch committed (`None`) or failed to (`Some(message)`).
    fn complete(self: Box<Self>, commit_error: Option<&str>);
}

/// SQL built once per backend (the hot statements differ only in their values).
pub(crate) struct SqlCache([OnceLock<String>; 2]);

impl SqlCache {
    pub(crate) const fn new() -> SqlCache {
        SqlCache([OnceLock::new(), OnceLock::new()])
    }
}

/// The SQL of the statement `build` makes for `backend`, built on first use. Callers pass their
/// values in the order of the placeholders of what `build` makes.
pub(crate) fn cached_sql(
    cache: &'static SqlCache,
    backend: DbBackend,
    build: impl FnOnce() -> Statement,
) -> String {
    let slot = match backend {
        DbBackend::Postgres => &cache.0[1],
        _ => &cache.0[0],
    };
    slot.get_or_init(|| build().sql).clone()
}

/// The insert of one row, prepared by the caller (off the writer's thread) from SQL built
/// once per table and backend.
pub(crate) struct Row(pub(crate) Statement);

impl Row {
    pub(crate) fn execution(backend: DbBackend, row: execution::ActiveModel) -> Row {
        static SQL: SqlCache = SqlCache::new();
        Row(insert_statement(backend, row, &SQL))
    }

    pub(crate) fn step_run(backend: DbBackend, row: step_run::ActiveModel) -> Row {
        static SQL: SqlCache = SqlCache::new();
        Row(insert_statement(backend, row, &SQL))
    }
}

/// `INSERT INTO <table> (<every column>) VALUES (…)` for a row with every column set, its SQL
/// cached in `cache`; a row with unset columns gets a statement of its own.
fn insert_statement<A>(backend: DbBackend, mut row: A, cache: &'static SqlCache) -> Statement
where
    A: ActiveModelTrait + Send,
{
    use sea_orm::{Iterable, QueryTrait};
    let columns = <A::Entity as EntityTrait>::Column::iter;
    if columns().any(|c| row.is_not_set(c)) {
        return <A::Entity as EntityTrait>::insert(row).build(backend);
    }
    let sql = cached_sql(cache, backend, || {
        <A::Entity as EntityTrait>::insert(row.clone()).build(backend)
    });
    // Every column is set: move the values out (a row holds the request and step data).
    let values = columns().filter_map(|c| row.take(c).into_value());
    Statement::from_sql_and_values(backend, sql, values)
}

pub(crate) struct TypedJob<T> {
    savepoint: bool,
    write: Option<WriteFn<T>>,
    result: Option<Result<T>>,
    /// Where the result goes; if nobody listens any more (a detached write), a failure is
    /// logged.
    reply: oneshot::Sender<Result<T>>,
    what: &'static str,
}

impl<T: Send + 'static> TypedJob<T> {
    pub(crate) fn new(
        what: &'static str,
        savepoint: bool,
        write: WriteFn<T>,
        reply: oneshot::Sender<Result<T>>,
    ) -> Self {
        TypedJob {
            savepoint,
            write: Some(write),
            result: None,
            reply,
            what,
        }
    }
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn needs_savepoint(&self) -> bool {
        self.savepoint
    }

    fn run<'a>(&'a mut self, txn: &'a Tx<'a>) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(write) = self.write.take() else {
                return false;
            };
            let r = write(txn).await;
            let ok = r.is_ok();
            self.result = Some(r);
            ok
        })
    }

    fn complete(self: Box<Self>, commit_error: Option<&str>) {
        let result = match (commit_error, self.result) {
            (Some(message), Some(Ok(_))) => Err(Error::Commit {
                message: message.to_string(),
            }),
            (_, Some(r)) => r,
            (_, None) => Err(Error::Commit {
                message: "the write did not run".into(),
            }),
        };
        if let Err(Err(e)) = self.reply.send(result) {
            tracing::warn!(error = %e, write = self.what, "a detached write failed");
        }
    }
}

pub(crate) type Sender = mpsc::Sender<Box<dyn Job>>;

/// Starts the writer on `db` (the rusqlite connection of `lite`, or for an in-memory database
/// sqlx's single connection) on a thread of its own with a single-threaded runtime: the
/// statements of a batch run there back to back, with no hand-off between them. With
/// `checkpoints` (a database file), the writer finishes the checkpoints the background
/// checkpointer marks due, between batches.
pub(crate) fn spawn(
    db: DatabaseConnection,
    checkpoints: Option<Arc<Checkpoints>>,
) -> Result<Sender> {
    let (tx, rx) = mpsc::channel::<Box<dyn Job>>(QUEUE);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Commit {
            message: format!("cannot start the SQLite writer: {e}"),
        })?;
    std::thread::Builder::new()
        .name("weft-sqlite-writer".into())
        .spawn(move || runtime.block_on(run(db, rx, checkpoints)))
        .map_err(|e| Error::Commit {
            message: format!("cannot start the SQLite writer thread: {e}"),
        })?;
    Ok(tx)
}

async fn run(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    checkpoints: Option<Arc<Checkpoints>>,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let commit_error = commit_batch(&db, &mut batch).await.err();
        if let Some(e) = &commit_error {
            tracing::error!(error = %e, jobs = batch.len(), "a group commit failed");
            // Leave no transaction open behind a failed batch (an error after BEGIN).
            let _ = db.execute_unprepared("ROLLBACK").await;
        }
        let message = commit_error.map(|e| e.to_string());
        for job in batch.drain(..) {
            job.complete(message.as_deref());
        }
        // After the answers: a due checkpoint delays only the next batch.
        if checkpoints.as_ref().is_some_and(|c| c.take_due()) {
            let sql = crate::checkpoint::PASSIVE;
            if let Err(e) = db
                .query_all(Statement::from_string(DbBackend::Sqlite, sql))
                .await
            {
                tracing::warn!(error = %e, "a checkpoint failed");
            }
        }
    }
    let _ = db.close().await;
}

async fn commit_batch(db: &DatabaseConnection, batch: &mut [Box<dyn Job>]) -> Result<()> {
    db.execute_unprepared("BEGIN IMMEDIATE").await?;
    let txn = Tx::Db(db);
    for job in batch.iter_mut() {
        if job.needs_savepoint() {
            db.execute_unprepared("SAVEPOINT job").await?;
            if job.run(&txn).await {
                db.execute_unprepared("RELEASE job").await?;
            } else {
                db.execute_unprepared("ROLLBACK TO job; RELEASE job")
                    .await?;
            }
        } else {
            job.run(&txn).await;
        }
    }
    db.execute_unprepared("COMMIT").await?;
    Ok(())
}

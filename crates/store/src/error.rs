use sea_orm::{DbErr, RuntimeErr, SqlErr};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The workflow, version, execution or API key does not exist.
    #[error("{entity} `{id}` was not found")]
    NotFound { entity: &'static str, id: String },
    /// The change clashes with the current state: a webhook path already served by another
    /// active workflow, retrying an execution that has not finished, an ambiguous key prefix.
    #[error("{message}")]
    Conflict { message: String },
    /// An idempotency key already used by a different request (another fingerprint).
    #[error("the idempotency key `{key}` was already used with a different request")]
    IdempotencyMismatch { key: String },
    /// The request itself is wrong: an unknown database URL, a bad cursor, a short secret.
    #[error("{message}")]
    Invalid { message: String },
    /// A stored value could not be read back (e.g. a definition the engine no longer parses).
    #[error("stored data is unreadable: {message}")]
    Corrupt { message: String },
    /// A batch of writes could not be committed (the whole group commit failed); nothing of
    /// this write is stored. Usually worth retrying.
    #[error("the write could not be committed: {message}")]
    Commit { message: String },
    /// The store's writer has stopped (the process is shutting down).
    #[error("the store is closed")]
    Closed,
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl Error {
    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Error {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Error {
        Error::Conflict {
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid {
            message: message.into(),
        }
    }

    pub(crate) fn corrupt(message: impl ToString) -> Error {
        Error::Corrupt {
            message: message.to_string(),
        }
    }

    /// Whether trying the same call again later may succeed: lost connections, pool
    /// timeouts, SQLite busy/locked, PostgreSQL serialization failures and deadlocks, failed
    /// group commits.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Commit { .. } => true,
            Error::Database(e) => db_err_is_transient(e),
            _ => false,
        }
    }

    /// Whether this is a unique-constraint violation.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Database(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
            || database_error(e).is_some_and(|d| d.is_unique_violation()))
    }

    /// Whether this is a foreign-key violation (e.g. enqueuing for a deleted workflow).
    pub(crate) fn is_foreign_key_violation(&self) -> bool {
        matches!(self, Error::Database(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_)))
            || database_error(e).is_some_and(|d| d.is_foreign_key_violation()))
    }
}

/// The database's own error inside a sea-orm error (sqlx's, or the SQLite writer's — sea-orm's
/// `sql_err` only knows sqlx's).
fn database_error(e: &DbErr) -> Option<&dyn sea_orm::sqlx::error::DatabaseError> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d)))
        | DbErr::Query(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d))) => {
            Some(d.as_ref())
        }
        _ => None,
    }
}

fn db_err_is_transient(e: &DbErr) -> bool {
    use sea_orm::sqlx;
    let runtime = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(e) = runtime else {
        return false;
    };
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: primary codes 5 (BUSY) and 6 (LOCKED), with their extended codes.
            if let Ok(n) = code.parse::<i32>() {
                return matches!(n & 0xff, 5 | 6);
            }
            // PostgreSQL: 40xxx transaction rollback (serialization failure, deadlock),
            // 08xxx connection exceptions, 53xxx insufficient resources, 57P0x shutdowns.
            code.starts_with("40")
                || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
        }
        _ => false,
    }
}

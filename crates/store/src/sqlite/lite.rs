//! The SQLite write connection without sqlx: a sea-orm *proxy* connection over one
//! [`rusqlite::Connection`] that runs each statement synchronously, in place.
//!
//! Why: sqlx runs every SQLite connection on a thread of its own and hands each statement
//! (and each row) to it and back over channels. For the group-commit writer, which runs a few
//! thousand small statements a second, those hand-offs were most of the server's CPU (futex
//! wake-ups and context switches, measured in docs/benchmarks.md). The writer instead runs on a
//! dedicated thread (see `writer`) and executes its statements here directly: one hand-off per
//! batch instead of two per statement. The repositories keep building their statements with
//! sea-orm; readers keep using sqlx's pool (WAL lets them read beside the writer).
//!
//! Values are stored exactly as sqlx stores them, so that either side reads what the other
//! wrote: UUIDs as 16-byte blobs, timestamps as RFC 3339 text (`+00:00`, microseconds), booleans
//! as 0/1. Query rows are typed from the columns' declared types (see [`typed`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use sea_orm::sea_query::Value;
use sea_orm::sqlx;
use sea_orm::{DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow, RuntimeErr, Statement};

/// Prepared statements kept per connection (statements built per call, e.g. multi-row inserts,
/// differ by shape).
const STATEMENT_CACHE: usize = 512;

/// SQLite connections behind sea-orm's proxy interface: one for the writer, a few for the
/// readers. Calls run in place and block while SQLite works — the writer's own thread, or
/// the calling runtime thread for a read (an indexed read of a warm WAL database takes
/// microseconds, less than handing it to another thread and back).
pub(crate) struct LiteConnection {
    conns: Vec<Mutex<rusqlite::Connection>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for LiteConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiteConnection")
            .field("connections", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl LiteConnection {
    /// The writer's connection to the database file (it exists: sqlx created and migrated
    /// it): WAL, `synchronous=FULL`, foreign keys, a busy timeout.
    pub(crate) fn open_writer(
        path: &std::path::Path,
        busy_timeout: std::time::Duration,
    ) -> Result<LiteConnection, DbErr> {
        let conn = open(
            path,
            busy_timeout,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
        )?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| conn_err(&e))?;
        // Checkpoints are the checkpointer's (see `checkpoint`); SQLite's own stays as a
        // backstop.
        conn.pragma_update(None, "wal_autocheckpoint", crate::checkpoint::BACKSTOP)
            .map_err(|e| conn_err(&e))?;
        Ok(LiteConnection {
            conns: vec![Mutex::new(conn)],
            next: AtomicUsize::new(0),
        })
    }

    /// The background checkpointer's connection (see `checkpoint`): `synchronous=FULL`, so
    /// that a checkpoint fsyncs the database file before the log may be restarted.
    pub(crate) fn open_checkpointer(
        path: &std::path::Path,
        busy_timeout: std::time::Duration,
    ) -> Result<rusqlite::Connection, DbErr> {
        let conn = open(
            path,
            busy_timeout,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
        )?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;")
            .map_err(|e| conn_err(&e))?;
        Ok(conn)
    }

    /// `n` read-only connections (WAL: they read beside the writer, never waiting for it).
    pub(crate) fn open_readers(
        path: &std::path::Path,
        busy_timeout: std::time::Duration,
        n: usize,
    ) -> Result<LiteConnection, DbErr> {
        // No `mmap_size`: a reader that finds the log changed since its last read (after every
        // commit, under load) unmaps the whole file, and each `munmap` flushes the TLB of every
        // core (measured: ~4 % of the server's CPU, against ~0.5 % for the `pread`s it saves).
        let conns = (0..n.max(1))
            .map(|_| {
                open(
                    path,
                    busy_timeout,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .map(Mutex::new)
            })
            .collect::<Result<_, _>>()?;
        Ok(LiteConnection {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection, else (all busy) the next one in turn.
    fn lock(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Ok(guard) = self.conns[(start + i) % n].try_lock() {
                return guard;
            }
        }
        self.conns[start].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The active workflow serving a webhook path, and its current version (the webhook hot
    /// path: [`crate::Store::route`]).
    pub(crate) fn route(&self, path: &str) -> Result<Option<crate::Route>, DbErr> {
        use rusqlite::OptionalExtension;
        let conn = self.lock();
        let read = || -> rusqlite::Result<Option<(Vec<u8>, i32)>> {
            conn.prepare_cached(
                "SELECT id, current_version FROM workflows \
                 WHERE webhook_path = ?1 AND active = 1 LIMIT 1",
            )?
            .query_row([path], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        };
        let row = read().map_err(|e| DbErr::Query(runtime_err(&e)))?;
        row.map(|(id, version)| {
            Ok(crate::Route {
                workflow_id: uuid::Uuid::from_slice(&id)
                    .map_err(|e| DbErr::Type(format!("workflows.id is not a UUID: {e}")))?,
                version,
            })
        })
        .transpose()
    }

    fn run_query(&self, st: &Statement) -> rusqlite::Result<Vec<ProxyRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&st.sql)?;
        bind(&mut stmt, st)?;
        let columns: Vec<(String, Decl)> = stmt
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), Decl::of(c.decl_type())))
            .collect();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = std::collections::BTreeMap::new();
            for (i, (name, decl)) in columns.iter().enumerate() {
                values.insert(name.clone(), typed(row.get_ref(i)?, *decl)?);
            }
            out.push(ProxyRow { values });
        }
        Ok(out)
    }

    fn run_execute(&self, st: &Statement) -> rusqlite::Result<ProxyExecResult> {
        let conn = self.lock();
        if st.values.is_none() && st.sql.contains(';') {
            // Unprepared SQL of several statements.
            conn.execute_batch(&st.sql)?;
        } else {
            // One statement, prepared once: the writer's `BEGIN IMMEDIATE` / `COMMIT` /
            // savepoints of every batch too (no values: nothing to bind).
            let mut stmt = conn.prepare_cached(&st.sql)?;
            bind(&mut stmt, st)?;
            let mut rows = stmt.raw_query();
            while rows.next()?.is_some() {}
        }
        Ok(ProxyExecResult {
            last_insert_id: conn.last_insert_rowid() as u64,
            rows_affected: conn.changes(),
        })
    }
}

#[async_trait::async_trait]
impl ProxyDatabaseTrait for LiteConnection {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.run_query(&statement)
            .map_err(|e| DbErr::Query(runtime_err(&e)))
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        self.run_execute(&statement)
            .map_err(|e| DbErr::Exec(runtime_err(&e)))
    }
}

fn open(
    path: &std::path::Path,
    busy_timeout: std::time::Duration,
    mode: rusqlite::OpenFlags,
) -> Result<rusqlite::Connection, DbErr> {
    let flags =
        mode | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| conn_err(&e))?;
    conn.busy_timeout(busy_timeout).map_err(|e| conn_err(&e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Binds sea-query values the way sqlx's SQLite driver encodes them.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, st: &Statement) -> rusqlite::Result<()> {
    let Some(values) = &st.values else {
        return Ok(());
    };
    for (i, v) in values.0.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, Param(v))?;
    }
    Ok(())
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as Owned;
        let int = |i: Option<i64>| match i {
            Some(i) => ToSqlOutput::Owned(Owned::Integer(i)),
            None => ToSqlOutput::Owned(Owned::Null),
        };
        Ok(match self.0 {
            Value::Bool(b) => int(b.map(i64::from)),
            Value::TinyInt(i) => int(i.map(i64::from)),
            Value::SmallInt(i) => int(i.map(i64::from)),
            Value::Int(i) => int(i.map(i64::from)),
            Value::BigInt(i) => int(*i),
            Value::TinyUnsigned(i) => int(i.map(i64::from)),
            Value::SmallUnsigned(i) => int(i.map(i64::from)),
            Value::Unsigned(i) => int(i.map(i64::from)),
            Value::BigUnsigned(i) => match i {
                Some(i) => {
                    int(Some(i64::try_from(*i).map_err(|e| {
                        rusqlite::Error::ToSqlConversionFailure(Box::new(e))
                    })?))
                }
                None => int(None),
            },
            Value::Float(f) => match f {
                Some(f) => ToSqlOutput::Owned(Owned::Real(f64::from(*f))),
                None => int(None),
            },
            Value::Double(f) => match f {
                Some(f) => ToSqlOutput::Owned(Owned::Real(*f)),
                None => int(None),
            },
            Value::String(s) => match s {
                Some(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                None => int(None),
            },
            Value::Char(c) => match c {
                Some(c) => ToSqlOutput::Owned(Owned::Text(c.to_string())),
                None => int(None),
            },
            Value::Bytes(b) => match b {
                Some(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
                None => int(None),
            },
            Value::Uuid(u) => match u {
                Some(u) => ToSqlOutput::Borrowed(ValueRef::Blob(u.as_bytes())),
                None => int(None),
            },
            Value::ChronoDateTimeUtc(t) => match t {
                Some(t) => ToSqlOutput::Owned(Owned::Text(timestamp(t))),
                None => int(None),
            },
            Value::ChronoDateTimeWithTimeZone(t) => match t {
                Some(t) => {
                    ToSqlOutput::Owned(Owned::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
                }
                None => int(None),
            },
            Value::Json(j) => match j {
                Some(j) => ToSqlOutput::Owned(Owned::Text(j.to_string())),
                None => int(None),
            },
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("the SQLite writer cannot bind {other:?}").into(),
                ));
            }
        })
    }
}

/// A timestamp as sqlx writes it for SQLite.
fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// What a column holds, from its declared type in the schema (`migrations`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decl {
    Uuid,
    Int,
    BigInt,
    Bool,
    Timestamp,
    Text,
    /// An expression: typed by what SQLite returns.
    Unknown,
}

impl Decl {
    fn of(decl: Option<&str>) -> Decl {
        let Some(d) = decl else {
            return Decl::Unknown;
        };
        match d.to_ascii_lowercase().as_str() {
            "uuid_text" | "uuid" | "uuid_blob" => Decl::Uuid,
            "integer" | "int" => Decl::Int,
            "bigint" => Decl::BigInt,
            "boolean" | "bool" => Decl::Bool,
            "timestamp_with_timezone_text" | "timestamp_text" | "datetime_text" => Decl::Timestamp,
            "text" | "varchar" => Decl::Text,
            d if d.starts_with("varchar") || d.starts_with("char") => Decl::Text,
            _ => Decl::Unknown,
        }
    }
}

/// A column value as the sea-query value that the entity field's type accepts (a typed NULL
/// included: `Option<T>` only takes `T`'s own NULL).
fn typed(v: ValueRef<'_>, decl: Decl) -> rusqlite::Result<Value> {
    let bad = |what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            v.data_type(),
            format!("a {decl:?} column holds {what}").into(),
        )
    };
    Ok(match (decl, v) {
        (Decl::Uuid, ValueRef::Null) => Value::Uuid(None),
        (Decl::Uuid, ValueRef::Blob(b)) => Value::Uuid(Some(Box::new(
            uuid::Uuid::from_slice(b).map_err(|_| bad("a blob that is not a UUID"))?,
        ))),
        (Decl::Uuid, ValueRef::Text(t)) => Value::Uuid(Some(Box::new(
            std::str::from_utf8(t)
                .ok()
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
                .ok_or_else(|| bad("text that is not a UUID"))?,
        ))),
        (Decl::Int, ValueRef::Null) => Value::Int(None),
        (Decl::Int, ValueRef::Integer(i)) => Value::Int(Some(
            i32::try_from(i).map_err(|_| bad("an integer out of range"))?,
        )),
        (Decl::BigInt, ValueRef::Null) => Value::BigInt(None),
        (Decl::BigInt, ValueRef::Integer(i)) => Value::BigInt(Some(i)),
        (Decl::Bool, ValueRef::Null) => Value::Bool(None),
        (Decl::Bool, ValueRef::Integer(i)) => Value::Bool(Some(i != 0)),
        (Decl::Timestamp, ValueRef::Null) => Value::ChronoDateTimeUtc(None),
        (Decl::Timestamp, ValueRef::Text(t)) => Value::ChronoDateTimeUtc(Some(Box::new(
            std::str::from_utf8(t)
                .ok()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .ok_or_else(|| bad("text that is not an RFC 3339 timestamp"))?
                .with_timezone(&Utc),
        ))),
        (Decl::Text, ValueRef::Null) => Value::String(None),
        (Decl::Text | Decl::Unknown, ValueRef::Text(t)) => Value::String(Some(Box::new(
            String::from_utf8(t.to_vec()).map_err(|_| bad("text that is not UTF-8"))?,
        ))),
        (Decl::Unknown, ValueRef::Null) => Value::String(None),
        (Decl::Unknown, ValueRef::Integer(i)) => Value::BigInt(Some(i)),
        (Decl::Unknown, ValueRef::Real(f)) => Value::Double(Some(f)),
        (Decl::Unknown, ValueRef::Blob(b)) if b.len() == 16 => {
            Value::Uuid(Some(Box::new(uuid::Uuid::from_slice(b).expect("16 bytes"))))
        }
        (Decl::Unknown, ValueRef::Blob(b)) => Value::Bytes(Some(Box::new(b.to_vec()))),
        (_, other) => return Err(bad(&format!("{:?}", other.data_type()))),
    })
}

fn conn_err(e: &rusqlite::Error) -> DbErr {
    DbErr::Conn(runtime_err(e))
}

/// A rusqlite error as a sqlx database error carrying SQLite's extended result code, so that
/// the store's checks (unique and foreign-key violations, busy/locked) read it like sqlx's.
fn runtime_err(e: &rusqlite::Error) -> RuntimeErr {
    let code = match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
        _ => None,
    };
    RuntimeErr::SqlxError(sqlx::Error::Database(Box::new(LiteError {
        code,
        message: e.to_string(),
    })))
}

/// An error of the rusqlite writer connection (see [`runtime_err`]).
#[derive(Debug)]
pub(crate) struct LiteError {
    /// SQLite's extended result code, when SQLite reported the error.
    pub(crate) code: Option<i32>,
    message: String,
}

impl std::fmt::Display for LiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LiteError {}

impl sqlx::error::DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.code.map(|c| c.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.code {
            Some(2067 | 1555) => ErrorKind::UniqueViolation,
            Some(787) => ErrorKind::ForeignKeyViolation,
            Some(1299) => ErrorKind::NotNullViolation,
            Some(275) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(c: &LiteConnection, name: &str) -> String {
        let conn = c.lock();
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
    }

    #[test]
    fn the_writer_commits_durably_in_wal_mode_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        rusqlite::Connection::open(&path).unwrap();
        let w = LiteConnection::open_writer(&path, std::time::Duration::from_secs(1)).unwrap();
        assert_eq!(pragma(&w, "journal_mode"), "wal");
        // 2 = FULL: the log is fsynced at every commit, before any caller is answered.
        assert_eq!(pragma(&w, "synchronous"), "2");
        assert_eq!(pragma(&w, "foreign_keys"), "1");
        let r = LiteConnection::open_readers(&path, std::time::Duration::from_secs(1), 2).unwrap();
        let err = r.lock().execute_batch("CREATE TABLE t (x)").unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
    }

    #[test]
    fn values_round_trip_as_sqlx_stores_them() {
        let id = uuid::Uuid::now_v7();
        let at = DateTime::parse_from_rfc3339("2026-11-25T19:34:34.123456+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (id uuid_text, at timestamp_with_timezone_text, ok boolean, n integer, big bigint, s text)")
            .unwrap();
        let w = LiteConnection::open_writer(&path, std::time::Duration::from_secs(1)).unwrap();
        let insert = Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
            [
                Value::Uuid(Some(Box::new(id))),
                Value::ChronoDateTimeUtc(Some(Box::new(at))),
                Value::Bool(Some(true)),
                Value::Int(Some(-3)),
                Value::BigInt(Some(1 << 40)),
                Value::String(None),
            ],
        );
        w.run_execute(&insert).unwrap();
        // Stored as sqlx stores them.
        let (blob, text): (Vec<u8>, String) = w
            .lock()
            .query_row("SELECT id, at FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(blob, id.as_bytes());
        assert_eq!(text, "2026-11-25T19:34:34.123456+00:00");
        // Read back typed from the declared column types (NULLs typed too).
        let rows = w
            .run_query(&Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT * FROM t",
            ))
            .unwrap();
        let v = &rows[0].values;
        assert_eq!(v["id"], Value::Uuid(Some(Box::new(id))));
        assert_eq!(v["at"], Value::ChronoDateTimeUtc(Some(Box::new(at))));
        assert_eq!(v["ok"], Value::Bool(Some(true)));
        assert_eq!(v["n"], Value::Int(Some(-3)));
        assert_eq!(v["big"], Value::BigInt(Some(1 << 40)));
        assert_eq!(v["s"], Value::String(None));
    }
}

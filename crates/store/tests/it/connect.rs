use store::{Backend, Error, Store};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_creates_its_directory_and_file_in_wal_mode_and_reopens_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}/nested/data/weft.db?mode=rwc",
        dir.path().display()
    );
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    let w = store.create_workflow(manual_doc("kept")).await.unwrap();
    assert!(
        dir.path().join("nested/data/weft.db-wal").exists(),
        "WAL mode"
    );
    drop(store);

    Store::migrate(&url).await.unwrap();
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(again.workflow(w.id).await.unwrap().unwrap().name, "kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_store_works_for_quick_tests() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let w = store.create_workflow(manual_doc("m")).await.unwrap();
    let e = store.enqueue(new_execution(&w, None)).await.unwrap();
    assert!(store.execution(e.execution_id).await.unwrap().is_some());
}

#[tokio::test]
async fn an_unsupported_database_url_is_invalid() {
    let r = Store::connect("mysql://root:secret@localhost/weft").await;
    assert!(
        matches!(&r, Err(Error::Invalid { message }) if !message.contains("secret")),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_processes_starting_together_migrate_once() {
    let url = tokio::task::spawn_blocking(|| tests::TempPostgres::shared().fresh_database())
        .await
        .unwrap();
    let mut starts = Vec::new();
    for _ in 0..3 {
        let url = url.clone();
        starts.push(tokio::spawn(async move { Store::connect(&url).await }));
    }
    for s in starts {
        let store = s.await.unwrap().unwrap();
        assert_eq!(store.backend(), Backend::Postgres);
    }
    Store::migrate(&url).await.unwrap();
}

/// Rows written under the current schema survive reverting the step-run key migration (step
/// runs keyed by id again) and applying it anew (keyed by execution), and read back the same.
async fn step_runs_survive_the_step_run_key_migration_both_ways(url: &str) {
    use engine::Journal;
    use engine::journal::{StepEvent, StepStatus};
    use migrations::MigratorTrait;
    use sea_orm::{ConnectionTrait, Database, Statement};

    let store = Store::connect(url).await.unwrap();
    let (_, id, attempt) = claimed_execution(&store).await;
    let journal = store.journal(id, attempt);
    for s in ["a", "b", "c"] {
        let result = step(
            s,
            StepStatus::Succeeded,
            Some(serde_json::json!({ "step": s })),
        );
        journal
            .record(id, StepEvent::Finished(&result))
            .await
            .unwrap();
    }
    let before = store.step_runs(id).await.unwrap();
    assert_eq!(before.len(), 3);
    drop(store);

    let old_index = match store_backend(url) {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = 'step_runs_execution'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM pg_indexes WHERE indexname = 'step_runs_execution'"
        }
    };
    let db = Database::connect(url).await.unwrap();
    let count = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    // Revert down to (and including) the step-run key migration.
    let all = migrations::Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == "m20261201_000002_step_runs_by_execution")
        .unwrap();
    let reverts = (all.len() - at) as u32;
    migrations::Migrator::down(&db, Some(reverts))
        .await
        .unwrap();
    assert_eq!(
        count(old_index).await,
        1,
        "reverted: the index by execution is back"
    );
    assert_eq!(count("SELECT COUNT(*) AS n FROM step_runs").await, 3);
    migrations::Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        count(old_index).await,
        0,
        "applied: the key serves reads by execution"
    );
    db.close().await.unwrap();

    let store = Store::connect(url).await.unwrap();
    assert_eq!(store.step_runs(id).await.unwrap(), before);
}

fn store_backend(url: &str) -> Backend {
    if url.starts_with("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_step_runs_survive_the_step_run_key_migration_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/weft.db?mode=rwc", dir.path().display());
    step_runs_survive_the_step_run_key_migration_both_ways(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_step_runs_survive_the_step_run_key_migration_both_ways() {
    let url = tokio::task::spawn_blocking(|| tests::TempPostgres::shared().fresh_database())
        .await
        .unwrap();
    step_runs_survive_the_step_run_key_migration_both_ways(&url).await;
}

/// The checkpoint sequence number in a WAL file's header: it grows by one each time the log
/// restarts from its beginning.
fn wal_restarts(wal: &std::path::Path) -> u32 {
    let bytes = std::fs::read(wal).unwrap();
    u32::from_be_bytes(bytes[12..16].try_into().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_steady_writes_the_sqlite_log_keeps_restarting_and_stays_short() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/weft.db?mode=rwc", dir.path().display());
    let wal = dir.path().join("weft.db-wal");
    let store = Store::connect(&url).await.unwrap();
    let w = store.create_workflow(manual_doc("busy")).await.unwrap();
    let first = wal_restarts(&wal);

    // ~24 MB of requests from 16 writers that never pause: the writer is never idle long, so
    // the log restarts only if checkpoints keep up beside it.
    let pad = "x".repeat(6_000);
    let mut writers = Vec::new();
    for t in 0..16 {
        let (store, w, pad) = (store.clone(), w.clone(), pad.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..250 {
                let mut new = new_execution(&w, None);
                new.request = request(serde_json::json!({ "pad": pad, "writer": t, "n": i }));
                store.enqueue(new).await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }

    let restarts = wal_restarts(&wal) - first;
    let log_pages = std::fs::metadata(&wal).unwrap().len() / 4096;
    assert!(restarts >= 2, "the log restarted {restarts} times");
    // SQLite's own automatic checkpoint would let it reach 20,000 pages.
    assert!(log_pages < 5_000, "the log grew to {log_pages} pages");
}

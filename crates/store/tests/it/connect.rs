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

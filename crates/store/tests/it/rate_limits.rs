use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, QueryOrder};
use store::entity::rate_limit;
use store::{Backend, RateDecision, Store};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The rate-limit rows of the database, oldest window first (read through the entity, which
/// so matches the table).
async fn rows(db: &sea_orm::DatabaseConnection) -> Vec<rate_limit::Model> {
    rate_limit::Entity::find()
        .order_by_asc(rate_limit::Column::WindowStart)
        .order_by_asc(rate_limit::Column::Key)
        .all(db)
        .await
        .unwrap()
}

backends! {
    async fn a_fixed_window_allows_the_limit_then_refuses_until_it_ends(store: Store) {
        let now = at("2026-12-02T10:00:30.250Z");
        for n in 1..=3 {
            let d = store.take_rate_slot("w1", now, 60, 3).await.unwrap();
            assert!(d.allowed, "call {n}");
        }
        let refused = store.take_rate_slot("w1", now + Duration::seconds(10), 60, 3).await.unwrap();
        // 10:00:40.25 → the window ends at 10:01:00: 19.75 s, rounded up.
        assert_eq!(refused, RateDecision { allowed: false, retry_after_secs: 20 });
        // Another key has its own count.
        assert!(store.take_rate_slot("w2", now, 60, 3).await.unwrap().allowed);
        // The next window starts afresh; never a Retry-After of 0.
        let next = store.take_rate_slot("w1", at("2026-12-02T10:01:59.999Z"), 60, 3).await.unwrap();
        assert_eq!(next, RateDecision { allowed: true, retry_after_secs: 1 });
        let second = store.take_rate_slot("w1", at("2026-12-02T10:02:00Z"), 1, 1).await.unwrap();
        assert_eq!(second, RateDecision { allowed: true, retry_after_secs: 1 });
    }

    async fn concurrent_calls_never_pass_the_limit(store: Store) {
        let now = at("2026-12-02T11:00:00Z");
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.take_rate_slot("burst", now, 3600, 5).await.unwrap()
            }));
        }
        let mut allowed = 0;
        for t in tasks {
            let d = t.await.unwrap();
            allowed += usize::from(d.allowed);
            assert_eq!(d.retry_after_secs, 3600);
        }
        assert_eq!(allowed, 5);
    }
}

/// Two stores (two processes' worth of connections) on one PostgreSQL share a limit, and the
/// table keeps only windows that are not over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_postgres_share_a_limit_and_ended_windows_go() {
    let url = tokio::task::spawn_blocking(|| tests::TempPostgres::shared().fresh_database())
        .await
        .unwrap();
    let a = Store::connect(&url).await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    assert_eq!(a.backend(), Backend::Postgres);
    let now = at("2026-12-02T12:00:00Z");
    let mut allowed = 0;
    for i in 0..10 {
        let store = if i % 2 == 0 { &a } else { &b };
        allowed += usize::from(
            store
                .take_rate_slot("shared", now, 60, 4)
                .await
                .unwrap()
                .allowed,
        );
    }
    assert_eq!(allowed, 4);

    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let start = now.timestamp();
    let row = |key: &str, from: i64, count| rate_limit::Model {
        key: key.into(),
        window_start: from,
        window_end: from + 60,
        count,
    };
    b.take_rate_slot("other", now, 60, 4).await.unwrap();
    assert_eq!(
        rows(&db).await,
        [row("other", start, 1), row("shared", start, 10)],
        "one window per key, refused calls counted"
    );
    // `shared` opens its next window: its earlier one goes, `other`'s stays.
    a.take_rate_slot("shared", now + Duration::seconds(60), 60, 4)
        .await
        .unwrap();
    assert_eq!(
        rows(&db).await,
        [row("other", start, 1), row("shared", start + 60, 1)]
    );
    // A window that ended over a minute ago goes when any key opens one.
    b.take_rate_slot("third", now + Duration::seconds(181), 60, 4)
        .await
        .unwrap();
    assert_eq!(
        rows(&db).await,
        [row("third", start + 180, 1)],
        "only the newest window is left"
    );
}

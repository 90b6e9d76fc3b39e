//! Every example in `workflows-examples/` validates and runs green against the mock API.

use std::collections::BTreeSet;

use serde_json::json;
use tests::MockApi;

use crate::support::{all_examples, example, run, weft};

#[tokio::test]
async fn every_example_passes_validation() {
    let files = all_examples();
    assert!(files.len() >= 5, "expected the examples, found {files:?}");
    let out = weft(["validate"]).args(&files).output().await;
    out.success();
    for file in &files {
        let line = format!("ok {}", file.display());
        assert!(
            out.stdout.lines().any(|l| l.trim() == line),
            "no `{line}` line\n{out}"
        );
    }
}

#[test]
fn every_example_starts_with_a_comment_saying_what_it_shows() {
    for file in all_examples() {
        let text = std::fs::read_to_string(&file).expect("read the example");
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("# Shows "),
            "{} should start with `# Shows …`, starts with {first:?}",
            file.display()
        );
    }
}

#[tokio::test]
async fn create_user_passes_the_created_id_to_the_read_and_the_update() {
    let mock = MockApi::start().await;
    let out = run(&example("create-user.yaml"), &mock)
        .input(&json!({ "email": "ada@example.com" }))
        .output()
        .await;
    out.success();

    let users = mock.users();
    assert_eq!(users.len(), 1, "one user created: {users:?}");
    let id = users[0]["id"].as_u64().expect("a numeric id");
    assert_eq!(mock.count("GET", &format!("/users/{id}")), 1, "{out}");
    assert_eq!(mock.count("PATCH", &format!("/users/{id}")), 1, "{out}");
    let user = mock.user(id).expect("the user");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["tag"], "customer");

    let response = out.json();
    assert_eq!(response["status"], 201, "{out}");
    assert_eq!(
        response["body"],
        json!({ "user_id": id, "email": "ada@example.com", "tag": "customer" }),
        "{out}"
    );
}

#[tokio::test]
async fn order_branch_notifies_sales_about_a_big_order() {
    let mock = MockApi::start().await;
    let out = run(&example("order-branch.yaml"), &mock)
        .input(&json!({ "order_id": "A-1", "amount": 5000 }))
        .output()
        .await;
    out.success();

    assert_eq!(mock.count("POST", "/notify"), 1, "{out}");
    let text = mock.notifications()[0]["text"].clone();
    assert!(
        text.as_str()
            .is_some_and(|t| t.contains("A-1") && t.contains("5000")),
        "notification text: {text}"
    );
    let response = out.json();
    assert_eq!(response["status"], 200, "{out}");
    assert_eq!(
        response["body"],
        json!({ "order_id": "A-1", "vip": true, "notified": true }),
        "{out}"
    );
}

#[tokio::test]
async fn order_branch_answers_a_small_order_without_notifying() {
    let mock = MockApi::start().await;
    let out = run(&example("order-branch.yaml"), &mock)
        .input(&json!({ "order_id": "A-2", "amount": 10 }))
        .output()
        .await;
    out.success();

    assert_eq!(mock.count("POST", "/notify"), 0, "{out}");
    let response = out.json();
    assert_eq!(response["status"], 200, "{out}");
    assert_eq!(
        response["body"],
        json!({ "order_id": "A-2", "vip": false, "notified": false }),
        "{out}"
    );
}

#[tokio::test]
async fn import_contacts_creates_each_contact_once_with_its_own_idempotency_key() {
    let mock = MockApi::start().await;
    let emails = ["a@example.com", "b@example.com", "c@example.com"];
    let contacts: Vec<_> = emails.iter().map(|e| json!({ "email": e })).collect();
    let out = run(&example("import-contacts.yaml"), &mock)
        .input(&json!({ "contacts": contacts }))
        .output()
        .await;
    out.success();

    let response = out.json();
    assert_eq!(response["body"]["imported"], 3, "{out}");

    let created = mock.contacts();
    let created_emails: BTreeSet<_> = created
        .iter()
        .map(|c| c["email"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        created_emails,
        emails.iter().map(|e| e.to_string()).collect(),
        "{created:?}"
    );
    let positions: BTreeSet<_> = created.iter().map(|c| c["position"].as_u64()).collect();
    assert_eq!(
        positions,
        BTreeSet::from([Some(0), Some(1), Some(2)]),
        "{created:?}"
    );

    let keys = mock.creates_by_idempotency_key();
    assert_eq!(keys.len(), 3, "three distinct keys: {keys:?}");
    assert!(
        keys.iter()
            .all(|(k, n)| k.as_deref().is_some_and(|k| !k.is_empty()) && *n == 1),
        "each create sent once, with a key: {keys:?}"
    );
}

#[tokio::test]
async fn retry_flaky_succeeds_on_the_third_attempt() {
    let mock = MockApi::start().await;
    let out = run(&example("retry-flaky.yaml"), &mock).output().await;
    out.success();

    let calls = mock.requests_to("GET", "/flaky/");
    assert_eq!(calls.len(), 3, "two failures, then success\n{out}");
    assert!(
        calls.iter().all(|c| c.path == calls[0].path),
        "all attempts go to the same execution's key: {calls:?}"
    );
    // No respond step: stdout is the last step's output.
    let output = out.json();
    assert_eq!(output["status"], 200, "{out}");
    assert_eq!(output["body"]["attempts"], 3, "{out}");
}

#[tokio::test]
async fn parallel_enrich_joins_both_lookups() {
    let mock = MockApi::start().await;
    let out = run(&example("parallel-enrich.yaml"), &mock)
        .input(&json!({ "company": "acme", "person": "ada" }))
        .output()
        .await;
    out.success();

    assert_eq!(mock.count("GET", "/enrich/company/acme"), 1, "{out}");
    assert_eq!(mock.count("GET", "/enrich/person/ada"), 1, "{out}");
    let body = &out.json()["body"];
    assert_eq!(body["company"]["name"], "Company acme", "{out}");
    assert_eq!(body["person"]["name"], "Person ada", "{out}");
    let summary = body["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("Person ada (") && summary.ends_with(") at Company acme"),
        "summary: {summary:?}"
    );
}

#[tokio::test]
async fn the_daily_digest_fetches_the_figures_and_posts_them() {
    let mock = MockApi::start().await;
    // `weft run` fires the trigger by hand; the body stands in for the scheduler's.
    let out = run(&example("daily-digest.yaml"), &mock)
        .input(&json!({ "scheduled_at": "2026-12-02T08:00:00.000Z", "timezone": "Europe/Paris" }))
        .output()
        .await;
    out.success();
    assert_eq!(mock.count("GET", "/enrich/company/acme"), 1, "{out}");
    let notes = mock.notifications();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["channel"], "team");
    let text = notes[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Company acme: ") && text.ends_with("(run of 2026-12-02T08:00:00.000Z)"),
        "{text}"
    );
}

//! The server commands of the CLI: `weft import` / `weft export` on the database directly and
//! through a running server, `weft api-key create|list|revoke`, and the admin key printed at
//! the first start.

use std::path::PathBuf;

use serde_json::json;

use super::harness::{Backend, Deployment, on_both_backends, send};
use crate::support::{all_examples, weft};

fn name_of(file: &PathBuf) -> String {
    let text = std::fs::read_to_string(file).expect("read the example");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    doc["name"].as_str().expect("a name").to_string()
}

async fn import_and_export_give_back_every_example_byte_for_byte_directly_and_through_a_server(
    backend: Backend,
) {
    let d = Deployment::new(backend).await;
    let examples = all_examples();

    // Straight to the database, no server running.
    let out = d.cli(["import"]).args(&examples).output().await;
    out.success();
    for file in &examples {
        assert!(
            out.stderr.contains(&format!("imported {}", file.display())),
            "{out}"
        );
        let text = std::fs::read_to_string(file).unwrap();
        let export = d.cli(["export", &name_of(file)]).output().await;
        export.success();
        assert!(
            export.stdout == text,
            "{}: the direct export differs\n{export}",
            file.display()
        );
    }

    // A server on the same database serves them, and exports them unchanged.
    let server = d.start().await;
    let listed = send(server.get("/api/v1/workflows")).await.json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        examples.len(),
        "{listed:#}"
    );
    let remote = |args: &[&str]| {
        weft(args.iter().copied())
            .args([
                "--server",
                server.url.as_str(),
                "--api-key",
                server.key.as_str(),
            ])
            .current_dir(d.dir())
    };
    for file in &examples {
        let text = std::fs::read_to_string(file).unwrap();
        let export = remote(&["export", &name_of(file)]).output().await;
        export.success();
        assert!(
            export.stdout == text,
            "{}: the export through the server differs\n{export}",
            file.display()
        );
    }

    // Imported through the server (and activated), exported from the database.
    let text = "# Imported through the API.\nname: Remote import\ntrigger:\n  type: webhook\n  \
                path: remote\nsteps:\n  - id: note\n    action: set\n    with:\n      value: {v: 1}\n";
    let file = d.dir().join("remote.yaml");
    std::fs::write(&file, text).unwrap();
    let file = file.display().to_string();
    let out = remote(&["import", &file, "--activate"]).output().await;
    out.success();
    assert!(out.stderr.contains("(version 1)"), "{out}");
    let e = server.run_hook("remote", &json!({})).await;
    assert_eq!(e["output"], json!({ "v": 1 }), "{e:#}");
    let export = d.cli(["export", "Remote import"]).output().await;
    export.success();
    assert_eq!(export.stdout, text, "{export}");

    // Importing a workflow of the same name saves a new version.
    let changed = text.replace("{v: 1}", "{v: 2}");
    std::fs::write(&file, &changed).unwrap();
    let out = remote(&["import", &file, "--message", "v is 2 now & then"])
        .output()
        .await;
    out.success();
    assert!(out.stderr.contains("updated"), "{out}");
    assert!(out.stderr.contains("(version 2)"), "{out}");
    let id = e["workflow_id"].as_str().unwrap().to_string();
    let versions = send(server.get(&format!("/api/v1/workflows/{id}/versions")))
        .await
        .json();
    assert_eq!(
        versions["items"][0]["message"], "v is 2 now & then",
        "{versions:#}"
    );
    let e = server.run_hook("remote", &json!({})).await;
    assert_eq!(e["output"], json!({ "v": 2 }), "{e:#}");
    let export = remote(&["export", "Remote import"]).output().await;
    assert_eq!(export.stdout, changed, "{export}");

    // An invalid file is refused with its located problems; nothing is imported.
    let bad = d.dir().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: Bad\ntrigger: {type: manual}\nsteps:\n  - id: x\n    action: nope\n",
    )
    .unwrap();
    let out = d.cli(["import"]).arg(&bad).output().await;
    out.exit_code(1);
    assert!(out.stderr.contains("bad.yaml:5:"), "{out}");
    let listed = send(server.get("/api/v1/workflows")).await.json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        examples.len() + 1
    );
}

async fn api_keys_are_created_listed_and_revoked_from_the_command_line(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;

    let created = d.cli(["api-key", "create", "ci"]).output().await;
    created.success();
    let secret = created.stdout.trim().to_string();
    assert!(secret.len() >= 32, "{created}");
    assert_eq!(
        created.stdout.lines().count(),
        1,
        "only the secret on stdout\n{created}"
    );
    let with_key = |key: &str| {
        send(
            server
                .http
                .get(format!("{}/api/v1/workflows", server.url))
                .bearer_auth(key),
        )
    };
    with_key(&secret).await.expect_status(200);

    let list = d.cli(["api-key", "list"]).output().await;
    list.success();
    assert!(!list.stdout.contains(&secret), "a secret is listed\n{list}");
    assert!(
        !list.stdout.contains(&server.key),
        "a secret is listed\n{list}"
    );
    let line = list
        .stdout
        .lines()
        .find(|l| l.contains(" ci "))
        .unwrap_or_else(|| panic!("no `ci` key listed\n{list}"));
    assert!(
        line.contains(&secret[..8]),
        "the prefix tells keys apart\n{list}"
    );
    assert!(list.stdout.lines().any(|l| l.contains(" admin ")), "{list}");
    let id = line.split_whitespace().next().unwrap();

    d.cli(["api-key", "revoke", id]).output().await.success();
    with_key(&secret).await.expect_error(401, "unauthorized");
    with_key(&server.key).await.expect_status(200);
    let list = d.cli(["api-key", "list"]).output().await;
    let line = list.stdout.lines().find(|l| l.contains(" ci ")).unwrap();
    assert!(line.contains("revoked"), "{list}");
}

async fn the_first_start_without_an_admin_key_prints_one_that_works(backend: Backend) {
    let d = Deployment::new(backend).await.without_admin_key();
    let mut server = d.start().await;
    let log = server.log_since_start();
    let mut lines = log.lines();
    lines
        .find(|l| l.contains("Created an admin API key"))
        .unwrap_or_else(|| panic!("no key printed:\n{log}"));
    let key = lines
        .find(|l| !l.trim().is_empty())
        .expect("the key")
        .trim()
        .to_string();
    server.key = key.clone();
    send(server.get("/api/v1/workflows"))
        .await
        .expect_status(200);

    // Printed once: the next start keeps the key and prints none.
    server.kill();
    let mut server = d.start().await;
    let log = server.log_since_start();
    assert!(!log.contains("Created an admin API key"), "{log}");
    assert!(!log.contains(&key), "{log}");
    server.key = key;
    send(server.get("/api/v1/workflows"))
        .await
        .expect_status(200);
    let list = d.cli(["api-key", "list"]).output().await;
    assert_eq!(list.stdout.lines().count(), 1, "{list}");
}

on_both_backends!(
    import_and_export_give_back_every_example_byte_for_byte_directly_and_through_a_server,
    api_keys_are_created_listed_and_revoked_from_the_command_line,
    the_first_start_without_an_admin_key_prints_one_that_works,
);

//! Bounds of the validate endpoint: a "billion laughs", a 10,000-deep document, a template
//! nested 100,000 deep and an oversized document are answered (located problems, 413), and
//! the server answers the next request.

use serde_json::json;

use super::harness::{Backend, Deployment, Reply, Server, on_both_backends, send};
use crate::validate::{deep_template, deep_yaml, laughs};

async fn validate(server: &Server, yaml: String) -> Reply {
    send(
        server
            .post("/api/v1/workflows/validate")
            .header("content-type", "application/yaml")
            .body(yaml),
    )
    .await
}

async fn the_validate_endpoint_survives_hostile_documents(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    for (doc, words, line) in [
        (laughs(), "aliases", 3),
        (deep_yaml(10_000), "levels deep", 4),
        (deep_template(100_000), "levels deep", 6),
    ] {
        let reply = validate(&server, doc).await;
        reply.expect_status(200);
        let v = reply.json();
        assert_eq!(v["valid"], false, "{reply}");
        let p = &v["problems"][0];
        assert!(p["message"].as_str().unwrap().contains(words), "{reply}");
        assert_eq!(p["location"]["line"], line, "{reply}");
    }
    // More than 1 MiB is refused before it is parsed.
    let big = format!("name: big\n# {}\n", "x".repeat(1024 * 1024));
    validate(&server, big)
        .await
        .expect_error(413, "payload_too_large");
    // And the server still answers.
    let fine = "name: Fine\ntrigger: {type: manual}\nsteps: []\n".to_string();
    let reply = validate(&server, fine).await;
    assert_eq!(reply.json(), json!({ "valid": true, "problems": [] }));
}

on_both_backends!(the_validate_endpoint_survives_hostile_documents);

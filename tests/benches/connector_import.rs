//! How long importing a real OpenAPI document takes: reading it (JSON or YAML), resolving its
//! references and making each operation's config schema, for the documents of
//! `tests/openapi/`. Prints the fastest and the median of `BENCH_RUNS` imports (default 7).
//!
//! `cargo bench -p tests --bench connector_import`

use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .max(1);
    let registry = actions::registry(actions::http_client());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi");
    println!("| document | size | operations | fastest | median |");
    println!("|---|---:|---:|---:|---:|");
    for path in [
        "twilio/twilio_api_v2010.yaml",
        "slack/slack_web_openapi_v2.json",
        "twilio/twilio_lookups_v2.yaml",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{path}")).expect("the document");
        let mut times: Vec<Duration> = Vec::with_capacity(runs);
        let mut operations = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let c = connectors::import(&text, &connectors::Options::default(), &registry)
                .expect("the document imports");
            times.push(started.elapsed());
            operations = c.operations.len();
        }
        times.sort();
        println!(
            "| {path} | {:.2} MB | {operations} | {:.0} ms | {:.0} ms |",
            text.len() as f64 / 1e6,
            times[0].as_secs_f64() * 1e3,
            times[times.len() / 2].as_secs_f64() * 1e3
        );
    }
}

//! Engine overhead per step: chains of 10, 100 and 1,000 `set` steps, and a 100-wide fan-out.
//!
//! Run: `cargo bench -p tests --bench engine`. Prints a table; the figures are recorded in
//! docs/benchmarks.md. Not a test: nothing here asserts on time.

use std::time::{Duration, Instant};

use engine::{NoJournal, Run, TriggerEvent};
use serde_json::{Map, Value, json};

fn chain(n: usize) -> Value {
    let mut steps = vec![
        json!({"id": "s0", "action": "set", "with": {"value": {"n": 0, "email": "{{trigger.body.email}}"}}}),
    ];
    for i in 1..n {
        steps.push(json!({
            "id": format!("s{i}"),
            "action": "set",
            "with": {"value": {"n": i, "prev": format!("{{{{steps.s{}.n}}}}", i - 1), "email": format!("{{{{steps.s{}.email}}}}", i - 1)}}
        }));
    }
    json!({"name": format!("chain {n}"), "trigger": {"type": "manual"}, "steps": steps})
}

fn fan_out(width: usize) -> Value {
    let mut steps = vec![
        json!({"id": "start", "action": "set", "with": {"value": {"email": "{{trigger.body.email}}"}}}),
    ];
    for i in 0..width {
        steps.push(json!({
            "id": format!("b{i}"),
            "action": "set",
            "after": ["start"],
            "with": {"value": {"i": i, "email": "{{steps.start.email}}"}}
        }));
    }
    steps.push(json!({
        "id": "join",
        "action": "set",
        "after": (0..width).map(|i| format!("b{i}")).collect::<Vec<_>>(),
        "with": {"value": {"last": format!("{{{{steps.b{}.i}}}}", width - 1)}}
    }));
    json!({"name": format!("fan-out {width}"), "trigger": {"type": "manual"}, "steps": steps})
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The engine benchmark calls no server; the default policy refuses every loopback call.
    let registry = actions::registry(actions::http_client());
    let env = Map::new();
    let creds = engine::credentials::NoCredentials;
    let journal = NoJournal;
    println!(
        "{:<22} {:>7} {:>11} {:>13} {:>13} {:>12}",
        "scenario", "steps", "runs", "per run", "per step", "compile"
    );
    let cases: Vec<(String, Value)> = vec![
        ("chain 10".into(), chain(10)),
        ("chain 100".into(), chain(100)),
        ("chain 1000".into(), chain(1000)),
        ("fan-out 100 (+2)".into(), fan_out(100)),
    ];
    for (name, doc) in cases {
        let wf = engine::load::from_json(doc).expect("valid workflow");
        let t = Instant::now();
        let plan = engine::compile(wf, &registry).expect("compiles");
        let compile = t.elapsed();
        let steps = plan.steps.len();
        let run_once = || {
            let run = Run::new(
                uuid::Uuid::now_v7(),
                TriggerEvent {
                    kind: "manual".into(),
                    body: json!({"email": "ann@example.com"}),
                    ..Default::default()
                },
                &env,
                &creds,
                &journal,
            );
            let result = rt.block_on(engine::execute(&plan, &run));
            assert_eq!(result.status, engine::ExecutionStatus::Succeeded);
        };
        // Warm up, then run for about a second.
        for _ in 0..3 {
            run_once();
        }
        let mut runs = 0u32;
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(1) || runs < 5 {
            run_once();
            runs += 1;
        }
        let per_run = t.elapsed() / runs;
        let per_step = per_run / steps as u32;
        println!(
            "{:<22} {:>7} {:>11} {:>10.1} µs {:>10.2} µs {:>9.1} ms",
            name,
            steps,
            runs,
            per_run.as_secs_f64() * 1e6,
            per_step.as_secs_f64() * 1e6,
            compile.as_secs_f64() * 1e3
        );
    }
}

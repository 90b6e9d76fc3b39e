//! Schedules fire: every tick once (also with two processes and a worker on one PostgreSQL), deactivation
//! stops them, `catch_up` decides what happens to the ticks missed while Weft was down, and
//! the API tells the next run times.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{Backend, Deployment, Server, on_both_backends, send};

fn every_second(name: &str, catch_up: Option<&str>) -> String {
    let catch_up = catch_up
        .map(|c| format!(", catch_up: {c}"))
        .unwrap_or_default();
    format!(
        r#"
name: {name}
trigger: {{ type: schedule, cron: "* * * * * *", timezone: Europe/Paris{catch_up} }}
steps:
  - id: note
    action: set
    with: {{ value: {{ at: "{{{{trigger.body.scheduled_at}}}}" }} }}
"#
    )
}

/// The trigger bodies of the workflow's executions, oldest first.
async fn bodies(server: &Server, workflow_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for e in server
        .executions(&format!("workflow_id={workflow_id}"))
        .await
    {
        assert_eq!(e["trigger_kind"], "schedule", "{e:#}");
        let id = e["id"].as_str().unwrap();
        out.push(server.execution(id).await["request"]["body"].clone());
    }
    out.reverse();
    out
}

async fn wait_for_executions(server: &Server, workflow_id: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.count_executions(workflow_id).await < n {
        assert!(
            Instant::now() < deadline,
            "fewer than {n} scheduled runs within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ticks(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| {
            b["scheduled_at"]
                .as_str()
                .expect("scheduled_at")
                .to_string()
        })
        .collect()
}

async fn a_schedule_runs_each_tick_once_and_stops_at_once_when_deactivated(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let id = server.deploy(&every_second("ticking", None)).await;
    wait_for_executions(&server, &id, 3).await;

    // A new version moves the schedule to its cron: every other second from then on.
    let every_other = every_second("ticking", None).replace("\"* * * * * *\"", "\"*/2 * * * * *\"");
    send(
        server
            .api(reqwest::Method::PUT, &format!("/api/v1/workflows/{id}"))
            .header("content-type", "application/yaml")
            .body(every_other),
    )
    .await
    .expect_status(200);
    let before = server.count_executions(&id).await;
    wait_for_executions(&server, &id, before + 3).await;
    let newest = server.executions(&format!("workflow_id={id}")).await;
    let newest = server.execution(newest[0]["id"].as_str().unwrap()).await;
    assert_eq!(newest["version"], 2, "{newest:#}");
    let at: chrono::DateTime<chrono::Utc> = newest["request"]["body"]["scheduled_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        chrono::Timelike::second(&at) % 2,
        0,
        "not on the new cron: {at}"
    );

    send(server.post(&format!("/api/v1/workflows/{id}/deactivate")))
        .await
        .expect_status(200);
    // A tick already being queued as the deactivation commits may still land.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopped = server.count_executions(&id).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        server.count_executions(&id).await,
        stopped,
        "still firing after deactivation"
    );

    let bodies = bodies(&server, &id).await;
    let ticks = ticks(&bodies);
    let distinct: BTreeSet<&String> = ticks.iter().collect();
    assert_eq!(distinct.len(), ticks.len(), "a tick ran twice: {ticks:?}");
    for (b, t) in bodies.iter().zip(&ticks) {
        assert!(t.ends_with(".000Z"), "a tick is a whole second: {t}");
        assert_eq!(b["timezone"], "Europe/Paris", "{b}");
    }
    let e = server.executions(&format!("workflow_id={id}")).await;
    let last = server.wait_finished(e[0]["id"].as_str().unwrap()).await;
    assert_eq!(last["status"], "succeeded", "{last:#}");
    assert_eq!(
        last["output"]["at"],
        last["request"]["body"]["scheduled_at"]
    );
}

async fn the_api_gives_the_next_run_times_in_the_time_zone(backend: Backend) {
    let d = Deployment::new(backend).await;
    let server = d.start().await;
    let w = server
        .create_workflow(
            "name: mornings\ntrigger: { type: schedule, cron: \"30 9 * * 1-5\", timezone: America/New_York }\nsteps:\n  - { id: a, action: set, with: { value: 1 } }\n",
        )
        .await;
    let id = w["id"].as_str().unwrap();
    let reply = send(server.get(&format!("/api/v1/workflows/{id}/schedule?count=3"))).await;
    reply.expect_status(200);
    let s = reply.json();
    assert_eq!(s["timezone"], "America/New_York", "{s}");
    assert_eq!(s["active"], false, "{s}");
    let runs: Vec<chrono::DateTime<chrono::Utc>> = s["next_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(runs.len(), 3, "{s}");
    assert!(runs.windows(2).all(|w| w[0] < w[1]), "{s}");
    for t in &runs {
        let local = t.with_timezone(&chrono_tz::America::New_York);
        assert_eq!(local.format("%H:%M").to_string(), "09:30", "{t}");
    }
    // The editor's preview of an unsaved schedule: the same rules; a bad zone is located.
    let reply = send(server.get(
        "/api/v1/schedules/preview?cron=30%209%20*%20*%201-5&timezone=America/New_York&count=2",
    ))
    .await;
    reply.expect_status(200);
    assert_eq!(
        reply.json()["next_runs"],
        s["next_runs"].as_array().unwrap()[..2]
            .iter()
            .cloned()
            .collect::<Value>()
    );
    let e =
        send(server.get("/api/v1/schedules/preview?cron=*%20*%20*%20*%20*&timezone=Mars/Olympus"))
            .await
            .expect_error(422, "invalid_workflow");
    assert_eq!(
        e["details"]["problems"][0]["field"], "trigger.timezone",
        "{e:#}"
    );
    // Not a schedule: 409 that says what it is.
    let hook = server
        .create_workflow("name: hook\ntrigger: { type: webhook, path: h }\nsteps:\n  - { id: a, action: set, with: { value: 1 } }\n")
        .await;
    send(server.get(&format!(
        "/api/v1/workflows/{}/schedule",
        hook["id"].as_str().unwrap()
    )))
    .await
    .expect_error(409, "conflict");
    // A zone that does not exist is a located problem at save time.
    let reply = send(
        server
            .post("/api/v1/workflows")
            .header("content-type", "application/yaml")
            .body("name: mars\ntrigger: { type: schedule, cron: \"* * * * *\", timezone: Mars/Olympus }\nsteps: []\n"),
    )
    .await;
    let e = reply.expect_error(422, "invalid_workflow");
    assert_eq!(
        e["details"]["problems"][0]["path"], "trigger.timezone",
        "{e:#}"
    );
}

async fn catch_up_run_once_runs_the_missed_ticks_as_one_and_skip_drops_them(backend: Backend) {
    let d = Deployment::new(backend).await;
    let mut server = d.start().await;
    let once = server
        .deploy(&every_second("caught up", Some("run_once")))
        .await;
    let skip = server.deploy(&every_second("skipped", None)).await;
    wait_for_executions(&server, &once, 1).await;
    wait_for_executions(&server, &skip, 1).await;
    server.kill();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let server = d.start().await;
    // `run_once`: one execution says how many ticks it stands for.
    let deadline = Instant::now() + Duration::from_secs(20);
    let caught = loop {
        let b = bodies(&server, &once).await;
        if let Some(c) = b.iter().find(|b| b["missed"].is_number()) {
            break c.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no catch-up run within 20 s: {b:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let missed = caught["missed"].as_u64().unwrap();
    assert!(
        missed >= 2,
        "missed {missed} ticks in {:?} down",
        down.elapsed()
    );
    wait_for_executions(&server, &once, 3).await;
    let b = bodies(&server, &once).await;
    assert_eq!(
        b.iter().filter(|b| b["missed"].is_number()).count(),
        1,
        "{b:#?}"
    );
    let t = ticks(&b);
    assert_eq!(
        t.iter().collect::<BTreeSet<_>>().len(),
        t.len(),
        "a tick ran twice: {t:?}"
    );

    // `skip`: the ticks of the downtime never ran, and nothing says `missed`.
    wait_for_executions(&server, &skip, 3).await;
    let b = bodies(&server, &skip).await;
    assert!(b.iter().all(|b| b["missed"].is_null()), "{b:#?}");
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        ticks(&b).iter().map(|t| t.parse().unwrap()).collect();
    assert!(
        times
            .windows(2)
            .any(|w| w[1] - w[0] >= chrono::Duration::seconds(3)),
        "no gap for the downtime: {times:?}"
    );
}

/// Two processes on one database, one of them without workers (a worker runs its
/// executions): each of 10 ticks runs once, none skipped.
#[tokio::test]
async fn two_processes_on_one_postgres_run_each_tick_once() {
    super::harness::bounded(async {
        let d = Deployment::new(Backend::Postgres).await;
        let a = d.start().await;
        let b = d.start_with(&["--no-workers"]).await;
        let _worker = d.start_worker("worker").await;
        let id = a.deploy(&every_second("shared", None)).await;
        wait_for_executions(&b, &id, 11).await;
        let bodies = bodies(&b, &id).await;
        let t: Vec<chrono::DateTime<chrono::Utc>> = ticks(&bodies)
            .iter()
            .map(|t| t.parse().expect("an RFC 3339 tick"))
            .collect();
        assert_eq!(
            t.iter().collect::<BTreeSet<_>>().len(),
            t.len(),
            "a tick ran twice: {t:?}"
        );
        // The first 10 after the first: one second apart, none missing.
        let mut sorted = t.clone();
        sorted.sort();
        for pair in sorted[..11].windows(2) {
            assert_eq!(
                pair[1] - pair[0],
                chrono::Duration::seconds(1),
                "{sorted:?}"
            );
        }
        drop(a);
    })
    .await;
}

on_both_backends!(
    a_schedule_runs_each_tick_once_and_stops_at_once_when_deactivated,
    the_api_gives_the_next_run_times_in_the_time_zone,
    catch_up_run_once_runs_the_missed_ticks_as_one_and_skip_drops_them,
);

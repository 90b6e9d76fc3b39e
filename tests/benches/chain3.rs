//! The *chain3* scenario: webhook → `POST /users` → `GET /users/{id}` → `PATCH /users/{id}` →
//! answer with the id, driven by 32 concurrent keep-alive clients.
//!
//! In one run it measures:
//! - **ceiling**: a hand-written axum + reqwest handler (in this process, on its own tokio
//!   runtime) that makes the same three calls to the same mock, with no engine and no
//!   persistence;
//! - **Weft**: a `weft serve` child (release build) on SQLite (a fresh temp data dir) and on
//!   PostgreSQL ([`tests::TempPostgres`]), each with `respond: sync` (the client waits for the
//!   answer) and `respond: async` (202 at once; the executions/s there are end to end: accepted
//!   requests divided by the time until the last of them finished).
//!
//! The mock API ([`tests::MockApi`], a fresh one per scenario) and the load generator run in
//! this process, each on its own runtime. Everything listens on 127.0.0.1; children are stopped
//! at the end (and by a watchdog if this process dies).
//!
//! Run: `cargo bench -p tests --bench chain3`. It builds `weft` first
//! (`cargo build --release -p weft`; `WEFT_BIN=path` skips that). Settings (environment):
//! `BENCH_SECS` (measured seconds per scenario, default 10), `BENCH_WARMUP_SECS` (default 2),
//! `BENCH_CLIENTS` (default 32), `BENCH_ONLY` (comma-separated: `ceiling`, `sqlite-sync`,
//! `sqlite-async`, `postgres-sync`, `postgres-async`, `postgres-durable-sync`, `postgres-durable-async`:
//! a PostgreSQL server of its own with `fsync` and `synchronous_commit` on; `postgres-workers-1`,
//! `-2`, `-4`: chain3 async on PostgreSQL with `weft serve --no-workers` and that many `weft
//! worker` processes, each process on one thread (`TOKIO_WORKER_THREADS=1`), with the queue's
//! claim latency (enqueue to start, p50/p99, from the executions) and the claim query's duration
//! (`weft_claim_duration_seconds` of the workers)). Figures are recorded in
//! docs/benchmarks.md. Not a test: nothing here asserts on time.

use std::collections::{BTreeSet, HashMap};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use tests::{MockApi, TempPostgres};
use tokio::runtime::Runtime;

/// The admin key the `weft serve` children are started with.
const API_KEY: &str = "bench-admin-key-0123456789abcdef0123456789";
/// Linux's `USER_HZ`: the unit of the CPU times in `/proc/*/stat`.
const TICKS_PER_SEC: f64 = 100.0;
/// Webhook answers slower than this count as errors (Weft's own sync wait is 30 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an async scenario may take to finish its backlog.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(600);

const WORKFLOW: &str = r#"name: chain3
trigger:
  type: webhook
  path: chain3
  methods: [POST]
  respond: RESPOND_MODE
steps:
  - id: create_user
    action: http
    with:
      method: POST
      url: "{{env.API_URL}}/users"
      json:
        email: "{{trigger.body.email}}"
  - id: get_user
    action: http
    with:
      url: "{{env.API_URL}}/users/{{steps.create_user.body.id}}"
  - id: tag_user
    action: http
    with:
      method: PATCH
      url: "{{env.API_URL}}/users/{{steps.get_user.body.id}}"
      json:
        tag: bench
  - id: reply
    action: respond
    with:
      body:
        id: "{{steps.tag_user.body.id}}"
"#;

// ---------------------------------------------------------------------------------------------
// Settings and results

struct Settings {
    secs: Duration,
    warmup: Duration,
    clients: usize,
    only: Option<BTreeSet<String>>,
}

impl Settings {
    fn from_env() -> Settings {
        let secs = |name: &str, default: f64| {
            let v = std::env::var(name)
                .ok()
                .map(|s| {
                    s.parse::<f64>()
                        .unwrap_or_else(|_| panic!("{name}=`{s}` is not a number of seconds"))
                })
                .unwrap_or(default);
            Duration::from_secs_f64(v)
        };
        Settings {
            secs: secs("BENCH_SECS", 10.0),
            warmup: secs("BENCH_WARMUP_SECS", 2.0),
            clients: std::env::var("BENCH_CLIENTS")
                .ok()
                .map(|s| s.parse().expect("BENCH_CLIENTS is a number"))
                .unwrap_or(32),
            only: std::env::var("BENCH_ONLY").ok().map(|s| {
                s.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            }),
        }
    }

    fn wants(&self, key: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(key))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Sync,
    Async,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Db {
    Sqlite,
    Postgres,
    /// PostgreSQL with `fsync`, `synchronous_commit` and `full_page_writes` on: what a
    /// production server does, and what SQLite's `synchronous=FULL` is compared with.
    PostgresDurable,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
            Db::PostgresDurable => "postgres-durable",
        }
    }
}

/// What the load generator saw in the measured window.
#[derive(Default)]
struct Load {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    /// Microseconds, one per successful request.
    latencies: Vec<u32>,
}

impl Load {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len() - 1);
        Duration::from_micros(u64::from(self.latencies[i]))
    }
}

/// CPU used during a scenario, in cores (CPU seconds per second): the server (the ceiling's
/// threads or the weft child), PostgreSQL's processes, the mock API's threads, the load
/// generator's threads, and everything else on the machine (other users' work).
#[derive(Default, Clone, Copy)]
struct Cpu {
    server: f64,
    db: Option<f64>,
    mock: f64,
    load: f64,
    other: f64,
}

struct Outcome {
    name: String,
    /// Executions per second (async: end to end, accepted ÷ time until all finished).
    rate: f64,
    /// Async: 202 answers per second during the window.
    accepted_rate: Option<f64>,
    load: Load,
    /// Async: seconds from the start of the window until every accepted execution finished.
    drained_after: Option<f64>,
    /// Peak RSS of the weft child (VmHWM), KiB.
    rss_kib: Option<u64>,
    /// Over the measured window (async: window + drain).
    cpu: Cpu,
    notes: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Main

fn main() {
    let settings = Settings::from_env();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("chain3 benchmark");
    println!(
        "machine: {threads} CPUs ({}); date: {}",
        cpu_model(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!("load average at start: {}", load_average());
    println!("commit: {}", git_commit());
    println!(
        "clients: {}, warm-up: {:.1} s, measured: {:.1} s per scenario",
        settings.clients,
        settings.warmup.as_secs_f64(),
        settings.secs.as_secs_f64()
    );

    let mock_rt = runtime("mock", threads);
    let load_rt = runtime("load", threads);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.clients * 2)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("the load generator's HTTP client");

    let weft_wanted = [Db::Sqlite, Db::Postgres, Db::PostgresDurable]
        .into_iter()
        .flat_map(|db| [(db, Mode::Sync), (db, Mode::Async)])
        .filter(|(db, mode)| settings.wants(&format!("{}-{}", db.name(), mode.name())))
        .collect::<Vec<_>>();
    let workers_wanted: Vec<usize> = [1, 2, 4]
        .into_iter()
        .filter(|n| settings.wants(&format!("postgres-workers-{n}")))
        .collect();
    // Built before anything is measured.
    let bin = (!weft_wanted.is_empty() || !workers_wanted.is_empty()).then(weft_binary);

    let mut outcomes = Vec::new();
    if settings.wants("ceiling") {
        outcomes.push(run_ceiling(&settings, &mock_rt, &load_rt, &client, threads));
    }
    if let Some(bin) = bin {
        // One server for the run; a watchdog stops it when this process ends, however it ends.
        let pg = weft_wanted
            .iter()
            .any(|(db, _)| *db == Db::Postgres)
            .then(TempPostgres::shared);
        // A server of its own, stopped when the run ends.
        let durable = weft_wanted
            .iter()
            .any(|(db, _)| *db == Db::PostgresDurable)
            .then(TempPostgres::start_durable);
        for (db, mode) in weft_wanted {
            let database = match (db, pg, &durable) {
                (Db::Postgres, Some(pg), _) => Some((pg.fresh_database(), pg.port)),
                (Db::PostgresDurable, _, Some(pg)) => Some((pg.fresh_database(), pg.port)),
                _ => None,
            };
            outcomes.push(run_weft(
                &settings, &mock_rt, &load_rt, &client, &bin, db, mode, database, 0,
            ));
        }
        for workers in workers_wanted {
            let pg = TempPostgres::shared();
            let database = Some((pg.fresh_database(), pg.port));
            outcomes.push(run_weft(
                &settings,
                &mock_rt,
                &load_rt,
                &client,
                &bin,
                Db::Postgres,
                Mode::Async,
                database,
                workers,
            ));
        }
    }
    println!("load average at end: {}", load_average());
    print_table(&outcomes);
}

fn runtime(name: &str, threads: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(format!("bench-{name}"))
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

// ---------------------------------------------------------------------------------------------
// Scenarios

fn run_ceiling(
    settings: &Settings,
    mock_rt: &Runtime,
    load_rt: &Runtime,
    client: &reqwest::Client,
    threads: usize,
) -> Outcome {
    println!("\n== ceiling: hand-written axum + reqwest handler");
    let mock = mock_rt.block_on(MockApi::start());
    let ceiling_rt = runtime("ceiling", threads);
    let state = Ceiling {
        http: actions::http_client_with(
            actions::outbound::Policy::parse(
                mock.base_url()
                    .trim_start_matches("http://")
                    .trim_end_matches('/'),
            )
            .unwrap(),
        )
        .reqwest()
        .clone(),
        api: mock.base_url().into(),
    };
    let listener = ceiling_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind the ceiling handler");
    let addr = listener.local_addr().expect("its address");
    let app = Router::new()
        .route("/hooks/chain3", post(ceiling_hook))
        .with_state(state);
    ceiling_rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let url = format!("http://{addr}/hooks/chain3");
    load_rt
        .block_on(smoke(client, &url, Mode::Sync))
        .expect("the ceiling handler answers");
    warm_up(settings, load_rt, client, &url, Mode::Sync);
    let meter = CpuMeter::start(None, None);
    let load = load_rt.block_on(generate(
        client.clone(),
        url,
        settings.clients,
        settings.secs,
        Mode::Sync,
    ));
    let cpu = meter.stop();
    let users = mock.users().len();
    ceiling_rt.shutdown_timeout(Duration::from_secs(2));
    drop(mock);
    let rate = load.ok as f64 / load.elapsed.as_secs_f64();
    let outcome = Outcome {
        name: "ceiling (axum + reqwest)".into(),
        rate,
        accepted_rate: None,
        drained_after: None,
        rss_kib: None,
        cpu,
        notes: vec![format!("mock users created: {users}")],
        load,
    };
    report(&outcome);
    outcome
}

#[allow(clippy::too_many_arguments)]
fn run_weft(
    settings: &Settings,
    mock_rt: &Runtime,
    load_rt: &Runtime,
    client: &reqwest::Client,
    bin: &Path,
    db: Db,
    mode: Mode,
    database: Option<(String, u16)>,
    workers: usize,
) -> Outcome {
    let name = if workers > 0 {
        format!(
            "weft {} {}, serve --no-workers + {workers} worker{} (1 thread each)",
            db.name(),
            mode.name(),
            if workers > 1 { "s" } else { "" }
        )
    } else {
        format!("weft {} {}", db.name(), mode.name())
    };
    println!("\n== {name}");
    let mock = mock_rt.block_on(MockApi::start());
    let database_url = database.as_ref().map(|(url, _)| url.as_str());
    let weft = if workers > 0 {
        WeftServer::spawn(bin, &mock.base_url(), database_url, Role::ApiOnly, None)
    } else {
        WeftServer::start(bin, &mock.base_url(), database_url)
    };
    println!("   weft serve pid {} on {}", weft.child.id(), weft.addr);
    // The workers share its data dir (the credential key it makes): they start once it is up.
    if workers > 0 {
        load_rt.block_on(weft.wait_ready());
    }
    let worker_children: Vec<WeftServer> = (0..workers)
        .map(|_| {
            let w = WeftServer::spawn(
                bin,
                &mock.base_url(),
                database_url,
                Role::Worker,
                Some(weft.dir.path()),
            );
            println!(
                "   weft worker pid {} (metrics on {})",
                w.child.id(),
                w.addr
            );
            w
        })
        .collect();
    load_rt.block_on(async {
        for w in &worker_children {
            w.wait_ready().await;
        }
    });
    let mut notes = Vec::new();
    load_rt
        .block_on(async {
            weft.wait_ready().await;
            weft.create_workflow(client, mode).await;
            smoke(client, &weft.hook_url(), mode).await
        })
        .unwrap_or_else(|e| panic!("{name}: the first webhook call failed: {e}\n{}", weft.log()));
    warm_up(settings, load_rt, client, &weft.hook_url(), mode);
    if mode == Mode::Async {
        // The warm-up's backlog must not count in the measured window.
        let t = Instant::now();
        load_rt
            .block_on(weft.wait_drained(client, DRAIN_TIMEOUT))
            .unwrap_or_else(|| panic!("{name}: the warm-up backlog did not finish"));
        println!(
            "   warm-up backlog finished in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }

    let meter = CpuMeter::start(
        Some(weft.child.id()),
        database.as_ref().map(|(_, port)| *port),
    );
    let start = Instant::now();
    let load = load_rt.block_on(generate(
        client.clone(),
        weft.hook_url(),
        settings.clients,
        settings.secs,
        mode,
    ));
    let (rate, accepted_rate, drained_after) = match mode {
        Mode::Sync => (load.ok as f64 / load.elapsed.as_secs_f64(), None, None),
        Mode::Async => {
            let accepted = load.ok as f64 / load.elapsed.as_secs_f64();
            let drained = load_rt.block_on(weft.wait_drained(client, DRAIN_TIMEOUT));
            match drained {
                Some(at) => {
                    let secs = at.duration_since(start).as_secs_f64();
                    (load.ok as f64 / secs, Some(accepted), Some(secs))
                }
                None => {
                    notes.push(format!(
                        "NOT all accepted executions finished within {} s",
                        DRAIN_TIMEOUT.as_secs()
                    ));
                    (f64::NAN, Some(accepted), None)
                }
            }
        }
    };
    let cpu = meter.stop();
    let rss_kib = weft.peak_rss_kib();
    let steps = load_rt.block_on(weft.newest_steps(client));
    assert_eq!(
        steps,
        ["create_user", "get_user", "tag_user", "reply"],
        "{name}: the newest execution's recorded steps"
    );
    let failed = load_rt.block_on(weft.count(client, "failed"));
    if failed > 0 {
        notes.push(format!(
            "{failed} failed executions (first page of at most 200)"
        ));
    }
    let users = mock.users().len();
    notes.push(format!("mock users created: {users}"));
    if workers > 0 {
        notes.extend(load_rt.block_on(claim_latency(client, &weft, &worker_children)));
    }
    drop(worker_children);
    drop(weft);
    drop(mock);
    let outcome = Outcome {
        name,
        rate,
        accepted_rate,
        load,
        drained_after,
        rss_kib,
        cpu,
        notes,
    };
    report(&outcome);
    outcome
}

fn warm_up(
    settings: &Settings,
    load_rt: &Runtime,
    client: &reqwest::Client,
    url: &str,
    mode: Mode,
) {
    if settings.warmup.is_zero() {
        return;
    }
    let w = load_rt.block_on(generate(
        client.clone(),
        url.to_string(),
        settings.clients,
        settings.warmup,
        mode,
    ));
    println!(
        "   warm-up: {} ok, {} errors{}",
        w.ok,
        w.errors,
        w.first_error
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------------
// The load generator

static NEXT_EMAIL: AtomicU64 = AtomicU64::new(0);

fn request(client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    let n = NEXT_EMAIL.fetch_add(1, Ordering::Relaxed);
    client
        .post(url)
        .header("content-type", "application/json")
        .body(format!(r#"{{"email":"user{n}@example.com"}}"#))
}

/// One webhook call; `Ok` when the answer is what the mode promises (sync: 200 with the id;
/// async: 202 with the execution id).
async fn call(client: &reqwest::Client, url: &str, mode: Mode) -> Result<(), String> {
    let res = request(client, url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| e.to_string())?;
    let expected = match mode {
        Mode::Sync => StatusCode::OK,
        Mode::Async => StatusCode::ACCEPTED,
    };
    let field = match mode {
        Mode::Sync => "id",
        Mode::Async => "execution_id",
    };
    let valid = status == expected
        && serde_json::from_slice::<Value>(&body)
            .ok()
            .is_some_and(|v| v.get(field).is_some_and(|id| !id.is_null()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ))
    }
}

async fn smoke(client: &reqwest::Client, url: &str, mode: Mode) -> Result<(), String> {
    call(client, url, mode).await
}

/// `clients` tasks call the webhook back to back for `duration`; requests in flight at the end
/// are finished and counted.
async fn generate(
    client: reqwest::Client,
    url: String,
    clients: usize,
    duration: Duration,
    mode: Mode,
) -> Load {
    let url: Arc<str> = url.into();
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let mut load = Load {
                    latencies: Vec::with_capacity(16 * 1024),
                    ..Load::default()
                };
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match call(&client, &url, mode).await {
                        Ok(()) => {
                            load.ok += 1;
                            let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                            load.latencies.push(us);
                        }
                        Err(e) => {
                            load.errors += 1;
                            load.first_error.get_or_insert(e);
                        }
                    }
                }
                load
            })
        })
        .collect();
    let mut total = Load::default();
    for task in tasks {
        let part = task.await.expect("a load task");
        total.ok += part.ok;
        total.errors += part.errors;
        if total.first_error.is_none() {
            total.first_error = part.first_error;
        }
        total.latencies.extend(part.latencies);
    }
    total.elapsed = start.elapsed();
    total.latencies.sort_unstable();
    total
}

// ---------------------------------------------------------------------------------------------
// The ceiling: the same three calls by hand

#[derive(Clone)]
struct Ceiling {
    http: reqwest::Client,
    api: Arc<str>,
}

async fn ceiling_hook(State(s): State<Ceiling>, Json(body): Json<Value>) -> Response {
    match ceiling_chain(&s, &body).await {
        Ok(id) => Json(json!({ "id": id })).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e })),
        )
            .into_response(),
    }
}

/// What the workflow does, with the same client settings and headers as Weft's `http` action
/// (an `Idempotency-Key` per call).
async fn ceiling_chain(s: &Ceiling, body: &Value) -> Result<Value, String> {
    let email = body.get("email").cloned().ok_or("no email")?;
    let run = uuid::Uuid::now_v7();
    let created = send_json(
        s.http
            .post(format!("{}/users", s.api))
            .header("idempotency-key", format!("{run}:create_user"))
            .json(&json!({ "email": email })),
    )
    .await?;
    let id = created.get("id").cloned().ok_or("no id")?;
    let user = send_json(
        s.http
            .get(format!("{}/users/{id}", s.api))
            .header("idempotency-key", format!("{run}:get_user")),
    )
    .await?;
    let id = user.get("id").cloned().ok_or("no id")?;
    let tagged = send_json(
        s.http
            .patch(format!("{}/users/{id}", s.api))
            .header("idempotency-key", format!("{run}:tag_user"))
            .json(&json!({ "tag": "bench" })),
    )
    .await?;
    tagged.get("id").cloned().ok_or_else(|| "no id".into())
}

async fn send_json(req: reqwest::RequestBuilder) -> Result<Value, String> {
    let res = req.send().await.map_err(|e| e.to_string())?;
    let res = res.error_for_status().map_err(|e| e.to_string())?;
    res.json().await.map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// The weft child

/// The release `weft` binary: `WEFT_BIN`, else `cargo build --release -p weft`'s output.
fn weft_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("WEFT_BIN") {
        return PathBuf::from(bin);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    println!("building weft: cargo build --release -p weft");
    let out = Command::new(cargo)
        .args(["build", "--release", "-p", "weft", "--bin", "weft"])
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(&manifest)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build");
    assert!(out.status.success(), "cargo build --release -p weft failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "weft")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the weft executable")
}

/// A `weft serve` child on a free port. Dropping it stops it (SIGTERM, then SIGKILL).
struct WeftServer {
    child: Child,
    watchdog: Child,
    addr: SocketAddr,
    /// The data dir and the server's log; removed after the child stopped.
    dir: tempfile::TempDir,
}

/// What a `weft` child runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `weft serve`: API, webhooks and workers.
    Serve,
    /// `weft serve --no-workers`, on one thread.
    ApiOnly,
    /// `weft worker` with its metrics on the child's address, on one thread.
    Worker,
}

impl WeftServer {
    fn start(bin: &Path, api_url: &str, database_url: Option<&str>) -> WeftServer {
        WeftServer::spawn(bin, api_url, database_url, Role::Serve, None)
    }

    /// A child in `role`; `data_of`: the directory whose `data` it shares (the credential
    /// key), else its own.
    fn spawn(
        bin: &Path,
        api_url: &str,
        database_url: Option<&str>,
        role: Role,
        data_of: Option<&Path>,
    ) -> WeftServer {
        let dir = tempfile::Builder::new()
            .prefix("weft-bench-")
            .tempdir()
            .expect("a temp dir");
        let addr = free_addr();
        let log = std::fs::File::create(dir.path().join("weft.log")).expect("the log file");
        let mut cmd = Command::new(bin);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("WEFT_") {
                cmd.env_remove(name);
            }
        }
        match role {
            Role::Serve | Role::ApiOnly => {
                cmd.arg("serve").arg("--bind").arg(addr.to_string());
                if role == Role::ApiOnly {
                    cmd.arg("--no-workers");
                }
            }
            Role::Worker => {
                cmd.arg("worker")
                    .arg("--metrics-bind")
                    .arg(addr.to_string());
            }
        }
        if role != Role::Serve {
            cmd.env("TOKIO_WORKER_THREADS", "1");
        }
        cmd.arg("--data-dir")
            .arg(data_of.unwrap_or(dir.path()).join("data"))
            .env("WEFT_ADMIN_API_KEY", API_KEY)
            .env("WEFT_ALLOW_ENV", "API_URL")
            .env("API_URL", api_url)
            .env(
                "WEFT_OUTBOUND_ALLOW",
                api_url.trim_start_matches("http://").trim_end_matches('/'),
            )
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log);
        if let Some(url) = database_url {
            cmd.arg("--database-url").arg(url);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        // Kills the child if this process dies without dropping it (a signal, an abort).
        let script = format!(
            "while kill -0 {child} 2>/dev/null; do \
               if ! kill -0 {me} 2>/dev/null; then kill -9 {child}; exit; fi; sleep 0.5; \
             done",
            child = child.id(),
            me = std::process::id()
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the watchdog");
        WeftServer {
            child,
            watchdog,
            addr,
            dir,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn hook_url(&self) -> String {
        format!("{}/hooks/chain3", self.base())
    }

    fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("weft.log")).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        format!("--- weft log (tail) ---\n{}", &text[start..])
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = client
                .get(format!("{}/healthz", self.base()))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "weft serve did not become healthy in 60 s\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn create_workflow(&self, client: &reqwest::Client, mode: Mode) {
        let yaml = WORKFLOW.replace("RESPOND_MODE", mode.name());
        let res = client
            .post(format!("{}/api/v1/workflows", self.base()))
            .bearer_auth(API_KEY)
            .header("content-type", "application/yaml")
            .body(yaml)
            .send()
            .await
            .expect("POST /api/v1/workflows");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::CREATED, "create the workflow: {body}");
        let id = body["id"].as_str().expect("the workflow id").to_string();
        let res = client
            .post(format!("{}/api/v1/workflows/{id}/activate", self.base()))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("POST /api/v1/workflows/{id}/activate");
        let status = res.status();
        assert!(
            status.is_success(),
            "activate the workflow: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }

    /// How many executions have this status (up to one page of 200).
    async fn count(&self, client: &reqwest::Client, status: &str) -> usize {
        let res = client
            .get(format!("{}/api/v1/executions", self.base()))
            .query(&[("status", status), ("limit", "200")])
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("GET /api/v1/executions");
        assert!(
            res.status().is_success(),
            "list executions: {}",
            res.status()
        );
        let page: Value = res.json().await.expect("a JSON page");
        page["items"].as_array().map_or(0, Vec::len)
    }

    /// The ids of the steps recorded for the newest succeeded execution (proof that the steps
    /// were persisted).
    async fn newest_steps(&self, client: &reqwest::Client) -> Vec<String> {
        let get = |url: String| async move {
            let res = client
                .get(url)
                .bearer_auth(API_KEY)
                .send()
                .await
                .expect("GET an execution");
            assert!(
                res.status().is_success(),
                "GET an execution: {}",
                res.status()
            );
            res.json::<Value>().await.expect("JSON")
        };
        let page = get(format!(
            "{}/api/v1/executions?status=succeeded&limit=1",
            self.base()
        ))
        .await;
        let id = page["items"][0]["id"]
            .as_str()
            .expect("a succeeded execution");
        let exec = get(format!("{}/api/v1/executions/{id}", self.base())).await;
        exec["steps"]
            .as_array()
            .expect("the execution's steps")
            .iter()
            .filter_map(|s| s["step_id"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits until no execution is queued or running; when that was first seen.
    async fn wait_drained(&self, client: &reqwest::Client, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            // Queued before running: an execution only moves queued → running → finished, so
            // none queued, then none running, means none left.
            if self.count(client, "queued").await == 0 && self.count(client, "running").await == 0 {
                return Some(Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    fn proc_file(&self, name: &str) -> String {
        read(format!("/proc/{}/{name}", self.child.id()))
    }

    /// VmHWM: the peak resident set size, KiB.
    fn peak_rss_kib(&self) -> Option<u64> {
        self.proc_file("status")
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for WeftServer {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// The queue's claim latency (from each execution's `created_at` to its `started_at`, through
/// the API) and the claim query's duration (the workers' `weft_claim_duration_seconds`), p50
/// and p99, as notes.
async fn claim_latency(
    client: &reqwest::Client,
    api: &WeftServer,
    workers: &[WeftServer],
) -> Vec<String> {
    let mut waits = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/executions?limit=200", api.base());
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let Ok(res) = client.get(&url).bearer_auth(API_KEY).send().await else {
            break;
        };
        let page: Value = res.json().await.unwrap_or(Value::Null);
        for e in page["items"].as_array().into_iter().flatten() {
            let at = |k: &str| {
                e[k].as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            };
            if let (Some(c), Some(s)) = (at("created_at"), at("started_at")) {
                waits.push((s - c).num_microseconds().unwrap_or(0) as f64 / 1000.0);
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    waits.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        waits
            .get(((waits.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let mut notes = vec![format!(
        "queue claim latency (enqueue to start) over {} executions: p50 {:.1} ms, p99 {:.1} ms",
        waits.len(),
        pick(0.5),
        pick(0.99)
    )];
    // The claim query's histogram, summed over the workers.
    let mut buckets: std::collections::BTreeMap<String, f64> = Default::default();
    for w in workers {
        let Ok(res) = client
            .get(format!("{}/metrics", w.base()))
            .bearer_auth(API_KEY)
            .send()
            .await
        else {
            continue;
        };
        let text = res.text().await.unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("weft_claim_duration_seconds_bucket{le=\"") else {
                continue;
            };
            let Some((le, count)) = rest.split_once("\"} ") else {
                continue;
            };
            *buckets.entry(le.to_string()).or_default() +=
                count.trim().parse::<f64>().unwrap_or(0.0);
        }
    }
    let mut cumulative: Vec<(f64, f64)> = buckets
        .iter()
        .map(|(le, n)| {
            (
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or(f64::INFINITY)
                },
                *n,
            )
        })
        .collect();
    cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let Some(&(_, total)) = cumulative.last().filter(|(_, t)| *t > 0.0) {
        let upper = |q: f64| {
            cumulative
                .iter()
                .find(|(_, n)| *n >= q * total)
                .map_or(f64::INFINITY, |(le, _)| *le * 1000.0)
        };
        notes.push(format!(
            "claim query ({total} claims): p50 ≤ {} ms, p99 ≤ {} ms (histogram bucket bounds)",
            upper(0.5),
            upper(0.99)
        ));
    }
    notes
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
}

// ---------------------------------------------------------------------------------------------
// /proc

/// The field `n` (1-based, as in proc(5)) of a `/proc/…/stat` line; the command (field 2) may
/// hold spaces and parentheses.
fn stat_field(stat: &str, n: usize) -> Option<&str> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3.
    rest.split_whitespace().nth(n.checked_sub(3)?)
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The pids of the processes of the PostgreSQL server listening on `port`: the postmaster
/// first, then its children (the backends).
fn postgres_pids(port: u16) -> Vec<u32> {
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let port = port.to_string();
    let postmaster = pids.iter().copied().find(|pid| {
        let cmdline = read(format!("/proc/{pid}/cmdline"));
        let args: Vec<&str> = cmdline.split('\0').collect();
        args.first().is_some_and(|a| a.ends_with("/postgres"))
            && args.windows(2).any(|w| w == ["-p", port.as_str()])
    });
    let Some(postmaster) = postmaster else {
        return Vec::new();
    };
    let mut out = vec![postmaster];
    out.extend(pids.into_iter().filter(|pid| {
        stat_field(&read(format!("/proc/{pid}/stat")), 4) == Some(&postmaster.to_string())
    }));
    out
}

/// CPU ticks of a process: user + system (+ its reaped children's when `children`).
fn process_ticks(pid: u32, children: bool) -> u64 {
    ticks(&read(format!("/proc/{pid}/stat")), children)
}

/// User + system ticks of a `stat` line (+ reaped children's when `children`).
fn ticks(stat: &str, children: bool) -> u64 {
    let fields: &[usize] = if children {
        &[14, 15, 16, 17]
    } else {
        &[14, 15]
    };
    fields
        .iter()
        .filter_map(|&n| stat_field(stat, n)?.parse::<u64>().ok())
        .sum()
}

/// CPU ticks of PostgreSQL: the postmaster with its exited children, and the live backends.
fn postgres_ticks(port: u16) -> HashMap<u32, u64> {
    postgres_pids(port)
        .into_iter()
        .enumerate()
        .map(|(i, pid)| (pid, process_ticks(pid, i == 0)))
        .collect()
}

/// Busy ticks of the whole machine (all CPUs), from `/proc/stat`.
fn machine_busy_ticks() -> u64 {
    let stat = read("/proc/stat");
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    line.split_whitespace()
        .skip(1)
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

/// CPU ticks of this process's threads by runtime (threads are named `bench-<runtime>`).
fn thread_ticks() -> HashMap<(u32, String), u64> {
    let mut out = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for task in dir.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            let comm = read(task.path().join("comm")).trim().to_string();
            // `/proc/self/task/<tid>/stat`: this thread's own times (`/proc/<tid>` is the
            // whole process).
            out.insert((tid, comm), ticks(&read(task.path().join("stat")), false));
        }
    }
    out
}

/// Counts CPU time from `start` to `stop`.
struct CpuMeter {
    at: Instant,
    machine: u64,
    threads: HashMap<(u32, String), u64>,
    weft: Option<(u32, u64)>,
    pg: Option<(u16, HashMap<u32, u64>)>,
}

impl CpuMeter {
    /// `weft`: the server child's pid (none: the server is the ceiling's threads); `pg_port`:
    /// the PostgreSQL server in use.
    fn start(weft: Option<u32>, pg_port: Option<u16>) -> CpuMeter {
        CpuMeter {
            at: Instant::now(),
            machine: machine_busy_ticks(),
            threads: thread_ticks(),
            weft: weft.map(|pid| (pid, process_ticks(pid, false))),
            pg: pg_port.map(|port| (port, postgres_ticks(port))),
        }
    }

    fn stop(&self) -> Cpu {
        let secs = self.at.elapsed().as_secs_f64();
        let cores = |ticks: u64| ticks as f64 / TICKS_PER_SEC / secs;
        let mut cpu = Cpu::default();
        for (key, ticks) in thread_ticks() {
            let used = cores(ticks.saturating_sub(self.threads.get(&key).copied().unwrap_or(0)));
            match key.1.as_str() {
                n if n.starts_with("bench-mock") => cpu.mock += used,
                n if n.starts_with("bench-load") => cpu.load += used,
                n if n.starts_with("bench-ceiling") => cpu.server += used,
                _ => {}
            }
        }
        if let Some((pid, before)) = self.weft {
            cpu.server = cores(process_ticks(pid, false).saturating_sub(before));
        }
        if let Some((port, before)) = &self.pg {
            let used = postgres_ticks(*port)
                .into_iter()
                .map(|(pid, t)| t.saturating_sub(before.get(&pid).copied().unwrap_or(0)))
                .sum();
            cpu.db = Some(cores(used));
        }
        let ours = cpu.server + cpu.db.unwrap_or(0.0) + cpu.mock + cpu.load;
        cpu.other = (cores(machine_busy_ticks().saturating_sub(self.machine)) - ours).max(0.0);
        cpu
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into())
}

/// `git describe`-like: the commit, `+changes` when the work tree differs from it.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}+changes")
    } else {
        head
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Output

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The server's (and PostgreSQL's) CPU time per execution.
fn cpu_per_execution(o: &Outcome) -> String {
    let cores = o.cpu.server + o.cpu.db.unwrap_or(0.0);
    if o.rate > 0.0 && o.rate.is_finite() {
        format!("{:.2} ms", cores / o.rate * 1000.0)
    } else {
        "—".into()
    }
}

fn cpu_text(c: &Cpu) -> String {
    let db =
        c.db.map(|d| format!(", postgres {d:.2}"))
            .unwrap_or_default();
    format!(
        "server {:.2}{db}, mock {:.2}, load {:.2}, other processes {:.2}",
        c.server, c.mock, c.load, c.other
    )
}

fn cpu_cells(c: &Cpu) -> String {
    let db = c.db.map_or_else(|| "—".into(), |d| format!("{d:.2}"));
    format!(
        "{:.2} / {db} / {:.2} / {:.2} / {:.2}",
        c.server, c.mock, c.load, c.other
    )
}

fn report(o: &Outcome) {
    let mut line = format!(
        "   {} ok, {} errors in {:.1} s: {:.0} executions/s",
        o.load.ok,
        o.load.errors,
        o.load.elapsed.as_secs_f64(),
        o.rate
    );
    if let (Some(acc), Some(drain)) = (o.accepted_rate, o.drained_after) {
        line.push_str(&format!(
            " end to end (accepted {acc:.0}/s; all finished after {drain:.1} s)"
        ));
    }
    println!("{line}");
    println!(
        "   latency p50 {} p99 {}; CPU (cores): {}",
        ms(o.load.percentile(0.50)),
        ms(o.load.percentile(0.99)),
        cpu_text(&o.cpu)
    );
    println!(
        "   server CPU per execution (with PostgreSQL's): {}",
        cpu_per_execution(o)
    );
    if let Some(e) = &o.load.first_error {
        println!("   first error: {e}");
    }
    for n in &o.notes {
        println!("   {n}");
    }
}

fn print_table(outcomes: &[Outcome]) {
    let ceiling = outcomes
        .iter()
        .find(|o| o.name.starts_with("ceiling"))
        .map(|o| o.rate);
    println!();
    println!(
        "| scenario | executions/s | accepted/s | p50 | p99 | peak RSS | × ceiling | CPU per execution | CPU cores: server / db / mock / load / other | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for o in outcomes {
        let ratio = match ceiling {
            Some(c) if c > 0.0 && o.rate.is_finite() => format!("{:.2}", o.rate / c),
            _ => "—".into(),
        };
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
            o.name,
            o.rate,
            o.accepted_rate
                .map_or_else(|| "—".into(), |a| format!("{a:.0}")),
            ms(o.load.percentile(0.50)),
            ms(o.load.percentile(0.99)),
            o.rss_kib
                .map_or_else(|| "—".into(), |k| format!("{:.0} MB", k as f64 / 1024.0)),
            ratio,
            cpu_per_execution(o),
            cpu_cells(&o.cpu),
            o.load.errors,
        );
    }
    println!(
        "\nasync rows: executions/s is end to end (accepted ÷ time until every accepted execution \
         finished); p50/p99 are the 202 answer's latency. CPU per execution: the server's \
         (weft + PostgreSQL, or the ceiling's threads) CPU time ÷ executions. other: the rest of \
         the machine (processes outside this benchmark)."
    );
}

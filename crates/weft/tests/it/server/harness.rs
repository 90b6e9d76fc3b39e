//! A `weft serve` child process on a database of its own, the mock API it calls, and a small
//! HTTP client that knows the admin key.
//!
//! - [`Deployment`]: one test's database (a SQLite data dir, or a fresh database on the shared
//!   temp PostgreSQL), its mock API and the server's settings; [`Deployment::start`] starts a
//!   server on it, as often as a test wants (restarts keep the database).
//! - [`Server`]: the running child. Dropping it kills it (also when the test panics, and then
//!   the tail of the server's log is printed under the failure).
//! - [`Reply`]: a whole HTTP answer, printable in assertion messages.

use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tests::{MockApi, TempPostgres};

use crate::support::{Weft, weft};

/// The admin API key every server of these tests starts with (`WEFT_ADMIN_API_KEY`).
pub const ADMIN_KEY: &str = "weft-test-admin-key-0123456789";

/// No test of the server may run longer than this.
pub const TEST_LIMIT: Duration = Duration::from_secs(240);

/// How long a server gets to become ready.
const START_LIMIT: Duration = Duration::from_secs(60);

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one test on one backend within [`TEST_LIMIT`].
pub async fn bounded<F: std::future::Future<Output = ()>>(test: F) {
    if tokio::time::timeout(TEST_LIMIT, test).await.is_err() {
        panic!("the test did not finish within {TEST_LIMIT:?}");
    }
}

/// `on_both_backends!(a, b, …)`: for each `async fn a(backend: Backend)` of the module, a test
/// `sqlite::a` and a test `postgres::a`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::server::harness::bounded(
                        super::$name($crate::server::harness::Backend::Sqlite),
                    )
                    .await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::server::harness::bounded(
                        super::$name($crate::server::harness::Backend::Postgres),
                    )
                    .await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// One test's database, mock API and server settings.
pub struct Deployment {
    pub mock: MockApi,
    dir: tempfile::TempDir,
    database_url: Option<String>,
    env: Vec<(String, String)>,
    admin_key: Option<String>,
}

impl Deployment {
    /// A fresh database on `backend` and a fresh mock API.
    pub async fn new(backend: Backend) -> Deployment {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                tokio::task::spawn_blocking(|| TempPostgres::shared().fresh_database())
                    .await
                    .expect("create a PostgreSQL database"),
            ),
        };
        Deployment::on(database_url).await
    }

    /// A deployment on database `url` (PostgreSQL), or on a fresh SQLite data dir (`None`).
    pub async fn on(database_url: Option<String>) -> Deployment {
        Deployment {
            mock: MockApi::start().await,
            dir: tempfile::Builder::new()
                .prefix("weft-server-")
                .tempdir()
                .expect("a temp dir"),
            database_url,
            env: vec![
                ("WEFT_SYNC_WAIT".into(), "10s".into()),
                ("WEFT_LOG".into(), "info".into()),
            ],
            admin_key: Some(ADMIN_KEY.into()),
        }
    }

    /// Sets a variable of the server's environment (later calls win).
    pub fn env(mut self, name: &str, value: &str) -> Deployment {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.into(), value.into()));
        self
    }

    /// Writes the credentials file (YAML, `name: {type: …}`) and points the server at it.
    pub fn credentials(self, yaml: &str) -> Deployment {
        let path = self.dir.path().join("credentials.yaml");
        std::fs::write(&path, yaml).expect("write the credentials file");
        let path = path.display().to_string();
        self.env("WEFT_CREDENTIALS_FILE", &path)
    }

    /// Starts servers without `WEFT_ADMIN_API_KEY` (the first start then prints a key).
    pub fn without_admin_key(mut self) -> Deployment {
        self.admin_key = None;
        self
    }

    /// A directory for the test's own files (removed with the deployment).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The SQLite database file, on the SQLite backend.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.database_url
            .is_none()
            .then(|| self.data_dir().join("weft.db"))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The flags that point a `weft` command at this deployment's database.
    pub fn database_flags(&self) -> Vec<OsString> {
        match &self.database_url {
            Some(url) => vec!["--database-url".into(), url.into()],
            None => vec!["--data-dir".into(), self.data_dir().into()],
        }
    }

    /// `weft ARGS… <database flags>`: a CLI command on this deployment's database.
    pub fn cli<I, S>(&self, args: I) -> Weft
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        weft(args)
            .args(self.database_flags())
            .current_dir(self.dir.path())
    }

    /// Starts `weft serve` on this deployment and waits until `/readyz` answers.
    pub async fn start(&self) -> Server {
        self.start_with(&[]).await
    }

    /// Starts `weft serve ARGS…` (e.g. `--no-workers`) and waits until `/readyz` answers.
    pub async fn start_with(&self, args: &[&str]) -> Server {
        // The port is picked by binding and releasing it: another process may take it in
        // between, so a start that cannot listen is tried again on another port.
        for _ in 0..5 {
            match self.try_start(args).await {
                Ok(server) => return server,
                Err(log) if log.contains("cannot listen") => continue,
                Err(log) => panic!("weft serve did not start:\n{log}"),
            }
        }
        panic!("weft serve found no free port in 5 tries");
    }

    /// `weft ARGS…` on this deployment's database with the servers' environment, its output
    /// appended to `log_path` (from `log_start`, which it returns).
    fn server_command(&self, args: &[OsString], log_path: &Path) -> (Command, u64) {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .expect("open the server log");
        let log_start = log.seek(SeekFrom::End(0)).expect("seek the log");
        let mut cmd = Command::new(weft_bin());
        cmd.args(args)
            .args(self.database_flags())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        // Nothing from the test's own environment may change the server's settings.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("WEFT_") || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        cmd.env("NO_COLOR", "1")
            .env("WEFT_ALLOW_ENV", "API_URL")
            .env("API_URL", self.mock.base_url())
            // The mock, and only it (a test that starts another listener allows it in `env`).
            .env(
                "WEFT_OUTBOUND_ALLOW",
                crate::support::host_port(&self.mock.base_url()),
            );
        if let Some(key) = &self.admin_key {
            cmd.env("WEFT_ADMIN_API_KEY", key);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        (cmd, log_start)
    }

    /// Starts `weft worker` on this deployment (its output in a log of its own, `name`.log)
    /// and waits until it says it runs.
    pub async fn start_worker(&self, name: &str) -> Worker {
        self.start_worker_with(name, &[]).await
    }

    /// [`Deployment::start_worker`] with `weft worker ARGS…`.
    pub async fn start_worker_with(&self, name: &str, args: &[&str]) -> Worker {
        let log = self.dir.path().join(format!("{name}.log"));
        let mut argv: Vec<OsString> = vec!["worker".into()];
        argv.extend(args.iter().map(OsString::from));
        let (mut cmd, log_start) = self.server_command(&argv, &log);
        let child = cmd.spawn().expect("spawn weft worker");
        let mut worker = Worker {
            child: Some(child),
            log,
            log_start,
        };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Some(status) = worker
                .child
                .as_mut()
                .expect("the worker")
                .try_wait()
                .expect("poll the worker")
            {
                worker.child = None;
                panic!(
                    "weft worker exited with {status}:\n{}",
                    worker.log_since_start()
                );
            }
            if worker.log_since_start().contains("Weft worker ") {
                return worker;
            }
            assert!(
                Instant::now() < deadline,
                "weft worker did not start within {START_LIMIT:?}:\n{}",
                worker.log_since_start()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn try_start(&self, args: &[&str]) -> Result<Server, String> {
        let port = free_port();
        let log_path = self.log_path();
        let mut argv: Vec<OsString> = vec![
            "serve".into(),
            "--bind".into(),
            format!("127.0.0.1:{port}").into(),
        ];
        argv.extend(args.iter().map(OsString::from));
        let (mut cmd, log_start) = self.server_command(&argv, &log_path);
        let child = cmd.spawn().expect("spawn weft serve");
        let mut server = Server {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            key: self.admin_key.clone().unwrap_or_default(),
            http: client(),
            log: log_path,
            log_start,
        };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Some(status) = server.child_mut().try_wait().expect("poll the child") {
                let log = server.log_since_start();
                server.child = None;
                return Err(format!("exited with {status}\n{log}"));
            }
            let ready = server
                .http
                .get(format!("{}/readyz", server.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "not ready within {START_LIMIT:?}\n{}",
                    server.log_since_start()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// The test's HTTP client: no proxy, bounded requests.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

/// A running `weft serve`; killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The API key requests are sent with.
    pub key: String,
    pub http: reqwest::Client,
    log: PathBuf,
    /// Where this start's output begins in the (shared) log file.
    log_start: u64,
}

impl Server {
    fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("the server process")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server process").id()
    }

    /// What this server wrote (stdout and stderr) since it started.
    pub fn log_since_start(&self) -> String {
        log_from(&self.log, self.log_start)
    }

    /// `METHOD {url}{path}` with the API key.
    pub fn api(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.api(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.api(Method::POST, path)
    }

    /// `METHOD /hooks/{path}` (no API key: webhooks are public).
    pub fn hook(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/hooks/{path}", self.url))
    }

    /// `POST /hooks/{path}` with a JSON body.
    pub async fn call_hook(&self, path: &str, body: &Value) -> Reply {
        send(self.hook(Method::POST, path).json(body)).await
    }

    /// Calls the test URL `/hooks-test/{path}` of workflow `workflow_id` the way the editor
    /// does: listens for a test event first (a test URL answers only then), calls until the
    /// listener is heard, and returns the call's answer.
    pub async fn call_test_hook(&self, workflow_id: &str, path: &str, body: &Value) -> Reply {
        let listen = tokio::spawn(send(self.get(&format!(
            "/api/v1/workflows/{workflow_id}/test-event?timeout=30"
        ))));
        for _ in 0..100 {
            let reply = send(
                self.http
                    .post(format!("{}/hooks-test/{path}", self.url))
                    .json(body),
            )
            .await;
            if reply.status != 404 {
                listen.abort();
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the test URL /hooks-test/{path} never answered while listening");
    }

    /// Calls an async webhook, asserts 202 and waits for the execution to finish.
    pub async fn run_hook(&self, path: &str, body: &Value) -> Value {
        let reply = self.call_hook(path, body).await;
        reply.expect_status(202);
        let id = reply.json()["execution_id"]
            .as_str()
            .expect("an execution id")
            .to_string();
        self.wait_finished(&id).await
    }

    /// Creates a workflow from YAML; asserts 201 and returns the answer.
    pub async fn create_workflow(&self, yaml: &str) -> Value {
        let reply = send(
            self.post("/api/v1/workflows")
                .header("content-type", "application/yaml")
                .body(yaml.to_string()),
        )
        .await;
        reply.expect_status(201);
        reply.json()
    }

    /// Creates and activates a workflow; returns its id.
    pub async fn deploy(&self, yaml: &str) -> String {
        let w = self.create_workflow(yaml).await;
        let id = w["id"].as_str().expect("an id").to_string();
        send(self.post(&format!("/api/v1/workflows/{id}/activate")))
            .await
            .expect_status(200);
        id
    }

    /// `GET /api/v1/executions/{id}`, asserting 200.
    pub async fn execution(&self, id: &str) -> Value {
        let reply = send(self.get(&format!("/api/v1/executions/{id}"))).await;
        reply.expect_status(200);
        reply.json()
    }

    /// Polls the execution until it finished (succeeded, failed or cancelled; not waiting).
    pub async fn wait_finished(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let e = self.execution(id).await;
            if !matches!(e["status"].as_str(), Some("queued" | "running" | "waiting")) {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "execution {id} did not finish within 60 s: {e:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the execution until `done` holds for it.
    pub async fn wait_until(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let e = self.execution(id).await;
            if done(&e) {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "execution {id}: not {what} within 60 s: {e:#}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Every execution matching the query (`workflow_id=…&status=…`), newest first, through
    /// all pages.
    pub async fn executions(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/executions?limit=200&{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let reply = send(self.get(&path)).await;
            reply.expect_status(200);
            let page = reply.json();
            out.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    /// How many executions the workflow has.
    pub async fn count_executions(&self, workflow_id: &str) -> usize {
        self.executions(&format!("workflow_id={workflow_id}"))
            .await
            .len()
    }

    /// How many executions there are in all.
    pub async fn count_executions_all(&self) -> usize {
        self.executions("").await.len()
    }

    /// Waits until no execution is queued or running.
    pub async fn wait_idle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let queued = self.executions("status=queued").await.len();
            let running = self.executions("status=running").await.len();
            if queued + running == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still {queued} queued and {running} running executions after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL: the process dies at once, with whatever it was doing.
    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// SIGTERM, then waits (bounded) for the process to exit.
    pub async fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.pid().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child_mut().try_wait().expect("poll the child") {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "weft serve did not exit within {limit:?} of SIGTERM\n{}",
                self.log_since_start()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            print_tail("server", &self.url, &self.log_since_start(), 120);
        }
    }
}

/// A running `weft worker`; killed when dropped (and then, in a failing test, the tail of its
/// log is printed).
pub struct Worker {
    child: Option<Child>,
    log: PathBuf,
    log_start: u64,
}

impl Worker {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the worker process").id()
    }

    /// SIGKILL, and waits for it.
    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`).
    pub fn signal(&self, signal: &str) {
        let pid = self.pid().to_string();
        let sent = Command::new("kill")
            .args([format!("-{signal}").as_str(), &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} {pid} failed");
    }

    /// What this worker wrote since it started.
    pub fn log_since_start(&self) -> String {
        log_from(&self.log, self.log_start)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.child.is_some() {
            // A stopped process gets SIGKILL too; continuing it first keeps `wait` simple.
            let _ = Command::new("kill")
                .args(["-CONT", &self.pid().to_string()])
                .status();
        }
        self.kill();
        if std::thread::panicking() {
            print_tail(
                "worker",
                &self.log.display().to_string(),
                &self.log_since_start(),
                80,
            );
        }
    }
}

/// SIGKILL to a child process, and waits for it.
fn kill_child(child: &mut Option<Child>) {
    if let Some(mut child) = child.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// What a log file holds from byte `start` on.
fn log_from(path: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.seek(SeekFrom::Start(start));
        let _ = f.read_to_string(&mut text);
    }
    text
}

/// Prints the last `n` lines of a process's log under a failing test.
fn print_tail(what: &str, at: &str, log: &str, n: usize) {
    let lines: Vec<&str> = log.lines().collect();
    let tail = &lines[lines.len().saturating_sub(n)..];
    eprintln!(
        "--- the last {} lines of the {what} log ({at}) ---\n{}",
        tail.len(),
        tail.join("\n")
    );
}

/// A whole HTTP answer.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Sends a request and reads the whole answer; panics if there is none.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let res = request.send().await.expect("an HTTP answer");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.bytes().await.expect("the answer's body").to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

impl Reply {
    /// The body as JSON; panics (showing the answer) if it is not.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e})\n{self}"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn expect_status(&self, status: u16) -> &Reply {
        assert_eq!(self.status, status, "unexpected status\n{self}");
        self
    }

    /// Asserts the status and the error shape `{error: {code, message, details}}` with `code`;
    /// returns the error object.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        self.expect_status(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self}"
        );
        let body = self.json();
        let error = &body["error"];
        assert_eq!(error["code"], code, "{self}");
        assert!(error["message"].is_string(), "no message\n{self}");
        assert!(
            error.as_object().is_some_and(|e| e.contains_key("details")),
            "no details\n{self}"
        );
        error.clone()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "HTTP {}", self.status)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {}", v.to_str().unwrap_or("<binary>"))?;
        }
        write!(f, "\n{}", self.text())
    }
}

/// The `weft` binary servers run: this build's, or `WEFT_TEST_BIN` when set (another build of
/// it, e.g. an older commit's, to compare figures such as peak memory with the same tests).
fn weft_bin() -> std::ffi::OsString {
    std::env::var_os("WEFT_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_weft").into())
}

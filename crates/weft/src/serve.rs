//! `weft serve`: one process with the API, the webhooks, the editor, the workers and the
//! trigger runtime (what each trigger kind runs in the server); `weft serve --no-workers`
//! without the workers, and `weft worker` with only them (both on a shared PostgreSQL
//! database). Each process registers itself in `processes` and renews its heartbeat.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::trigger_runtime::{self, TriggerRuntime};

/// Outgoing webhook attempts in flight at once in this process.
const DELIVERY_CONCURRENCY: usize = 16;

struct LocalWorkers(worker::Worker);

impl api::Dispatch for LocalWorkers {
    fn submit(&self, new: store::NewExecution, watch: bool) -> api::Submitting<'_> {
        Box::pin(self.0.submit(new, watch))
    }
    fn wake(&self) {
        self.0.wake();
    }
    fn cancel(&self, execution_id: uuid::Uuid) -> bool {
        self.0.cancel(execution_id)
    }
}

/// The credential keys: `WEFT_SECRET_KEY`, else the key file in the data dir (created 0600,
/// in a 0700 directory, when `create` is set and it is missing).
pub fn keyring(config: &Config, create: bool) -> Result<Arc<credentials::Keyring>, String> {
    if config.secret_key.is_none() && create {
        private_dir(&config.data_dir)?;
    }
    credentials::Keyring::load(config.secret_key.as_deref(), &config.data_dir, create).map(Arc::new)
}

/// The server's credentials: the database's (sealed under `keys`) beside the operator's file
/// and `WEFT_CREDENTIAL_*`. Every stored value is opened once here, so that a wrong or missing
/// key stops the start with a message naming it.
pub async fn vault(
    config: &Config,
    store: &store::Store,
    keys: Arc<credentials::Keyring>,
    client: actions::HttpClient,
) -> Result<Arc<credentials::Vault>, String> {
    let operator = crate::local::credentials(config.credentials_file.as_deref())?;
    let vault = credentials::Vault::new(store.clone(), keys, operator, client);
    vault.check_keys().await?;
    Ok(Arc::new(vault))
}

/// Opens the store (running migrations) and makes sure an admin API key exists.
pub async fn open_store(config: &Config) -> Result<store::Store, String> {
    if config.database_url.starts_with("sqlite:") {
        private_dir(&config.data_dir)?;
        private_files(&config.database_url)?;
    }
    let options = store::Options {
        max_claims: config.max_claims,
        ..store::Options::default()
    };
    store::Store::connect_with(&config.database_url, &options)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// The SQLite database file (and its `-wal` and `-shm`, which SQLite creates with the
/// database file's mode) readable by the owner only: created 0600 if new, made so if not.
fn private_files(database_url: &str) -> Result<(), String> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.starts_with(':'));
    let Some(path) = path else { return Ok(()) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let err = |p: &str, e: std::io::Error| format!("cannot secure the database file {p}: {e}");
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| err(path, e))?;
        for p in [
            path.to_string(),
            format!("{path}-wal"),
            format!("{path}-shm"),
        ] {
            if std::path::Path::new(&p).exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(&p, e))?;
            }
        }
    }
    Ok(())
}

/// Creates the data directory readable by its owner only (0700), and makes a directory that
/// exists already so. The database files in it are created 0600 (see [`private_files`]).
fn private_dir(dir: &std::path::Path) -> Result<(), String> {
    let err =
        |e: std::io::Error| format!("cannot create the data directory {}: {e}", dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(err)?;
    Ok(())
}

async fn ensure_admin_key(store: &store::Store, config: &Config) -> Result<(), String> {
    let err = |e: store::Error| format!("cannot set up the admin API key: {e}");
    match &config.admin_api_key {
        Some(secret) => {
            if store.verify_api_key(secret).await.map_err(err)?.is_none() {
                store
                    .create_api_key("admin", Some(secret))
                    .await
                    .map_err(err)?;
                eprintln!("Created the admin API key from WEFT_ADMIN_API_KEY.");
            }
        }
        None => {
            if store.count_api_keys().await.map_err(err)? == 0 {
                let (_, secret) = store.create_api_key("admin", None).await.map_err(err)?;
                eprintln!("Created an admin API key (shown only once, keep it):\n\n    {secret}\n");
                eprintln!("Use it as `Authorization: Bearer <key>` and to sign in to the editor.");
            }
        }
    }
    Ok(())
}

/// What a server process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `weft serve`: the API, webhooks, editor, trigger kinds, workers and deliveries.
    All,
    /// `weft serve --no-workers`: the API, webhooks, editor and trigger kinds; executions and
    /// deliveries run on `weft worker` processes sharing the PostgreSQL database.
    NoWorkers,
    /// `weft worker`: executions and deliveries only, no listener.
    Worker,
}

impl Mode {
    fn kind(self) -> store::ProcessKind {
        match self {
            Mode::All => store::ProcessKind::Serve,
            Mode::NoWorkers => store::ProcessKind::Api,
            Mode::Worker => store::ProcessKind::Worker,
        }
    }

    fn runs_workers(self) -> bool {
        self != Mode::NoWorkers
    }
}

/// `serve --no-workers` and `worker` split one server across processes, which only a shared
/// PostgreSQL database allows.
fn check_mode(mode: Mode, config: &Config) -> Result<(), String> {
    let split = match mode {
        Mode::All => return Ok(()),
        Mode::NoWorkers => "`weft serve --no-workers`",
        Mode::Worker => "`weft worker`",
    };
    if config.database_url.starts_with("sqlite:") {
        return Err(format!(
            "{split} needs a PostgreSQL database shared with the other processes (--database-url postgres://…); a SQLite database belongs to one `weft serve`, which runs its workers itself"
        ));
    }
    Ok(())
}

/// The parts every server process has: the store, the compiled plans, credentials and the
/// worker (with no slots in an API-only process: its submits only enqueue).
struct Core {
    store: store::Store,
    plans: Arc<store::Plans>,
    client: actions::HttpClient,
    vault: Arc<credentials::Vault>,
    credentials: Arc<dyn engine::credentials::CredentialsProvider>,
    template_env: Vec<String>,
    resume_key: store::ResumeKey,
    worker: worker::Worker,
    process: store::ProcessInfo,
    catalog: Arc<api::catalog::Catalog>,
}

impl Core {
    async fn open(config: &Config, mode: Mode) -> Result<Core, String> {
        check_mode(mode, config)?;
        let store = open_store(config).await?;
        if mode != Mode::Worker {
            ensure_admin_key(&store, config).await?;
        }
        // One pooled client with the outbound policy, for the `http` action and the deliveries.
        let client = actions::http_client_with(config.outbound.clone());
        let mut registry = crate::registry_with_client(client.clone());
        let set = api::catalog::Catalog::install(&mut registry);
        let registry = Arc::new(registry);
        let catalog = api::catalog::Catalog::new(store.clone(), registry.clone(), set);
        let connectors = catalog
            .load()
            .await
            .map_err(|e| format!("cannot read the connectors: {e}"))?;
        if connectors > 0 {
            tracing::info!(connectors, "connectors loaded");
        }
        let vault = vault(config, &store, keyring(config, true)?, client.clone()).await?;
        let credentials: Arc<dyn engine::credentials::CredentialsProvider> = vault.clone();
        let (env, missing) = crate::local::allowed_env(&config.allow_env);
        if !missing.is_empty() {
            eprintln!(
                "warning: allow-listed for templates but not set: {}",
                missing.join(", ")
            );
        }
        let mut template_env: Vec<String> = env.keys().cloned().collect();
        template_env.sort();
        let env = Arc::new(env);
        let plans = store::Plans::new(store.clone(), registry, store::DEFAULT_PLANS);
        catalog.forget_plans_of(plans.clone());
        let resume_key = store
            .resume_key()
            .await
            .map_err(|e| format!("cannot read the resume URL key: {e}"))?;
        let concurrency = if mode.runs_workers() {
            config.concurrency
        } else {
            0
        };
        let id = format!("{}-{}", mode.kind().as_str(), uuid::Uuid::now_v7());
        let worker = worker::Worker::new(
            store.clone(),
            plans.clone(),
            credentials.clone(),
            env,
            worker::Config {
                id: id.clone(),
                concurrency,
                lease: config.lease,
                max_call_depth: config.max_call_depth,
                resume_urls: Some(worker::ResumeUrls {
                    base: api::public_base(config.public_url.as_deref()),
                    key: resume_key.clone(),
                }),
                ..worker::Config::default()
            },
        );
        let process = store::ProcessInfo {
            id,
            kind: mode.kind(),
            host: host_name(),
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            concurrency,
        };
        store
            .register_process(&process)
            .await
            .map_err(|e| format!("cannot register this process in the database: {e}"))?;
        Ok(Core {
            store,
            plans,
            client,
            vault,
            credentials,
            template_env,
            resume_key,
            worker,
            process,
            catalog,
        })
    }

    /// The workers' run loop, the delivery runner, the heartbeat and (PostgreSQL) the
    /// other processes' notifications, until `stop`.
    fn start_background_with(
        &self,
        mode: Mode,
        stop: &watch::Receiver<bool>,
        config: &Config,
    ) -> Background {
        let heartbeat = tokio::spawn(heartbeat(
            self.store.clone(),
            self.process.id.clone(),
            self.catalog.clone(),
            stop.clone(),
        ));
        let listener = self.store.listen_to_other_processes();
        if mode.runs_workers() && listener.is_some() {
            // Executions queued by another process wake this one's workers at once.
            let (store, worker) = (self.store.clone(), self.worker.clone());
            tokio::spawn(async move {
                loop {
                    store.queued_elsewhere().await;
                    worker.wake();
                }
            });
        }
        // Always: a workflow may have a `retention:` of its own even when the server has none.
        if mode.runs_workers() {
            tokio::spawn(retention(
                self.store.clone(),
                config.retention,
                config.retention_interval,
                stop.clone(),
            ));
        }
        if !mode.runs_workers() {
            return Background {
                worker: None,
                deliveries: None,
                heartbeat,
            };
        }
        Background {
            worker: Some(tokio::spawn(self.worker.clone().run(stop.clone()))),
            deliveries: Some(crate::deliveries::start(
                self.store.clone(),
                self.client.clone(),
                self.credentials.clone(),
                crate::deliveries::Settings {
                    schedule: config.delivery_schedule.clone(),
                    timeout: config.delivery_timeout,
                    concurrency: DELIVERY_CONCURRENCY,
                },
                stop.clone(),
            )),
            heartbeat,
        }
    }
}

/// The background tasks of a server process.
struct Background {
    worker: Option<tokio::task::JoinHandle<()>>,
    deliveries: Option<tokio::task::JoinHandle<()>>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Waits for the workers to finish or hand back their executions, then for the delivery
    /// attempts in flight; the heartbeat records the stop last.
    async fn stopped(self) {
        if let Some(w) = self.worker {
            let _ = w.await;
        }
        // In-flight webhook attempts finish (or are handed back) before the store's last flush.
        if let Some(d) = self.deliveries {
            let _ = d.await;
        }
        let _ = self.heartbeat.await;
    }
}

/// Renews this process's heartbeat row until `stop`, then marks it stopped. A failed beat is
/// logged and the next one tries again (a database outage). While other processes share the
/// database, each beat also picks up the connectors they imported or deleted.
async fn heartbeat(
    store: store::Store,
    id: String,
    catalog: Arc<api::catalog::Catalog>,
    mut stop: watch::Receiver<bool>,
) {
    let look_for_peers = |store: store::Store, id: String| {
        let catalog = catalog.clone();
        async move {
            match store.peers_alive(&id).await {
                Ok(alive) => {
                    store.set_peers(alive);
                    if alive && let Err(e) = catalog.refresh().await {
                        tracing::warn!(error = %e, "cannot read the connectors");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "cannot look for other processes"),
            }
        }
    };
    look_for_peers(store.clone(), id.clone()).await;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(store::HEARTBEAT_EVERY) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        if let Err(e) = store.process_heartbeat(&id).await {
            tracing::warn!(error = %e, "cannot renew this process's heartbeat");
        }
        look_for_peers(store.clone(), id.clone()).await;
    }
    if let Err(e) = store.process_stopped(&id).await {
        tracing::warn!(error = %e, "cannot record that this process stopped");
    }
}

/// Applies the retention every `interval` (the first time one interval after the start) until
/// `stop`; a failed pass is logged and the next one tries again.
async fn retention(
    store: store::Store,
    retention: store::Retention,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        match store.prune_executions(retention, false).await {
            Ok(pruned) if pruned.total() > 0 => {
                tracing::info!(executions = pruned.total(), "pruned finished executions")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot prune finished executions"),
        }
    }
}

/// The last step of a shutdown: journal rows still queued for the SQLite writer reach the
/// disk before the process exits.
async fn stopped(store: &store::Store) -> Result<(), String> {
    store
        .flush()
        .await
        .map_err(|e| format!("could not flush the database: {e}"))?;
    eprintln!("Stopped.");
    Ok(())
}

/// This machine's name, for the process list.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// `weft worker`: runs executions and deliveries from the shared queue until a signal.
pub async fn worker(
    config: Config,
    metrics_bind: Option<std::net::SocketAddr>,
) -> Result<(), String> {
    let core = Core::open(&config, Mode::Worker).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let listener = match metrics_bind {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} (--metrics-bind): {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("Metrics at http://{addr}/metrics (with an API key), /healthz, /readyz");
            Some(tokio::spawn(crate::listen::serve(
                listener,
                api::worker_app(core.store.clone()),
                crate::listen::Limits {
                    header_timeout: config.header_timeout,
                    max_connections: config.max_connections,
                },
                stop_rx.clone(),
            )))
        }
        None => None,
    };
    let background = core.start_background_with(Mode::Worker, &stop_rx, &config);
    eprintln!(
        "Weft worker {} runs up to {} executions at once; database: {}",
        core.process.id,
        core.process.concurrency,
        redact_url(&config.database_url)
    );
    shutdown_signal().await;
    eprintln!("Shutting down: running executions get a moment to finish, or are handed back.");
    let _ = stop_tx.send(true);
    background.stopped().await;
    if let Some(listener) = listener {
        listener.abort();
    }
    stopped(&core.store).await
}

pub async fn serve(config: Config, mode: Mode) -> Result<(), String> {
    let core = Core::open(&config, mode).await?;
    let state = api::AppState::new(
        core.store.clone(),
        core.plans.clone(),
        core.catalog.clone(),
        core.vault.clone(),
        Arc::new(LocalWorkers(core.worker.clone())),
        api::Config {
            body_limit: config.body_limit,
            sync_wait: config.sync_wait,
            public_url: config.public_url.clone(),
            ui_dir: config.ui_dir.clone(),
            intake_budget: config.intake_budget,
            redact_headers: config.redact_headers.clone(),
            resume_key: Some(core.resume_key.clone()),
            template_env: core.template_env.clone(),
        },
    );
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let trigger_runtime = TriggerRuntime::start(
        core.plans.registry().triggers(),
        Arc::new(trigger_runtime::Host {
            store: core.store.clone(),
            plans: core.plans.clone(),
            worker: core.worker.clone(),
        }),
    );
    let background = core.start_background_with(mode, &stop_rx, &config);
    let workers = if mode.runs_workers() {
        ""
    } else {
        "; no workers here: executions run on `weft worker` processes"
    };
    eprintln!(
        "Weft is listening on http://{addr} (editor at /, API at /api/v1, webhooks at /hooks/…); database: {}{workers}",
        redact_url(&config.database_url)
    );
    match api::Editor::of(&state.config) {
        api::Editor::Dir(_) | api::Editor::Embedded => {}
        api::Editor::Missing(None) => eprintln!(
            "The editor is not built: run `npm --prefix web-ui ci && npm --prefix web-ui run build`."
        ),
        api::Editor::Missing(Some(dir)) => eprintln!(
            "The editor directory {} (WEFT_UI_DIR or ui_dir) holds no index.html: build the editor with `npm --prefix web-ui run build`.",
            dir.display()
        ),
    }
    let app = api::app(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        config.body_timeout,
    ));
    // On its own task, so that after the signal it still answers the requests in flight (a
    // sync webhook waiting for its execution) while the workers finish or hand back theirs.
    let mut server = tokio::spawn(crate::listen::serve(
        listener,
        app,
        crate::listen::Limits {
            header_timeout: config.header_timeout,
            max_connections: config.max_connections,
        },
        stop_rx.clone(),
    ));
    tokio::select! {
        r = &mut server => {
            return match r {
                Ok(()) => Err("the server stopped".to_string()),
                Err(e) => Err(format!("the server stopped: {e}")),
            };
        }
        _ = shutdown_signal() => {}
    }
    eprintln!("Shutting down: no new requests; running executions get a moment to finish.");
    let _ = stop_tx.send(true);
    // The trigger kinds stop submitting first, then the workers finish or hand back theirs.
    trigger_runtime.stop().await;
    background.stopped().await;
    // Requests still open after that (an event stream, a caller whose execution was handed
    // back) get a moment more, then are cut.
    if tokio::time::timeout(Duration::from_secs(5), &mut server)
        .await
        .is_err()
    {
        server.abort();
    }
    stopped(&core.store).await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_not_printed() {
        assert_eq!(
            super::redact_url("postgres://weft:hunter2@db:5432/weft"),
            "postgres://weft:***@db:5432/weft"
        );
        assert_eq!(
            super::redact_url("sqlite:///x/weft.db?mode=rwc"),
            "sqlite:///x/weft.db?mode=rwc"
        );
    }
}

//! Server configuration: defaults → optional YAML file (`--config`, `WEFT_CONFIG`) → `WEFT_*`
//! environment → command-line flags. Validated once at start and passed explicitly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Everything `weft serve` (and the other server commands) need.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: SQLite in the data dir.
    pub database_url: String,
    pub body_limit: usize,
    pub sync_wait: Duration,
    pub public_url: Option<String>,
    pub ui_dir: Option<PathBuf>,
    /// Process environment variables templates may read as `env.*`.
    pub allow_env: Vec<String>,
    pub credentials_file: Option<PathBuf>,
    /// Executions running at once in this process.
    pub concurrency: usize,
    pub lease: Duration,
    /// The first admin API key (instead of a random one printed at first start).
    pub admin_api_key: Option<String>,
    /// A client must send a request's headers within this time (slow-header clients).
    pub header_timeout: Duration,
    /// A client must send a request's whole body within this time.
    pub body_timeout: Duration,
    /// Open client connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// Webhook body bytes being received at once (503 + `Retry-After` above it).
    pub intake_budget: usize,
    /// Headers redacted from stored webhook requests besides the default list.
    pub redact_headers: Vec<String>,
    /// Claims of one execution without a finish before it is failed (a poison execution).
    pub max_claims: i32,
    /// What the `http` action may call besides public addresses (`outbound_allow`).
    pub outbound: actions::outbound::Policy,
}

/// The config file: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub body_limit: Option<String>,
    pub sync_wait: Option<String>,
    pub public_url: Option<String>,
    pub ui_dir: Option<PathBuf>,
    pub allow_env: Option<Vec<String>>,
    pub credentials_file: Option<PathBuf>,
    pub concurrency: Option<usize>,
    pub lease: Option<String>,
    pub header_timeout: Option<String>,
    pub body_timeout: Option<String>,
    pub max_connections: Option<usize>,
    pub intake_budget: Option<String>,
    pub redact_headers: Option<Vec<String>>,
    pub max_claims: Option<i32>,
    /// Allow rules for outbound calls: CIDRs and `host[:port]` entries.
    pub outbound_allow: Option<Vec<String>>,
}

/// Values given on the command line (override everything). Global, so that they may follow a
/// subcommand too (`weft api-key create NAME --data-dir D`).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Flags {
    /// Where to listen [default: 127.0.0.1:8080; env WEFT_BIND].
    #[arg(long, global = true)]
    pub bind: Option<String>,
    /// Data directory for the SQLite database [default: ./weft-data; env WEFT_DATA_DIR].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user:pass@host/db` or `sqlite://path?mode=rwc` [env WEFT_DATABASE_URL].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// A YAML config file [env WEFT_CONFIG].
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What the `http` action may call besides public addresses: comma-separated CIDRs and
    /// `host[:port]` entries, e.g. `127.0.0.1:4010,10.0.0.0/8` [env WEFT_OUTBOUND_ALLOW].
    #[arg(long, global = true, value_name = "LIST")]
    pub outbound_allow: Option<String>,
}

/// The outbound policy: the flag, else `WEFT_OUTBOUND_ALLOW`, else the file's
/// `outbound_allow`, else the default (every non-public address refused).
pub fn outbound_policy(
    file: Option<&[String]>,
    flag: Option<&str>,
) -> Result<actions::outbound::Policy, String> {
    let list = match flag
        .map(str::to_string)
        .or_else(|| env("WEFT_OUTBOUND_ALLOW"))
    {
        Some(list) => list,
        None => file.map(|entries| entries.join(",")).unwrap_or_default(),
    };
    actions::outbound::Policy::parse(&list)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `10MiB`, `512KiB`, `1000` (bytes).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("MiB").or_else(|| t.strip_suffix("MB")) {
        (n, 1024 * 1024)
    } else if let Some(n) = t.strip_suffix("KiB").or_else(|| t.strip_suffix("KB")) {
        (n, 1024)
    } else {
        (t, 1)
    };
    num.trim()
        .parse::<usize>()
        .map(|n| n * mult)
        .map_err(|_| format!("`{s}` is not a size (e.g. 10MiB, 512KiB, 1000)"))
}

/// A whole number from environment variable `name`, else the config file's, else `default`.
fn number<T: std::str::FromStr>(name: &str, file: Option<T>, default: T) -> Result<T, String> {
    match env(name) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("{name} `{s}` is not a number")),
        None => Ok(file.unwrap_or(default)),
    }
}

fn duration(s: &str, what: &str) -> Result<Duration, String> {
    engine::duration::parse(s).map_err(|e| format!("{what}: {e}"))
}

impl Config {
    pub fn load(flags: &Flags) -> Result<Config, String> {
        let file_path = flags
            .config
            .clone()
            .or_else(|| env("WEFT_CONFIG").map(PathBuf::from));
        let file: File = match &file_path {
            Some(p) => read_file(p)?,
            None => File::default(),
        };
        let bind_text = flags
            .bind
            .clone()
            .or_else(|| env("WEFT_BIND"))
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_text
            .parse()
            .map_err(|_| format!("bind address `{bind_text}` is not of the form IP:PORT"))?;
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env("WEFT_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("weft-data"));
        let database_url = flags
            .database_url
            .clone()
            .or_else(|| env("WEFT_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| {
                let abs = std::path::absolute(&data_dir).unwrap_or(data_dir.clone());
                format!("sqlite://{}?mode=rwc", abs.join("weft.db").display())
            });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err("the database URL must start with sqlite: or postgres://".into());
        }
        let body_limit = match env("WEFT_BODY_LIMIT").or(file.body_limit) {
            Some(s) => parse_size(&s)?,
            None => 10 * 1024 * 1024,
        };
        let sync_wait = match env("WEFT_SYNC_WAIT").or(file.sync_wait) {
            Some(s) => duration(&s, "sync wait")?,
            None => Duration::from_secs(30),
        };
        let lease = match env("WEFT_LEASE").or(file.lease) {
            Some(s) => duration(&s, "lease")?,
            None => Duration::from_secs(30),
        };
        let concurrency = number("WEFT_CONCURRENCY", file.concurrency, 64)?;
        let header_timeout = match env("WEFT_HEADER_TIMEOUT").or(file.header_timeout) {
            Some(s) => duration(&s, "header timeout")?,
            None => Duration::from_secs(30),
        };
        let body_timeout = match env("WEFT_BODY_TIMEOUT").or(file.body_timeout) {
            Some(s) => duration(&s, "body timeout")?,
            None => Duration::from_secs(60),
        };
        let max_connections = number("WEFT_MAX_CONNECTIONS", file.max_connections, 1024)?;
        let intake_budget = match env("WEFT_INTAKE_BUDGET").or(file.intake_budget) {
            Some(s) => parse_size(&s)?,
            None => 16 * 1024 * 1024,
        };
        let mut redact_headers = file.redact_headers.unwrap_or_default();
        if let Some(list) = env("WEFT_REDACT_HEADERS") {
            redact_headers.extend(
                list.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty()),
            );
        }
        let max_claims = number("WEFT_MAX_CLAIMS", file.max_claims, store::MAX_CLAIMS)?;
        let mut allow_env = file.allow_env.unwrap_or_default();
        if let Some(list) = env("WEFT_ALLOW_ENV") {
            allow_env.extend(
                list.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        }
        let ui_dir = env("WEFT_UI_DIR")
            .map(PathBuf::from)
            .or(file.ui_dir)
            .or_else(|| (!api::embedded_editor()).then(default_ui_dir).flatten());
        Ok(Config {
            bind,
            data_dir,
            database_url,
            body_limit,
            sync_wait,
            public_url: env("WEFT_PUBLIC_URL").or(file.public_url),
            ui_dir,
            allow_env,
            credentials_file: env("WEFT_CREDENTIALS_FILE")
                .map(PathBuf::from)
                .or(file.credentials_file),
            concurrency: concurrency.max(1),
            lease,
            admin_api_key: env("WEFT_ADMIN_API_KEY"),
            header_timeout,
            body_timeout,
            max_connections: max_connections.max(1),
            intake_budget: intake_budget.max(body_limit.min(1024 * 1024)),
            redact_headers,
            max_claims: max_claims.max(1),
            outbound: outbound_policy(
                file.outbound_allow.as_deref(),
                flags.outbound_allow.as_deref(),
            )?,
        })
    }
}

fn read_file(p: &Path) -> Result<File, String> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| format!("cannot read the config file {}: {e}", p.display()))?;
    serde_yaml::from_str(&text)
        .map_err(|e| format!("the config file {} is not valid: {e}", p.display()))
}

/// `web-ui/dist` next to the working directory, or beside the executable's checkout (looked
/// for only by a binary without an embedded editor).
fn default_ui_dir() -> Option<PathBuf> {
    let cwd = PathBuf::from("web-ui/dist");
    if cwd.join("index.html").is_file() {
        return Some(cwd);
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .map(|a| a.join("web-ui/dist"))
        .find(|d| d.join("index.html").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_units() {
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("ten").is_err());
    }
}

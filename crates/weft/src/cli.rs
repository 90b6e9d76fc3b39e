//! Command-line definitions and dispatch.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use crate::admin::{ApiKeyCommand, CredentialsCommand, Target};
use crate::config::{Config, Flags};
use crate::{EXIT_FAILED, EXIT_USAGE, admin, local, serve, trace};

/// Weft: workflow automation you host yourself.
#[derive(Debug, Parser)]
#[command(name = "weft", version, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug); `WEFT_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check workflow files; prints every problem with its location. Exit 1 on any problem.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        connectors: ConnectorFiles,
    },
    /// Run a workflow once, as if its trigger fired, and print the result.
    Run(RunArgs),
    /// Print the workflow JSON Schema.
    Schema,
    /// Print the API's OpenAPI document (what `/api/v1/openapi.json` serves).
    Openapi,
    /// List the actions with their descriptions (`--json` for their config schemas).
    Actions {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connectors: ConnectorFiles,
    },
    /// Manage connectors (OpenAPI documents imported as actions) in the database or, with
    /// `--server`, through a running server's API.
    Connector {
        #[command(subcommand)]
        command: admin::ConnectorCommand,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        flags: Flags,
    },
    /// Start the server: API, webhooks, editor and workers in one process.
    Serve {
        /// Run no executions here: they run on `weft worker` processes sharing the
        /// PostgreSQL database (the API, webhooks, editor and schedules stay here).
        #[arg(long)]
        no_workers: bool,
        #[command(flatten)]
        flags: Flags,
    },
    /// Run executions and outgoing deliveries from the shared PostgreSQL queue (no API, no
    /// listener); start as many as the load needs beside `weft serve --no-workers`.
    Worker {
        /// Serve `/metrics` (behind an API key), `/healthz` and `/readyz` on this address
        /// (none by default: a worker has no listener).
        #[arg(long, value_name = "IP:PORT")]
        metrics_bind: Option<std::net::SocketAddr>,
        #[command(flatten)]
        flags: Flags,
    },
    /// Bring the database schema up to date (`serve` does it too).
    Migrate {
        #[command(flatten)]
        flags: Flags,
    },
    /// Import workflow files (a workflow with the same name gets a new version).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Activate them (start serving their webhooks).
        #[arg(long)]
        activate: bool,
        /// What this import changes, kept with each new version (at most 500 characters).
        #[arg(long, short)]
        message: Option<String>,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        flags: Flags,
    },
    /// Delete finished executions by age and/or count per workflow (the `retention_age` and
    /// `retention_count` settings unless given here); `--dry-run` only says what it would
    /// delete.
    Prune {
        /// Delete finished executions older than this (e.g. `30d`).
        #[arg(long, value_name = "DURATION")]
        older_than: Option<String>,
        /// Keep the newest N finished executions of each workflow.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Count what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        flags: Flags,
    },
    /// Print a workflow (by name or id) as YAML.
    Export {
        #[arg(value_name = "NAME|ID")]
        workflow: String,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        flags: Flags,
    },
    /// Check a Standard Webhooks signature (what Weft's outgoing webhooks carry), with the
    /// raw body on stdin. Exit 0 if it is valid, 1 if not. Without `--signature`, prints the
    /// `webhook-signature` the secret gives instead.
    VerifySignature(VerifyArgs),
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
        #[command(flatten)]
        flags: Flags,
    },
    /// Manage the stored credentials' keys (rotate, generate) and list credentials.
    Credentials {
        #[command(subcommand)]
        command: CredentialsCommand,
        #[command(flatten)]
        flags: Flags,
    },
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The signing secret, `whsec_<base64>` (or raw text) [env WEFT_WEBHOOK_SECRET, which keeps
    /// it out of the process list].
    #[arg(
        long,
        env = "WEFT_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub secret: String,
    /// The `webhook-id` header.
    #[arg(long, value_name = "ID")]
    pub id: String,
    /// The `webhook-timestamp` header (Unix seconds).
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: i64,
    /// The `webhook-signature` header (`v1,<base64>`, several separated by spaces).
    #[arg(long, value_name = "SIGNATURE")]
    pub signature: Option<String>,
    /// Accept a timestamp more than 5 minutes from now (e.g. to check a logged message).
    #[arg(long)]
    pub any_time: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Connectors read from files, for commands without a server (`run`, `validate`, `actions`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectorFiles {
    /// An OpenAPI 3.x or Swagger 2.0 document to use as a connector, `[NAME=]FILE` (the name
    /// from the document's title when absent); repeatable.
    #[arg(long = "connector", value_name = "[NAME=]FILE")]
    pub connector_files: Vec<String>,
    /// The base URL of a connector's requests instead of the document's servers,
    /// `NAME=URL`; repeatable.
    #[arg(long = "connector-base-url", value_name = "NAME=URL")]
    pub connector_base_urls: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The workflow file (YAML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The trigger body: JSON text, or `@path` to read it from a file (`@-` for stdin).
    #[arg(long, short, value_name = "JSON|@FILE")]
    pub input: Option<String>,
    /// A request header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "K:V")]
    pub headers: Vec<String>,
    /// A query parameter, `name=value` (repeatable).
    #[arg(long = "query", short = 'q', value_name = "K=V")]
    pub query: Vec<String>,
    /// A variable templates read as `env.NAME` (repeatable).
    #[arg(long = "env", short = 'e', value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Expose this process environment variable to templates as `env.NAME` (repeatable);
    /// `WEFT_ALLOW_ENV=A,B` does the same.
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// A YAML or JSON file of credentials by name, e.g. `crm-api: {type: bearer, token: …}`.
    /// `WEFT_CREDENTIAL_<NAME>='{"type":"bearer","token":"…"}'` adds one from the environment.
    #[arg(long, env = "WEFT_CREDENTIALS_FILE", value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Print the whole execution record (every step's input and output) as JSON instead.
    #[arg(long)]
    pub record: bool,
    #[command(flatten)]
    pub connectors: ConnectorFiles,
    /// What the `http` action may call besides public addresses: comma-separated CIDRs and
    /// `host[:port]` entries, e.g. `127.0.0.1:4010` [env WEFT_OUTBOUND_ALLOW].
    #[arg(long, value_name = "LIST")]
    pub outbound_allow: Option<String>,
}

pub async fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Validate {
            files,
            format,
            connectors,
        } => match local::with_connectors(crate::registry(), &connectors) {
            Ok(registry) => validate(&registry, &files, format),
            Err(e) => usage_error(e),
        },
        Command::Connector {
            command,
            target,
            flags,
        } => {
            server_command(&flags, |c| async move {
                admin::connector(&c, &target, command).await
            })
            .await
        }
        Command::Run(args) => run(args).await,
        Command::Schema => {
            print!("{}", crate::workflow_schema_text());
            ExitCode::SUCCESS
        }
        Command::Openapi => {
            print!("{}", crate::openapi_text());
            ExitCode::SUCCESS
        }
        Command::Serve { no_workers, flags } => {
            let mode = if no_workers {
                serve::Mode::NoWorkers
            } else {
                serve::Mode::All
            };
            server_command(&flags, |c| async move { serve::serve(c, mode).await }).await
        }
        Command::Prune {
            older_than,
            keep,
            dry_run,
            flags,
        } => {
            server_command(&flags, |c| async move {
                admin::prune(&c, older_than.as_deref(), keep, dry_run).await
            })
            .await
        }
        Command::Worker {
            metrics_bind,
            flags,
        } => {
            server_command(
                &flags,
                |c| async move { serve::worker(c, metrics_bind).await },
            )
            .await
        }
        Command::Migrate { flags } => {
            server_command(&flags, |c| async move { admin::migrate(&c).await }).await
        }
        Command::Import {
            files,
            activate,
            message,
            target,
            flags,
        } => {
            server_command(&flags, |c| async move {
                admin::import(&c, &target, &files, activate, message.as_deref()).await
            })
            .await
        }
        Command::Export {
            workflow,
            target,
            flags,
        } => {
            server_command(&flags, |c| async move {
                admin::export(&c, &target, &workflow).await
            })
            .await
        }
        Command::VerifySignature(args) => verify_signature(args),
        Command::ApiKey { command, flags } => {
            server_command(&flags, |c| async move { admin::api_key(&c, command).await }).await
        }
        Command::Credentials { command, flags } => {
            server_command(
                &flags,
                |c| async move { admin::credentials(&c, command).await },
            )
            .await
        }
        Command::Actions { json, connectors } => {
            let registry = match local::with_connectors(crate::registry(), &connectors) {
                Ok(r) => r,
                Err(e) => return usage_error(e),
            };
            let infos = registry.infos();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&infos).expect("serializable")
                );
            } else {
                for i in infos {
                    println!("{:<10} {}", i.kind, i.description);
                }
            }
            ExitCode::SUCCESS
        }
    }
}

/// Loads the server configuration and runs `f` with it; errors end the process with status 1.
async fn server_command<F, Fut>(flags: &Flags, f: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let config = match Config::load(flags) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    match f(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn validate(registry: &engine::Registry, files: &[PathBuf], format: Format) -> ExitCode {
    let mut any = false;
    let mut report = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let problems: Vec<engine::Problem> = match std::fs::read_to_string(file) {
            Err(e) => {
                let mut p = engine::Problem::new("", format!("cannot read the file: {e}"));
                p.file = Some(name.clone());
                vec![p]
            }
            Ok(text) => match engine::load(&text, Some(&name), registry) {
                Ok(_) => Vec::new(),
                Err(p) => p.0,
            },
        };
        any |= !problems.is_empty();
        if format == Format::Text {
            if problems.is_empty() {
                println!("ok {name}");
            }
            for p in &problems {
                eprintln!("{p}");
            }
        }
        report.push(json!({ "file": name, "problems": problems }));
    }
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": report })).expect("serializable")
        );
    }
    if any {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

async fn run(args: RunArgs) -> ExitCode {
    let name = args.file.display().to_string();
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => return usage_error(format_args!("cannot read {name}: {e}")),
    };
    let policy = match crate::config::outbound_policy(args.outbound_allow.as_deref()) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let registry = match local::with_connectors(crate::registry_with(policy), &args.connectors) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let plan = match engine::load(&text, Some(&name), &registry) {
        Ok(p) => p,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let body = match read_input(args.input.as_deref()) {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let mut headers = BTreeMap::new();
    for h in &args.headers {
        match triggers::parse_header(h) {
            Ok((k, v)) => headers.insert(k, v),
            Err(e) => return usage_error(e),
        };
    }
    let mut query = BTreeMap::new();
    for q in &args.query {
        match triggers::parse_query(q) {
            Ok((k, v)) => query.insert(k, v),
            Err(e) => return usage_error(e),
        };
    }
    let env = match template_env(&args.env, &args.allow_env) {
        Ok(e) => e,
        Err(e) => return usage_error(e),
    };
    let credentials = match local::credentials(args.credentials.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let event = registry.triggers().manual_event(
        &plan.workflow.trigger,
        engine::trigger::ManualInput {
            body,
            headers,
            query,
        },
    );
    let execution_id = uuid::Uuid::now_v7();
    let journal = trace::Trace::new(&plan);
    journal.start(&plan, execution_id);
    let run = engine::Run::new(execution_id, event, &env, &credentials, &journal);
    let result = engine::execute_catching(&plan, &run).await;
    journal.finish(&result);
    let out = if args.record {
        serde_json::to_value(&result).expect("serializable")
    } else if let Some(r) = &result.response {
        serde_json::to_value(r).expect("serializable")
    } else {
        result.output.clone().unwrap_or(Value::Null)
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("serializable")
    );
    if result.status == engine::ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn read_input(input: Option<&str>) -> Result<Value, String> {
    let Some(input) = input else {
        return Ok(Value::Object(Map::new()));
    };
    let (text, source) = match input.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| format!("cannot read the input from stdin: {e}"))?;
            (s, "stdin".to_string())
        }
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the input file {path}: {e}"))?,
            path.to_string(),
        ),
        None => (input.to_string(), "--input".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "the input from {source} is not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })
}

fn template_env(pairs: &[String], allow: &[String]) -> Result<Map<String, Value>, String> {
    let from_var = std::env::var("WEFT_ALLOW_ENV").unwrap_or_default();
    let names: Vec<String> = allow
        .iter()
        .map(String::as_str)
        .chain(from_var.split(',').map(str::trim).filter(|s| !s.is_empty()))
        .map(str::to_string)
        .collect();
    let (mut env, missing) = local::allowed_env(&names);
    if let Some(name) = missing.first() {
        return Err(format!("--allow-env {name}: the variable is not set"));
    }
    for p in pairs {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                env.insert(k.to_string(), Value::String(v.to_string()));
            }
            _ => return Err(format!("--env `{p}` is not of the form NAME=VALUE")),
        }
    }
    Ok(env)
}

/// `weft verify-signature`: checks (or, without `--signature`, computes) a Standard Webhooks
/// signature of the body on stdin, by the code incoming webhooks are checked with.
fn verify_signature(args: VerifyArgs) -> ExitCode {
    use std::io::Read as _;
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        return usage_error(format!("cannot read the body from stdin: {e}"));
    }
    let preset = engine::model::HmacPreset::StandardWebhooks;
    let Some(signature) = args.signature else {
        return match triggers::sign(preset, &args.secret, &args.id, args.timestamp, &body) {
            Ok(headers) => {
                for (name, value) in headers {
                    if name == "webhook-signature" {
                        println!("{value}");
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(e),
        };
    };
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("webhook-id", args.id.clone()),
        ("webhook-timestamp", args.timestamp.to_string()),
        ("webhook-signature", signature),
    ] {
        match reqwest::header::HeaderValue::from_str(&value) {
            Ok(v) => {
                headers.insert(name, v);
            }
            Err(_) => return usage_error(format!("--{}: not a header value", &name[8..])),
        }
    }
    let auth = engine::model::WebhookAuth {
        kind: engine::model::AuthKind::Hmac,
        preset: Some(preset),
        credential: Some("secret".into()),
        header: None,
    };
    let credential = engine::credentials::Credential::Secret { value: args.secret };
    let now = match args.any_time {
        true => {
            chrono::DateTime::from_timestamp(args.timestamp, 0).unwrap_or_else(chrono::Utc::now)
        }
        false => chrono::Utc::now(),
    };
    match triggers::verify_signature(&auth, Some(&credential), &headers, &body, now) {
        Ok(_) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Err(triggers::AuthError::Misconfigured(m)) => usage_error(m),
        Err(e) => {
            println!("invalid: {}", e.reason());
            ExitCode::from(EXIT_FAILED)
        }
    }
}

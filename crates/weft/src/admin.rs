//! `weft migrate | import | export | api-key`: working on the database directly, or (import and
//! export) through a running server's API with `--server URL --api-key KEY`.

use std::path::PathBuf;

use serde_json::Value;

use crate::config::Config;

/// Where import and export go.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Talk to this running server instead of the database (e.g. http://127.0.0.1:8080).
    /// Global, so that it may follow a subcommand (`weft connector list --server URL`).
    #[arg(long, env = "WEFT_SERVER", global = true)]
    pub server: Option<String>,
    /// API key for `--server`.
    #[arg(long, env = "WEFT_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
}

pub async fn migrate(config: &Config) -> Result<(), String> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| e.to_string())?;
    }
    store::Store::migrate(&config.database_url)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    eprintln!("The database is up to date.");
    Ok(())
}

fn format_of(path: &std::path::Path) -> store::SourceFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => store::SourceFormat::Json,
        _ => store::SourceFormat::Yaml,
    }
}

/// Imports files: a workflow with the same name gets a new version, others are created.
pub async fn import(
    config: &Config,
    target: &Target,
    files: &[PathBuf],
    activate: bool,
    message: Option<&str>,
) -> Result<(), String> {
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    if message.is_some_and(|m| m.chars().count() > 500) {
        return Err("--message may be at most 500 characters".into());
    }
    let query = message.map_or(String::new(), |m| {
        format!(
            "?message={}",
            percent_encoding::utf8_percent_encode(m, percent_encoding::NON_ALPHANUMERIC)
        )
    });
    // Checked with the connectors of where the workflows go: the database's here; a server
    // checks them itself.
    let registry = match &target.server {
        None => {
            let store = crate::serve::open_store(config).await?;
            registry_with_stored_connectors(&store).await?
        }
        Some(_) => crate::registry(),
    };
    let mut failed = false;
    let mut docs = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(|e| format!("cannot read {name}: {e}"))?;
        let checked = match &target.server {
            None => engine::load(&text, Some(&name), &registry).map(|p| p.workflow),
            Some(_) => engine::parse(&text, Some(&name)).map(|(w, _)| w),
        };
        match checked {
            Ok(workflow) => docs.push((
                name,
                store::WorkflowDoc {
                    source: text,
                    format: format_of(f),
                    workflow,
                },
            )),
            Err(problems) => {
                eprintln!("{problems}");
                failed = true;
            }
        }
    }
    if failed {
        return Err("nothing was imported: fix the problems above".into());
    }
    match &target.server {
        Some(server) => {
            let client = Client::new(server, target.api_key.as_deref())?;
            for (name, doc) in docs {
                let existing = client.find(&doc.workflow.name).await?;
                let content_type = match doc.format {
                    store::SourceFormat::Json => "application/json",
                    store::SourceFormat::Yaml => "application/yaml",
                };
                let w = match &existing {
                    Some(id) => {
                        client
                            .send(
                                "PUT",
                                &format!("/api/v1/workflows/{id}{query}"),
                                content_type,
                                doc.source,
                            )
                            .await?
                    }
                    None => {
                        client
                            .send(
                                "POST",
                                &format!("/api/v1/workflows{query}"),
                                content_type,
                                doc.source,
                            )
                            .await?
                    }
                };
                let id = w["id"].as_str().unwrap_or_default().to_string();
                if activate {
                    client
                        .send(
                            "POST",
                            &format!("/api/v1/workflows/{id}/activate"),
                            "application/json",
                            String::new(),
                        )
                        .await?;
                }
                report(
                    &name,
                    &id,
                    w["version"].as_i64().unwrap_or(0),
                    existing.is_some(),
                );
            }
        }
        None => {
            let store = crate::serve::open_store(config).await?;
            for (name, doc) in docs {
                let existing = store
                    .workflow_by_name(&doc.workflow.name)
                    .await
                    .map_err(|e| e.to_string())?;
                let w = match &existing {
                    Some(w) => store.update_workflow(w.id, doc).await,
                    None => store.create_workflow(doc).await,
                }
                .map_err(|e| format!("{name}: {e}"))?;
                if let Some(m) = message {
                    store
                        .label_version(w.id, w.version, Some(m.to_string()))
                        .await
                        .map_err(|e| format!("{name}: {e}"))?;
                }
                if activate {
                    store
                        .set_active(w.id, true)
                        .await
                        .map_err(|e| format!("{name}: {e}"))?;
                }
                report(
                    &name,
                    &w.id.to_string(),
                    w.version.into(),
                    existing.is_some(),
                );
            }
        }
    }
    Ok(())
}

fn report(file: &str, id: &str, version: i64, updated: bool) {
    eprintln!(
        "{} {file} → workflow {id} (version {version})",
        if updated { "updated" } else { "imported" }
    );
}

/// Prints a workflow's document (by name or id) as YAML, exactly as imported if unchanged.
pub async fn export(config: &Config, target: &Target, which: &str) -> Result<(), String> {
    let text = match &target.server {
        Some(server) => {
            let client = Client::new(server, target.api_key.as_deref())?;
            let id = match uuid::Uuid::parse_str(which) {
                Ok(id) => id.to_string(),
                Err(_) => client
                    .find(which)
                    .await?
                    .ok_or_else(|| format!("no workflow named `{which}`"))?,
            };
            client.get_yaml(&format!("/api/v1/workflows/{id}")).await?
        }
        None => {
            let store = crate::serve::open_store(config).await?;
            let w = match uuid::Uuid::parse_str(which) {
                Ok(id) => store.workflow(id).await,
                Err(_) => store.workflow_by_name(which).await,
            }
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no workflow `{which}`"))?;
            match w.doc.format {
                store::SourceFormat::Yaml => w.doc.source,
                store::SourceFormat::Json => {
                    serde_yaml::to_string(&w.doc.workflow).map_err(|e| e.to_string())?
                }
            }
        }
    };
    print!("{text}");
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; prints the secret once.
    Create {
        name: String,
        /// `admin` (everything) or `read` (reads only: no changes, no runs).
        #[arg(long, default_value = "admin")]
        scope: String,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id or prefix.
    Revoke { id: String },
}

pub async fn api_key(config: &Config, cmd: ApiKeyCommand) -> Result<(), String> {
    let store = crate::serve::open_store(config).await?;
    match cmd {
        ApiKeyCommand::Create { name, scope } => {
            let scope = store::Scope::parse(&scope).map_err(|e| e.to_string())?;
            let (key, secret) = store
                .create_scoped_api_key(&name, None, scope)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "Created API key `{}` ({}). The secret is shown only once:",
                key.name, key.prefix
            );
            println!("{secret}");
        }
        ApiKeyCommand::List => {
            for k in store.list_api_keys().await.map_err(|e| e.to_string())? {
                println!(
                    "{}  {:<10} {:<20} {:<5} created {}{}",
                    k.id,
                    k.prefix,
                    k.name,
                    k.scope.as_str(),
                    k.created_at.format("%Y-%m-%d %H:%M"),
                    k.revoked_at
                        .map(|r| format!(", revoked {}", r.format("%Y-%m-%d %H:%M")))
                        .unwrap_or_default()
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            store.revoke_api_key(&id).await.map_err(|e| e.to_string())?;
            eprintln!("Revoked {id}.");
        }
    }
    Ok(())
}

/// A small client of a running server's API.
struct Client {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Client {
    fn new(server: &str, key: Option<&str>) -> Result<Client, String> {
        let key = key.ok_or("--server needs --api-key (or WEFT_API_KEY)")?;
        Ok(Client {
            base: server.trim_end_matches('/').to_string(),
            key: key.to_string(),
            http: reqwest::Client::new(),
        })
    }

    async fn check(res: reqwest::Response) -> Result<reqwest::Response, String> {
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let mut msg = format!(
            "the server answered {status}: {}",
            body["error"]["message"].as_str().unwrap_or("")
        );
        if let Some(problems) = body["error"]["details"]["problems"].as_array() {
            for p in problems {
                let at = match (
                    p["pointer"].as_str(),
                    p["line"].as_u64(),
                    p["path"].as_str(),
                ) {
                    (Some(ptr), Some(line), _) => format!("{ptr} (line {line}): "),
                    (Some(ptr), None, _) if !ptr.is_empty() => format!("{ptr}: "),
                    (_, _, Some(path)) if !path.is_empty() => format!("{path}: "),
                    _ => String::new(),
                };
                msg.push_str(&format!("\n  {at}{}", p["message"].as_str().unwrap_or("")));
            }
        }
        Err(msg)
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<Value, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let res = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        Self::check(res)
            .await?
            .json()
            .await
            .map_err(|e| e.to_string())
    }

    /// A request whose answer has no body (204).
    async fn send_empty(&self, method: &str, path: &str) -> Result<(), String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let res = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        Self::check(res).await.map(|_| ())
    }

    async fn find(&self, name: &str) -> Result<Option<String>, String> {
        let res = self
            .http
            .get(format!("{}/api/v1/workflows", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        let list: Value = Self::check(res)
            .await?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        Ok(list["items"]
            .as_array()
            .and_then(|items| items.iter().find(|w| w["name"] == name))
            .and_then(|w| w["id"].as_str())
            .map(str::to_string))
    }

    async fn get_yaml(&self, path: &str) -> Result<String, String> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("accept", "application/yaml")
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        Self::check(res)
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum CredentialsCommand {
    /// Seal every stored credential under a new key (works while servers run). With the key
    /// file: a new key is made and written first in it, and old keys are dropped once no
    /// value uses them. With WEFT_SECRET_KEY: put the new key first (`new,old`), run this,
    /// then drop the old one from the variable.
    RotateKey,
    /// Print a new random key (for WEFT_SECRET_KEY).
    GenerateKey,
    /// List the credentials (never their secrets).
    List,
}

pub async fn credentials(config: &Config, cmd: CredentialsCommand) -> Result<(), String> {
    if let CredentialsCommand::GenerateKey = cmd {
        println!("{}", credentials::SecretKey::generate()?.to_text());
        return Ok(());
    }
    let store = crate::serve::open_store(config).await?;
    let keys = crate::serve::keyring(config, false)?;
    let client = actions::http_client_with(config.outbound.clone());
    let vault = crate::serve::vault(config, &store, keys.clone(), client).await?;
    match cmd {
        CredentialsCommand::RotateKey => {
            let new = match keys.source() {
                credentials::KeySource::File(_) => Some(credentials::SecretKey::generate()?),
                credentials::KeySource::Env => None,
            };
            let r = vault.rotate(new).await?;
            store.flush().await.map_err(|e| e.to_string())?;
            eprintln!(
                "Sealed {} value(s) of {} credential(s) under key {}.",
                r.values, r.credentials, r.key_id
            );
            match keys.source() {
                credentials::KeySource::File(p) if !r.retired.is_empty() => eprintln!(
                    "Dropped the old key(s) {} from {}.",
                    r.retired.join(", "),
                    p.display()
                ),
                credentials::KeySource::Env if !r.retired.is_empty() => eprintln!(
                    "No value uses the key(s) {} any more: remove them from WEFT_SECRET_KEY.",
                    r.retired.join(", ")
                ),
                credentials::KeySource::Env => eprintln!(
                    "To rotate to a new key, set WEFT_SECRET_KEY=<new>,<old> (`weft credentials generate-key`) and run this again."
                ),
                _ => {}
            }
        }
        CredentialsCommand::List => {
            for c in vault.views().await.map_err(|e| e.to_string())? {
                println!(
                    "{:<24} {:<8} {:<10} {}",
                    c.name,
                    c.kind,
                    c.status,
                    c.allowed_hosts
                        .map(|h| h.join(","))
                        .unwrap_or_else(|| "(unbound)".into())
                );
            }
        }
        CredentialsCommand::GenerateKey => {}
    }
    Ok(())
}

/// `weft prune`: deletes (or with `dry_run` counts) the finished executions that the
/// retention lets go: `--older-than` / `--keep`, else the `retention_*` settings.
pub async fn prune(
    config: &Config,
    older_than: Option<&str>,
    keep: Option<usize>,
    dry_run: bool,
) -> Result<(), String> {
    let mut retention = config.retention;
    if let Some(text) = older_than {
        let age = engine::duration::parse(text).map_err(|e| format!("--older-than: {e}"))?;
        retention.older_than = Some(age);
    }
    if let Some(n) = keep {
        retention.keep = Some(n);
    }
    let store = crate::serve::open_store(config).await?;
    let own = store
        .retention_overrides()
        .await
        .map_err(|e| format!("cannot read the workflows' retention: {e}"))?;
    if retention.is_off() && own.is_empty() {
        return Err(
            "nothing to prune by: give --older-than DURATION and/or --keep N (or set retention_age / retention_count, or a workflow's `retention:`)"
                .to_string(),
        );
    }
    let pruned = store
        .prune_executions_with(retention, &own, dry_run)
        .await
        .map_err(|e| format!("cannot prune: {e}"))?;
    let names: std::collections::HashMap<uuid::Uuid, String> = store
        .list_workflows()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let verb = if dry_run { "Would delete" } else { "Deleted" };
    println!("{verb} {} finished executions.", pruned.total());
    for (workflow, n) in &pruned.by_workflow {
        let name = names.get(workflow).map_or("?", String::as_str);
        println!("  {name} ({workflow}): {n}");
    }
    store
        .flush()
        .await
        .map_err(|e| format!("could not flush the database: {e}"))?;
    Ok(())
}

/// The registry with the connectors stored in the database.
async fn registry_with_stored_connectors(store: &store::Store) -> Result<engine::Registry, String> {
    let mut registry = crate::registry();
    let set = api::catalog::Catalog::install(&mut registry);
    let catalog =
        api::catalog::Catalog::new(store.clone(), std::sync::Arc::new(crate::registry()), set);
    catalog
        .load()
        .await
        .map_err(|e| format!("cannot read the connectors: {e}"))?;
    Ok(registry)
}

#[derive(Debug, clap::Subcommand)]
pub enum ConnectorCommand {
    /// Import an OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML) as a connector; a
    /// name already imported gets a new version.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The connector's name (from the document's title when absent).
        #[arg(long)]
        name: Option<String>,
        /// Where its requests go instead of the document's servers.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// List the imported connectors.
    List,
    /// Delete a connector (refused while a workflow uses it).
    Delete {
        #[arg(value_name = "NAME")]
        name: String,
    },
}

pub async fn connector(
    config: &Config,
    target: &Target,
    cmd: ConnectorCommand,
) -> Result<(), String> {
    if let Some(server) = &target.server {
        let client = Client::new(server, target.api_key.as_deref())?;
        return match cmd {
            ConnectorCommand::Import {
                file,
                name,
                base_url,
            } => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                let mut path = "/api/v1/connectors".to_string();
                let mut sep = '?';
                for (k, v) in [("name", name), ("base_url", base_url)] {
                    if let Some(v) = v {
                        path.push_str(&format!(
                            "{sep}{k}={}",
                            percent_encoding::utf8_percent_encode(
                                &v,
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        ));
                        sep = '&';
                    }
                }
                let content_type = if text.trim_start().starts_with('{') {
                    "application/json"
                } else {
                    "application/yaml"
                };
                let out = client.send("POST", &path, content_type, text).await?;
                let c = &out["connector"];
                report_connector(
                    c["name"].as_str().unwrap_or(""),
                    c["version"].as_i64().unwrap_or(0),
                    c["operations"].as_u64().unwrap_or(0) as usize,
                    c["base_url"].as_str().unwrap_or(""),
                );
                for w in out["workflows_with_problems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    eprintln!(
                        "warning: workflow `{}` has problems with this version:",
                        w["workflow"].as_str().unwrap_or("")
                    );
                    for p in w["problems"].as_array().into_iter().flatten() {
                        eprintln!(
                            "  {}: {}",
                            p["path"].as_str().unwrap_or(""),
                            p["message"].as_str().unwrap_or("")
                        );
                    }
                }
                Ok(())
            }
            ConnectorCommand::List => {
                let out = client
                    .send(
                        "GET",
                        "/api/v1/connectors",
                        "application/json",
                        String::new(),
                    )
                    .await?;
                for c in out["items"].as_array().into_iter().flatten() {
                    println!(
                        "{:<24} v{:<4} {:>5} operations  {}",
                        c["name"].as_str().unwrap_or(""),
                        c["version"].as_i64().unwrap_or(0),
                        c["operations"].as_u64().unwrap_or(0),
                        c["base_url"].as_str().unwrap_or("")
                    );
                }
                Ok(())
            }
            ConnectorCommand::Delete { name } => {
                client
                    .send_empty("DELETE", &format!("/api/v1/connectors/{name}"))
                    .await?;
                eprintln!("Deleted connector `{name}`.");
                Ok(())
            }
        };
    }
    let store = crate::serve::open_store(config).await?;
    let mut registry = crate::registry();
    let set = api::catalog::Catalog::install(&mut registry);
    let catalog = api::catalog::Catalog::new(store.clone(), std::sync::Arc::new(registry), set);
    catalog
        .load()
        .await
        .map_err(|e| format!("cannot read the connectors: {e}"))?;
    let r = match cmd {
        ConnectorCommand::Import {
            file,
            name,
            base_url,
        } => {
            let shown = file.display().to_string();
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("cannot read {shown}: {e}"))?;
            match catalog.import(text, name, base_url).await {
                Ok(i) => {
                    report_connector(
                        &i.connector.name,
                        i.head.version,
                        i.connector.operations.len(),
                        &i.connector.base_url,
                    );
                    Ok(())
                }
                Err(api::catalog::ImportError::Store(e)) => Err(e.to_string()),
                Err(api::catalog::ImportError::Problems(problems)) => {
                    for p in &problems {
                        eprintln!("{shown}: {p}");
                    }
                    Err(format!(
                        "{shown} was not imported: {} problem(s)",
                        problems.len()
                    ))
                }
            }
        }
        ConnectorCommand::List => {
            for c in catalog.set().connectors() {
                println!(
                    "{:<24} v{:<4} {:>5} operations  {}",
                    c.name,
                    c.version,
                    c.operations.len(),
                    c.base_url
                );
            }
            Ok(())
        }
        ConnectorCommand::Delete { name } => {
            let used = catalog.used_by(&name).await.map_err(|e| e.to_string())?;
            if !used.is_empty() {
                return Err(format!(
                    "connector `{name}` is used by {}: change them first",
                    used.join(", ")
                ));
            }
            match catalog.delete(&name).await.map_err(|e| e.to_string())? {
                0 => Err(format!("no connector named `{name}`")),
                _ => {
                    eprintln!("Deleted connector `{name}`.");
                    Ok(())
                }
            }
        }
    };
    store.flush().await.map_err(|e| e.to_string())?;
    r
}

fn report_connector(name: &str, version: i64, operations: usize, base_url: &str) {
    eprintln!(
        "Imported connector `{name}` version {version}: {operations} operations, requests to {base_url}."
    );
    println!("{name}");
}

//! Server configuration: one typed [`Settings`] whose [`Default`] is the table of defaults,
//! layered by figment: defaults → optional YAML file (`--config`, `WEFT_CONFIG`) → `WEFT_*`
//! environment → command-line flags.
//!
//! A setting has one name: its key in the file, `WEFT_` and the key in capitals in the
//! environment, `--` and the key with `-` for `_` on the command line (the settings that have a
//! flag: [`Flags`]). Lists in the environment and on the command line are comma-separated;
//! `allow_env` and `redact_headers` from the environment extend the file's list, every other
//! value replaces the one before it. Empty environment variables count as unset.
//!
//! [`Config::load`] validates every layer once, at start, and names the setting where it was
//! given: `WEFT_BODY_LIMIT: …`, `weft.yaml: body_limit: …`, `--bind: …`. Sizes follow one rule
//! ([`parse_size`]), the `http` action's: `KiB`, `MiB`, `GiB` are powers of 1024, `KB`, `MB`,
//! `GB` powers of 1000. `docs/configuration.md` lists every setting; a test keeps it in step.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use actions::outbound::Policy;
use figment::error::Kind;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Everything `weft serve` (and the other server commands) need, resolved from [`Settings`].
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
    /// `WEFT_SECRET_KEY`: the credential keys (else the key file in the data dir).
    pub secret_key: Option<String>,
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
    /// How deep workflow calls (`action: workflow`) may nest.
    pub max_call_depth: u32,
    /// What the `http` action may call besides public addresses (`outbound_allow`).
    pub outbound: Policy,
    /// The delay before each attempt of an outgoing webhook (`delivery_schedule`).
    pub delivery_schedule: Vec<Duration>,
    /// How long one attempt of an outgoing webhook may take.
    pub delivery_timeout: Duration,
    /// Which finished executions are kept (`retention_age`, `retention_count`).
    pub retention: store::Retention,
    /// How often the retention is applied.
    pub retention_interval: Duration,
}

/// The settings as given: what the file's keys, the `WEFT_*` variables and the flags
/// deserialize into. Each field's value in [`Settings::default`] is its default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where to listen, `IP:PORT`.
    #[serde(deserialize_with = "parsed::<_, Addr>")]
    pub bind: SocketAddr,
    /// The data directory (the SQLite database).
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`; unset: SQLite `weft.db` in `data_dir`.
    #[serde(deserialize_with = "database_url")]
    pub database_url: Option<String>,
    /// The largest webhook body.
    #[serde(deserialize_with = "parsed::<_, Size>")]
    pub body_limit: usize,
    /// How long a sync webhook waits for its execution.
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub sync_wait: Duration,
    /// The base of absolute URLs; unset: relative URLs.
    pub public_url: Option<String>,
    /// Serve the editor from this directory.
    pub ui_dir: Option<PathBuf>,
    /// Process environment variables templates may read as `env.*`.
    #[serde(deserialize_with = "list")]
    pub allow_env: Vec<String>,
    /// Credentials by name (YAML or JSON).
    pub credentials_file: Option<PathBuf>,
    /// Executions running at once in this process (at least 1).
    #[serde(deserialize_with = "parsed::<_, Number<usize>>")]
    pub concurrency: usize,
    /// How long a worker's claim on an execution lasts without a heartbeat.
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub lease: Duration,
    /// The first admin API key; unset: a random one, printed at first start.
    #[serde(deserialize_with = "secret")]
    pub admin_api_key: Option<String>,
    /// The keys credentials are sealed with (base64 or hex of 32 bytes; several separated by
    /// commas, the first seals); unset: the key file `secret.key` in the data directory.
    #[serde(deserialize_with = "secret")]
    pub secret_key: Option<String>,
    /// A client must send a request's headers within this time.
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub header_timeout: Duration,
    /// A client must send a request's whole body within this time.
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub body_timeout: Duration,
    /// Open client connections at most (at least 1).
    #[serde(deserialize_with = "parsed::<_, Number<usize>>")]
    pub max_connections: usize,
    /// Webhook body bytes being received at once (at least `body_limit`, up to 1 MiB).
    #[serde(deserialize_with = "parsed::<_, Size>")]
    pub intake_budget: usize,
    /// Headers redacted from stored webhook requests besides the default list.
    #[serde(deserialize_with = "list")]
    pub redact_headers: Vec<String>,
    /// Claims of one execution without a finish before it is failed (at least 1).
    #[serde(deserialize_with = "parsed::<_, Number<i32>>")]
    pub max_claims: i32,
    /// How deep workflow calls (`action: workflow`) may nest (at least 1).
    #[serde(deserialize_with = "parsed::<_, Number<u32>>")]
    pub max_call_depth: u32,
    /// What the `http` action may call besides public addresses: CIDRs and `host[:port]`.
    #[serde(deserialize_with = "outbound")]
    pub outbound_allow: Policy,
    /// The delay before each attempt of an outgoing webhook, the first `0s` (at once): as many
    /// attempts as entries.
    #[serde(deserialize_with = "schedule")]
    pub delivery_schedule: Vec<Duration>,
    /// How long one attempt of an outgoing webhook may take (reading the answer included).
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub delivery_timeout: Duration,
    /// Finished executions older than this are deleted; `0s`: kept whatever their age.
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub retention_age: Duration,
    /// Only the newest this many finished executions of each workflow are kept; `0`: no limit.
    #[serde(deserialize_with = "parsed::<_, Number<usize>>")]
    pub retention_count: usize,
    /// How often the retention is applied (at least 1s).
    #[serde(deserialize_with = "parsed::<_, Dur>")]
    pub retention_interval: Duration,
}

const MIB: usize = 1024 * 1024;

impl Default for Settings {
    /// The defaults, all in one place (`docs/configuration.md` lists them).
    fn default() -> Settings {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("weft-data"),
            database_url: None,
            body_limit: 10 * MIB,
            sync_wait: Duration::from_secs(30),
            public_url: None,
            ui_dir: None,
            allow_env: Vec::new(),
            credentials_file: None,
            concurrency: 64,
            lease: Duration::from_secs(30),
            admin_api_key: None,
            secret_key: None,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            max_connections: 1024,
            intake_budget: 16 * MIB,
            redact_headers: Vec::new(),
            max_claims: store::MAX_CLAIMS,
            max_call_depth: 10,
            outbound_allow: Policy::deny_private(),
            delivery_schedule: crate::deliveries::DEFAULT_SCHEDULE.to_vec(),
            delivery_timeout: Duration::from_secs(15),
            retention_age: Duration::ZERO,
            retention_count: 0,
            retention_interval: Duration::from_secs(300),
        }
    }
}

/// Lists whose values from the environment extend the file's instead of replacing them.
const EXTENDED: &[&str] = &["allow_env", "redact_headers"];

/// Values given on the command line (override everything). Global, so that they may follow a
/// subcommand too (`weft api-key create NAME --data-dir D`).
#[derive(Debug, Default, Clone, clap::Args, Serialize)]
pub struct Flags {
    /// Where to listen [default: 127.0.0.1:8080; env WEFT_BIND].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    /// Data directory for the SQLite database [default: ./weft-data; env WEFT_DATA_DIR].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user:pass@host/db` or `sqlite://path?mode=rwc` [env WEFT_DATABASE_URL].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// A YAML config file [env WEFT_CONFIG].
    #[arg(long, global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// What the `http` action may call besides public addresses: comma-separated CIDRs and
    /// `host[:port]` entries, e.g. `127.0.0.1:4010,10.0.0.0/8` [env WEFT_OUTBOUND_ALLOW].
    #[arg(long, global = true, value_name = "LIST")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_allow: Option<String>,
}

/// The outbound policy of `weft run` (no config file): the flag, else `WEFT_OUTBOUND_ALLOW`,
/// else the default (every non-public address refused).
pub fn outbound_policy(flag: Option<&str>) -> Result<Policy, String> {
    let name = env_name("outbound_allow");
    match flag {
        Some(list) => Policy::parse(list).map_err(|e| format!("--outbound-allow: {e}")),
        None => match process_env(&name) {
            Some(list) => Policy::parse(&list).map_err(|e| format!("{name}: {e}")),
            None => Ok(Policy::deny_private()),
        },
    }
}

/// The environment variable of setting `key`: `WEFT_` and the key in capitals.
pub fn env_name(key: &str) -> String {
    format!("WEFT_{}", key.to_ascii_uppercase())
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// Reads the layers (the file named by `--config` or `WEFT_CONFIG`, the process
    /// environment, `flags`), validates each and resolves the result.
    pub fn load(flags: &Flags) -> Result<Config, String> {
        Config::load_from(flags, &process_env)
    }

    /// [`Config::load`] with the environment read through `env` (a name → a non-empty value).
    pub fn load_from(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        Ok(Settings::load(flags, env)?.resolve())
    }
}

impl Settings {
    /// The layered settings, every layer validated on its own first (a bad value is an error
    /// even where a later layer overrides it).
    pub fn load(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let path = flags.config.clone().or_else(|| {
            env("WEFT_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let file = path.as_deref().map(FileLayer::read).transpose()?;
        let env = EnvLayer::read(env);
        let flags = FlagLayer(flags.clone());
        let mut figment = Figment::new();
        if let Some(file) = &file {
            extract(Figment::from(file))?;
            figment = figment.merge(file);
        }
        extract(Figment::from(&env))?;
        extract(Figment::from(&flags))?;
        extract(figment.admerge(&env).merge(&flags))
    }

    /// The setting names (the file's keys), from the struct itself.
    pub fn names() -> &'static [&'static str] {
        static NAMES: OnceLock<&'static [&'static str]> = OnceLock::new();
        NAMES.get_or_init(|| {
            let mut probe = FieldsProbe(&[]);
            let _ = Settings::deserialize(&mut probe);
            probe.0
        })
    }

    /// The derived defaults (the database in the data dir, the editor's directory) and the
    /// lower bounds applied.
    fn resolve(self) -> Config {
        let database_url = self.database_url.unwrap_or_else(|| {
            let abs = std::path::absolute(&self.data_dir).unwrap_or(self.data_dir.clone());
            format!("sqlite://{}?mode=rwc", abs.join("weft.db").display())
        });
        let ui_dir = self
            .ui_dir
            .or_else(|| (!api::embedded_editor()).then(default_ui_dir).flatten());
        Config {
            bind: self.bind,
            data_dir: self.data_dir,
            database_url,
            body_limit: self.body_limit,
            sync_wait: self.sync_wait,
            public_url: self.public_url,
            ui_dir,
            allow_env: self.allow_env,
            credentials_file: self.credentials_file,
            concurrency: self.concurrency.max(1),
            lease: self.lease,
            admin_api_key: self.admin_api_key,
            secret_key: self.secret_key,
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            max_connections: self.max_connections.max(1),
            intake_budget: self.intake_budget.max(self.body_limit.min(MIB)),
            redact_headers: self.redact_headers,
            max_claims: self.max_claims.max(1),
            max_call_depth: self.max_call_depth.max(1),
            outbound: self.outbound_allow,
            delivery_schedule: self.delivery_schedule,
            delivery_timeout: self.delivery_timeout,
            retention: store::Retention {
                older_than: (!self.retention_age.is_zero()).then_some(self.retention_age),
                keep: (self.retention_count > 0).then_some(self.retention_count),
            },
            retention_interval: self.retention_interval.max(Duration::from_secs(1)),
        }
    }
}

fn extract(figment: Figment) -> Result<Settings, String> {
    figment.extract().map_err(explain)
}

/// Each error as `WHERE: WHAT`, where is the variable, the flag or the file and key.
fn explain(errors: figment::Error) -> String {
    let lines: Vec<String> = errors
        .into_iter()
        .map(|e| {
            let unknown = matches!(e.kind, Kind::UnknownField(..));
            let at = match &e.metadata {
                Some(md) if !e.path.is_empty() && !unknown => {
                    md.interpolate(e.profile.as_ref().unwrap_or(&Profile::Default), &e.path)
                }
                Some(md) => md.name.to_string(),
                None => "the configuration".to_string(),
            };
            let what = match &e.kind {
                Kind::UnknownField(key, _) => format!(
                    "unknown setting `{key}`; the settings are {}",
                    Settings::names().join(", ")
                ),
                kind => kind.to_string(),
            };
            format!("{at}: {what}")
        })
        .collect();
    lines.join("\n")
}

/// Splits a comma-separated list, trimming entries and skipping empty ones.
fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Lists that extend (see [`EXTENDED`]) are arrays in every layer, so that figment's `admerge`
/// appends them.
fn arrays_for_extended(dict: &mut Dict) {
    for key in EXTENDED {
        if let Some(Value::String(_, text)) = dict.get(*key) {
            let items = split_list(text);
            dict.insert(key.to_string(), Value::from(items));
        }
    }
}

/// The config file, read and parsed at start.
struct FileLayer {
    path: PathBuf,
    dict: Dict,
}

impl FileLayer {
    fn read(path: &Path) -> Result<FileLayer, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        // An empty file (or one of comments only) sets nothing.
        let dict: Option<Dict> = serde_yaml::from_str(&text)
            .map_err(|e| format!("the config file {} is not valid: {e}", path.display()))?;
        let mut dict = dict.unwrap_or_default();
        arrays_for_extended(&mut dict);
        Ok(FileLayer {
            path: path.to_path_buf(),
            dict,
        })
    }
}

impl Provider for FileLayer {
    fn metadata(&self) -> Metadata {
        let file = self.path.display().to_string();
        Metadata::named(format!("the config file {file}"))
            .interpolater(move |_, keys| format!("{file}: {}", keys.join(".")))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// `WEFT_<KEY>` for every setting, as text (no guessing at types: each setting parses its own).
struct EnvLayer(Dict);

impl EnvLayer {
    fn read(env: &dyn Fn(&str) -> Option<String>) -> EnvLayer {
        let mut dict: Dict = BTreeMap::new();
        for key in Settings::names() {
            if let Some(value) = env(&env_name(key)).filter(|v| !v.is_empty()) {
                dict.insert(key.to_string(), Value::from(value));
            }
        }
        arrays_for_extended(&mut dict);
        EnvLayer(dict)
    }
}

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named("the environment")
            .interpolater(|_, keys| env_name(keys.first().copied().unwrap_or_default()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.clone()))
    }
}

/// The command line's settings.
struct FlagLayer(Flags);

impl Provider for FlagLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named("the command line").interpolater(|_, keys| {
            format!(
                "--{}",
                keys.first().copied().unwrap_or_default().replace('_', "-")
            )
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = Value::serialize(&self.0)?
            .into_dict()
            .expect("flags serialize to a map");
        Ok(Profile::Default.collect(dict))
    }
}

/// A size in bytes, by the one rule of [`engine::size::parse_size`] (`10MiB`, `512KiB`, `2MB`,
/// `1000`).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let n = engine::size::parse_size(text)?;
    usize::try_from(n).map_err(|_| format!("`{text}` is too large"))
}

/// A setting read from text (the environment, a flag) or from a YAML scalar.
trait Parse {
    type Out;
    const EXPECTING: &'static str;
    fn parse(text: &str) -> Result<Self::Out, String>;
}

struct Size;
impl Parse for Size {
    type Out = usize;
    const EXPECTING: &'static str = "a size such as 10MiB";
    fn parse(text: &str) -> Result<usize, String> {
        parse_size(text)
    }
}

struct Dur;
impl Parse for Dur {
    type Out = Duration;
    const EXPECTING: &'static str = "a duration such as 30s";
    fn parse(text: &str) -> Result<Duration, String> {
        engine::duration::parse(text)
    }
}

struct Addr;
impl Parse for Addr {
    type Out = SocketAddr;
    const EXPECTING: &'static str = "an address IP:PORT";
    fn parse(text: &str) -> Result<SocketAddr, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("`{text}` is not of the form IP:PORT"))
    }
}

struct Number<T>(PhantomData<T>);
impl<T: std::str::FromStr> Parse for Number<T> {
    type Out = T;
    const EXPECTING: &'static str = "a whole number";
    fn parse(text: &str) -> Result<T, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("`{text}` is not a whole number"))
    }
}

fn parsed<'de, D: Deserializer<'de>, P: Parse>(d: D) -> Result<P::Out, D::Error> {
    struct V<P>(PhantomData<P>);
    impl<P: Parse> Visitor<'_> for V<P> {
        type Value = P::Out;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(P::EXPECTING)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<P::Out, E> {
            P::parse(v).map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<P::Out, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<P::Out, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<P::Out, E> {
            self.visit_str(&v.to_string())
        }
    }
    d.deserialize_any(V::<P>(PhantomData))
}

fn database_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = Option::<String>::deserialize(d)?;
    match &url {
        // The URL may hold a password: the message does not repeat it.
        Some(u)
            if !(u.starts_with("sqlite:")
                || u.starts_with("postgres://")
                || u.starts_with("postgresql://")) =>
        {
            Err(de::Error::custom(
                "the database URL must start with sqlite: or postgres://",
            ))
        }
        _ => Ok(url),
    }
}

/// A secret: text (a number too), never repeated in an error.
fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("text")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<String>, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<String>, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

/// A list: a YAML sequence of text, or comma-separated text.
fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list (comma-separated in the environment and on the command line)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(split_list(v))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.push(item.trim().to_string());
            }
            Ok(items)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V)
}

fn outbound<'de, D: Deserializer<'de>>(d: D) -> Result<Policy, D::Error> {
    Policy::parse(&list(d)?.join(",")).map_err(de::Error::custom)
}

/// A retry schedule: a list of durations (comma-separated text, or a YAML sequence).
fn schedule<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
    crate::deliveries::parse_schedule(&list(d)?.join(",")).map_err(de::Error::custom)
}

/// A deserializer that only records the field names of the struct asked of it.
struct FieldsProbe(&'static [&'static str]);

impl<'de> Deserializer<'de> for &mut FieldsProbe {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only a struct is probed"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
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
mod tests;

//! Credentials for `weft run`: a local YAML or JSON file mapping names to credentials, and
//! `WEFT_CREDENTIAL_<NAME>` environment variables holding one credential as JSON. Connectors
//! from files (`--connector [NAME=]FILE`) for the commands that run without a server.

use std::collections::BTreeMap;
use std::path::Path;

use engine::credentials::{AllowedHosts, Credential, Resolved, StaticCredentials};
use serde_json::Value;

/// The process environment variables named in `names`, for templates' `env.*`, and the names
/// that are not set.
pub fn allowed_env(names: &[String]) -> (serde_json::Map<String, serde_json::Value>, Vec<String>) {
    let mut env = serde_json::Map::new();
    let mut missing = Vec::new();
    for name in names {
        match std::env::var(name) {
            Ok(v) => {
                env.insert(name.clone(), serde_json::Value::String(v));
            }
            Err(_) => missing.push(name.clone()),
        }
    }
    (env, missing)
}

/// Reads the credentials file (if any) and the `WEFT_CREDENTIAL_*` variables; the variables win.
pub fn credentials(file: Option<&Path>) -> Result<StaticCredentials, String> {
    let mut map = match file {
        Some(path) => read_file(path)?,
        None => BTreeMap::new(),
    };
    add_env(&mut map, std::env::vars())?;
    Ok(StaticCredentials(map))
}

/// Adds the `WEFT_CREDENTIAL_<NAME>` variables of `vars` to `map` (replacing what the file says).
fn add_env(
    map: &mut BTreeMap<String, Resolved>,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), String> {
    for (key, value) in vars {
        let Some(name) = key.strip_prefix("WEFT_CREDENTIAL_") else {
            continue;
        };
        // Never echo the value: it is a secret.
        let not_json = || {
            format!(
                "{key} is not a credential: expected JSON such as {{\"type\": \"bearer\", \"token\": \"…\"}}"
            )
        };
        let value = serde_json::from_str(&value).map_err(|_| not_json())?;
        let resolved = resolved(value).map_err(|e| match e {
            Entry::Hosts(why) => format!("{key}: {why}"),
            Entry::Credential => not_json(),
        })?;
        // `WEFT_CREDENTIAL_CRM_API` is the credential `crm-api` (and `crm_api`).
        let lower = name.to_ascii_lowercase();
        map.insert(lower.replace('_', "-"), resolved.clone());
        map.insert(lower, resolved);
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<BTreeMap<String, Resolved>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
    let expected =
        "expected `name: {type: bearer|basic|api_key|header|secret, …, allowed_hosts: [host, …]}`";
    let entries: BTreeMap<String, Value> = serde_yaml::from_str(&text).map_err(|e| {
        // Never echo the file's content: it holds secrets.
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        format!(
            "the credentials file {} is not valid{at}: {expected}",
            path.display()
        )
    })?;
    entries
        .into_iter()
        .map(|(name, value)| match resolved(value) {
            Ok(r) => Ok((name, r)),
            Err(Entry::Hosts(why)) => Err(format!(
                "the credentials file {}: credential `{name}`: {why}",
                path.display()
            )),
            Err(Entry::Credential) => Err(format!(
                "the credentials file {}: credential `{name}` is not valid: {expected}",
                path.display()
            )),
        })
        .collect()
}

/// Why an entry of the file or a variable is not a credential.
enum Entry {
    /// `allowed_hosts` is wrong: the message names the pattern (which is no secret).
    Hosts(String),
    /// The rest is not a [`Credential`]; serde's message is not shown, it may quote a secret.
    Credential,
}

/// A credential as the file and the variables write it: a [`Credential`] and, beside its
/// `type`, an optional `allowed_hosts` list of host patterns; without it the credential is
/// unbound (the operator's choice).
fn resolved(mut value: Value) -> Result<Resolved, Entry> {
    let hosts = value
        .as_object_mut()
        .and_then(|fields| fields.remove("allowed_hosts"));
    let allowed_hosts = match hosts {
        None => None,
        Some(Value::Array(items)) => {
            let patterns = items
                .iter()
                .map(|p| p.as_str().ok_or(()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|()| {
                    Entry::Hosts("`allowed_hosts` holds something that is not a text".into())
                })?;
            Some(AllowedHosts::parse(&patterns).map_err(Entry::Hosts)?)
        }
        Some(_) => {
            return Err(Entry::Hosts(
                "`allowed_hosts` is not a list of host patterns such as [\"api.example.com\"]"
                    .into(),
            ));
        }
    };
    let credential: Credential = serde_json::from_value(value).map_err(|_| Entry::Credential)?;
    Ok(Resolved {
        credential,
        allowed_hosts,
    })
}

/// `registry` with the connectors of `--connector` files (and their `--connector-base-url`s).
/// A document with problems is refused with each problem located (file, line, pointer).
pub fn with_connectors(
    mut registry: engine::Registry,
    files: &crate::cli::ConnectorFiles,
) -> Result<engine::Registry, String> {
    if files.connector_files.is_empty() {
        return Ok(registry);
    }
    let mut base_urls = BTreeMap::new();
    for spec in &files.connector_base_urls {
        let Some((name, url)) = spec.split_once('=') else {
            return Err(format!(
                "--connector-base-url `{spec}`: expected NAME=URL, e.g. twilio=http://127.0.0.1:4010"
            ));
        };
        base_urls.insert(name.trim().to_string(), url.trim().to_string());
    }
    let set = connectors::Connectors::new(&registry);
    for spec in &files.connector_files {
        let (name, path) = match spec.split_once('=') {
            Some((n, p)) if !n.contains('/') => (Some(n.trim().to_string()), p),
            _ => (None, spec.as_str()),
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--connector {path}: cannot read the file: {e}"))?;
        let options = |name: Option<String>, base_url| connectors::Options {
            name,
            base_url,
            version: 1,
        };
        // The name decides the base URL override: the one given, else the title's slug.
        let name = name.or_else(|| {
            connectors::document::parse(&text).ok().and_then(|d| {
                d.pointer("/info/title")
                    .and_then(|t| t.as_str())
                    .map(connectors::slug)
            })
        });
        let base_url = name.as_ref().and_then(|n| base_urls.get(n)).cloned();
        let connector =
            connectors::import(&text, &options(name, base_url), &registry).map_err(|problems| {
                let lines: Vec<String> =
                    problems.iter().map(|p| format!("  {path}: {p}")).collect();
                format!(
                    "--connector {path}: the document cannot be used:\n{}",
                    lines.join("\n")
                )
            })?;
        if set.get_connector(&connector.name).is_some() {
            return Err(format!(
                "--connector {path}: a connector named `{}` is given twice; name one `NAME=FILE`",
                connector.name
            ));
        }
        set.insert(connector);
    }
    for name in base_urls.keys() {
        if set.get_connector(name).is_none() {
            return Err(format!(
                "--connector-base-url {name}=…: no --connector is named `{name}`"
            ));
        }
    }
    registry.with_source(set);
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(patterns: &[&str]) -> Option<AllowedHosts> {
        Some(AllowedHosts::parse(patterns).unwrap())
    }

    /// Reads `text` as a credentials file.
    fn file(text: &str) -> Result<BTreeMap<String, Resolved>, String> {
        let dir = std::env::temp_dir().join(format!("weft-creds-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.yaml");
        std::fs::write(&path, text).unwrap();
        let read = read_file(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        read
    }

    fn env(pairs: &[(&str, &str)]) -> Result<BTreeMap<String, Resolved>, String> {
        let mut map = BTreeMap::new();
        add_env(
            &mut map,
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )?;
        Ok(map)
    }

    #[test]
    fn a_credentials_file_is_read_by_name_and_errors_never_echo_secrets() {
        let map = file("crm-api: {type: bearer, token: s3cret-token}\n").unwrap();
        assert_eq!(
            map["crm-api"],
            Resolved::unbound(Credential::Bearer {
                token: "s3cret-token".into()
            })
        );
        let err = file("crm-api: {type: bearer, tokn: s3cret-token}\n").unwrap_err();
        assert!(err.contains("credential `crm-api`"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let err = file("crm-api: {type: bearer, token: [s3cret-token\n").unwrap_err();
        assert!(err.contains("at line"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn allowed_hosts_in_the_file_bind_a_credential_and_header_credentials_are_read() {
        let map = file(
            "crm: {type: bearer, token: x-token, allowed_hosts: [\"api.example.com\", \"*.crm.example:8443\"]}\n\
             custom: {type: header, name: X-Auth, value: v4lue}\n",
        )
        .unwrap();
        assert_eq!(
            map["crm"],
            Resolved {
                credential: Credential::Bearer {
                    token: "x-token".into()
                },
                allowed_hosts: hosts(&["api.example.com", "*.crm.example:8443"]),
            }
        );
        assert_eq!(
            map["custom"],
            Resolved::unbound(Credential::Header {
                name: "X-Auth".into(),
                value: "v4lue".into()
            })
        );
    }

    #[test]
    fn a_bad_host_pattern_is_named_with_its_credential_and_never_the_secret() {
        for (text, names) in [
            (
                "crm: {type: bearer, token: s3cret-token, allowed_hosts: [\"https://api.example.com\"]}",
                "`https://api.example.com`",
            ),
            (
                "crm: {type: bearer, token: s3cret-token, allowed_hosts: []}",
                "`allowed_hosts` is empty",
            ),
            (
                "crm: {type: bearer, token: s3cret-token, allowed_hosts: api.example.com}",
                "not a list",
            ),
            (
                "crm: {type: bearer, token: s3cret-token, allowed_hosts: [1]}",
                "not a text",
            ),
        ] {
            let err = file(text).unwrap_err();
            assert!(
                err.contains("credential `crm`") && err.contains(names),
                "{text}: {err}"
            );
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn environment_credentials_take_allowed_hosts_and_header_types_too() {
        let map = env(&[
            (
                "WEFT_CREDENTIAL_CRM_API",
                r#"{"type": "bearer", "token": "x-token", "allowed_hosts": ["127.0.0.1:8080"]}"#,
            ),
            (
                "WEFT_CREDENTIAL_CUSTOM",
                r#"{"type": "header", "name": "X-Auth", "value": "v4lue"}"#,
            ),
            ("OTHER", "ignored"),
        ])
        .unwrap();
        let bound = Resolved {
            credential: Credential::Bearer {
                token: "x-token".into(),
            },
            allowed_hosts: hosts(&["127.0.0.1:8080"]),
        };
        assert_eq!(map["crm-api"], bound);
        assert_eq!(map["crm_api"], bound);
        assert_eq!(map["custom"].allowed_hosts, None);
        assert_eq!(map.len(), 3);

        let err = env(&[(
            "WEFT_CREDENTIAL_CRM",
            r#"{"type": "bearer", "token": "s3cret-token", "allowed_hosts": ["a b"]}"#,
        )])
        .unwrap_err();
        assert!(
            err.contains("WEFT_CREDENTIAL_CRM") && err.contains("`a b`"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
        let err = env(&[(
            "WEFT_CREDENTIAL_CRM",
            r#"{"type": "bearer", "tokn": "s3cret-token"}"#,
        )])
        .unwrap_err();
        assert!(err.contains("is not a credential"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}

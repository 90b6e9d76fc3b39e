//! Credentials for `weft run`: a local YAML or JSON file mapping names to credentials, and
//! `WEFT_CREDENTIAL_<NAME>` environment variables holding one credential as JSON.

use std::collections::BTreeMap;
use std::path::Path;

use engine::credentials::{Credential, StaticCredentials};

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
    for (key, value) in std::env::vars() {
        let Some(name) = key.strip_prefix("WEFT_CREDENTIAL_") else {
            continue;
        };
        let credential: Credential = serde_json::from_str(&value).map_err(|_| {
            // Never echo the value: it is a secret.
            format!(
                "{key} is not a credential: expected JSON such as {{\"type\": \"bearer\", \"token\": \"…\"}}"
            )
        })?;
        // `WEFT_CREDENTIAL_CRM_API` is the credential `crm-api` (and `crm_api`).
        let lower = name.to_ascii_lowercase();
        map.insert(lower.replace('_', "-"), credential.clone());
        map.insert(lower, credential);
    }
    Ok(StaticCredentials::unbound(map))
}

fn read_file(path: &Path) -> Result<BTreeMap<String, Credential>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| {
        // Never echo the file's content: it holds secrets.
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        format!(
            "the credentials file {} is not valid{at}: expected `name: {{type: bearer|basic|api_key|secret, …}}`",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credentials_file_is_read_by_name_and_errors_never_echo_secrets() {
        let dir = std::env::temp_dir().join(format!("weft-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.yaml");
        std::fs::write(&good, "crm-api: {type: bearer, token: s3cret-token}\n").unwrap();
        let map = read_file(&good).unwrap();
        assert_eq!(
            map["crm-api"],
            Credential::Bearer {
                token: "s3cret-token".into()
            }
        );
        let bad = dir.join("bad.yaml");
        std::fs::write(&bad, "crm-api: {type: bearer, tokn: s3cret-token}\n").unwrap();
        let err = read_file(&bad).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Credentials for `weft run`: a local YAML or JSON file mapping names to credentials.

use std::collections::BTreeMap;
use std::path::Path;

use engine::credentials::{Credential, StaticCredentials};

pub fn read_credentials(path: &Path) -> Result<StaticCredentials, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
    let map: BTreeMap<String, Credential> = serde_yaml::from_str(&text).map_err(|e| {
        // Never echo the file's content: it holds secrets.
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        format!(
            "the credentials file {} is not valid{at}: expected `name: {{type: bearer|basic|api_key|secret, …}}`",
            path.display()
        )
    })?;
    Ok(StaticCredentials(map))
}

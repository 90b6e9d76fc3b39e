//! Connectors: an OpenAPI 3.0 / 3.1 or Swagger 2.0 document imported as one typed action per
//! operation, `<connector>.<operation>`.
//!
//! [`import`] reads the document (JSON or YAML; every problem located by JSON pointer and
//! line) into a [`Connector`]: the base URL (the import's, else the operation's, path's or
//! document's `servers`, with server variables' defaults; Swagger's `schemes`/`host`/
//! `basePath`), the security schemes as credential types, and per operation the parameters,
//! the request body (JSON, form-urlencoded, text), a config schema and the schema of the success
//! answer. Local `$ref`s to schemas stay references (into the config schema's `$defs`, so a
//! recursive schema stays finite); other local `$ref`s are followed. [`Connectors`] is the
//! process's set, an [`engine::action::ActionSource`]: each operation runs as a request of the
//! registry's `http` action.

mod action;
pub mod document;
mod import;

pub use action::{Connectors, OperationAction};
pub use document::Problem;
pub use import::{
    Body, Connector, In, Media, Operation, Options, Param, STEP_FIELDS, SecurityScheme, check_name,
    slug,
};

use serde_json::{Map, Value};

/// Imports a document with the step fields of `registry`'s `http` action.
pub fn import(
    text: &str,
    options: &Options,
    registry: &engine::Registry,
) -> Result<Connector, Vec<Problem>> {
    import::import(text, options, &common(registry))
}

/// The `http` action's schemas of the fields every connector step has (`credential`,
/// `timeout`, …), their `$defs` renamed `weft_…` so that no document's schema names clash.
fn common(registry: &engine::Registry) -> import::Common {
    let schema = registry
        .get("http")
        .map(|a| a.info().config_schema)
        .unwrap_or(Value::Null);
    let mut properties = Map::new();
    for f in STEP_FIELDS.iter().filter(|f| **f != "body") {
        if let Some(s) = schema.pointer(&format!("/properties/{f}")) {
            let mut s = s.clone();
            rename_refs(&mut s);
            properties.insert((*f).to_string(), s);
        }
    }
    let mut defs = Map::new();
    if let Some(Value::Object(d)) = schema.get("$defs") {
        for (k, v) in d {
            let mut v = v.clone();
            rename_refs(&mut v);
            defs.insert(format!("weft_{k}"), v);
        }
    }
    import::Common { properties, defs }
}

fn rename_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => {
                        if let Some(rest) = s.strip_prefix("#/$defs/") {
                            *s = format!("#/$defs/weft_{rest}");
                        }
                    }
                    (_, x) => rename_refs(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(rename_refs),
        _ => {}
    }
}

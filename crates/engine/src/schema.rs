//! The JSON Schema of the workflow document, with each action's `with:` schema attached, so
//! that editors (the web UI, yaml-language-server) can check and complete a whole file.

use serde_json::{Map, Value, json};

use crate::action::Registry;
use crate::model::Workflow;

/// The workflow schema (JSON Schema 2020-12) for the actions in `registry`.
pub fn workflow_schema(registry: &Registry) -> Value {
    let mut root = schemars::schema_for!(Workflow).to_value();
    let defs = root
        .as_object_mut()
        .expect("a schema is an object")
        .entry("$defs")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("$defs is an object")
        .clone();
    let mut defs = defs;
    let mut branches = Vec::new();
    let mut kinds = Vec::new();
    for info in registry.builtin_infos() {
        let prefix = format!("{}_", info.kind);
        let mut schema = info.config_schema.clone();
        rewrite_refs(&mut schema, &prefix);
        if let Some(obj) = schema.as_object_mut() {
            obj.remove("$schema");
            if let Some(Value::Object(inner)) = obj.remove("$defs") {
                for (k, v) in inner {
                    defs.insert(format!("{prefix}{k}"), v);
                }
            }
            obj.insert(
                "description".into(),
                Value::String(info.description.to_string()),
            );
        }
        let name = format!("action_{}", info.kind);
        defs.insert(name.clone(), schema);
        kinds.push(Value::String(info.kind.to_string()));
        branches.push(json!({
            "if": { "properties": { "action": { "const": info.kind } }, "required": ["action"] },
            "then": { "properties": { "with": { "$ref": format!("#/$defs/{name}") } } }
        }));
    }
    if let Some(Value::Object(step)) = defs.get_mut("Step") {
        step.insert("allOf".into(), Value::Array(branches));
        if let Some(Value::Object(props)) = step.get_mut("properties")
            && let Some(Value::Object(action)) = props.get_mut("action")
        {
            // A built-in kind, or an operation of an imported connector (checked by the
            // server or `weft validate --connector`, which know the connectors).
            let description = action.remove("description");
            action.clear();
            action.insert(
                "anyOf".into(),
                json!([
                    { "enum": kinds },
                    {
                        "type": "string",
                        "pattern": "^[a-z][a-z0-9_]*\\.[A-Za-z0-9_.-]+$",
                        "description": "An operation of an imported connector: `<connector>.<operation>`."
                    }
                ]),
            );
            if let Some(d) = description {
                action.insert("description".into(), d);
            }
        }
    }
    let obj = root.as_object_mut().expect("object");
    obj.insert("$defs".into(), Value::Object(defs));
    obj.insert(
        "$id".into(),
        Value::String("https://weft.example/schema/workflow.json".into()),
    );
    root
}

fn rewrite_refs(v: &mut Value, prefix: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "$ref" {
                    if let Value::String(s) = x
                        && let Some(name) = s.strip_prefix("#/$defs/")
                    {
                        *s = format!("#/$defs/{prefix}{name}");
                    }
                } else {
                    rewrite_refs(x, prefix);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, prefix)),
        _ => {}
    }
}

//! An operation as an engine [`Action`]: its config checked against the operation, run as a
//! request of the `http` action (one pooled client, the outbound policy, credentials bound to
//! hosts, retries, `Idempotency-Key`, size caps: the same machinery, not a copy of it).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use actions::kind_of;
use async_trait::async_trait;
use engine::action::{
    Action, ActionContext, ActionError, ActionInfo, ActionOutput, ActionSource, ConfigProblem,
    ConnectorInfo, Registry,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::import::{Connector, In, Media, Operation, STEP_FIELDS};

/// What a path parameter's value is encoded with: everything but unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One operation of one connector.
pub struct OperationAction {
    kind: String,
    connector: Arc<Connector>,
    index: usize,
    http: Arc<dyn Action>,
}

impl OperationAction {
    fn op(&self) -> &Operation {
        &self.connector.operations[self.index]
    }
}

fn is_template(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.contains("{{"))
}

/// How deep a body is checked against its schema.
const MAX_CHECK_DEPTH: usize = 16;
/// How many (value, schema) checks one step's config may take.
const MAX_CHECKS: usize = 20_000;

/// Checks a value (templates pass) against a schema: its type, enum, required properties and,
/// when the schema closes the object, unknown properties. `defs` resolves `#/$defs/…`.
#[allow(clippy::too_many_arguments)]
fn check_value(
    value: &Value,
    schema: &Value,
    defs: &Value,
    field: &str,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<ConfigProblem>,
) {
    // Bounded in depth and in total work: schemas whose `allOf`s refer to each other would
    // otherwise multiply the checks.
    if depth > MAX_CHECK_DEPTH || *budget == 0 || is_template(value) {
        return;
    }
    *budget -= 1;
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => match r
            .strip_prefix("#/$defs/")
            .and_then(|p| defs.pointer(&format!("/{p}")))
        {
            Some(s) => s,
            None => return,
        },
        None => schema,
    };
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for s in all {
            check_value(value, s, defs, field, depth + 1, budget, out);
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let at = |f: &str| ConfigProblem::new(field, f.to_string());
    if !types.is_empty() {
        let fits = types.iter().any(|t| match (*t, value) {
            ("null", Value::Null) => true,
            ("boolean", Value::Bool(_)) => true,
            ("boolean", Value::String(s)) => s == "true" || s == "false",
            ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("integer", Value::String(s)) => s.trim().parse::<i64>().is_ok(),
            ("number", Value::Number(_)) => true,
            ("number", Value::String(s)) => s.trim().parse::<f64>().is_ok(),
            // Numbers and booleans are sent as their text.
            ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
            ("array", Value::Array(_)) => true,
            ("object", Value::Object(_)) => true,
            _ => false,
        });
        if !fits {
            out.push(at(&format!(
                "expected {}, found {}",
                types.join(" or "),
                kind_of(value)
            )));
            return;
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !value.is_null()
        && !options.iter().any(|o| o == value || text(o) == text(value))
    {
        let shown: Vec<String> = options.iter().take(12).map(text).collect();
        out.push(at(&format!(
            "`{}` is not one of: {}{}",
            text(value),
            shown.join(", "),
            if options.len() > 12 { ", …" } else { "" }
        )));
        return;
    }
    match value {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(req)) = schema.get("required") {
                for r in req.iter().filter_map(Value::as_str) {
                    if !m.contains_key(r) {
                        out.push(ConfigProblem::new(
                            join(field, r),
                            format!("missing field `{r}`"),
                        ));
                    }
                }
            }
            for (k, v) in m {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => check_value(v, s, defs, &join(field, k), depth + 1, budget, out),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        let known: Vec<&str> = props
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        out.push(ConfigProblem::new(
                            join(field, k),
                            format!("unknown field `{k}`; expected one of: {}", known.join(", ")),
                        ));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check_value(v, s, defs, &format!("{field}[{i}]"), depth + 1, budget, out);
                }
            }
        }
        _ => {}
    }
}

fn join(field: &str, key: &str) -> String {
    if field.is_empty() {
        key.to_string()
    } else {
        format!("{field}.{key}")
    }
}

/// A value as the text a query, header, path or form carries.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A value as the texts of a repeated name (`a=1&a=2` for a list).
fn texts(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| Value::String(text(i))).collect()),
        Value::Null => Value::Null,
        other => Value::String(text(other)),
    }
}

#[async_trait]
impl Action for OperationAction {
    fn info(&self) -> ActionInfo {
        let op = self.op();
        let title = if op.summary.is_empty() {
            format!("{} {}", op.method, op.path)
        } else {
            op.summary.clone()
        };
        ActionInfo {
            kind: self.kind.clone().into(),
            title: title.into(),
            description: if op.description.is_empty() {
                op.summary.clone()
            } else {
                op.description.clone()
            }
            .into(),
            config_schema: op.config_schema.clone(),
            ports: None,
            connector: Some(ConnectorInfo {
                name: self.connector.name.clone(),
                version: self.connector.version,
                operation: op.id.clone(),
                method: op.method.clone(),
                path: op.path.clone(),
                base_url: op.base_url.clone(),
                credential_types: op.credential_types.clone(),
                tags: op.tags.clone(),
                output_schema: op.output_schema.clone(),
            }),
        }
    }

    fn validate(&self, config: &Value) -> Vec<ConfigProblem> {
        let op = self.op();
        let empty = Map::new();
        let config = match config {
            Value::Null => &empty,
            Value::Object(m) => m,
            other => {
                return vec![ConfigProblem::new(
                    "",
                    format!("expected a map of settings, not {}", kind_of(other)),
                )];
            }
        };
        let mut out = Vec::new();
        let defs = &op.defs;
        let mut budget = MAX_CHECKS;
        for p in &op.params {
            match config.get(&p.field) {
                None | Some(Value::Null) if p.required => out.push(ConfigProblem::new(
                    &p.field,
                    format!(
                        "missing field `{}` (a required {} parameter of `{}`)",
                        p.field,
                        match p.location {
                            In::Path => "path",
                            In::Query => "query",
                            In::Header => "header",
                        },
                        self.kind
                    ),
                )),
                // Left out (a template that rendered to null, too): not sent.
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.is_empty() && p.location == In::Path => {
                    out.push(ConfigProblem::new(
                        &p.field,
                        format!("`{}` is empty: a path parameter names a resource, and an empty one would call another endpoint", p.field),
                    ))
                }
                Some(v) => check_value(v, &p.schema, defs, &p.field, 0, &mut budget, &mut out),
            }
        }
        match (&op.body, config.get("body")) {
            (Some(b), None | Some(Value::Null)) if b.required => out.push(ConfigProblem::new(
                "body",
                format!(
                    "missing field `body` (`{}` takes a request body)",
                    self.kind
                ),
            )),
            (Some(_), Some(Value::Null)) => {}
            (Some(b), Some(v)) => {
                if b.media == Media::Multipart {
                    out.push(ConfigProblem::new("body", "this operation takes a multipart/form-data body, which Weft does not send yet; use an `http` step"));
                } else {
                    check_value(v, &b.schema, defs, "body", 0, &mut budget, &mut out);
                }
            }
            (None, Some(v)) if !v.is_null() => out.push(ConfigProblem::new(
                "body",
                format!("`{}` takes no request body", self.kind),
            )),
            _ => {}
        }
        let fields: Vec<&str> = op
            .params
            .iter()
            .map(|p| p.field.as_str())
            .chain(
                STEP_FIELDS
                    .iter()
                    .copied()
                    .filter(|f| *f != "body" || op.body.is_some()),
            )
            .collect();
        let mut common = Map::new();
        for (k, v) in config {
            if STEP_FIELDS.contains(&k.as_str()) && k != "body" {
                common.insert(k.clone(), v.clone());
            } else if !fields.contains(&k.as_str()) {
                out.push(ConfigProblem::new(
                    k,
                    format!(
                        "unknown field `{k}` for `{}`; expected one of: {}",
                        self.kind,
                        fields.join(", ")
                    ),
                ));
            }
        }
        // The step's own fields mean what they mean for `http`: its checks name them.
        common.insert("url".into(), json!("https://example.invalid/"));
        out.extend(self.http.validate(&Value::Object(common)));
        out
    }

    fn is_safe(&self, _config: &Value) -> bool {
        matches!(self.op().method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        input: &Value,
    ) -> Result<ActionOutput, ActionError> {
        if let Some(p) = self.validate(input).first() {
            return Err(ActionError::permanent(if p.field.is_empty() {
                format!("invalid `with`: {}", p.message)
            } else {
                format!("invalid `with.{}`: {}", p.field, p.message)
            }));
        }
        let op = self.op();
        let mut path = op.path.clone();
        let mut query = Map::new();
        let mut headers = Map::new();
        for p in &op.params {
            let Some(v) = input.get(&p.field).filter(|v| !v.is_null()) else {
                continue;
            };
            // A list: the name repeated, or its items joined as the parameter's style says.
            let joined = |v: &Value| match (v, &p.join) {
                (Value::Array(items), Some(sep)) => {
                    Value::String(items.iter().map(text).collect::<Vec<_>>().join(sep))
                }
                (v, _) => texts(v),
            };
            match p.location {
                In::Path => {
                    let encoded = utf8_percent_encode(&text(&joined(v)), SEGMENT).to_string();
                    path = path.replace(&format!("{{{}}}", p.name), &encoded);
                }
                In::Query => {
                    query.insert(p.name.clone(), joined(v));
                }
                In::Header => {
                    headers.insert(p.name.clone(), Value::String(text(&joined(v))));
                }
            }
        }
        let mut http = Map::new();
        http.insert("method".into(), Value::String(op.method.clone()));
        http.insert(
            "url".into(),
            Value::String(format!("{}{path}", op.base_url)),
        );
        if let (Some(b), Some(body)) = (&op.body, input.get("body").filter(|b| !b.is_null())) {
            match b.media {
                Media::Json => {
                    // `application/json`, or the JSON type the operation names (`…+json`).
                    if b.content_type != "application/json" {
                        headers
                            .entry("content-type")
                            .or_insert_with(|| Value::String(b.content_type.clone()));
                    }
                    http.insert("json".into(), body.clone());
                }
                Media::Form => {
                    let Value::Object(fields) = body else {
                        return Err(ActionError::permanent(format!(
                            "invalid `with.body`: a form body is a map of fields, not {}",
                            kind_of(body)
                        )));
                    };
                    let form: Map<String, Value> = fields
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), texts(v)))
                        .collect();
                    http.insert("form".into(), Value::Object(form));
                }
                Media::Text => {
                    headers
                        .entry("content-type")
                        .or_insert_with(|| Value::String(b.content_type.clone()));
                    http.insert("body".into(), Value::String(text(body)));
                }
                Media::Multipart => unreachable!("refused by validate"),
            }
        }
        if !query.is_empty() {
            http.insert("query".into(), Value::Object(query));
        }
        if !headers.is_empty() {
            http.insert("headers".into(), Value::Object(headers));
        }
        for f in STEP_FIELDS.iter().filter(|f| **f != "body") {
            if let Some(v) = input.get(*f) {
                http.insert((*f).into(), v.clone());
            }
        }
        self.http.run(ctx, &Value::Object(http)).await
    }
}

/// The connectors a process knows, as an [`ActionSource`] of their operations. Replaced as a
/// whole per connector on import; lookups clone an `Arc`.
pub struct Connectors {
    http: Arc<dyn Action>,
    set: RwLock<BTreeMap<String, Loaded>>,
}

struct Loaded {
    connector: Arc<Connector>,
    actions: BTreeMap<String, Arc<OperationAction>>,
}

impl Connectors {
    /// An empty set whose operations run through `registry`'s `http` action.
    ///
    /// # Panics
    /// When `registry` has no `http` action.
    pub fn new(registry: &Registry) -> Arc<Connectors> {
        let http = registry
            .get("http")
            .expect("the registry has the http action");
        Arc::new(Connectors {
            http,
            set: RwLock::new(BTreeMap::new()),
        })
    }

    /// Adds a connector, or replaces the one of its name.
    pub fn insert(&self, connector: Connector) {
        let connector = Arc::new(connector);
        let actions = (0..connector.operations.len())
            .map(|index| {
                let id = connector.operations[index].id.clone();
                let kind = format!("{}.{id}", connector.name);
                (
                    id,
                    Arc::new(OperationAction {
                        kind,
                        connector: connector.clone(),
                        index,
                        http: self.http.clone(),
                    }),
                )
            })
            .collect();
        let name = connector.name.clone();
        self.set
            .write()
            .expect("connectors lock")
            .insert(name, Loaded { connector, actions });
    }

    /// Replaces every connector.
    pub fn replace_all(&self, connectors: Vec<Connector>) {
        let names: Vec<String> = connectors.iter().map(|c| c.name.clone()).collect();
        for c in connectors {
            self.insert(c);
        }
        self.set
            .write()
            .expect("connectors lock")
            .retain(|k, _| names.contains(k));
    }

    pub fn remove(&self, name: &str) -> bool {
        self.set
            .write()
            .expect("connectors lock")
            .remove(name)
            .is_some()
    }

    pub fn get_connector(&self, name: &str) -> Option<Arc<Connector>> {
        self.set
            .read()
            .expect("connectors lock")
            .get(name)
            .map(|l| l.connector.clone())
    }

    pub fn connectors(&self) -> Vec<Arc<Connector>> {
        self.set
            .read()
            .expect("connectors lock")
            .values()
            .map(|l| l.connector.clone())
            .collect()
    }
}

impl ActionSource for Connectors {
    fn get(&self, kind: &str) -> Option<Arc<dyn Action>> {
        let (name, op) = kind.split_once('.')?;
        let set = self.set.read().expect("connectors lock");
        let a = set.get(name)?.actions.get(op)?.clone();
        Some(a)
    }

    fn infos(&self) -> Vec<ActionInfo> {
        let set = self.set.read().expect("connectors lock");
        set.values()
            .flat_map(|l| l.actions.values().map(|a| a.info()))
            .collect()
    }

    fn count(&self) -> usize {
        self.set
            .read()
            .expect("connectors lock")
            .values()
            .map(|l| l.actions.len())
            .sum()
    }

    fn why_unknown(&self, kind: &str) -> String {
        // Names are short: a long one is cut for the message and the "nearest" search.
        let kind: String = kind.chars().take(200).collect();
        let kind = kind.as_str();
        let (name, op) = kind.split_once('.').unwrap_or((kind, ""));
        let set = self.set.read().expect("connectors lock");
        let Some(loaded) = set.get(name) else {
            let names: Vec<&str> = set.keys().map(String::as_str).collect();
            return if names.is_empty() {
                format!(
                    "unknown action `{kind}`: no connector `{name}` is imported (no connectors are)"
                )
            } else {
                format!(
                    "unknown action `{kind}`: no connector `{name}` is imported; imported: {}",
                    names.join(", ")
                )
            };
        };
        let lower = op.to_ascii_lowercase();
        let mut near: Vec<(usize, &str)> = loaded
            .actions
            .keys()
            .filter(|k| {
                k.len().abs_diff(lower.len()) <= 3 || k.to_ascii_lowercase().contains(&lower)
            })
            .map(|k| (distance(&k.to_ascii_lowercase(), &lower), k.as_str()))
            .filter(|(d, k)| {
                *d <= 3 || (!lower.is_empty() && k.to_ascii_lowercase().contains(&lower))
            })
            .collect();
        near.sort();
        let mut near: Vec<&str> = near.into_iter().map(|(_, k)| k).take(5).collect();
        if near.is_empty() {
            near = loaded.actions.keys().map(String::as_str).take(5).collect();
        }
        format!(
            "unknown action `{kind}`: connector `{name}` (version {}) has no operation `{op}`; for example: {}",
            loaded.connector.version,
            near.iter()
                .map(|k| format!("{name}.{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The edit distance of two short names (for "did you mean").
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

//! A document → a [`Connector`]: its base URL, security schemes and one [`Operation`] per
//! operation, with JSON Schemas made from the document's (local `$ref`s kept as references
//! into `$defs`, so recursive schemas stay finite).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::document::{self, Problem, push};

/// An imported document, ready to run.
#[derive(Debug, Clone, Serialize)]
pub struct Connector {
    /// The slug actions are named by: `<name>.<operation>`.
    pub name: String,
    pub version: i64,
    /// The document's `info.title`.
    pub title: String,
    /// `OpenAPI 3.0.1`, `Swagger 2.0`, …
    pub format: String,
    /// Where requests go unless an operation's `servers` say otherwise.
    pub base_url: String,
    /// The base URL was given at import (it wins over every `servers` entry).
    pub base_url_overridden: bool,
    pub security: Vec<SecurityScheme>,
    pub operations: Vec<Operation>,
}

/// A security scheme of the document and the credential type that serves it.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityScheme {
    pub name: String,
    /// `basic`, `bearer`, `api_key` or `oauth2`.
    pub credential_type: String,
    /// For `api_key`: `header` or `query`, and the name there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
}

/// One operation of the document.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// The action's name after the connector's: the `operationId` (characters other than
    /// letters, digits, `_`, `.` and `-` replaced by `_`), else a slug of method and path.
    pub id: String,
    pub method: String,
    pub path: String,
    pub base_url: String,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub deprecated: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    /// The credential types the operation's security requirements accept.
    pub credential_types: Vec<String>,
    /// The config schema of a step (`with:`), `$defs` included.
    pub config_schema: Value,
    /// The schema of the step's output, when the document describes the success answer.
    pub output_schema: Option<Value>,
    /// The document's schemas the parameters and body refer to (`#/$defs/…`), as the document
    /// says (the config schema's copies also accept templates): what steps are checked with.
    #[serde(skip)]
    pub defs: Value,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum In {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// The field of `with:` (the parameter's name unless two share it or it is one of the
    /// step's own fields).
    pub field: String,
    /// The name on the wire.
    pub name: String,
    #[serde(rename = "in")]
    pub location: In,
    pub required: bool,
    /// Its JSON Schema (refs into the config schema's `$defs`).
    pub schema: Value,
    /// How a list goes: `None`, the name repeated (`a=1&a=2`); else its items joined by this
    /// (`a=1,2`): Swagger's `collectionFormat`, OpenAPI's `explode: false` and delimited
    /// styles; headers and path segments always join with `,`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Body {
    pub media: Media,
    /// The media type as the document names it.
    pub content_type: String,
    pub required: bool,
    pub schema: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Media {
    Json,
    Form,
    /// `multipart/form-data` only: refused when a step sends one.
    Multipart,
    /// Any other type: the body is sent as text.
    Text,
}

/// Fields every connector step has besides the operation's parameters and `body`; a
/// parameter of one of these names is the field `param_<name>`.
pub const STEP_FIELDS: [&str; 6] = [
    "body",
    "credential",
    "timeout",
    "accept_status",
    "max_response_size",
    "paginate",
];

/// What an import may set besides the document.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub version: i64,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The step fields common to every operation: the `http` action's schemas of them.
pub(crate) struct Common {
    pub properties: Map<String, Value>,
    pub defs: Map<String, Value>,
}

/// Imports a document's text. Every problem is reported at once, located.
pub fn import(text: &str, options: &Options, common: &Common) -> Result<Connector, Vec<Problem>> {
    let doc = document::parse(text)?;
    let mut problems = Vec::new();
    let connector = build(&doc, options, common, &mut problems);
    if problems.is_empty() {
        Ok(connector.expect("a connector without problems"))
    } else {
        document::locate(text, &doc, &mut problems);
        Err(problems)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    V2,
    V3,
}

struct Doc<'a> {
    root: &'a Value,
    flavour: Flavour,
    /// Where schemas live: `#/components/schemas/` or `#/definitions/`.
    schemas_at: &'static str,
    /// Each schema of the document, converted, with the names it refers to.
    defs: BTreeMap<String, (Value, BTreeSet<String>)>,
    /// The references being followed inline now (a reference to one of them is a loop).
    inlining: std::cell::RefCell<Vec<String>>,
    /// What converting may still produce (nodes, and text by 64 bytes): a document whose
    /// references multiply it is refused instead of filling the memory.
    budget: std::cell::Cell<usize>,
}

/// How much converting one document's schemas may produce (see `Doc::budget`): far above
/// what the real documents of `tests/openapi/` need.
const SCHEMA_BUDGET: usize = 4_000_000;

fn build(
    root: &Value,
    options: &Options,
    common: &Common,
    problems: &mut Vec<Problem>,
) -> Option<Connector> {
    let (flavour, format) = match (root.get("openapi"), root.get("swagger")) {
        (Some(Value::String(v)), _) if v.starts_with("3.") => (Flavour::V3, format!("OpenAPI {v}")),
        (_, Some(Value::String(v))) if v == "2.0" => (Flavour::V2, "Swagger 2.0".to_string()),
        (Some(v), _) => {
            problems.push(Problem::new(
                "/openapi",
                format!("OpenAPI {v} is not supported; import an OpenAPI 3.0, 3.1 or Swagger 2.0 document"),
            ));
            return None;
        }
        (_, Some(v)) => {
            problems.push(Problem::new(
                "/swagger",
                format!("Swagger {v} is not supported; import an OpenAPI 3.0, 3.1 or Swagger 2.0 document"),
            ));
            return None;
        }
        _ if !root.is_object() => {
            problems.push(Problem::new("", "expected an OpenAPI document (a map)"));
            return None;
        }
        _ => {
            problems.push(Problem::new(
                "",
                "not an OpenAPI document: it has neither an `openapi` nor a `swagger` field",
            ));
            return None;
        }
    };
    let title = root
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = match &options.name {
        Some(n) => n.clone(),
        None => slug(&title),
    };
    if let Err(e) = check_name(&name) {
        let at = if options.name.is_some() {
            ""
        } else {
            "/info/title"
        };
        problems.push(Problem::new(at, format!("connector name: {e}")));
    }
    let schemas_at = match flavour {
        Flavour::V3 => "#/components/schemas/",
        Flavour::V2 => "#/definitions/",
    };
    let mut doc = Doc {
        root,
        flavour,
        schemas_at,
        defs: BTreeMap::new(),
        inlining: std::cell::RefCell::new(Vec::new()),
        budget: std::cell::Cell::new(SCHEMA_BUDGET),
    };
    let schemas_ptr = match flavour {
        Flavour::V3 => "/components/schemas",
        Flavour::V2 => "/definitions",
    };
    if let Some(Value::Object(schemas)) = root.pointer(schemas_ptr) {
        for (k, v) in schemas {
            let mut refs = BTreeSet::new();
            let converted = doc.schema(v, &push(schemas_ptr, k), &mut refs, problems, 0);
            doc.defs.insert(k.clone(), (converted, refs));
        }
    }

    let base_override = options
        .base_url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_string());
    if let Some(u) = &base_override
        && !matches!(
            url::Url::parse(u)
                .map(|u| u.scheme().to_string())
                .as_deref(),
            Ok("http" | "https")
        )
    {
        problems.push(Problem::new(
            "",
            format!("base URL `{u}` is not an http:// or https:// URL"),
        ));
    }
    let doc_base = match flavour {
        Flavour::V3 => servers_url(root.get("servers"), "/servers", problems),
        Flavour::V2 => swagger_base(root),
    };
    let security = security_schemes(root, flavour, problems);
    let default_security = root.get("security");

    let mut operations: Vec<Operation> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    match root.get("paths") {
        Some(Value::Object(paths)) => {
            for (path, item) in paths {
                let item_ptr = push("/paths", path);
                if !path.starts_with('/') {
                    problems.push(Problem::new(
                        &item_ptr,
                        format!("path `{path}` does not start with `/`"),
                    ));
                    continue;
                }
                let item = match item.get("$ref").and_then(Value::as_str) {
                    Some(r) => match document::resolve(root, r) {
                        Some(v) => v,
                        None => {
                            problems.push(Problem::new(
                                push(&item_ptr, "$ref"),
                                format!("`{r}` does not resolve in this document"),
                            ));
                            continue;
                        }
                    },
                    None => item,
                };
                let Value::Object(item_map) = item else {
                    problems.push(Problem::new(&item_ptr, "expected a path item (a map)"));
                    continue;
                };
                let path_base = match flavour {
                    Flavour::V3 => {
                        servers_url(item.get("servers"), &push(&item_ptr, "servers"), problems)
                    }
                    Flavour::V2 => None,
                };
                for method in METHODS {
                    let Some(op) = item_map.get(method) else {
                        continue;
                    };
                    let op_ptr = push(&item_ptr, method);
                    let op_base = match flavour {
                        Flavour::V3 => {
                            servers_url(op.get("servers"), &push(&op_ptr, "servers"), problems)
                        }
                        Flavour::V2 => None,
                    };
                    let base_url = base_override
                        .clone()
                        .or(op_base)
                        .or(path_base.clone())
                        .or(doc_base.clone());
                    let base_url = base_url.unwrap_or_else(|| {
                        problems.push(Problem::new(&op_ptr, "no server URL: the document has no `servers` (or `host`) for this operation; give a base URL at import"));
                        String::new()
                    });
                    let mut operation = doc.operation(
                        method,
                        path,
                        op,
                        item.get("parameters"),
                        &op_ptr,
                        &item_ptr,
                        base_url,
                        &security,
                        default_security,
                        common,
                        problems,
                    );
                    let Some(op) = operation.as_mut() else {
                        continue;
                    };
                    // Unique: a second `list` is `list_2` (and a later `list_2` is `list_2_2`).
                    let mut id = op.id.clone();
                    let mut n = 2;
                    while taken.contains(&id) {
                        id = format!("{}_{n}", op.id);
                        n += 1;
                    }
                    taken.insert(id.clone());
                    op.id = id;
                    operations.extend(operation);
                }
            }
        }
        Some(_) => problems.push(Problem::new("/paths", "expected a map of paths")),
        None => problems.push(Problem::new("", "the document has no `paths`")),
    }
    if operations.is_empty() && problems.is_empty() {
        problems.push(Problem::new("/paths", "the document has no operations"));
    }
    Some(Connector {
        name,
        version: options.version.max(1),
        title,
        format,
        base_url: base_override.clone().or(doc_base).unwrap_or_default(),
        base_url_overridden: base_override.is_some(),
        security,
        operations,
    })
}

/// A connector name: lowercase letters, digits and `_`, starting with a letter, at most 40.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a connector name: use lowercase letters, digits and `_`, starting with a letter, at most 40 characters"
        ))
    }
}

/// A name from a title: `Twilio - Api` → `twilio_api`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_');
    let out: String = out.chars().take(40).collect();
    let out = out.trim_end_matches('_').to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("api_{out}").chars().take(40).collect()
    } else {
        out
    }
}

/// The first server's URL, with its variables' defaults.
fn servers_url(servers: Option<&Value>, ptr: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let first = servers?.as_array()?.first()?;
    let mut url = first.get("url")?.as_str()?.to_string();
    if let Some(Value::Object(vars)) = first.get("variables") {
        for (k, v) in vars {
            let value = match v.get("default") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => {
                    problems.push(Problem::new(
                        push(&format!("{ptr}/0/variables"), k),
                        "a server variable needs a `default`",
                    ));
                    String::new()
                }
            };
            url = url.replace(&format!("{{{k}}}"), &value);
        }
    }
    let url = url.trim_end_matches('/').to_string();
    // A relative server URL has no host to call: the base URL must come from the import.
    url.starts_with("http").then_some(url)
}

fn swagger_base(root: &Value) -> Option<String> {
    let host = root.get("host")?.as_str()?;
    let scheme = root
        .get("schemes")
        .and_then(Value::as_array)
        .and_then(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .find(|s| *s == "https")
                .or_else(|| s.iter().filter_map(Value::as_str).next())
        })
        .unwrap_or("https");
    let base = root.get("basePath").and_then(Value::as_str).unwrap_or("");
    Some(format!("{scheme}://{host}{}", base.trim_end_matches('/')))
}

fn security_schemes(
    root: &Value,
    flavour: Flavour,
    problems: &mut Vec<Problem>,
) -> Vec<SecurityScheme> {
    let ptr = match flavour {
        Flavour::V3 => "/components/securitySchemes",
        Flavour::V2 => "/securityDefinitions",
    };
    let Some(Value::Object(schemes)) = root.pointer(ptr) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, s) in schemes {
        let s = match s.get("$ref").and_then(Value::as_str) {
            Some(r) => document::resolve(root, r).unwrap_or(s),
            None => s,
        };
        let kind = s.get("type").and_then(Value::as_str).unwrap_or("");
        let scheme = s
            .get("scheme")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        let credential_type = match (kind, scheme.as_deref()) {
            ("http", Some("basic")) | ("basic", _) => "basic",
            ("http", Some("bearer")) => "bearer",
            ("http", _) => "header",
            ("apiKey", _) => "api_key",
            ("oauth2", _) | ("openIdConnect", _) => "oauth2",
            ("mutualTLS", _) => continue,
            (other, _) => {
                problems.push(Problem::new(
                    push(&push(ptr, name), "type"),
                    format!("unknown security scheme type `{other}`"),
                ));
                continue;
            }
        };
        out.push(SecurityScheme {
            name: name.clone(),
            credential_type: credential_type.into(),
            key_in: (kind == "apiKey").then(|| {
                s.get("in")
                    .and_then(Value::as_str)
                    .unwrap_or("header")
                    .to_string()
            }),
            key_name: (kind == "apiKey").then(|| {
                s.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            }),
        });
    }
    out
}

/// How deep references to non-schema places are followed inline.
const MAX_INLINE_DEPTH: usize = 32;

impl Doc<'_> {
    /// A document schema as JSON Schema: `$ref`s to the document's schemas point into
    /// `$defs` (their names collected in `refs`), OpenAPI 3.0's `nullable` and boolean
    /// `exclusiveMinimum`/`exclusiveMaximum` and Swagger's `file` become JSON Schema, and
    /// `x-` extensions are left out.
    fn schema(
        &self,
        v: &Value,
        ptr: &str,
        refs: &mut BTreeSet<String>,
        problems: &mut Vec<Problem>,
        depth: usize,
    ) -> Value {
        let cost = match v {
            Value::String(text) => 1 + text.len() / 64,
            _ => 1,
        };
        let left = self.budget.get();
        if left < cost {
            if left > 0 {
                problems.push(Problem::new(
                    ptr,
                    "the document's schemas expand beyond what Weft imports (references that multiply them?)",
                ));
            }
            self.budget.set(0);
            return json!({});
        }
        self.budget.set(left - cost);
        let Value::Object(m) = v else {
            return v.clone();
        };
        if let Some(Value::String(r)) = m.get("$ref") {
            if let Some(rest) = r.strip_prefix(self.schemas_at) {
                let first = rest.split('/').next().unwrap_or("");
                let name = first.replace("~1", "/").replace("~0", "~");
                let name = percent_encoding::percent_decode_str(&name)
                    .decode_utf8_lossy()
                    .into_owned();
                if self
                    .root
                    .pointer(&format!(
                        "{}/{}",
                        &self.schemas_at[1..self.schemas_at.len() - 1],
                        document::escape(&name)
                    ))
                    .is_none()
                {
                    problems.push(Problem::new(
                        push(ptr, "$ref"),
                        format!("`{r}` does not resolve in this document"),
                    ));
                    return json!({});
                }
                refs.insert(name);
                return json!({ "$ref": format!("#/$defs/{rest}") });
            }
            if !r.starts_with('#') {
                problems.push(Problem::new(push(ptr, "$ref"), format!("`{r}` refers outside the document; only local references (`#/…`) are resolved")));
                return json!({});
            }
            return match document::resolve(self.root, r) {
                Some(_) if depth >= MAX_INLINE_DEPTH => {
                    problems.push(Problem::new(
                        push(ptr, "$ref"),
                        format!(
                            "`{r}` refers to itself through more than {MAX_INLINE_DEPTH} references"
                        ),
                    ));
                    json!({})
                }
                Some(_) if self.inlining.borrow().contains(r) => {
                    problems.push(Problem::new(
                        push(ptr, "$ref"),
                        format!("`{r}` refers to itself: a schema that contains itself must live in the document's schemas (`{}`)", self.schemas_at),
                    ));
                    json!({})
                }
                Some(target) => {
                    self.inlining.borrow_mut().push(r.clone());
                    let out = self.schema(target, ptr, refs, problems, depth + 1);
                    self.inlining.borrow_mut().pop();
                    out
                }
                None => {
                    problems.push(Problem::new(
                        push(ptr, "$ref"),
                        format!("`{r}` does not resolve in this document"),
                    ));
                    json!({})
                }
            };
        }
        let mut out = Map::new();
        for (k, x) in m {
            if k.starts_with("x-") {
                continue;
            }
            let here = push(ptr, k);
            let converted = match k.as_str() {
                "properties" | "patternProperties" | "definitions" | "$defs"
                | "dependentSchemas" => match x {
                    Value::Object(props) => Value::Object(
                        props
                            .iter()
                            .map(|(name, s)| {
                                (
                                    name.clone(),
                                    self.schema(s, &push(&here, name), refs, problems, depth),
                                )
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                },
                "allOf" | "anyOf" | "oneOf" | "prefixItems" => match x {
                    Value::Array(items) => Value::Array(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, s)| {
                                self.schema(s, &push(&here, &i.to_string()), refs, problems, depth)
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                },
                // Draft 4's list form: Swagger documents use it for "one of these".
                "items" if x.is_array() => json!({
                    "anyOf": x.as_array().into_iter().flatten().enumerate()
                        .map(|(i, s)| self.schema(s, &push(&here, &i.to_string()), refs, problems, depth))
                        .collect::<Vec<_>>()
                }),
                "items"
                | "additionalProperties"
                | "not"
                | "contains"
                | "if"
                | "then"
                | "else"
                | "propertyNames"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                | "additionalItems" => self.schema(x, &here, refs, problems, depth),
                // Values, not schemas; OpenAPI-only keywords JSON Schema ignores.
                "nullable" | "discriminator" | "xml" | "externalDocs" | "example" => continue,
                "type" if x == "file" => Value::String("string".into()),
                _ => x.clone(),
            };
            out.insert(k.clone(), converted);
        }
        if m.get("nullable") == Some(&Value::Bool(true)) {
            match out.get("type").cloned() {
                Some(Value::String(t)) => {
                    out.insert("type".into(), json!([t, "null"]));
                }
                Some(Value::Array(mut ts)) if !ts.contains(&json!("null")) => {
                    ts.push(json!("null"));
                    out.insert("type".into(), Value::Array(ts));
                }
                Some(_) => {}
                // No type of its own (`allOf: [$ref]`, a `$ref` beside `nullable`): null or it.
                None => {
                    let inner = Value::Object(std::mem::take(&mut out));
                    out.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                }
            }
        }
        for (flag, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if let Some(Value::Bool(b)) = out.get(flag).cloned() {
                out.remove(flag);
                if b && let Some(n) = out.remove(bound) {
                    out.insert(flag.into(), n);
                }
            }
        }
        if self.flavour == Flavour::V2 && m.get("type") == Some(&json!("file")) {
            out.insert("format".into(), json!("binary"));
        }
        Value::Object(out)
    }

    /// A parameter (or a `$ref` to one) resolved.
    fn param<'b>(
        &'b self,
        p: &'b Value,
        ptr: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<&'b Value> {
        let mut p = p;
        for _ in 0..MAX_INLINE_DEPTH {
            match p.get("$ref").and_then(Value::as_str) {
                Some(r) => match document::resolve(self.root, r) {
                    Some(v) => p = v,
                    None => {
                        problems.push(Problem::new(
                            push(ptr, "$ref"),
                            format!("`{r}` does not resolve in this document"),
                        ));
                        return None;
                    }
                },
                None => return Some(p),
            }
        }
        problems.push(Problem::new(
            ptr,
            "the parameter's references go round in a loop",
        ));
        None
    }

    /// A Swagger 2.0 parameter's schema: its own `type`, `items`, `enum`, … .
    fn v2_param_schema(
        &self,
        p: &Value,
        ptr: &str,
        refs: &mut BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) -> Value {
        if let Some(s) = p.get("schema") {
            return self.schema(s, &push(ptr, "schema"), refs, problems, 0);
        }
        let mut m = Map::new();
        for key in [
            "type",
            "format",
            "items",
            "enum",
            "default",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "pattern",
            "minItems",
            "maxItems",
            "uniqueItems",
            "multipleOf",
        ] {
            if let Some(v) = p.get(key) {
                m.insert(key.into(), v.clone());
            }
        }
        self.schema(&Value::Object(m), ptr, refs, problems, 0)
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        method: &str,
        path: &str,
        op: &Value,
        path_params: Option<&Value>,
        op_ptr: &str,
        item_ptr: &str,
        base_url: String,
        security: &[SecurityScheme],
        default_security: Option<&Value>,
        common: &Common,
        problems: &mut Vec<Problem>,
    ) -> Option<Operation> {
        let before = problems.len();
        let mut refs = BTreeSet::new();
        let id = match op.get("operationId").and_then(Value::as_str) {
            Some(id) if !id.trim().is_empty() => id
                .trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
            _ => format!(
                "{method}{}",
                slug(path)
                    .split('_')
                    .filter(|s| !s.is_empty())
                    .fold(String::new(), |a, s| a + "_" + s)
            ),
        };
        // Parameters: the path item's, then the operation's (which win by name and place).
        let mut raw: Vec<(String, &Value)> = Vec::new();
        for (list, at) in [
            (path_params, push(item_ptr, "parameters")),
            (op.get("parameters"), push(op_ptr, "parameters")),
        ] {
            let Some(list) = list else { continue };
            let Some(items) = list.as_array() else {
                problems.push(Problem::new(&at, "expected a list of parameters"));
                continue;
            };
            for (i, p) in items.iter().enumerate() {
                let ptr = push(&at, &i.to_string());
                let Some(p) = self.param(p, &ptr, problems) else {
                    continue;
                };
                let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
                raw.retain(|(_, q)| key(q) != key(p));
                raw.push((ptr, p));
            }
        }
        let mut params: Vec<Param> = Vec::new();
        let mut form_fields: Vec<(String, Value, bool)> = Vec::new();
        let mut v2_body: Option<(Value, bool)> = None;
        for (ptr, p) in raw {
            let (Some(name), Some(location)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                problems.push(Problem::new(&ptr, "a parameter needs a `name` and an `in`"));
                continue;
            };
            let required = p.get("required") == Some(&Value::Bool(true)) || location == "path";
            let mut schema = match self.flavour {
                Flavour::V3 => match (p.get("schema"), p.get("content")) {
                    (Some(s), _) => self.schema(s, &push(&ptr, "schema"), &mut refs, problems, 0),
                    (None, Some(Value::Object(c))) => c
                        .values()
                        .next()
                        .and_then(|m| m.get("schema"))
                        .map(|s| self.schema(s, &push(&ptr, "content"), &mut refs, problems, 0))
                        .unwrap_or_else(|| json!({})),
                    _ => json!({}),
                },
                Flavour::V2 => self.v2_param_schema(p, &ptr, &mut refs, problems),
            };
            if let (Some(Value::String(d)), Value::Object(m)) = (p.get("description"), &mut schema)
                && !m.contains_key("description")
                && !m.contains_key("$ref")
            {
                m.insert("description".into(), Value::String(d.clone()));
            }
            let location = match location {
                "path" => In::Path,
                "query" => In::Query,
                "header" => In::Header,
                "cookie" => continue,
                "formData" if self.flavour == Flavour::V2 => {
                    form_fields.push((name.to_string(), schema, required));
                    continue;
                }
                "body" if self.flavour == Flavour::V2 => {
                    v2_body = Some((schema, required));
                    continue;
                }
                other => {
                    problems.push(Problem::new(
                        push(&ptr, "in"),
                        format!("unknown parameter location `{other}`"),
                    ));
                    continue;
                }
            };
            if location == In::Path && !path.contains(&format!("{{{name}}}")) {
                problems.push(Problem::new(
                    &ptr,
                    format!("path parameter `{name}` is not in the path `{path}`"),
                ));
                continue;
            }
            let join = match (location, self.flavour) {
                (In::Header | In::Path, _) => Some(",".to_string()),
                (In::Query, Flavour::V2) => match p.get("collectionFormat").and_then(Value::as_str)
                {
                    Some("multi") => None,
                    Some("ssv") => Some(" ".into()),
                    Some("tsv") => Some("\t".into()),
                    Some("pipes") => Some("|".into()),
                    _ => Some(",".into()),
                },
                (In::Query, Flavour::V3) => {
                    let style = p.get("style").and_then(Value::as_str).unwrap_or("form");
                    let explode = p
                        .get("explode")
                        .and_then(Value::as_bool)
                        .unwrap_or(style == "form");
                    match (style, explode) {
                        ("spaceDelimited", _) => Some(" ".into()),
                        ("pipeDelimited", _) => Some("|".into()),
                        (_, true) => None,
                        (_, false) => Some(",".into()),
                    }
                }
            };
            params.push(Param {
                field: name.to_string(),
                name: name.to_string(),
                location,
                required,
                schema,
                join,
            });
        }
        // Placeholders of the path without a declared parameter: strings, required.
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 1..start + len];
            if !params
                .iter()
                .any(|p| p.location == In::Path && p.name == name)
            {
                params.push(Param {
                    field: name.into(),
                    name: name.into(),
                    location: In::Path,
                    required: true,
                    schema: json!({"type": "string"}),
                    join: Some(",".into()),
                });
            }
            rest = &rest[start + len..];
        }
        // Field names: unique, and none of the step's own.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for p in &mut params {
            if STEP_FIELDS.contains(&p.field.as_str()) {
                p.field = format!("param_{}", p.name);
            }
            if seen.contains(&p.field) {
                let base = format!(
                    "{}_{}",
                    match p.location {
                        In::Path => "path",
                        In::Query => "query",
                        In::Header => "header",
                    },
                    p.name
                );
                let mut field = base.clone();
                let mut n = 2;
                while seen.contains(&field) || STEP_FIELDS.contains(&field.as_str()) {
                    field = format!("{base}_{n}");
                    n += 1;
                }
                p.field = field;
            }
            seen.insert(p.field.clone());
        }

        let consumes = op
            .get("consumes")
            .or_else(|| self.root.get("consumes"))
            .and_then(Value::as_array);
        let body = match self.flavour {
            Flavour::V3 => self.v3_body(op, op_ptr, &mut refs, problems),
            Flavour::V2 if !form_fields.is_empty() => {
                let multipart_only = consumes.is_some_and(|c| {
                    c.iter()
                        .all(|m| m.as_str().is_some_and(|m| m.starts_with("multipart/")))
                });
                let mut props = Map::new();
                let mut required = Vec::new();
                for (name, schema, req) in &form_fields {
                    props.insert(name.clone(), schema.clone());
                    if *req {
                        required.push(Value::String(name.clone()));
                    }
                }
                let any_required = !required.is_empty();
                let mut schema = json!({"type": "object", "properties": props});
                if any_required {
                    schema["required"] = Value::Array(required);
                }
                Some(Body {
                    media: if multipart_only {
                        Media::Multipart
                    } else {
                        Media::Form
                    },
                    content_type: if multipart_only {
                        "multipart/form-data".into()
                    } else {
                        "application/x-www-form-urlencoded".into()
                    },
                    required: any_required,
                    schema,
                })
            }
            Flavour::V2 => v2_body.map(|(schema, required)| {
                let json = consumes.is_none_or(|c| {
                    c.is_empty() || c.iter().any(|m| m.as_str().is_some_and(is_json))
                });
                Body {
                    media: if json { Media::Json } else { Media::Text },
                    content_type: if json {
                        "application/json".into()
                    } else {
                        consumes
                            .and_then(|c| c.first())
                            .and_then(Value::as_str)
                            .unwrap_or("text/plain")
                            .into()
                    },
                    required,
                    schema,
                }
            }),
        };

        let output = self.output(op, op_ptr, &mut refs, problems);
        let requirements = op.get("security").or(default_security);
        let mut credential_types: Vec<String> = Vec::new();
        if let Some(Value::Array(reqs)) = requirements {
            for req in reqs {
                if let Value::Object(names) = req {
                    for name in names.keys() {
                        if let Some(s) = security.iter().find(|s| &s.name == name)
                            && !credential_types.contains(&s.credential_type)
                        {
                            credential_types.push(s.credential_type.clone());
                        }
                    }
                }
            }
        }
        if problems.len() > before {
            return None;
        }
        let summary = op
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let description = op
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let defs = self.closure(&refs);
        let config_schema = config_schema(
            &summary,
            &description,
            &params,
            body.as_ref(),
            &credential_types,
            common,
            &defs,
        );
        let output_schema = output.map(|body| {
            let mut s = json!({
                "type": "object",
                "properties": {
                    "status": {"type": "integer"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": body,
                },
            });
            if !defs.is_empty() {
                s["$defs"] = Value::Object(defs.clone());
            }
            s
        });
        Some(Operation {
            id,
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            base_url,
            summary,
            description,
            tags: op
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
            params,
            body,
            credential_types,
            config_schema,
            output_schema,
            defs: Value::Object(defs),
        })
    }

    fn v3_body(
        &self,
        op: &Value,
        op_ptr: &str,
        refs: &mut BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) -> Option<Body> {
        let ptr = push(op_ptr, "requestBody");
        let body = self.param(op.get("requestBody")?, &ptr, problems)?;
        let content = body.get("content")?.as_object()?;
        let required = body.get("required") == Some(&Value::Bool(true));
        let pick = content
            .iter()
            .find(|(m, _)| is_json(m))
            .map(|(m, c)| (Media::Json, m, c))
            .or_else(|| {
                content
                    .iter()
                    .find(|(m, _)| m.starts_with("application/x-www-form-urlencoded"))
                    .map(|(m, c)| (Media::Form, m, c))
            })
            .or_else(|| {
                content
                    .iter()
                    .find(|(m, _)| m.starts_with("multipart/"))
                    .map(|(m, c)| (Media::Multipart, m, c))
            })
            .or_else(|| content.iter().next().map(|(m, c)| (Media::Text, m, c)))?;
        let (media, content_type, c) = pick;
        let schema = match c.get("schema") {
            Some(s) => self.schema(
                s,
                &push(&push(&push(&ptr, "content"), content_type), "schema"),
                refs,
                problems,
                0,
            ),
            None => json!({}),
        };
        Some(Body {
            media,
            content_type: content_type.clone(),
            required,
            schema,
        })
    }

    /// The body schema of the first success answer (`2xx` by number, `2XX`, `default`).
    fn output(
        &self,
        op: &Value,
        op_ptr: &str,
        refs: &mut BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) -> Option<Value> {
        let responses = op.get("responses")?.as_object()?;
        let mut codes: Vec<&String> = responses
            .keys()
            .filter(|k| k.starts_with('2') && k.len() == 3)
            .collect();
        codes.sort();
        let code = codes.first().copied().or_else(|| {
            responses
                .keys()
                .find(|k| k.as_str() == "2XX" || k.as_str() == "default")
        })?;
        let ptr = push(&push(op_ptr, "responses"), code);
        let answer = self.param(&responses[code], &ptr, problems)?;
        let (schema, at) = match self.flavour {
            Flavour::V2 => (answer.get("schema")?, push(&ptr, "schema")),
            Flavour::V3 => {
                let content = answer.get("content")?.as_object()?;
                let (media, c) = content.iter().find(|(m, _)| is_json(m))?;
                let at = push(&push(&push(&ptr, "content"), media), "schema");
                (c.get("schema")?, at)
            }
        };
        Some(self.schema(schema, &at, refs, problems, 0))
    }

    /// The named schemas and every schema they refer to, transitively.
    fn closure(&self, start: &BTreeSet<String>) -> Map<String, Value> {
        let mut out = Map::new();
        let mut todo: Vec<String> = start.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            if out.contains_key(&name) {
                continue;
            }
            if let Some((schema, refs)) = self.defs.get(&name) {
                out.insert(name.clone(), schema.clone());
                todo.extend(refs.iter().filter(|r| !out.contains_key(*r)).cloned());
            }
        }
        out
    }
}

fn is_json(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim();
    m == "application/json" || m.ends_with("+json")
}

/// The `with:` schema of an operation's steps.
fn config_schema(
    summary: &str,
    description: &str,
    params: &[Param],
    body: Option<&Body>,
    credential_types: &[String],
    common: &Common,
    defs: &Map<String, Value>,
) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in params {
        let mut s = templated(&p.schema);
        if let (Some(d), Value::Object(m)) = (p.schema.get("description"), &mut s) {
            m.entry("description").or_insert_with(|| d.clone());
        }
        if let Value::Object(m) = &mut s {
            m.insert("x-weft-in".into(), json!(p.location));
            if p.field != p.name {
                m.insert("x-weft-name".into(), json!(p.name));
            }
        }
        properties.insert(p.field.clone(), s);
        if p.required {
            required.push(Value::String(p.field.clone()));
        }
    }
    if let Some(b) = body {
        let mut s = templated(&b.schema);
        if s.get("anyOf").is_none() || s.get("type").is_some() {
            s = json!({ "anyOf": [s, TEMPLATE.clone()] });
        }
        s["description"] = Value::String(format!("The request body, sent as {}.", b.content_type));
        if b.media == Media::Json {
            // Nested JSON reads best as JSON text in the editor.
            s["x-weft-widget"] = Value::String("json".into());
        }
        properties.insert("body".into(), s);
        if b.required {
            required.push(Value::String("body".into()));
        }
    }
    for (k, v) in &common.properties {
        let mut v = v.clone();
        if k == "credential" && !credential_types.is_empty() {
            v["description"] = Value::String(format!(
                "The name of a stored credential of type {} to authenticate with; it is sent only to the hosts it is bound to.",
                credential_types.join(" or ")
            ));
        }
        properties.insert(k.clone(), v);
    }
    let mut all_defs: Map<String, Value> = defs
        .iter()
        .map(|(k, v)| (k.clone(), templated(v)))
        .collect();
    for (k, v) in &common.defs {
        all_defs.insert(k.clone(), v.clone());
    }
    let mut text = summary.to_string();
    if !description.is_empty() && description != summary {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(description);
    }
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "$defs": all_defs,
    });
    if !text.is_empty() {
        schema["description"] = Value::String(text);
    }
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

static TEMPLATE: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| json!({"$ref": "#/$defs/weft_Template"}));

/// A schema whose every value may also be a template (`{{…}}`, rendered when the step runs):
/// each node that constrains a value (a type, an enum, a pattern, a format, …) becomes
/// `anyOf: [node, Template]`, the shape of the built-in actions' templated fields.
fn templated(schema: &Value) -> Value {
    let Value::Object(m) = schema else {
        return schema.clone();
    };
    if m.contains_key("$ref") && m.len() == 1 {
        return schema.clone();
    }
    let mut out = Map::new();
    for (k, v) in m {
        let v = match (k.as_str(), v) {
            ("properties" | "patternProperties", Value::Object(props)) => Value::Object(
                props
                    .iter()
                    .map(|(n, s)| (n.clone(), templated(s)))
                    .collect(),
            ),
            ("allOf" | "anyOf" | "oneOf" | "prefixItems", Value::Array(items)) => {
                Value::Array(items.iter().map(templated).collect())
            }
            ("items" | "additionalProperties", s @ Value::Object(_)) => templated(s),
            (_, v) => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    let constrains = [
        "type",
        "enum",
        "const",
        "pattern",
        "format",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "required",
    ]
    .iter()
    .any(|k| m.contains_key(*k));
    if !constrains {
        return Value::Object(out);
    }
    let description = out.get("description").cloned();
    let mut wrapped = json!({ "anyOf": [Value::Object(out), TEMPLATE.clone()] });
    if let Some(d) = description {
        wrapped["description"] = d;
    }
    wrapped
}

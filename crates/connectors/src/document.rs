//! Reading a document: JSON or YAML text → a JSON value, and problems located by JSON pointer
//! and line.

use engine::source::SourceMap;
use serde::Serialize;
use serde_json::{Map, Value};

/// A problem with a document, located by JSON pointer (and line/column when known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A JSON pointer into the document, e.g. `/paths/~1users/get/parameters/0`; empty for the
    /// document itself.
    pub pointer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            pointer: pointer.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "the document"
        } else {
            &self.pointer
        };
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{at} (line {l}, column {c}): {}", self.message),
            (Some(l), None) => write!(f, "{at} (line {l}): {}", self.message),
            _ => write!(f, "{at}: {}", self.message),
        }
    }
}

/// The largest document imported.
pub const MAX_DOCUMENT_SIZE: usize = 16 * 1024 * 1024;

/// Reads a document: JSON when it starts with `{`, else YAML (which JSON is too).
pub fn parse(text: &str) -> Result<Value, Vec<Problem>> {
    if text.len() > MAX_DOCUMENT_SIZE {
        return Err(vec![Problem::new(
            "",
            format!(
                "the document is {} bytes; the most imported is {MAX_DOCUMENT_SIZE}",
                text.len()
            ),
        )]);
    }
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| {
            vec![Problem {
                pointer: String::new(),
                line: Some(e.line()),
                column: Some(e.column()),
                message: format!("not valid JSON: {e}"),
            }]
        });
    }
    if let Some((message, at)) = engine::source::check_bounds(text) {
        return Err(vec![Problem {
            pointer: String::new(),
            line: Some(at.line),
            column: Some(at.column),
            message: message.replace("in a workflow", "in a document Weft imports"),
        }]);
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let at = e.location();
        vec![Problem {
            pointer: String::new(),
            line: at.as_ref().map(|l| l.line()),
            column: at.as_ref().map(|l| l.column()),
            message: format!("not valid YAML or JSON: {e}"),
        }]
    })?;
    Ok(from_yaml(yaml))
}

/// YAML → JSON; keys that are not text (`200:`) become their text.
fn from_yaml(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(from_yaml).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".into(),
                    other => serde_yaml::to_string(&other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                out.insert(key, from_yaml(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => from_yaml(t.value),
    }
}

/// One token of a JSON pointer, escaped (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The pointer `base` + `/token`.
pub fn push(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The value at a local reference (`#/components/schemas/User`), if there is one.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    let pointer = percent_encoding::percent_decode_str(pointer)
        .decode_utf8()
        .ok()?;
    doc.pointer(&pointer)
}

/// Sets the line and column of each problem from the document's text (built only when there
/// are problems: a source map of a large document costs more than the import).
pub fn locate(text: &str, doc: &Value, problems: &mut [Problem]) {
    if problems
        .iter()
        .all(|p| p.line.is_some() || p.pointer.is_empty())
    {
        return;
    }
    let map = SourceMap::build(text);
    for p in problems.iter_mut().filter(|p| p.line.is_none()) {
        if let Some(at) = map.value(&source_path(doc, &p.pointer)) {
            p.line = Some(at.line);
            p.column = Some(at.column);
        }
    }
}

/// A JSON pointer as a source-map path (`paths./users.get.parameters[0]`).
fn source_path(doc: &Value, pointer: &str) -> String {
    let mut path = String::new();
    let mut at = Some(doc);
    for token in pointer.split('/').skip(1).map(unescape) {
        match at {
            Some(Value::Array(items)) => {
                let index: usize = token.parse().unwrap_or(usize::MAX);
                path = engine::source::join_index(&path, index);
                at = items.get(index);
            }
            other => {
                path = engine::source::join_key(&path, &token);
                at = other.and_then(|v| v.get(&token));
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_read_alike_and_keys_become_text() {
        let y = parse("openapi: 3.0.0\nresponses:\n  200:\n    description: ok\n").unwrap();
        let j =
            parse(r#"{"openapi": "3.0.0", "responses": {"200": {"description": "ok"}}}"#).unwrap();
        assert_eq!(y, j);
    }

    #[test]
    fn problems_get_lines_from_pointers() {
        let text = "openapi: 3.0.0\npaths:\n  /a/{b}:\n    get:\n      responses: 1\n";
        let doc = parse(text).unwrap();
        let mut problems = vec![Problem::new("/paths/~1a~1{b}/get/responses", "bad")];
        locate(text, &doc, &mut problems);
        assert_eq!(problems[0].line, Some(5), "{problems:?}");
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("openapi: 3.0.0\npaths: [\n").unwrap_err();
        assert!(e[0].line.is_some(), "{e:?}");
        let e = parse("{\"openapi\": }").unwrap_err();
        assert_eq!(e[0].line, Some(1));
    }
}

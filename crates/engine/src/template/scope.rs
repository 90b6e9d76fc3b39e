//! What templates see while a step is rendered, and how a path is looked up in it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::expr::PathRef;
use super::value::kind_of;

/// What templates see while a step is rendered.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub trigger: &'a Value,
    /// Outputs of the steps that ran.
    pub steps: &'a HashMap<String, Arc<Value>>,
    pub execution: &'a Value,
    pub env: &'a Map<String, Value>,
    pub item: Option<&'a Value>,
    pub index: Option<usize>,
}

impl Scope<'_> {
    /// The whole context as one JSON value (for handlebars block templates).
    pub(super) fn to_value(self) -> Value {
        let mut m = Map::new();
        m.insert("trigger".into(), self.trigger.clone());
        m.insert(
            "steps".into(),
            Value::Object(
                self.steps
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::clone(v)))
                    .collect(),
            ),
        );
        m.insert("execution".into(), self.execution.clone());
        m.insert("env".into(), Value::Object(self.env.clone()));
        if let Some(item) = self.item {
            m.insert("item".into(), item.clone());
        }
        if let Some(index) = self.index {
            m.insert("index".into(), Value::from(index));
        }
        Value::Object(m)
    }
}

/// The value at a path, or why there is none.
pub(super) fn lookup<'s>(p: &PathRef, scope: &Scope<'s>) -> Result<&'s Value, String> {
    let segs = &p.segments;
    let (mut cur, consumed): (&Value, usize) = match segs[0].as_str() {
        "trigger" => (scope.trigger, 1),
        "execution" => (scope.execution, 1),
        "item" => (
            scope
                .item
                .ok_or("`item` exists only inside a step with `for_each`")?,
            1,
        ),
        "index" => {
            return match scope.index {
                Some(_) if segs.len() > 1 => Err("`index` is a number and has no fields".into()),
                // Indexes are few; leak-free static storage is not possible, so use a table.
                Some(i) => Ok(index_value(i)),
                None => Err("`index` exists only inside a step with `for_each`".into()),
            };
        }
        "env" => {
            let name = segs
                .get(1)
                .ok_or("`env` needs a variable name, e.g. `env.API_URL`")?;
            (
                scope.env.get(name).ok_or_else(|| {
                    format!(
                        "environment variable `{name}` is not set or not allow-listed for templates"
                    )
                })?,
                2,
            )
        }
        "steps" => {
            let id = &segs[1];
            (
                scope.steps.get(id).map(|v| &**v).ok_or_else(|| {
                    format!(
                        "step `{id}` has no output here (it was skipped, failed, or has not run)"
                    )
                })?,
                2,
            )
        }
        other => return Err(format!("unknown name `{other}`")),
    };
    for (n, seg) in segs.iter().enumerate().skip(consumed) {
        let next = match cur {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        cur = next.ok_or_else(|| {
            let parent = join_segments(&segs[..n]);
            match cur {
                Value::Object(_) => format!("`{parent}` has no field `{seg}`"),
                Value::Array(a) => format!(
                    "`{parent}` is an array of {} item(s); `{seg}` is not an index in it",
                    a.len()
                ),
                other => format!("`{parent}` is {}, not an object", kind_of(other)),
            }
        })?;
    }
    Ok(cur)
}

fn index_value(i: usize) -> &'static Value {
    use std::sync::OnceLock;
    static TABLE: OnceLock<Vec<Value>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..10_000).map(Value::from).collect());
    // Beyond the table, fall back to a leaked value (at most once per large index).
    table
        .get(i)
        .unwrap_or_else(|| Box::leak(Box::new(Value::from(i))))
}

fn join_segments(segs: &[String]) -> String {
    segs.join(".")
}

//! How templates read a JSON value: as text, as a truth, by kind.

use serde_json::Value;

/// How a value reads inside text: strings as they are, null as nothing, the rest as JSON.
pub fn to_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        other => out.push_str(&other.to_string()),
    }
}

/// The one truthiness rule, used by the `if` action, the `and`, `or` and `not` helpers and the
/// `{{#if}}` / `{{#unless}}` blocks; documented in docs/workflow-format.md, "Truth" (its
/// cases are [`TRUTH_CASES`]).
///
/// False: `false`, `null`, `0`, `[]`, and the strings that, trimmed, are empty or `false`, `0`,
/// `no` or `off` in any case (so a condition rendered inside text, such as
/// `"{{trigger.query.dry_run}}"`, reads as written). Everything else, `{}` included, is true.
/// The cases of docs/workflow-format.md, "Truth": a JSON value and whether it is true. The
/// engine's template tests and the `if` action's tests both check them.
pub const TRUTH_CASES: &[(&str, bool)] = &[
    ("false", false),
    ("null", false),
    ("0", false),
    ("0.0", false),
    ("[]", false),
    (r#""""#, false),
    (r#"" ""#, false),
    (r#""false""#, false),
    (r#""FALSE""#, false),
    (r#"" False ""#, false),
    (r#""0""#, false),
    (r#""No""#, false),
    (r#""off""#, false),
    ("true", true),
    ("1", true),
    ("-0.5", true),
    (r#""yes""#, true),
    (r#""true""#, true),
    (r#""00""#, true),
    (r#""nope""#, true),
    ("[0]", true),
    ("{}", true),
    (r#"{"a": 1}"#, true),
];

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => {
            let s = s.trim();
            !s.is_empty() && !FALSE_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
        }
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// The strings [`truthy`] reads as false (besides the empty one), compared without case.
const FALSE_WORDS: [&str; 4] = ["false", "0", "no", "off"];

/// A value's kind, for messages ("a number", "an object").
pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

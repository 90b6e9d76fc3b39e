//! The template helpers (`eq`, `default`, `concat`, …): one table, used by our evaluator and
//! registered with handlebars for block templates.

use serde_json::{Number, Value};

use super::value::{kind_of, to_text, truthy};

pub(super) type HelperFn = fn(&[Value]) -> Result<Value, String>;
/// name, min args, max args, implementation.
pub(super) type HelperSpec = (&'static str, usize, Option<usize>, HelperFn);

pub(super) const HELPERS: &[HelperSpec] = &[
    ("json", 1, Some(1), |a| Ok(Value::String(a[0].to_string()))),
    ("default", 1, None, |a| {
        Ok(a.iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null))
    }),
    ("eq", 2, Some(2), |a| {
        Ok(Value::Bool(loose_eq(&a[0], &a[1])))
    }),
    ("ne", 2, Some(2), |a| {
        Ok(Value::Bool(!loose_eq(&a[0], &a[1])))
    }),
    ("gt", 2, Some(2), |a| cmp(a, |o| o.is_gt())),
    ("gte", 2, Some(2), |a| cmp(a, |o| o.is_ge())),
    ("lt", 2, Some(2), |a| cmp(a, |o| o.is_lt())),
    ("lte", 2, Some(2), |a| cmp(a, |o| o.is_le())),
    ("and", 1, None, |a| Ok(Value::Bool(a.iter().all(truthy)))),
    ("or", 1, None, |a| Ok(Value::Bool(a.iter().any(truthy)))),
    ("not", 1, Some(1), |a| Ok(Value::Bool(!truthy(&a[0])))),
    ("len", 1, Some(1), |a| {
        Ok(Value::from(match &a[0] {
            Value::String(s) => s.chars().count(),
            Value::Array(v) => v.len(),
            Value::Object(m) => m.len(),
            Value::Null => 0,
            other => return Err(format!("cannot take the length of {}", kind_of(other))),
        }))
    }),
    ("lower", 1, Some(1), |a| {
        Ok(Value::String(text(&a[0]).to_lowercase()))
    }),
    ("upper", 1, Some(1), |a| {
        Ok(Value::String(text(&a[0]).to_uppercase()))
    }),
    ("trim", 1, Some(1), |a| {
        Ok(Value::String(text(&a[0]).trim().to_string()))
    }),
    ("concat", 1, None, |a| {
        let mut s = String::new();
        for v in a {
            to_text(v, &mut s);
        }
        Ok(Value::String(s))
    }),
    ("now", 0, Some(1), |a| {
        let now = chrono::Utc::now();
        Ok(Value::String(match a.first() {
            Some(Value::String(fmt)) => {
                use std::fmt::Write;
                let mut s = String::new();
                write!(s, "{}", now.format(fmt)).map_err(|_| format!("bad time format `{fmt}`"))?;
                s
            }
            _ => now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }))
    }),
    ("uuid", 0, Some(0), |_| {
        Ok(Value::String(uuid::Uuid::new_v4().to_string()))
    }),
    ("base64", 1, Some(1), |a| {
        use base64::Engine;
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(text(&a[0]).as_bytes()),
        ))
    }),
    ("base64_decode", 1, Some(1), |a| {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text(&a[0]).trim())
            .map_err(|e| format!("not valid base64: {e}"))?;
        Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    }),
    ("url_encode", 1, Some(1), |a| {
        Ok(Value::String(
            percent_encoding::utf8_percent_encode(&text(&a[0]), percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ))
    }),
    ("lookup", 2, Some(2), |a| {
        Ok(match (&a[0], &a[1]) {
            (Value::Object(m), k) => m.get(text(k).as_ref()).cloned().unwrap_or(Value::Null),
            (Value::Array(v), k) => text(k)
                .parse::<usize>()
                .ok()
                .and_then(|i| v.get(i).cloned())
                .unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }),
    ("add", 2, Some(2), |a| arith(a, |x, y| x + y)),
    ("sub", 2, Some(2), |a| arith(a, |x, y| x - y)),
    ("mul", 2, Some(2), |a| arith(a, |x, y| x * y)),
    ("div", 2, Some(2), |a| {
        if number(&a[1])? == 0.0 {
            return Err("division by zero".into());
        }
        arith(a, |x, y| x / y)
    }),
    ("contains", 2, Some(2), |a| {
        Ok(Value::Bool(match &a[0] {
            Value::Array(v) => v.iter().any(|x| loose_eq(x, &a[1])),
            Value::Object(m) => m.contains_key(text(&a[1]).as_ref()),
            other => text(other).contains(&*text(&a[1])),
        }))
    }),
    ("replace", 3, Some(3), |a| {
        Ok(Value::String(
            text(&a[0]).replace(&*text(&a[1]), &text(&a[2])),
        ))
    }),
    ("split", 2, Some(2), |a| {
        Ok(Value::Array(
            text(&a[0])
                .split(&*text(&a[1]))
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ))
    }),
    ("join", 2, Some(2), |a| match &a[0] {
        Value::Array(v) => {
            let sep = text(&a[1]);
            let mut s = String::new();
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    s.push_str(&sep);
                }
                to_text(x, &mut s);
            }
            Ok(Value::String(s))
        }
        other => Err(format!("expects an array, got {}", kind_of(other))),
    }),
    ("number", 1, Some(1), |a| {
        let f = number(&a[0])?;
        Ok(if f.fract() == 0.0 && f.abs() < 9.0e15 {
            Value::from(f as i64)
        } else {
            Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        })
    }),
    ("string", 1, Some(1), |a| {
        Ok(Value::String(text(&a[0]).into_owned()))
    }),
    ("parse_json", 1, Some(1), |a| {
        serde_json::from_str(&text(&a[0])).map_err(|e| format!("not valid JSON: {e}"))
    }),
];

pub(super) fn helper(name: &str) -> Option<&'static HelperSpec> {
    HELPERS.iter().find(|h| h.0 == name)
}

/// The names of all template helpers.
pub fn helper_names() -> impl Iterator<Item = &'static str> {
    HELPERS.iter().map(|h| h.0)
}

fn text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => {
            let mut s = String::new();
            to_text(other, &mut s);
            std::borrow::Cow::Owned(s)
        }
    }
}

fn number(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{s}` is not a number")),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        other => Err(format!("expected a number, got {}", kind_of(other))),
    }
}

fn arith(a: &[Value], f: fn(f64, f64) -> f64) -> Result<Value, String> {
    let r = f(number(&a[0])?, number(&a[1])?);
    Ok(if r.fract() == 0.0 && r.abs() < 9.0e15 {
        Value::from(r as i64)
    } else {
        Number::from_f64(r)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    })
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn cmp(a: &[Value], test: fn(std::cmp::Ordering) -> bool) -> Result<Value, String> {
    let ord = match (&a[0], &a[1]) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => {
            let (x, y) = (number(x)?, number(y)?);
            x.partial_cmp(&y).ok_or("cannot compare NaN")?
        }
    };
    Ok(Value::Bool(test(ord)))
}

/// Refuses a call of `h` with `n` arguments if it takes another number.
pub(super) fn check_arity(h: &HelperSpec, n: usize) -> Result<(), String> {
    let (name, min, max, _) = *h;
    if n < min || max.is_some_and(|m| n > m) {
        let want = match max {
            Some(m) if m == min => format!("{min}"),
            Some(m) => format!("{min} to {m}"),
            None => format!("at least {min}"),
        };
        return Err(format!("helper `{name}` takes {want} argument(s), got {n}"));
    }
    Ok(())
}

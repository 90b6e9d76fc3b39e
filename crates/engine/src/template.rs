//! Templates: handlebars syntax, strict, no HTML escaping, rendered leaf by leaf.
//!
//! Templates only ever render the *string leaves* of a structured config, never a JSON text,
//! so a value can never break out of its string. A leaf that is exactly one `{{…}}`
//! expression yields a typed JSON value; mixed text yields a string.
//!
//! Expressions (paths, literals, helper calls, sub-expressions) are evaluated by our own small
//! evaluator over the [`Scope`]: it is fast (no context is copied), typed, and reports a missing
//! path precisely. Templates with block helpers (`{{#if}}`, `{{#each}}`…) are rendered by the
//! handlebars crate in strict mode with the same helpers registered.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde_json::{Map, Number, Value};

/// How deep `( … )` sub-expressions and `{{#…}}` blocks may nest in one template.
pub const MAX_NESTING: usize = 64;

/// The roots a template may read.
pub const ROOTS: &[&str] = &["trigger", "steps", "item", "index", "execution", "env"];

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
    fn to_value(self) -> Value {
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

/// A template that failed to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderFailure {
    /// The template text as written.
    pub template: String,
    /// The path that was missing, if that was the problem.
    pub missing: Option<String>,
    pub message: String,
}

impl fmt::Display for RenderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template `{}`: {}", self.template, self.message)
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Literal(Value),
    Path(PathRef),
    Call(&'static str, Vec<Expr>),
}

/// A path such as `steps.create_user.body.id`, split into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRef {
    pub text: String,
    pub segments: Vec<String>,
}

impl PathRef {
    /// For `steps.<id>…` paths, the step id.
    pub fn step(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [root, id, ..] if root == "steps" => Some(id),
            _ => None,
        }
    }

    pub fn root(&self) -> &str {
        &self.segments[0]
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Literal(Value),
    Word(String),
}

fn lex(expr: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Token::Open);
            i += 1;
        } else if c == ')' {
            out.push(Token::Close);
            i += 1;
        } else if c == '"' || c == '\'' {
            let quote = c;
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("unterminated string literal in `{expr}`")),
                    Some('\\') if chars.get(i + 1).is_some() => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(&ch) if ch == quote => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Literal(Value::String(s)));
        } else {
            let mut w = String::new();
            while i < chars.len() {
                let ch = chars[i];
                if ch.is_whitespace() || ch == '(' || ch == ')' {
                    break;
                }
                if ch == '[' {
                    // A bracketed segment may hold any character but `]`.
                    while i < chars.len() && chars[i] != ']' {
                        w.push(chars[i]);
                        i += 1;
                    }
                    if i == chars.len() {
                        return Err(format!("`[` without `]` in `{expr}`"));
                    }
                }
                w.push(chars[i]);
                i += 1;
            }
            out.push(word_token(w)?);
        }
    }
    Ok(out)
}

fn word_token(w: String) -> Result<Token, String> {
    Ok(match w.as_str() {
        "true" => Token::Literal(Value::Bool(true)),
        "false" => Token::Literal(Value::Bool(false)),
        "null" | "undefined" => Token::Literal(Value::Null),
        _ => {
            let first = w.chars().next().unwrap_or(' ');
            if first.is_ascii_digit() || (first == '-' && w.len() > 1) {
                if let Ok(n) = w.parse::<i64>() {
                    Token::Literal(Value::from(n))
                } else if let Some(n) = w.parse::<f64>().ok().and_then(Number::from_f64) {
                    Token::Literal(Value::Number(n))
                } else {
                    return Err(format!("`{w}` is not a number"));
                }
            } else if w.contains('=') && !w.starts_with('[') {
                return Err(format!(
                    "named arguments (`{w}`) are not supported; pass arguments in order"
                ));
            } else {
                Token::Word(w)
            }
        }
    })
}

fn parse_path(word: &str) -> Result<PathRef, String> {
    let mut segments = Vec::new();
    let mut rest = word;
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped
                .find(']')
                .ok_or_else(|| format!("`[` without `]` in `{word}`"))?;
            segments.push(stripped[..end].to_string());
            rest = &stripped[end + 1..];
        } else {
            let end = rest.find(['.', '/', '[']).unwrap_or(rest.len());
            if end == 0 {
                return Err(format!("empty segment in path `{word}`"));
            }
            segments.push(rest[..end].to_string());
            rest = &rest[end..];
        }
        if let Some(r) = rest.strip_prefix('.').or_else(|| rest.strip_prefix('/')) {
            if r.is_empty() {
                return Err(format!("path `{word}` ends with a separator"));
            }
            rest = r;
        }
    }
    let root = segments.first().map(String::as_str).unwrap_or("");
    if root == "this" || root.starts_with('@') || root == ".." {
        return Err(format!(
            "`{word}` only has a meaning inside a block such as {{{{#each}}}}"
        ));
    }
    if !ROOTS.contains(&root) {
        return Err(format!(
            "unknown name `{root}`: templates read trigger.*, steps.<id>.*, item, index, execution.*, env.*, or call a helper ({})",
            HELPERS.iter().map(|h| h.0).collect::<Vec<_>>().join(", ")
        ));
    }
    if root == "steps" && segments.len() < 2 {
        return Err("`steps` needs a step id, e.g. `steps.create_user.body.id`".into());
    }
    Ok(PathRef {
        text: word.to_string(),
        segments,
    })
}

fn parse_expr(src: &str) -> Result<Expr, String> {
    let tokens = lex(src)?;
    if tokens.is_empty() {
        return Err("empty expression `{{}}`".into());
    }
    check_depth(&tokens)?;
    let mut pos = 0;
    let e = parse_call_or_atom(&tokens, &mut pos, true)?;
    if pos != tokens.len() {
        return Err(format!("unexpected `{}` in `{src}`", show(&tokens[pos])));
    }
    Ok(e)
}

/// Refuses sub-expressions nested deeper than [`MAX_NESTING`] (before any recursion).
fn check_depth(tokens: &[Token]) -> Result<(), String> {
    let mut depth = 0usize;
    for t in tokens {
        match t {
            Token::Open => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(nesting_error());
                }
            }
            Token::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn nesting_error() -> String {
    format!("nests `( … )` or blocks more than {MAX_NESTING} levels deep")
}

/// In a block template, checks the arguments of every call of one of our helpers (handlebars
/// would call it with whatever it is given). `tokens` is one `{{…}}` without its sigil.
fn check_block_arity(tokens: &[Token]) -> Result<(), String> {
    // Each call starts at the top or after `(`; count the atoms up to its `)`.
    fn call(tokens: &[Token], pos: &mut usize) -> Result<(), String> {
        let start = *pos;
        let mut args = 0;
        while *pos < tokens.len() && tokens[*pos] != Token::Close {
            match &tokens[*pos] {
                Token::Open => {
                    *pos += 1;
                    call(tokens, pos)?;
                    *pos += 1; // the `)`
                }
                Token::Word(w) if *pos > start => {
                    if let Some(h) = helper(w) {
                        // A helper used as a value takes no arguments.
                        check_arity(h, 0)?;
                    }
                    *pos += 1;
                }
                _ => *pos += 1,
            }
            args += 1;
        }
        if let Some(Token::Word(w)) = tokens.get(start)
            && let Some(h) = helper(w)
        {
            check_arity(h, args - 1)?;
        }
        Ok(())
    }
    let mut pos = 0;
    while pos < tokens.len() {
        call(tokens, &mut pos)?;
        pos += 1;
    }
    Ok(())
}

fn show(t: &Token) -> String {
    match t {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Literal(v) => v.to_string(),
        Token::Word(w) => w.clone(),
    }
}

/// At the top level and inside `( … )`, a helper name may take arguments.
fn parse_call_or_atom(tokens: &[Token], pos: &mut usize, top: bool) -> Result<Expr, String> {
    if let Some(Token::Word(w)) = tokens.get(*pos) {
        if let Some(helper) = helper(w) {
            *pos += 1;
            let mut args = Vec::new();
            while *pos < tokens.len() && tokens[*pos] != Token::Close {
                args.push(parse_atom(tokens, pos)?);
            }
            if !top && tokens.get(*pos) != Some(&Token::Close) {
                return Err("`(` without `)`".into());
            }
            check_arity(helper, args.len())?;
            return Ok(Expr::Call(helper.0, args));
        }
        if top && tokens.len() > 1 && !matches!(tokens[1], Token::Close) {
            return Err(format!("unknown helper `{w}`"));
        }
    }
    parse_atom(tokens, pos)
}

fn parse_atom(tokens: &[Token], pos: &mut usize) -> Result<Expr, String> {
    let t = tokens.get(*pos).ok_or("expression ends too early")?;
    *pos += 1;
    match t {
        Token::Literal(v) => Ok(Expr::Literal(v.clone())),
        Token::Word(w) => {
            if let Some(h) = helper(w) {
                // A helper without arguments used as a value, e.g. `(concat "id-" uuid)`.
                check_arity(h, 0)?;
                return Ok(Expr::Call(h.0, Vec::new()));
            }
            Ok(Expr::Path(parse_path(w)?))
        }
        Token::Open => {
            let inner = parse_call_or_atom(tokens, pos, false)?;
            match tokens.get(*pos) {
                Some(Token::Close) => {
                    *pos += 1;
                    Ok(inner)
                }
                _ => Err("`(` without `)`".into()),
            }
        }
        Token::Close => Err("unexpected `)`".into()),
    }
}

fn check_arity(h: &HelperSpec, n: usize) -> Result<(), String> {
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

/// Evaluation result: a value, or a path that does not exist (only `default` accepts that).
enum Eval {
    Value(Value),
    Missing { path: String, message: String },
}

fn eval(e: &Expr, scope: &Scope) -> Result<Eval, String> {
    Ok(match e {
        Expr::Literal(v) => Eval::Value(v.clone()),
        Expr::Path(p) => match lookup(p, scope) {
            Ok(v) => Eval::Value(v.clone()),
            Err(message) => Eval::Missing {
                path: p.text.clone(),
                message,
            },
        },
        Expr::Call(name, args) => {
            if *name == "default" {
                for a in args {
                    if let Eval::Value(v) = eval(a, scope)?
                        && !v.is_null()
                    {
                        return Ok(Eval::Value(v));
                    }
                }
                return Ok(Eval::Value(Value::Null));
            }
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                match eval(a, scope)? {
                    Eval::Value(v) => values.push(v),
                    missing => return Ok(missing),
                }
            }
            let f = helper(name).expect("parsed helpers exist").3;
            Eval::Value(f(&values).map_err(|m| format!("helper `{name}`: {m}"))?)
        }
    })
}

fn lookup<'s>(p: &PathRef, scope: &Scope<'s>) -> Result<&'s Value, String> {
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

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

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

/// Handlebars truthiness: false, null, 0, "" and [] are false.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

type HelperFn = fn(&[Value]) -> Result<Value, String>;
/// name, min args, max args, implementation.
type HelperSpec = (&'static str, usize, Option<usize>, HelperFn);

const HELPERS: &[HelperSpec] = &[
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

fn helper(name: &str) -> Option<&'static HelperSpec> {
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

/// Registers every helper with a handlebars registry (for block templates).
fn register_helpers(hb: &mut Handlebars<'static>) {
    struct H(&'static HelperSpec);
    impl HelperDef for H {
        fn call_inner<'reg: 'rc, 'rc>(
            &self,
            h: &Helper<'rc>,
            _: &'reg Handlebars<'reg>,
            _: &'rc Context,
            _: &mut RenderContext<'reg, 'rc>,
        ) -> Result<ScopedJson<'rc>, RenderError> {
            let args: Vec<Value> = h.params().iter().map(|p| p.value().clone()).collect();
            // Validation checks arity too; never let a helper index past its arguments.
            check_arity(self.0, args.len())
                .and_then(|()| (self.0.3)(&args).map_err(|m| format!("helper `{}`: {m}", self.0.0)))
                .map(ScopedJson::Derived)
                .map_err(|m| RenderErrorReason::Other(m).into())
        }
    }
    for spec in HELPERS {
        hb.register_helper(spec.0, Box::new(H(spec)));
    }
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Expr(Expr),
}

/// One compiled string leaf.
#[derive(Debug, Clone)]
enum Template {
    /// Exactly one `{{…}}`: keeps the JSON type of its value.
    Typed(Expr),
    /// Text mixed with expressions: a string.
    Text(Vec<Part>),
    /// Uses block helpers: rendered by handlebars under this registered name.
    Block(String),
}

/// Splits a string into text and `{{…}}` pieces. Returns `None` if it holds no template.
fn split(src: &str) -> Result<Option<Vec<Piece<'_>>>, String> {
    if !src.contains("{{") {
        return Ok(None);
    }
    let mut pieces = Vec::new();
    let mut rest = src;
    let mut text = String::new();
    while let Some(start) = rest.find("{{") {
        if start > 0 && rest.as_bytes()[start - 1] == b'\\' {
            text.push_str(&rest[..start - 1]);
            text.push_str("{{");
            rest = &rest[start + 2..];
            continue;
        }
        text.push_str(&rest[..start]);
        let after = &rest[start..];
        let (open, close) = if after.starts_with("{{{") {
            (3, "}}}")
        } else {
            (2, "}}")
        };
        let end = after[open..]
            .find(close)
            .ok_or_else(|| format!("`{{{{` without a closing `{close}`"))?;
        let inner = &after[open..open + end];
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        pieces.push(Piece::Expr(inner));
        rest = &after[open + end + close.len()..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(Some(pieces))
}

enum Piece<'a> {
    Text(String),
    Expr(&'a str),
}

fn is_block(inner: &str) -> bool {
    let t = inner.trim_start_matches('~').trim_start();
    t.starts_with(['#', '/', '^', '>', '&', '*']) || t == "else" || t.starts_with("else ")
}

fn is_comment(inner: &str) -> bool {
    inner.trim_start_matches('~').trim_start().starts_with('!')
}

/// A structured value whose string leaves may be templates, compiled once.
#[derive(Debug, Clone)]
pub enum Node {
    /// No template inside: used as it is.
    Static(Value),
    Leaf {
        /// Where the leaf is, e.g. `with.url`.
        path: String,
        source: String,
        template: Compiled,
    },
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

/// Opaque compiled template (public only through [`Node`]).
#[derive(Debug, Clone)]
pub struct Compiled(Template);

/// A problem compiling a template: the path below the compiled value and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileProblem {
    pub path: String,
    pub template: String,
    pub message: String,
}

/// Compiles templates and keeps the handlebars registry for block templates.
pub struct Compiler {
    hb: Handlebars<'static>,
    next: usize,
}

impl Default for Compiler {
    fn default() -> Self {
        Compiler::new()
    }
}

impl fmt::Debug for Compiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiler")
            .field("blocks", &self.next)
            .finish()
    }
}

impl Compiler {
    pub fn new() -> Self {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        register_helpers(&mut hb);
        Compiler { hb, next: 0 }
    }

    /// Compiles every string leaf of `value`; `path` prefixes the paths of problems.
    pub fn compile(
        &mut self,
        value: &Value,
        path: &str,
        problems: &mut Vec<CompileProblem>,
    ) -> Node {
        match value {
            Value::String(s) => match self.compile_str(s) {
                Ok(Some(t)) => Node::Leaf {
                    path: path.to_string(),
                    source: s.clone(),
                    template: Compiled(t),
                },
                Ok(None) => Node::Static(value.clone()),
                Err(message) => {
                    problems.push(CompileProblem {
                        path: path.to_string(),
                        template: s.clone(),
                        message,
                    });
                    Node::Static(value.clone())
                }
            },
            Value::Array(items) => {
                let nodes: Vec<Node> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.compile(v, &crate::source::join_index(path, i), problems))
                    .collect();
                if nodes.iter().all(|n| matches!(n, Node::Static(_))) {
                    Node::Static(value.clone())
                } else {
                    Node::Array(nodes)
                }
            }
            Value::Object(map) => {
                let nodes: Vec<(String, Node)> = map
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            self.compile(v, &crate::source::join_key(path, k), problems),
                        )
                    })
                    .collect();
                if nodes.iter().all(|(_, n)| matches!(n, Node::Static(_))) {
                    Node::Static(value.clone())
                } else {
                    Node::Object(nodes)
                }
            }
            other => Node::Static(other.clone()),
        }
    }

    fn compile_str(&mut self, src: &str) -> Result<Option<Template>, String> {
        let Some(pieces) = split(src)? else {
            return Ok(None);
        };
        if pieces
            .iter()
            .any(|p| matches!(p, Piece::Expr(e) if is_block(e)))
        {
            // Check the expressions we can, then let handlebars parse the whole.
            let mut depth = 0usize;
            for p in &pieces {
                let Piece::Expr(e) = p else { continue };
                if is_comment(e) {
                    continue;
                }
                let t = e.trim_matches('~').trim();
                if t.starts_with(['#', '^']) {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(nesting_error());
                    }
                } else if t.starts_with('/') {
                    depth = depth.saturating_sub(1);
                }
                let t = t.trim_start_matches(['#', '/', '^', '&', '>', '*']);
                let t = t.strip_prefix("else").unwrap_or(t);
                // Block parameters (`as |x|`) are not expressions.
                let t = t.split(" as |").next().unwrap_or(t);
                if let Ok(tokens) = lex(t) {
                    check_depth(&tokens)?;
                    check_block_arity(&tokens)?;
                }
            }
            let name = format!("t{}", self.next);
            self.next += 1;
            self.hb
                .register_template_string(&name, src)
                .map_err(|e| format!("does not parse: {}", e.reason()))?;
            return Ok(Some(Template::Block(name)));
        }
        let mut parts = Vec::new();
        for p in pieces {
            match p {
                Piece::Text(t) => parts.push(Part::Text(t)),
                Piece::Expr(e) if is_comment(e) => {}
                Piece::Expr(e) => {
                    let e = e.trim_matches('~');
                    parts.push(Part::Expr(parse_expr(e).map_err(|m| m.to_string())?));
                }
            }
        }
        Ok(Some(match parts.as_slice() {
            [Part::Expr(e)] => Template::Typed(e.clone()),
            [] => Template::Text(vec![Part::Text(String::new())]),
            _ => Template::Text(parts),
        }))
    }

    /// Renders a compiled node in a scope.
    pub fn render(&self, node: &Node, scope: &Scope) -> Result<Value, RenderFailure> {
        Ok(match node {
            Node::Static(v) => v.clone(),
            Node::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|n| self.render(n, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Object(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, n) in fields {
                    m.insert(k.clone(), self.render(n, scope)?);
                }
                Value::Object(m)
            }
            Node::Leaf {
                source, template, ..
            } => self.render_leaf(source, &template.0, scope)?,
        })
    }

    fn render_leaf(
        &self,
        source: &str,
        t: &Template,
        scope: &Scope,
    ) -> Result<Value, RenderFailure> {
        let fail = |missing: Option<String>, message: String| RenderFailure {
            template: source.to_string(),
            missing,
            message,
        };
        let value_of = |e: &Expr| match eval(e, scope) {
            Ok(Eval::Value(v)) => Ok(v),
            Ok(Eval::Missing { path, message }) => Err(fail(
                Some(path.clone()),
                format!("`{path}` is missing: {message}"),
            )),
            Err(m) => Err(fail(None, m)),
        };
        match t {
            Template::Typed(e) => value_of(e),
            Template::Text(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        Part::Text(s) => out.push_str(s),
                        Part::Expr(e) => to_text(&value_of(e)?, &mut out),
                    }
                }
                Ok(Value::String(out))
            }
            Template::Block(name) => {
                let ctx = Context::from(scope.to_value());
                self.hb
                    .render_with_context(name, &ctx)
                    .map(Value::String)
                    .map_err(|e| {
                        let reason = e.reason();
                        match reason {
                            RenderErrorReason::MissingVariable(Some(path)) => {
                                fail(Some(path.clone()), format!("`{path}` is missing"))
                            }
                            other => fail(None, other.to_string()),
                        }
                    })
            }
        }
    }
}

impl Node {
    /// Every path the templates inside read, with the path of the leaf that reads it.
    pub fn references(&self) -> Vec<(String, PathRef)> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs(&self, out: &mut Vec<(String, PathRef)>) {
        match self {
            Node::Static(_) => {}
            Node::Array(items) => items.iter().for_each(|n| n.collect_refs(out)),
            Node::Object(fields) => fields.iter().for_each(|(_, n)| n.collect_refs(out)),
            Node::Leaf {
                path,
                source,
                template,
            } => {
                let mut refs = Vec::new();
                match &template.0 {
                    Template::Typed(e) => expr_refs(e, &mut refs),
                    Template::Text(parts) => parts.iter().for_each(|p| {
                        if let Part::Expr(e) = p {
                            expr_refs(e, &mut refs)
                        }
                    }),
                    Template::Block(_) => block_refs(source, &mut refs),
                }
                out.extend(refs.into_iter().map(|r| (path.clone(), r)));
            }
        }
    }

    pub fn is_static(&self) -> bool {
        matches!(self, Node::Static(_))
    }
}

fn expr_refs(e: &Expr, out: &mut Vec<PathRef>) {
    match e {
        Expr::Literal(_) => {}
        Expr::Path(p) => out.push(p.clone()),
        Expr::Call(_, args) => args.iter().for_each(|a| expr_refs(a, out)),
    }
}

/// In block templates, only paths under our roots are references (the rest are relative to
/// a block's context, like `this.name` inside `{{#each}}`).
fn block_refs(src: &str, out: &mut Vec<PathRef>) {
    let Ok(Some(pieces)) = split(src) else { return };
    for p in pieces {
        if let Piece::Expr(e) = p {
            let e = e.trim_matches('~').trim_start_matches(['#', '/', '^', '&']);
            if let Ok(tokens) = lex(e) {
                for t in tokens {
                    if let Token::Word(w) = t
                        && ROOTS
                            .iter()
                            .any(|r| w == *r || w.starts_with(&format!("{r}.")))
                        && let Ok(p) = parse_path(&w)
                    {
                        out.push(p);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(tpl: Value, ctx: Value) -> Result<Value, String> {
        let mut c = Compiler::new();
        let mut problems = Vec::new();
        let node = c.compile(&tpl, "", &mut problems);
        if !problems.is_empty() {
            return Err(problems[0].message.clone());
        }
        let steps: HashMap<String, Arc<Value>> = ctx["steps"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Arc::new(v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        let env = ctx["env"].as_object().cloned().unwrap_or_default();
        let scope = Scope {
            trigger: &ctx["trigger"],
            steps: &steps,
            execution: &ctx["execution"],
            env: &env,
            item: ctx.get("item"),
            index: ctx
                .get("index")
                .and_then(|v| v.as_u64())
                .map(|i| i as usize),
        };
        c.render(&node, &scope).map_err(|e| e.to_string())
    }

    fn ctx() -> Value {
        json!({
            "trigger": {"body": {"email": "Ann@Example.com", "amount": 1500, "tags": ["a", "b"], "name": null}},
            "steps": {"create_user": {"status": 201, "body": {"id": 42, "items": [{"n": 1}]}}},
            "env": {"CRM_URL": "http://crm"},
            "execution": {"id": "e1"},
        })
    }

    #[test]
    fn a_single_expression_keeps_its_json_type() {
        assert_eq!(
            render(json!("{{steps.create_user.body.id}}"), ctx()),
            Ok(json!(42))
        );
        assert_eq!(
            render(json!("{{trigger.body.tags}}"), ctx()),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            render(json!("{{gt trigger.body.amount 1000}}"), ctx()),
            Ok(json!(true))
        );
        assert_eq!(
            render(json!(" {{steps.create_user.body.id}}"), ctx()),
            Ok(json!(" 42"))
        );
    }

    #[test]
    fn mixed_text_yields_a_string_and_values_cannot_break_out() {
        assert_eq!(
            render(
                json!({"url": "{{env.CRM_URL}}/users/{{steps.create_user.body.id}}"}),
                ctx()
            ),
            Ok(json!({"url": "http://crm/users/42"}))
        );
        let evil = json!({"trigger": {"body": {"x": "\", \"admin\": true, \""}}});
        assert_eq!(
            render(json!({"name": "{{trigger.body.x}}"}), evil),
            Ok(json!({"name": "\", \"admin\": true, \""}))
        );
    }

    #[test]
    fn array_indexes_work_with_dots_and_brackets() {
        assert_eq!(
            render(json!("{{steps.create_user.body.items.0.n}}"), ctx()),
            Ok(json!(1))
        );
        assert_eq!(
            render(json!("{{steps.create_user.body.items.[0].n}}"), ctx()),
            Ok(json!(1))
        );
    }

    #[test]
    fn a_missing_path_names_the_template_and_the_path() {
        let err = render(json!("id={{steps.create_user.body.idd}}"), ctx()).unwrap_err();
        assert!(
            err.contains("template `id={{steps.create_user.body.idd}}`"),
            "{err}"
        );
        assert!(
            err.contains("`steps.create_user.body` has no field `idd`"),
            "{err}"
        );
    }

    #[test]
    fn default_covers_missing_and_null_values() {
        assert_eq!(
            render(json!("{{default trigger.body.nope \"x\"}}"), ctx()),
            Ok(json!("x"))
        );
        assert_eq!(
            render(json!("{{default trigger.body.name \"anon\"}}"), ctx()),
            Ok(json!("anon"))
        );
        assert_eq!(
            render(json!("{{default steps.gone.body 1}}"), ctx()),
            Ok(json!(1))
        );
    }

    #[test]
    fn helpers_do_what_they_say() {
        let c = ctx();
        let r = |t: &str| render(json!(t), c.clone()).unwrap();
        assert_eq!(r("{{lower trigger.body.email}}"), json!("ann@example.com"));
        assert_eq!(r("{{upper (trim \" x \")}}"), json!("X"));
        assert_eq!(r("{{len trigger.body.tags}}"), json!(2));
        assert_eq!(r("{{concat \"a\" 1 true}}"), json!("a1true"));
        assert_eq!(r("{{json trigger.body.tags}}"), json!("[\"a\",\"b\"]"));
        assert_eq!(r("{{base64 \"hi\"}}"), json!("aGk="));
        assert_eq!(r("{{base64_decode \"aGk=\"}}"), json!("hi"));
        assert_eq!(r("{{url_encode \"a b&c\"}}"), json!("a%20b%26c"));
        assert_eq!(r("{{and (eq 1 1) (ne 1 2) (not false)}}"), json!(true));
        assert_eq!(r("{{or (lt 2 1) (lte 1 1)}}"), json!(true));
        assert_eq!(r("{{gte \"1500\" 1000}}"), json!(true));
        assert_eq!(r("{{add 1 2}}"), json!(3));
        assert_eq!(r("{{len (uuid)}}"), json!(36));
        assert!(r("{{now}}").as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn block_helpers_render_through_handlebars() {
        assert_eq!(
            render(
                json!("{{#each trigger.body.tags}}[{{this}}]{{/each}}"),
                ctx()
            ),
            Ok(json!("[a][b]"))
        );
        assert_eq!(
            render(
                json!("{{#if (gt trigger.body.amount 1000)}}big{{else}}small{{/if}}"),
                ctx()
            ),
            Ok(json!("big"))
        );
    }

    #[test]
    fn bad_templates_are_refused_at_compile_time() {
        assert!(
            render(json!("{{nope 1 2}}"), ctx())
                .unwrap_err()
                .contains("unknown helper `nope`")
        );
        assert!(
            render(json!("{{foo.bar}}"), ctx())
                .unwrap_err()
                .contains("unknown name `foo`")
        );
        assert!(
            render(json!("{{steps.a"), ctx())
                .unwrap_err()
                .contains("without a closing")
        );
        assert!(
            render(json!("{{gt 1}}"), ctx())
                .unwrap_err()
                .contains("takes 2 argument(s)")
        );
        assert!(
            render(json!("{{#if x}}"), ctx())
                .unwrap_err()
                .contains("does not parse")
        );
    }

    #[test]
    fn escaped_braces_stay_literal() {
        assert_eq!(
            render(json!("\\{{not a template}}"), ctx()),
            Ok(json!("{{not a template}}"))
        );
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;
    use serde_json::json;

    fn problems(tpl: &str) -> Vec<CompileProblem> {
        let mut c = Compiler::new();
        let mut problems = Vec::new();
        c.compile(&json!(tpl), "with.x", &mut problems);
        problems
    }

    #[test]
    fn block_templates_check_helper_arity() {
        for tpl in [
            "{{#if trigger.x}}{{upper}}{{/if}}",
            "{{#if (eq trigger.x)}}a{{/if}}",
            "{{#each trigger.items}}{{concat \"a\" (lower)}}{{/each}}",
            "{{#if trigger.x}}{{replace this \"a\"}}{{else}}{{trim 1 2}}{{/if}}",
        ] {
            let p = problems(tpl);
            assert_eq!(p.len(), 1, "{tpl}: {p:?}");
            assert!(p[0].message.contains("argument(s), got"), "{tpl}: {p:?}");
        }
        for tpl in [
            "{{#if trigger.x}}{{upper trigger.x}}{{/if}}",
            "{{#each (split trigger.s \",\")}}{{concat \"id-\" uuid this}}{{/each}}",
            "{{#each trigger.items as |it|}}{{upper it}}{{/each}}",
        ] {
            assert!(problems(tpl).is_empty(), "{tpl}: {:?}", problems(tpl));
        }
    }

    #[test]
    fn helpers_called_wrongly_at_render_fail_instead_of_panicking() {
        // Past validation (e.g. a registry built by hand), a wrong call is a render error.
        let mut hb = Handlebars::new();
        register_helpers(&mut hb);
        hb.register_template_string("t", "{{upper}}").unwrap();
        let e = hb.render("t", &json!({})).unwrap_err();
        assert!(e.to_string().contains("takes 1 argument(s), got 0"), "{e}");
    }

    #[test]
    fn deep_nesting_is_a_problem_not_a_stack_overflow() {
        let n = 100_000;
        let deep = format!("{{{{{}trigger.x{}}}}}", "(".repeat(n), ")".repeat(n));
        let p = problems(&deep);
        assert!(p[0].message.contains("levels deep"), "{p:?}");
        let block = format!(
            "{{{{#if trigger.x}}}}{{{{upper {}trigger.x{}}}}}{{{{/if}}}}",
            "(".repeat(n),
            ")".repeat(n)
        );
        assert!(problems(&block)[0].message.contains("levels deep"));
        let blocks = format!("{}x{}", "{{#if trigger.x}}".repeat(n), "{{/if}}".repeat(n));
        assert!(problems(&blocks)[0].message.contains("levels deep"));
        // Within the limit, nesting works.
        let ok = format!(
            "{{{{{}trigger.x{}}}}}",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert!(problems(&ok).is_empty());
    }
}

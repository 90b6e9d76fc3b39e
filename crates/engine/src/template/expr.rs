//! Expressions — paths, literals, helper calls, `( … )` sub-expressions — parsed from tokens and
//! evaluated over a [`Scope`] without copying it.

use serde_json::Value;

use super::ROOTS;
use super::helpers::{check_arity, helper, helper_names};
use super::lexer::{Token, check_depth, lex, show};
use super::scope::{Scope, lookup};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
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

pub(super) fn parse_path(word: &str) -> Result<PathRef, String> {
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
            helper_names().collect::<Vec<_>>().join(", ")
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

/// Parses the inside of one `{{…}}`.
pub(super) fn parse_expr(src: &str) -> Result<Expr, String> {
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

/// Evaluation result: a value, or a path that does not exist (only `default` accepts that).
pub(super) enum Eval {
    Value(Value),
    Missing { path: String, message: String },
}

pub(super) fn eval(e: &Expr, scope: &Scope) -> Result<Eval, String> {
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

/// Every path an expression reads.
pub(super) fn expr_refs(e: &Expr, out: &mut Vec<PathRef>) {
    match e {
        Expr::Literal(_) => {}
        Expr::Path(p) => out.push(p.clone()),
        Expr::Call(_, args) => args.iter().for_each(|a| expr_refs(a, out)),
    }
}

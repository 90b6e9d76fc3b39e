//! Lexing at two levels: a string leaf into text and `{{…}}` pieces ([`split`]), and the
//! inside of one `{{…}}` into tokens ([`lex`]).

use serde_json::{Number, Value};

use super::MAX_NESTING;

/// A piece of a string leaf.
pub(super) enum Piece<'a> {
    Text(String),
    /// The inside of one `{{…}}` (or `{{{…}}}`), without the braces.
    Expr(&'a str),
}

/// Splits a string into text and `{{…}}` pieces. Returns `None` if it holds no template.
pub(super) fn split(src: &str) -> Result<Option<Vec<Piece<'_>>>, String> {
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

/// Whether one `{{…}}` belongs to a block template (`{{#…}}`, `{{/…}}`, `{{else}}`, …).
pub(super) fn is_block(inner: &str) -> bool {
    let t = inner.trim_start_matches('~').trim_start();
    t.starts_with(['#', '/', '^', '>', '&', '*']) || t == "else" || t.starts_with("else ")
}

/// Whether one `{{…}}` is a comment (`{{! … }}`).
pub(super) fn is_comment(inner: &str) -> bool {
    inner.trim_start_matches('~').trim_start().starts_with('!')
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Open,
    Close,
    Literal(Value),
    Word(String),
}

pub(super) fn lex(expr: &str) -> Result<Vec<Token>, String> {
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

/// How a token was written (for messages).
pub(super) fn show(t: &Token) -> String {
    match t {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Literal(v) => v.to_string(),
        Token::Word(w) => w.clone(),
    }
}

/// Refuses sub-expressions nested deeper than [`MAX_NESTING`] (before any recursion).
pub(super) fn check_depth(tokens: &[Token]) -> Result<(), String> {
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

pub(super) fn nesting_error() -> String {
    format!("nests `( … )` or blocks more than {MAX_NESTING} levels deep")
}

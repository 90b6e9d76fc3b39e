//! Block templates (`{{#if}}`, `{{#each}}`, …): checked here as far as our syntax goes, then
//! parsed and rendered by the handlebars crate in strict mode with the same helpers registered.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, Renderable, ScopedJson,
};
use serde_json::Value;

use super::expr::{PathRef, parse_path};
use super::helpers::{HELPERS, HelperSpec, check_arity, helper};
use super::lexer::{Piece, Token, check_depth, is_comment, lex, nesting_error, split};
use super::scope::Scope;
use super::value::truthy;
use super::{MAX_NESTING, ROOTS};

/// The handlebars registry holding every block template compiled so far.
pub(super) struct Blocks {
    hb: Handlebars<'static>,
    next: usize,
}

impl Blocks {
    pub(super) fn new() -> Self {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        register_helpers(&mut hb);
        Blocks { hb, next: 0 }
    }

    /// How many block templates were registered.
    pub(super) fn count(&self) -> usize {
        self.next
    }

    /// Checks the expressions we can, then lets handlebars parse the whole; returns the name
    /// the template is registered under.
    pub(super) fn register(&mut self, src: &str, pieces: &[Piece]) -> Result<String, String> {
        check(pieces)?;
        let name = format!("t{}", self.next);
        self.next += 1;
        self.hb
            .register_template_string(&name, src)
            .map_err(|e| format!("does not parse: {}", e.reason()))?;
        Ok(name)
    }

    /// Renders a registered block template: the text, or the missing path (if that was the
    /// problem) and a message.
    pub(super) fn render(
        &self,
        name: &str,
        scope: &Scope,
    ) -> Result<String, (Option<String>, String)> {
        let ctx = Context::from(scope.to_value());
        self.hb.render_with_context(name, &ctx).map_err(|e| {
            let reason = e.reason();
            match reason {
                RenderErrorReason::MissingVariable(Some(path)) => {
                    (Some(path.clone()), format!("`{path}` is missing"))
                }
                other => (None, other.to_string()),
            }
        })
    }
}

/// Checks what handlebars would let through: nesting depth, and the arguments of our helpers.
fn check(pieces: &[Piece]) -> Result<(), String> {
    let mut depth = 0usize;
    for p in pieces {
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
    Ok(())
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

/// Registers every helper with a handlebars registry (for block templates), and `{{#if}}` /
/// `{{#unless}}` deciding by [`truthy`].
pub(super) fn register_helpers(hb: &mut Handlebars<'static>) {
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
    hb.register_helper("if", Box::new(If { positive: true }));
    hb.register_helper("unless", Box::new(If { positive: false }));
}

/// `{{#if}}` and `{{#unless}}` by our truthiness ([`truthy`]) instead of handlebars' own (for
/// which `{}` is false and `"false"` true); otherwise as handlebars' `IfHelper`, error message
/// and `includeZero=true` (0 is true) included.
struct If {
    positive: bool,
}

impl HelperDef for If {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("if", 0))?;
        let include_zero = h
            .hash_get("includeZero")
            .and_then(|v| v.value().as_bool())
            .unwrap_or(false);
        let value = param.value();
        let truth = truthy(value) || (include_zero && value.is_number());
        let branch = if truth == self.positive {
            h.template()
        } else {
            h.inverse()
        };
        match branch {
            Some(t) => t.render(r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// In block templates, only paths under our roots are references (the rest are relative to
/// a block's context, like `this.name` inside `{{#each}}`).
pub(super) fn block_refs(src: &str, out: &mut Vec<PathRef>) {
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

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
//!
//! The parts: `lexer` (a leaf into text and `{{…}}` pieces, an expression into tokens),
//! `expr` (parsing and evaluating expressions), `helpers` (the helper table), `block`
//! (block templates, through handlebars), `scope` (what templates read), `value` (how a
//! value reads as text and as a truth) and `compiler` (leaves → [`Node`], rendering).

use std::fmt;

mod block;
mod compiler;
mod expr;
mod helpers;
mod lexer;
mod scope;
mod value;

pub use compiler::{CompileProblem, Compiled, Compiler, Node};
pub use expr::PathRef;
pub use helpers::helper_names;
pub use scope::Scope;
pub use value::{TRUTH_CASES, to_text, truthy};

/// How deep `( … )` sub-expressions and `{{#…}}` blocks may nest in one template.
pub const MAX_NESTING: usize = 64;

/// The roots a template may read.
pub const ROOTS: &[&str] = &["trigger", "steps", "item", "index", "execution", "env"];

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

#[cfg(test)]
mod tests;

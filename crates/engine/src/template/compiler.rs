//! The [`Compiler`]: a config value → a [`Node`] with compiled string leaves, and rendering
//! a node in a [`Scope`].

use std::fmt;

use serde_json::{Map, Value};

use super::RenderFailure;
use super::block::{Blocks, block_refs};
use super::expr::{Eval, Expr, PathRef, eval, expr_refs, parse_expr};
use super::lexer::{Piece, is_block, is_comment, split};
use super::scope::Scope;
use super::value::to_text;

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
    blocks: Blocks,
}

impl Default for Compiler {
    fn default() -> Self {
        Compiler::new()
    }
}

impl fmt::Debug for Compiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiler")
            .field("blocks", &self.blocks.count())
            .finish()
    }
}

impl Compiler {
    pub fn new() -> Self {
        Compiler {
            blocks: Blocks::new(),
        }
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
            return Ok(Some(Template::Block(self.blocks.register(src, &pieces)?)));
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
            Template::Block(name) => self
                .blocks
                .render(name, scope)
                .map(Value::String)
                .map_err(|(missing, message)| fail(missing, message)),
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

//! Validation and compilation: a [`Workflow`] becomes a [`Plan`] the executor runs, or a list
//! of every [`Problem`] found, each with its path, step and field.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::Value;

use crate::action::{Action, Registry};
use crate::duration;
use crate::error::Problem;
use crate::model::{Backoff, Dependency, Trigger, Workflow};
use crate::template::{CompileProblem, Compiler, Node, PathRef};

/// How often and how patiently a step is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub backoff: Backoff,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        backoff: Backoff::Exponential,
        initial_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(300),
    };

    /// The delay after failed attempt number `attempt` (1-based), with ±20 % jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let base = match self.backoff {
            Backoff::Fixed => self.initial_delay,
            Backoff::Exponential => self
                .initial_delay
                .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30))),
        }
        .min(self.max_delay);
        let jitter = 0.8 + fastrand::f64() * 0.4;
        base.mul_f64(jitter).min(self.max_delay)
    }
}

/// One step, ready to run.
pub struct PlannedStep {
    pub id: String,
    pub action_kind: String,
    pub action: Arc<dyn Action>,
    pub config: Node,
    pub for_each: Option<Node>,
    /// Predecessors: step index and, for branching predecessors, the port this edge leaves from.
    pub inputs: Vec<(usize, Option<String>)>,
    pub successors: Vec<usize>,
    pub retry: RetryPolicy,
    pub timeout: Option<Duration>,
    pub concurrency: usize,
    pub continue_on_error: bool,
    /// Step ids whose outputs the templates of this step read.
    pub reads_steps: Vec<String>,
    /// The action changes nothing outside Weft ([`Action::is_safe`]).
    pub safe: bool,
}

/// A validated, compiled workflow.
pub struct Plan {
    pub workflow: Workflow,
    pub steps: Vec<PlannedStep>,
    /// The workflow's `concurrency:`, its key compiled.
    pub concurrency: Option<PlannedConcurrency>,
    pub(crate) compiler: Compiler,
    pub timeout: Option<Duration>,
    /// A sync webhook's `on_failure` answer (`{status, headers, body}`), compiled.
    pub(crate) on_failure: Option<Node>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("workflow", &self.workflow.name)
            .field(
                "steps",
                &self.steps.iter().map(|s| &s.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Plan {
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }
}

/// A workflow's compiled `concurrency:` (see [`Plan::concurrency_group`]).
#[derive(Debug, Clone)]
pub struct PlannedConcurrency {
    pub limit: u32,
    /// The compiled `key` template (reads `trigger` only).
    key: Option<Node>,
}

/// The longest concurrency key a request may render, in bytes: a key is an indexed column.
pub const MAX_CONCURRENCY_KEY: usize = 256;

impl Plan {
    /// The concurrency group an execution started by `trigger` belongs to and the group's
    /// limit: `None` for a workflow without `concurrency:`; the key is the rendered `key`
    /// (empty without one). An error names `concurrency.key` and what went wrong (a missing
    /// field, a null, a key longer than [`MAX_CONCURRENCY_KEY`]).
    pub fn concurrency_group(
        &self,
        trigger: &crate::journal::TriggerEvent,
    ) -> Result<Option<(String, u32)>, String> {
        let Some(c) = &self.concurrency else {
            return Ok(None);
        };
        let key = match &c.key {
            None => String::new(),
            Some(Node::Static(v)) => key_text(v.clone())?,
            Some(node) => {
                let trigger = trigger.to_value();
                let steps = HashMap::new();
                let env = serde_json::Map::new();
                let scope = crate::template::Scope {
                    trigger: &trigger,
                    steps: &steps,
                    execution: &Value::Null,
                    env: &env,
                    item: None,
                    index: None,
                };
                let v = self
                    .compiler
                    .render(node, &scope)
                    .map_err(|e| format!("concurrency.key: {e}"))?;
                key_text(v)?
            }
        };
        Ok(Some((key, c.limit)))
    }
}

/// A rendered concurrency key as text: a string as it is, a number or boolean as JSON.
fn key_text(v: Value) -> Result<String, String> {
    let text = match v {
        Value::String(s) => s,
        Value::Null => {
            return Err(
                "concurrency.key: the key rendered to null; the request lacks the field it names"
                    .into(),
            );
        }
        v @ (Value::Bool(_) | Value::Number(_)) => v.to_string(),
        Value::Array(_) | Value::Object(_) => {
            return Err(
                "concurrency.key: the key rendered to an array or object; name a string or number field"
                    .into(),
            );
        }
    };
    if text.len() > MAX_CONCURRENCY_KEY {
        return Err(format!(
            "concurrency.key: the key is {} bytes long, more than {MAX_CONCURRENCY_KEY}",
            text.len()
        ));
    }
    Ok(text)
}

/// `concurrency:` of the workflow: `limit` at least 1, `key` a template reading `trigger` only.
fn compile_concurrency(
    workflow: &Workflow,
    compiler: &mut Compiler,
    c: &mut Check,
) -> Option<PlannedConcurrency> {
    let limits = workflow.concurrency.as_ref()?;
    if limits.limit == 0 {
        c.doc(
            "concurrency.limit",
            "`limit` is how many executions run at once: at least 1",
        );
    }
    let key = limits.key.as_ref().map(|key| {
        if key.trim().is_empty() {
            c.doc(
                "concurrency.key",
                "the key is empty: leave `key` out for one limit over all executions, or name a trigger field, e.g. \"{{trigger.body.customer_id}}\"",
            );
        }
        let mut problems = Vec::new();
        let node = compiler.compile(&Value::String(key.clone()), "concurrency.key", &mut problems);
        for p in problems {
            c.doc(
                "concurrency.key",
                format!("template `{}` {}", p.template, with_verb(&p.message)),
            );
        }
        for (_, r) in node.references() {
            if r.root() != "trigger" {
                c.doc(
                    "concurrency.key",
                    format!(
                        "`{}`: the key is rendered when the execution is queued, before any step runs, so it may read `trigger` only",
                        r.text
                    ),
                );
            }
        }
        node
    });
    Some(PlannedConcurrency {
        limit: limits.limit,
        key,
    })
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_lowercase())
        && chars.all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit())
}

struct Check {
    problems: Vec<Problem>,
}

impl Check {
    fn doc(&mut self, path: &str, message: impl Into<String>) {
        let mut p = Problem::new(path, message);
        if !path.is_empty() {
            p.field = Some(path.to_string());
        }
        self.problems.push(p);
    }

    fn step(&mut self, index: usize, id: &str, field: &str, message: impl Into<String>) {
        let path = if field.is_empty() {
            format!("steps[{index}]")
        } else {
            format!("steps[{index}].{field}")
        };
        let mut p = Problem::new(path, message);
        p.step = Some(id.to_string());
        if !field.is_empty() {
            p.field = Some(field.to_string());
        }
        self.problems.push(p);
    }

    fn duration(
        &mut self,
        text: &Option<String>,
        on_error: impl FnOnce(&mut Self, String),
    ) -> Option<Duration> {
        let t = text.as_ref()?;
        match duration::parse(t) {
            Ok(d) => Some(d),
            Err(e) => {
                on_error(self, e);
                None
            }
        }
    }
}

/// Validates and compiles a workflow. Every problem found is returned, none is fatal early.
pub fn compile(workflow: Workflow, registry: &Registry) -> Result<Plan, Vec<Problem>> {
    let mut c = Check {
        problems: Vec::new(),
    };
    check_document(&workflow, registry, &mut c);
    let index_of = check_step_ids(&workflow, &mut c);
    let actions = check_actions(&workflow, registry, &mut c);
    let inputs = check_dependencies(&workflow, &index_of, &actions, &mut c);
    let cyclic = check_cycles(&workflow, &inputs, &mut c);
    let ancestors = ancestors(&inputs, cyclic);
    let upstream = Upstream {
        workflow: &workflow,
        index_of: &index_of,
        ancestors: &ancestors,
        cyclic,
    };
    let mut compiler = Compiler::new();
    let templates = compile_templates(&upstream, &mut compiler, &mut c);
    let concurrency = compile_concurrency(&workflow, &mut compiler, &mut c);
    let options = check_step_options(&workflow, &mut c);
    let timeout = c.duration(&workflow.timeout, |c, e| c.doc("timeout", e));
    let on_failure = compile_on_failure(&workflow, &mut compiler, &mut c);
    if let Some(on_error) = &workflow.on_error
        && on_error.workflow.trim().is_empty()
    {
        c.doc(
            "on_error.workflow",
            "name the workflow to run when an execution fails (its `name:`)",
        );
    }
    if let Some(r) = &workflow.retention {
        c.duration(&r.older_than, |c, e| c.doc("retention.older_than", e));
        if r.keep == Some(0) {
            c.doc(
                "retention.keep",
                "keep at least 1 execution (`retention: {}` keeps them all)",
            );
        }
    }
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let steps = planned_steps(&workflow, actions, templates, inputs, options);
    Ok(Plan {
        workflow,
        steps,
        concurrency,
        compiler,
        timeout,
        on_failure,
    })
}

/// A sync webhook's `on_failure` answer: a literal status is a 4xx or 5xx, templates compile.
fn compile_on_failure(workflow: &Workflow, compiler: &mut Compiler, c: &mut Check) -> Option<Node> {
    let Trigger::Webhook(hook) = &workflow.trigger else {
        return None;
    };
    let on_failure = hook.on_failure.as_ref()?;
    if hook.respond != Some(crate::model::RespondMode::Sync) {
        c.doc(
            "trigger.on_failure",
            "`on_failure` is the answer of a sync webhook: set `respond: sync` (an async webhook answers 202 before the execution runs)",
        );
    }
    match &on_failure.status {
        None => {}
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (400..=599).contains(&n)) => {}
        Some(Value::String(s)) if s.contains("{{") => {}
        Some(other) => c.doc(
            "trigger.on_failure.status",
            format!("the answer to a failed execution needs a 4xx or 5xx status, not {other}"),
        ),
    }
    let value = serde_json::to_value(on_failure).unwrap_or(Value::Null);
    let mut problems = Vec::new();
    let node = compiler.compile(&value, "trigger.on_failure", &mut problems);
    for p in problems {
        c.doc(
            &p.path,
            format!("template `{}` {}", p.template, with_verb(&p.message)),
        );
    }
    Some(node)
}

/// Step ids are valid and unique; returns the index of each id's first step.
fn check_step_ids<'w>(workflow: &'w Workflow, c: &mut Check) -> HashMap<&'w str, usize> {
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    for (i, s) in workflow.steps.iter().enumerate() {
        if !valid_id(&s.id) {
            c.step(i, &s.id, "id", format!(
                "`{}` is not a valid step id: use lower-case letters, digits and `_`, starting with a letter or `_`",
                s.id
            ));
        }
        if let Some(&first) = index_of.get(s.id.as_str()) {
            c.step(
                i,
                &s.id,
                "id",
                format!(
                    "duplicate step id `{}` (first used by step #{})",
                    s.id,
                    first + 1
                ),
            );
        } else {
            index_of.insert(&s.id, i);
        }
    }
    index_of
}

/// Each step's action exists and accepts its config; returns the actions found.
fn check_actions(
    workflow: &Workflow,
    registry: &Registry,
    c: &mut Check,
) -> Vec<Option<Arc<dyn Action>>> {
    let mut actions: Vec<Option<Arc<dyn Action>>> = Vec::with_capacity(workflow.steps.len());
    for (i, s) in workflow.steps.iter().enumerate() {
        let action = registry.get(&s.action);
        match &action {
            None => c.step(i, &s.id, "action", registry.why_unknown(&s.action)),
            Some(a) => {
                let config = s
                    .config
                    .clone()
                    .unwrap_or(Value::Object(Default::default()));
                for p in a.validate(&config) {
                    let field = if p.field.is_empty() {
                        "with".to_string()
                    } else {
                        format!("with.{}", p.field)
                    };
                    c.step(i, &s.id, &field, p.message);
                }
                if let (Some(why), Some(_)) = (a.per_item_refusal(), &s.for_each) {
                    c.step(i, &s.id, "for_each", why.to_string());
                }
            }
        }
        actions.push(action);
    }
    actions
}

/// Each `after` entry (or the implied previous step) names another existing step, once, and
/// a port it has; returns each step's inputs (step index, port).
fn check_dependencies(
    workflow: &Workflow,
    index_of: &HashMap<&str, usize>,
    actions: &[Option<Arc<dyn Action>>],
    c: &mut Check,
) -> Vec<Vec<(usize, Option<String>)>> {
    let mut inputs: Vec<Vec<(usize, Option<String>)>> = vec![Vec::new(); workflow.steps.len()];
    for (i, s) in workflow.steps.iter().enumerate() {
        let entries: Vec<String> = match &s.after {
            Some(list) => list.clone(),
            None if i > 0 => vec![workflow.steps[i - 1].id.clone()],
            None => Vec::new(),
        };
        let mut seen = HashSet::new();
        for (k, entry) in entries.iter().enumerate() {
            let field = if s.after.is_some() {
                format!("after[{k}]")
            } else {
                "after".to_string()
            };
            let dep = Dependency::parse(entry);
            let Some(&j) = index_of.get(dep.step) else {
                c.step(
                    i,
                    &s.id,
                    &field,
                    format!("`after` names step `{}`, which does not exist", dep.step),
                );
                continue;
            };
            if j == i {
                c.step(i, &s.id, &field, "a step cannot run after itself");
                continue;
            }
            if !seen.insert(entry.as_str()) {
                c.step(i, &s.id, &field, format!("`{entry}` is listed twice"));
                continue;
            }
            if let Some(port) = dep.port {
                let config = workflow.steps[j].config.clone().unwrap_or(Value::Null);
                match actions[j].as_ref().map(|a| a.ports(&config)) {
                    Some(Some(ports)) if !ports.iter().any(|p| p == port) => c.step(
                        i,
                        &s.id,
                        &field,
                        format!(
                            "step `{}` has no output port `{port}`; its ports are: {}",
                            dep.step,
                            ports.join(", ")
                        ),
                    ),
                    Some(None) => c.step(
                        i,
                        &s.id,
                        &field,
                        format!(
                            "step `{}` (action `{}`) has a single output; write `{}` without a port",
                            dep.step, workflow.steps[j].action, dep.step
                        ),
                    ),
                    _ => {}
                }
            }
            inputs[i].push((j, dep.port.map(str::to_string)));
        }
    }
    inputs
}

/// Names the steps on each cycle; returns whether there is one.
fn check_cycles(
    workflow: &Workflow,
    inputs: &[Vec<(usize, Option<String>)>],
    c: &mut Check,
) -> bool {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..inputs.len()).map(|i| graph.add_node(i)).collect();
    for (i, ins) in inputs.iter().enumerate() {
        for (j, _) in ins {
            graph.add_edge(nodes[*j], nodes[i], ());
        }
    }
    let mut cyclic = false;
    for scc in tarjan_scc(&graph) {
        if scc.len() > 1 {
            cyclic = true;
            let mut idx: Vec<usize> = scc.iter().map(|n| graph[*n]).collect();
            idx.sort();
            let names: Vec<&str> = idx.iter().map(|&i| workflow.steps[i].id.as_str()).collect();
            let first = idx[0];
            c.step(
                first,
                &workflow.steps[first].id,
                "after",
                format!(
                    "the steps {} depend on each other in a cycle: {} → {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    names.join(" → "),
                    names[0]
                ),
            );
        }
    }
    cyclic
}

/// Each step's ancestors (for "is this reference upstream?"), computed once per step; all
/// empty if the graph has a cycle.
fn ancestors(inputs: &[Vec<(usize, Option<String>)>], cyclic: bool) -> Vec<HashSet<usize>> {
    if cyclic {
        vec![HashSet::new(); inputs.len()]
    } else {
        let mut memo: Vec<Option<HashSet<usize>>> = vec![None; inputs.len()];
        (0..inputs.len())
            .map(|i| ancestors_of(i, inputs, &mut memo).clone())
            .collect()
    }
}

/// What a step's templates may read: the steps upstream of it.
struct Upstream<'a> {
    workflow: &'a Workflow,
    index_of: &'a HashMap<&'a str, usize>,
    ancestors: &'a [HashSet<usize>],
    cyclic: bool,
}

/// A step's compiled `with` and `for_each`, and the step ids they read.
type StepTemplates = (Node, Option<Node>, Vec<String>);

/// Compiles every step's templates and checks what they read.
fn compile_templates(
    upstream: &Upstream,
    compiler: &mut Compiler,
    c: &mut Check,
) -> Vec<StepTemplates> {
    let mut compiled: Vec<StepTemplates> = Vec::new();
    for (i, s) in upstream.workflow.steps.iter().enumerate() {
        let mut tp: Vec<CompileProblem> = Vec::new();
        let config = s
            .config
            .clone()
            .unwrap_or(Value::Object(Default::default()));
        let node = compiler.compile(&config, "with", &mut tp);
        let for_each = s
            .for_each
            .as_ref()
            .map(|f| compiler.compile(f, "for_each", &mut tp));
        for p in tp {
            c.step(
                i,
                &s.id,
                &p.path,
                format!("template `{}` {}", p.template, with_verb(&p.message)),
            );
        }
        let mut reads = Vec::new();
        check_refs(
            &node.references(),
            i,
            s.for_each.is_some(),
            upstream,
            c,
            &mut reads,
        );
        if let Some(f) = &for_each {
            check_refs(&f.references(), i, false, upstream, c, &mut reads);
            if let (Node::Static(v), false) = (f, matches!(s.for_each, Some(Value::Array(_)))) {
                c.step(i, &s.id, "for_each", format!(
                    "`for_each` must be a template yielding an array (e.g. \"{{{{trigger.body.items}}}}\") or a list, not {v}"
                ));
            }
        }
        reads.sort();
        reads.dedup();
        compiled.push((node, for_each, reads));
    }
    compiled
}

/// A step's retry policy and timeout.
type StepOptions = (RetryPolicy, Option<Duration>);

/// Checks `retry`, `timeout` and `concurrency` of every step.
fn check_step_options(workflow: &Workflow, c: &mut Check) -> Vec<StepOptions> {
    let mut options = Vec::with_capacity(workflow.steps.len());
    for (i, s) in workflow.steps.iter().enumerate() {
        let mut policy = RetryPolicy::NONE;
        if let Some(r) = &s.retry {
            if !(1..=100).contains(&r.max_attempts) {
                c.step(
                    i,
                    &s.id,
                    "retry.max_attempts",
                    format!("must be between 1 and 100, not {}", r.max_attempts),
                );
            }
            policy.max_attempts = r.max_attempts.clamp(1, 100);
            policy.backoff = r.backoff.unwrap_or_default();
            if let Some(d) = c.duration(&r.initial_delay, |c, e| {
                c.step(i, &s.id, "retry.initial_delay", e)
            }) {
                policy.initial_delay = d;
            }
            if let Some(d) = c.duration(&r.max_delay, |c, e| c.step(i, &s.id, "retry.max_delay", e))
            {
                policy.max_delay = d;
            }
        }
        let timeout = c.duration(&s.timeout, |c, e| c.step(i, &s.id, "timeout", e));
        options.push((policy, timeout));
        if let Some(n) = s.concurrency {
            if n == 0 {
                c.step(i, &s.id, "concurrency", "must be at least 1");
            } else if s.for_each.is_none() {
                c.step(
                    i,
                    &s.id,
                    "concurrency",
                    "only applies to a step with `for_each`",
                );
            }
        }
    }
    options
}

/// The checked workflow's steps, ready to run.
fn planned_steps(
    workflow: &Workflow,
    actions: Vec<Option<Arc<dyn Action>>>,
    templates: Vec<StepTemplates>,
    mut inputs: Vec<Vec<(usize, Option<String>)>>,
    options: Vec<StepOptions>,
) -> Vec<PlannedStep> {
    let mut successors = vec![Vec::new(); workflow.steps.len()];
    for (i, ins) in inputs.iter().enumerate() {
        for (j, _) in ins {
            successors[*j].push(i);
        }
    }
    workflow
        .steps
        .iter()
        .zip(actions)
        .zip(templates.into_iter().zip(options))
        .enumerate()
        .map(
            |(i, ((s, action), ((config, for_each, reads), (retry, timeout))))| {
                let action = action.expect("checked above");
                let safe = action.is_safe(s.config.as_ref().unwrap_or(&Value::Null));
                PlannedStep {
                    id: s.id.clone(),
                    action_kind: s.action.clone(),
                    action,
                    config,
                    for_each,
                    inputs: std::mem::take(&mut inputs[i]),
                    successors: std::mem::take(&mut successors[i]),
                    retry,
                    timeout,
                    concurrency: s.concurrency.unwrap_or(1).max(1) as usize,
                    continue_on_error: s.continues_on_error(),
                    reads_steps: reads,
                    safe,
                }
            },
        )
        .collect()
}

fn with_verb(message: &str) -> String {
    if message.starts_with("does not parse") {
        message.to_string()
    } else {
        format!("does not parse: {message}")
    }
}

fn ancestors_of<'m>(
    i: usize,
    inputs: &[Vec<(usize, Option<String>)>],
    memo: &'m mut [Option<HashSet<usize>>],
) -> &'m HashSet<usize> {
    // Iterative post-order to avoid deep recursion on long chains.
    let mut stack = vec![(i, false)];
    while let Some((n, expanded)) = stack.pop() {
        if memo[n].is_some() {
            continue;
        }
        if expanded {
            let mut set = HashSet::new();
            for (p, _) in &inputs[n] {
                set.insert(*p);
                set.extend(memo[*p].as_ref().expect("computed before").iter().copied());
            }
            memo[n] = Some(set);
        } else {
            stack.push((n, true));
            for (p, _) in &inputs[n] {
                if memo[*p].is_none() {
                    stack.push((*p, false));
                }
            }
        }
    }
    memo[i].as_ref().expect("computed")
}

/// Checks the references of one step's templates: `item`/`index` only under `for_each`, and
/// `steps.X` upstream of it; collects the step ids read.
fn check_refs(
    refs: &[(String, PathRef)],
    i: usize,
    in_for_each: bool,
    upstream: &Upstream,
    c: &mut Check,
    reads: &mut Vec<String>,
) {
    let Upstream {
        workflow: wf,
        index_of,
        ancestors,
        cyclic,
    } = *upstream;
    let id = &wf.steps[i].id;
    for (field, r) in refs {
        let field = field.as_str();
        match r.root() {
            "item" | "index" if !in_for_each => c.step(
                i,
                id,
                field,
                format!("`{}` exists only inside a step with `for_each`", r.text),
            ),
            "steps" => {
                let target = r.step().unwrap_or_default();
                match index_of.get(target) {
                    None => c.step(i, id, field, format!(
                        "`{}` refers to step `{target}`, which does not exist",
                        r.text
                    )),
                    Some(&j) if j == i => c.step(i, id, field, format!(
                        "`{}`: a step cannot read its own output",
                        r.text
                    )),
                    Some(&j) if !cyclic && !ancestors[i].contains(&j) => c.step(i, id, field, format!(
                        "`{}` refers to step `{target}`, which is not upstream of `{id}`; add it to `after` (directly or through another step)",
                        r.text
                    )),
                    Some(_) => reads.push(target.to_string()),
                }
            }
            _ => {}
        }
    }
}

fn check_document(wf: &Workflow, registry: &Registry, c: &mut Check) {
    if wf.name.trim().is_empty() {
        c.doc("name", "the workflow needs a name");
    }
    check_trigger(&wf.trigger, registry, c);
}

/// The trigger's settings, checked by its kind; an unregistered kind is a problem at
/// `trigger.type` (a registry without it cannot serve or run the workflow).
fn check_trigger(trigger: &Trigger, registry: &Registry, c: &mut Check) {
    let Some(kind) = registry.triggers().of(trigger) else {
        c.doc(
            "trigger.type",
            format!("trigger type `{}` is not available here", trigger.kind()),
        );
        return;
    };
    for p in kind.validate(trigger) {
        let path = if p.field.is_empty() {
            "trigger".to_string()
        } else {
            format!("trigger.{}", p.field)
        };
        c.doc(&path, p.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_jitter_and_cap() {
        let p = RetryPolicy {
            max_attempts: 5,
            backoff: Backoff::Exponential,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        let d1 = p.delay(1).as_millis();
        let d2 = p.delay(2).as_millis();
        let d3 = p.delay(3).as_millis();
        assert!((80..=120).contains(&d1), "{d1}");
        assert!((160..=240).contains(&d2), "{d2}");
        assert!(d3 <= 350, "{d3}");
    }

    #[test]
    fn ids_follow_the_format() {
        assert!(valid_id("create_user"));
        assert!(!valid_id("Create"));
        assert!(!valid_id("1x"));
    }
}

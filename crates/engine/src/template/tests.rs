//! Data-driven template tests: every case is a template, the scope it renders in, and what it
//! should give — a value, an error at render time, or a problem at compile time — checked by
//! one [`check`].

use std::collections::HashMap;
use std::sync::Arc;

use handlebars::Handlebars;
use serde_json::{Value, json};

use super::block::register_helpers;
use super::{Compiler, MAX_NESTING, Scope};

/// What a template should give.
enum Want {
    /// Renders to this value.
    Is(Value),
    /// Renders to a value this accepts (for values that change from run to run).
    Like(fn(&Value) -> bool),
    /// Compiles, and rendering fails with a message containing each of these.
    Fails(&'static [&'static str]),
    /// Compiles without a problem (rendering is not checked).
    Compiles,
    /// Is refused at compile time: exactly one problem, whose message contains this.
    Refused(&'static str),
}
use Want::*;

/// The scope most cases render in.
fn ctx() -> Value {
    json!({
        "trigger": {"body": {"email": "Ann@Example.com", "amount": 1500, "tags": ["a", "b"], "name": null}},
        "steps": {"create_user": {"status": 201, "body": {"id": 42, "items": [{"n": 1}]}}},
        "env": {"CRM_URL": "http://crm"},
        "execution": {"id": "e1"},
    })
}

/// Compiles and renders every case (a template, the scope as one JSON value with the keys of
/// [`Scope`], and what it should give), then fails with every case that did not.
fn check(cases: impl IntoIterator<Item = (Value, Value, Want)>) {
    let mut failures = Vec::new();
    for (template, scope, want) in cases {
        if let Err(why) = check_one(&template, &scope, &want) {
            failures.push(format!("{} in {}: {why}", short(&template), short(&scope)));
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

/// A value for a message, cut short (some templates are 200,000 characters long).
fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}… ({} chars)", &s[..i], s.len()),
        None => s,
    }
}

fn check_one(template: &Value, ctx: &Value, want: &Want) -> Result<(), String> {
    let mut compiler = Compiler::new();
    let mut problems = Vec::new();
    let node = compiler.compile(template, "with.x", &mut problems);
    match (want, problems.as_slice()) {
        (Refused(part), [p]) if p.message.contains(part) => return Ok(()),
        (Refused(part), p) => return Err(format!("expected one problem with `{part}`, got {p:?}")),
        (_, [_, ..]) => return Err(format!("refused: {problems:?}")),
        (Compiles, []) => return Ok(()),
        _ => {}
    }
    let rendered = render(&compiler, &node, ctx);
    match (want, rendered) {
        (Is(v), Ok(got)) if got == *v => Ok(()),
        (Like(ok), Ok(got)) if ok(&got) => Ok(()),
        (Fails(parts), Err(e)) if parts.iter().all(|p| e.contains(p)) => Ok(()),
        (Is(v), got) => Err(format!("expected {v}, got {got:?}")),
        (Fails(parts), got) => Err(format!("expected an error with {parts:?}, got {got:?}")),
        (_, got) => Err(format!("unexpected {got:?}")),
    }
}

fn render(compiler: &Compiler, node: &super::Node, ctx: &Value) -> Result<Value, String> {
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
    compiler.render(node, &scope).map_err(|e| e.to_string())
}

/// Cases in the usual scope ([`ctx`]).
fn in_ctx<T: Into<Value>>(cases: impl IntoIterator<Item = (T, Want)>) -> Vec<(Value, Value, Want)> {
    cases
        .into_iter()
        .map(|(t, w)| (t.into(), ctx(), w))
        .collect()
}

#[test]
fn a_single_expression_keeps_its_json_type() {
    check(in_ctx([
        ("{{steps.create_user.body.id}}", Is(json!(42))),
        ("{{trigger.body.tags}}", Is(json!(["a", "b"]))),
        ("{{gt trigger.body.amount 1000}}", Is(json!(true))),
        (" {{steps.create_user.body.id}}", Is(json!(" 42"))),
    ]));
}

#[test]
fn mixed_text_yields_a_string_and_values_cannot_break_out() {
    check([
        (
            json!({"url": "{{env.CRM_URL}}/users/{{steps.create_user.body.id}}"}),
            ctx(),
            Is(json!({"url": "http://crm/users/42"})),
        ),
        (
            json!({"name": "{{trigger.body.x}}"}),
            json!({"trigger": {"body": {"x": "\", \"admin\": true, \""}}}),
            Is(json!({"name": "\", \"admin\": true, \""})),
        ),
    ]);
}

#[test]
fn array_indexes_work_with_dots_and_brackets() {
    check(in_ctx([
        ("{{steps.create_user.body.items.0.n}}", Is(json!(1))),
        ("{{steps.create_user.body.items.[0].n}}", Is(json!(1))),
    ]));
}

#[test]
fn a_missing_path_names_the_template_and_the_path() {
    check(in_ctx([(
        "id={{steps.create_user.body.idd}}",
        Fails(&[
            "template `id={{steps.create_user.body.idd}}`",
            "`steps.create_user.body` has no field `idd`",
        ]),
    )]));
}

#[test]
fn default_covers_missing_and_null_values() {
    check(in_ctx([
        ("{{default trigger.body.nope \"x\"}}", Is(json!("x"))),
        ("{{default trigger.body.name \"anon\"}}", Is(json!("anon"))),
        ("{{default steps.gone.body 1}}", Is(json!(1))),
    ]));
}

#[test]
fn helpers_do_what_they_say() {
    check(in_ctx([
        ("{{lower trigger.body.email}}", Is(json!("ann@example.com"))),
        ("{{upper (trim \" x \")}}", Is(json!("X"))),
        ("{{len trigger.body.tags}}", Is(json!(2))),
        ("{{concat \"a\" 1 true}}", Is(json!("a1true"))),
        ("{{json trigger.body.tags}}", Is(json!("[\"a\",\"b\"]"))),
        ("{{base64 \"hi\"}}", Is(json!("aGk="))),
        ("{{base64_decode \"aGk=\"}}", Is(json!("hi"))),
        ("{{url_encode \"a b&c\"}}", Is(json!("a%20b%26c"))),
        ("{{and (eq 1 1) (ne 1 2) (not false)}}", Is(json!(true))),
        ("{{or (lt 2 1) (lte 1 1)}}", Is(json!(true))),
        ("{{gte \"1500\" 1000}}", Is(json!(true))),
        ("{{add 1 2}}", Is(json!(3))),
        ("{{len (uuid)}}", Is(json!(36))),
        (
            "{{now}}",
            Like(|v| v.as_str().is_some_and(|s| s.ends_with('Z'))),
        ),
    ]));
}

#[test]
fn block_helpers_render_through_handlebars() {
    check(in_ctx([
        (
            "{{#each trigger.body.tags}}[{{this}}]{{/each}}",
            Is(json!("[a][b]")),
        ),
        (
            "{{#if (gt trigger.body.amount 1000)}}big{{else}}small{{/if}}",
            Is(json!("big")),
        ),
    ]));
}

#[test]
fn bad_templates_are_refused_at_compile_time() {
    check(in_ctx([
        ("{{nope 1 2}}", Refused("unknown helper `nope`")),
        ("{{foo.bar}}", Refused("unknown name `foo`")),
        ("{{steps.a", Refused("without a closing")),
        ("{{gt 1}}", Refused("takes 2 argument(s)")),
        ("{{#if x}}", Refused("does not parse")),
    ]));
}

#[test]
fn escaped_braces_stay_literal() {
    check(in_ctx([(
        "\\{{not a template}}",
        Is(json!("{{not a template}}")),
    )]));
}

#[test]
fn block_templates_check_helper_arity() {
    check(in_ctx([
        (
            "{{#if trigger.x}}{{upper}}{{/if}}",
            Refused("argument(s), got"),
        ),
        (
            "{{#if (eq trigger.x)}}a{{/if}}",
            Refused("argument(s), got"),
        ),
        (
            "{{#each trigger.items}}{{concat \"a\" (lower)}}{{/each}}",
            Refused("argument(s), got"),
        ),
        (
            "{{#if trigger.x}}{{replace this \"a\"}}{{else}}{{trim 1 2}}{{/if}}",
            Refused("argument(s), got"),
        ),
        ("{{#if trigger.x}}{{upper trigger.x}}{{/if}}", Compiles),
        (
            "{{#each (split trigger.s \",\")}}{{concat \"id-\" uuid this}}{{/each}}",
            Compiles,
        ),
        (
            "{{#each trigger.items as |it|}}{{upper it}}{{/each}}",
            Compiles,
        ),
    ]));
}

#[test]
fn deep_nesting_is_a_problem_not_a_stack_overflow() {
    let n = 100_000;
    check(in_ctx([
        (
            format!("{{{{{}trigger.x{}}}}}", "(".repeat(n), ")".repeat(n)),
            Refused("levels deep"),
        ),
        (
            format!(
                "{{{{#if trigger.x}}}}{{{{upper {}trigger.x{}}}}}{{{{/if}}}}",
                "(".repeat(n),
                ")".repeat(n)
            ),
            Refused("levels deep"),
        ),
        (
            format!("{}x{}", "{{#if trigger.x}}".repeat(n), "{{/if}}".repeat(n)),
            Refused("levels deep"),
        ),
        // Within the limit, nesting works.
        (
            format!(
                "{{{{{}trigger.x{}}}}}",
                "(".repeat(MAX_NESTING),
                ")".repeat(MAX_NESTING)
            ),
            Compiles,
        ),
    ]));
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

/// [`super::TRUTH_CASES`], parsed.
fn truth_table() -> Vec<(Value, bool)> {
    super::TRUTH_CASES
        .iter()
        .map(|(text, truth)| (serde_json::from_str(text).expect("a JSON case"), *truth))
        .collect()
}

#[test]
fn helpers_and_blocks_follow_the_one_truthiness_rule() {
    let mut cases = Vec::new();
    for (v, truth) in truth_table() {
        assert_eq!(super::truthy(&v), truth, "truthy({v})");
        let scope = json!({"trigger": {"v": v}});
        let word = |t: bool| json!(if t { "T" } else { "F" });
        for (template, want) in [
            ("{{not trigger.v}}", json!(!truth)),
            ("{{and trigger.v true}}", json!(truth)),
            ("{{or false trigger.v}}", json!(truth)),
            ("{{#if trigger.v}}T{{else}}F{{/if}}", word(truth)),
            ("{{#unless trigger.v}}F{{else}}T{{/unless}}", word(truth)),
            ("{{#if (not trigger.v)}}F{{else}}T{{/if}}", word(truth)),
            // `includeZero=true` makes the number 0 true, and nothing else.
            (
                "{{#if trigger.v includeZero=true}}T{{else}}F{{/if}}",
                word(truth || v.is_number()),
            ),
        ] {
            cases.push((json!(template), scope.clone(), Is(want)));
        }
    }
    check(cases);
}

#[test]
fn a_missing_value_is_false_in_if_and_unless() {
    check(in_ctx([
        ("{{#if trigger.nope}}T{{else}}F{{/if}}", Is(json!("F"))),
        (
            "{{#unless trigger.nope}}T{{else}}F{{/unless}}",
            Is(json!("T")),
        ),
        (
            "{{#if}}T{{/if}}",
            Fails(&["param at index 0 required but not found"]),
        ),
    ]));
}

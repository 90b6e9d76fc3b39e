use std::collections::HashMap;
use std::sync::Arc;

use handlebars::Handlebars;
use serde_json::{Value, json};

use super::block::register_helpers;
use super::{CompileProblem, Compiler, MAX_NESTING, Scope};

mod render_tests {
    use super::*;

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

mod bounds_tests {
    use super::*;

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

//! `weft validate`: every class of problem is reported with its line and column, and the step
//! and field it concerns. Messages are matched loosely (key words), locations exactly.

use serde_json::Value;

use crate::support::{Outcome, TempFiles, weft};

const FILE: &str = "workflow.yaml";

/// Runs `weft validate workflow.yaml` on `yaml` (in a temp dir) and expects exit code 1.
async fn validate_bad(yaml: &str) -> Outcome {
    let files = TempFiles::new();
    files.write(FILE, yaml);
    let out = weft(["validate", FILE])
        .current_dir(files.dir())
        .output()
        .await;
    out.exit_code(1);
    out
}

/// One problem line of `FILE:LINE:COL: message` on stderr.
#[derive(Debug)]
struct Reported {
    line: usize,
    column: usize,
    message: String,
}

fn reported(out: &Outcome) -> Vec<Reported> {
    out.stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(FILE)?.strip_prefix(':')?;
            let mut parts = rest.splitn(3, ':');
            let line = parts.next()?.parse().ok()?;
            let column = parts.next()?.parse().ok()?;
            let message = parts.next()?.trim().to_string();
            Some(Reported {
                line,
                column,
                message,
            })
        })
        .collect()
}

/// An expected problem: where it is, which step and field it names, which words it uses.
struct Expect<'a> {
    line: usize,
    column: Option<usize>,
    step: Option<&'a str>,
    field: Option<&'a str>,
    words: Vec<&'a str>,
}

fn at(line: usize, column: usize) -> Expect<'static> {
    Expect {
        line,
        column: Some(column),
        step: None,
        field: None,
        words: Vec::new(),
    }
}

fn on_line(line: usize) -> Expect<'static> {
    Expect {
        column: None,
        ..at(line, 0)
    }
}

impl<'a> Expect<'a> {
    fn step(mut self, id: &'a str) -> Self {
        self.step = Some(id);
        self
    }

    fn field(mut self, field: &'a str) -> Self {
        self.field = Some(field);
        self
    }

    fn mentions(mut self, words: &[&'a str]) -> Self {
        self.words.extend_from_slice(words);
        self
    }

    fn matches(&self, r: &Reported) -> bool {
        r.line == self.line
            && self.column.is_none_or(|c| c == r.column)
            && self
                .step
                .is_none_or(|s| r.message.contains(&format!("step `{s}`")))
            && self
                .field
                .is_none_or(|f| r.message.contains(&format!("field `{f}`")))
            && self.words.iter().all(|w| r.message.contains(w))
    }

    #[track_caller]
    fn assert_in(self, out: &Outcome) {
        let all = reported(out);
        assert!(
            all.iter().any(|r| self.matches(r)),
            "expected a problem at {}:{} (step {:?}, field {:?}, mentioning {:?}); reported:\n{:#?}\n{out}",
            self.line,
            self.column.map_or("?".to_string(), |c| c.to_string()),
            self.step,
            self.field,
            self.words,
            all,
        );
    }
}

#[tokio::test]
async fn valid_files_are_reported_ok_and_exit_zero() {
    let files = TempFiles::new();
    files.write(
        "good.yaml",
        "name: Good\ntrigger: { type: manual }\nsteps:\n  - id: greet\n    action: set\n    with: { value: hi }\n",
    );
    let out = weft(["validate", "good.yaml"])
        .current_dir(files.dir())
        .output()
        .await;
    out.success();
    assert!(
        out.stdout.lines().any(|l| l.trim() == "ok good.yaml"),
        "{out}"
    );
}

#[tokio::test]
async fn a_yaml_syntax_error_is_located() {
    let out = validate_bad(
        "name: Broken
trigger:
  type: manual
steps:
  - id: greet
    action: set: oops
",
    )
    .await;
    at(6, 16).mentions(&["YAML"]).assert_in(&out);
}

#[tokio::test]
async fn an_unknown_top_level_field_is_located_at_its_key() {
    let out = validate_bad(
        "name: Unknown field
trigger:
  type: manual
colour: blue
steps: []
",
    )
    .await;
    at(4, 1).mentions(&["colour"]).assert_in(&out);
}

#[tokio::test]
async fn an_unknown_step_field_names_the_step() {
    let out = validate_bad(
        "name: Unknown step field
trigger:
  type: manual
steps:
  - id: greet
    action: set
    colour: blue
    with:
      value: hi
",
    )
    .await;
    at(7, 5).step("greet").mentions(&["colour"]).assert_in(&out);
}

#[tokio::test]
async fn an_unknown_action_is_located_at_its_name() {
    let out = validate_bad(
        "name: Unknown action
trigger:
  type: manual
steps:
  - id: greet
    action: sendd_email
    with:
      to: someone
",
    )
    .await;
    at(6, 13)
        .step("greet")
        .field("action")
        .mentions(&["sendd_email"])
        .assert_in(&out);
}

#[tokio::test]
async fn an_unknown_field_in_an_action_config_is_located_at_its_key() {
    let out = validate_bad(
        "name: Unknown config field
trigger:
  type: manual
steps:
  - id: fetch
    action: http
    with:
      url: http://127.0.0.1:9/x
      methd: POST
",
    )
    .await;
    at(9, 7).step("fetch").mentions(&["methd"]).assert_in(&out);
}

#[tokio::test]
async fn a_badly_formed_step_id_is_refused() {
    let out = validate_bad(
        "name: Bad id
trigger:
  type: manual
steps:
  - id: Fetch-Data
    action: set
    with: { value: 1 }
",
    )
    .await;
    at(5, 9)
        .field("id")
        .mentions(&["Fetch-Data"])
        .assert_in(&out);
}

#[tokio::test]
async fn a_duplicate_step_id_is_located_at_the_second_use() {
    let out = validate_bad(
        "name: Duplicate id
trigger:
  type: manual
steps:
  - id: greet
    action: set
    with: { value: 1 }
  - id: greet
    action: set
    with: { value: 2 }
",
    )
    .await;
    at(8, 9).step("greet").field("id").assert_in(&out);
}

#[tokio::test]
async fn after_naming_a_missing_step_is_located_at_the_entry() {
    let out = validate_bad(
        "name: Missing dependency
trigger:
  type: manual
steps:
  - id: greet
    action: set
    after: [welcome]
    with: { value: 1 }
",
    )
    .await;
    at(7, 13)
        .step("greet")
        .mentions(&["welcome"])
        .assert_in(&out);
}

#[tokio::test]
async fn after_naming_a_missing_port_of_an_if_step_is_refused() {
    let out = validate_bad(
        r#"name: Missing port
trigger:
  type: manual
steps:
  - id: check
    action: if
    with:
      condition: "{{gt trigger.body.amount 1}}"
  - id: notify
    action: set
    after: [check.maybe]
    with: { value: 1 }
"#,
    )
    .await;
    at(11, 13)
        .step("notify")
        .mentions(&["maybe"])
        .assert_in(&out);
}

#[tokio::test]
async fn a_cycle_is_refused_and_its_steps_are_named() {
    let out = validate_bad(
        "name: Cycle
trigger:
  type: manual
steps:
  - id: a
    action: set
    after: [c]
    with: { value: 1 }
  - id: b
    action: set
    after: [a]
    with: { value: 2 }
  - id: c
    action: set
    after: [b]
    with: { value: 3 }
",
    )
    .await;
    let all = reported(&out);
    let cycle = all
        .iter()
        .find(|r| r.message.contains("cycle"))
        .unwrap_or_else(|| panic!("no problem mentions a cycle: {all:#?}\n{out}"));
    for id in ["a", "b", "c"] {
        assert!(
            cycle.message.contains(&format!("`{id}`")),
            "the cycle message names `{id}`: {cycle:?}"
        );
    }
    assert!(
        (5..=15).contains(&cycle.line),
        "located on one of the steps: {cycle:?}"
    );
}

#[tokio::test]
async fn a_template_that_does_not_parse_is_located_at_its_value() {
    let out = validate_bad(
        r#"name: Bad template
trigger:
  type: manual
steps:
  - id: greet
    action: set
    with:
      value: "hello {{trigger.body.name"
"#,
    )
    .await;
    at(8, 14).step("greet").field("with.value").assert_in(&out);
}

#[tokio::test]
async fn a_template_reading_a_missing_step_is_refused() {
    let out = validate_bad(
        r#"name: Missing step in template
trigger:
  type: manual
steps:
  - id: greet
    action: set
    with:
      value: "{{steps.welcome.body}}"
"#,
    )
    .await;
    at(8, 14)
        .step("greet")
        .field("with.value")
        .mentions(&["welcome"])
        .assert_in(&out);
}

#[tokio::test]
async fn a_template_reading_a_step_that_is_not_upstream_is_refused() {
    let out = validate_bad(
        r#"name: Not upstream
trigger:
  type: manual
steps:
  - id: first
    action: set
    after: []
    with:
      value: "{{steps.second}}"
  - id: second
    action: set
    after: []
    with: { value: 2 }
"#,
    )
    .await;
    at(9, 14)
        .step("first")
        .field("with.value")
        .mentions(&["second"])
        .assert_in(&out);
}

#[tokio::test]
async fn a_duration_without_a_known_unit_is_refused() {
    let out = validate_bad(
        "name: Bad duration
trigger:
  type: manual
steps:
  - id: wait
    action: delay
    timeout: 10 seconds
    with: { duration: 1s }
",
    )
    .await;
    at(7, 14)
        .step("wait")
        .field("timeout")
        .mentions(&["10 seconds"])
        .assert_in(&out);
}

#[tokio::test]
async fn a_bad_cron_expression_is_located_at_the_trigger() {
    let out = validate_bad(
        r#"name: Bad cron
trigger:
  type: schedule
  cron: "61 * * * *"
steps:
  - id: greet
    action: set
    with: { value: hi }
"#,
    )
    .await;
    at(4, 9).field("trigger.cron").assert_in(&out);
}

#[tokio::test]
async fn a_webhook_path_with_spaces_or_capitals_is_refused() {
    let out = validate_bad(
        r#"name: Bad path
trigger:
  type: webhook
  path: "Bad Path!"
steps:
  - id: greet
    action: set
    with: { value: hi }
"#,
    )
    .await;
    at(4, 9)
        .field("trigger.path")
        .mentions(&["Bad Path!"])
        .assert_in(&out);
}

#[tokio::test]
async fn several_problems_in_one_file_are_all_reported_at_once() {
    let out = validate_bad(
        r#"name: Many problems
trigger:
  type: manual
steps:
  - id: wait
    action: delay
    timeout: 10 seconds
    with: { duration: 1s }
  - id: greet
    action: set
    after: [welcome]
    with:
      value: "{{steps.nobody.body}}"
  - id: mail
    action: sendd_email
"#,
    )
    .await;
    at(7, 14).step("wait").field("timeout").assert_in(&out);
    at(11, 13)
        .step("greet")
        .mentions(&["welcome"])
        .assert_in(&out);
    // (The exact location of template problems is checked above; here: that it is reported.)
    on_line(13)
        .step("greet")
        .mentions(&["nobody"])
        .assert_in(&out);
    at(15, 13)
        .step("mail")
        .mentions(&["sendd_email"])
        .assert_in(&out);
}

#[tokio::test]
async fn structural_problems_in_several_steps_are_all_reported_at_once() {
    let out = validate_bad(
        "name: Many unknown fields
trigger:
  type: manual
steps:
  - id: first
    action: set
    colour: blue
    with: { value: 1 }
  - id: second
    action: set
    size: large
    with: { value: 2 }
",
    )
    .await;
    at(7, 5).step("first").mentions(&["colour"]).assert_in(&out);
    at(11, 5).step("second").mentions(&["size"]).assert_in(&out);
}

#[tokio::test]
async fn json_format_gives_the_problems_with_their_locations() {
    let files = TempFiles::new();
    files.write(
        FILE,
        "name: Bad duration
trigger:
  type: manual
steps:
  - id: wait
    action: delay
    timeout: 10 seconds
    with: { duration: 1s }
",
    );
    let out = weft(["validate", "--format", "json", FILE])
        .current_dir(files.dir())
        .output()
        .await;
    out.exit_code(1);
    let report = out.json();
    let file = &report["files"][0];
    assert_eq!(file["file"], FILE, "{out}");
    let problems = file["problems"].as_array().expect("a problems array");
    let problem = problems
        .iter()
        .find(|p| p["step"] == "wait")
        .unwrap_or_else(|| panic!("no problem for step `wait`\n{out}"));
    assert_eq!(
        problem["location"],
        serde_json::json!({ "line": 7, "column": 14 })
    );
    assert_eq!(problem["field"], "timeout");
    assert!(
        problem["path"]
            .as_str()
            .is_some_and(|p| p.contains("timeout"))
    );
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("10 seconds"))
    );
}

#[tokio::test]
async fn json_format_lists_valid_files_with_no_problems() {
    let files = TempFiles::new();
    files.write(
        "good.yaml",
        "name: Good\ntrigger: { type: manual }\nsteps:\n  - id: greet\n    action: set\n    with: { value: hi }\n",
    );
    let out = weft(["validate", "--format", "json", "good.yaml"])
        .current_dir(files.dir())
        .output()
        .await;
    out.success();
    let report = out.json();
    assert_eq!(report["files"][0]["file"], "good.yaml", "{out}");
    assert_eq!(
        report["files"][0]["problems"],
        Value::Array(vec![]),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bounds: documents built to exhaust the validator are refused, located, at once.

/// A "billion laughs": 9 levels of 10 aliases each (10^9 strings once expanded).
pub fn laughs() -> String {
    let mut s = String::from(
        "name: lol\na: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 10].join(",");
        s.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    s
}

/// A document with mappings nested `depth` deep on its line 4.
pub fn deep_yaml(depth: usize) -> String {
    // Flow mappings: `{a: {a: …}}` on one line.
    let mut s = String::from("name: deep\ntrigger: {type: manual}\nsteps: []\nx: ");
    s.push_str(&"{a: ".repeat(depth));
    s.push('1');
    s.push_str(&"}".repeat(depth));
    s.push('\n');
    s
}

/// A step whose value is one expression with `depth` nested parentheses (line 6).
pub fn deep_template(depth: usize) -> String {
    format!(
        "name: deep\ntrigger: {{type: manual}}\nsteps:\n  - id: a\n    action: set\n    with: {{ value: \"{{{{{}trigger.body{}}}}}\" }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[tokio::test]
async fn aliases_are_refused_at_their_position() {
    let out = validate_bad(&laughs()).await;
    let r = reported(&out);
    assert_eq!(r.len(), 1, "{}", out.stderr);
    assert_eq!((r[0].line, r[0].column), (3, 8), "{}", out.stderr);
    assert!(r[0].message.contains("aliases"), "{}", out.stderr);
}

#[tokio::test]
async fn documents_nested_10000_deep_are_refused() {
    let out = validate_bad(&deep_yaml(10_000)).await;
    let r = reported(&out);
    assert_eq!(r[0].line, 4, "{}", out.stderr);
    assert!(r[0].message.contains("levels deep"), "{}", out.stderr);
}

#[tokio::test]
async fn templates_nested_100000_deep_are_refused() {
    let out = validate_bad(&deep_template(100_000)).await;
    let r = reported(&out);
    assert_eq!(r[0].line, 6, "{}", out.stderr);
    assert!(r[0].message.contains("levels deep"), "{}", out.stderr);
}

#[tokio::test]
async fn block_helpers_without_their_arguments_are_refused() {
    let yaml = "name: w\ntrigger: {type: manual}\nsteps:\n  - id: a\n    action: set\n    with:\n      value: \"{{#if trigger.body.x}}{{upper}}{{/if}}\"\n";
    let out = validate_bad(yaml).await;
    let r = reported(&out);
    assert_eq!(r.len(), 1, "{}", out.stderr);
    assert_eq!(r[0].line, 7, "{}", out.stderr);
    assert!(
        r[0].message.contains("`upper` takes 1 argument(s), got 0"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_wait_per_for_each_item_is_refused_at_its_for_each() {
    let out = validate_bad(
        "name: Loop wait
trigger:
  type: manual
steps:
  - id: each
    action: wait
    for_each: \"{{trigger.body.items}}\"
    with: { duration: 1s }
",
    )
    .await;
    at(7, 15)
        .mentions(&["each", "for_each", "whole execution"])
        .assert_in(&out);
}

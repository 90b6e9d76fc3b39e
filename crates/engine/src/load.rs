//! Reading a workflow document: YAML (or JSON, a subset of YAML) text → [`Workflow`] → [`Plan`],
//! with every problem located by line and column.

use serde_json::Value;

use crate::action::Registry;
use crate::error::{Location, Problem, Problems};
use crate::model::{Step, Workflow};
use crate::plan::{self, Plan};
use crate::source::{SourceMap, join_index};

/// Parses YAML text into a workflow. Structural problems (syntax, unknown or mistyped fields)
/// are all reported, step by step, with their positions.
pub fn parse(text: &str, file: Option<&str>) -> Result<(Workflow, SourceMap), Problems> {
    let located = |mut p: Problem, map: &SourceMap, key: bool| {
        p.file = file.map(str::to_string);
        if p.location.is_none() {
            p.location = if key {
                map.key(&p.path)
            } else {
                map.value(&p.path)
            };
        }
        p
    };
    if let Some((message, location)) = crate::source::check_bounds(text) {
        let mut p = Problem::new("", message);
        p.file = file.map(str::to_string);
        p.location = Some(location);
        return Err(Problems(vec![p]));
    }
    let value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let mut p = Problem::new(
                "",
                format!("YAML syntax error: {}", strip_location(&e.to_string())),
            );
            p.file = file.map(str::to_string);
            p.location = e.location().map(|l| Location {
                line: l.line(),
                column: l.column(),
            });
            return Err(Problems(vec![p]));
        }
    };
    let map = SourceMap::build(text);
    if value.is_null() {
        let p = Problem::new(
            "",
            "the document is empty; a workflow needs at least `name` and `trigger`",
        );
        return Err(Problems(vec![located(p, &map, false)]));
    }
    match serde_path_to_error::deserialize::<_, Workflow>(value.clone()) {
        Ok(wf) => Ok((wf, map)),
        Err(first) => {
            // Report the problems of every step, then whatever is wrong outside the steps.
            let mut problems = Vec::new();
            let steps = value.get("steps").and_then(|s| s.as_sequence());
            if let Some(steps) = steps {
                for (i, step) in steps.iter().enumerate() {
                    if let Err(e) = serde_path_to_error::deserialize::<_, Step>(step.clone()) {
                        let id = step.get("id").and_then(|v| v.as_str()).map(str::to_string);
                        let (path, key) = error_path(&join_index("steps", i), &e);
                        let mut p = Problem::new(path.clone(), clean(e.inner()));
                        p.field = path
                            .strip_prefix(&format!("steps[{i}]"))
                            .map(|f| f.trim_start_matches('.').to_string())
                            .filter(|f| !f.is_empty());
                        p.step = id;
                        problems.push(located(p, &map, key));
                    }
                }
            }
            let (path, key) = error_path("", &first);
            if !path.starts_with("steps[") || problems.is_empty() {
                let mut p = Problem::new(path.clone(), clean(first.inner()));
                if !path.is_empty() {
                    p.field = Some(path);
                }
                problems.insert(0, located(p, &map, key));
            }
            Err(Problems(problems))
        }
    }
}

/// The path of a deserialization error (below `prefix`), and whether it points at a key
/// (an unknown field) rather than a value.
fn error_path(prefix: &str, e: &serde_path_to_error::Error<serde_yaml::Error>) -> (String, bool) {
    let mut path = prefix.to_string();
    for seg in e.path().iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => path = join_index(&path, *index),
            Segment::Map { key } => path = crate::source::join_key(&path, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    let msg = e.inner().to_string();
    if let Some(rest) = msg.strip_prefix("unknown field `")
        && let Some(name) = rest.split('`').next()
    {
        if !path.ends_with(name) {
            path = crate::source::join_key(&path, name);
        }
        return (path, true);
    }
    (path, false)
}

fn strip_location(msg: &str) -> String {
    // serde_yaml appends " at line L column C"; we report the location separately.
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn clean(e: &serde_yaml::Error) -> String {
    let m = strip_location(&e.to_string());
    m.replace("internally tagged enum Trigger", "trigger `type`")
        .replace("variant identifier", "trigger type")
}

/// Parses and compiles YAML text: the workflow ready to run, or every problem, located.
pub fn load(text: &str, file: Option<&str>, registry: &Registry) -> Result<Plan, Problems> {
    let (wf, map) = parse(text, file)?;
    compile_located(wf, Some(&map), file, registry)
}

/// Compiles a workflow, locating problems with a source map when one is known.
pub fn compile_located(
    wf: Workflow,
    map: Option<&SourceMap>,
    file: Option<&str>,
    registry: &Registry,
) -> Result<Plan, Problems> {
    plan::compile(wf, registry).map_err(|problems| {
        let mut problems: Vec<Problem> = problems
            .into_iter()
            .map(|mut p| {
                p.file = file.map(str::to_string);
                if let Some(map) = map {
                    p.location = if p.message.starts_with("unknown field") {
                        map.key(&p.path)
                    } else {
                        map.value(&p.path)
                    };
                }
                p
            })
            .collect();
        // In document order, so that a reader can walk down the file.
        problems.sort_by_key(|p| p.location.map(|l| (l.line, l.column)));
        Problems(problems)
    })
}

/// Parses a workflow given as JSON (e.g. from the API); problems carry paths, not positions.
pub fn from_json(value: Value) -> Result<Workflow, Problems> {
    serde_path_to_error::deserialize::<_, Workflow>(value).map_err(|e| {
        let mut path = String::new();
        for seg in e.path().iter() {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Seq { index } => path = join_index(&path, *index),
                Segment::Map { key } => path = crate::source::join_key(&path, key),
                _ => {}
            }
        }
        Problems(vec![Problem::new(path, e.inner().to_string())])
    })
}

#[cfg(test)]
mod bounds_tests {
    use super::parse;

    /// A "billion laughs": 9 levels of 10 aliases each.
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

    #[test]
    fn aliases_are_refused_with_their_position() {
        let e = parse(&laughs(), Some("lol.yaml")).unwrap_err();
        assert_eq!(e.0.len(), 1);
        let p = &e.0[0];
        assert!(p.message.contains("aliases"), "{p:?}");
        let at = p.location.expect("located");
        assert_eq!((at.line, at.column), (3, 8), "{p:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let n = 10_000;
        let doc = format!("name: deep\nx: {}1{}\n", "[".repeat(n), "]".repeat(n));
        let e = parse(&doc, None).unwrap_err();
        assert!(e.0[0].message.contains("levels deep"), "{:?}", e.0);
        assert_eq!(e.0[0].location.map(|l| l.line), Some(2));
        let doc = format!(
            "name: deep\nx:\n{}",
            (0..n)
                .map(|i| format!("{}- \n", "  ".repeat(i)))
                .collect::<String>()
        );
        assert!(
            parse(&doc, None).unwrap_err().0[0]
                .message
                .contains("levels deep")
        );
    }
}

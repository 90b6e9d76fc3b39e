//! Positions of YAML nodes, so that problems found after parsing (by path) can be reported
//! with a line and column. serde_yaml does not keep spans, so we walk yaml-rust2's marked
//! events once and remember where each path starts.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::error::Location;

/// Path → position of its key (for mapping entries) and of its value.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    keys: HashMap<String, Location>,
    values: HashMap<String, Location>,
}

/// Appends a key to a path string: `steps[0]` + `with` → `steps[0].with`.
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends an index to a path string: `steps` + 2 → `steps[2]`.
pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

impl SourceMap {
    /// Builds the map; a document yaml-rust2 cannot read gives an empty map (serde_yaml
    /// reports syntax errors itself).
    pub fn build(text: &str) -> SourceMap {
        struct Collect(Vec<(Event, Marker)>);
        impl MarkedEventReceiver for Collect {
            fn on_event(&mut self, ev: Event, mark: Marker) {
                self.0.push((ev, mark));
            }
        }
        let mut collect = Collect(Vec::new());
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut collect, false).is_err() {
            return SourceMap::default();
        }
        let mut map = SourceMap::default();
        let events = collect.0;
        let mut i = 0;
        // Skip to the first document's root node.
        while i < events.len() {
            match events[i].0 {
                Event::StreamStart | Event::DocumentStart | Event::Nothing => i += 1,
                _ => break,
            }
        }
        if i < events.len() {
            map.walk(&events, &mut i, String::new());
        }
        map
    }

    fn walk(&mut self, events: &[(Event, Marker)], i: &mut usize, path: String) {
        let Some((event, mark)) = events.get(*i) else {
            return;
        };
        // A block mapping's start is marked at its first `:`; its first key reads better.
        let at = match (event, events.get(*i + 1)) {
            (Event::MappingStart(..), Some((Event::Scalar(..), first_key))) => first_key,
            _ => mark,
        };
        self.values.entry(path.clone()).or_insert(loc(at));
        *i += 1;
        match event {
            Event::MappingStart(..) => loop {
                match events.get(*i) {
                    None => return,
                    Some((Event::MappingEnd, _)) => {
                        *i += 1;
                        return;
                    }
                    Some((Event::Scalar(key, ..), key_mark)) => {
                        let child = join_key(&path, key);
                        self.keys.entry(child.clone()).or_insert(loc(key_mark));
                        *i += 1;
                        self.walk(events, i, child);
                    }
                    Some(_) => {
                        // A complex key: skip it and its value.
                        self.walk(events, i, format!("{path}.?"));
                        self.walk(events, i, format!("{path}.?"));
                    }
                }
            },
            Event::SequenceStart(..) => {
                let mut index = 0;
                loop {
                    match events.get(*i) {
                        None => return,
                        Some((Event::SequenceEnd, _)) => {
                            *i += 1;
                            return;
                        }
                        Some(_) => {
                            self.walk(events, i, join_index(&path, index));
                            index += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The position of a path's value, or of its nearest ancestor we know.
    pub fn value(&self, path: &str) -> Option<Location> {
        self.find(path, &self.values)
    }

    /// The position of a mapping key (falls back to the value, then the ancestors).
    pub fn key(&self, path: &str) -> Option<Location> {
        self.keys
            .get(path)
            .copied()
            .or_else(|| self.find(path, &self.values))
    }

    fn find(&self, path: &str, table: &HashMap<String, Location>) -> Option<Location> {
        let mut p = path;
        loop {
            if let Some(l) = table.get(p) {
                return Some(*l);
            }
            if p.is_empty() {
                return None;
            }
            let cut = p.rfind(['.', '[']).unwrap_or(0);
            p = &p[..cut];
        }
    }
}

/// How deep mappings and sequences may nest in a workflow document.
pub const MAX_YAML_DEPTH: usize = 64;

/// Checks the bounds of a document before anything expands or recurses over it: no aliases
/// (`*name`; a workflow has no use for them, and their expansion is unbounded), and mappings
/// and sequences at most [`MAX_YAML_DEPTH`] deep. Returns the first violation and where it is.
/// A document yaml-rust2 cannot read passes (serde_yaml reports syntax errors itself).
pub fn check_bounds(text: &str) -> Option<(String, Location)> {
    // Events one by one: `Parser::load` recurses once per level.
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        let (ev, mark) = match parser.next_token() {
            Ok(x) => x,
            // The scanner caps flow nesting (`[[[…`) itself, at 255 levels.
            Err(e) if e.info().contains("recursion limit") => {
                return Some((nesting(), loc(e.marker())));
            }
            Err(_) => return None,
        };
        match ev {
            Event::StreamEnd => return None,
            Event::Alias(_) => {
                return Some((
                    "YAML aliases (`*name`) are not allowed in a workflow; write the value out"
                        .into(),
                    loc(&mark),
                ));
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                depth += 1;
                if depth > MAX_YAML_DEPTH {
                    return Some((nesting(), loc(&mark)));
                }
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

fn nesting() -> String {
    format!("the document nests mappings and sequences more than {MAX_YAML_DEPTH} levels deep")
}

fn loc(mark: &Marker) -> Location {
    Location {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_values_by_path() {
        let text = "name: x\nsteps:\n  - id: a\n    with:\n      url: \"http://x\"\n";
        let map = SourceMap::build(text);
        assert_eq!(map.key("name"), Some(Location { line: 1, column: 1 }));
        assert_eq!(map.value("steps[0]"), Some(Location { line: 3, column: 5 }));
        assert_eq!(
            map.key("steps[0].with.url"),
            Some(Location { line: 5, column: 7 })
        );
        assert_eq!(
            map.value("steps[0].with.url"),
            Some(Location {
                line: 5,
                column: 12
            })
        );
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(
            map.value("steps[0].with.nope"),
            Some(Location { line: 5, column: 7 })
        );
    }
}

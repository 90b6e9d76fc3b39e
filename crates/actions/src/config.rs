//! What every action's `with:` config has in common: checking it by deserializing it into the
//! action's typed `Config`, fields that may hold a template, and the small value types users
//! write (statuses, durations, text, ordered maps).
//!
//! The same `Config` type reads both the raw config (validation, where string leaves may still
//! be `{{…}}` templates) and the rendered config (run), so an action's rules live in one place.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use engine::action::{ActionError, ConfigProblem};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, U64Deserializer,
    UnitDeserializer,
};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An action's typed `with:` config.
pub trait Config: DeserializeOwned + JsonSchema {
    /// Rules the types alone do not express (fields that exclude each other, names…). Look only
    /// at [`Templated::Value`]s: a template is checked once it is rendered.
    fn check(&self) -> Vec<ConfigProblem> {
        Vec::new()
    }
}

/// The JSON Schema of a config, for [`engine::action::ActionInfo::config_schema`].
pub(crate) fn schema<C: JsonSchema>() -> Value {
    schemars::schema_for!(C).to_value()
}

/// Checks a raw `with:` config: the problems found deserializing it, else those of
/// [`Config::check`].
pub(crate) fn validate<C: Config>(config: &Value) -> Vec<ConfigProblem> {
    match deserialize::<C>(config) {
        Ok(config) => config.check(),
        Err(problem) => vec![problem],
    }
}

/// Reads the rendered config of a run. A problem here is the workflow's fault, not the
/// remote side's: the error is permanent.
pub(crate) fn parse<C: Config>(input: &Value) -> Result<C, ActionError> {
    let config = deserialize::<C>(input).map_err(|p| invalid(&p))?;
    match config.check().first() {
        Some(problem) => Err(invalid(problem)),
        None => Ok(config),
    }
}

/// The permanent error for a rendered config that breaks a rule.
pub(crate) fn invalid(problem: &ConfigProblem) -> ActionError {
    if problem.field.is_empty() {
        ActionError::permanent(format!("invalid `with`: {}", problem.message))
    } else {
        ActionError::permanent(format!(
            "invalid `with.{}`: {}",
            problem.field, problem.message
        ))
    }
}

fn deserialize<C: DeserializeOwned>(config: &Value) -> Result<C, ConfigProblem> {
    let empty = Value::Object(serde_json::Map::new());
    let config = match config {
        // A step without `with:`.
        Value::Null => &empty,
        Value::Object(_) => config,
        other => {
            return Err(ConfigProblem::new(
                "",
                format!("expected a map of settings, not {}", kind_of(other)),
            ));
        }
    };
    // The happy path reads the value directly; only a config that fails is read again with
    // the path tracked, to name the field (tracking costs an allocation per field).
    if let Ok(config) = C::deserialize(config) {
        return Ok(config);
    }
    serde_path_to_error::deserialize(config).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = err.into_inner().to_string();
        // serde reports a missing field at its parent: name the field itself.
        let field = match missing_field(&message) {
            Some(name) if path.is_empty() => name.to_string(),
            Some(name) => format!("{path}.{name}"),
            None => path,
        };
        ConfigProblem::new(field, message)
    })
}

/// A value's JSON kind in words (`a string`, `a map`, …), for messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Whether a string is (or contains) a template the engine renders before the run.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{")
}

// ---------------------------------------------------------------------------------------------
// Templated<T>

/// A field holding either a `T` or a template (a string with `{{`) that renders to one.
///
/// Validation sees the template; the run sees what it rendered to. A rendered string that still
/// contains `{{` came from data and is read as a `T` by [`Templated::resolve`].
#[derive(Debug, Clone, PartialEq)]
pub enum Templated<T> {
    Value(T),
    Template(String),
}

impl<T> Templated<T> {
    /// The value, if it was written without a template.
    pub fn value(&self) -> Option<&T> {
        match self {
            Templated::Value(v) => Some(v),
            Templated::Template(_) => None,
        }
    }
}

impl<T: DeserializeOwned> Templated<T> {
    /// The value of a rendered field.
    pub fn resolve(self) -> Result<T, String> {
        match self {
            Templated::Value(v) => Ok(v),
            Templated::Template(text) => {
                T::deserialize(StrDeserializer::<de::value::Error>::new(&text))
                    .map_err(|e| e.to_string())
            }
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Templated<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TemplatedVisitor(PhantomData))
    }
}

/// Hands everything but a template on to `T`, keeping maps and sequences streaming so that
/// error paths still point inside them.
struct TemplatedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for TemplatedVisitor<T> {
    type Value = Templated<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or a template")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::deserialize(BoolDeserializer::new(v)).map(Templated::Value)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::deserialize(I64Deserializer::new(v)).map(Templated::Value)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::deserialize(U64Deserializer::new(v)).map(Templated::Value)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::deserialize(F64Deserializer::new(v)).map(Templated::Value)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if is_template(v) {
            return Ok(Templated::Template(v.to_string()));
        }
        T::deserialize(StrDeserializer::new(v)).map(Templated::Value)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        if is_template(v) {
            return Ok(Templated::Template(v.to_string()));
        }
        T::deserialize(BorrowedStrDeserializer::new(v)).map(Templated::Value)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        T::deserialize(UnitDeserializer::new()).map(Templated::Value)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        T::deserialize(d).map(Templated::Value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq)).map(Templated::Value)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Templated::Value)
    }
}

impl<T: JsonSchema> JsonSchema for Templated<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Templated_{}", T::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("{}::Templated<{}>", module_path!(), T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [generator.subschema_for::<T>(), generator.subschema_for::<Template>()]
        })
    }
}

/// Only for the schema of [`Templated`].
struct Template;

impl JsonSchema for Template {
    fn schema_name() -> Cow<'static, str> {
        "Template".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "\\{\\{",
            "description": "A template such as `{{steps.get_user.body.id}}`, rendered when the step runs."
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Leaf types

/// An HTTP status code, 100..=599, written as a number or a numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Status(pub u16);

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Status;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an HTTP status (a number from 100 to 599)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Status, E> {
                match u16::try_from(v) {
                    Ok(code @ 100..=599) => Ok(Status(code)),
                    _ => Err(E::custom(format_args!(
                        "`{v}` is not an HTTP status (100 to 599)"
                    ))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Status, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format_args!(
                        "`{v}` is not an HTTP status (100 to 599)"
                    ))),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Status, E> {
                if v.fract() == 0.0 && (0.0..=65535.0).contains(&v) {
                    self.visit_u64(v as u64)
                } else {
                    Err(E::custom(format_args!(
                        "`{v}` is not an HTTP status (100 to 599)"
                    )))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Status, E> {
                match v.trim().parse::<u64>() {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Status {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 100, "maximum": 599 })
    }
}

/// A duration as users write it: `500ms`, `10s`, `1h30m` (see [`engine::duration::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationText(pub Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DurationText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `500ms`, `10s` or `2m`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationText, E> {
                engine::duration::parse(v)
                    .map(DurationText)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

impl JsonSchema for DurationText {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$",
            "examples": ["500ms", "10s", "1h30m"]
        })
    }
}

/// Text: a string, or a number or boolean written as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text (a string, number or boolean)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(
                    serde_json::Number::from_f64(v)
                        .map_or_else(|| v.to_string(), |n| n.to_string()),
                ))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

/// Zero or more texts: one text, a list of texts, or null for none (a header, query or form
/// field that is left out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Texts(pub Vec<String>);

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Texts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text (a string, number or boolean), a list of texts, or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Texts, E> {
                Ok(Texts(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Texts, E> {
                Ok(Texts(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Texts, E> {
                Ok(Texts(vec![v.to_string()]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Texts, E> {
                Ok(Texts(vec![v.to_string()]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Texts, E> {
                Ok(Texts(vec![v.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Texts, E> {
                Ok(Texts(vec![v.to_string()]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Texts, E> {
                Text::deserialize(F64Deserializer::new(v)).map(|t| Texts(vec![t.0]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
                let mut texts = Vec::new();
                while let Some(Text(text)) = seq.next_element()? {
                    texts.push(text);
                }
                Ok(Texts(texts))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Texts {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Texts".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                generator.subschema_for::<Text>(),
                { "type": "array", "items": generator.subschema_for::<Text>() },
                { "type": "null" }
            ]
        })
    }
}

/// A map that keeps the order the user wrote it in (query parameters, switch cases…).
#[derive(Debug, Clone, PartialEq)]
pub struct Pairs<V>(pub Vec<(String, V)>);

impl<V> Default for Pairs<V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Pairs<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = Pairs<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<V>, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    pairs.push((key, value));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for Pairs<V> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("{}::Pairs<{}>", module_path!(), V::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "object", "additionalProperties": generator.subschema_for::<V>() })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Sample {
        status: Templated<Status>,
        #[serde(default)]
        list: Option<Templated<Vec<Templated<Status>>>>,
        #[serde(default)]
        nested: Option<Inner>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Inner {
        #[serde(default)]
        wait: Option<Templated<DurationText>>,
    }

    impl Config for Sample {}

    fn problems(config: Value) -> Vec<ConfigProblem> {
        validate::<Sample>(&config)
    }

    #[test]
    fn a_typed_field_accepts_its_type_a_numeric_string_or_a_template() {
        assert_eq!(problems(json!({"status": 201})), vec![]);
        assert_eq!(problems(json!({"status": "201"})), vec![]);
        assert_eq!(problems(json!({"status": "{{steps.a.status}}"})), vec![]);
        assert_eq!(
            problems(json!({"status": 200, "list": "{{env.LIST}}"})),
            vec![]
        );
        assert_eq!(
            problems(json!({"status": 200, "list": [404, "{{x}}"]})),
            vec![]
        );
    }

    #[test]
    fn a_wrong_type_is_reported_at_its_path() {
        let found = problems(json!({"status": 200, "list": [404, "nope"]}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "list[1]");
        assert!(found[0].message.contains("HTTP status"), "{found:?}");

        let found = problems(json!({"status": 200, "nested": {"wait": "10 parsecs"}}));
        assert_eq!(found[0].field, "nested.wait");
        assert!(found[0].message.contains("not a duration"), "{found:?}");

        let found = problems(json!({"status": 700}));
        assert_eq!(found[0].field, "status");
        assert!(found[0].message.contains("`700` is not an HTTP status"));
    }

    #[test]
    fn an_unknown_field_is_reported_under_its_own_name() {
        let found = problems(json!({"status": 200, "stauts": 1}));
        assert_eq!(found[0].field, "stauts");
        assert!(found[0].message.starts_with("unknown field `stauts`"));

        let found = problems(json!({"status": 200, "nested": {"wiat": "1s"}}));
        assert_eq!(found[0].field, "nested.wiat");
    }

    #[test]
    fn a_missing_field_is_reported_under_its_own_name() {
        let found = problems(json!({}));
        assert_eq!(
            found,
            vec![ConfigProblem::new("status", "missing field `status`")]
        );
    }

    #[test]
    fn a_missing_with_is_an_empty_one_and_anything_but_a_map_is_rejected() {
        assert_eq!(problems(Value::Null)[0].field, "status");
        let found = problems(json!("{{x}}"));
        assert_eq!(
            found,
            vec![ConfigProblem::new(
                "",
                "expected a map of settings, not a string"
            )]
        );
    }

    #[test]
    fn a_rendered_string_that_still_looks_like_a_template_is_read_as_the_value_type() {
        let templated: Templated<Status> = Templated::Template("{{ oops".into());
        assert!(templated.resolve().is_err());
        let templated: Templated<Text> = Templated::Template("{{ data }}".into());
        assert_eq!(templated.resolve().unwrap(), Text("{{ data }}".into()));
    }

    #[test]
    fn a_rendered_config_that_breaks_a_rule_is_a_permanent_error() {
        let err = parse::<Sample>(&json!({"status": "abc"})).unwrap_err();
        assert!(!err.retryable);
        assert!(
            err.message.starts_with("invalid `with.status`:"),
            "{}",
            err.message
        );
    }

    #[test]
    fn texts_read_one_value_a_list_or_null() {
        let read = |v: Value| {
            Texts::deserialize(&v)
                .map(|t| t.0)
                .map_err(|e| e.to_string())
        };
        assert_eq!(read(json!("a")).unwrap(), ["a"]);
        assert_eq!(read(json!(1.5)).unwrap(), ["1.5"]);
        assert_eq!(read(json!([1, true])).unwrap(), ["1", "true"]);
        assert!(read(json!(null)).unwrap().is_empty());
        assert!(read(json!({"a": 1})).is_err());
    }

    #[test]
    fn pairs_keep_the_written_order() {
        let pairs: Pairs<Value> = Pairs::deserialize(&json!({"b": 1, "a": 2})).unwrap();
        let keys: Vec<_> = pairs.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn the_schema_of_a_templated_field_allows_a_template_string() {
        let schema = schema::<Sample>();
        let status = &schema["properties"]["status"]["anyOf"];
        assert_eq!(status[0]["type"], "integer");
        assert_eq!(status[1]["$ref"], "#/$defs/Template");
        assert_eq!(schema["$defs"]["Template"]["type"], "string");
    }
}

//! The real documents of `tests/openapi/` (copies of `../shared/openapi/`: Twilio's 2010 API and Lookups, OpenAPI 3.0.1;
//! Slack's Web API, Swagger 2.0) import without problems, one action per operation, each with
//! a config schema that is valid JSON Schema.

use std::time::Instant;

use connectors::{Connectors, Options};
use engine::action::ActionSource;
use serde_json::{Value, json};

fn shared(path: &str) -> String {
    let p = format!("{}/../../tests/openapi/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Counts the operations of a document by walking it (independently of the importer).
fn count_operations(text: &str) -> usize {
    let doc: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).unwrap()
    } else {
        serde_yaml::from_str(text).unwrap()
    };
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| methods.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

fn registry() -> engine::Registry {
    actions::registry(actions::http_client())
}

/// A config with every required field set to a template (what a user maps from upstream).
fn minimal_config(schema: &Value) -> Value {
    let mut config = serde_json::Map::new();
    for r in schema["required"].as_array().into_iter().flatten() {
        config.insert(r.as_str().unwrap().into(), json!("{{trigger.body.value}}"));
    }
    Value::Object(config)
}

fn check(path: &str, name: &str, expected_operations: usize, format: &str) {
    let text = shared(path);
    let registry = registry();
    let started = Instant::now();
    let connector = connectors::import(
        &text,
        &Options {
            name: Some(name.into()),
            ..Options::default()
        },
        &registry,
    )
    .unwrap_or_else(|p| panic!("{path}: {p:#?}"));
    println!(
        "{path}: {} bytes imported in {:?}",
        text.len(),
        started.elapsed()
    );
    assert_eq!(connector.format, format);
    assert_eq!(
        count_operations(&text),
        expected_operations,
        "{path}: the README's count"
    );
    assert_eq!(connector.operations.len(), expected_operations, "{path}");

    let set = Connectors::new(&registry);
    set.insert(connector.clone());
    let infos = set.infos();
    assert_eq!(infos.len(), expected_operations);
    let mut kinds: Vec<&str> = infos.iter().map(|i| i.kind.as_ref()).collect();
    kinds.dedup();
    assert_eq!(kinds.len(), expected_operations, "action kinds are unique");
    for info in &infos {
        let schema = &info.config_schema;
        assert!(
            jsonschema::meta::is_valid(schema),
            "{}: not valid JSON Schema: {:?}",
            info.kind,
            jsonschema::meta::validate(schema).err()
        );
        let validator = jsonschema::validator_for(schema)
            .unwrap_or_else(|e| panic!("{}: the schema does not compile: {e}", info.kind));
        let config = minimal_config(schema);
        assert!(
            validator.is_valid(&config),
            "{}: {config} against its own schema",
            info.kind
        );
        let action = set.get(&info.kind).unwrap();
        assert_eq!(action.validate(&config), vec![], "{}: {config}", info.kind);
        if let Some(output) = &info.connector.as_ref().unwrap().output_schema {
            assert!(
                jsonschema::meta::is_valid(output),
                "{}: output schema",
                info.kind
            );
            jsonschema::validator_for(output)
                .unwrap_or_else(|e| panic!("{}: output: {e}", info.kind));
        }
        // A missing required field is named.
        if let Some(first) = schema["required"].as_array().and_then(|r| r.first()) {
            let mut without = config.clone();
            without
                .as_object_mut()
                .unwrap()
                .remove(first.as_str().unwrap());
            let problems = action.validate(&without);
            assert!(
                problems.iter().any(|p| p.field == first.as_str().unwrap()),
                "{}: {problems:?}",
                info.kind
            );
        }
    }
}

#[test]
fn twilio_api_v2010_imports_every_operation() {
    check(
        "twilio/twilio_api_v2010.yaml",
        "twilio",
        197,
        "OpenAPI 3.0.1",
    );
}

#[test]
fn twilio_lookups_imports_every_operation() {
    check(
        "twilio/twilio_lookups_v2.yaml",
        "twilio_lookups",
        10,
        "OpenAPI 3.0.1",
    );
}

#[test]
fn slack_web_api_imports_every_operation() {
    check(
        "slack/slack_web_openapi_v2.json",
        "slack",
        174,
        "Swagger 2.0",
    );
}

#[test]
fn twilio_create_message_is_a_form_with_basic_auth() {
    let text = shared("twilio/twilio_api_v2010.yaml");
    let registry = registry();
    let c = connectors::import(&text, &Options::default(), &registry).unwrap();
    assert_eq!(c.name, "twilio_api", "named from the title");
    assert_eq!(c.base_url, "https://api.twilio.com");
    let op = c
        .operations
        .iter()
        .find(|o| o.id == "CreateMessage")
        .unwrap();
    assert_eq!(op.method, "POST");
    assert_eq!(op.path, "/2010-04-01/Accounts/{AccountSid}/Messages.json");
    assert_eq!(op.body.as_ref().unwrap().media, connectors::Media::Form);
    assert_eq!(op.credential_types, vec!["basic"]);
    assert!(op.output_schema.is_some());

    let set = Connectors::new(&registry);
    set.insert(c);
    let action = set.get("twilio_api.CreateMessage").unwrap();
    let problems = action.validate(&json!({
        "AccountSid": "AC1",
        "body": {"To": "+15550001", "Body": "hi", "Attempt": "many", "Nope": 1},
        "colour": "red",
    }));
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert!(fields.contains(&"body.Attempt"), "{problems:?}");
    assert!(fields.contains(&"colour"), "{problems:?}");
    assert!(set.get("twilio_api.Nope").is_none());
    assert!(
        set.why_unknown("twilio_api.CreateMesage")
            .contains("twilio_api.CreateMessage")
    );
    assert!(
        set.why_unknown("stripe.x")
            .contains("no connector `stripe`")
    );
}

//! One sea-orm entity per table. These are storage shapes only: the rest of the crate converts
//! them to and from engine types and the public records at the store boundary. Status columns
//! are typed: `executions.status` is `engine::ExecutionStatus`, `step_runs.status`
//! `engine::journal::StepStatus` (the engine's `db` feature maps them to their text values),
//! `deliveries.status` the store's `DeliveryStatus`; the columns stay text in the database.

pub mod api_key;
pub mod connector;
pub mod credential;
pub mod delivery;
pub mod delivery_attempt;
pub mod execution;
pub mod process;
pub mod rate_limit;
pub mod session;
pub mod step_run;
pub mod workflow;
pub mod workflow_draft;
pub mod workflow_pin;
pub mod workflow_version;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};

/// A JSON value stored as its text, on both databases.
///
/// Not PostgreSQL's `json`/`jsonb`: sqlx binds JSON parameters as `jsonb`, which reorders
/// object keys and rejects `\u0000` in strings — a webhook body, a step's output or a workflow
/// definition must come back exactly as it went in (key order included), and any JSON a
/// caller sends must be storable. Ad-hoc SQL can still read the columns with `col::json`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct JsonText(pub serde_json::Value);

impl From<JsonText> for Value {
    fn from(v: JsonText) -> Value {
        Value::String(Some(Box::new(v.0.to_string())))
    }
}

impl Nullable for JsonText {
    fn null() -> Value {
        Value::String(None)
    }
}

impl ValueType for JsonText {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::String(Some(s)) => serde_json::from_str(&s)
                .map(JsonText)
                .map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "JsonText".into()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Text
    }
}

impl TryGetable for JsonText {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, index)?;
        serde_json::from_str(&text).map(JsonText).map_err(|e| {
            TryGetError::DbErr(DbErr::Type(format!(
                "a JSON column holds invalid JSON: {e}"
            )))
        })
    }
}

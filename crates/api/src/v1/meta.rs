//! Actions, trigger kinds and schemas: what the editor needs to draw forms and check documents.

use axum::Json;
use axum::extract::State;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;

super::list_of!(
    /// `GET /actions`: every action kind with its `with:` JSON Schema.
    ActionList,
    engine::action::ActionInfo
);

/// A trigger kind: what a workflow's `trigger.type` may be.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TriggerKindOut {
    /// The `type:` of the trigger in a workflow document (`webhook`, `schedule`, `manual`, …).
    pub kind: String,
    pub title: String,
    pub description: String,
}

impl From<engine::trigger::TriggerInfo> for TriggerKindOut {
    fn from(i: engine::trigger::TriggerInfo) -> Self {
        TriggerKindOut {
            kind: i.kind.into(),
            title: i.title.into(),
            description: i.description.into(),
        }
    }
}

super::list_of!(
    /// `GET /triggers`: every trigger kind.
    TriggerKindList,
    TriggerKindOut
);

/// Every action kind with its `with:` JSON Schema.
#[utoipa::path(get, path = "/actions", tag = "meta",
    responses((status = 200, body = ActionList)))]
async fn list_actions(_: Caller, State(state): State<AppState>) -> Json<ActionList> {
    Json(ActionList::all(state.registry.infos()))
}

/// Every trigger kind.
#[utoipa::path(get, path = "/triggers", tag = "meta",
    responses((status = 200, body = TriggerKindList)))]
async fn list_triggers(_: Caller, State(state): State<AppState>) -> Json<TriggerKindList> {
    Json(TriggerKindList::all(
        state
            .registry
            .triggers()
            .infos()
            .into_iter()
            .map(TriggerKindOut::from)
            .collect(),
    ))
}

/// `GET /environment`: what templates may read from the server's environment.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EnvironmentOut {
    /// The allow-listed variables that are set (`WEFT_ALLOW_ENV`), read as `{{env.NAME}}`.
    /// Names only: the values stay on the server.
    pub variables: Vec<String>,
}

/// The environment variables templates may read, by name (never their values).
#[utoipa::path(get, path = "/environment", tag = "meta",
    responses((status = 200, body = EnvironmentOut)))]
async fn get_environment(_: Caller, State(state): State<AppState>) -> Json<EnvironmentOut> {
    Json(EnvironmentOut {
        variables: state.config.template_env.clone(),
    })
}

/// The workflow document's JSON Schema (also `weft schema`).
#[utoipa::path(get, path = "/schema/workflow.json", tag = "meta",
    responses((status = 200, description = "JSON Schema 2020-12", body = Object)))]
async fn get_workflow_schema(_: Caller, State(state): State<AppState>) -> Json<Value> {
    Json(engine::schema::workflow_schema(&state.registry))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_actions))
        .routes(routes!(list_triggers))
        .routes(routes!(get_workflow_schema))
        .routes(routes!(get_environment))
}

/// The workflow schema without authentication, at `/schema/workflow.json`, for editors'
/// `# yaml-language-server: $schema=…` lines. It holds no data, only the format.
pub(crate) async fn public_workflow_schema(State(state): State<AppState>) -> Json<Value> {
    Json(engine::schema::workflow_schema(&state.registry))
}

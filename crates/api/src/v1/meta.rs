//! Actions and schemas: what the editor needs to draw forms and check documents.

use axum::Json;
use axum::extract::State;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// Every action kind with its `with:` JSON Schema.
#[utoipa::path(get, path = "/actions", tag = "meta",
    responses((status = 200, description = "`[{kind, title, description, config_schema}]`", body = Object)))]
async fn list_actions(_: Caller, State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(state.registry.infos()).unwrap_or(Value::Null))
}

/// The workflow document's JSON Schema (also `weft schema`).
#[utoipa::path(get, path = "/schema/workflow.json", tag = "meta",
    responses((status = 200, description = "JSON Schema 2020-12", body = Object)))]
async fn get_workflow_schema(_: Caller, State(state): State<AppState>) -> Json<Value> {
    Json(engine::schema::workflow_schema(&state.registry))
}

/// The credentials steps and triggers may name: names and types, never secrets.
#[utoipa::path(get, path = "/credentials", tag = "meta",
    responses((status = 200, description = "`{items: [{name, type}]}`", body = Object)))]
async fn list_credentials(_: Caller, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let items = state.credentials.list().await.map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({ "items": items })))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials))
        .routes(routes!(list_actions))
        .routes(routes!(get_workflow_schema))
}

/// The workflow schema without authentication, at `/schema/workflow.json`, for editors'
/// `# yaml-language-server: $schema=…` lines. It holds no data, only the format.
pub(crate) async fn public_workflow_schema(State(state): State<AppState>) -> Json<Value> {
    Json(engine::schema::workflow_schema(&state.registry))
}

//! Building and debugging in the editor: a workflow's test data (a pinned trigger event and
//! pinned step outputs), test runs that use it instead of calling out, running one step, and
//! previews of what templates render to. Production runs (webhooks, schedules, `/run`) never
//! read any of it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use engine::template::{Compiler, Node, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::workflows::{RunQuery, find, run_event};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorCode, OptionalJson, PathParams, QueryParams};

/// Test data bigger than this is refused: pins are for trying things out, not bulk data.
const MAX_PINS_BYTES: usize = 2 * 1024 * 1024;

/// A trigger event to test with: what a caller would send (a captured test event, or typed).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerPin {
    /// `trigger.body`.
    #[serde(default)]
    pub body: Value,
    /// `trigger.headers` (names in any case; templates read them lower-case).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `trigger.query`.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// A workflow's test data: used by test runs from the editor, never by production runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinsIn {
    /// The trigger event test runs start from.
    #[serde(default)]
    pub trigger: Option<TriggerPin>,
    /// Outputs that stand for these steps in test runs (they are not run), by step id.
    #[serde(default)]
    pub steps: BTreeMap<String, Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PinsOut {
    #[schema(required)]
    pub trigger: Option<TriggerPin>,
    pub steps: BTreeMap<String, Value>,
    /// When the pins were saved; null when the workflow has none.
    #[schema(required)]
    pub saved_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn saved_pins(
    state: &AppState,
    id: Uuid,
) -> ApiResult<(PinsIn, Option<chrono::DateTime<chrono::Utc>>)> {
    Ok(match state.store.pins(id).await? {
        Some((value, at)) => (
            serde_json::from_value(value).map_err(ApiError::internal)?,
            Some(at),
        ),
        None => (PinsIn::default(), None),
    })
}

fn unknown_step(w: &store::WorkflowRecord, field: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidBody,
        format!(
            "{field}: the workflow has no step `{id}` (version {})",
            w.version
        ),
    )
}

/// The workflow's test data (empty when it has none).
#[utoipa::path(get, path = "/workflows/{id}/pins", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PinsOut), (status = 404)))]
async fn get_pins(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<PinsOut>> {
    find(&state, id).await?;
    let (pins, saved_at) = saved_pins(&state, id).await?;
    Ok(Json(PinsOut {
        trigger: pins.trigger,
        steps: pins.steps,
        saved_at,
    }))
}

/// Replace the workflow's test data: a trigger event and step outputs for test runs.
#[utoipa::path(put, path = "/workflows/{id}/pins", tag = "workflows",
    params(("id" = Uuid, Path)),
    request_body = PinsIn,
    responses((status = 200, body = PinsOut), (status = 404), (status = 413), (status = 422)))]
async fn put_pins(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    body: OptionalJson<PinsIn>,
) -> ApiResult<Json<PinsOut>> {
    let w = find(&state, id).await?;
    let pins = body.0.unwrap_or_default();
    for step in pins.steps.keys() {
        if !w.doc.workflow.steps.iter().any(|s| s.id == *step) {
            return Err(unknown_step(&w, &format!("steps.{step}"), step));
        }
    }
    let value = serde_json::to_value(&pins).map_err(ApiError::internal)?;
    let size = value.to_string().len();
    if size > MAX_PINS_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::InvalidBody,
            format!(
                "the test data is {size} bytes; at most {MAX_PINS_BYTES} are kept: pin smaller samples"
            ),
        ));
    }
    let saved_at = state.store.save_pins(id, value).await?;
    Ok(Json(PinsOut {
        trigger: pins.trigger,
        steps: pins.steps,
        saved_at: Some(saved_at),
    }))
}

/// Drop the workflow's test data.
#[utoipa::path(delete, path = "/workflows/{id}/pins", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_pins(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<StatusCode> {
    find(&state, id).await?;
    state.store.discard_pins(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A test run: what it starts from and what stands in for calls.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRunIn {
    /// The trigger event; without it, the pinned one (or an empty body).
    #[serde(default)]
    pub trigger: Option<TriggerPin>,
    /// Step outputs that stand for these steps (over the pinned ones), e.g. the last run's.
    #[serde(default)]
    pub steps: BTreeMap<String, Value>,
    /// Run only this step (for real), with the others pinned or skipped.
    #[serde(default)]
    pub step: Option<String>,
    /// Use the workflow's pins (default true).
    #[serde(default = "yes")]
    pub pins: bool,
}

fn yes() -> bool {
    true
}

impl Default for TestRunIn {
    /// An empty body: the pins, the pinned trigger event, every step.
    fn default() -> Self {
        TestRunIn {
            trigger: None,
            steps: BTreeMap::new(),
            step: None,
            pins: true,
        }
    }
}

/// Run the current version as a test: pinned steps are not run (their pins are their
/// outputs), and with `step` only that step runs. Recorded as a test execution.
#[utoipa::path(post, path = "/workflows/{id}/test-run", tag = "workflows",
    params(("id" = Uuid, Path), RunQuery),
    request_body = TestRunIn,
    responses(
        (status = 202, body = super::Accepted),
        (status = 200, description = "With `wait=true`: the finished (or waiting) execution", body = super::executions::ExecutionOut),
        (status = 404), (status = 422)))]
async fn test_run(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    QueryParams(q): QueryParams<RunQuery>,
    body: OptionalJson<TestRunIn>,
) -> ApiResult<Response> {
    let w = find(&state, id).await?;
    let body = body.0.unwrap_or_default();
    let has = |id: &str| w.doc.workflow.steps.iter().any(|s| s.id == id);
    if let Some(step) = &body.step
        && !has(step)
    {
        return Err(unknown_step(&w, "step", step));
    }
    for step in body.steps.keys() {
        if !has(step) {
            return Err(unknown_step(&w, &format!("steps.{step}"), step));
        }
    }
    let saved = if body.pins {
        saved_pins(&state, id).await?.0
    } else {
        PinsIn::default()
    };
    let trigger = body.trigger.or(saved.trigger).unwrap_or_default();
    let mut pins = saved.steps;
    pins.extend(body.steps);
    // Pins of steps the version no longer has are left out; the one step always runs.
    pins.retain(|k, _| has(k) && body.step.as_deref() != Some(k.as_str()));
    let mut event = state.registry.triggers().manual_event(
        &w.doc.workflow.trigger,
        engine::trigger::ManualInput {
            body: trigger.body,
            headers: trigger.headers,
            query: trigger.query,
        },
    );
    event.kind = triggers::kind::Manual::KIND.into();
    event.test = Some(engine::TestData {
        pins,
        only: body.step,
    });
    run_event(&state, &w, event, (None, None), true, q.wait).await
}

/// Templates to preview, and the data they read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderIn {
    /// Any JSON; its strings may be templates (e.g. a step's `with`).
    pub value: Value,
    /// Where `value` is, prefixing the paths of errors (e.g. `with`).
    #[serde(default)]
    pub path: String,
    /// `trigger` as templates read it (`body`, `headers`, `query`, …).
    #[serde(default)]
    pub trigger: Value,
    /// Step outputs, by step id (`steps.<id>`).
    #[serde(default)]
    pub steps: BTreeMap<String, Value>,
    /// `item` (and `index`), for a `for_each` step.
    #[serde(default)]
    pub item: Option<Value>,
}

/// One template that did not render.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderError {
    /// Where it is, e.g. `with.url`.
    pub path: String,
    pub template: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenderOut {
    /// `value` rendered; a template that failed stays as written.
    pub value: Value,
    pub errors: Vec<RenderError>,
}

/// Render templates against sample data (the last run's or pinned), each on its own: one
/// that fails is listed in `errors` and the others still render. `env.*` renders as
/// `‹env.NAME›`: variables' values never leave the server.
#[utoipa::path(post, path = "/templates/render", tag = "workflows",
    request_body = RenderIn,
    responses((status = 200, body = RenderOut), (status = 422)))]
async fn render_templates(
    _: Caller,
    State(state): State<AppState>,
    body: OptionalJson<RenderIn>,
) -> ApiResult<Json<RenderOut>> {
    let Some(body) = body.0 else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            "send {\"value\": …} with the templates to render",
        ));
    };
    let mut compiler = Compiler::new();
    let mut problems = Vec::new();
    let node = compiler.compile(&body.value, &body.path, &mut problems);
    let mut errors: Vec<RenderError> = problems
        .into_iter()
        .map(|p| RenderError {
            path: p.path,
            template: p.template,
            message: p.message,
        })
        .collect();
    let env: Map<String, Value> = state
        .config
        .template_env
        .iter()
        .map(|name| (name.clone(), Value::String(format!("‹env.{name}›"))))
        .collect();
    let steps: HashMap<String, Arc<Value>> = body
        .steps
        .into_iter()
        .map(|(k, v)| (k, Arc::new(v)))
        .collect();
    let execution = json!({ "id": Uuid::nil(), "workflow": "preview", "test": true });
    let scope = Scope {
        trigger: &body.trigger,
        steps: &steps,
        execution: &execution,
        env: &env,
        item: body.item.as_ref(),
        index: body.item.as_ref().map(|_| 0),
    };
    let value = render_each(&compiler, &node, &scope, &mut errors);
    Ok(Json(RenderOut { value, errors }))
}

/// Renders every template leaf on its own, so that one failure leaves the others.
fn render_each(
    compiler: &Compiler,
    node: &Node,
    scope: &Scope,
    errors: &mut Vec<RenderError>,
) -> Value {
    match node {
        Node::Static(v) => v.clone(),
        Node::Array(items) => Value::Array(
            items
                .iter()
                .map(|n| render_each(compiler, n, scope, errors))
                .collect(),
        ),
        Node::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, n)| (k.clone(), render_each(compiler, n, scope, errors)))
                .collect(),
        ),
        Node::Leaf { path, source, .. } => match compiler.render(node, scope) {
            Ok(v) => v,
            Err(e) => {
                errors.push(RenderError {
                    path: path.clone(),
                    template: source.clone(),
                    message: e.message,
                });
                Value::String(source.clone())
            }
        },
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_pins, put_pins, delete_pins))
        .routes(routes!(test_run))
        .routes(routes!(render_templates))
}

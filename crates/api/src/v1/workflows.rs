//! Workflows: CRUD (JSON or YAML in and out), validation, activation, versions, manual and
//! test runs.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::model::Trigger;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::body::WorkflowBody;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorCode, OptionalJson, PathParams, QueryParams};
use crate::hooks::{accepted, base_url, enqueue, status_url};
use crate::respond::{self, Format};

/// The trigger kind of a run started through the API.
const MANUAL: &str = triggers::kind::Manual::KIND;

/// What starts a workflow, as lists and records show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerOut {
    /// `webhook`, `schedule` or `manual`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The webhook's path (below `/hooks/`), for a webhook trigger.
    #[schema(required)]
    pub path: Option<String>,
}

impl TriggerOut {
    fn of(state: &AppState, trigger: &Trigger) -> Self {
        TriggerOut {
            kind: trigger.kind().into(),
            path: state
                .registry
                .triggers()
                .webhook_path(trigger)
                .map(str::to_string),
        }
    }
}

/// A workflow with its current version's document.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowOut {
    pub id: Uuid,
    pub name: String,
    #[schema(required)]
    pub description: Option<String>,
    pub active: bool,
    /// The current version; every save makes a new one.
    pub version: i32,
    pub trigger: TriggerOut,
    /// The production URL, for a webhook trigger (relative unless `WEFT_PUBLIC_URL` is set).
    #[schema(required)]
    pub webhook_url: Option<String>,
    /// The test URL (runs the current version, active or not, while someone listens).
    #[schema(required)]
    pub webhook_test_url: Option<String>,
    /// How the current version was written (`yaml` keeps its text for export).
    pub source_format: store::SourceFormat,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The workflow document, as in the YAML format (`docs/workflow.schema.json`).
    #[schema(value_type = Object)]
    pub workflow: engine::Workflow,
}

fn workflow_out(state: &AppState, w: store::WorkflowRecord) -> WorkflowOut {
    let base = base_url(state);
    let trigger = TriggerOut::of(state, &w.doc.workflow.trigger);
    WorkflowOut {
        id: w.id,
        name: w.name,
        description: w.description,
        active: w.active,
        version: w.version,
        webhook_url: trigger.path.as_ref().map(|p| format!("{base}/hooks/{p}")),
        webhook_test_url: trigger
            .path
            .as_ref()
            .map(|p| format!("{base}/hooks-test/{p}")),
        trigger,
        source_format: w.doc.format,
        created_at: w.created_at,
        updated_at: w.updated_at,
        workflow: w.doc.workflow,
    }
}

/// A workflow in a list: no document, but its last execution.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowSummaryOut {
    pub id: Uuid,
    pub name: String,
    #[schema(required)]
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
    pub trigger: TriggerOut,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[schema(required)]
    pub last_execution: Option<LastExecutionOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastExecutionOut {
    pub id: Uuid,
    pub status: store::ExecutionStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[schema(required)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<store::WorkflowSummary> for WorkflowSummaryOut {
    fn from(w: store::WorkflowSummary) -> Self {
        WorkflowSummaryOut {
            id: w.id,
            name: w.name,
            description: w.description,
            active: w.active,
            version: w.version,
            trigger: TriggerOut {
                kind: w.trigger_kind,
                path: w.webhook_path,
            },
            created_at: w.created_at,
            updated_at: w.updated_at,
            last_execution: w.last_execution.map(|e| LastExecutionOut {
                id: e.id,
                status: e.status,
                created_at: e.created_at,
                finished_at: e.finished_at,
            }),
        }
    }
}

super::list_of!(
    /// `GET /workflows`: every workflow, by name.
    WorkflowList,
    WorkflowSummaryOut
);

/// A saved version in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummaryOut {
    pub version: i32,
    pub source_format: store::SourceFormat,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Whether this is the workflow's current version.
    pub current: bool,
    /// What the save changed, in its author's words (`?message=` on a save, or `PATCH` on the
    /// version later).
    #[schema(required)]
    pub message: Option<String>,
}

/// A workflow's draft: the editor's work in progress, kept with its problems. The current
/// version (the one that runs, and that activation serves) stays the last valid save.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftOut {
    pub saved_at: chrono::DateTime<chrono::Utc>,
    pub source_format: store::SourceFormat,
    /// The draft document as far as it reads (`null` when it does not parse: see `problems`).
    #[schema(value_type = Object, required)]
    pub document: Option<Value>,
    /// What keeps it from being saved as a version, each located; empty when it is valid.
    pub problems: Vec<engine::Problem>,
    /// The current version, which runs until the draft is saved as a valid version.
    pub version: i32,
}

fn draft_out(
    state: &AppState,
    source: String,
    format: store::SourceFormat,
    saved_at: chrono::DateTime<chrono::Utc>,
    version: i32,
) -> DraftOut {
    let body = WorkflowBody {
        text: source,
        format,
    };
    let problems = match body.parse(&state.registry) {
        Ok(_) => Vec::new(),
        Err(p) => p.0,
    };
    DraftOut {
        saved_at,
        source_format: format,
        document: serde_yaml::from_str::<Value>(&body.text).ok(),
        problems,
        version,
    }
}

/// The longest version message.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// `?message=` of a save: what it changed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SaveQuery {
    /// What this save changes, shown beside the version (at most 500 characters).
    message: Option<String>,
}

/// `PATCH /workflows/{id}/versions/{version}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionPatchIn {
    /// The version's message; `null` or empty clears it.
    #[schema(required)]
    pub message: Option<String>,
}

/// A message as stored: trimmed, empty as none, bounded.
fn message_of(message: Option<String>) -> ApiResult<Option<String>> {
    let message = message
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    if let Some(m) = &message
        && m.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::bad_request(
            "a version message may not hold control characters (new lines and tabs are fine)",
        ));
    }
    if let Some(m) = &message
        && m.chars().count() > MAX_MESSAGE_CHARS
    {
        return Err(ApiError::bad_request(format!(
            "a version message may be at most {MAX_MESSAGE_CHARS} characters (this one has {})",
            m.chars().count()
        )));
    }
    Ok(message)
}

super::list_of!(
    /// `GET /workflows/{id}/versions`: newest first.
    VersionList,
    VersionSummaryOut
);

/// One saved version with its document.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// What the save changed, in its author's words.
    #[schema(required)]
    pub message: Option<String>,
    pub source_format: store::SourceFormat,
    /// The workflow document, as in the YAML format.
    #[schema(value_type = Object)]
    pub workflow: engine::Workflow,
}

/// The answer of `POST /workflows/validate`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationOut {
    pub valid: bool,
    /// Every problem at once, each located.
    pub problems: Vec<engine::Problem>,
}

/// A call captured at the test URL.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestEventOut {
    pub execution_id: Uuid,
    /// The request as the workflow sees it under `trigger` (secret headers redacted).
    pub request: engine::TriggerEvent,
}

/// Checks what validation cannot know, through the trigger's kind (a webhook: the secrets it
/// names exist and are strong enough).
async fn check_trigger_secret(state: &AppState, workflow: &engine::Workflow) -> ApiResult<()> {
    let Some(kind) = state.registry.triggers().of(&workflow.trigger) else {
        return Ok(());
    };
    kind.check_saved(&workflow.trigger, state.credentials.as_ref())
        .await
        .map_err(|p| {
            // Located like the validation problems, so the editor shows it on the field.
            let field = format!("trigger.{}", p.field);
            let mut problem = engine::Problem::new(&field, p.message.clone());
            problem.field = Some(field.clone());
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::WeakSecret,
                p.message,
            )
            .details(json!({ "field": field, "problems": [problem] }))
        })
}

fn parse_body(state: &AppState, body: &WorkflowBody) -> ApiResult<engine::Workflow> {
    body.parse(&state.registry)
        .map_err(|p| ApiError::invalid_workflow(&p))
}

/// The workflow a step calls (`action: workflow`), when its name is written out.
fn called(step: &engine::model::Step) -> Option<&str> {
    (step.action == "workflow")
        .then(|| step.config.as_ref()?.get("workflow")?.as_str())
        .flatten()
        .filter(|name| !name.contains("{{"))
}

/// Refuses a static cycle of workflow calls (A calls B calls A, through steps whose workflow
/// names are written out): its executions could only end at the call depth bound. Follows
/// the stored workflows the document's calls reach.
async fn check_calls(state: &AppState, workflow: &engine::Workflow, text: &str) -> ApiResult<()> {
    use std::collections::{HashSet, VecDeque};
    for (i, step) in workflow.steps.iter().enumerate() {
        let Some(callee) = called(step) else {
            continue;
        };
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([vec![workflow.name.clone(), callee.to_string()]]);
        while let Some(chain) = queue.pop_front() {
            let name = chain.last().expect("a chain has a name");
            if *name == workflow.name {
                let path = format!("steps[{i}].with.workflow");
                let message = format!(
                    "a cycle of workflow calls: {} (each execution would call the next until the depth bound stops it)",
                    chain
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                );
                let mut problem = engine::Problem::new(&path, message);
                problem.step = Some(step.id.clone());
                problem.field = Some("with.workflow".into());
                problem.location = engine::source::SourceMap::build(text).value(&path);
                return Err(ApiError::invalid_workflow(&engine::Problems(vec![problem])));
            }
            // Bounded: each stored workflow is looked at once.
            if !seen.insert(name.clone()) || seen.len() > 1000 {
                continue;
            }
            let Some(stored) = state.store.workflow_by_name(name).await? else {
                continue;
            };
            for next in stored.doc.workflow.steps.iter().filter_map(called) {
                let mut longer = chain.clone();
                longer.push(next.to_string());
                queue.push_back(longer);
            }
        }
    }
    Ok(())
}

async fn document(state: &AppState, body: WorkflowBody) -> ApiResult<store::WorkflowDoc> {
    let workflow = parse_body(state, &body)?;
    check_trigger_secret(state, &workflow).await?;
    check_calls(state, &workflow, &body.text).await?;
    Ok(store::WorkflowDoc {
        source: body.text,
        format: body.format,
        workflow,
    })
}

/// List workflows with their last execution.
#[utoipa::path(get, path = "/workflows", tag = "workflows",
    responses((status = 200, body = WorkflowList)))]
async fn list_workflows(_: Caller, State(state): State<AppState>) -> ApiResult<Json<WorkflowList>> {
    let items = state.store.list_workflows().await?;
    Ok(Json(WorkflowList::all(
        items.into_iter().map(WorkflowSummaryOut::from).collect(),
    )))
}

/// Create a workflow from a JSON or YAML document (version 1, inactive).
#[utoipa::path(post, path = "/workflows", tag = "workflows", params(SaveQuery),
    request_body(content((Object = "application/json"), (String = "application/yaml")), description = "The workflow document"),
    responses(
        (status = 201, body = WorkflowOut),
        (status = 415, description = "Neither JSON nor YAML"),
        (status = 422, description = "Not valid: `details.problems` lists every problem with its location"),
    ))]
async fn create_workflow(
    _: Caller,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<SaveQuery>,
    body: WorkflowBody,
) -> ApiResult<Response> {
    let message = message_of(q.message)?;
    let doc = document(&state, body).await?;
    let w = state.store.create_workflow(doc).await?;
    if message.is_some() {
        state.store.label_version(w.id, w.version, message).await?;
    }
    let out = workflow_out(&state, w);
    let location = format!("/api/v1/workflows/{}", out.id);
    let mut res = (StatusCode::CREATED, Json(out)).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Check a document without saving it.
#[utoipa::path(post, path = "/workflows/validate", tag = "workflows",
    request_body(content((Object = "application/json"), (String = "application/yaml")), description = "The workflow document"),
    responses((status = 200, body = ValidationOut)))]
async fn validate_workflow(
    _: Caller,
    State(state): State<AppState>,
    body: WorkflowBody,
) -> ApiResult<Json<ValidationOut>> {
    let problems = match body.parse(&state.registry) {
        Ok(_) => Vec::new(),
        Err(p) => p.0,
    };
    Ok(Json(ValidationOut {
        valid: problems.is_empty(),
        problems,
    }))
}

pub(super) async fn find(state: &AppState, id: Uuid) -> ApiResult<store::WorkflowRecord> {
    state
        .store
        .workflow(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workflow {id} does not exist")))
}

/// A workflow; with `Accept: application/yaml`, its document as YAML (exactly as imported when
/// it was imported as YAML and not changed since).
#[utoipa::path(get, path = "/workflows/{id}", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = WorkflowOut), (status = 404)))]
async fn get_workflow(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let w = find(&state, id).await?;
    match respond::negotiate(&headers) {
        Some(Format::Yaml) => {
            let text = match w.doc.format {
                store::SourceFormat::Yaml => w.doc.source.clone(),
                store::SourceFormat::Json => {
                    serde_yaml::to_string(&w.doc.workflow).map_err(ApiError::internal)?
                }
            };
            Ok(([(header::CONTENT_TYPE, "application/yaml")], text).into_response())
        }
        Some(_) => Ok(Json(workflow_out(&state, w)).into_response()),
        None => Err(respond::not_acceptable()),
    }
}

/// Save a new version of a workflow.
#[utoipa::path(put, path = "/workflows/{id}", tag = "workflows",
    params(("id" = Uuid, Path), SaveQuery),
    request_body(content((Object = "application/json"), (String = "application/yaml")), description = "The workflow document"),
    responses((status = 200, body = WorkflowOut), (status = 404), (status = 409), (status = 422)))]
async fn update_workflow(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    QueryParams(q): QueryParams<SaveQuery>,
    body: WorkflowBody,
) -> ApiResult<Json<WorkflowOut>> {
    let message = message_of(q.message)?;
    let doc = document(&state, body).await?;
    let w = state.store.update_workflow(id, doc).await?;
    if message.is_some() {
        state.store.label_version(w.id, w.version, message).await?;
    }
    Ok(Json(workflow_out(&state, w)))
}

/// Keep a draft of the workflow, problems and all (the current version stays as it is; a
/// valid save of a version removes the draft).
#[utoipa::path(put, path = "/workflows/{id}/draft", tag = "workflows",
    params(("id" = Uuid, Path)),
    request_body(content((Object = "application/json"), (String = "application/yaml")), description = "The workflow document, valid or not"),
    responses((status = 200, body = DraftOut), (status = 404), (status = 415)))]
async fn save_draft(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    body: WorkflowBody,
) -> ApiResult<Json<DraftOut>> {
    let w = find(&state, id).await?;
    if body.text.contains('\0') {
        return Err(ApiError::bad_request(
            "the draft holds a NUL character, which no workflow document may hold",
        ));
    }
    let saved_at = state
        .store
        .save_draft(id, body.text.clone(), body.format)
        .await?;
    Ok(Json(draft_out(
        &state,
        body.text,
        body.format,
        saved_at,
        w.version,
    )))
}

/// The workflow's draft, with its problems (404 when it has none).
#[utoipa::path(get, path = "/workflows/{id}/draft", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DraftOut), (status = 404)))]
async fn get_draft(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<DraftOut>> {
    let w = find(&state, id).await?;
    let Some((source, format, saved_at)) = state.store.draft(id).await? else {
        return Err(ApiError::not_found(format!("workflow {id} has no draft")));
    };
    Ok(Json(draft_out(&state, source, format, saved_at, w.version)))
}

/// Discard the workflow's draft.
#[utoipa::path(delete, path = "/workflows/{id}/draft", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404)))]
async fn discard_draft(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<StatusCode> {
    find(&state, id).await?;
    if !state.store.discard_draft(id).await? {
        return Err(ApiError::not_found(format!("workflow {id} has no draft")));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Set (or clear) the message of a saved version.
#[utoipa::path(patch, path = "/workflows/{id}/versions/{version}", tag = "workflows",
    params(("id" = Uuid, Path), ("version" = i32, Path)),
    request_body = VersionPatchIn,
    responses((status = 200, body = VersionSummaryOut), (status = 404)))]
async fn label_version(
    _: Caller,
    State(state): State<AppState>,
    PathParams((id, version)): PathParams<(Uuid, i32)>,
    OptionalJson(body): OptionalJson<VersionPatchIn>,
) -> ApiResult<Json<VersionSummaryOut>> {
    let message = message_of(body.and_then(|b| b.message))?;
    if !state.store.label_version(id, version, message).await? {
        return Err(ApiError::not_found(format!(
            "workflow {id} has no version {version}"
        )));
    }
    let v = state
        .store
        .versions(id)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| ApiError::not_found(format!("workflow {id} has no version {version}")))?;
    Ok(Json(VersionSummaryOut {
        version: v.version,
        source_format: v.format,
        created_at: v.created_at,
        current: v.current,
        message: v.message,
    }))
}

/// Delete a workflow with its versions and executions.
#[utoipa::path(delete, path = "/workflows/{id}", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_workflow(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<StatusCode> {
    find(&state, id).await?;
    state.store.delete_workflow(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start serving the workflow's webhook (takes effect at once, in every process).
#[utoipa::path(post, path = "/workflows/{id}/activate", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = WorkflowOut), (status = 404), (status = 409, description = "Another active workflow has this webhook path")))]
async fn activate_workflow(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<WorkflowOut>> {
    let w = state.store.set_active(id, true).await?;
    Ok(Json(workflow_out(&state, w)))
}

/// Stop serving the workflow's webhook.
#[utoipa::path(post, path = "/workflows/{id}/deactivate", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = WorkflowOut), (status = 404)))]
async fn deactivate_workflow(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<WorkflowOut>> {
    let w = state.store.set_active(id, false).await?;
    Ok(Json(workflow_out(&state, w)))
}

/// Every saved version, newest first.
#[utoipa::path(get, path = "/workflows/{id}/versions", tag = "workflows",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = VersionList), (status = 404)))]
async fn list_versions(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
) -> ApiResult<Json<VersionList>> {
    find(&state, id).await?;
    let items = state.store.versions(id).await?;
    Ok(Json(VersionList::all(
        items
            .into_iter()
            .map(|v| VersionSummaryOut {
                version: v.version,
                source_format: v.format,
                created_at: v.created_at,
                current: v.current,
                message: v.message,
            })
            .collect(),
    )))
}

async fn find_version(state: &AppState, id: Uuid, version: i32) -> ApiResult<store::VersionRecord> {
    state
        .store
        .version(id, version)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workflow {id} has no version {version}")))
}

/// One version's document.
#[utoipa::path(get, path = "/workflows/{id}/versions/{version}", tag = "workflows",
    params(("id" = Uuid, Path), ("version" = i32, Path)),
    responses((status = 200, body = VersionOut), (status = 404)))]
async fn get_version(
    _: Caller,
    State(state): State<AppState>,
    PathParams((id, version)): PathParams<(Uuid, i32)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let v = find_version(&state, id, version).await?;
    match respond::negotiate(&headers) {
        Some(Format::Yaml) => {
            Ok(([(header::CONTENT_TYPE, "application/yaml")], v.doc.source).into_response())
        }
        Some(_) => Ok(Json(VersionOut {
            version: v.version,
            created_at: v.created_at,
            message: v.message,
            source_format: v.doc.format,
            workflow: v.doc.workflow,
        })
        .into_response()),
        None => Err(respond::not_acceptable()),
    }
}

/// Make an old version current again (saved as a new version).
#[utoipa::path(post, path = "/workflows/{id}/versions/{version}/restore", tag = "workflows",
    params(("id" = Uuid, Path), ("version" = i32, Path)),
    responses((status = 200, body = WorkflowOut), (status = 404), (status = 409)))]
async fn restore_version(
    _: Caller,
    State(state): State<AppState>,
    PathParams((id, version)): PathParams<(Uuid, i32)>,
) -> ApiResult<Json<WorkflowOut>> {
    let v = find_version(&state, id, version).await?;
    let message = match &v.message {
        Some(m) => format!(
            "Restored version {version}: {}",
            m.chars().take(MAX_MESSAGE_CHARS - 40).collect::<String>()
        ),
        None => format!("Restored version {version}"),
    };
    let w = state.store.update_workflow(id, v.doc).await?;
    state
        .store
        .label_version(w.id, w.version, message_of(Some(message))?)
        .await?;
    Ok(Json(workflow_out(&state, w)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct RunQuery {
    /// Wait for the result (up to the server's sync wait, or until it waits: `action: wait`)
    /// instead of answering 202 at once.
    #[serde(default)]
    pub(super) wait: bool,
}

/// Run the current version now; the JSON body is the trigger body.
#[utoipa::path(post, path = "/workflows/{id}/run", tag = "workflows",
    params(("id" = Uuid, Path), RunQuery),
    request_body(content = Object, description = "Becomes `trigger.body`"),
    responses(
        (status = 202, body = super::Accepted),
        (status = 200, description = "With `wait=true`: the finished (or waiting) execution", body = super::executions::ExecutionOut),
        (status = 404)))]
async fn run_workflow(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    QueryParams(q): QueryParams<RunQuery>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<Value>,
) -> ApiResult<Response> {
    let w = find(&state, id).await?;
    let input = body.unwrap_or(Value::Object(Default::default()));
    // As if the trigger had fired (a webhook's method and path), but a run by hand.
    let mut event = state.registry.triggers().manual_event(
        &w.doc.workflow.trigger,
        engine::trigger::ManualInput {
            body: input,
            ..Default::default()
        },
    );
    event.kind = MANUAL.into();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let fingerprint = key.as_ref().map(|_| {
        triggers::fingerprint(
            "POST",
            &format!("/api/v1/workflows/{id}/run"),
            event.body.to_string().as_bytes(),
        )
    });
    run_event(&state, &w, event, (key, fingerprint), false, q.wait).await
}

/// Queues a run of the workflow's current version from `event` (by hand: `manual`); with
/// `wait`, answers with the execution once it settles (or 202 if it does not in time).
pub(super) async fn run_event(
    state: &AppState,
    w: &store::WorkflowRecord,
    event: engine::TriggerEvent,
    (key, fingerprint): (Option<String>, Option<String>),
    test: bool,
    wait: bool,
) -> ApiResult<Response> {
    let request = std::sync::Arc::new(event);
    let (enqueued, _) = enqueue(
        state,
        store::NewExecution {
            workflow_id: w.id,
            version: w.version,
            trigger_kind: MANUAL.into(),
            request,
            idempotency_key: key,
            fingerprint,
            test,
            claim_for: None,
            concurrency: None,
        },
        false,
    )
    .await?;
    let url = status_url(state, enqueued.execution_id);
    if wait
        && let Some(exec) = state
            .store
            .wait_settled(enqueued.execution_id, state.config.sync_wait)
            .await?
    {
        let steps = state.store.finished_steps(exec.id).await?;
        return Ok(Json(super::executions::ExecutionOut::new(exec, steps, None)).into_response());
    }
    Ok(accepted(enqueued.execution_id, &url, enqueued.duplicate))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListenQuery {
    /// Seconds to wait for a call to the test URL (default 60, at most 300).
    timeout: Option<u64>,
}

/// Wait for the next call to this workflow's test URL and return the captured request.
#[utoipa::path(get, path = "/workflows/{id}/test-event", tag = "workflows",
    params(("id" = Uuid, Path), ListenQuery),
    responses(
        (status = 200, body = TestEventOut),
        (status = 204, description = "No call arrived in time"),
        (status = 404)))]
async fn listen_test_event(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    QueryParams(q): QueryParams<ListenQuery>,
) -> ApiResult<Response> {
    find(&state, id).await?;
    let mut rx = state.test_listener(id);
    let wait = Duration::from_secs(q.timeout.unwrap_or(60).clamp(1, 300));
    match tokio::time::timeout(wait, rx.recv()).await {
        Ok(Ok(event)) => Ok(Json(event).into_response()),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ScheduleQuery {
    /// How many run times (default 5, at most 100).
    count: Option<usize>,
}

/// When a schedule workflow runs next.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOut {
    /// The time zone the cron is read in (IANA name).
    pub timezone: String,
    /// The next run times, in UTC (RFC 3339).
    pub next_runs: Vec<chrono::DateTime<chrono::Utc>>,
    /// Whether it runs at all (only an active workflow's schedule fires; `false` for a
    /// preview).
    pub active: bool,
}

impl ScheduleOut {
    /// The next `count` runs from now (default 5, at most 100).
    fn of(parsed: &triggers::kind::ParsedSchedule, count: Option<usize>, active: bool) -> Self {
        ScheduleOut {
            timezone: parsed.timezone().to_string(),
            next_runs: parsed.next_runs(chrono::Utc::now(), count.unwrap_or(5).clamp(1, 100)),
            active,
        }
    }
}

/// The next run times of a workflow with a schedule trigger, in its time zone's rules.
#[utoipa::path(get, path = "/workflows/{id}/schedule", tag = "workflows",
    params(("id" = Uuid, Path), ScheduleQuery),
    responses((status = 200, body = ScheduleOut), (status = 404), (status = 409, description = "Not a schedule trigger")))]
async fn get_schedule(
    _: Caller,
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    QueryParams(q): QueryParams<ScheduleQuery>,
) -> ApiResult<Json<ScheduleOut>> {
    let w = find(&state, id).await?;
    let Some(settings) = triggers::kind::Schedule::settings(&w.doc.workflow.trigger) else {
        return Err(ApiError::conflict(format!(
            "workflow {id} is started by its {} trigger, not a schedule",
            w.doc.workflow.trigger.kind()
        )));
    };
    let parsed = triggers::kind::ParsedSchedule::new(settings).map_err(|problems| {
        ApiError::internal(format!(
            "the saved schedule of workflow {id} does not parse: {}",
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(Json(ScheduleOut::of(&parsed, q.count, w.active)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// A cron expression: five fields, or six with seconds first.
    cron: String,
    /// An IANA time zone; default UTC.
    timezone: Option<String>,
    /// How many run times (default 5, at most 100).
    count: Option<usize>,
}

/// When a schedule would run, before it is saved (the editor's preview): the same rules as
/// the scheduler, time zone and daylight saving time included.
#[utoipa::path(get, path = "/schedules/preview", tag = "workflows",
    params(PreviewQuery),
    responses((status = 200, body = ScheduleOut), (status = 422, description = "Not valid: `details.problems`, at `trigger.cron` / `trigger.timezone`")))]
async fn preview_schedule(
    _: Caller,
    QueryParams(q): QueryParams<PreviewQuery>,
) -> ApiResult<Json<ScheduleOut>> {
    let settings = engine::model::ScheduleTrigger {
        cron: q.cron,
        timezone: q.timezone.filter(|t| !t.trim().is_empty()),
        catch_up: None,
    };
    let parsed = triggers::kind::ParsedSchedule::new(&settings).map_err(|problems| {
        let problems = engine::Problems(
            problems
                .into_iter()
                .map(|p| {
                    let field = format!("trigger.{}", p.field);
                    let mut problem = engine::Problem::new(&field, p.message);
                    problem.field = Some(field);
                    problem
                })
                .collect(),
        );
        ApiError::invalid_workflow(&problems)
    })?;
    Ok(Json(ScheduleOut::of(&parsed, q.count, false)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workflows, create_workflow))
        .routes(routes!(validate_workflow))
        .routes(routes!(get_workflow, update_workflow, delete_workflow))
        .routes(routes!(activate_workflow))
        .routes(routes!(deactivate_workflow))
        .routes(routes!(list_versions))
        .routes(routes!(get_version, label_version))
        .routes(routes!(get_draft, save_draft, discard_draft))
        .routes(routes!(restore_version))
        .routes(routes!(run_workflow))
        .routes(routes!(listen_test_event))
        .routes(routes!(get_schedule))
        .routes(routes!(preview_schedule))
}

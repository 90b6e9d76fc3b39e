//! `/connectors`: OpenAPI 3.x and Swagger 2.0 documents imported as connectors, one action per
//! operation (`<connector>.<operation>`, listed by `GET /actions` like the built-in ones).
//! A re-import of a name is its next version; workflows using it are checked against it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Caller;
use crate::catalog::ImportError;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The largest document imported (16 MiB).
pub const MAX_DOCUMENT_BYTES: usize = connectors::document::MAX_DOCUMENT_SIZE;

/// A security scheme of the document and the credential type that serves it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SecuritySchemeOut {
    pub name: String,
    /// `basic`, `bearer`, `api_key`, `header` or `oauth2`.
    pub credential_type: String,
    /// For `api_key`: `header` or `query`.
    #[schema(required)]
    pub key_in: Option<String>,
    /// For `api_key`: the header or query parameter's name.
    #[schema(required)]
    pub key_name: Option<String>,
}

/// A connector (its newest version).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectorOut {
    /// Its actions are `<name>.<operation>`.
    pub name: String,
    pub version: i64,
    /// The document's title.
    pub title: String,
    /// `OpenAPI 3.0.1`, `Swagger 2.0`, …
    pub format: String,
    /// Where requests go (unless an operation's own `servers` say otherwise).
    pub base_url: String,
    /// The base URL was given at import, instead of the document's servers.
    pub base_url_overridden: bool,
    pub operations: usize,
    /// The credential types its operations take.
    pub credential_types: Vec<String>,
    pub security: Vec<SecuritySchemeOut>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The workflows with a step of this connector, by name.
    pub used_by: Vec<String>,
}

/// An operation of a connector.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OperationOut {
    /// The action: `<connector>.<id>`.
    pub kind: String,
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub deprecated: bool,
    pub credential_types: Vec<String>,
}

/// A stored version.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectorVersionOut {
    pub version: i64,
    pub operations: usize,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A connector with its operations and versions.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectorDetailOut {
    pub connector: ConnectorOut,
    pub operations: Vec<OperationOut>,
    /// Newest first.
    pub versions: Vec<ConnectorVersionOut>,
}

/// A problem with a document: a JSON pointer, and the line when known.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DocumentProblemOut {
    pub pointer: String,
    #[schema(required)]
    pub line: Option<usize>,
    #[schema(required)]
    pub column: Option<usize>,
    pub message: String,
}

/// A workflow whose steps no longer fit the connector's new version.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AffectedWorkflowOut {
    pub workflow: String,
    pub problems: Vec<engine::Problem>,
}

/// The answer of an import.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportedOut {
    pub connector: ConnectorOut,
    /// The workflows using the connector that have problems with this version (each
    /// located); empty when they all still fit.
    pub workflows_with_problems: Vec<AffectedWorkflowOut>,
}

super::list_of!(
    /// `GET /connectors`: by name.
    ConnectorList,
    ConnectorOut
);

fn connector_out(
    c: &connectors::Connector,
    created_at: chrono::DateTime<chrono::Utc>,
    used_by: Vec<String>,
) -> ConnectorOut {
    let mut credential_types: Vec<String> = Vec::new();
    for t in c.operations.iter().flat_map(|o| o.credential_types.iter()) {
        if !credential_types.contains(t) {
            credential_types.push(t.clone());
        }
    }
    ConnectorOut {
        name: c.name.clone(),
        version: c.version,
        title: c.title.clone(),
        format: c.format.clone(),
        base_url: c.base_url.clone(),
        base_url_overridden: c.base_url_overridden,
        operations: c.operations.len(),
        credential_types,
        security: c
            .security
            .iter()
            .map(|s| SecuritySchemeOut {
                name: s.name.clone(),
                credential_type: s.credential_type.clone(),
                key_in: s.key_in.clone(),
                key_name: s.key_name.clone(),
            })
            .collect(),
        created_at,
        used_by,
    }
}

/// A document in a request body: JSON or YAML.
pub struct DocumentBody(String);

impl FromRequest<AppState> for DocumentBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let known = [
            "application/json",
            "application/yaml",
            "application/x-yaml",
            "text/yaml",
            "text/x-yaml",
            "application/vnd.oai.openapi",
            "application/vnd.oai.openapi+json",
        ];
        if !known.contains(&content_type.as_str()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                format!(
                    "send the OpenAPI document as application/json or application/yaml (got `{}`)",
                    if content_type.is_empty() {
                        "no content type"
                    } else {
                        &content_type
                    }
                ),
            ));
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_DOCUMENT_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "an OpenAPI document may be at most {MAX_DOCUMENT_BYTES} bytes (16 MiB)"
                    ),
                )
            })?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::bad_request("the document is not valid UTF-8"))?;
        Ok(DocumentBody(text))
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The connector's name (its actions are `<name>.<operation>`); from the document's title
    /// when absent. An existing name gets a new version.
    name: Option<String>,
    /// Where requests go instead of the document's `servers` (e.g. a test server).
    base_url: Option<String>,
}

/// Import an OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML) as a connector: one
/// action per operation. The same name again makes a new version.
#[utoipa::path(post, path = "/connectors", tag = "connectors", params(ImportQuery),
    request_body(content((Object = "application/json"), (String = "application/yaml")), description = "The OpenAPI document"),
    responses(
        (status = 201, body = ImportedOut),
        (status = 415, description = "Neither JSON nor YAML"),
        (status = 422, description = "The document cannot be used: `details.problems`, each with its JSON pointer and line"),
    ))]
async fn import_connector(
    _: Caller,
    State(state): State<AppState>,
    Query(q): Query<ImportQuery>,
    DocumentBody(text): DocumentBody,
) -> ApiResult<Response> {
    let name = q.name.filter(|n| !n.trim().is_empty());
    let base_url = q.base_url.filter(|n| !n.trim().is_empty());
    let imported = match state.catalog.import(text, name, base_url).await {
        Ok(i) => i,
        Err(ImportError::Store(e)) => return Err(e.into()),
        Err(ImportError::Problems(problems)) => {
            let out: Vec<DocumentProblemOut> = problems
                .into_iter()
                .map(|p| DocumentProblemOut {
                    pointer: p.pointer,
                    line: p.line,
                    column: p.column,
                    message: p.message,
                })
                .collect();
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidDocument,
                format!(
                    "the document cannot be imported ({} problem{})",
                    out.len(),
                    if out.len() == 1 { "" } else { "s" }
                ),
            )
            .details(serde_json::json!({ "problems": out })));
        }
    };
    let mut affected = Vec::new();
    let mut used_by = Vec::new();
    let prefix = format!("{}.", imported.connector.name);
    for w in state.store.current_workflows().await? {
        if !w
            .doc
            .workflow
            .steps
            .iter()
            .any(|s| s.action.starts_with(&prefix))
        {
            continue;
        }
        used_by.push(w.name.clone());
        if let Err(problems) = engine::load(&w.doc.source, None, &state.registry) {
            affected.push(AffectedWorkflowOut {
                workflow: w.name.clone(),
                problems: problems.0,
            });
        }
    }
    let out = ImportedOut {
        connector: connector_out(&imported.connector, imported.head.created_at, used_by),
        workflows_with_problems: affected,
    };
    let location = format!("/api/v1/connectors/{}", out.connector.name);
    let mut res = (StatusCode::CREATED, Json(out)).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The imported connectors.
#[utoipa::path(get, path = "/connectors", tag = "connectors",
    responses((status = 200, body = ConnectorList)))]
async fn list_connectors(
    _: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<ConnectorList>> {
    state.catalog.refresh().await?;
    let heads = state.store.current_connectors().await?;
    let workflows = state.store.current_workflows().await?;
    let mut items = Vec::new();
    for head in heads {
        let Some(c) = state.catalog.set().get_connector(&head.name) else {
            continue;
        };
        let prefix = format!("{}.", c.name);
        let used_by = workflows
            .iter()
            .filter(|w| {
                w.doc
                    .workflow
                    .steps
                    .iter()
                    .any(|s| s.action.starts_with(&prefix))
            })
            .map(|w| w.name.clone())
            .collect();
        items.push(connector_out(&c, head.created_at, used_by));
    }
    Ok(Json(ConnectorList::all(items)))
}

/// A connector with its operations and versions.
#[utoipa::path(get, path = "/connectors/{name}", tag = "connectors",
    params(("name" = String, Path, description = "The connector's name")),
    responses((status = 200, body = ConnectorDetailOut), (status = 404)))]
async fn get_connector(
    _: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectorDetailOut>> {
    state.catalog.refresh().await?;
    let versions = state.store.connector_versions(&name).await?;
    let (Some(c), Some(newest)) = (state.catalog.set().get_connector(&name), versions.first())
    else {
        return Err(ApiError::not_found(format!("no connector named `{name}`")));
    };
    let used_by = state.catalog.used_by(&name).await?;
    Ok(Json(ConnectorDetailOut {
        connector: connector_out(&c, newest.created_at, used_by),
        operations: c
            .operations
            .iter()
            .map(|o| OperationOut {
                kind: format!("{}.{}", c.name, o.id),
                id: o.id.clone(),
                method: o.method.clone(),
                path: o.path.clone(),
                summary: o.summary.clone(),
                tags: o.tags.clone(),
                deprecated: o.deprecated,
                credential_types: o.credential_types.clone(),
            })
            .collect(),
        versions: versions
            .iter()
            .map(|v| ConnectorVersionOut {
                version: v.version,
                operations: v.operations,
                created_at: v.created_at,
            })
            .collect(),
    }))
}

/// Delete a connector (every version); refused while a workflow uses it.
#[utoipa::path(delete, path = "/connectors/{name}", tag = "connectors",
    params(("name" = String, Path, description = "The connector's name")),
    responses((status = 204), (status = 404), (status = 409, description = "Workflows use it: `details.workflows`")))]
async fn delete_connector(
    _: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let used_by = state.catalog.used_by(&name).await?;
    if !used_by.is_empty() {
        return Err(ApiError::conflict(format!(
            "connector `{name}` is used by {}: change them first",
            used_by
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .details(serde_json::json!({ "workflows": used_by })));
    }
    match state.catalog.delete(&name).await? {
        0 => Err(ApiError::not_found(format!("no connector named `{name}`"))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_connector, list_connectors))
        .routes(routes!(get_connector, delete_connector))
}

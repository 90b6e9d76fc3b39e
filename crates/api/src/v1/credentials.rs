//! Credentials: create, list, read, change, delete, test, and connect (OAuth2). Secrets are
//! write-only: answers show which secret fields are set, never their values.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use credentials::{CredentialIn, CredentialUpdate, CredentialView, TestResult, VaultError};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorCode, OptionalJson, PathParams};

super::list_of!(
    /// `GET /credentials`: every credential (the operator's read-only ones first); never a secret.
    CredentialList,
    CredentialView
);

super::list_of!(
    /// `GET /credential-types`: each type with the JSON Schema of its `data`.
    CredentialTypeList,
    credentials::kinds::KindInfo
);

/// `POST /credentials/{name}/test`: a URL to call with the credential (optional).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestIn {
    /// Called with `GET` through the `http` action (host binding and outbound policy apply).
    #[serde(default)]
    pub url: Option<String>,
}

/// `POST /credentials/{name}/connect`: the provider's page to open.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectOut {
    pub authorize_url: String,
    /// Where the provider sends the browser back (register it at the provider).
    pub redirect_uri: String,
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::NotFound(_) => ApiError::not_found(e.to_string()),
            VaultError::Invalid { ref field, .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidBody,
                e.to_string(),
            )
            .details(json!({ "field": field })),
            VaultError::Conflict(m) => ApiError::conflict(m),
            VaultError::InUse { ref workflows, .. } => {
                let workflows = workflows.clone();
                ApiError::conflict(e.to_string()).details(json!({ "workflows": workflows }))
            }
            VaultError::Unusable(m) => ApiError::conflict(m),
            VaultError::Store(e) => e.into(),
        }
    }
}

fn required<T>(body: OptionalJson<T>) -> ApiResult<T> {
    body.0.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            "send the credential as a JSON body",
        )
    })
}

/// Every credential: names, types, hosts, non-secret fields, status and use; never secrets.
#[utoipa::path(get, path = "/credentials", tag = "credentials",
    responses((status = 200, body = CredentialList)))]
async fn list_credentials(
    _: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<CredentialList>> {
    Ok(Json(CredentialList::all(state.vault.views().await?)))
}

/// Every credential type and the JSON Schema of its `data`.
#[utoipa::path(get, path = "/credential-types", tag = "credentials",
    responses((status = 200, body = CredentialTypeList)))]
async fn list_credential_types(_: Caller) -> Json<CredentialTypeList> {
    Json(CredentialTypeList::all(credentials::kinds::infos()))
}

/// Create a credential. Its secret fields are sealed before they are stored.
#[utoipa::path(post, path = "/credentials", tag = "credentials",
    request_body = CredentialIn,
    responses((status = 201, body = CredentialView), (status = 409), (status = 422)))]
async fn create_credential(
    _: Caller,
    State(state): State<AppState>,
    body: OptionalJson<CredentialIn>,
) -> ApiResult<Response> {
    let view = state.vault.create(required(body)?).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// One credential.
#[utoipa::path(get, path = "/credentials/{name}", tag = "credentials",
    params(("name" = String, Path)),
    responses((status = 200, body = CredentialView), (status = 404)))]
async fn get_credential(
    _: Caller,
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> ApiResult<Json<CredentialView>> {
    Ok(Json(state.vault.view(&name).await?))
}

/// Change a credential: fields left out stay, and so does a secret field left out or empty.
#[utoipa::path(put, path = "/credentials/{name}", tag = "credentials",
    params(("name" = String, Path)), request_body = CredentialUpdate,
    responses((status = 200, body = CredentialView), (status = 404),
        (status = 409, description = "Read-only (the operator's) or changed meanwhile"), (status = 422)))]
async fn update_credential(
    _: Caller,
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    body: OptionalJson<CredentialUpdate>,
) -> ApiResult<Json<CredentialView>> {
    Ok(Json(state.vault.update(&name, required(body)?).await?))
}

/// Delete a credential; refused while an active workflow uses it (`details.workflows`).
#[utoipa::path(delete, path = "/credentials/{name}", tag = "credentials",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "In use, or read-only")))]
async fn delete_credential(
    _: Caller,
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.vault.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test a credential: read it as a step would (an OAuth2 one gets a token) and, with `url`,
/// call that URL with it.
#[utoipa::path(post, path = "/credentials/{name}/test", tag = "credentials",
    params(("name" = String, Path)), request_body = TestIn,
    responses((status = 200, body = TestResult), (status = 404)))]
async fn test_credential(
    _: Caller,
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    body: OptionalJson<TestIn>,
) -> ApiResult<Json<TestResult>> {
    let url = body.0.unwrap_or_default().url;
    Ok(Json(state.vault.test(&name, url.as_deref()).await?))
}

/// Start connecting an OAuth2 (authorization code) credential: open `authorize_url` in the
/// browser; the provider sends it back to `/oauth/callback`.
#[utoipa::path(post, path = "/credentials/{name}/connect", tag = "credentials",
    params(("name" = String, Path)),
    responses((status = 200, body = ConnectOut), (status = 404), (status = 409)))]
async fn connect_credential(
    _: Caller,
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    headers: HeaderMap,
) -> ApiResult<Json<ConnectOut>> {
    let redirect_uri = format!("{}/oauth/callback", origin(&state, &headers)?);
    let authorize_url = state.vault.connect(&name, &redirect_uri).await?;
    Ok(Json(ConnectOut {
        authorize_url,
        redirect_uri,
    }))
}

/// Weft's public origin: `WEFT_PUBLIC_URL`, else the origin the editor is reached at.
fn origin(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let base = crate::public_base(state.config.public_url.as_deref());
    if !base.is_empty() {
        return Ok(base);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .ok_or_else(|| ApiError::bad_request("no usable Host header: set WEFT_PUBLIC_URL"))?;
    Ok(format!("http://{host}"))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(
            get_credential,
            update_credential,
            delete_credential
        ))
        .routes(routes!(test_credential))
        .routes(routes!(connect_credential))
        .routes(routes!(list_credential_types))
}

/// `GET /oauth/callback?code&state`: where the provider sends the browser back. `state`
/// authenticates it (no API key: the browser comes from the provider). Answers a small page.
pub(crate) async fn oauth_callback(
    State(state): State<AppState>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (title, message, status) = match (get("state"), get("code"), get("error")) {
        (_, _, Some(error)) => (
            "Not connected",
            format!(
                "The provider did not authorize: {error}{}",
                get("error_description")
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
            StatusCode::BAD_REQUEST,
        ),
        (Some(s), Some(code), None) => match state.vault.callback(&s, &code).await {
            Ok(name) => (
                "Connected",
                format!("The credential `{name}` is connected. You can close this window."),
                StatusCode::OK,
            ),
            Err(e) => ("Not connected", e.to_string(), StatusCode::BAD_REQUEST),
        },
        _ => (
            "Not connected",
            "The provider's answer has no code and state.".to_string(),
            StatusCode::BAD_REQUEST,
        ),
    };
    crate::resume::message(status, title, &message)
}

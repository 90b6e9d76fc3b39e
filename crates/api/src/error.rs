//! One error type for every handler: a status, a stable `code`, a message, and details. The
//! body is always `{"error": {"code", "message", "details"}}`. Internal causes are logged,
//! never sent.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError(Box<Inner>);

/// Every `error.code` the API answers with. Clients branch on the code, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the query, path or body is wrong (the message says what).
    BadRequest,
    /// 400: the body is not valid JSON (`details.line`, `details.column` when known).
    MalformedJson,
    /// 400: a webhook body does not parse as its content type says.
    MalformedBody,
    /// 401: no or an invalid API key, session or signature.
    Unauthorized,
    /// 403: the key's scope does not allow this, or the CSRF token is missing.
    Forbidden,
    /// 404: no such resource (or nothing listens at a test URL).
    NotFound,
    /// 405: the webhook does not take this method (see `Allow`).
    MethodNotAllowed,
    /// 406: nothing the `Accept` header allows can be answered.
    NotAcceptable,
    /// 409: the resource is not in a state that allows this.
    Conflict,
    /// 413: the body is larger than this server accepts.
    PayloadTooLarge,
    /// 415: neither JSON nor another accepted content type.
    UnsupportedMediaType,
    /// 422: the JSON body does not fit the expected shape.
    InvalidBody,
    /// 422: the workflow document is not valid (`details.problems`, each located).
    InvalidWorkflow,
    /// 422: an OpenAPI document cannot be imported as a connector (`details.problems`, each
    /// with its JSON pointer and line).
    InvalidDocument,
    /// 422: a webhook secret is missing or too weak (`details.problems`).
    WeakSecret,
    /// 422: this `Idempotency-Key` was used with another request.
    IdempotencyKeyReused,
    /// 429: the webhook's `rate_limit` is reached for this window; retry after `Retry-After`
    /// (seconds until the window resets).
    RateLimited,
    /// 500: a sync execution did not succeed (`details.execution_id`).
    ExecutionFailed,
    /// 500: something failed on our side (logged, not sent).
    Internal,
    /// 504: a sync call's execution did not finish within the sync wait; it goes on
    /// (`details.execution_id`, `details.status_url`, and `Location`).
    StillRunning,
    /// 503: too much is being received at once; retry after `Retry-After`.
    Busy,
}

/// The body of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorOut,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorOut {
    pub code: ErrorCode,
    /// For people: what went wrong and, where it helps, what to do.
    pub message: String,
    /// Depends on the code (e.g. `problems` for `invalid_workflow`); `null` when none.
    pub details: Value,
}

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    details: Value,
    /// Extra headers, e.g. `Allow` on 405.
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(Box::new(Inner {
            status,
            code,
            message: message.into(),
            details: Value::Null,
            headers: Vec::new(),
        }))
    }

    pub fn details(mut self, details: Value) -> Self {
        self.0.details = details;
        self
    }

    pub fn header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.0.headers.push((name, v));
        }
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, what)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "missing or invalid credentials",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// The workflow document is not valid: every problem, located.
    pub fn invalid_workflow(problems: &engine::Problems) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidWorkflow,
            format!(
                "the workflow is not valid ({} problem{})",
                problems.0.len(),
                if problems.0.len() == 1 { "" } else { "s" }
            ),
        )
        .details(json!({ "problems": problems.0 }))
    }

    /// Something failed on our side: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "an internal error occurred; see the server log",
        )
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::NotFound { entity, id } => {
                ApiError::not_found(format!("{entity} {id} does not exist"))
            }
            store::Error::Conflict { message } => ApiError::conflict(message),
            e @ store::Error::IdempotencyMismatch { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                e.to_string(),
            ),
            // What the caller sent is wrong (e.g. a cursor that is not one).
            store::Error::Invalid { message } => ApiError::bad_request(message),
            // The database is down or overloaded (a lost connection, a pool timeout, a failed
            // group commit): nothing of this request was stored, and trying again shortly may
            // work.
            other if other.is_transient() => {
                tracing::warn!(error = %other, "the database is unavailable; answered 503");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Busy,
                    "the database is unavailable right now; nothing was stored: try again shortly",
                )
                .header(header::RETRY_AFTER, "5")
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = *self.0;
        let body = ErrorBody {
            error: ErrorOut {
                code: e.code,
                message: e.message,
                details: e.details,
            },
        };
        let mut res = (e.status, Json(body)).into_response();
        for (k, v) in e.headers {
            res.headers_mut().insert(k, v);
        }
        res
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidBody,
                format!("the JSON body does not fit: {}", e.body_text()),
            ),
            JsonRejection::JsonSyntaxError(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with `Content-Type: application/json`",
            ),
            JsonRejection::BytesRejection(b) => b.into(),
            other => ApiError::bad_request(other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        let text = r.body_text();
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "the body is larger than this server accepts",
            )
        } else {
            ApiError::bad_request(format!("the body could not be read: {text}"))
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request(format!("bad query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        if r.status() == StatusCode::BAD_REQUEST {
            ApiError::bad_request(r.body_text())
        } else {
            ApiError::internal(r.body_text())
        }
    }
}

/// `axum::extract::Path` with our error shape (an id that is not a UUID is a JSON 400).
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParams<T>(pub T);

/// `axum::extract::Query` with our error shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);

/// An optional JSON body: an empty body is `None`; anything else must be valid JSON.
#[derive(Debug, Clone, Default)]
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> axum::extract::FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {e}"),
            )
            .details(json!({ "line": e.line(), "column": e.column() }))
        })?;
        serde_json::from_value(value)
            .map(|v| OptionalJson(Some(v)))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::InvalidBody,
                    format!("the JSON body does not fit: {e}"),
                )
            })
    }
}

//! A workflow document in a request body: YAML (`application/yaml`, `text/yaml`) or JSON.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// The largest workflow document accepted (1 MiB).
pub const MAX_WORKFLOW_BYTES: usize = 1024 * 1024;

/// The text of a workflow document and the format it came in.
pub struct WorkflowBody {
    pub text: String,
    pub format: store::SourceFormat,
}

impl FromRequest<AppState> for WorkflowBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
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
        let format = match content_type.as_str() {
            "application/json" => store::SourceFormat::Json,
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => {
                store::SourceFormat::Yaml
            }
            other => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorCode::UnsupportedMediaType,
                    format!(
                        "send the workflow as application/json or application/yaml (got `{}`)",
                        if other.is_empty() {
                            "no content type"
                        } else {
                            other
                        }
                    ),
                ));
            }
        };
        let _ = state;
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_WORKFLOW_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "a workflow document may be at most {MAX_WORKFLOW_BYTES} bytes (1 MiB)"
                    ),
                )
            })?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::bad_request("the workflow document is not valid UTF-8"))?;
        Ok(WorkflowBody { text, format })
    }
}

impl WorkflowBody {
    /// Parses and validates the document: the workflow, or every problem with its location.
    pub fn parse(&self, registry: &engine::Registry) -> Result<engine::Workflow, engine::Problems> {
        self.parse_located(registry).map_err(|mut problems| {
            // Positions in a JSON document (often one line, sent by the editor) help nobody:
            // the path, step and field say where the problem is.
            if self.format == store::SourceFormat::Json {
                for p in &mut problems.0 {
                    if !p.path.is_empty() {
                        p.location = None;
                    }
                }
            }
            problems
        })
    }

    fn parse_located(
        &self,
        registry: &engine::Registry,
    ) -> Result<engine::Workflow, engine::Problems> {
        let (workflow, map) = engine::parse(&self.text, None)?;
        engine::load::compile_located(workflow.clone(), Some(&map), None, registry)?;
        Ok(workflow)
    }
}

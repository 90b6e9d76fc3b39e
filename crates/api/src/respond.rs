//! Answers built from executions: content negotiation (`Accept`) and the sync-webhook reply.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorCode};

/// What the caller accepts, among what we can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Text,
}

/// Picks the response format from `Accept` (JSON when absent or `*/*`); `None`: nothing we
/// can produce is acceptable (406).
pub fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Format::Json);
    };
    let mut best: Option<(f32, usize, Format)> = None;
    for (pos, part) in accept.split(',').enumerate() {
        let mut bits = part.split(';');
        let media = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" | "" => Format::Json,
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => Format::Yaml,
            "text/plain" | "text/*" => Format::Text,
            m if m.ends_with("+json") => Format::Json,
            _ => continue,
        };
        // Highest q wins; on a tie, the earlier entry.
        if best.is_none_or(|(bq, bpos, _)| q > bq || (q == bq && pos < bpos)) {
            best = Some((q, pos, format));
        }
    }
    best.map(|(_, _, f)| f)
}

pub fn not_acceptable() -> ApiError {
    ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::NotAcceptable,
        "this resource is available as application/json, application/yaml or text/plain",
    )
}

/// Encodes `body` in `format` with `status` and extra `headers`. A string body is sent as it
/// is when the headers already name a content type.
pub fn encode(
    status: StatusCode,
    headers: &[(String, String)],
    body: &Value,
    format: Format,
) -> Result<Response, ApiError> {
    let explicit_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    let (content_type, bytes): (Option<&str>, Vec<u8>) = match (body, explicit_type, format) {
        (Value::String(s), true, _) => (None, s.clone().into_bytes()),
        (_, _, Format::Json) => (
            Some("application/json"),
            serde_json::to_vec(body).map_err(ApiError::internal)?,
        ),
        (_, _, Format::Yaml) => (
            Some("application/yaml"),
            serde_yaml::to_string(body)
                .map_err(ApiError::internal)?
                .into_bytes(),
        ),
        (Value::String(s), _, Format::Text) => {
            (Some("text/plain; charset=utf-8"), s.clone().into_bytes())
        }
        (Value::Number(_) | Value::Bool(_), _, Format::Text) => (
            Some("text/plain; charset=utf-8"),
            body.to_string().into_bytes(),
        ),
        (Value::Null, _, Format::Text) => (Some("text/plain; charset=utf-8"), Vec::new()),
        (_, _, Format::Text) => {
            return Err(ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                ErrorCode::NotAcceptable,
                "the response body is structured; ask for application/json or application/yaml",
            ));
        }
    };
    let mut res = Response::new(Body::from(bytes));
    *res.status_mut() = status;
    if let Some(ct) = content_type {
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v))
        {
            res.headers_mut().insert(name, value);
        }
    }
    Ok(res)
}

/// The answer to a caller who waited for an execution: the `respond` step's response, else the
/// last output; a failure is the trigger's `on_failure` answer when it has one, else a 500
/// naming the execution and, when `detailed` (a caller with an
/// API key), the failing step and its error. An anonymous webhook caller gets only a generic
/// message and the execution id.
/// A stored answer (a `respond` step's, or `on_failure`'s) with the execution id header.
fn answer(
    r: &engine::Response,
    status: StatusCode,
    id: &str,
    format: Format,
) -> Result<Response, ApiError> {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers.push(("x-weft-execution-id".into(), id.to_string()));
    encode(status, &headers, &r.body, format)
}

pub fn execution_reply(exec: &store::Outcome, format: Format, detailed: bool) -> Response {
    let id = exec.id.to_string();
    let result = match exec.status {
        // A `respond` step answered while the rest of the workflow ran on: its answer, whatever
        // happened after it.
        _ if exec.early
            && let Some(r) = &exec.response =>
        {
            answer(
                r,
                StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK),
                &id,
                format,
            )
        }
        store::ExecutionStatus::Succeeded => match &exec.response {
            Some(r) => answer(
                r,
                StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK),
                &id,
                format,
            ),
            _ => encode(
                StatusCode::OK,
                &[("x-weft-execution-id".into(), id.clone())],
                exec.output.as_ref().unwrap_or(&Value::Null),
                format,
            ),
        },
        // The trigger's `on_failure` answer (the engine keeps it a 4xx or 5xx).
        _ if let Some(r) = &exec.response => answer(
            r,
            StatusCode::from_u16(r.status)
                .ok()
                .filter(|s| s.is_client_error() || s.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &id,
            format,
        ),
        status if !detailed => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ExecutionFailed,
            format!("the workflow did not succeed (execution {id})"),
        )
        .details(json!({ "execution_id": id, "status": status.as_str() }))
        .header(HeaderName::from_static("x-weft-execution-id"), &id)),
        status => {
            let message = exec
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "the execution did not succeed".to_string());
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::ExecutionFailed,
                message,
            )
            .details(json!({
                "execution_id": id,
                "status": status.as_str(),
                "step_id": exec.error.as_ref().and_then(|e| e.step_id.clone()),
            }))
            .header(HeaderName::from_static("x-weft-execution-id"), &id))
        }
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Option<Format> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        negotiate(&h)
    }

    #[test]
    fn accept_picks_json_by_default_and_honours_quality() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Format::Json));
        assert_eq!(accept("*/*"), Some(Format::Json));
        assert_eq!(accept("application/yaml"), Some(Format::Yaml));
        assert_eq!(
            accept("text/plain;q=0.5, application/yaml"),
            Some(Format::Yaml)
        );
        assert_eq!(accept("text/html, text/plain"), Some(Format::Text));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }

    #[test]
    fn structured_bodies_cannot_be_plain_text() {
        assert!(encode(StatusCode::OK, &[], &json!({"a": 1}), Format::Text).is_err());
        assert!(encode(StatusCode::OK, &[], &json!("hi"), Format::Text).is_ok());
    }
}

//! Resume URLs of callback waits (`action: wait` with `for: callback`):
//! `/hooks/_resume/{execution}/{token}`, the token an HMAC of the execution id under the
//! database's resume key ([`store::ResumeKey`]). Anything but a valid token is a 404 that says
//! nothing more.
//!
//! - `POST` (or `PUT`, `PATCH`) resumes the wait with `{method, headers, query, body}` as the
//!   wait step's output: the same checks, body parsing, limits and redaction as a webhook. Only
//!   the first request wins; later ones answer 409.
//! - `GET` (and `HEAD`) never resumes (a chat app unfurling the link must not approve
//!   anything): it shows a small page, the wait's `form` (a JSON Schema of fields) or a single
//!   button, served by Weft with no external asset and no script. Its submission is a
//!   form-urlencoded `POST` to the same URL; its values are typed by the form's schema.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use engine::model::WebhookTrigger;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::hooks::{accepted, read_body, rejected_answer, status_url};

/// The form page's policy: no script at all, inline styles, submission to itself only.
const FORM_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

pub(crate) async fn resume(
    State(state): State<AppState>,
    Path((execution, token)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Response> {
    let not_found = || ApiError::not_found("nothing waits at this resume URL");
    let key = state.config.resume_key.as_ref().ok_or_else(not_found)?;
    let id = Uuid::parse_str(&execution).map_err(|_| not_found())?;
    if !key.check(id, &token) {
        return Err(not_found());
    }
    if state.store.execution(id).await?.is_none() {
        return Err(not_found());
    }
    let browser = wants_html(req.headers());
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(match state.store.callback_wait(id).await? {
            Some(wait) => page(StatusCode::OK, &form_page(&wait)),
            None => page(
                StatusCode::CONFLICT,
                &message_page(
                    "Nothing to answer",
                    "This request was answered already, timed out, or was cancelled.",
                ),
            ),
        });
    }
    let hook = WebhookTrigger {
        path: "_resume".into(),
        methods: Some(vec!["POST".into(), "PUT".into(), "PATCH".into()]),
        respond: None,
        auth: None,
        on_failure: None,
        rate_limit: None,
    };
    let limits = triggers::Limits {
        body_limit: state.config.body_limit,
        redact_headers: &state.config.redact_headers,
    };
    let (parts, body) = req.into_parts();
    let form_post = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| triggers::body::essence(v) == "application/x-www-form-urlencoded");
    let pending = triggers::check_request(&hook, state.credentials.as_ref(), limits, parts, true)
        .await
        .map_err(|r| rejected_answer(&r))?;
    let (bytes, permit) = read_body(&state, &pending, body).await?;
    let event = pending
        .accept(bytes)
        .map_err(|r| rejected_answer(&r))?
        .event;
    let mut body = event.body;
    if form_post
        && let Some(wait) = state.store.callback_wait(id).await?
        && let Some(form) = &wait.form
    {
        body = typed_form(form, body).map_err(ApiError::bad_request)?;
    }
    let request = json!({
        "method": event.method,
        "headers": event.headers,
        "query": event.query,
        "body": body,
    });
    let resumed = state.store.resume_wait(id, &request).await?;
    drop(permit);
    match resumed {
        store::Resumed::Resumed => {
            state.dispatch.wake();
            if browser {
                return Ok(page(
                    StatusCode::OK,
                    &message_page("Thank you", "Your answer was received."),
                ));
            }
            Ok(accepted(id, &status_url(&state, id), false))
        }
        store::Resumed::NotYet(message) => {
            Err(
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy, message)
                    .header(header::RETRY_AFTER, "1"),
            )
        }
        store::Resumed::NotWaiting(message) => {
            if browser {
                return Ok(page(
                    StatusCode::CONFLICT,
                    &message_page("Nothing to answer", &message),
                ));
            }
            Err(ApiError::conflict(message))
        }
    }
}

/// A browser asks (`Accept` names `text/html`).
fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn page(status: StatusCode, html: &str) -> Response {
    let mut res = (status, Html(html.to_string())).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FORM_CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The form's values, typed as its schema says: a checkbox (`boolean`) is `true` when sent
/// and `false` when not, numbers are parsed, anything else stays a string. A required field
/// left empty is an error naming it.
fn typed_form(form: &Value, body: Value) -> Result<Value, String> {
    let sent = match body {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let required: Vec<&str> = form
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = form.get("properties").and_then(Value::as_object) else {
        return Ok(Value::Object(sent));
    };
    let mut out = Map::new();
    for (name, schema) in properties {
        let kind = schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string");
        if sent.get(name).is_some_and(Value::is_array) {
            return Err(format!("the form field `{name}` was sent more than once"));
        }
        let text = sent.get(name).and_then(Value::as_str).unwrap_or("");
        let value = match kind {
            // A checkbox sends its value when checked and nothing when not; a script may
            // send an explicit no.
            "boolean" => match text.trim().to_ascii_lowercase().as_str() {
                "" | "false" | "off" | "0" | "no" => Value::Bool(false),
                "true" | "on" | "1" | "yes" => Value::Bool(true),
                _ => return Err(format!("the form field `{name}` must be true or false")),
            },
            _ if text.is_empty() => {
                if required.contains(&name.as_str()) {
                    return Err(format!("the form field `{name}` is required"));
                }
                continue;
            }
            "integer" => text
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("the form field `{name}` must be a whole number"))?,
            "number" => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .ok_or_else(|| format!("the form field `{name}` must be a number"))?,
            _ => Value::String(text.to_string()),
        };
        if let Some(choices) = schema.get("enum").and_then(Value::as_array)
            && !choices.iter().any(|c| same_choice(c, &value))
        {
            return Err(format!("the form field `{name}` is not one of its choices"));
        }
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
}

/// A choice of an `enum` and a sent value are the same (numbers by value: `1` and `1.0`).
fn same_choice(choice: &Value, value: &Value) -> bool {
    match (choice, value) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => choice == value,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f5f6f8;color:#1d2330;\
margin:0;padding:2rem 1rem}main{max-width:32rem;margin:0 auto;background:#fff;border-radius:8px;\
padding:1.5rem 1.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.3rem;margin:0 0 .5rem}\
p{color:#4a5263}label{display:block;margin:1rem 0 .3rem;font-weight:600}\
input[type=text],input[type=number],textarea,select{width:100%;box-sizing:border-box;\
padding:.5rem;border:1px solid #c5cad3;border-radius:4px;font:inherit}\
.check{display:flex;gap:.5rem;align-items:center;font-weight:600;margin-top:1rem}\
small{display:block;color:#6a7282;font-weight:400}button{margin-top:1.5rem;padding:.6rem 1.4rem;\
border:0;border-radius:4px;background:#3451d1;color:#fff;font:inherit;cursor:pointer}";

fn document(title: &str, inner: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title>\
         <style>{STYLE}</style></head><body><main>{inner}</main></body></html>",
        escape(title)
    )
}

/// A page with a title and a message (also the OAuth2 callback's answer).
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, &message_page(title, text))
}

fn message_page(title: &str, message: &str) -> String {
    document(
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)),
    )
}

/// The page of a wait: its form's fields (or none), one submit button.
fn form_page(wait: &store::CallbackWait) -> String {
    let form = wait.form.as_ref();
    let text = |key: &str| form.and_then(|f| f.get(key)).and_then(Value::as_str);
    let title = text("title").unwrap_or("Your answer is needed");
    let mut html = format!("<h1>{}</h1>", escape(title));
    if let Some(d) = text("description") {
        html.push_str(&format!("<p>{}</p>", escape(d)));
    }
    html.push_str("<form method=\"post\">");
    let required: Vec<&str> = form
        .and_then(|f| f.get("required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = form
        .and_then(|f| f.get("properties"))
        .and_then(Value::as_object);
    for (i, (name, schema)) in properties.into_iter().flatten().enumerate() {
        html.push_str(&field(i, name, schema, required.contains(&name.as_str())));
    }
    let submit = text("submit_label").unwrap_or(if properties.is_some() {
        "Submit"
    } else {
        "Continue"
    });
    html.push_str(&format!(
        "<button type=\"submit\">{}</button></form>",
        escape(submit)
    ));
    if let Some(until) = wait.until {
        html.push_str(&format!(
            "<p><small>Open until {} UTC.</small></p>",
            until.format("%Y-%m-%d %H:%M")
        ));
    }
    document(title, &html)
}

fn field(i: usize, name: &str, schema: &Value, required: bool) -> String {
    let id = format!("f{i}");
    let label = schema.get("title").and_then(Value::as_str).unwrap_or(name);
    let help = schema
        .get("description")
        .and_then(Value::as_str)
        .map(|d| format!("<small>{}</small>", escape(d)))
        .unwrap_or_default();
    let name = escape(name);
    let req = if required { " required" } else { "" };
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    if kind == "boolean" {
        let checked = if schema.get("default") == Some(&Value::Bool(true)) {
            " checked"
        } else {
            ""
        };
        return format!(
            "<label class=\"check\" for=\"{id}\"><input type=\"checkbox\" id=\"{id}\" \
             name=\"{name}\" value=\"true\"{checked}>{}</label>{help}",
            escape(label)
        );
    }
    let default = schema
        .get("default")
        .map(|d| match d {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    let control = if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        let mut options = String::new();
        if !required {
            options.push_str("<option value=\"\"></option>");
        }
        for c in choices {
            let v = match c {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let selected = if v == default { " selected" } else { "" };
            options.push_str(&format!(
                "<option value=\"{0}\"{selected}>{0}</option>",
                escape(&v)
            ));
        }
        format!("<select id=\"{id}\" name=\"{name}\"{req}>{options}</select>")
    } else if kind == "integer" || kind == "number" {
        let step = if kind == "integer" { "1" } else { "any" };
        format!(
            "<input type=\"number\" step=\"{step}\" id=\"{id}\" name=\"{name}\" value=\"{}\"{req}>",
            escape(&default)
        )
    } else if schema.get("format").and_then(Value::as_str) == Some("textarea") {
        format!(
            "<textarea id=\"{id}\" name=\"{name}\" rows=\"4\"{req}>{}</textarea>",
            escape(&default)
        )
    } else {
        format!(
            "<input type=\"text\" id=\"{id}\" name=\"{name}\" value=\"{}\"{req}>",
            escape(&default)
        )
    };
    format!(
        "<label for=\"{id}\">{}</label>{help}{control}",
        escape(label)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_typed_by_the_schema() {
        let form = json!({
            "properties": {
                "approved": {"type": "boolean"},
                "amount": {"type": "integer"},
                "ratio": {"type": "number"},
                "comment": {"type": "string"},
                "choice": {"type": "string", "enum": ["a", "b"]}
            },
            "required": ["amount"]
        });
        let typed = typed_form(
            &form,
            json!({"amount": "12", "ratio": "0.5", "comment": "ok", "choice": "b"}),
        )
        .unwrap();
        assert_eq!(
            typed,
            json!({"approved": false, "amount": 12, "ratio": 0.5, "comment": "ok", "choice": "b"})
        );
        let approved = typed_form(&form, json!({"approved": "true", "amount": "1"})).unwrap();
        assert_eq!(approved["approved"], true);
        for no in ["false", "off", "0", "no", ""] {
            let typed = typed_form(&form, json!({"approved": no, "amount": "1"})).unwrap();
            assert_eq!(typed["approved"], false, "{no}");
        }
        assert!(
            typed_form(&form, json!({"approved": "maybe", "amount": "1"}))
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            typed_form(&form, json!({"amount": ["1", "2"]}))
                .unwrap_err()
                .contains("more than once")
        );
        let numbers = json!({"properties": {"ratio": {"type": "number", "enum": [1, 2.5]}}});
        assert_eq!(
            typed_form(&numbers, json!({"ratio": "1"})).unwrap()["ratio"],
            1.0
        );
        assert_eq!(
            typed_form(&numbers, json!({"ratio": "2.5"})).unwrap()["ratio"],
            2.5
        );
        assert!(
            typed_form(&form, json!({"comment": "x"}))
                .unwrap_err()
                .contains("`amount` is required")
        );
        assert!(
            typed_form(&form, json!({"amount": "x"}))
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            typed_form(&form, json!({"amount": "1", "choice": "c"}))
                .unwrap_err()
                .contains("`choice` is not one of its choices")
        );
    }

    #[test]
    fn the_page_escapes_what_the_workflow_wrote() {
        let wait = store::CallbackWait {
            step_id: "approve".into(),
            form: Some(json!({
                "title": "<script>alert(1)</script>",
                "properties": {"x\"><b>": {"type": "string", "title": "<i>"}}
            })),
            until: None,
        };
        let html = form_page(&wait);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("name=\"x&quot;&gt;&lt;b&gt;\""));
    }
}

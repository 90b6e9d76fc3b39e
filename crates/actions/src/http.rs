//! `http`: calls an HTTP API and returns `{status, headers, body}`.

use std::borrow::Cow;
use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use crate::typed::TypedAction;
use async_trait::async_trait;
use base64::Engine as _;
use engine::action::{ActionContext, ActionError, ActionOutput, ConfigProblem};
use engine::credentials::{Credential, CredentialError, Resolved};
use engine::redact::Secrets;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value, json};

use crate::config::{self, DurationText, Pairs, Status, Templated, Text, Texts, is_template};

/// Calls an HTTP API.
///
/// With `credential`: the credential's hosts are checked before anything is sent (and at
/// every redirect hop that still carries it); a 401 answer lets the credential's provider
/// renew it (OAuth2) and the request is sent once more; the credential's secrets an API echoes
/// in the answer's headers or body are masked as `***` (secrets shorter than 4 characters are
/// not looked for) in the output and in errors.
///
/// Headers, query parameters and form fields take a text, a list of texts (the name is
/// repeated) or null (left out). Methods other than GET, HEAD and OPTIONS carry an
/// `Idempotency-Key` header, the same on every attempt, unless `headers` sets one.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpConfig")]
pub struct Config {
    /// The HTTP method; GET when absent.
    #[serde(default)]
    pub method: Option<Templated<HttpMethod>>,
    /// An absolute `http://` or `https://` URL.
    pub url: Templated<HttpUrl>,
    /// Request headers by name.
    #[serde(default)]
    pub headers: Option<Templated<Pairs<Texts>>>,
    /// Query parameters, appended to those already in `url`.
    #[serde(default)]
    pub query: Option<Templated<Pairs<Texts>>>,
    /// A body sent as JSON (`Content-Type: application/json` unless `headers` sets one).
    #[serde(default)]
    pub json: Option<Value>,
    /// A body sent as an urlencoded form.
    #[serde(default)]
    pub form: Option<Templated<Pairs<Texts>>>,
    /// A raw text body, sent as it is; set a `Content-Type` header to describe it.
    #[serde(default)]
    pub body: Option<Text>,
    /// The name of a stored credential (bearer, basic, API key or header) to authenticate
    /// with. It overrides an `Authorization` (or API key) header set in `headers`. A credential
    /// bound to hosts is sent only to them; it never follows a redirect to another origin. An
    /// answer that echoes it shows it as `***`.
    #[serde(default)]
    pub credential: Option<String>,
    /// Statuses besides 2xx that are a success, e.g. `[404]`.
    #[serde(default)]
    pub accept_status: Option<Templated<Vec<Templated<Status>>>>,
    /// How long the request (including reading the response) may take; the step's `timeout`
    /// when absent.
    #[serde(default)]
    pub timeout: Option<Templated<DurationText>>,
    /// The largest response body read, e.g. `20MiB`, `512KiB` or a number of bytes; 10 MiB
    /// when absent. A larger body fails the step.
    #[serde(default)]
    pub max_response_size: Option<Templated<ByteSize>>,
    /// Reads a list over several pages: one of `next_url`, `cursor`, `page` or `offset`,
    /// with `items` (where each answer holds its list) and `max_pages`. The output is then
    /// `{items, pages}`: every page's items in order, and each page request (`url`,
    /// `status`, `items`).
    #[serde(default)]
    pub paginate: Option<Paginate>,
}

/// How a list is read page by page. It stops at an empty page, a missing next URL or
/// cursor, or `max_pages`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Paginate {
    /// Where the next page's URL is: a path in the answer (`body.next`,
    /// `body.links.next`, `headers.x-next-page`), or `link` for the `Link` header's
    /// `rel="next"`. A relative URL is read against the current one.
    #[serde(default)]
    pub next_url: Option<String>,
    /// A cursor read from each answer and sent as a query parameter of the next request.
    #[serde(default)]
    pub cursor: Option<CursorPaging>,
    /// A page number sent as a query parameter, counting up from `start`.
    #[serde(default)]
    pub page: Option<PagePaging>,
    /// An offset sent as a query parameter, growing by `limit` (sent as `limit_param`).
    #[serde(default)]
    pub offset: Option<OffsetPaging>,
    /// Where each answer holds its list, e.g. `body.data`; the body itself when absent.
    #[serde(default)]
    pub items: Option<String>,
    /// The most pages read; 100 when absent.
    #[serde(default)]
    pub max_pages: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CursorPaging {
    /// A path in the answer, e.g. `body.meta.next_cursor`.
    pub from: String,
    /// The query parameter the cursor is sent as, e.g. `cursor`.
    pub param: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PagePaging {
    /// The query parameter, e.g. `page`.
    pub param: String,
    /// The first page's number; 1 when absent.
    #[serde(default)]
    pub start: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OffsetPaging {
    /// The query parameter of the offset, e.g. `offset`.
    pub param: String,
    /// The query parameter of the page size, e.g. `limit` (not sent when absent).
    #[serde(default)]
    pub limit_param: Option<String>,
    /// The page size: the offset grows by it.
    pub limit: u64,
}

/// The most pages a `paginate` reads when `max_pages` is absent.
pub const DEFAULT_MAX_PAGES: u32 = 100;
/// The most pages a `paginate` may read.
pub const MAX_PAGES: u32 = 10_000;

/// How long a call (every redirect hop, and reading the response) may take when neither the
/// step nor `timeout` says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The largest response body read when `max_response_size` is absent.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 10 * 1024 * 1024;

/// The most redirects one call follows.
pub const MAX_REDIRECTS: usize = 10;

/// A size in bytes as users write it: `20MiB`, `512KiB`, `1GiB`, `2MB`, `1000` (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// By the one size rule, [`engine::size::parse_size`].
    fn parse(text: &str) -> Result<ByteSize, String> {
        engine::size::parse_size(text).map(ByteSize)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match n {
            n if n >= 1 << 30 && n % (1 << 30) == 0 => write!(f, "{} GiB", n >> 30),
            n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{} MiB", n >> 20),
            n if n >= 1 << 10 && n % (1 << 10) == 0 => write!(f, "{} KiB", n >> 10),
            n => write!(f, "{n} bytes"),
        }
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as `10MiB`, `512KiB` or a number of bytes")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                ByteSize::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                ByteSize::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                ByteSize::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for ByteSize {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "integer"],
            "pattern": "^[0-9]+ ?([kKmMgG]i?[bB]|[bB])?$",
            "minimum": 1,
            "examples": ["10MiB", "512KiB", 1048576]
        })
    }
}

impl config::Config for Config {
    fn check(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let bodies: Vec<&str> = [
            ("json", self.json.is_some()),
            ("form", self.form.is_some()),
            ("body", self.body.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if bodies.len() > 1 {
            problems.push(ConfigProblem::new(
                bodies[1],
                format!(
                    "`{}` and `{}` both set a body; use only one of `json`, `form` and `body`",
                    bodies[0], bodies[1]
                ),
            ));
        }
        if let Some(p) = &self.paginate {
            let kinds: Vec<&str> = [
                ("next_url", p.next_url.is_some()),
                ("cursor", p.cursor.is_some()),
                ("page", p.page.is_some()),
                ("offset", p.offset.is_some()),
            ]
            .into_iter()
            .filter_map(|(n, set)| set.then_some(n))
            .collect();
            match kinds.len() {
                0 => problems.push(ConfigProblem::new(
                    "paginate",
                    "say how pages follow: one of `next_url`, `cursor`, `page` or `offset`",
                )),
                1 => {}
                _ => problems.push(ConfigProblem::new(
                    format!("paginate.{}", kinds[1]),
                    format!(
                        "`{}` and `{}` both say how pages follow; use one",
                        kinds[0], kinds[1]
                    ),
                )),
            }
            if p.max_pages == Some(0) || p.max_pages.is_some_and(|n| n > MAX_PAGES) {
                problems.push(ConfigProblem::new(
                    "paginate.max_pages",
                    format!("read from 1 to {MAX_PAGES} pages"),
                ));
            }
            if p.offset.as_ref().is_some_and(|o| o.limit == 0) {
                problems.push(ConfigProblem::new(
                    "paginate.offset.limit",
                    "the page size must be at least 1",
                ));
            }
        }
        if let Some(Templated::Value(headers)) = &self.headers {
            for (name, _) in &headers.0 {
                if !is_template(name) && HeaderName::from_bytes(name.as_bytes()).is_err() {
                    problems.push(ConfigProblem::new(
                        format!("headers.{name}"),
                        format!("`{name}` is not a valid header name"),
                    ));
                }
            }
        }
        problems
    }
}

/// An HTTP method such as `GET` or `POST` (any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMethod(pub Method);

/// Whether a method changes nothing on the server (GET, HEAD, OPTIONS; RFC 9110): such a
/// request carries no `Idempotency-Key`, and a step sending one is safe to repeat.
fn is_safe_method(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS].contains(method)
}

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl<'de> Deserialize<'de> for HttpMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HttpMethod;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "an HTTP method ({})", METHODS.join(", "))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HttpMethod, E> {
                let upper = v.trim().to_ascii_uppercase();
                match METHODS.contains(&upper.as_str()) {
                    true => Ok(HttpMethod(
                        Method::from_bytes(upper.as_bytes()).map_err(E::custom)?,
                    )),
                    false => Err(E::custom(format_args!(
                        "`{v}` is not an HTTP method; use one of {}",
                        METHODS.join(", ")
                    ))),
                }
            }
        }
        deserializer.deserialize_str(V)
    }
}

impl JsonSchema for HttpMethod {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "HttpMethod".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": METHODS })
    }
}

/// An absolute `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(pub Url);

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HttpUrl;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an http:// or https:// URL")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HttpUrl, E> {
                let url = Url::parse(v.trim())
                    .map_err(|e| E::custom(format_args!("`{v}` is not a URL: {e}")))?;
                if let Some(segment) = dot_segment(v.trim()) {
                    return Err(E::custom(format_args!(
                        "`{v}` has a `{segment}` segment in its path; a URL may not climb \
                         with dot segments"
                    )));
                }
                match url.scheme() {
                    "http" | "https" => Ok(HttpUrl(url)),
                    other => Err(E::custom(format_args!(
                        "`{v}` is not an http:// or https:// URL (scheme `{other}`)"
                    ))),
                }
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// The first `.` or `..` segment (in any spelling: `%2e`, `.%2E`, …) in the path of a URL as
/// written, before a URL parser removes it; `\\` counts as `/` as for web URLs.
fn dot_segment(raw: &str) -> Option<&str> {
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let path_start = rest.find(['/', '\\', '?', '#'])?;
    let path = &rest[path_start..];
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    path.split(['/', '\\']).find(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

impl JsonSchema for HttpUrl {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "HttpUrl".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "uri", "pattern": "^https?://" })
    }
}

/// The `http` action. Holds the shared, pooled client (see [`crate::http_client`]).
#[derive(Debug, Clone)]
pub struct Http {
    client: crate::HttpClient,
}

impl Http {
    pub fn new(client: crate::HttpClient) -> Self {
        Http { client }
    }
}

#[async_trait]
impl TypedAction for Http {
    type Config = Config;
    const KIND: &'static str = "http";
    const TITLE: &'static str = "HTTP request";
    const DESCRIPTION: &'static str = "Calls an HTTP API and returns {status, headers, body}; the body is \
                          parsed when the response is JSON.";

    /// A safe method written as it is (not a template) changes nothing; any other method has
    /// effects.
    fn is_safe(&self, config: &Value) -> bool {
        match config.get("method") {
            None | Some(Value::Null) => true,
            Some(m) => HttpMethod::deserialize(m).is_ok_and(|m| is_safe_method(&m.0)),
        }
    }

    async fn run(
        &self,
        ctx: &ActionContext<'_>,
        mut config: Config,
    ) -> Result<ActionOutput, ActionError> {
        let paginate = config.paginate.take();
        let request = Request::from_config(config, ctx)?;
        match paginate {
            None => self.call(ctx, &request).await,
            Some(p) => self.pages(ctx, request, p).await,
        }
    }
}

impl Http {
    /// One request (sent once more after a 401 its credential's provider renewed).
    async fn call(
        &self,
        ctx: &ActionContext<'_>,
        request: &Request,
    ) -> Result<ActionOutput, ActionError> {
        let Some(name) = request.credential.clone() else {
            return request
                .send(&self.client, None)
                .await?
                .finish(&Secrets::default());
        };
        let resolved = ctx.credentials.get(&name).await.map_err(credential_error)?;
        let mut secrets = Secrets::default();
        secrets.add_credential(&resolved.credential);
        let answer = request
            .send(&self.client, Some((&name, &resolved)))
            .await
            .map_err(|e| scrub_error(e, &secrets))?;
        if answer.status != reqwest::StatusCode::UNAUTHORIZED || !answer.authenticated {
            return answer.finish(&secrets);
        }
        // Rejected: a provider that can renew the credential (OAuth2) hands out a new one, and
        // the request is sent once more; its answer is the final one.
        let renewed = ctx
            .credentials
            .rejected(&name, &resolved.credential)
            .await
            .map_err(credential_error)?;
        let Some(renewed) = renewed else {
            return answer.finish(&secrets);
        };
        secrets.add_credential(&renewed.credential);
        request
            .send(&self.client, Some((&name, &renewed)))
            .await
            .map_err(|e| scrub_error(e, &secrets))?
            .finish(&secrets)
    }

    /// Reads a list page by page (see [`Paginate`]): `{items, pages}`.
    async fn pages(
        &self,
        ctx: &ActionContext<'_>,
        mut request: Request,
        p: Paginate,
    ) -> Result<ActionOutput, ActionError> {
        let max = p.max_pages.unwrap_or(DEFAULT_MAX_PAGES).max(1);
        let mut number = p.page.as_ref().map_or(1, |pg| pg.start.unwrap_or(1));
        let mut offset = 0u64;
        if let Some(pg) = &p.page {
            request.set_param(&pg.param, number.to_string());
        }
        if let Some(o) = &p.offset {
            request.set_param(&o.param, "0".into());
            if let Some(lp) = &o.limit_param {
                request.set_param(lp, o.limit.to_string());
            }
        }
        let mut items: Vec<Value> = Vec::new();
        let mut pages: Vec<Value> = Vec::new();
        // Pages stay on the first page's origin: a next URL comes from the remote side and
        // must not take the request (and its credential or headers) elsewhere.
        let origin = request.url.origin();
        // The whole list is bounded like one answer: `max_response_size` for every page's
        // items together.
        let mut total: u64 = 0;
        loop {
            let shown = request.page_url();
            let answer = self.call(ctx, &request).await.map_err(|mut e| {
                e.message = format!("page {}: {}", pages.len() + 1, e.message);
                e
            })?;
            let answer = answer.value;
            let list = match &p.items {
                Some(path) => at_path(&answer, path),
                None => answer.get("body"),
            };
            let list: Vec<Value> = match list {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                Some(other) => {
                    return Err(ActionError::permanent(format!(
                        "page {} of {shown}: `paginate.items` ({}) is {}, not a list",
                        pages.len() + 1,
                        p.items.as_deref().unwrap_or("body"),
                        config::kind_of(other)
                    )));
                }
            };
            let count = list.len();
            total += serde_json::to_vec(&list).map_or(0, |b| b.len() as u64);
            if total > request.max_size {
                return Err(ActionError::permanent(format!(
                    "page {} of {shown}: the items read so far exceed {} (max_response_size, for every page together)",
                    pages.len() + 1,
                    ByteSize(request.max_size)
                )));
            }
            pages.push(json!({ "url": shown, "status": answer["status"], "items": count }));
            items.extend(list);
            if count == 0 || pages.len() >= max as usize {
                break;
            }
            if let Some(path) = &p.next_url {
                let next = if path.eq_ignore_ascii_case("link") {
                    answer["headers"]
                        .get("link")
                        .and_then(Value::as_str)
                        .and_then(next_link)
                } else {
                    at_path(&answer, path)
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_string)
                };
                let Some(next) = next else { break };
                let Ok(url) = request.url.join(next.trim()) else {
                    return Err(ActionError::permanent(format!(
                        "page {} of {shown}: the next page's URL `{next}` is not a URL",
                        pages.len()
                    )));
                };
                if url.origin() != origin {
                    return Err(ActionError::permanent(format!(
                        "page {} of {shown}: the next page's URL `{next}` is on another origin than the first page ({}); pages are read from one origin",
                        pages.len(),
                        origin.ascii_serialization()
                    )));
                }
                request.shown_url = url.to_string();
                request.url = url;
                request.query.clear();
            } else if let Some(c) = &p.cursor {
                let cursor = match at_path(&answer, &c.from) {
                    None | Some(Value::Null) => break,
                    Some(Value::String(s)) if s.is_empty() => break,
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                request.set_param(&c.param, cursor);
            } else if let Some(pg) = &p.page {
                number += 1;
                request.set_param(&pg.param, number.to_string());
            } else if let Some(o) = &p.offset {
                offset += o.limit;
                request.set_param(&o.param, offset.to_string());
            }
        }
        Ok(ActionOutput::value(
            json!({ "items": items, "pages": pages }),
        ))
    }
}

/// The value at a dotted path of a step's answer (`body.meta.next`, `headers.link`,
/// `body.items.0.id`).
fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let mut at = value;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        at = match at {
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            Value::Object(m) => m.get(key).or_else(|| {
                // Header names are lowercase in the output.
                m.get(&key.to_ascii_lowercase())
            })?,
            _ => return None,
        };
    }
    Some(at)
}

/// The `rel="next"` target of a `Link` header (RFC 8288).
fn next_link(header: &str) -> Option<String> {
    // Links are `<target>; params`, separated by commas outside the brackets (a target may
    // hold commas).
    let mut rest = header;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        let is_next = params.split([';', ',']).any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &after[params_end..];
    }
}

/// A request ready to be built, from the rendered config. Holds no secret: the credential is
/// applied by name in [`Request::send`].
#[derive(Clone)]
struct Request {
    method: Method,
    url: Url,
    /// The URL as written, for messages: without the query parameters a credential may add.
    shown_url: String,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    body: Body,
    credential: Option<String>,
    timeout: Duration,
    max_size: u64,
    /// Statuses besides 2xx that are a success.
    accept: Vec<u16>,
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    Raw(String),
}

impl Request {
    /// Sets a query parameter for the next page: replaces it in the URL's own query and in
    /// `query`.
    fn set_param(&mut self, name: &str, value: String) {
        if self.url.query_pairs().any(|(k, _)| k == name) {
            let kept: Vec<(String, String)> = self
                .url
                .query_pairs()
                .filter(|(k, _)| k != name)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if kept.is_empty() {
                self.url.set_query(None);
            } else {
                self.url.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
        self.query.retain(|(k, _)| k != name);
        self.query.push((name.to_string(), value));
    }

    /// The URL of a page as requested (its query included), for the step's record.
    fn page_url(&self) -> String {
        let mut url = self.url.clone();
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        url.to_string()
    }

    fn from_config(config: Config, ctx: &ActionContext<'_>) -> Result<Request, ActionError> {
        let method = match config.method {
            Some(m) => resolve("method", m)?.0,
            None => Method::GET,
        };
        let url = resolve("url", config.url)?.0;

        let mut headers = HeaderMap::new();
        for (name, values) in pairs("headers", config.headers)? {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ActionError::permanent(format!(
                    "invalid `with.headers`: `{name}` is not a valid header name"
                ))
            })?;
            for value in values {
                let value = HeaderValue::from_str(&value).map_err(|_| {
                    ActionError::permanent(format!(
                        "invalid `with.headers.{name}`: the value holds characters a header cannot carry"
                    ))
                })?;
                headers.append(header.clone(), value);
            }
        }
        let sends_key = !is_safe_method(&method);
        if sends_key && !headers.contains_key("idempotency-key") {
            let key = HeaderValue::from_str(&ctx.idempotency_key()).map_err(|_| {
                ActionError::permanent("the idempotency key is not a valid header value")
            })?;
            headers.insert("idempotency-key", key);
        }
        // The execution's trace goes on, unless the step sets its own `traceparent`.
        if !headers.contains_key("traceparent")
            && let Ok(value) = HeaderValue::from_str(&ctx.trace.child())
        {
            headers.insert("traceparent", value);
        }

        let body = match (config.json, config.form, config.body) {
            (Some(json), _, _) => Body::Json(json),
            (_, Some(form), _) => Body::Form(flatten(pairs("form", Some(form))?)),
            (_, _, Some(Text(raw))) => Body::Raw(raw),
            (None, None, None) => Body::None,
        };
        let timeout = match config.timeout {
            Some(t) => resolve("timeout", t)?.0,
            None => ctx.timeout.unwrap_or(DEFAULT_TIMEOUT),
        };
        let max_size = match config.max_response_size {
            Some(size) => resolve("max_response_size", size)?.0,
            None => DEFAULT_MAX_RESPONSE_SIZE,
        };
        let mut accept = Vec::new();
        if let Some(list) = config.accept_status {
            for status in resolve("accept_status", list)? {
                accept.push(resolve("accept_status", status)?.0);
            }
        }
        Ok(Request {
            shown_url: url.to_string(),
            method,
            url,
            headers,
            query: flatten(pairs("query", config.query)?),
            body,
            credential: config.credential,
            timeout,
            max_size,
            accept,
        })
    }

    /// Sends the request with the credential applied, follows redirects (checking the
    /// outbound policy at every hop, dropping credentials when the origin changes, and
    /// checking the credential's hosts at every hop that still carries it, before anything is
    /// sent there), and reads the answer, at most `max_size` bytes of it.
    async fn send(
        &self,
        client: &crate::HttpClient,
        credential: Option<(&str, &Resolved)>,
    ) -> Result<Answer, ActionError> {
        let Request {
            mut method,
            mut url,
            mut shown_url,
            mut headers,
            mut query,
            mut body,
            credential: _,
            timeout,
            max_size,
            accept: _,
        } = self.clone();
        let mut secret_headers = vec![
            header::AUTHORIZATION,
            header::PROXY_AUTHORIZATION,
            header::COOKIE,
        ];
        // The credential while it is attached: it is dropped with the secret headers.
        let mut attached = credential;
        if let Some((name, resolved)) = attached {
            let before: Vec<HeaderName> = headers.keys().cloned().collect();
            apply(name, &resolved.credential, &mut headers, &mut query)?;
            secret_headers.extend(headers.keys().filter(|h| !before.contains(h)).cloned());
        }
        let started = std::time::Instant::now();
        let mut hops = 0;
        let mut response = loop {
            client
                .policy
                .check_url(&url)
                .map_err(|r| ActionError::permanent(format!("{method} {shown_url}: {r}")))?;
            if let Some((name, resolved)) = attached {
                resolved.check_host(name, &url).map_err(|refused| {
                    ActionError::permanent(format!("{method} {shown_url}: {refused}"))
                })?;
            }
            let mut builder = client
                .client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if !query.is_empty() {
                builder = builder.query(&query);
            }
            builder = match body.clone() {
                Body::None => builder,
                Body::Json(value) => builder.json(&value),
                Body::Form(fields) => builder.form(&fields),
                Body::Raw(text) => builder.body(text),
            };
            builder = builder.timeout(timeout.saturating_sub(started.elapsed()));
            let request = builder.build().map_err(|e| {
                ActionError::permanent(format!("{method} {shown_url}: {}", cause(&e)))
            })?;
            let response = client
                .client
                .execute(request)
                .await
                .map_err(|e| network_error(&method, &shown_url, timeout, &e))?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok());
            let (true, Some(location)) = (matches!(status, 301 | 302 | 303 | 307 | 308), location)
            else {
                break response;
            };
            if hops == MAX_REDIRECTS {
                return Err(ActionError::permanent(format!(
                    "{method} {shown_url} failed: more than {MAX_REDIRECTS} redirects"
                )));
            }
            let next = url
                .join(location)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"));
            let Some(next) = next else {
                return Err(ActionError::permanent(format!(
                    "{method} {shown_url} redirected to `{location}`, which is not an http:// \
                     or https:// URL"
                )));
            };
            if next.origin() != url.origin() {
                for name in &secret_headers {
                    headers.remove(name);
                }
                attached = None;
            }
            if matches!(status, 301..=303) {
                if method != Method::HEAD {
                    method = Method::GET;
                }
                body = Body::None;
                headers.remove(header::CONTENT_TYPE);
                headers.remove(header::CONTENT_LENGTH);
            }
            // The query a credential added, like everything else, is in the original URL only.
            query.clear();
            hops += 1;
            shown_url = next.to_string();
            url = next;
        };
        let failed = |e: reqwest::Error| network_error(&method, &shown_url, timeout, &e);
        let status = response.status();
        let headers = response.headers().clone();
        let too_large = || {
            ActionError::permanent(format!(
                "{method} {shown_url}: response body exceeds {} (max_response_size)",
                ByteSize(max_size)
            ))
        };
        if response.content_length().is_some_and(|n| n > max_size) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if (bytes.len() + chunk.len()) as u64 > max_size {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        tracing::debug!(
            %method, url = %shown_url, status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64, "http call"
        );
        Ok(Answer {
            method,
            shown_url,
            status,
            headers,
            bytes,
            accept: self.accept.clone(),
            authenticated: attached.is_some(),
        })
    }
}

/// The final answer of a request (after redirects), read.
struct Answer {
    method: Method,
    /// The URL that answered, as shown in messages.
    shown_url: String,
    status: reqwest::StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
    /// Statuses besides 2xx that are a success.
    accept: Vec<u16>,
    /// The request that got this answer carried the credential.
    authenticated: bool,
}

impl Answer {
    /// The step's output `{status, headers, body}`, or the error of a status that is not a
    /// success (with the output as details); `secrets` the API echoed are masked in both.
    fn finish(self, secrets: &Secrets) -> Result<ActionOutput, ActionError> {
        let mut output = json!({
            "status": self.status.as_u16(),
            "headers": headers_output(&self.headers),
            "body": body_output(&self.headers, &self.bytes),
        });
        secrets.scrub_json(&mut output);
        if self.status.is_success() || self.accept.contains(&self.status.as_u16()) {
            return Ok(ActionOutput::value(output));
        }
        let error = status_error(
            &self.method,
            &self.shown_url,
            self.status,
            &self.headers,
            output,
        );
        Err(scrub_error(error, secrets))
    }
}

/// `error` with the secrets masked in its message and details.
fn scrub_error(mut error: ActionError, secrets: &Secrets) -> ActionError {
    if let Cow::Owned(message) = secrets.scrub(&error.message) {
        error.message = message;
    }
    if let Some(details) = error.details.as_deref_mut() {
        secrets.scrub_json(details);
    }
    error
}

fn resolve<T: serde::de::DeserializeOwned>(
    field: &str,
    value: Templated<T>,
) -> Result<T, ActionError> {
    value
        .resolve()
        .map_err(|message| config::invalid(&ConfigProblem::new(field, message)))
}

fn pairs(
    field: &str,
    value: Option<Templated<Pairs<Texts>>>,
) -> Result<Vec<(String, Vec<String>)>, ActionError> {
    match value {
        None => Ok(Vec::new()),
        Some(value) => Ok(resolve(field, value)?
            .0
            .into_iter()
            .map(|(name, Texts(values))| (name, values))
            .collect()),
    }
}

fn flatten(pairs: Vec<(String, Vec<String>)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .flat_map(|(name, values)| values.into_iter().map(move |v| (name.clone(), v)))
        .collect()
}

/// A provider's error as the step's: a retry may help only when it is transient.
pub(crate) fn credential_error(e: CredentialError) -> ActionError {
    if e.is_transient() {
        ActionError::transient(e.to_string())
    } else {
        ActionError::permanent(e.to_string())
    }
}

/// Puts a credential on the request. Header values are marked sensitive so that they are
/// never printed.
fn apply(
    name: &str,
    credential: &Credential,
    headers: &mut HeaderMap,
    query: &mut Vec<(String, String)>,
) -> Result<(), ActionError> {
    let sensitive = |text: String| {
        HeaderValue::from_str(&text)
            .map(|mut v| {
                v.set_sensitive(true);
                v
            })
            .map_err(|_| {
                ActionError::permanent(format!(
                    "credential `{name}` holds characters a header cannot carry"
                ))
            })
    };
    match credential {
        Credential::Bearer { token } => {
            headers.insert(header::AUTHORIZATION, sensitive(format!("Bearer {token}"))?);
        }
        Credential::Basic { username, password } => {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            headers.insert(
                header::AUTHORIZATION,
                sensitive(format!("Basic {encoded}"))?,
            );
        }
        Credential::ApiKey {
            header,
            query: param,
            value,
        } => {
            if let Some(param) = param {
                query.push((param.clone(), value.clone()));
            }
            if header.is_some() || param.is_none() {
                let header = header.as_deref().unwrap_or("x-api-key");
                let header = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                    ActionError::permanent(format!(
                        "credential `{name}` names an invalid header `{header}`"
                    ))
                })?;
                headers.insert(header, sensitive(value.clone())?);
            }
        }
        Credential::Header {
            name: header,
            value,
        } => {
            let header = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                ActionError::permanent(format!(
                    "credential `{name}` names an invalid header `{header}`"
                ))
            })?;
            headers.insert(header, sensitive(value.clone())?);
        }
        Credential::Secret { .. } => {
            return Err(ActionError::permanent(format!(
                "credential `{name}` is a secret; a secret cannot be used for http auth \
                 (use a bearer, basic, api_key or header credential)"
            )));
        }
    }
    Ok(())
}

fn headers_output(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        out.insert(name.as_str().to_string(), Value::String(joined));
    }
    Value::Object(out)
}

/// JSON when the response says JSON and parses, else text; null when empty.
fn body_output(headers: &HeaderMap, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let says_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
    if says_json && let Ok(value) = serde_json::from_slice(bytes) {
        return value;
    }
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

fn status_error(
    method: &Method,
    url: &str,
    status: reqwest::StatusCode,
    headers: &HeaderMap,
    output: Value,
) -> ActionError {
    let code = status.as_u16();
    let reason = status
        .canonical_reason()
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let message = format!("{method} {url} answered {code}{reason}");
    let mut error = match code {
        408 | 425 | 429 | 500 | 502 | 503 | 504 => ActionError::transient(message),
        _ => ActionError::permanent(message),
    };
    if matches!(code, 429 | 503) {
        error.retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
    }
    error.with_details(output)
}

/// A `Retry-After` value: seconds, or an HTTP date.
pub(crate) fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A request that got no (complete) answer: worth another attempt, unless the request itself
/// was wrong.
pub(crate) fn network_error(
    method: &Method,
    url: &str,
    timeout: Duration,
    err: &reqwest::Error,
) -> ActionError {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<crate::outbound::Refused>() {
            return ActionError::permanent(format!("{method} {url}: {refused}"));
        }
        source = e.source();
    }
    let what = if err.is_timeout() {
        let phase = if err.is_connect() {
            " while connecting"
        } else {
            ""
        };
        match err.is_connect() {
            false => format!("timed out after {}", show(timeout)),
            true => format!("timed out{phase}"),
        }
    } else if err.is_connect() {
        format!("could not connect: {}", cause(err))
    } else {
        cause(err)
    };
    let message = format!("{method} {url} failed: {what}");
    if err.is_builder() || err.is_redirect() {
        ActionError::permanent(message)
    } else {
        ActionError::transient(message)
    }
}

/// The innermost causes of an error, without the URL (which may carry an API key).
fn cause(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return "connection refused".into();
        }
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    if parts.is_empty() {
        parts.push(
            if err.is_body() {
                "error reading the response"
            } else {
                "error sending the request"
            }
            .into(),
        );
    }
    parts.join(": ")
}

fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use engine::action::Action;

    use crate::Typed;
    use serde_json::json;

    use super::*;

    fn problems(config: Value) -> Vec<ConfigProblem> {
        Typed(Http::new(crate::http_client())).validate(&config)
    }

    fn fields(config: Value) -> Vec<String> {
        problems(config).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_next_link_is_found_with_commas_in_targets_and_relations() {
        let h = r#"<https://a.example/?ids=1,2&page=1>; rel="prev", <https://a.example/?ids=1,2&page=3>; rel="next last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://a.example/?ids=1,2&page=3")
        );
        assert_eq!(next_link("</p?x=2>; rel=next").as_deref(), Some("/p?x=2"));
        assert_eq!(next_link(r#"</first>; rel="first""#), None);
        assert_eq!(next_link("garbage, <unclosed; rel=next"), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn max_pages_is_bounded() {
        let f = |n: u64| {
            fields(
                json!({"url": "https://x.example", "paginate": {"page": {"param": "p"}, "max_pages": n}}),
            )
        };
        assert_eq!(f(0), vec!["paginate.max_pages"]);
        assert_eq!(f(u64::from(MAX_PAGES) + 1), vec!["paginate.max_pages"]);
        assert!(f(5).is_empty());
    }

    #[test]
    fn a_full_static_config_is_valid() {
        let config = json!({
            "method": "post",
            "url": "https://crm.example/users?x=1",
            "headers": {"X-Trace": "abc", "X-Many": ["a", "b"], "X-Gone": null},
            "query": {"page": 2, "tag": ["a", "b"]},
            "json": {"email": "a@b.c", "nested": [1, 2]},
            "credential": "crm-api",
            "accept_status": [404, "409"],
            "timeout": "2s",
        });
        assert_eq!(problems(config), vec![]);
    }

    #[test]
    fn templates_are_accepted_where_typed_values_are_expected() {
        let config = json!({
            "method": "{{env.METHOD}}",
            "url": "{{env.CRM_URL}}/users",
            "headers": "{{steps.auth.headers}}",
            "form": {"a": "{{trigger.body.a}}"},
            "accept_status": ["{{env.OK}}", 404],
            "timeout": "{{env.TIMEOUT}}",
        });
        assert_eq!(problems(config), vec![]);
    }

    #[test]
    fn the_url_is_required_and_must_be_http() {
        assert_eq!(fields(json!({})), ["url"]);
        let found = problems(json!({"url": "ftp://example.com/file"}));
        assert_eq!(found[0].field, "url");
        assert!(found[0].message.contains("not an http:// or https:// URL"));
        let found = problems(json!({"url": "example.com/users"}));
        assert!(found[0].message.contains("is not a URL"), "{found:?}");
    }

    #[test]
    fn an_unknown_method_is_rejected_unless_templated() {
        let found = problems(json!({"method": "FETCH", "url": "http://x"}));
        assert_eq!(found[0].field, "method");
        assert!(found[0].message.contains("`FETCH` is not an HTTP method"));
        assert_eq!(
            problems(json!({"method": "{{m}}", "url": "http://x"})),
            vec![]
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        let found = problems(json!({"url": "http://x", "jsn": {}}));
        assert_eq!(found[0].field, "jsn");
        assert!(found[0].message.contains("unknown field `jsn`"));
    }

    #[test]
    fn wrong_types_are_reported_at_their_path() {
        assert_eq!(
            fields(json!({"url": "http://x", "accept_status": [200, "ok"]})),
            ["accept_status[1]"]
        );
        assert_eq!(
            fields(json!({"url": "http://x", "headers": {"X-A": {"no": 1}}})),
            ["headers.X-A"]
        );
        assert_eq!(
            fields(json!({"url": "http://x", "timeout": 10})),
            ["timeout"]
        );
        assert_eq!(
            fields(json!({"url": "http://x", "body": {"a": 1}})),
            ["body"]
        );
    }

    #[test]
    fn only_one_body_may_be_set() {
        let found = problems(json!({"url": "http://x", "json": {}, "body": "raw"}));
        assert_eq!(found[0].field, "body");
        assert!(found[0].message.contains("use only one of"));
    }

    #[test]
    fn header_names_must_be_valid() {
        assert_eq!(
            fields(json!({"url": "http://x", "headers": {"bad name": "v"}})),
            ["headers.bad name"]
        );
    }

    #[test]
    fn http_is_not_a_branching_action() {
        assert_eq!(
            Typed(Http::new(crate::http_client())).ports(&json!({})),
            None
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = retry_after(&later).unwrap();
        assert!(
            wait > Duration::from_secs(80) && wait <= Duration::from_secs(90),
            "{wait:?}"
        );
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn a_json_body_is_parsed_only_when_the_response_says_json() {
        let mut headers = HeaderMap::new();
        assert_eq!(body_output(&headers, b"{\"a\":1}"), json!("{\"a\":1}"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json; charset=utf-8"),
        );
        assert_eq!(body_output(&headers, b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(body_output(&headers, b"not json"), json!("not json"));
        assert_eq!(body_output(&headers, b""), Value::Null);
    }

    #[test]
    fn the_schema_describes_the_fields() {
        let schema = Typed(Http::new(crate::http_client())).info().config_schema;
        assert_eq!(schema["required"], json!(["url"]));
        assert!(schema["properties"]["accept_status"].is_object());
    }
}

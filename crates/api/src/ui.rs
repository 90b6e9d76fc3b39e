//! The editor: the built `web-ui/dist` served at `/`, from a directory (`WEFT_UI_DIR`) or from
//! the binary itself (the `embed-ui` feature, used by release builds). Unknown paths fall back
//! to `index.html` (the editor routes on the client), except under `assets/`, where a missing
//! file is a 404. Vite names every file under `assets/` after its content, so those are cached
//! for a year; everything else (`index.html`, `favicon.svg`) is revalidated on every load.

use std::path::PathBuf;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

use crate::{AppState, Config};

/// Where the editor's files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editor {
    /// A directory holding a built editor (`index.html` and `assets/`).
    Dir(PathBuf),
    /// The editor compiled into this binary.
    Embedded,
    /// None: `/` explains how to build it. `Some(dir)`: the configured directory holds no
    /// `index.html`.
    Missing(Option<PathBuf>),
}

impl Editor {
    /// The configured directory if there is one (it wins, for development), else the embedded
    /// editor if this binary has one.
    pub fn of(config: &Config) -> Editor {
        match &config.ui_dir {
            Some(dir) if dir.join("index.html").is_file() => Editor::Dir(dir.clone()),
            Some(dir) => Editor::Missing(Some(dir.clone())),
            None if EMBEDDED.is_some() => Editor::Embedded,
            None => Editor::Missing(None),
        }
    }
}

/// Whether this binary carries the editor (built with the `embed-ui` feature).
pub const fn embedded_editor() -> bool {
    EMBEDDED.is_some()
}

/// A file of the built editor by its path relative to `dist/` (`assets/index-….js`).
type Lookup = fn(&str) -> Option<&'static [u8]>;

#[cfg(feature = "embed-ui")]
static DIST: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../web-ui/dist");

/// Fails the build early, with the path in the message, when the editor was not built first.
#[cfg(feature = "embed-ui")]
const _: &[u8] = include_bytes!("../../../web-ui/dist/index.html");

#[cfg(feature = "embed-ui")]
fn embedded_file(path: &str) -> Option<&'static [u8]> {
    DIST.get_file(path).map(|f| f.contents())
}

#[cfg(feature = "embed-ui")]
const EMBEDDED: Option<Lookup> = Some(embedded_file);

#[cfg(not(feature = "embed-ui"))]
const EMBEDDED: Option<Lookup> = None;

pub(crate) fn router(config: &Config) -> Router<AppState> {
    match Editor::of(config) {
        Editor::Dir(dir) => {
            let index = ServeFile::new(dir.join("index.html"));
            Router::new()
                .nest_service("/assets", ServeDir::new(dir.join("assets")))
                .fallback_service(ServeDir::new(&dir).fallback(index))
                .layer(axum::middleware::from_fn(cache_control))
        }
        Editor::Embedded => files_router(EMBEDDED.expect("an embedded editor")),
        Editor::Missing(_) => Router::new().route("/", get(missing_ui)),
    }
}

/// The editor served from files in memory.
fn files_router<S: Clone + Send + Sync + 'static>(lookup: Lookup) -> Router<S> {
    Router::new()
        .fallback_service(get(move |uri: Uri| async move { serve_file(lookup, &uri) }))
        .layer(axum::middleware::from_fn(cache_control))
}

fn serve_file(lookup: Lookup, uri: &Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let found = if path.is_empty() || path.ends_with('/') {
        None
    } else {
        lookup(path).map(|bytes| (path, bytes))
    };
    let (path, bytes) = match found {
        Some(file) => file,
        None if path.starts_with("assets/") => return StatusCode::NOT_FOUND.into_response(),
        None => match lookup("index.html") {
            Some(bytes) => ("index.html", bytes),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    ([(header::CONTENT_TYPE, content_type(path))], bytes).into_response()
}

/// The type a file is served with, from its extension (the guesses `ServeDir` makes), with
/// `charset=utf-8` on text.
fn content_type(path: &str) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let value = if mime.type_() == mime_guess::mime::TEXT {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// Content-hashed files (`/assets/…`) are immutable; the rest must be revalidated, so that a
/// new build's `index.html` (naming new assets) is seen on the next load.
async fn cache_control(req: Request, next: Next) -> Response {
    let policy = if req.uri().path().starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    res
}

async fn missing_ui() -> Html<&'static str> {
    Html(
        "<!doctype html><meta charset=utf-8><title>Weft</title>\
         <body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto\">\
         <h1>Weft is running</h1><p>The editor is not built. Build it with \
         <code>npm --prefix web-ui ci &amp;&amp; npm --prefix web-ui run build</code> \
         (or start Weft with <code>./scripts/serve</code>, which does it), then reload.</p>\
         <p>The API is under <code>/api/v1</code> (described by <code>/api/v1/openapi.json</code>, with an API key).</p></body>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    fn dist(path: &str) -> Option<&'static [u8]> {
        match path {
            "index.html" => Some(b"<!doctype html><title>Weft</title>"),
            "favicon.svg" => Some(b"<svg/>"),
            "assets/index-abc123.js" => Some(b"console.log(1)"),
            "assets/index-abc123.css" => Some(b"body{}"),
            _ => None,
        }
    }

    async fn get(uri: &str) -> (StatusCode, Option<String>, Option<String>, String) {
        let app = files_router(dist).with_state(());
        let res = app
            .oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let h = |name| {
            res.headers()
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap().to_string())
        };
        let (ty, cache) = (h(header::CONTENT_TYPE), h(header::CACHE_CONTROL));
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, ty, cache, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn embedded_files_have_their_type_and_cache_policy() {
        let html = Some("text/html; charset=utf-8".to_string());
        let no_cache = Some("no-cache".to_string());
        let year = Some("public, max-age=31536000, immutable".to_string());
        let (status, ty, cache, body) = get("/").await;
        assert_eq!((status, &ty, &cache), (StatusCode::OK, &html, &no_cache));
        assert!(body.contains("<title>Weft</title>"));
        // Client routes get the page.
        let (status, ty, cache, body) = get("/workflows/x?y=1").await;
        assert_eq!((status, &ty, &cache), (StatusCode::OK, &html, &no_cache));
        assert!(body.contains("<title>Weft</title>"));
        let (status, ty, cache, body) = get("/assets/index-abc123.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ty.as_deref(), Some("text/javascript; charset=utf-8"));
        assert_eq!((cache, body.as_str()), (year.clone(), "console.log(1)"));
        let (_, ty, cache, _) = get("/assets/index-abc123.css").await;
        assert_eq!(ty.as_deref(), Some("text/css; charset=utf-8"));
        assert_eq!(cache, year);
        let (_, ty, cache, _) = get("/favicon.svg").await;
        assert_eq!(ty.as_deref(), Some("image/svg+xml"));
        assert_eq!(cache, no_cache);
        // A missing asset is not the page (a stale page asking for an old build's script).
        let (status, _, cache, _) = get("/assets/index-old.js").await;
        assert_eq!((status, cache), (StatusCode::NOT_FOUND, None));
    }

    #[test]
    fn a_configured_directory_wins() {
        let dir = tempfile::tempdir().unwrap();
        let config = |ui_dir| Config {
            ui_dir,
            ..Config::default()
        };
        let missing = Editor::of(&config(Some(dir.path().to_path_buf())));
        assert_eq!(missing, Editor::Missing(Some(dir.path().to_path_buf())));
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
        let found = Editor::of(&config(Some(dir.path().to_path_buf())));
        assert_eq!(found, Editor::Dir(dir.path().to_path_buf()));
        let none = Editor::of(&config(None));
        assert_eq!(none == Editor::Embedded, embedded_editor());
    }
}

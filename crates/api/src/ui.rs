//! The editor: the built `web-ui/dist` served at `/`, with unknown paths falling back to
//! `index.html` (the editor routes on the client).

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

use crate::{AppState, Config};

pub fn router(config: &Config) -> Router<AppState> {
    match &config.ui_dir {
        Some(dir) if dir.join("index.html").is_file() => {
            let index = dir.join("index.html");
            Router::new().fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        }
        _ => Router::new().route("/", get(missing_ui)),
    }
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

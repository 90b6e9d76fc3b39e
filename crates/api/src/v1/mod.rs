//! The REST API under `/api/v1`: one module per resource, each with its handlers and
//! `router()`. The OpenAPI document is generated from the handlers' annotations, so a route
//! cannot exist without its documentation.

mod body;
mod executions;
mod meta;
mod sessions;
mod workflows;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weft API",
        description = "Workflows, executions and everything the editor needs. Every route takes `Authorization: Bearer <api key>` (or the editor's session cookie with its `X-CSRF-Token`; event streams also take a stream token as `?access_token=`). A `read` key may only read. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    tags(
        (name = "workflows", description = "Workflows, their versions, manual and test runs"),
        (name = "executions", description = "Executions and their step runs"),
        (name = "meta", description = "Actions and schemas")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API router (paths include `/api/v1`) and its OpenAPI document, which it also serves at
/// `/api/v1/openapi.json`.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(workflows::router())
                .merge(executions::router())
                .merge(meta::router())
                .merge(sessions::router()),
        )
        .split_for_parts();
    let served = Arc::new(doc.clone());
    let router = router
        .route(
            "/api/v1/openapi.json",
            get(move |_: crate::auth::Caller| {
                let doc = served.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/schema/workflow.json", get(meta::public_workflow_schema));
    (router, doc)
}

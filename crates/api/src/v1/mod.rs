//! The REST API under `/api/v1`: one module per resource, each with its handlers and
//! `router()`. The OpenAPI document is generated from the handlers' annotations, so a route
//! cannot exist without its documentation.

mod body;
mod connectors;
mod credentials;
mod deliveries;
mod executions;
mod meta;
mod processes;
mod sessions;
mod testing;
mod workflows;

pub(crate) use credentials::oauth_callback;
pub(crate) use workflows::TestEventOut;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Declares a list answer: `{items, next_cursor}`, the one envelope of every list. A list
/// that is not paginated yet answers `next_cursor: null`.
macro_rules! list_of {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass it as `?cursor=` for the next page; `null` on the last page.
            #[schema(required)]
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// The whole list in one page.
            #[allow(dead_code)]
            pub fn all(items: Vec<$item>) -> Self {
                $name { items, next_cursor: None }
            }
        }
    };
}
pub(crate) use list_of;

/// `202 Accepted` of a run, a retry or an async webhook: where to follow the execution.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub execution_id: uuid::Uuid,
    /// `GET` it for the execution (also in `Location`).
    pub status_url: String,
    /// An execution with the same idempotency key existed: it is this one.
    pub duplicate: bool,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weft API",
        description = "Workflows, executions and everything the editor needs. Every route takes `Authorization: Bearer <api key>` (or the editor's session cookie with its `X-CSRF-Token`; event streams also take a stream token as `?access_token=`). A `read` key may only read. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody, Accepted, store::ExecutionEventKind)),
    security(("api_key" = [])),
    tags(
        (name = "workflows", description = "Workflows, their versions, manual and test runs"),
        (name = "executions", description = "Executions and their step runs"),
        (name = "credentials", description = "Credentials: secrets steps and triggers use by name (write-only), bound to hosts; OAuth2 connections"),
        (name = "connectors", description = "OpenAPI documents imported as connectors: one action per operation"),
        (name = "deliveries", description = "Outgoing webhooks (`action: webhook`) and their attempts"),
        (name = "meta", description = "Actions, trigger kinds and schemas"),
        (name = "operations", description = "The processes sharing the database")
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

/// Every 4xx and 5xx answer of every operation is an [`crate::error::ErrorBody`]: the
/// document says so once here rather than in each annotation.
fn with_error_bodies(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{Content, Ref, RefOr};
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                if response.content.is_empty() {
                    response.content.insert(
                        "application/json".into(),
                        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    );
                }
                if response.description.is_empty() {
                    response.description = "`{error: {code, message, details}}`".into();
                }
            }
        }
    }
    doc
}

/// The API router (paths include `/api/v1`) and its OpenAPI document, which it also serves at
/// `/api/v1/openapi.json`.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(workflows::router())
                .merge(testing::router())
                .merge(executions::router())
                .merge(deliveries::router())
                .merge(credentials::router())
                .merge(connectors::router())
                .merge(meta::router())
                .merge(processes::router())
                .merge(sessions::router()),
        )
        .split_for_parts();
    let doc = with_error_bodies(doc);
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

//! The routes of the Endpoints resource and the headers every one of their responses carries.

use std::sync::Arc;

use axum::http::header::{Entry, WARNING};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;

use crate::handlers::{self, ApiState, SharedState};
use crate::status::Status;
use crate::warnings::DEPRECATION_WARNING_HEADER;

/// Every method a route does not serve answers the 405 Status.
async fn method_not_allowed() -> Response {
    Status::method_not_allowed().into_response()
}

fn with_405(router: MethodRouter<SharedState>) -> MethodRouter<SharedState> {
    router.fallback(method_not_allowed)
}

/// Marks a response the route handler wrote in go-restful's place (the PATCH Content-Type 415):
/// upstream writes those before the warning wrapper runs, so they carry no deprecation warning.
#[derive(Debug, Clone, Copy)]
pub struct SkipDeprecationWarning;

/// Adds the 1.33+ deprecation `Warning` to every response of a routed Endpoints request, errors
/// included (except those marked [`SkipDeprecationWarning`]).
async fn deprecation_warning(response: Response) -> Response {
    if response.extensions().get::<SkipDeprecationWarning>().is_some() {
        return response;
    }
    let mut response = response;
    // It comes first, before the warnings the handler added (write-path §4.4).
    let handler_warnings: Vec<HeaderValue> = match response.headers_mut().entry(WARNING) {
        Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => Vec::new(),
    };
    let headers = response.headers_mut();
    headers.append(WARNING, HeaderValue::from_static(DEPRECATION_WARNING_HEADER));
    for value in handler_warnings {
        headers.append(WARNING, value);
    }
    response
}

/// kube-apiserver's request-deadline filter: an unparsable `?timeout=` is a 400 before the handler
/// runs (so without the deprecation warning). Watches ignore the parameter.
async fn request_deadline(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let query = crate::options::Query::parse(request.uri().query());
    let is_watch =
        crate::metrics::verb(request.method(), request.uri().path(), request.uri().query()) == "WATCH";
    if !is_watch {
        if let Err(status) = crate::options::request_timeout(&query) {
            let agent = request
                .headers()
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok());
            return status.to_response(crate::options::is_pretty_print(query.pretty(), agent));
        }
    }
    next.run(request).await
}

/// The resource routes: the namespaced collection and item paths, the all-namespaces list, the
/// legacy `/api/v1/watch/...` paths, `/metrics`, and the admin endpoints of [`crate::admin`].
pub fn routes(state: ApiState) -> Router {
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let admin_routes = crate::admin::routes(state.store.clone());
    let metrics_route = Router::new()
        .route("/metrics", get(crate::metrics::handler))
        .with_state((metrics.clone(), state.store.clone()));
    let state: SharedState = Arc::new(state);
    let resources = Router::new()
        .route(
            "/api/v1/namespaces/{namespace}/endpoints",
            with_405(
                get(handlers::list::namespaced)
                    .post(handlers::create::create)
                    .delete(handlers::delete_collection::delete_collection),
            ),
        )
        .route(
            "/api/v1/namespaces/{namespace}/endpoints/{name}",
            with_405(
                get(handlers::get::get)
                    .put(handlers::update::update)
                    .patch(handlers::patch::patch)
                    .delete(handlers::delete::delete),
            ),
        )
        .route("/api/v1/endpoints", with_405(get(handlers::list::all_namespaces)))
        .route(
            "/api/v1/watch/namespaces/{namespace}/endpoints",
            with_405(get(handlers::watch::forced_namespaced)),
        )
        .route(
            "/api/v1/watch/namespaces/{namespace}/endpoints/{name}",
            with_405(get(handlers::watch::forced_named)),
        )
        .route(
            "/api/v1/watch/endpoints",
            with_405(get(handlers::watch::forced_all)),
        )
        .layer(axum::middleware::map_response(deprecation_warning))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(request_deadline))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .with_state(state);
    resources.merge(metrics_route).merge(admin_routes)
}

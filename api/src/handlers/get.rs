//! GET of one object (read-path §2).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use epstore_storage::ReadAt;

use super::{
    object_key, object_response, read_error, validate_path_name, wants_pretty, SharedState, FRESHNESS_WAIT,
    RESOURCE,
};
use crate::negotiate;
use crate::options::{GetOptions, GetRead, Query};
use crate::status::Status;

/// `GET /api/v1/namespaces/{namespace}/endpoints/{name}`.
pub async fn get(
    State(state): State<SharedState>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let early_pretty = crate::options::is_pretty_print(query.pretty(), agent);
    match serve(&state, &namespace, &name, &query, &headers).await {
        Ok(resp) => resp,
        Err(status) => status.to_response(early_pretty),
    }
}

async fn serve(
    state: &SharedState,
    namespace: &str,
    name: &str,
    query: &Query,
    headers: &HeaderMap,
) -> Result<Response, Status> {
    validate_path_name(name)?;
    let options = GetOptions::decode(query)?;
    let read = options.read()?;
    let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    if let GetRead::NotOlderThan(rv) = read {
        if rv > state.store.revision() {
            state
                .store
                .wait_for_revision(rv, FRESHNESS_WAIT)
                .await
                .map_err(|e| read_error(e, name))?;
        }
    }
    let key = object_key(namespace, name);
    let record = state
        .store
        .get(&key, ReadAt::Latest)
        .map_err(|e| read_error(e, name))?
        .ok_or_else(|| Status::not_found(RESOURCE, name))?;
    let pretty = wants_pretty(query, headers, &negotiated);
    Ok(object_response(StatusCode::OK, &record.value, negotiated, pretty).into_response())
}

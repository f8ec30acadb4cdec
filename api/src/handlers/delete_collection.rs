//! DELETECOLLECTION, write-path §15: list with the request's selectors, delete each match, answer with
//! the list as it was before the deletion.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use epstore_storage::{ListRequest, ReadAt, Record};

use super::delete::{delete_one, delete_options};
use super::list::{matches, Scope};
use super::{json_response, read_error, wants_pretty, yaml_response, SharedState};
use crate::continue_token;
use crate::negotiate::{self, Format};
use crate::options::{ListOptions, Query};
use crate::status::Status;
use crate::types::endpoints::write_list_item;
use crate::types::list::{list_head, LIST_TAIL};
use crate::types::meta::ListMeta;

/// `DELETE /api/v1/namespaces/{namespace}/endpoints`.
pub async fn delete_collection(
    State(state): State<SharedState>,
    Path(namespace): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let pretty = crate::options::is_pretty_print(query.pretty(), agent);
    match serve(&state, &namespace, &query, &headers, body).await {
        Ok(resp) => resp,
        Err(status) => status.to_response(pretty),
    }
}

async fn serve(
    state: &SharedState,
    namespace: &str,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Status> {
    let mut list_options = ListOptions::from_query(query)?;
    let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    list_options.convert_field_selector()?;
    let delete_options = delete_options(query, headers, body).await?;
    let scope = Scope {
        namespace: Some(namespace.to_string()),
        name: None,
        forced_watch: false,
    };
    let prefix = super::list::scan_prefix(&scope, &list_options);
    let limit = usize::try_from(list_options.limit.max(0)).unwrap_or(usize::MAX);
    let start = match list_options.continue_token.as_deref() {
        Some(token) => Some(
            continue_token::decode(token, &prefix)
                .map_err(|e| e.to_status())?
                .start_key,
        ),
        None => None,
    };
    let request = ListRequest {
        prefix: &prefix,
        start: start.as_deref(),
        limit,
        at: ReadAt::Latest,
    };
    let page = state
        .store
        .list(&request, |r: &Record| matches(&list_options, r))
        .map_err(|e| read_error(e, ""))?;

    for record in &page.items {
        match delete_one(
            state,
            namespace,
            record.name(),
            &delete_options,
            negotiated,
            false,
        )
        .await
        {
            Ok(_) => {}
            Err(status) if status.code == 404 => {}
            Err(status) => return Err(status),
        }
    }

    let mut meta = ListMeta {
        resource_version: page.revision.to_string(),
        ..ListMeta::default()
    };
    if let Some(next) = &page.continue_from {
        meta.continue_token = continue_token::encode_key(next, &prefix, page.revision as i64)
            .map_err(|e| Status::internal(&e.to_string()))?;
    }
    let mut body = list_head(&meta);
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write_list_item(&item.value, &mut body);
    }
    body.extend_from_slice(LIST_TAIL);
    let pretty = wants_pretty(query, headers, &negotiated);
    Ok(match negotiated.format {
        Format::Yaml => yaml_response(StatusCode::OK, &body),
        _ => json_response(StatusCode::OK, body, pretty),
    })
}

//! LIST (read-path §3): the resourceVersion × resourceVersionMatch × paging matrix, continue tokens,
//! selectors, and a streamed body. `?watch=1` hands over to [`super::watch`].

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use epstore_storage::{Error as StoreError, ListPage, ListRequest, ReadAt, Record, Revision};
use serde_json::Value;

use super::{json_response, read_error, wants_pretty, yaml_response, SharedState, FRESHNESS_WAIT};
use crate::continue_token::{self, ContinueRevision};
use crate::negotiate::{self, Format, Negotiated};
use crate::options::{ListOptions, ListRead, Query};
use crate::status::Status;
use crate::types::endpoints::write_list_item;
use crate::types::list::{list_head, LIST_TAIL};
use crate::types::meta::ListMeta;

/// Which collection a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The namespace, or None for `/api/v1/endpoints`.
    pub namespace: Option<String>,
    /// The object name of a forced-watch path naming one object.
    pub name: Option<String>,
    /// A `/api/v1/watch/...` path: always a watch.
    pub forced_watch: bool,
}

/// `GET /api/v1/namespaces/{namespace}/endpoints`.
pub async fn namespaced(
    State(state): State<SharedState>,
    Path(namespace): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scope = Scope {
        namespace: Some(namespace),
        name: None,
        forced_watch: false,
    };
    list_or_watch(state, scope, raw, headers).await
}

/// `GET /api/v1/endpoints`.
pub async fn all_namespaces(
    State(state): State<SharedState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scope = Scope {
        namespace: None,
        name: None,
        forced_watch: false,
    };
    list_or_watch(state, scope, raw, headers).await
}

/// The request's pretty flag before negotiation (for errors).
fn early_pretty(query: &Query, headers: &HeaderMap) -> bool {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    crate::options::is_pretty_print(query.pretty(), agent)
}

/// Decodes, validates and dispatches a LIST or WATCH (the check order of `ListResource`).
pub async fn list_or_watch(
    state: SharedState,
    scope: Scope,
    raw: Option<String>,
    headers: HeaderMap,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let pretty = early_pretty(&query, &headers);
    match prepare(&scope, &query, &headers) {
        Ok((options, negotiated, true)) => {
            // The watch's resourceVersion is parsed before the stream starts: an invalid one is a
            // plain HTTP error (500 upstream, 400 by decision 2), never an ERROR event in a 200.
            match options.watch_plan() {
                Ok(plan) => super::watch::serve(state, scope, options, plan, negotiated).await,
                Err(status) => status.to_response(pretty),
            }
        }
        Ok((options, negotiated, false)) => {
            match serve(&state, &scope, &options, &query, &headers, negotiated).await {
                Ok(resp) => resp,
                Err(status) => status.to_response(pretty),
            }
        }
        Err(status) => status.to_response(pretty),
    }
}

/// Steps 2–7: decode, default, validate, negotiate, convert the field selector, apply a path name.
/// Returns the options, the negotiated form, and whether this is a watch.
fn prepare(
    scope: &Scope,
    query: &Query,
    headers: &HeaderMap,
) -> Result<(ListOptions, Negotiated, bool), Status> {
    let mut options = ListOptions::from_query(query)?;
    let watch = options.watch || scope.forced_watch;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let negotiated = if watch {
        negotiate::for_watch(accept)?
    } else {
        negotiate::for_object(accept)?
    };
    options.convert_field_selector()?;
    if let Some(name) = &scope.name {
        options.apply_path_name(name)?;
    }
    Ok((options, negotiated, watch))
}

/// The key prefix a list scans and its continue tokens are relative to: the namespace, or the
/// namespace a `metadata.namespace=` field selector pins on an all-namespaces list.
pub fn scan_prefix(scope: &Scope, options: &ListOptions) -> String {
    match &scope.namespace {
        Some(ns) => format!("{ns}/"),
        None => match options.field_selector.pinned_namespace() {
            Some(ns) if crate::validation::is_dns1123_label(ns).is_empty() => format!("{ns}/"),
            _ => String::new(),
        },
    }
}

/// Whether a record passes the request's label and field selectors.
pub fn matches(options: &ListOptions, record: &Record) -> bool {
    options.label_selector.matches(&record.labels)
        && options.field_selector.matches(record.namespace(), record.name())
}

async fn serve(
    state: &SharedState,
    scope: &Scope,
    options: &ListOptions,
    query: &Query,
    headers: &HeaderMap,
    negotiated: Negotiated,
) -> Result<Response, Status> {
    let store = &state.store;
    let prefix = scan_prefix(scope, options);
    let limit = usize::try_from(options.limit.max(0)).unwrap_or(usize::MAX);
    let filter = |r: &Record| matches(options, r);

    // A namespaced list pinning one name without a continue token reads a single key.
    let single = match (&scope.namespace, options.single_name()) {
        (Some(_), Some(name)) => Some(name.to_string()),
        _ => None,
    };
    let read = options.list_read(&prefix, single.is_none())?;
    let (at, start, limit) = match &read {
        ListRead::Latest => (ReadAt::Latest, None, limit),
        ListRead::Any => (ReadAt::Latest, None, 0),
        ListRead::NotOlderThan(rv) => {
            wait_for(state, *rv).await?;
            (ReadAt::Latest, None, limit)
        }
        ListRead::Exact(rv) => (ReadAt::Exact(*rv), None, limit),
        ListRead::Continue(token) => {
            let at = match token.revision() {
                ContinueRevision::Exact(rv) => ReadAt::Exact(rv),
                ContinueRevision::Latest => ReadAt::Latest,
            };
            (at, Some(token.start_key.clone()), limit)
        }
    };

    let page = match &single {
        Some(name) => {
            let key = format!("{prefix}{name}");
            let found = store.get(&key, at).map_err(|e| read_error(e, name))?;
            ListPage {
                revision: match at {
                    ReadAt::Exact(rv) => rv,
                    ReadAt::Latest => store.revision(),
                },
                items: found.into_iter().filter(|r| filter(r)).collect(),
                continue_from: None,
                remaining: 0,
            }
        }
        None => {
            let request = ListRequest {
                prefix: &prefix,
                start: start.as_deref(),
                limit,
                at,
            };
            match store.list(&request, filter) {
                Ok(page) => page,
                Err(StoreError::Compacted { .. }) if matches!(read, ListRead::Continue(_)) => {
                    let start_key = start.as_deref().unwrap_or(&prefix);
                    return Err(continue_token::expired_status(start_key, &prefix));
                }
                Err(e) => return Err(read_error(e, "")),
            }
        }
    };

    let metadata = list_meta(&page, &prefix, options)?;
    let pretty = wants_pretty(query, headers, &negotiated);
    Ok(list_response(page, metadata, negotiated, pretty))
}

/// Waits up to 3 s for the store to reach `rv` (then 504).
async fn wait_for(state: &SharedState, rv: Revision) -> Result<(), Status> {
    if rv > state.store.revision() {
        state
            .store
            .wait_for_revision(rv, FRESHNESS_WAIT)
            .await
            .map_err(|e| read_error(e, ""))?;
    }
    Ok(())
}

/// The list's metadata: its revision, the continue token and remainingItemCount (only without
/// selectors).
fn list_meta(page: &ListPage, prefix: &str, options: &ListOptions) -> Result<ListMeta, Status> {
    let mut meta = ListMeta {
        resource_version: page.revision.to_string(),
        ..ListMeta::default()
    };
    if let Some(next) = &page.continue_from {
        let rv = i64::try_from(page.revision).map_err(|_| Status::internal("revision out of range"))?;
        meta.continue_token =
            continue_token::encode_key(next, prefix, rv).map_err(|e| Status::internal(&e.to_string()))?;
        if !options.has_selector() {
            meta.remaining_item_count = i64::try_from(page.remaining).ok();
        }
    }
    Ok(meta)
}

/// The list in the negotiated form: JSON lists stream item by item; the other forms are built whole.
fn list_response(page: ListPage, metadata: ListMeta, negotiated: Negotiated, pretty: bool) -> Response {
    match negotiated.format {
        Format::Json if !pretty => {
            let chunks = ListChunks {
                head: Some(list_head(&metadata)),
                items: page.items.into_iter(),
                first: true,
                done: false,
            };
            let mut resp = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp
        }
        Format::Json | Format::Yaml => {
            let mut body = list_head(&metadata);
            for (i, item) in page.items.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                write_list_item(&item.value, &mut body);
            }
            body.extend_from_slice(LIST_TAIL);
            if negotiated.format == Format::Yaml {
                yaml_response(StatusCode::OK, &body)
            } else {
                json_response(StatusCode::OK, body, pretty)
            }
        }
        Format::Table | Format::Metadata => {
            let meta_value = serde_json::to_value(&metadata).unwrap_or(Value::Null);
            let now = chrono::Utc::now();
            let mut objects = Vec::with_capacity(page.items.len());
            for item in &page.items {
                match serde_json::from_slice::<Value>(&item.value) {
                    Ok(v) => objects.push(v),
                    Err(e) => {
                        return Status::internal(&format!("stored object is not JSON: {e}")).into_response()
                    }
                }
            }
            let rendered = if negotiated.format == Format::Table {
                let rows = objects.iter().map(|o| crate::table::row(o, now)).collect();
                crate::table::table(meta_value, rows, true)
            } else {
                let items: Vec<Value> = objects
                    .iter()
                    .map(crate::table::partial_object_metadata)
                    .collect();
                serde_json::json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta_value,
                    "items": items,
                })
            };
            match crate::json::to_vec(&rendered) {
                Ok(bytes) => json_response(StatusCode::OK, bytes, pretty),
                Err(e) => Status::internal(&e.to_string()).into_response(),
            }
        }
    }
}

/// The chunks of a streamed JSON list: the head, items in ~64 KiB batches, then the tail. Items are
/// copies of stored bytes without their `kind`/`apiVersion`.
struct ListChunks {
    head: Option<Vec<u8>>,
    items: std::vec::IntoIter<Arc<Record>>,
    first: bool,
    done: bool,
}

const CHUNK: usize = 64 * 1024;

impl Iterator for ListChunks {
    type Item = Result<Bytes, Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(head) = self.head.take() {
            return Some(Ok(Bytes::from(head)));
        }
        if self.done {
            return None;
        }
        let mut buf = Vec::with_capacity(CHUNK + 2048);
        while buf.len() < CHUNK {
            match self.items.next() {
                Some(item) => {
                    if !self.first {
                        buf.push(b',');
                    }
                    self.first = false;
                    write_list_item(&item.value, &mut buf);
                }
                None => {
                    buf.extend_from_slice(LIST_TAIL);
                    buf.push(b'\n');
                    self.done = true;
                    break;
                }
            }
        }
        Some(Ok(Bytes::from(buf)))
    }
}

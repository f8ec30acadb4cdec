//! The verbs of the Endpoints resource, one module each, as kube-apiserver's
//! `pkg/endpoints/handlers` splits them, plus what they share: the request scope, storage-error
//! mapping and object responses.

pub mod create;
pub mod delete;
pub mod delete_collection;
pub mod get;
pub mod list;
pub mod patch;
pub mod update;
pub mod watch;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use epstore_storage::{Error as StoreError, Store};
use serde_json::Value;

use crate::negotiate::{Format, Negotiated};
use crate::options::{is_pretty_print, Query};
use crate::server::ShutdownSignal;
use crate::status::Status;

/// The resource's name in messages and Status details.
pub const RESOURCE: &str = "endpoints";

/// How long a read asking for a not-yet-reached resourceVersion waits (the watch cache's
/// `blockTimeout`).
pub const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// What the resource handlers share.
pub struct ApiState {
    /// The storage engine.
    pub store: Store,
    /// kube-apiserver's `--min-request-timeout`: a watch without `timeoutSeconds` lasts a random time
    /// in [min, 2*min).
    pub min_request_timeout: Duration,
    /// Flipped on shutdown: watches end.
    pub shutdown: ShutdownSignal,
    /// A watch whose client does not take an event for this long is closed (the apiserver closes
    /// unresponsive watchers too).
    pub watch_send_timeout: Duration,
}

/// The shared state handle the routes carry.
pub type SharedState = Arc<ApiState>;

/// The storage key of a namespaced object.
pub fn object_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// `path.IsValidPathSegmentName`: the 400 `Name parameter invalid: "<name>": ...` for names that
/// cannot be a path segment.
pub fn validate_path_name(name: &str) -> Result<(), Status> {
    let mut problems = Vec::new();
    if name == "." || name == ".." {
        problems.push(format!("may not be '{name}'"));
    } else {
        if name.contains('/') {
            problems.push("may not contain '/'".to_string());
        }
        if name.contains('%') {
            problems.push("may not contain '%'".to_string());
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Status::bad_request(format!(
        "Name parameter invalid: {}: {}",
        crate::field_error::go_quote(name),
        problems.join(";")
    )))
}

/// Maps a storage failure on a read to its Status (`name` names the object where one is involved).
pub fn read_error(err: StoreError, name: &str) -> Status {
    match err {
        StoreError::Compacted { .. } => Status::list_too_old(),
        StoreError::FutureRevision { requested, current } => {
            Status::too_large_resource_version(requested, current)
        }
        StoreError::NotFound { .. } => Status::not_found(RESOURCE, name),
        other => internal(other),
    }
}

/// A storage failure that is the server's fault: logged, and a 500 InternalError.
pub fn internal(err: StoreError) -> Status {
    tracing::warn!(error = %err, "storage error");
    Status::internal(&err.to_string())
}

/// Whether the response should be indented: the `pretty` query parameter, the User-Agent rule, or
/// an Accept clause with `pretty=1`.
pub fn wants_pretty(query: &Query, headers: &HeaderMap, negotiated: &Negotiated) -> bool {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    negotiated.pretty || is_pretty_print(query.pretty(), agent)
}

/// A JSON body response (`pretty`: Go's MarshalIndent, no trailing newline; else compact + `\n`).
pub fn json_response(code: StatusCode, compact: Vec<u8>, pretty: bool) -> Response {
    let body = if pretty {
        crate::json::reindent_pretty(&compact).unwrap_or(compact)
    } else {
        let mut b = compact;
        b.push(b'\n');
        b
    };
    let mut resp = (code, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A YAML body response converted from JSON bytes.
pub fn yaml_response(code: StatusCode, json: &[u8]) -> Response {
    let value: Value = match serde_json::from_slice(json) {
        Ok(v) => v,
        Err(e) => return Status::internal(&format!("stored object is not JSON: {e}")).into_response(),
    };
    match serde_yaml_ng::to_string(&value) {
        Ok(text) => {
            let mut resp = (code, text).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml"));
            resp
        }
        Err(e) => Status::internal(&format!("cannot encode YAML: {e}")).into_response(),
    }
}

/// The response for one stored object in the negotiated form.
pub fn object_response(code: StatusCode, stored: &Bytes, negotiated: Negotiated, pretty: bool) -> Response {
    match negotiated.format {
        Format::Json => json_response(code, stored.to_vec(), pretty),
        Format::Yaml => yaml_response(code, stored),
        Format::Table | Format::Metadata => {
            let object: Value = match serde_json::from_slice(stored) {
                Ok(v) => v,
                Err(e) => {
                    return Status::internal(&format!("stored object is not JSON: {e}")).into_response()
                }
            };
            let rendered = if negotiated.format == Format::Table {
                let rv = object
                    .pointer("/metadata/resourceVersion")
                    .cloned()
                    .unwrap_or(Value::Null);
                let meta = serde_json::json!({ "resourceVersion": rv });
                crate::table::table(meta, vec![crate::table::row(&object, chrono::Utc::now())], true)
            } else {
                crate::table::partial_object_metadata(&object)
            };
            match crate::json::to_vec(&rendered) {
                Ok(bytes) => json_response(code, bytes, pretty),
                Err(e) => Status::internal(&e.to_string()).into_response(),
            }
        }
    }
}

/// A Status response honouring the pretty rules of the request.
pub fn status_response(status: Status, pretty: bool) -> Response {
    status.to_response(pretty)
}

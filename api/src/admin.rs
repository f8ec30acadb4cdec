//! epstore's own admin endpoints, for `epstore snapshot save` and `epstore compact --kubeconfig`.
//!
//! Only users in group `system:masters` (the generated admin token's user) may call them; everyone
//! else gets the authorizer's 403 Status for a non-resource path.
//!
//! - `GET /epstore/v1/snapshot`: streams a consistent snapshot of the whole current state in the
//!   snapshot file format ([`epstore_storage::write_snapshot`]), as `application/octet-stream`. The
//!   state is taken in O(1) when the request arrives, so writes keep flowing while it streams. The
//!   `X-Epstore-Revision` and `X-Epstore-Objects` headers announce its revision and object count.
//! - `POST /epstore/v1/compact?revision=N`: raises the compaction floor to `N` (default: the current
//!   revision) and removes the history it makes unreachable; answers
//!   `{"floor", "previousFloor", "removed", "scanned", "elapsedMillis"}`. A revision above the current
//!   one is a 400 Status.

use std::io::Write;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use epstore_storage::{Error as StoreError, Store};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::auth::UserInfo;
use crate::status::Status;

/// The group whose members may call the admin endpoints.
pub const ADMIN_GROUP: &str = "system:masters";
/// The snapshot endpoint's path.
pub const SNAPSHOT_PATH: &str = "/epstore/v1/snapshot";
/// The compaction endpoint's path.
pub const COMPACT_PATH: &str = "/epstore/v1/compact";
/// The header carrying the streamed snapshot's revision.
pub const REVISION_HEADER: &str = "x-epstore-revision";
/// The header carrying the streamed snapshot's object count.
pub const OBJECTS_HEADER: &str = "x-epstore-objects";

/// How many bytes one body chunk of a streamed snapshot holds.
const CHUNK: usize = 256 * 1024;

/// The admin routes, to merge into the server's resource routes.
pub fn routes(store: Store) -> Router {
    Router::new()
        .route(SNAPSHOT_PATH, get(snapshot))
        .route(COMPACT_PATH, post(compact))
        .with_state(store)
}

/// The 403 Status unless the request's user is in [`ADMIN_GROUP`].
fn require_admin(request: &Request, verb: &str) -> Result<(), Status> {
    let user = request.extensions().get::<UserInfo>();
    match user {
        Some(u) if u.in_group(ADMIN_GROUP) => Ok(()),
        other => {
            let name = other.map(|u| u.name.as_str()).unwrap_or("");
            Err(Status::forbidden_path(
                name,
                verb,
                request.uri().path(),
                "only members of system:masters may call epstore's admin endpoints",
            ))
        }
    }
}

/// A `Write` that sends full chunks down a channel (the body stream's other end).
struct ChunkSender {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChunkSender {
    fn send_buf(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send_buf()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buf()
    }
}

/// `GET /epstore/v1/snapshot`.
async fn snapshot(State(store): State<Store>, request: Request) -> Response {
    if let Err(status) = require_admin(&request, "get") {
        return status.into_response();
    }
    let snap = store.snapshot();
    let revision = snap.revision;
    let objects = snap.len();
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkSender {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = epstore_storage::write_snapshot(&snap, &mut out) {
            tracing::warn!(error = %e, revision, "streaming a snapshot failed");
            // Ending the body with an error makes the client see a failed transfer; a truncated file
            // would fail its trailer check anyway.
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(REVISION_HEADER, HeaderValue::from(revision));
    headers.insert(OBJECTS_HEADER, HeaderValue::from(objects as u64));
    response
}

/// The query of `POST /epstore/v1/compact`.
#[derive(Debug, Deserialize)]
struct CompactQuery {
    revision: Option<u64>,
}

/// The answer of `POST /epstore/v1/compact`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CompactResponse {
    /// The floor after the call.
    pub floor: u64,
    /// The floor before the call.
    pub previous_floor: u64,
    /// Log records (with their history entries) removed.
    pub removed: u64,
    /// Log records read.
    pub scanned: u64,
    /// How long compaction took, in milliseconds.
    pub elapsed_millis: u64,
    /// The store's revision when the call finished.
    pub revision: u64,
}

/// `POST /epstore/v1/compact?revision=N`.
async fn compact(State(store): State<Store>, request: Request) -> Response {
    if let Err(status) = require_admin(&request, "create") {
        return status.into_response();
    }
    let query = match Query::<CompactQuery>::try_from_uri(request.uri()) {
        Ok(Query(q)) => q,
        Err(e) => return Status::bad_request(format!("invalid query: {e}")).into_response(),
    };
    let target = query.revision.unwrap_or_else(|| store.revision());
    let worker = store.clone();
    let result = tokio::task::spawn_blocking(move || worker.compact(target)).await;
    match result {
        Ok(Ok(report)) => {
            let body = CompactResponse {
                floor: report.floor,
                previous_floor: report.previous_floor,
                removed: report.removed,
                scanned: report.scanned,
                elapsed_millis: report.elapsed.as_millis() as u64,
                revision: store.revision(),
            };
            match serde_json::to_vec(&body) {
                Ok(json) => crate::handlers::json_response(StatusCode::OK, json, false),
                Err(e) => Status::internal(&e.to_string()).into_response(),
            }
        }
        Ok(Err(StoreError::FutureRevision { requested, current })) => Status::bad_request(format!(
            "cannot compact to revision {requested}: the current revision is {current}"
        ))
        .into_response(),
        Ok(Err(e)) => crate::handlers::internal(e).into_response(),
        Err(e) => Status::internal(&format!("compaction task failed: {e}")).into_response(),
    }
}

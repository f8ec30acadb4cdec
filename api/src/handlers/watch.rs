//! WATCH (read-path §6): initial events (watch-list), replay from a revision, live events with
//! selector-driven ADDED/DELETED rewriting, bookmarks, and errors as `ERROR` events.
//!
//! A producer task feeds a bounded channel that the response body drains. Writes to the client that
//! block longer than the send timeout end the watch (the apiserver closes unresponsive watchers too),
//! so a client that stops reading never holds more than the channel's few events.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use epstore_storage::{Error as StoreError, Event, EventKind, ListRequest, ReadAt, Revision};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::list::{list_or_watch, matches, scan_prefix, Scope};
use super::SharedState;
use crate::negotiate::{Format, Negotiated};
use crate::options::{ListOptions, WatchPlan, WatchStart};
use crate::status::Status;
use crate::types::endpoints::resource_version_value_range;
use crate::types::watch_event::{bookmark_event, encode_event, EventType};

/// How often an idle watch with bookmarks enabled gets one.
const BOOKMARK_EVERY: Duration = Duration::from_secs(60);
/// Events buffered between the producer and the response body.
const CHANNEL_EVENTS: usize = 64;
/// The frame cache slot of an event's plain JSON line (its natural type, its own bytes).
const FRAME_JSON: usize = 0;

/// `GET /api/v1/watch/namespaces/{namespace}/endpoints`.
pub async fn forced_namespaced(
    State(state): State<SharedState>,
    Path(namespace): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scope = Scope {
        namespace: Some(namespace),
        name: None,
        forced_watch: true,
    };
    list_or_watch(state, scope, raw, headers).await
}

/// `GET /api/v1/watch/namespaces/{namespace}/endpoints/{name}`.
pub async fn forced_named(
    State(state): State<SharedState>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scope = Scope {
        namespace: Some(namespace),
        name: Some(name),
        forced_watch: true,
    };
    list_or_watch(state, scope, raw, headers).await
}

/// `GET /api/v1/watch/endpoints`.
pub async fn forced_all(
    State(state): State<SharedState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scope = Scope {
        namespace: None,
        name: None,
        forced_watch: true,
    };
    list_or_watch(state, scope, raw, headers).await
}

/// Starts the watch stream: `200 application/json`, chunked, one event per line. `plan` comes from
/// [`ListOptions::watch_plan`], checked before the response starts (its errors are plain HTTP errors).
pub async fn serve(
    state: SharedState,
    scope: Scope,
    options: ListOptions,
    plan: WatchPlan,
    negotiated: Negotiated,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_EVENTS);
    let timeout = watch_timeout(&state, &options);
    tokio::spawn(async move {
        let mut producer = Producer {
            state,
            prefix: scan_prefix(&scope, &options),
            options,
            plan,
            format: negotiated.format,
            tx,
            table_headers_sent: false,
        };
        producer.run(timeout).await;
    });
    // The body ends when the producer drops its sender.
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<Bytes, Infallible>(b), rx))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// `timeoutSeconds`, or a random time in [min, 2*min) (`--min-request-timeout`).
fn watch_timeout(state: &SharedState, options: &ListOptions) -> Duration {
    match options.timeout_seconds {
        Some(s) if s > 0 => Duration::from_secs(s.unsigned_abs()),
        _ => {
            let min = state.min_request_timeout;
            let mut seed = [0u8; 8];
            let jitter = match getrandom::fill(&mut seed) {
                Ok(()) => u64::from_le_bytes(seed) % min.as_millis().max(1) as u64,
                Err(_) => 0,
            };
            min + Duration::from_millis(jitter)
        }
    }
}

/// Why the producer stops.
enum Stop {
    /// The client went away or stopped reading.
    Client,
}

struct Producer {
    state: SharedState,
    prefix: String,
    options: ListOptions,
    plan: WatchPlan,
    format: Format,
    tx: mpsc::Sender<Bytes>,
    table_headers_sent: bool,
}

impl Producer {
    async fn run(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let _ = self.stream(deadline).await;
    }

    async fn send(&self, frame: Bytes) -> Result<(), Stop> {
        match tokio::time::timeout(self.state.watch_send_timeout, self.tx.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Stop::Client),
        }
    }

    async fn send_error(&self, status: Status) -> Result<(), Stop> {
        let frame = encode_event(EventType::Error, &status.to_json_bytes());
        self.send(Bytes::from(frame)).await
    }

    async fn stream(&mut self, deadline: Instant) -> Result<(), Stop> {
        let store = self.state.store.clone();
        let plan = self.plan;

        // Where the stream starts, after the initial events if any.
        let start: Revision = if plan.initial_events {
            if let WatchStart::Revision(rv) = plan.start {
                if rv > store.revision() && store.wait_for_revision(rv, super::FRESHNESS_WAIT).await.is_err()
                {
                    return self
                        .send_error(Status::too_large_resource_version(rv, store.revision()))
                        .await;
                }
            }
            let request = ListRequest {
                prefix: &self.prefix,
                start: None,
                limit: 0,
                at: ReadAt::Latest,
            };
            let options = &self.options;
            let page = match store.list(&request, |r| matches(options, r)) {
                Ok(page) => page,
                Err(e) => return self.send_error(super::internal(e)).await,
            };
            for record in &page.items {
                let frame = self.object_frame(EventType::Added, &record.value);
                self.send(frame).await?;
            }
            if plan.initial_events_end_bookmark {
                self.send(Bytes::from(bookmark_event(page.revision, true)))
                    .await?;
            }
            page.revision
        } else {
            match plan.start {
                WatchStart::Revision(rv) => rv,
                WatchStart::Consistent | WatchStart::Any => store.revision(),
            }
        };

        let mut watcher = match store.watch(&self.prefix, Some(start)) {
            Ok(w) => w,
            Err(StoreError::Compacted { requested, floor }) => {
                return self
                    .send_error(Status::too_old_resource_version(requested, floor))
                    .await;
            }
            Err(e) => return self.send_error(super::internal(e)).await,
        };

        let shutdown = self.state.shutdown.clone();
        let mut last_sent = start;
        let bookmark_before_deadline = deadline.checked_sub(Duration::from_secs(2));
        let mut next_bookmark = Instant::now() + BOOKMARK_EVERY;
        if let Some(t) = bookmark_before_deadline {
            next_bookmark = next_bookmark.min(t);
        }
        loop {
            tokio::select! {
                event = watcher.next() => match event {
                    Ok(Some(event)) => {
                        if let Some(frame) = self.event_frame(&event) {
                            self.send(frame).await?;
                            last_sent = event.revision();
                        }
                    }
                    Ok(None) => return Ok(()),
                    Err(StoreError::Compacted { requested, floor }) => {
                        return self.send_error(Status::too_old_resource_version(requested, floor)).await;
                    }
                    Err(StoreError::WatcherStalled { .. }) => return Err(Stop::Client),
                    Err(e) => return self.send_error(super::internal(e)).await,
                },
                _ = tokio::time::sleep_until(next_bookmark), if plan.bookmarks => {
                    let position = watcher.position();
                    if position > last_sent && position > start {
                        self.send(Bytes::from(bookmark_event(position, false))).await?;
                        last_sent = position;
                    }
                    let now = Instant::now();
                    next_bookmark = now + BOOKMARK_EVERY;
                    if let Some(t) = bookmark_before_deadline.filter(|t| *t > now) {
                        next_bookmark = next_bookmark.min(t);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return Ok(()),
                _ = shutdown.wait() => return Ok(()),
                _ = self.tx.closed() => return Err(Stop::Client),
            }
        }
    }

    /// The frame of a storage event for this watcher, after selector rewriting (read-path §6.6);
    /// None when the watcher must not see it.
    fn event_frame(&mut self, event: &Arc<Event>) -> Option<Bytes> {
        let current = &event.record;
        let previous = event.previous.as_deref();
        let now_matches = matches(&self.options, current);
        let (event_type, object): (EventType, Bytes) = match event.kind {
            EventKind::Added => {
                if !now_matches {
                    return None;
                }
                (EventType::Added, current.value.clone())
            }
            EventKind::Deleted => {
                if !now_matches {
                    return None;
                }
                (EventType::Deleted, current.value.clone())
            }
            EventKind::Modified => {
                let was = previous.is_some_and(|p| matches(&self.options, p));
                match (was, now_matches) {
                    (false, false) => return None,
                    (false, true) => (EventType::Added, current.value.clone()),
                    (true, true) => (EventType::Modified, current.value.clone()),
                    (true, false) => {
                        let prev = previous.map(|p| p.value.clone()).unwrap_or_default();
                        (EventType::Deleted, with_revision(&prev, event.revision()))
                    }
                }
            }
        };
        let natural = matches!(
            (event.kind, event_type),
            (EventKind::Added, EventType::Added)
                | (EventKind::Modified, EventType::Modified)
                | (EventKind::Deleted, EventType::Deleted)
        );
        if natural && self.format == Format::Json {
            return Some(event.frame(FRAME_JSON, |_| Bytes::from(encode_event(event_type, &object))));
        }
        Some(self.object_frame(event_type, &object))
    }

    /// An event line for `object` in this watch's format.
    fn object_frame(&mut self, event_type: EventType, object: &Bytes) -> Bytes {
        match self.format {
            Format::Json | Format::Yaml => Bytes::from(encode_event(event_type, object)),
            Format::Table | Format::Metadata => {
                let value: Value = serde_json::from_slice(object).unwrap_or(Value::Null);
                let rendered = if self.format == Format::Table {
                    let rv = value
                        .pointer("/metadata/resourceVersion")
                        .cloned()
                        .unwrap_or(Value::Null);
                    let headers = !self.table_headers_sent;
                    self.table_headers_sent = true;
                    crate::table::table(
                        serde_json::json!({ "resourceVersion": rv }),
                        vec![crate::table::row(&value, chrono::Utc::now())],
                        headers,
                    )
                } else {
                    crate::table::partial_object_metadata(&value)
                };
                let bytes = crate::json::to_vec(&rendered).unwrap_or_default();
                Bytes::from(encode_event(event_type, &bytes))
            }
        }
    }
}

/// Stored object bytes with their resourceVersion replaced by `revision`.
fn with_revision(stored: &Bytes, revision: Revision) -> Bytes {
    match resource_version_value_range(stored) {
        Some(range) => {
            let mut out = Vec::with_capacity(stored.len() + 8);
            out.extend_from_slice(&stored[..range.start]);
            out.extend_from_slice(revision.to_string().as_bytes());
            out.extend_from_slice(&stored[range.end..]);
            Bytes::from(out)
        }
        None => stored.clone(),
    }
}

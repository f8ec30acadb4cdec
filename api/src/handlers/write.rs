//! What the write verbs share: body reading (413), content types (415), warnings, and turning an
//! object into the bytes the storage engine commits.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use epstore_storage::{Error as StoreError, Record, Value};
use http_body_util::BodyExt;

use super::{internal, RESOURCE};
use crate::decode::BodyFormat;
use crate::status::Status;
use crate::types::endpoints::{encode_with_revision_slot, Endpoints};
use crate::warnings::warning_header_value;

/// kube-apiserver's `MaxRequestBodyBytes`.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The media types POST/PUT/DELETE bodies may have.
const BODY_TYPES: &[&str] = &["application/json", "application/yaml"];

/// Reads the whole body, refusing more than 3 MiB with the 413.
pub async fn read_body(body: Body) -> Result<Vec<u8>, Status> {
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Status::request_entity_too_large(
            &format!("limit is {MAX_BODY_BYTES}"),
        )),
        Err(e) => Err(Status::bad_request(format!(
            "unable to read the request body: {e}"
        ))),
    }
}

/// The format of a POST/PUT/DELETE body from its Content-Type: none means JSON (the Python client
/// sends none); parameters are ignored; anything else is the 415.
pub fn body_format(headers: &HeaderMap) -> Result<BodyFormat, Status> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(BodyFormat::Json);
    };
    let media = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "" | "application/json" => Ok(BodyFormat::Json),
        "application/yaml" => Ok(BodyFormat::Yaml),
        _ => Err(Status::unsupported_body_media_type(BODY_TYPES)),
    }
}

/// Warnings of one request, deduplicated in the order they were added.
#[derive(Debug, Default)]
pub struct Warnings(Vec<String>);

impl Warnings {
    /// Adds warnings (duplicates are dropped).
    pub fn extend(&mut self, more: impl IntoIterator<Item = String>) {
        for w in more {
            if !self.0.contains(&w) {
                self.0.push(w);
            }
        }
    }

    /// Adds the warnings to a response as `Warning: 299 - "<text>"` headers.
    pub fn apply(&self, response: &mut Response) {
        for text in &self.0 {
            if let Some(value) = warning_header_value(text).and_then(|v| HeaderValue::from_str(&v).ok()) {
                response
                    .headers_mut()
                    .append(HeaderName::from_static("warning"), value);
            }
        }
    }
}

/// The storage value of an object: its JSON with an empty resourceVersion slot, its uid and labels.
pub fn storage_value(obj: &Endpoints) -> Value {
    let (template, slot) = encode_with_revision_slot(obj);
    Value {
        template: template.into(),
        revision_slot: Some(slot),
        uid: obj.metadata.uid.clone(),
        labels: obj
            .metadata
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// The object in a stored record (its bytes are always our own encoding).
pub fn decode_record(record: &Record) -> Result<Endpoints, Status> {
    crate::decode::decode_stored(&record.value).map_err(|e| {
        Status::internal(&format!(
            "stored object {} is unreadable: {}",
            record.key, e.message
        ))
    })
}

/// Maps a storage failure of a write to its Status.
pub fn write_error(err: StoreError, name: &str) -> Status {
    match err {
        StoreError::AlreadyExists { .. } => Status::already_exists(RESOURCE, name),
        StoreError::NotFound { .. } => Status::not_found(RESOURCE, name),
        StoreError::Conflict { .. } => Status::conflict(name, OPTIMISTIC_LOCK_MESSAGE),
        other => internal(other),
    }
}

/// The optimistic-concurrency conflict text.
pub const OPTIMISTIC_LOCK_MESSAGE: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

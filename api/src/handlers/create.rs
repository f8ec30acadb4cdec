//! CREATE (POST), write-path §9.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use epstore_storage::{Error as StoreError, ReadAt, Write};

use super::write::{body_format, decode_record, read_body, storage_value, write_error, Warnings};
use super::{object_key, object_response, wants_pretty, SharedState, RESOURCE};
use crate::decode::decode_body;
use crate::defaults::{
    fill_object_meta_system_fields, generate_name, new_uid, reconcile_namespace,
    wipe_object_meta_system_fields,
};
use crate::managed_fields::{manager_or_user_agent, update_managed_fields};
use crate::negotiate;
use crate::options::{Query, WriteOptions};
use crate::status::Status;
use crate::types::endpoints::Endpoints;
use crate::types::meta::Time;
use crate::validation::{invalid_status, validate_for_create};
use crate::warnings::{dedup_owner_references, endpoints_warnings};

/// How many names a `generateName` create tries before giving up (RetryGenerateName).
const GENERATE_NAME_ATTEMPTS: usize = 8;

/// `POST /api/v1/namespaces/{namespace}/endpoints`.
pub async fn create(
    State(state): State<SharedState>,
    Path(namespace): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let pretty = crate::options::is_pretty_print(query.pretty(), agent);
    let mut warnings = Warnings::default();
    let mut response = match serve(&state, &namespace, &query, &headers, body, &mut warnings).await {
        Ok(resp) => resp,
        Err(status) => status.to_response(pretty),
    };
    warnings.apply(&mut response);
    response
}

async fn serve(
    state: &SharedState,
    namespace: &str,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
    warnings: &mut Warnings,
) -> Result<Response, Status> {
    let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    let format = body_format(headers)?;
    let bytes = read_body(body).await?;
    let options = WriteOptions::decode(query);
    options.validate_create()?;
    let decoded = decode_body(&bytes, format, options.field_validation()).map_err(|e| e.to_status())?;
    warnings.extend(decoded.warnings);
    let mut obj = decoded.object;

    wipe_object_meta_system_fields(&mut obj.metadata);
    reconcile_namespace(&mut obj.metadata, namespace).map_err(|e| Status::bad_request(e.to_string()))?;
    if let Some(w) = dedup_owner_references(&mut obj.metadata.owner_references, false) {
        warnings.extend([w]);
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| v.as_bytes())
        .unwrap_or(b"");
    let manager = manager_or_user_agent(&options.field_manager, user_agent);
    update_managed_fields(None, &mut obj, &manager, Time::now());
    fill_object_meta_system_fields(&mut obj.metadata, Time::now(), new_uid());

    // A numeric resourceVersion on a create is the client's mistake (upstream: a 500).
    let rv = std::mem::take(&mut obj.metadata.resource_version);
    if let Ok(n) = rv.parse::<u64>() {
        if n != 0 {
            return Err(Status::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
    }

    let generated = obj.metadata.name.is_empty() && !obj.metadata.generate_name.is_empty();
    let attempts = if generated { GENERATE_NAME_ATTEMPTS } else { 1 };
    let base = obj.metadata.generate_name.clone();
    let mut last_name = String::new();
    for _ in 0..attempts {
        if generated {
            obj.metadata.name = generate_name(&base);
        }
        last_name = obj.metadata.name.clone();
        let errs = validate_for_create(&obj);
        if !errs.is_empty() {
            return Err(invalid_status(&obj.metadata.name, &errs));
        }
        let key = object_key(namespace, &obj.metadata.name);
        let pretty = wants_pretty(query, headers, &negotiated);
        if options.is_dry_run() {
            if let Some(existing) = state.store.get(&key, ReadAt::Latest).map_err(super::internal)? {
                if generated {
                    continue;
                }
                return Err(already_exists(&existing, &obj.metadata.name));
            }
            warnings.extend(endpoints_warnings(&obj));
            let bytes = crate::types::endpoints::encode(&obj);
            return Ok(object_response(
                StatusCode::CREATED,
                &bytes.into(),
                negotiated,
                pretty,
            ));
        }
        match state
            .store
            .commit(Write::create(key.clone(), storage_value(&obj)))
            .await
        {
            Ok(committed) => {
                warnings.extend(endpoints_warnings(&obj));
                return Ok(object_response(
                    StatusCode::CREATED,
                    &committed.record.value,
                    negotiated,
                    pretty,
                ));
            }
            Err(StoreError::AlreadyExists { .. }) if generated => continue,
            Err(StoreError::AlreadyExists { .. }) => {
                let existing = state.store.get(&key, ReadAt::Latest).map_err(super::internal)?;
                return Err(match existing {
                    Some(record) => already_exists(&record, &obj.metadata.name),
                    None => Status::already_exists(RESOURCE, &obj.metadata.name),
                });
            }
            Err(e) => return Err(write_error(e, &obj.metadata.name)),
        }
    }
    Err(Status::generate_name_conflict(RESOURCE, &last_name, 1))
}

/// The 409 for a create over an existing object (prefixed when it is being deleted).
fn already_exists(existing: &epstore_storage::Record, name: &str) -> Status {
    match decode_record(existing) {
        Ok(Endpoints { metadata, .. }) if metadata.deletion_timestamp.is_some() => {
            Status::already_exists_being_deleted(RESOURCE, name)
        }
        _ => Status::already_exists(RESOURCE, name),
    }
}

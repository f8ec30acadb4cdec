//! DELETE of one object, write-path §14: options from the body or the query, uid/resourceVersion
//! preconditions, finalizers (an object with finalizers is marked, not removed) and dryRun.
//!
//! epstore is its own garbage collector (spec README decision 4): the `orphan` and
//! `foregroundDeletion` finalizers a propagation policy asks for are resolved at once, so they never
//! hold a deletion; finalizers with other names wait for a client to remove them.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use epstore_storage::{Change, Error as StoreError, Expect, ReadAt, Record, Write};
use serde::Deserialize;

use super::write::{body_format, decode_record, read_body, storage_value, write_error};
use super::{object_key, object_response, validate_path_name, wants_pretty, SharedState, RESOURCE};
use crate::decode::BodyFormat;
use crate::negotiate::{self, Negotiated};
use crate::options::{DeleteOptions, Preconditions, Query};
use crate::status::Status;
use crate::types::endpoints::encode;
use crate::types::meta::Time;

/// Finalizers the garbage collector owns; epstore resolves them itself.
const GC_FINALIZERS: &[&str] = &["orphan", "foregroundDeletion"];

/// `DELETE /api/v1/namespaces/{namespace}/endpoints/{name}`.
pub async fn delete(
    State(state): State<SharedState>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let pretty = crate::options::is_pretty_print(query.pretty(), agent);
    let result = async {
        validate_path_name(&name)?;
        let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
        let options = delete_options(&query, &headers, body).await?;
        let pretty = wants_pretty(&query, &headers, &negotiated);
        delete_one(&state, &namespace, &name, &options, negotiated, pretty).await
    }
    .await;
    match result {
        Ok(resp) => resp,
        Err(status) => status.to_response(pretty),
    }
}

/// The body form of `DeleteOptions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDeleteOptions {
    kind: Option<String>,
    api_version: Option<String>,
    grace_period_seconds: Option<i64>,
    preconditions: Option<WirePreconditions>,
    orphan_dependents: Option<bool>,
    propagation_policy: Option<String>,
    dry_run: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePreconditions {
    uid: Option<String>,
    resource_version: Option<String>,
}

/// Options from a non-empty body (the query is then ignored entirely), else from the query; validated.
pub async fn delete_options(query: &Query, headers: &HeaderMap, body: Body) -> Result<DeleteOptions, Status> {
    let bytes = read_body(body).await?;
    let options = if bytes.iter().all(u8::is_ascii_whitespace) {
        DeleteOptions::from_query(query)?
    } else {
        let json: serde_json::Value = match body_format(headers)? {
            BodyFormat::Json => serde_json::from_slice(&bytes).map_err(|e| {
                Status::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
            })?,
            BodyFormat::Yaml => serde_yaml_ng::from_slice(&bytes)
                .map_err(|e| Status::bad_request(format!("error converting YAML to JSON: {e}")))?,
        };
        let wire: WireDeleteOptions = serde_json::from_value(json)
            .map_err(|e| Status::bad_request(format!("unable to decode DeleteOptions: {e}")))?;
        if let Some(kind) = wire
            .kind
            .as_deref()
            .filter(|k| !k.is_empty() && *k != "DeleteOptions")
        {
            return Err(Status::bad_request(format!(
                "DeleteOptions expected, got kind {kind:?}"
            )));
        }
        if let Some(v) = wire
            .api_version
            .as_deref()
            .filter(|v| !v.is_empty() && *v != "v1" && *v != "meta.k8s.io/v1")
        {
            return Err(Status::bad_request(format!(
                "DeleteOptions in version {v:?} cannot be handled"
            )));
        }
        DeleteOptions {
            grace_period_seconds: wire.grace_period_seconds,
            preconditions: wire.preconditions.map(|p| Preconditions {
                uid: p.uid,
                resource_version: p.resource_version,
            }),
            orphan_dependents: wire.orphan_dependents,
            propagation_policy: wire.propagation_policy,
            dry_run: wire.dry_run.unwrap_or_default(),
        }
    };
    options.validate()?;
    Ok(options)
}

/// Checks DeleteOptions preconditions against the current record (409 texts of §14).
fn check_preconditions(options: &DeleteOptions, name: &str, record: &Record) -> Result<(), Status> {
    let Some(pre) = &options.preconditions else {
        return Ok(());
    };
    if let Some(uid) = pre.uid.as_deref() {
        if uid != record.uid.as_ref() {
            return Err(Status::conflict_on(
                "Endpoints",
                name,
                &format!(
                    "the UID in the precondition ({uid}) does not match the UID in record ({}). The object might have been deleted and then recreated",
                    record.uid
                ),
            ));
        }
    }
    if let Some(rv) = pre.resource_version.as_deref() {
        if rv != record.mod_revision.to_string() {
            return Err(Status::conflict_on(
                "Endpoints",
                name,
                &format!(
                    "the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({}). The object might have been modified",
                    record.mod_revision
                ),
            ));
        }
    }
    Ok(())
}

/// Deletes one object (shared with deletecollection); NotFound is the 404.
pub async fn delete_one(
    state: &SharedState,
    namespace: &str,
    name: &str,
    options: &DeleteOptions,
    negotiated: Negotiated,
    pretty: bool,
) -> Result<Response, Status> {
    let key = object_key(namespace, name);
    for _ in 0..16 {
        let record = state
            .store
            .get(&key, ReadAt::Latest)
            .map_err(super::internal)?
            .ok_or_else(|| Status::not_found(RESOURCE, name))?;
        check_preconditions(options, name, &record)?;
        let mut obj = decode_record(&record)?;

        // Finalizers other than the garbage collector's hold the deletion: mark the object instead.
        let holding: Vec<&String> = obj
            .metadata
            .finalizers
            .iter()
            .filter(|f| !GC_FINALIZERS.contains(&f.as_str()))
            .collect();
        if !holding.is_empty() {
            if obj.metadata.deletion_timestamp.is_none() {
                obj.metadata.deletion_timestamp = Some(Time::now());
                obj.metadata.deletion_grace_period_seconds = Some(0);
                if obj.metadata.generation > 0 {
                    obj.metadata.generation += 1;
                }
            } else if obj.metadata.deletion_grace_period_seconds.is_none() {
                obj.metadata.deletion_grace_period_seconds = Some(0);
            }
            obj.metadata
                .finalizers
                .retain(|f| !GC_FINALIZERS.contains(&f.as_str()));
            let encoded = encode(&obj);
            if options.is_dry_run() || encoded == record.value.as_ref() {
                let body = if options.is_dry_run() {
                    encoded.into()
                } else {
                    record.value.clone()
                };
                return Ok(object_response(StatusCode::OK, &body, negotiated, pretty));
            }
            let write = Write::update(
                key.clone(),
                storage_value(&obj),
                Expect::Revision(record.mod_revision),
            );
            match state.store.commit(write).await {
                Ok(done) => {
                    return Ok(object_response(
                        StatusCode::OK,
                        &done.record.value,
                        negotiated,
                        pretty,
                    ))
                }
                Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(write_error(e, name)),
            }
        }

        let deleted = Status::success_deleted(RESOURCE, name, &record.uid);
        if options.is_dry_run() {
            return Ok(deleted.to_response(pretty));
        }
        let mut write = Write::delete(key.clone(), Expect::Revision(record.mod_revision));
        // Watchers see the final state carrying the deletion's resourceVersion.
        write.change = Change::Delete {
            final_value: Some(storage_value(&obj)),
        };
        match state.store.commit(write).await {
            Ok(_) => return Ok(deleted.to_response(pretty)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(StoreError::NotFound { .. }) => return Err(Status::not_found(RESOURCE, name)),
            Err(e) => return Err(write_error(e, name)),
        }
    }
    Err(Status::conflict(name, super::write::OPTIMISTIC_LOCK_MESSAGE))
}

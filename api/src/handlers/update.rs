//! UPDATE (PUT), write-path §10: create-on-update, optimistic concurrency, uid preconditions,
//! finalizer-driven deletion and no-op detection.
//!
//! [`commit_update`] is the read-modify-write loop PATCH shares: it reads the current object, asks the
//! caller for the new one, validates, and commits with a compare-and-swap on the revision it read,
//! re-reading when another writer got there first (unless the client pinned a resourceVersion).

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use epstore_storage::{Change, Error as StoreError, Expect, ReadAt, Record, Write};

use super::write::{
    body_format, decode_record, read_body, storage_value, write_error, Warnings, OPTIMISTIC_LOCK_MESSAGE,
};
use super::{object_key, object_response, validate_path_name, wants_pretty, SharedState, RESOURCE};
use crate::decode::decode_body;
use crate::defaults::{fill_object_meta_system_fields, new_uid, prepare_for_update, reconcile_namespace};
use crate::managed_fields::{
    manager_or_user_agent, restore_managed_fields_timestamps, update_managed_fields,
};
use crate::negotiate;
use crate::options::{Query, WriteOptions};
use crate::status::Status;
use crate::types::endpoints::{encode, Endpoints};
use crate::types::meta::Time;
use crate::validation::{invalid_status, validate_for_create, validate_for_update};
use crate::warnings::{dedup_owner_references, endpoints_warnings};

/// How often a write retries after losing a compare-and-swap race.
const MAX_CAS_RETRIES: usize = 16;

/// `PUT /api/v1/namespaces/{namespace}/endpoints/{name}`.
pub async fn update(
    State(state): State<SharedState>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let pretty = crate::options::is_pretty_print(query.pretty(), agent);
    let mut warnings = Warnings::default();
    let mut response = match serve(&state, &namespace, &name, &query, &headers, body, &mut warnings).await {
        Ok(resp) => resp,
        Err(status) => status.to_response(pretty),
    };
    warnings.apply(&mut response);
    response
}

async fn serve(
    state: &SharedState,
    namespace: &str,
    name: &str,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
    warnings: &mut Warnings,
) -> Result<Response, Status> {
    let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    let bytes = read_body(body).await?;
    let options = WriteOptions::decode(query);
    options.validate_update()?;
    let format = body_format(headers)?;
    let decoded = decode_body(&bytes, format, options.field_validation()).map_err(|e| e.to_status())?;
    warnings.extend(decoded.warnings);
    let mut obj = decoded.object;
    reconcile_namespace(&mut obj.metadata, namespace).map_err(|e| Status::bad_request(e.to_string()))?;
    if obj.metadata.name != name {
        return Err(Status::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            obj.metadata.name
        )));
    }
    validate_path_name(name)?;
    if let Some(w) = dedup_owner_references(&mut obj.metadata.owner_references, false) {
        warnings.extend([w]);
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| v.as_bytes())
        .unwrap_or(b"");
    let manager = manager_or_user_agent(&options.field_manager, user_agent);
    let uid_precondition = (!obj.metadata.uid.is_empty()).then(|| obj.metadata.uid.clone());
    let requested_rv = obj.metadata.resource_version.clone();

    let outcome = commit_update(state, namespace, name, options.is_dry_run(), warnings, |current| {
        let mut new = obj.clone();
        if let Some(uid) = &uid_precondition {
            let current_uid = current.map(|(_, o)| o.metadata.uid.as_str()).unwrap_or("");
            if uid != current_uid {
                return Err(Status::conflict(
                    name,
                    &format!(
                        "StorageError: invalid object, Code: 4, Key: /registry/services/endpoints/{namespace}/{name}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {uid}, UID in object meta: {current_uid}"
                    ),
                ));
            }
        }
        // The field manager runs on every attempt, against the object it read.
        update_managed_fields(current.map(|(_, o)| o), &mut new, &manager, Time::now());
        let Some((record, _)) = current else {
            return Ok(Proposal { object: new, pinned: false });
        };
        // A resourceVersion the client sent is a precondition; ""/"0" mean unconditional.
        let pinned = match requested_rv.as_str() {
            "" | "0" => false,
            rv => {
                let n: u64 = rv.parse().map_err(|_| {
                    Status::bad_request(format!("strconv.ParseUint: parsing {}: invalid syntax", crate::field_error::go_quote(rv)))
                })?;
                if n != record.mod_revision {
                    return Err(Status::conflict(name, OPTIMISTIC_LOCK_MESSAGE));
                }
                true
            }
        };
        // An unconditional write keeps its ""/"0" until `commit_update` fills in the current one.
        if pinned {
            new.metadata.resource_version = record.mod_revision.to_string();
        }
        Ok(Proposal { object: new, pinned })
    })
    .await?;
    let pretty = wants_pretty(query, headers, &negotiated);
    Ok(object_response(outcome.code, &outcome.body, negotiated, pretty))
}

/// The new object a write proposes, given the current one.
pub struct Proposal {
    /// The object to store. Its resourceVersion is the current one when the write is conditional
    /// (or unchanged by a patch), ""/"0" when unconditional; the engine assigns the new one.
    pub object: Endpoints,
    /// The client pinned the current resourceVersion: a lost race is a 409, not a retry.
    pub pinned: bool,
}

/// What a committed update answers with.
pub struct Outcome {
    /// 200 for an update, 201 for a create-on-update.
    pub code: StatusCode,
    /// The object bytes to return.
    pub body: Bytes,
}

/// The read-modify-write loop of PUT and PATCH (`GuaranteedUpdate`): `propose` gets the current record
/// and object (None: absent) and returns the new object; this validates it as a create or an update,
/// handles finalizer-driven deletion and no-ops, and commits with a compare-and-swap, retrying on races.
pub async fn commit_update(
    state: &SharedState,
    namespace: &str,
    name: &str,
    dry_run: bool,
    warnings: &mut Warnings,
    mut propose: impl FnMut(Option<(&Record, &Endpoints)>) -> Result<Proposal, Status>,
) -> Result<Outcome, Status> {
    let key = object_key(namespace, name);
    for _ in 0..MAX_CAS_RETRIES {
        let current = state.store.get(&key, ReadAt::Latest).map_err(super::internal)?;
        let current_obj = match &current {
            Some(record) => Some(decode_record(record)?),
            None => None,
        };
        let proposal = propose(current.as_deref().zip(current_obj.as_ref()))?;
        let mut new = proposal.object;

        let (Some(record), Some(old)) = (current.as_ref(), current_obj.as_ref()) else {
            // Create-on-update.
            fill_object_meta_system_fields(&mut new.metadata, Time::now(), new_uid());
            new.metadata.resource_version.clear();
            let errs = validate_for_create(&new);
            if !errs.is_empty() {
                return Err(invalid_status(name, &errs));
            }
            warnings.extend(endpoints_warnings(&new));
            if dry_run {
                return Ok(Outcome {
                    code: StatusCode::CREATED,
                    body: encode(&new).into(),
                });
            }
            match state
                .store
                .commit(Write::create(key.clone(), storage_value(&new)))
                .await
            {
                Ok(done) => {
                    return Ok(Outcome {
                        code: StatusCode::CREATED,
                        body: done.record.value.clone(),
                    })
                }
                Err(StoreError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(write_error(e, name)),
            }
        };

        prepare_for_update(&mut new.metadata, &old.metadata);
        let proposed_rv = std::mem::replace(
            &mut new.metadata.resource_version,
            record.mod_revision.to_string(),
        );
        let errs = validate_for_update(&new, old);
        if !errs.is_empty() {
            return Err(invalid_status(name, &errs));
        }
        warnings.extend(endpoints_warnings(&new));
        // A change of managedFields timestamps alone stays a no-op. Compared as the object was
        // proposed, before an unconditional write got the current resourceVersion (upstream never
        // restores an unconditional write).
        if proposed_rv == new.metadata.resource_version {
            restore_managed_fields_timestamps(old, &mut new);
        }

        // The last finalizer of a terminating object removed: the update deletes it.
        let finishing = old.metadata.deletion_timestamp.is_some()
            && new.metadata.finalizers.is_empty()
            && old.metadata.deletion_grace_period_seconds.unwrap_or(0) == 0;
        let encoded = encode(&new);
        if finishing {
            if !dry_run {
                let mut write = Write::delete(key.clone(), Expect::Revision(record.mod_revision));
                write.change = Change::Delete {
                    final_value: Some(storage_value(&new)),
                };
                match state.store.commit(write).await {
                    // The object is gone: its dependents are collected as after a background DELETE.
                    Ok(_) => {
                        if let Err(status) =
                            super::delete::collect_dependents(state, namespace, &old.metadata.uid).await
                        {
                            tracing::warn!(key = %key, message = %status.message, "collecting dependents failed");
                        }
                    }
                    Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) if !proposal.pinned => {
                        continue
                    }
                    Err(StoreError::Conflict { .. }) => {
                        return Err(Status::conflict(name, OPTIMISTIC_LOCK_MESSAGE))
                    }
                    Err(e) => return Err(write_error(e, name)),
                }
            }
            return Ok(Outcome {
                code: StatusCode::OK,
                body: encoded.into(),
            });
        }
        // No-op: byte-identical to what is stored; nothing is written.
        if encoded == record.value.as_ref() || dry_run {
            return Ok(Outcome {
                code: StatusCode::OK,
                body: if dry_run {
                    encoded.into()
                } else {
                    record.value.clone()
                },
            });
        }
        let write = Write::update(
            key.clone(),
            storage_value(&new),
            Expect::Revision(record.mod_revision),
        );
        match state.store.commit(write).await {
            Ok(done) => {
                return Ok(Outcome {
                    code: StatusCode::OK,
                    body: done.record.value.clone(),
                })
            }
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) if !proposal.pinned => continue,
            Err(StoreError::Conflict { .. }) => return Err(Status::conflict(name, OPTIMISTIC_LOCK_MESSAGE)),
            Err(e) => return Err(write_error(e, name)),
        }
    }
    Err(Status::conflict(name, OPTIMISTIC_LOCK_MESSAGE))
}

/// The resource name for messages (re-exported for the patch handlers).
pub const UPDATE_RESOURCE: &str = RESOURCE;

//! DELETE of one object, write-path §14: options from the body or the query, uid/resourceVersion
//! preconditions, finalizers (an object with finalizers is marked, not removed) and dryRun.
//!
//! epstore is its own garbage collector (spec README decision 4): the `orphan` and
//! `foregroundDeletion` finalizers a propagation policy asks for are resolved at once, so they never
//! hold a deletion; finalizers with other names wait for a client to remove them.
//!
//! The dependents of an object are the stored Endpoints in its namespace whose
//! `metadata.ownerReferences` name its uid. The policy (`propagationPolicy`, else `orphanDependents`,
//! else the object's own `orphan`/`foregroundDeletion` finalizers, else Background) decides what
//! happens to them:
//! - Orphan: the ownerReferences naming the owner are removed from each dependent, then the owner goes.
//! - Foreground: the dependents are deleted first (recursively, foreground too), then the owner.
//! - Background: the owner goes, then every dependent whose owners are all gone is deleted, and so on
//!   down. A reference to a kind other than `v1` `Endpoints` counts as existing: epstore cannot see
//!   other kinds, so it never deletes on their account.
//!
//! dryRun changes nothing, dependents included.

use std::collections::{HashSet, VecDeque};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use epstore_storage::{Change, Error as StoreError, Expect, ListRequest, ReadAt, Record, Write};
use serde::Deserialize;

use super::write::{body_format, decode_record, read_body, storage_value, write_error};
use super::{object_key, object_response, validate_path_name, wants_pretty, SharedState, RESOURCE};
use crate::decode::BodyFormat;
use crate::negotiate::{self, Negotiated};
use crate::options::{DeleteOptions, Preconditions, PropagationPolicy, Query};
use crate::status::Status;
use crate::types::endpoints::{encode, Endpoints};
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

/// What happens to an object's dependents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    Orphan,
    Foreground,
    Background,
}

/// The policy of one deletion: `propagationPolicy`, else `orphanDependents`, else the object's own
/// `orphan`/`foregroundDeletion` finalizers (a client may have put them there; `orphan` wins if both
/// are), else Background (Endpoints has no default GC policy).
fn policy(options: &DeleteOptions, obj: &Endpoints) -> Policy {
    if let Some(p) = options.propagation() {
        return match p {
            PropagationPolicy::Orphan => Policy::Orphan,
            PropagationPolicy::Foreground => Policy::Foreground,
            PropagationPolicy::Background => Policy::Background,
        };
    }
    match options.orphan_dependents {
        Some(true) => return Policy::Orphan,
        Some(false) => return Policy::Background,
        None => {}
    }
    let has = |name: &str| obj.metadata.finalizers.iter().any(|f| f == name);
    if has("orphan") {
        Policy::Orphan
    } else if has("foregroundDeletion") {
        Policy::Foreground
    } else {
        Policy::Background
    }
}

/// The result of one deletion attempt on one version of an object.
enum Outcome {
    /// Held by finalizers other than the garbage collector's: the object as marked (or as it would be
    /// on a dry run).
    Held(Bytes),
    /// Removed from storage (or would be, on a dry run).
    Deleted,
}

/// Why an attempt did not finish.
enum Failure {
    /// The version changed (or vanished) under us: read again and retry.
    Retry,
    /// Any other storage failure.
    Store(StoreError),
}

/// Deletes the version `record` of an object (decoded as `obj`): an object held by a finalizer that is
/// not the garbage collector's is marked (deletionTimestamp) instead; otherwise it is removed.
async fn attempt(
    state: &SharedState,
    record: &Record,
    mut obj: Endpoints,
    dry_run: bool,
) -> Result<Outcome, Failure> {
    let key = record.key.to_string();
    let held = obj
        .metadata
        .finalizers
        .iter()
        .any(|f| !GC_FINALIZERS.contains(&f.as_str()));
    if held {
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
        if dry_run {
            return Ok(Outcome::Held(encoded.into()));
        }
        if encoded == record.value.as_ref() {
            return Ok(Outcome::Held(record.value.clone()));
        }
        let write = Write::update(key, storage_value(&obj), Expect::Revision(record.mod_revision));
        return match state.store.commit(write).await {
            Ok(done) => Ok(Outcome::Held(done.record.value.clone())),
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => Err(Failure::Retry),
            Err(e) => Err(Failure::Store(e)),
        };
    }
    if dry_run {
        return Ok(Outcome::Deleted);
    }
    let mut write = Write::delete(key, Expect::Revision(record.mod_revision));
    // Watchers see the final state carrying the deletion's resourceVersion.
    write.change = Change::Delete {
        final_value: Some(storage_value(&obj)),
    };
    match state.store.commit(write).await {
        Ok(_) => Ok(Outcome::Deleted),
        Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => Err(Failure::Retry),
        Err(e) => Err(Failure::Store(e)),
    }
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
    let dry_run = options.is_dry_run();
    for _ in 0..16 {
        let record = state
            .store
            .get(&key, ReadAt::Latest)
            .map_err(super::internal)?
            .ok_or_else(|| Status::not_found(RESOURCE, name))?;
        check_preconditions(options, name, &record)?;
        let obj = decode_record(&record)?;
        let policy = policy(options, &obj);

        // Orphan and Foreground act on the dependents before the owner goes (or is marked: upstream's
        // collector also orphans or deletes the dependents of an owner that other finalizers hold).
        if !dry_run {
            match policy {
                Policy::Orphan => orphan_dependents(state, namespace, &record.uid).await?,
                Policy::Foreground => delete_dependents_foreground(state, namespace, &record.uid).await?,
                Policy::Background => {}
            }
        }

        match attempt(state, &record, obj, dry_run).await {
            Ok(Outcome::Held(body)) => {
                return Ok(object_response(StatusCode::OK, &body, negotiated, pretty));
            }
            Ok(Outcome::Deleted) => {
                if !dry_run && policy == Policy::Background {
                    // The owner is gone and its deletion is answered as done; a failure while collecting
                    // its dependents must not turn that into an error.
                    if let Err(status) = collect_dependents(state, namespace, &record.uid).await {
                        tracing::warn!(
                            namespace,
                            name,
                            error = %status.message,
                            "collecting the dependents of a deleted object failed"
                        );
                    }
                }
                return Ok(Status::success_deleted(RESOURCE, name, &record.uid).to_response(pretty));
            }
            Err(Failure::Retry) => continue,
            Err(Failure::Store(e)) => return Err(write_error(e, name)),
        }
    }
    Err(Status::conflict(name, super::write::OPTIMISTIC_LOCK_MESSAGE))
}

/// The stored Endpoints of `namespace` whose ownerReferences name `owner_uid`, in key order.
fn dependents(
    state: &SharedState,
    namespace: &str,
    owner_uid: &str,
) -> Result<Vec<(std::sync::Arc<Record>, Endpoints)>, Status> {
    if owner_uid.is_empty() {
        return Ok(Vec::new());
    }
    let prefix = format!("{namespace}/");
    let request = ListRequest {
        prefix: &prefix,
        start: None,
        limit: 0,
        at: ReadAt::Latest,
    };
    // A cheap byte search first: only objects whose bytes contain the uid are decoded.
    let needle = owner_uid.as_bytes();
    let page = state
        .store
        .list(&request, |r: &Record| {
            r.value.windows(needle.len()).any(|w| w == needle)
        })
        .map_err(super::internal)?;
    let mut out = Vec::new();
    for record in page.items {
        let obj = decode_record(&record)?;
        if obj.metadata.owner_references.iter().any(|o| o.uid == owner_uid) {
            out.push((record, obj));
        }
    }
    Ok(out)
}

/// Whether a stored Endpoints of `namespace` has this uid.
fn endpoints_exists(state: &SharedState, namespace: &str, uid: &str) -> Result<bool, Status> {
    let prefix = format!("{namespace}/");
    let request = ListRequest {
        prefix: &prefix,
        start: None,
        limit: 0,
        at: ReadAt::Latest,
    };
    let page = state
        .store
        .list(&request, |r: &Record| r.uid.as_ref() == uid)
        .map_err(super::internal)?;
    Ok(!page.items.is_empty())
}

/// Whether every owner an object names is gone. Only `v1` `Endpoints` owners can be seen; a reference
/// to any other kind counts as existing.
fn all_owners_gone(state: &SharedState, namespace: &str, obj: &Endpoints) -> Result<bool, Status> {
    for owner in &obj.metadata.owner_references {
        if owner.kind != "Endpoints" || owner.api_version != "v1" {
            return Ok(false);
        }
        if endpoints_exists(state, namespace, &owner.uid)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Orphan: removes the ownerReferences naming `owner_uid` from each dependent (conditional updates,
/// retried on conflict). Only the direct dependents are touched.
async fn orphan_dependents(state: &SharedState, namespace: &str, owner_uid: &str) -> Result<(), Status> {
    for (listed, _) in dependents(state, namespace, owner_uid)? {
        let key = listed.key.to_string();
        let mut done = false;
        for _ in 0..16 {
            let Some(record) = state.store.get(&key, ReadAt::Latest).map_err(super::internal)? else {
                done = true;
                break;
            };
            if record.uid != listed.uid {
                // Deleted and recreated meanwhile: not the dependent we found.
                done = true;
                break;
            }
            let mut obj = decode_record(&record)?;
            let before = obj.metadata.owner_references.len();
            obj.metadata.owner_references.retain(|o| o.uid != owner_uid);
            if obj.metadata.owner_references.len() == before {
                done = true;
                break;
            }
            let write = Write::update(
                key.clone(),
                storage_value(&obj),
                Expect::Revision(record.mod_revision),
            );
            match state.store.commit(write).await {
                Ok(_) => {
                    done = true;
                    break;
                }
                Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(write_error(e, record.name())),
            }
        }
        if !done {
            return Err(Status::conflict(
                listed.name(),
                super::write::OPTIMISTIC_LOCK_MESSAGE,
            ));
        }
    }
    Ok(())
}

/// Deletes the object at `key` if it still has `uid` (a cascaded deletion: no preconditions, not a
/// dry run). Returns whether it is gone (false: held by a finalizer and marked instead).
async fn remove(state: &SharedState, key: &str, uid: &str) -> Result<bool, Status> {
    for _ in 0..16 {
        let Some(record) = state.store.get(key, ReadAt::Latest).map_err(super::internal)? else {
            return Ok(true);
        };
        if record.uid.as_ref() != uid {
            return Ok(true);
        }
        let obj = decode_record(&record)?;
        match attempt(state, &record, obj, false).await {
            Ok(Outcome::Held(_)) => return Ok(false),
            Ok(Outcome::Deleted) => return Ok(true),
            Err(Failure::Retry) => continue,
            Err(Failure::Store(e)) => return Err(write_error(e, record.name())),
        }
    }
    let name = key.split_once('/').map(|(_, n)| n).unwrap_or(key);
    Err(Status::conflict(name, super::write::OPTIMISTIC_LOCK_MESSAGE))
}

/// Foreground: deletes the dependents of `owner_uid`, and theirs, deepest first (a post-order walk;
/// the uids already seen guard against ownership cycles), so that every object goes only after its
/// own dependents.
///
/// A dependent held by a finalizer other than the garbage collector's is marked (deletionTimestamp),
/// as a plain DELETE would do, and the walk goes on: the owner is still deleted. Upstream would keep the
/// owner (with `foregroundDeletion`) until such a dependent is gone; epstore decided that deletions
/// always complete (spec README decision 4), so a client's finalizer holds only its own object.
async fn delete_dependents_foreground(
    state: &SharedState,
    namespace: &str,
    owner_uid: &str,
) -> Result<(), Status> {
    let mut seen: HashSet<String> = HashSet::from([owner_uid.to_string()]);
    let mut order: Vec<(String, String)> = Vec::new();
    // (key, uid, whether its dependents are already on the stack)
    let mut stack: Vec<(String, String, bool)> = dependents(state, namespace, owner_uid)?
        .into_iter()
        .map(|(r, _)| (r.key.to_string(), r.uid.to_string(), false))
        .collect();
    while let Some((key, uid, expanded)) = stack.pop() {
        if expanded {
            order.push((key, uid));
            continue;
        }
        if !seen.insert(uid.clone()) {
            continue;
        }
        let below = dependents(state, namespace, &uid)?;
        stack.push((key, uid, true));
        for (r, _) in below {
            if !seen.contains(r.uid.as_ref()) {
                stack.push((r.key.to_string(), r.uid.to_string(), false));
            }
        }
    }
    for (key, uid) in order {
        remove(state, &key, &uid).await?;
    }
    Ok(())
}

/// Background, after the owner `owner_uid` is gone: deletes each dependent all of whose owners are
/// gone, then does the same for what that deleted.
pub(crate) async fn collect_dependents(
    state: &SharedState,
    namespace: &str,
    owner_uid: &str,
) -> Result<(), Status> {
    let mut seen: HashSet<String> = HashSet::from([owner_uid.to_string()]);
    let mut queue: VecDeque<String> = VecDeque::from([owner_uid.to_string()]);
    while let Some(owner) = queue.pop_front() {
        for (record, obj) in dependents(state, namespace, &owner)? {
            if seen.contains(record.uid.as_ref()) || !all_owners_gone(state, namespace, &obj)? {
                continue;
            }
            if remove(state, &record.key, &record.uid).await? {
                seen.insert(record.uid.to_string());
                queue.push_back(record.uid.to_string());
            }
        }
    }
    Ok(())
}

//! PATCH (write-path §11): `PATCH /api/v1/namespaces/{namespace}/endpoints/{name}` with a JSON
//! Patch, a JSON Merge Patch or a strategic merge patch.
//!
//! The order of checks is upstream's: go-restful's Content-Type gate (a 415 written before the route
//! handler runs, so without the deprecation warning), output negotiation (406), the body limit
//! (413), `PatchOptions` (400/422), then the read-modify-write loop of [`commit_update`], which
//! re-applies the patch to the current object on every compare-and-swap retry. Non-apply patches
//! never create: an absent object is the 404. A resourceVersion the patch leaves in the object is a
//! precondition (409 when stale); the name and namespace must stay those of the URL (400).
//!
//! Server-side apply (`application/apply-patch+yaml`) is routed to [`apply`] (write-path §12).

use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;

use super::update::{commit_update, Proposal};
use super::write::{read_body, Warnings, OPTIMISTIC_LOCK_MESSAGE};
use super::{object_response, validate_path_name, wants_pretty, SharedState, RESOURCE};
use crate::app::SkipDeprecationWarning;
use crate::decode::yaml_to_json_value;
use crate::defaults::reconcile_namespace;
use crate::managed_fields::{self, manager_or_user_agent, update_managed_fields};
use crate::negotiate;
use crate::options::{parse_uint, FieldValidation, Query, WriteOptions};
use crate::patch::{apply_patch, depth, PatchType, MAX_PATCH_DEPTH};
use crate::status::Status;
use crate::types::endpoints::Endpoints;
use crate::types::meta::Time;
use crate::warnings::{dedup_owner_references, strict_decoding_warnings};

/// go-restful's 415 for a request body of a type the route does not consume.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "415: Unsupported Media Type";

/// go-restful's 415 when the request has no body (write-path §1, [approx]).
pub const UNSUPPORTED_MEDIA_TYPE_EMPTY: &str = "415: Unsupported Media Type\n\nAvailable representations: ";

/// `PATCH /api/v1/namespaces/{namespace}/endpoints/{name}`.
pub async fn patch(
    State(state): State<SharedState>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = Query::parse(raw.as_deref());
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let pretty = crate::options::is_pretty_print(query.pretty(), agent);
    if let Some(status) = content_type_gate(&headers) {
        // Drained first: an HTTP/2 response sent while the client is still sending the body can be
        // lost to the stream reset that follows.
        let _ = read_body(body).await;
        let mut response = status.to_response(pretty);
        response.extensions_mut().insert(SkipDeprecationWarning);
        return response;
    }
    // Warnings of the patch itself (strict decoding, duplicate ownerReferences), then those of the
    // store (IP format), in the order upstream adds them.
    let mut early = Warnings::default();
    let mut late = Warnings::default();
    let mut response = match serve(
        &state, &namespace, &name, &query, &headers, body, &mut early, &mut late,
    )
    .await
    {
        Ok(resp) => resp,
        Err(status) => status.to_response(pretty),
    };
    early.apply(&mut response);
    late.apply(&mut response);
    response
}

/// The media types a request's Content-Type lists (go-restful's `matchesContentType`: a comma
/// separated list, parameters dropped, spaces trimmed, matched exactly; none is
/// `application/octet-stream`).
fn route_consumes(content_type: Option<&str>) -> bool {
    let content_type = match content_type {
        None | Some("") => "application/octet-stream",
        Some(ct) => ct,
    };
    content_type.split(',').any(|mime| {
        let mime = mime.split(';').next().unwrap_or("").trim();
        PatchType::from_media_type(mime).is_some()
    })
}

/// go-restful's route-level Consumes check: `None` when the request may reach the handler.
fn content_type_gate(headers: &HeaderMap) -> Option<Status> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    if route_consumes(content_type) {
        return None;
    }
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0);
    let message = if has_body {
        UNSUPPORTED_MEDIA_TYPE
    } else {
        UNSUPPORTED_MEDIA_TYPE_EMPTY
    };
    Some(Status::unsupported_media_type_generic(message))
}

/// The patch type of the request as the handler reads it: the Content-Type up to its first `;`
/// (when that is not the first character), matched exactly.
fn patch_type(headers: &HeaderMap) -> Result<PatchType, Status> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = match content_type.find(';') {
        Some(idx) if idx > 0 => &content_type[..idx],
        _ => content_type,
    };
    PatchType::from_media_type(media)
        .ok_or_else(|| Status::unsupported_body_media_type(&PatchType::MEDIA_TYPES))
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    state: &SharedState,
    namespace: &str,
    name: &str,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
    early: &mut Warnings,
    late: &mut Warnings,
) -> Result<Response, Status> {
    // The body is read before the checks that precede it upstream, so that their errors are not lost
    // to an HTTP/2 stream reset; their order of precedence is upstream's.
    let bytes = read_body(body).await;
    let kind = patch_type(headers)?;
    let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    let bytes = bytes?;
    let options = WriteOptions::decode(query);
    options.validate_patch(kind == PatchType::Apply)?;
    if kind == PatchType::Apply {
        return apply(
            state, namespace, name, query, headers, bytes, &options, early, late,
        )
        .await;
    }
    validate_path_name(name)?;
    let validation = options.field_validation();
    let manager = manager_or_user_agent(&options.field_manager, user_agent(headers));

    let attempt_warnings: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let outcome = commit_update(state, namespace, name, options.is_dry_run(), late, |current| {
        attempt_list(&attempt_warnings).clear();
        // JSON, merge and strategic patches never create (`createNewObject` is the 404).
        let Some((record, current_obj)) = current else {
            return Err(Status::not_found(RESOURCE, name));
        };
        let patched = apply_patch(kind, &bytes, &record.value, validation)?;
        attempt_list(&attempt_warnings).extend(patched.warnings);
        let mut obj = patched.object;
        // The patched object carries the live managedFields (unless the patch changed them).
        update_managed_fields(Some(current_obj), &mut obj, &manager, Time::now());
        reconcile_namespace(&mut obj.metadata, namespace).map_err(|e| Status::bad_request(e.to_string()))?;
        if obj.metadata.name != name {
            return Err(Status::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                obj.metadata.name
            )));
        }
        if let Some(w) = dedup_owner_references(&mut obj.metadata.owner_references, true) {
            attempt_list(&attempt_warnings).push(w);
        }
        resource_version_precondition(&mut obj, record.mod_revision, name)?;
        // A lost race re-applies the patch to the new current object.
        Ok(Proposal {
            object: obj,
            pinned: false,
        })
    })
    .await;
    early.extend(attempt_warnings.into_inner().unwrap_or_else(|e| e.into_inner()));
    let outcome = outcome?;
    let pretty = wants_pretty(query, headers, &negotiated);
    Ok(object_response(outcome.code, &outcome.body, negotiated, pretty))
}

/// The warnings of the current attempt (a poisoned lock still holds them).
fn attempt_list(m: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The resourceVersion the patched (or applied) object carries is a precondition: the current one
/// (unless the patch changed it) passes, a stale one is the 409, ""/"0" is unconditional (left
/// as it is for [`commit_update`] to fill in).
fn resource_version_precondition(obj: &mut Endpoints, current: u64, name: &str) -> Result<(), Status> {
    match obj.metadata.resource_version.as_str() {
        "" | "0" => Ok(()),
        rv => {
            let n = parse_uint(rv).map_err(|e| Status::bad_request(e.to_string()))?;
            if n != current {
                return Err(Status::conflict(name, OPTIMISTIC_LOCK_MESSAGE));
            }
            obj.metadata.resource_version = current.to_string();
            Ok(())
        }
    }
}

/// The raw `User-Agent` header ("" when absent).
fn user_agent(headers: &HeaderMap) -> &[u8] {
    headers
        .get(header::USER_AGENT)
        .map(|v| v.as_bytes())
        .unwrap_or(b"")
}

/// Server-side apply (`application/apply-patch+yaml`, write-path §12), after the Content-Type,
/// body and PatchOptions checks (`fieldManager` required included): the body is parsed as YAML
/// (JSON is YAML), merged into the current object by [`managed_fields::apply`] on every
/// compare-and-swap attempt, then checked and committed as a PATCH is. Creates the object when it
/// does not exist (201).
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    state: &SharedState,
    namespace: &str,
    name: &str,
    query: &Query,
    headers: &HeaderMap,
    body: Vec<u8>,
    options: &WriteOptions,
    early: &mut Warnings,
    late: &mut Warnings,
) -> Result<Response, Status> {
    let negotiated = negotiate::for_object(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    validate_path_name(name)?;
    let (root, duplicates) =
        yaml_to_json_value(&body).map_err(|e| Status::bad_request(format!("error decoding YAML: {e}")))?;
    if depth(&root) > MAX_PATCH_DEPTH {
        return Err(Status::bad_request(format!(
            "error decoding YAML: json: exceeded max depth of {MAX_PATCH_DEPTH}"
        )));
    }
    let applied = root.to_serde();
    drop(root);
    let force = options.force.unwrap_or(false);
    let manager = options.field_manager.as_str();
    let validation = options.field_validation();

    let attempt_warnings: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let outcome = commit_update(state, namespace, name, options.is_dry_run(), late, |current| {
        attempt_list(&attempt_warnings).clear();
        let live = current.map(|(_, o)| o);
        let mut obj = managed_fields::apply(live, applied.clone(), manager, force, Time::now())
            .map_err(|e| e.to_status())?;
        // Strict field validation of the body (duplicate keys only), after a successful merge.
        if let Some(dup) = &duplicates {
            match validation {
                FieldValidation::Strict => {
                    return Err(Status::bad_request(format!("error strict decoding YAML: {dup}")))
                }
                FieldValidation::Warn => {
                    attempt_list(&attempt_warnings).extend(strict_decoding_warnings(&[dup]))
                }
                FieldValidation::Ignore => {}
            }
        }
        reconcile_namespace(&mut obj.metadata, namespace).map_err(|e| Status::bad_request(e.to_string()))?;
        if obj.metadata.name != name {
            return Err(Status::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                obj.metadata.name
            )));
        }
        if let Some(w) = dedup_owner_references(&mut obj.metadata.owner_references, true) {
            attempt_list(&attempt_warnings).push(w);
        }
        if let Some((record, _)) = current {
            resource_version_precondition(&mut obj, record.mod_revision, name)?;
        }
        Ok(Proposal {
            object: obj,
            pinned: false,
        })
    })
    .await;
    early.extend(attempt_warnings.into_inner().unwrap_or_else(|e| e.into_inner()));
    let outcome = outcome?;
    let pretty = wants_pretty(query, headers, &negotiated);
    Ok(object_response(outcome.code, &outcome.body, negotiated, pretty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: Option<&str>, length: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = content_type {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        if let Some(l) = length {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from_str(l).unwrap());
        }
        h
    }

    #[test]
    fn gate_p11() {
        let s = content_type_gate(&headers(Some("application/json"), Some("2"))).unwrap();
        assert_eq!((s.code, s.message.as_str()), (415, UNSUPPORTED_MEDIA_TYPE));
        let s = content_type_gate(&headers(None, Some("2"))).unwrap();
        assert_eq!(s.message, UNSUPPORTED_MEDIA_TYPE);
        let s = content_type_gate(&headers(Some("text/plain"), Some("0"))).unwrap();
        assert_eq!(s.message, UNSUPPORTED_MEDIA_TYPE_EMPTY);
        for ok in [
            "application/merge-patch+json",
            "application/json-patch+json; charset=utf-8",
            "application/strategic-merge-patch+json",
            "application/apply-patch+yaml",
            "text/plain, application/merge-patch+json",
        ] {
            assert!(content_type_gate(&headers(Some(ok), Some("2"))).is_none(), "{ok}");
        }
    }

    #[test]
    fn handler_patch_type() {
        assert_eq!(
            patch_type(&headers(Some("application/merge-patch+json;charset=utf-8"), None)).unwrap(),
            PatchType::Merge
        );
        let s = patch_type(&headers(Some("text/plain, application/merge-patch+json"), None)).unwrap_err();
        assert_eq!(
            s.message,
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
        );
    }
}

//! Server-side apply (write-path §12): `FieldManager.Apply` with upstream's manager chain —
//! version check, kubectl's client-side-apply upgrade (`lastAppliedManager`) and annotation sync
//! (`lastAppliedUpdater`), `before-first-apply` for untracked objects, the managed-fields updater
//! (time of the applier), meta stripping and the structured merge (`Updater.Apply`: merge, claim,
//! prune, conflicts, no-op detection).

use serde_json::{Map, Value};

use super::fieldpath::{path_string, values_equal, FieldSet, PathElement};
use super::managed::{
    decode, strip, Managed, ManagedFieldsError, ManagerKey, VersionedSet, API_VERSION, BEFORE_FIRST_APPLY,
};
use super::schema::{
    compare, ensure_named_fields_are_members, merge, remove_items, to_field_set, validate, ReconcileError,
    ENDPOINTS,
};
use super::update::{reconcile_managers, record_update, resolve_others, typed_value};
use crate::decode::{deserialize, BodyFormat};
use crate::status::{Status, StatusCause, StatusReason};
use crate::types::endpoints::KIND;
use crate::types::meta::Time;
use crate::types::Endpoints;

/// The annotation kubectl's client-side apply keeps its last configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The only manager whose applies upgrade from, and keep in sync, the client-side-apply annotation.
pub const KUBECTL_MANAGER: &str = "kubectl";

/// `TotalAnnotationSizeLimitB`: the last-applied annotation is dropped rather than exceed it.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// The `details.causes[].reason` of an apply conflict.
pub const CAUSE_FIELD_MANAGER_CONFLICT: &str = "FieldManagerConflict";

/// One field another manager owns and the apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The manager that owns the field.
    pub manager: ManagerKey,
    /// The field, as upstream prints it (`.subsets`, `.metadata.labels.app`).
    pub field_path: String,
    /// The field as a path.
    pub path: Vec<PathElement>,
}

impl Conflict {
    /// The cause message: `conflict with "curl" using v1`.
    pub fn message(&self) -> String {
        format!("conflict with {}", self.manager.describe())
    }

    /// The `details.causes` entry: `{reason: FieldManagerConflict, message, field}`.
    pub fn cause(&self) -> StatusCause {
        StatusCause {
            reason: CAUSE_FIELD_MANAGER_CONFLICT.to_string(),
            message: self.message(),
            field: self.field_path.clone(),
        }
    }
}

/// `getConflictMessage`: `Apply failed with 1 conflict: conflict with "curl" using v1: .subsets`,
/// or for several, one `conflicts with <manager>:` header per manager (managers in identifier
/// order) followed by `- <path>` lines.
pub fn conflicts_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: {}: {}",
            only.message(),
            only.field_path
        );
    }
    let mut by_manager: Vec<(String, &ManagerKey, Vec<&str>)> = Vec::new();
    for c in conflicts {
        let id = c.manager.identifier();
        match by_manager.iter_mut().find(|(i, _, _)| *i == id) {
            Some((_, _, paths)) => paths.push(&c.field_path),
            None => by_manager.push((id, &c.manager, vec![&c.field_path])),
        }
    }
    by_manager.sort_by(|a, b| a.0.cmp(&b.0));
    let mut lines = Vec::new();
    for (_, key, paths) in &by_manager {
        lines.push(format!("conflicts with {}:", key.describe()));
        lines.extend(paths.iter().map(|p| format!("- {p}")));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Why an apply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The body is valid YAML/JSON but not an object (400).
    #[error(
        "error decoding YAML: json: cannot unmarshal {0} into Go value of type map[string]interface {{}}"
    )]
    NotAnObject(&'static str),
    /// The body's apiVersion/kind is not `v1`/`Endpoints` (400).
    #[error("invalid object type: {group}/{version}, Kind={kind}")]
    InvalidObjectType {
        /// The group of the body (empty for core or when absent).
        group: String,
        /// The version of the body.
        version: String,
        /// The kind of the body.
        kind: String,
    },
    /// The body carries `metadata.managedFields` (400).
    #[error("metadata.managedFields must be nil")]
    ManagedFieldsNotNil,
    /// The body does not fit the schema: unknown field, wrong type, duplicate set entry.
    /// Upstream answers 500; epstore answers 400 with the same text (spec README decision 2).
    #[error("failed to create typed patch object ({namespace}/{name}; /v1, Kind=Endpoints): {message}")]
    TypedPatch {
        /// `metadata.namespace` of the body.
        namespace: String,
        /// `metadata.name` of the body.
        name: String,
        /// The structured-merge-diff validation error.
        message: String,
    },
    /// Other managers own fields the apply would change (409).
    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
    /// The live object's managedFields do not decode (500; the server wrote them).
    #[error("failed to decode managed fields: {0}")]
    LiveManagedFields(ManagedFieldsError),
    /// A manager's set does not fit the schema (500; the server wrote it).
    #[error("{0}")]
    Reconcile(ReconcileError),
    /// The merged object does not decode as an Endpoints (400, the decoder's text).
    #[error("{0}")]
    Convert(String),
}

impl ApplyError {
    /// The HTTP status code epstore answers with.
    pub fn code(&self) -> u16 {
        match self {
            ApplyError::Conflicts(_) => 409,
            ApplyError::LiveManagedFields(_) | ApplyError::Reconcile(_) => 500,
            _ => 400,
        }
    }

    /// The Status body: `NewApplyConflict` for conflicts (409, reason `Conflict`, only
    /// `details.causes`), a reason-less 500 for server-side failures, `BadRequest` otherwise.
    pub fn to_status(&self) -> Status {
        match self {
            ApplyError::Conflicts(c) => {
                Status::apply_conflict(c.iter().map(Conflict::cause).collect(), self.to_string())
            }
            ApplyError::LiveManagedFields(_) | ApplyError::Reconcile(_) => {
                Status::failure(500, StatusReason::Unknown, self.to_string())
            }
            _ => Status::bad_request(self.to_string()),
        }
    }
}

/// Server-side apply of `applied` (the apply body as JSON, already parsed from YAML/JSON) by
/// `manager` onto `live` (`None` when the object does not exist: create-on-apply).
///
/// Checks, in upstream's order: the body is an object; the live managedFields decode; the body's
/// GVK is `/v1, Kind=Endpoints`; then (an untracked live object first gets a `before-first-apply`
/// Update entry for all its fields) `metadata.managedFields` must be absent or null; the body
/// must fit the schema. The body is merged into `live` (atomic lists and structs replaced,
/// labels/annotations per key, ownerReferences per uid, finalizers as a set); fields `manager`
/// applied last time and omits now are pruned unless another manager owns them; fields other
/// managers own that the apply changes are conflicts (error) unless `force` (then they lose them).
/// `manager`'s Apply entry then owns exactly the body's fields (meta fields stripped), with time
/// `now` unless the apply changed nothing (a no-op keeps the old time; a new entry has none).
///
/// Returns the resulting object, defaulted (`protocol: TCP`), with its managedFields set; on a
/// no-op it is `live` with only the managedFields re-encoded. resourceVersion, uid, name and the
/// other preconditions of write-path §12 step 10 are the caller's to check on the result.
pub fn apply(
    live: Option<&Endpoints>,
    applied: Value,
    manager: &str,
    force: bool,
    now: Time,
) -> Result<Endpoints, ApplyError> {
    let config = match applied {
        Value::Object(m) => Value::Object(m),
        Value::Null => Value::Object(Map::new()),
        Value::Array(_) => return Err(ApplyError::NotAnObject("array")),
        Value::String(_) => return Err(ApplyError::NotAnObject("string")),
        Value::Number(_) => return Err(ApplyError::NotAnObject("number")),
        Value::Bool(_) => return Err(ApplyError::NotAnObject("bool")),
    };
    let empty = Endpoints::default();
    let live = live.unwrap_or(&empty);
    let managed = decode(live.metadata.managed_fields()).map_err(ApplyError::LiveManagedFields)?;
    check_gvk(&config)?;
    let mut live = live.clone();
    live.metadata.managed_fields = None;
    let key = ManagerKey::apply(manager);

    let outcome = match apply_chain(&live, &config, managed.clone(), &key, force, now) {
        Err(ApplyError::Conflicts(conflicts)) if manager == KUBECTL_MANAGER => {
            match allowed_conflicts_from_last_applied(&live) {
                Some(allowed) => {
                    let remaining: Vec<Conflict> =
                        conflicts.into_iter().filter(|c| !allowed.has(&c.path)).collect();
                    if remaining.is_empty() {
                        apply_chain(&live, &config, managed, &key, true, now)
                    } else {
                        Err(ApplyError::Conflicts(remaining))
                    }
                }
                None => Err(ApplyError::Conflicts(conflicts)),
            }
        }
        other => other,
    };
    let (mut obj, managed) = outcome?;
    if manager == KUBECTL_MANAGER {
        sync_last_applied(&mut obj, &config);
    }
    obj.metadata.managed_fields = super::managed::encode(&managed);
    Ok(obj)
}

/// `versionCheckManager`: the body must be `v1`/`Endpoints`.
fn check_gvk(config: &Value) -> Result<(), ApplyError> {
    let api_version = config.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = config.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version, kind) = match crate::validation::parse_group_version(api_version) {
        Some((g, v)) => (g, v, kind),
        None => ("", "", ""),
    };
    if group.is_empty() && version == API_VERSION && kind == KIND {
        return Ok(());
    }
    Err(ApplyError::InvalidObjectType {
        group: group.to_string(),
        version: version.to_string(),
        kind: kind.to_string(),
    })
}

/// Whether `Unstructured.GetManagedFields()` of the body is non-nil: a list whose items all read
/// as managed-fields entries.
fn has_managed_fields(config: &Value) -> bool {
    let Some(Value::Array(items)) = config.get("metadata").and_then(|m| m.get("managedFields")) else {
        return false;
    };
    items.iter().all(|item| {
        let Value::Object(entry) = item else {
            return false;
        };
        entry.iter().all(|(k, v)| match k.as_str() {
            "manager" | "operation" | "apiVersion" | "fieldsType" | "subresource" => {
                v.is_string() || v.is_null()
            }
            "time" => match v {
                Value::Null => true,
                Value::String(s) => Time::parse_rfc3339(s).is_ok(),
                _ => false,
            },
            _ => true,
        })
    })
}

fn meta_string(config: &Value, field: &str) -> String {
    config
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The chain below the kubectl layers: skip-non-applied (before-first-apply), managed-fields
/// updater, strip-meta and the structured merge. Returns the object and the new managed fields.
fn apply_chain(
    live: &Endpoints,
    config: &Value,
    mut managed: Managed,
    key: &ManagerKey,
    force: bool,
    now: Time,
) -> Result<(Endpoints, Managed), ApplyError> {
    let live_value = typed_value(live);
    if managed.fields.is_empty() {
        let before = ManagerKey::update(BEFORE_FIRST_APPLY);
        let empty = typed_value(&Endpoints::default());
        record_update(&empty, &live_value, &mut managed, &before, now).map_err(ApplyError::Reconcile)?;
    }
    if has_managed_fields(config) {
        return Err(ApplyError::ManagedFieldsNotNil);
    }
    if let Some(message) = validate(config, &ENDPOINTS) {
        return Err(ApplyError::TypedPatch {
            namespace: meta_string(config, "namespace"),
            name: meta_string(config, "name"),
            message,
        });
    }
    reconcile_managers(&mut managed, &live_value).map_err(ApplyError::Reconcile)?;
    let merged = merge(&live_value, config, &ENDPOINTS);
    let last = managed.fields.get(key).cloned();
    managed.fields.insert(
        key.clone(),
        VersionedSet {
            set: to_field_set(config, &ENDPOINTS),
            api_version: API_VERSION.to_string(),
            applied: true,
        },
    );
    let merged = prune(merged, &managed, last.as_ref());
    let cmp = compare(&live_value, &merged, &ENDPOINTS);
    let conflicts = resolve_others(&cmp, &mut managed, key, force);
    if !conflicts.is_empty() {
        let mut sorted: Vec<(String, ManagerKey, FieldSet)> = conflicts
            .into_iter()
            .map(|(k, s)| (k.identifier(), k, s))
            .collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let list = sorted
            .into_iter()
            .flat_map(|(_, k, s)| {
                s.paths().into_iter().map(move |p| Conflict {
                    manager: k.clone(),
                    field_path: path_string(&p),
                    path: p,
                })
            })
            .collect();
        return Err(ApplyError::Conflicts(list));
    }
    let noop = values_equal(&live_value, &merged);
    strip(&mut managed, key);
    if noop {
        return Ok((live.clone(), managed));
    }
    managed.times.insert(key.clone(), Some(now));
    Ok((to_endpoints(&merged)?, managed))
}

/// `Updater.prune`: removes what the applier owned last time and no longer applies, unless some
/// manager (the applier's new config included) owns it.
fn prune(merged: Value, managed: &Managed, last: Option<&VersionedSet>) -> Value {
    let Some(last) = last.filter(|l| !l.set.is_empty() && l.api_version == API_VERSION) else {
        return merged;
    };
    let ensure = |s: &FieldSet| ensure_named_fields_are_members(s, Some(&ENDPOINTS));
    let last_set = ensure(&last.set);
    let pruned = remove_items(&merged, &last_set, &ENDPOINTS);

    // addBackOwnedItems
    let owned = managed
        .fields
        .values()
        .filter(|vs| vs.api_version == API_VERSION)
        .fold(FieldSet::new(), |acc, vs| acc.union(&vs.set));
    let merged_set = ensure(&to_field_set(&merged, &ENDPOINTS));
    let pruned_set = ensure(&to_field_set(&pruned, &ENDPOINTS));
    let pruned = remove_items(
        &merged,
        &merged_set.difference(&pruned_set.union(&ensure(&owned))),
        &ENDPOINTS,
    );

    // addBackDanglingItems
    let pruned_set = ensure(&to_field_set(&pruned, &ENDPOINTS));
    remove_items(
        &merged,
        &merged_set.difference(&pruned_set).intersection(&last_set),
        &ENDPOINTS,
    )
}

/// The merged JSON as a defaulted Endpoints (`TypedToObject` + defaulting).
fn to_endpoints(merged: &Value) -> Result<Endpoints, ApplyError> {
    let bytes = serde_json::to_vec(merged).map_err(|e| ApplyError::Convert(e.to_string()))?;
    deserialize(&bytes, BodyFormat::Json, false)
        .map(|d| d.object)
        .map_err(|e| ApplyError::Convert(e.message))
}

/// `lastAppliedManager.allowedConflictsFromLastApplied`: the fields of the client-side-apply
/// annotation whose values still match the live object. `None` when there is no usable annotation.
fn allowed_conflicts_from_last_applied(live: &Endpoints) -> Option<FieldSet> {
    let text = live
        .metadata
        .annotations
        .get(LAST_APPLIED_ANNOTATION)
        .filter(|s| !s.is_empty())?;
    let last: Value = serde_json::from_str(text).ok()?;
    let obj = last.as_object()?;
    if obj.get("kind").and_then(Value::as_str).is_none_or(str::is_empty) {
        return None;
    }
    if obj.get("apiVersion").and_then(Value::as_str) != Some(API_VERSION) {
        return None;
    }
    if validate(&last, &ENDPOINTS).is_some() {
        return None;
    }
    let set = to_field_set(&last, &ENDPOINTS);
    let cmp = compare(&last, &typed_value(live), &ENDPOINTS);
    Some(
        set.difference(&cmp.modified)
            .difference(&cmp.added)
            .difference(&cmp.removed),
    )
}

/// `lastAppliedUpdater`: when the result keeps a non-empty last-applied annotation, it is
/// rewritten from the apply body (without that annotation), as `json.Encoder` writes it (sorted
/// keys, trailing newline); dropped if the annotations would exceed 256 KiB.
fn sync_last_applied(obj: &mut Endpoints, config: &Value) {
    let has = obj
        .metadata
        .annotations
        .get(LAST_APPLIED_ANNOTATION)
        .is_some_and(|v| !v.is_empty());
    if !has {
        return;
    }
    let mut c = config.clone();
    if let Some(Value::Object(meta)) = c.get_mut("metadata") {
        let remove = match meta.get_mut("annotations") {
            None => false,
            Some(Value::Object(a)) if a.values().all(|v| v.is_string() || v.is_null()) => {
                a.remove(LAST_APPLIED_ANNOTATION);
                for v in a.values_mut() {
                    if v.is_null() {
                        *v = Value::String(String::new());
                    }
                }
                false
            }
            Some(_) => true,
        };
        if remove {
            meta.remove("annotations");
        }
    }
    let mut text = super::fieldpath::go_json(&c);
    text.push('\n');
    let annotations = &mut obj.metadata.annotations;
    annotations.insert(LAST_APPLIED_ANNOTATION.to_string(), text);
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
}

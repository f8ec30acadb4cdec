//! The decoded form of `metadata.managedFields` and its codec
//! (`k8s.io/apimachinery/pkg/util/managedfields/internal/managedfields.go`), manager identity
//! (`BuildManagerIdentifier`), the manager cap (`capmanagers.go`) and the meta-field strip set
//! (`stripmeta.go`).

use std::collections::BTreeMap;

use super::fieldpath::{FieldSet, FieldsV1Error, PathElement};
use crate::decode::go_strconv_quote;
use crate::types::meta::{ManagedFieldsEntry, Time};

/// `metav1.ManagedFieldsOperationApply`.
pub const OPERATION_APPLY: &str = "Apply";
/// `metav1.ManagedFieldsOperationUpdate`.
pub const OPERATION_UPDATE: &str = "Update";
/// The only `fieldsType`.
pub const FIELDS_TYPE_V1: &str = "FieldsV1";
/// The API version every entry this server writes carries.
pub const API_VERSION: &str = "v1";
/// `DefaultMaxUpdateManagers`: more Update managers than this are merged into buckets.
pub const MAX_UPDATE_MANAGERS: usize = 10;
/// The bucket manager old Update entries are merged into (`capManagersManager`).
pub const ANCIENT_CHANGES: &str = "ancient-changes";
/// The manager that receives a legacy object's fields on its first apply.
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// The identity of a manager: `BuildManagerIdentifier`'s fields (the API version only for
/// Update managers).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ManagerKey {
    /// `manager`.
    pub manager: String,
    /// `operation` (`Apply` or `Update`; empty for the transient current operation).
    pub operation: String,
    /// `apiVersion` (empty for Apply managers).
    pub api_version: String,
    /// `subresource`.
    pub subresource: String,
}

impl ManagerKey {
    /// The key of an Update manager at API version `v1`.
    pub fn update(manager: &str) -> Self {
        Self {
            manager: manager.to_string(),
            operation: OPERATION_UPDATE.to_string(),
            api_version: API_VERSION.to_string(),
            subresource: String::new(),
        }
    }

    /// The key of an Apply manager.
    pub fn apply(manager: &str) -> Self {
        Self {
            manager: manager.to_string(),
            operation: OPERATION_APPLY.to_string(),
            api_version: String::new(),
            subresource: String::new(),
        }
    }

    /// The transient manager an Update operation's changes are first recorded under
    /// (`managedFieldsUpdater`'s `current-operation`).
    pub(crate) fn current_operation() -> Self {
        Self {
            manager: "current-operation".to_string(),
            operation: String::new(),
            api_version: String::new(),
            subresource: String::new(),
        }
    }

    fn from_entry(e: &ManagedFieldsEntry) -> Self {
        Self {
            manager: e.manager.clone(),
            operation: e.operation.clone(),
            api_version: if e.operation == OPERATION_APPLY {
                String::new()
            } else {
                e.api_version.clone()
            },
            subresource: e.subresource.clone(),
        }
    }

    /// The JSON identifier upstream keys managers by
    /// (`{"manager":"curl","operation":"Update","apiVersion":"v1"}`); it orders managers in the
    /// conflict message and in the cap.
    pub fn identifier(&self) -> String {
        if self.operation.is_empty() {
            return self.manager.clone();
        }
        let entry = ManagedFieldsEntry {
            manager: self.manager.clone(),
            operation: self.operation.clone(),
            api_version: self.api_version.clone(),
            subresource: self.subresource.clone(),
            ..ManagedFieldsEntry::default()
        };
        crate::json::to_vec(&entry)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// `printManager`: `"curl" using v1` for Update managers, `"mgr"` for Apply managers, with
    /// ` with subresource "s"` when there is one.
    pub fn describe(&self) -> String {
        let mut s = go_strconv_quote(&self.manager);
        if !self.subresource.is_empty() {
            s = format!("{s} with subresource {}", go_strconv_quote(&self.subresource));
        }
        if self.operation == OPERATION_UPDATE {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }
}

/// A manager's field set with the API version it was recorded at (`fieldpath.VersionedSet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedSet {
    /// The owned fields.
    pub set: FieldSet,
    /// The API version.
    pub api_version: String,
    /// Whether the manager is an applier.
    pub applied: bool,
}

/// Decoded managed fields: the sets and the times per manager (`internal.Managed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Managed {
    /// The field sets.
    pub fields: BTreeMap<ManagerKey, VersionedSet>,
    /// The times (`None` when an entry has no time).
    pub times: BTreeMap<ManagerKey, Option<Time>>,
}

/// Why stored or submitted managed fields could not be decoded (`DecodeManagedFields`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManagedFieldsError {
    /// An operation other than `Apply`/`Update`.
    #[error("operation must be `Apply` or `Update`")]
    Operation,
    /// An empty `apiVersion`.
    #[error("apiVersion must not be empty")]
    ApiVersion,
    /// An empty `fieldsType`.
    #[error("missing fieldsType in managed fields entry {0}")]
    MissingFieldsType(usize),
    /// A `fieldsType` other than `FieldsV1`.
    #[error("invalid fieldsType {quoted} in managed fields entry {index}", quoted = go_strconv_quote(.0), index = .1)]
    FieldsType(String, usize),
    /// A `fieldsV1` that is not a field set.
    #[error("error decoding versioned set of managed fields entry {0}: error decoding set: {1}")]
    Set(usize, FieldsV1Error),
}

/// `isResetManagedFields`: a non-nil empty list, or a single empty entry `[{}]`.
pub fn is_reset(entries: Option<&[ManagedFieldsEntry]>) -> bool {
    match entries {
        None => false,
        Some([]) => true,
        Some([only]) => only.is_empty(),
        Some(_) => false,
    }
}

/// `DecodeManagedFields`.
pub fn decode(entries: &[ManagedFieldsEntry]) -> Result<Managed, ManagedFieldsError> {
    let mut m = Managed::default();
    for (i, e) in entries.iter().enumerate() {
        if e.operation != OPERATION_APPLY && e.operation != OPERATION_UPDATE {
            return Err(ManagedFieldsError::Operation);
        }
        if e.api_version.is_empty() {
            return Err(ManagedFieldsError::ApiVersion);
        }
        match e.fields_type.as_str() {
            FIELDS_TYPE_V1 => {}
            "" => return Err(ManagedFieldsError::MissingFieldsType(i)),
            other => return Err(ManagedFieldsError::FieldsType(other.to_string(), i)),
        }
        let set = match &e.fields_v1 {
            Some(v) => FieldSet::from_fields_v1(v).map_err(|err| ManagedFieldsError::Set(i, err))?,
            None => FieldSet::new(),
        };
        let key = ManagerKey::from_entry(e);
        m.fields.insert(
            key.clone(),
            VersionedSet {
                set,
                api_version: e.api_version.clone(),
                applied: e.operation == OPERATION_APPLY,
            },
        );
        m.times.insert(key, e.time);
    }
    Ok(m)
}

/// `encodeManagedFields` + `sortEncodedManagedFields`: `None` when no manager is left; entries
/// sorted by operation (`Apply` first), time (seconds; none is 0), manager, apiVersion,
/// subresource.
pub fn encode(m: &Managed) -> Option<Vec<ManagedFieldsEntry>> {
    if m.fields.is_empty() {
        return None;
    }
    let mut out: Vec<ManagedFieldsEntry> = m
        .fields
        .iter()
        .map(|(key, vs)| ManagedFieldsEntry {
            manager: key.manager.clone(),
            operation: if vs.applied {
                OPERATION_APPLY.to_string()
            } else {
                key.operation.clone()
            },
            api_version: vs.api_version.clone(),
            time: m.times.get(key).copied().flatten(),
            fields_type: FIELDS_TYPE_V1.to_string(),
            fields_v1: Some(vs.set.to_fields_v1()),
            subresource: key.subresource.clone(),
        })
        .collect();
    out.sort_by(|p, q| {
        p.operation
            .cmp(&q.operation)
            .then_with(|| seconds(p.time).cmp(&seconds(q.time)))
            .then_with(|| p.manager.cmp(&q.manager))
            .then_with(|| p.api_version.cmp(&q.api_version))
            .then_with(|| p.subresource.cmp(&q.subresource))
    });
    Some(out)
}

fn seconds(t: Option<Time>) -> i64 {
    t.map_or(0, |t| t.unix())
}

/// The paths `stripMetaManager` removes from the set of the manager that just wrote.
pub fn strip_set() -> FieldSet {
    let f = PathElement::field;
    let mut s = FieldSet::new();
    for top in ["apiVersion", "kind", "metadata"] {
        s.insert(&[f(top)]);
    }
    for meta in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        s.insert(&[f("metadata"), f(meta)]);
    }
    s
}

/// `stripMetaManager.stripFields`: strips `key`'s set and drops it when nothing is left.
pub fn strip(m: &mut Managed, key: &ManagerKey) {
    if let Some(vs) = m.fields.get_mut(key) {
        vs.set = vs.set.difference(&strip_set());
        if vs.set.is_empty() {
            m.fields.remove(key);
        }
    }
}

/// `capManagersManager.capUpdateManagers`: with more than [`MAX_UPDATE_MANAGERS`] Update
/// managers, the oldest are merged, per API version, into an `ancient-changes` bucket that takes
/// the time of the newest entry merged into it.
pub fn cap_update_managers(m: &mut Managed) {
    let mut updaters: Vec<ManagerKey> = m
        .fields
        .iter()
        .filter(|(_, vs)| !vs.applied)
        .map(|(k, _)| k.clone())
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    let time_of = |k: &ManagerKey| seconds(m.times.get(k).copied().flatten());
    let mut keyed: Vec<(i64, String, ManagerKey)> = updaters
        .drain(..)
        .map(|k| (time_of(&k), k.identifier(), k))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut version_to_first: BTreeMap<String, ManagerKey> = BTreeMap::new();
    let mut length = keyed.len();
    for (_, _, key) in keyed {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(vs) = m.fields.get(&key).cloned() else {
            continue;
        };
        let time = m.times.get(&key).copied().flatten();
        let version = vs.api_version.clone();
        let bucket = ManagerKey {
            manager: ANCIENT_CHANGES.to_string(),
            operation: OPERATION_UPDATE.to_string(),
            api_version: version.clone(),
            subresource: String::new(),
        };
        match version_to_first.get(&version) {
            Some(first) => {
                if !m.fields.contains_key(&bucket) {
                    if let Some(s) = m.fields.remove(first) {
                        m.fields.insert(bucket.clone(), s);
                    }
                }
                let merged = match m.fields.get(&bucket) {
                    Some(b) => vs.set.union(&b.set),
                    None => vs.set.clone(),
                };
                m.fields.insert(
                    bucket.clone(),
                    VersionedSet {
                        set: merged,
                        api_version: vs.api_version.clone(),
                        applied: vs.applied,
                    },
                );
                m.fields.remove(&key);
                length -= 1;
                m.times.insert(bucket, time);
            }
            None => {
                version_to_first.insert(version, key);
            }
        }
    }
}

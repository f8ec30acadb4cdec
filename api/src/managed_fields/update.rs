//! The field manager of every non-apply write (POST, PUT, JSON/merge/strategic PATCH):
//! `FieldManager.UpdateNoErrors` with upstream's manager chain (skip-non-applied, cap,
//! build-manager-info, managed-fields-updater, strip-meta, structured merge), write-path §13
//! steps 1–6.

use serde_json::Value;

use super::fieldpath::FieldSet;
use super::managed::{
    cap_update_managers, decode, encode, is_reset, strip, Managed, ManagerKey, VersionedSet, API_VERSION,
};
use super::schema::{compare, reconcile, Comparison, ReconcileError, ENDPOINTS};
use crate::types::meta::Time;
use crate::types::Endpoints;

/// The manager name recorded when the request names none (`buildManagerInfo`).
pub const UNKNOWN_MANAGER: &str = "unknown";

/// The JSON value structured-merge-diff sees for `obj`: its Go JSON form without
/// `managedFields` (upstream removes them from both objects before comparing).
pub(crate) fn typed_value(obj: &Endpoints) -> Value {
    let mut o = obj.clone();
    o.metadata.managed_fields = None;
    serde_json::to_value(&o).unwrap_or(Value::Null)
}

/// Records an Update operation by `manager` in `new.metadata.managedFields` (write-path §13):
///
/// 1. The base is `new`'s own managedFields, as the request (or the patched object) carries them:
///    `[]` or `[{}]` reset them to nothing; entries that decode and are non-empty are taken as
///    they are; otherwise (absent, or undecodable) the live object's are used.
/// 2. If the base is empty and `live` exists (has a uid), nothing is tracked: `new` ends up with
///    no managedFields (how `[{}]` strips them, and why legacy objects stay untracked).
/// 3. `live` and `new` are compared: `manager` gains what was added or modified and loses what was
///    removed; every other manager loses whatever was added, modified or removed under it. If
///    `manager` gained anything its entry's time becomes `now`, otherwise its entry is unchanged.
/// 4. The meta fields (`apiVersion`, `kind`, `metadata.name`, `metadata.uid`, ...) are stripped
///    from `manager`'s set; empty managers are dropped.
/// 5. More than ten Update managers: the oldest are merged into `ancient-changes`.
/// 6. The entries are sorted (Apply before Update, then time, manager, apiVersion, subresource).
///
/// `live` is `None` for a create (POST, PUT-create). An empty `manager` records `unknown`. Never
/// fails: where upstream's field manager would fail, `new` is left without managedFields
/// (`UpdateNoErrors`).
pub fn update_managed_fields(live: Option<&Endpoints>, new: &mut Endpoints, manager: &str, now: Time) {
    let request = new.metadata.managed_fields.take();
    let live_entries = live.map(|l| l.metadata.managed_fields()).unwrap_or(&[]);
    let managed = if is_reset(request.as_deref()) {
        Managed::default()
    } else {
        match decode(request.as_deref().unwrap_or(&[])) {
            Ok(m) if !m.fields.is_empty() => m,
            _ => decode(live_entries).unwrap_or_default(),
        }
    };
    if managed.fields.is_empty() && live.is_some_and(|l| !l.metadata.uid.is_empty()) {
        return;
    }
    let live_value = match live {
        Some(l) => typed_value(l),
        None => typed_value(&Endpoints::default()),
    };
    let new_value = typed_value(new);
    let name = if manager.is_empty() {
        UNKNOWN_MANAGER
    } else {
        manager
    };
    let mut managed = managed;
    match record_update(
        &live_value,
        &new_value,
        &mut managed,
        &ManagerKey::update(name),
        now,
    ) {
        Ok(()) => new.metadata.managed_fields = encode(&managed),
        Err(_) => new.metadata.managed_fields = None,
    }
}

/// `reconcileManagedFieldsWithSchemaChanges`: managers recorded at another API version are
/// dropped (no conversion exists), the others' sets are reconciled with the schema.
pub(crate) fn reconcile_managers(managed: &mut Managed, live: &Value) -> Result<(), ReconcileError> {
    let keys: Vec<ManagerKey> = managed.fields.keys().cloned().collect();
    for key in keys {
        let Some(vs) = managed.fields.get(&key) else {
            continue;
        };
        if vs.api_version != API_VERSION {
            if crate::validation::parse_group_version(&vs.api_version).is_none() {
                return Err(ReconcileError(format!(
                    "unexpected GroupVersion string: {}",
                    vs.api_version
                )));
            }
            managed.fields.remove(&key);
            continue;
        }
        if let Some(reconciled) = reconcile(&vs.set, live, &ENDPOINTS)? {
            if let Some(vs) = managed.fields.get_mut(&key) {
                vs.set = reconciled;
            }
        }
    }
    Ok(())
}

/// `Updater.update` given the comparison of the live and new objects: every manager other than
/// `except` loses the fields that changed under it (`force`), or the changed fields it owns are
/// reported as conflicts and nothing is changed (not `force`). Returns the conflicts per manager
/// (empty when forced or when there are none).
pub(crate) fn resolve_others(
    cmp: &Comparison,
    managed: &mut Managed,
    except: &ManagerKey,
    force: bool,
) -> Vec<(ManagerKey, FieldSet)> {
    let changed = cmp.modified.union(&cmp.added);
    let mut conflicts = Vec::new();
    for (key, vs) in &managed.fields {
        if key == except {
            continue;
        }
        let c = vs.set.intersection(&changed);
        if !c.is_empty() {
            conflicts.push((key.clone(), c));
        }
    }
    if !force && !conflicts.is_empty() {
        return conflicts;
    }
    for (key, c) in &conflicts {
        if let Some(vs) = managed.fields.get_mut(key) {
            vs.set = vs.set.difference(c);
        }
    }
    if !cmp.removed.is_empty() {
        for (key, vs) in managed.fields.iter_mut() {
            if key != except {
                vs.set = vs.set.difference(&cmp.removed);
            }
        }
    }
    managed.fields.retain(|_, vs| !vs.set.is_empty());
    Vec::new()
}

/// The Update chain for one manager: structured update under the transient current-operation
/// manager, strip, merge into `key`'s entry (time `now` if it gained anything), cap.
pub(crate) fn record_update(
    live: &Value,
    new: &Value,
    managed: &mut Managed,
    key: &ManagerKey,
    now: Time,
) -> Result<(), ReconcileError> {
    reconcile_managers(managed, live)?;
    let current = ManagerKey::current_operation();
    let cmp = compare(live, new, &ENDPOINTS);
    resolve_others(&cmp, managed, &current, true);
    let base = managed
        .fields
        .get(&current)
        .map(|vs| vs.set.clone())
        .unwrap_or_default();
    let set = base
        .union(&cmp.modified)
        .union(&cmp.added)
        .difference(&cmp.removed);
    if set.is_empty() {
        managed.fields.remove(&current);
    } else {
        managed.fields.insert(
            current.clone(),
            VersionedSet {
                set,
                api_version: API_VERSION.to_string(),
                applied: false,
            },
        );
    }
    strip(managed, &current);
    if let Some(vs) = managed.fields.remove(&current) {
        let set = match managed.fields.get(key) {
            Some(previous) => vs.set.union(&previous.set),
            None => vs.set,
        };
        managed.fields.insert(
            key.clone(),
            VersionedSet {
                set,
                api_version: vs.api_version,
                applied: vs.applied,
            },
        );
        managed.times.insert(key.clone(), Some(now));
    }
    cap_update_managers(managed);
    Ok(())
}

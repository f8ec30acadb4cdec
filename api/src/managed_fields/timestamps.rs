//! `IgnoreManagedFieldsTimestampsTransformer`
//! (`k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/equality.go`, write-path §13 step 7):
//! an update that changes nothing but managedFields timestamps keeps the stored timestamps, so
//! that it stays a no-op (no write, same resourceVersion).

use crate::types::Endpoints;

/// If `new` equals `old` except for the `time` of its managedFields entries (entry by entry, same
/// count, every other entry field identical, the rest of the object identical), copies `old`'s
/// times into `new` and returns `true`. Otherwise leaves `new` alone and returns `false`.
///
/// Run on PUT and on every PATCH (apply included) after the field manager, admission and the
/// ownerReference dedup, with `new` as the write would store it *before* an unconditional write
/// fills in the current resourceVersion (upstream compares before that step, so an unconditional
/// PUT is never restored).
pub fn restore_managed_fields_timestamps(old: &Endpoints, new: &mut Endpoints) -> bool {
    let old_mf = old.metadata.managed_fields();
    let new_mf = new.metadata.managed_fields();
    if old_mf.len() != new_mf.len() || new_mf.is_empty() {
        return false;
    }
    if old_mf.iter().zip(new_mf).all(|(o, n)| o.time == n.time) {
        return false;
    }
    let same_entries = old_mf.iter().zip(new_mf).all(|(o, n)| {
        let mut n = n.clone();
        n.time = o.time;
        n == *o
    });
    if !same_entries {
        return false;
    }
    let mut probe = new.clone();
    probe.metadata.managed_fields = old.metadata.managed_fields.clone();
    if probe != *old {
        return false;
    }
    new.metadata.managed_fields = old.metadata.managed_fields.clone();
    true
}

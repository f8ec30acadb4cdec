//! Strategic merge patch (`application/strategic-merge-patch+json`) for the Endpoints schema, as
//! apimachinery's `strategicpatch.StrategicMergeMapPatch` applies it server-side (write-path
//! §11.4; `MergeParallelList` and `IgnoreUnmatchedNulls` on).
//!
//! The schema is the Go struct tags of core/v1 `Endpoints`:
//! * `subsets` (and everything in it: `addresses`, `notReadyAddresses`, `ports`) has no patch
//!   strategy: a patch list replaces the stored one, directives inside it included;
//! * `metadata.finalizers` merges as a set of strings (`patchStrategy:"merge"`);
//! * `metadata.ownerReferences` merges by `uid` (`patchStrategy:"merge" patchMergeKey:"uid"`);
//! * `metadata.labels` / `metadata.annotations` and every other object merge key by key; `null`
//!   deletes.
//!
//! Directives: `$patch: replace|delete` in a map, `{"$patch":"delete","uid":...}` and
//! `{"$patch":"replace"}` elements in a merge list of maps, `$deleteFromPrimitiveList/<list>`,
//! `$setElementOrder/<list>` (ordering exactly as upstream, down to Go's stable sort and its
//! order-changing de-duplication), and `$retainKeys` in any map. Upstream's error texts are kept;
//! the five "bad patch format" errors are 400s, `lists of lists are not supported` the generic 422,
//! and the errors upstream passes through raw (500s there) are 400s here (decision 2).
//!
//! Go iterates maps in random order; here the keys of a patch map are processed in sorted order,
//! so a `$deleteFromPrimitiveList/x` runs before a merge into `x`.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{duplicate_fields, go_format, go_format_s, go_type_name, parse_patch, to_value, PatchError};
use crate::decode::JsonValue;

const DIRECTIVE_MARKER: &str = "$patch";
const DELETE_DIRECTIVE: &str = "delete";
const REPLACE_DIRECTIVE: &str = "replace";
const MERGE_DIRECTIVE: &str = "merge";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList";
const RETAIN_KEYS_DIRECTIVE: &str = "$retainKeys";
const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder";

/// `mergepatch.ErrBadPatchFormatForPrimitiveList`.
pub const BAD_PRIMITIVE_LIST: &str = "invalid patch format of primitive list";
/// `mergepatch.ErrBadPatchFormatForRetainKeys`.
pub const BAD_RETAIN_KEYS: &str = "invalid patch format of retainKeys";
/// `mergepatch.ErrBadPatchFormatForSetElementOrderList`.
pub const BAD_SET_ELEMENT_ORDER: &str = "invalid patch format of setElementOrder list";
/// `mergepatch.ErrNoListOfLists`.
pub const NO_LIST_OF_LISTS: &str = "lists of lists are not supported";

/// Where a map sits in the Endpoints schema (`LookupPatchMeta`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// `v1.Endpoints`.
    Endpoints,
    /// `metav1.ObjectMeta`.
    ObjectMeta,
    /// `metav1.OwnerReference`.
    OwnerReference,
    /// Anything else: maps merge key by key, lists replace.
    Other,
}

/// How a list field is patched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ListMeta {
    /// `patchStrategy:"merge"`.
    merge: bool,
    /// `patchMergeKey` (empty for a list of primitives).
    merge_key: &'static str,
    /// The schema of the elements.
    elem: Schema,
}

impl Schema {
    /// `LookupPatchMetadataForStruct`: the schema of a map-valued field.
    fn field(self, key: &str) -> Schema {
        match (self, key) {
            (Schema::Endpoints, "metadata") => Schema::ObjectMeta,
            _ => Schema::Other,
        }
    }

    /// `LookupPatchMetadataForSlice`: the patch metadata of a list-valued field.
    fn list(self, key: &str) -> ListMeta {
        match (self, key) {
            (Schema::ObjectMeta, "finalizers") => ListMeta {
                merge: true,
                merge_key: "",
                elem: Schema::Other,
            },
            (Schema::ObjectMeta, "ownerReferences") => ListMeta {
                merge: true,
                merge_key: "uid",
                elem: Schema::OwnerReference,
            },
            _ => ListMeta {
                merge: false,
                merge_key: "",
                elem: Schema::Other,
            },
        }
    }
}

/// Applies a strategic merge patch body to `doc` as `strategicPatchObject` does. Returns the
/// patched document, the patch map as the merge left it (what a 422 prints with `%+v`), and the
/// strict errors of the body (duplicate keys; only when `strict`).
pub fn apply_bytes(body: &[u8], doc: Value, strict: bool) -> Result<(Value, Value, Vec<String>), PatchError> {
    let root = parse_patch(body).map_err(PatchError::BadRequest)?;
    let mut patch = match &root {
        JsonValue::Object(_) => to_value(&root),
        JsonValue::Null => Value::Object(Map::new()),
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                super::json_kind(other)
            )))
        }
    };
    let mut strict_errors = Vec::new();
    if strict {
        duplicate_fields(&root, "", &mut strict_errors);
    }
    let result = apply(doc, &mut patch)?;
    Ok((result, patch, strict_errors))
}

/// `StrategicMergeMapPatch(original, patch, &v1.Endpoints{})`. The patch is changed the way
/// upstream changes it (directives consumed, nulls discarded from added values).
pub fn apply(original: Value, patch: &mut Value) -> Result<Value, PatchError> {
    let original = match original {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let Value::Object(patch) = patch else {
        return Ok(Value::Object(original));
    };
    merge_map(original, patch, Schema::Endpoints).map(Value::Object)
}

fn raw(msg: String) -> PatchError {
    PatchError::Raw(msg)
}

/// `mergepatch.ErrBadArgType`.
fn bad_arg_type(expected: &str, actual: Option<&Value>) -> PatchError {
    raw(format!(
        "expected a {expected}, but received a {}",
        go_type_name(actual)
    ))
}

/// `mergepatch.ErrNoMergeKey`.
fn no_merge_key(m: &Map<String, Value>, key: &str) -> PatchError {
    raw(format!(
        "map: {} does not contain declared merge key: {key}",
        go_format(&Value::Object(m.clone()))
    ))
}

const MAP_TYPE: &str = "map[string]interface {}";
const SLICE_TYPE: &str = "[]interface {}";

/// `mergeMap`.
fn merge_map(
    mut original: Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE_MARKER).cloned() {
        return handle_directive_in_merge_map(&directive, patch);
    }
    apply_retain_keys_directive(&mut original, patch)?;
    merge_patch_into_original(&mut original, patch, schema)?;

    let mut keys: Vec<String> = patch.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let (is_delete_list, k) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX) {
            (true, extract_key(&key, DELETE_FROM_PRIMITIVE_LIST_PREFIX)?)
        } else {
            (false, key.clone())
        };
        let Some(patch_v) = patch.get_mut(&key) else {
            continue;
        };
        if patch_v.is_null() {
            original.shift_remove(&k);
            continue;
        }
        let same_type = match original.get(&k) {
            None => {
                if !is_delete_list {
                    discard_null_values(patch_v);
                    original.insert(k, patch_v.clone());
                }
                continue;
            }
            Some(cur) => go_type_name(Some(cur)) == go_type_name(Some(patch_v)),
        };
        if !same_type {
            if !is_delete_list {
                discard_null_values(patch_v);
                original.insert(k, patch_v.clone());
            }
            continue;
        }
        let Some(cur) = original.get_mut(&k) else {
            continue;
        };
        match (cur, patch_v) {
            (Value::Object(cur_map), Value::Object(patch_map)) => {
                let taken = std::mem::take(cur_map);
                *cur_map = merge_map(taken, patch_map, schema.field(&k))?;
            }
            (Value::Array(cur_list), Value::Array(patch_list)) => {
                let meta = schema.list(&k);
                let taken = std::mem::take(cur_list);
                *cur_list = merge_slice_handler(taken, patch_list, meta, is_delete_list)?;
            }
            (cur, patch_v) => *cur = patch_v.clone(),
        }
    }
    Ok(original)
}

/// `handleDirectiveInMergeMap`.
fn handle_directive_in_merge_map(
    directive: &Value,
    patch: &mut Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    match directive.as_str() {
        Some(REPLACE_DIRECTIVE) => {
            patch.shift_remove(DIRECTIVE_MARKER);
            Ok(patch.clone())
        }
        Some(DELETE_DIRECTIVE) => Ok(Map::new()),
        _ => Err(raw(format!(
            "unknown patch type: {} in map: {}",
            go_format_s(directive),
            go_format(&Value::Object(patch.clone()))
        ))),
    }
}

/// `discardNullValuesFromPatch`: null members removed from every map, recursively.
fn discard_null_values(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            for v in map.values_mut() {
                discard_null_values(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(discard_null_values),
        _ => {}
    }
}

/// `extractKey`: the list name after `<prefix>/`.
fn extract_key(s: &str, prefix: &str) -> Result<String, PatchError> {
    match s.split_once('/') {
        Some((head, rest)) if head == prefix => Ok(rest.to_string()),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST_PREFIX => {
            Err(PatchError::BadRequest(BAD_PRIMITIVE_LIST.to_string()))
        }
        _ => Err(PatchError::BadRequest(BAD_SET_ELEMENT_ORDER.to_string())),
    }
}

/// `applyRetainKeysDirective`: every non-null, non-directive patch key must be listed; original
/// keys not listed are dropped.
fn apply_retain_keys_directive(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS_DIRECTIVE) else {
        return Ok(());
    };
    let Value::Array(list) = retain else {
        return Err(PatchError::BadRequest(BAD_RETAIN_KEYS.to_string()));
    };
    let listed = |k: &str| list.iter().any(|v| v.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null()
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            || k.starts_with(SET_ELEMENT_ORDER_PREFIX)
        {
            continue;
        }
        if !listed(k) {
            return Err(PatchError::BadRequest(BAD_RETAIN_KEYS.to_string()));
        }
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// `mergePatchIntoOriginal`: each `$setElementOrder/<list>` merges `<list>` and orders the result.
fn merge_patch_into_original(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), PatchError> {
    let mut keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER_PREFIX))
        .cloned()
        .collect();
    keys.sort();
    for key in keys {
        let Some(order_value) = patch.shift_remove(&key) else {
            continue;
        };
        let Value::Array(order) = order_value else {
            return Err(bad_arg_type(SLICE_TYPE, Some(&order_value)));
        };
        let original_key = extract_key(&key, SET_ELEMENT_ORDER_PREFIX)?;
        let original_list = match original.get(&original_key) {
            None => None,
            Some(Value::Array(l)) => Some(l.clone()),
            Some(other) => return Err(bad_arg_type(SLICE_TYPE, Some(other))),
        };
        let mut patch_list = match patch.get(&original_key) {
            None => None,
            Some(Value::Array(l)) => Some(l.clone()),
            Some(other) => return Err(bad_arg_type(SLICE_TYPE, Some(other))),
        };
        let meta = schema.list(&original_key);
        validate_patch_with_set_order_list(patch_list.as_deref().unwrap_or(&[]), &order, meta.merge_key)?;
        let merged = match (&original_list, &mut patch_list) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => p.clone(),
            (Some(o), Some(p)) => merge_slice_handler(o.clone(), p, meta, false)?,
            (None, None) => continue,
        };
        let (patch_items, server_only) = if meta.merge_key.is_empty() {
            partition_primitives(merged, &order)
        } else {
            partition_maps(merged, &order, meta.merge_key)?
        };
        let original_items = original_list.unwrap_or_default();
        let kind = slice_element_type(&[&original_items, patch_list.as_deref().unwrap_or(&[])])?;
        let both = normalize_element_order(
            patch_items,
            server_only,
            &order,
            &original_items,
            meta.merge_key,
            kind,
        )?;
        original.insert(original_key.clone(), Value::Array(both));
        patch.shift_remove(&original_key);
    }
    Ok(())
}

/// The kind of the elements of some lists (`sliceElementType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Scalar,
}

/// `sliceElementType`: all elements must have one Go type, not a list.
fn slice_element_type(slices: &[&[Value]]) -> Result<Kind, PatchError> {
    let mut prev: Option<&'static str> = None;
    for s in slices {
        for v in s.iter() {
            let t = go_type_name(Some(v));
            match prev {
                None => {
                    if t == SLICE_TYPE {
                        return Err(PatchError::Unprocessable(NO_LIST_OF_LISTS.to_string()));
                    }
                    prev = Some(t);
                }
                Some(p) if p != t => {
                    let all = Value::Array(slices.iter().map(|s| Value::Array(s.to_vec())).collect());
                    return Err(raw(format!(
                        "list element types are not identical: {}",
                        go_format(&all)
                    )));
                }
                Some(_) => {}
            }
        }
    }
    match prev {
        None => Err(raw("no elements in any of the given slices".to_string())),
        Some(MAP_TYPE) => Ok(Kind::Map),
        Some(_) => Ok(Kind::Scalar),
    }
}

/// `mergeSliceHandler`: merge lists merge, others are replaced by the patch list.
fn merge_slice_handler(
    original: Vec<Value>,
    patch: &mut [Value],
    meta: ListMeta,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if meta.merge {
        merge_slice(original, patch, meta, is_delete_list)
    } else {
        Ok(patch.to_vec())
    }
}

/// `mergeSlice`.
fn merge_slice(
    original: Vec<Value>,
    patch: &mut [Value],
    meta: ListMeta,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = slice_element_type(&[&original, patch])?;
    let merge_key = meta.merge_key;
    let (merged, server_order, patch_order) = if kind != Kind::Map {
        if is_delete_list {
            return Ok(delete_from_slice(&original, patch));
        }
        let mut both = original.clone();
        both.extend(patch.iter().cloned());
        (deduplicate_scalars(both), original, patch.to_vec())
    } else {
        if merge_key.is_empty() {
            return Err(raw("cannot merge lists without merge key for string".to_string()));
        }
        let (original, mut patch) = merge_slice_with_special_elements(original, patch, merge_key)?;
        let merged =
            merge_slice_without_special_elements(original.clone(), &mut patch, merge_key, meta.elem)?;
        (merged, original, patch)
    };
    let (patch_items, server_only) = if merge_key.is_empty() {
        partition_primitives(merged, &patch_order)
    } else {
        partition_maps(merged, &patch_order, merge_key)?
    };
    normalize_element_order(
        patch_items,
        server_only,
        &patch_order,
        &server_order,
        merge_key,
        kind,
    )
}

/// `mergeSliceWithSpecialElements`: `$patch: delete` elements delete by merge key, a `$patch:
/// replace` element makes the rest of the patch list the result.
fn merge_slice_with_special_elements(
    original: Vec<Value>,
    patch: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut without_special = Vec::new();
    let mut replace = false;
    let mut deleted: HashSet<String> = HashSet::new();
    for v in patch {
        let Value::Object(m) = v else {
            return Err(bad_arg_type(MAP_TYPE, Some(v)));
        };
        match m.get(DIRECTIVE_MARKER) {
            None => without_special.push(v.clone()),
            Some(directive) => match directive.as_str() {
                Some(DELETE_DIRECTIVE) => match m.get(merge_key) {
                    Some(value) => {
                        deleted.insert(key_string(value));
                    }
                    None => return Err(no_merge_key(m, merge_key)),
                },
                Some(REPLACE_DIRECTIVE) => replace = true,
                Some(MERGE_DIRECTIVE) => {
                    return Err(raw(
                        "merging lists cannot yet be specified in the patch".to_string()
                    ))
                }
                _ => {
                    return Err(raw(format!(
                        "unknown patch type: {} in map: {}",
                        go_format_s(directive),
                        go_format(v)
                    )))
                }
            },
        }
    }
    if replace {
        return Ok((without_special, Vec::new()));
    }
    // `deleteMatchingEntries` for every delete directive: each removes all elements with that merge
    // key value.
    let mut original = original;
    if !deleted.is_empty() {
        original.retain(|v| {
            let key = v.as_object().and_then(|m| m.get(merge_key)).map(key_string);
            !key.is_some_and(|k| deleted.contains(&k))
        });
    }
    Ok((original, without_special))
}

/// The identity of a scalar (or merge key value) for hashing: its JSON, which tells apart exactly
/// what Go's `==` on decoded values tells apart (`1` and `1.0` differ).
fn key_string(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `mergeSliceWithoutSpecialElements`: elements with a known merge key merge into it, others are
/// appended.
fn merge_slice_without_special_elements(
    mut original: Vec<Value>,
    patch: &mut [Value],
    merge_key: &str,
    schema: Schema,
) -> Result<Vec<Value>, PatchError> {
    // `findMapInSliceBasedOnKeyValue` over `original`: the first element with each key value.
    let mut first: HashMap<String, usize> = HashMap::new();
    for (i, v) in original.iter().enumerate() {
        let Value::Object(m) = v else {
            return Err(raw(format!("value for key {i} is not a map")));
        };
        if let Some(k) = m.get(merge_key) {
            first.entry(key_string(k)).or_insert(i);
        }
    }
    for v in patch.iter_mut() {
        let Value::Object(m) = v else {
            return Err(bad_arg_type(MAP_TYPE, Some(v)));
        };
        let Some(value) = m.get(merge_key) else {
            return Err(no_merge_key(m, merge_key));
        };
        let key = key_string(value);
        match first.get(&key) {
            Some(&i) => {
                let taken = match std::mem::take(&mut original[i]) {
                    Value::Object(o) => o,
                    _ => Map::new(),
                };
                original[i] = Value::Object(merge_map(taken, m, schema)?);
            }
            None => {
                first.insert(key, original.len());
                original.push(Value::Object(m.clone()));
            }
        }
    }
    Ok(original)
}

/// `deleteFromSlice`.
fn delete_from_slice(current: &[Value], to_delete: &[Value]) -> Vec<Value> {
    let to_delete: HashSet<String> = to_delete.iter().map(key_string).collect();
    current
        .iter()
        .filter(|v| !to_delete.contains(&key_string(v)))
        .cloned()
        .collect()
}

/// Longer lists with duplicates are de-duplicated keeping first occurrences (in linear time)
/// instead of by Go's quadratic algorithm.
const EXACT_DEDUP_LIMIT: usize = 4096;

/// `deduplicateScalars`: Go's in-place de-duplication, which moves the last element into the
/// place of each duplicate found (so it can reorder). A list without duplicates is returned as it
/// is; one longer than [`EXACT_DEDUP_LIMIT`] keeps first occurrences.
fn deduplicate_scalars(mut s: Vec<Value>) -> Vec<Value> {
    let keys: Vec<String> = s.iter().map(key_string).collect();
    let mut seen = HashSet::with_capacity(keys.len());
    if keys.iter().all(|k| seen.insert(k.as_str())) {
        return s;
    }
    if s.len() > EXACT_DEDUP_LIMIT {
        let mut seen = HashSet::with_capacity(keys.len());
        let mut keep = keys.iter().map(|k| seen.insert(k.clone()));
        s.retain(|_| keep.next().unwrap_or(false));
        return s;
    }
    let mut length = s.len() as isize - 1;
    let mut i: isize = 0;
    while i < length {
        let mut j = i + 1;
        while j <= length {
            if s[i as usize] == s[j as usize] {
                s[j as usize] = s[length as usize].clone();
                s.truncate(length as usize);
                length -= 1;
                j -= 1;
            }
            j += 1;
        }
        i += 1;
    }
    s
}

/// `partitionPrimitivesByPresentInList`.
fn partition_primitives(original: Vec<Value>, partition_by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let present: HashSet<String> = partition_by.iter().map(key_string).collect();
    original
        .into_iter()
        .partition(|v| present.contains(&key_string(v)))
}

/// `partitionMapsByPresentInList`.
fn partition_maps(
    original: Vec<Value>,
    partition_by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    // `findMapInSliceBasedOnKeyValue(partition_by, ...)` scans from the start: a value is found if it
    // occurs before the first element that is not a map, which is an error otherwise.
    let first_non_map = partition_by.iter().position(|v| !v.is_object());
    let present: HashSet<String> = partition_by[..first_non_map.unwrap_or(partition_by.len())]
        .iter()
        .filter_map(|v| v.as_object().and_then(|m| m.get(merge_key)).map(key_string))
        .collect();
    let mut patch = Vec::new();
    let mut server_only = Vec::new();
    for v in original {
        let Value::Object(m) = &v else {
            return Err(bad_arg_type(MAP_TYPE, Some(&v)));
        };
        let Some(value) = m.get(merge_key) else {
            return Err(no_merge_key(m, merge_key));
        };
        if present.contains(&key_string(value)) {
            patch.push(v);
        } else if let Some(i) = first_non_map {
            return Err(raw(format!("value for key {i} is not a map")));
        } else {
            server_only.push(v);
        }
    }
    Ok((patch, server_only))
}

/// `mergeKeyValueEqual`.
fn merge_key_value_equal(left: &Value, right: &Value, merge_key: &str) -> Result<bool, PatchError> {
    if merge_key.is_empty() {
        return Ok(left == right);
    }
    let Value::Object(l) = left else {
        return Err(bad_arg_type(MAP_TYPE, Some(left)));
    };
    let Value::Object(r) = right else {
        return Err(bad_arg_type(MAP_TYPE, Some(right)));
    };
    let lv = l.get(merge_key).ok_or_else(|| no_merge_key(l, merge_key))?;
    let rv = r.get(merge_key).ok_or_else(|| no_merge_key(r, merge_key))?;
    Ok(lv == rv)
}

/// `extractToDeleteItems`.
fn extract_to_delete_items(list: Vec<Value>) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut non_delete = Vec::new();
    let mut to_delete = Vec::new();
    for v in list {
        let Value::Object(m) = &v else {
            return Err(bad_arg_type(MAP_TYPE, Some(&v)));
        };
        if m.get(DIRECTIVE_MARKER).and_then(Value::as_str) == Some(DELETE_DIRECTIVE) {
            to_delete.push(v);
        } else {
            non_delete.push(v);
        }
    }
    Ok((non_delete, to_delete))
}

/// `validatePatchWithSetOrderList`: the patch list's items must appear in the order list, in the
/// same relative order.
fn validate_patch_with_set_order_list(
    patch: &[Value],
    order: &[Value],
    merge_key: &str,
) -> Result<(), PatchError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let non_delete = if merge_key.is_empty() {
        patch.to_vec()
    } else {
        extract_to_delete_items(patch.to_vec())?.0
    };
    let (mut pi, mut si) = (0, 0);
    while pi < non_delete.len() && si < order.len() {
        let has_directive = non_delete[pi]
            .as_object()
            .is_some_and(|m| m.contains_key(DIRECTIVE_MARKER));
        if has_directive {
            pi += 1;
            continue;
        }
        if merge_key_value_equal(&non_delete[pi], &order[si], merge_key)? {
            pi += 1;
        }
        si += 1;
    }
    if pi < non_delete.len() && si >= order.len() {
        return Err(raw(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER_PREFIX} list:\n{}\n",
            go_format(&Value::Array(patch.to_vec())),
            go_format(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

/// `validateMergeKeyInLists`.
fn validate_merge_key_in_lists(merge_key: &str, lists: &[&[Value]]) -> Result<(), PatchError> {
    for list in lists {
        for item in list.iter() {
            let Value::Object(m) = item else {
                return Err(bad_arg_type(MAP_TYPE, Some(item)));
            };
            if !m.contains_key(merge_key) {
                return Err(no_merge_key(m, merge_key));
            }
        }
    }
    Ok(())
}

/// `index` over one list, precomputed: the first position of each element (of its merge key value
/// for maps, where a missing key is nil and matches another nil).
struct OrderIndex {
    first: HashMap<String, usize>,
    merge_key: String,
    kind: Kind,
}

impl OrderIndex {
    fn new(list: &[Value], merge_key: &str, kind: Kind) -> OrderIndex {
        let mut first = HashMap::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            first.entry(Self::key(v, merge_key, kind)).or_insert(i);
        }
        OrderIndex {
            first,
            merge_key: merge_key.to_string(),
            kind,
        }
    }

    fn key(v: &Value, merge_key: &str, kind: Kind) -> String {
        match kind {
            Kind::Map => v
                .as_object()
                .and_then(|m| m.get(merge_key))
                .map_or_else(|| "null".to_string(), key_string),
            Kind::Scalar => key_string(v),
        }
    }

    /// The position of `item`, or -1.
    fn index(&self, item: &Value) -> isize {
        self.first
            .get(&Self::key(item, &self.merge_key, self.kind))
            .map_or(-1, |&i| i as isize)
    }
}

/// `normalizeSliceOrder`: `to_sort` ordered by `order` with Go's `sort.SliceStable`, `$patch:
/// delete` items moved to the end.
fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: Kind,
) -> Result<Vec<Value>, PatchError> {
    let (to_sort, to_delete) = if kind == Kind::Map {
        validate_merge_key_in_lists(merge_key, &[&to_sort, order])?;
        extract_to_delete_items(to_sort)?
    } else {
        (to_sort, Vec::new())
    };
    let order = OrderIndex::new(order, merge_key, kind);
    let mut decorated: Vec<(isize, Value)> = to_sort.into_iter().map(|v| (order.index(&v), v)).collect();
    go_slice_stable(&mut decorated, |a, b| {
        if a.0 >= 0 && b.0 >= 0 {
            return a.0 < b.0;
        }
        true
    });
    let mut to_sort: Vec<Value> = decorated.into_iter().map(|(_, v)| v).collect();
    to_sort.extend(to_delete);
    Ok(to_sort)
}

/// `normalizeElementOrder`.
fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: Kind,
) -> Result<Vec<Value>, PatchError> {
    let patch = normalize_slice_order(patch, patch_order, merge_key, kind)?;
    let server_only = normalize_slice_order(server_only, server_order, merge_key, kind)?;
    Ok(merge_sorted_slice(
        server_only,
        patch,
        server_order,
        merge_key,
        kind,
    ))
}

/// `mergeSortedSlice`: `left` (server-only items) interleaved into `right` (patch items): a left
/// item goes first only when both are in `server_order` and it is earlier there.
fn merge_sorted_slice(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    merge_key: &str,
    kind: Kind,
) -> Vec<Value> {
    let order = OrderIndex::new(server_order, merge_key, kind);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().map(|v| (order.index(&v), v)).peekable();
    let mut right = right.into_iter().map(|v| (order.index(&v), v)).peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((li, _)), Some((ri, _))) => *li >= 0 && *ri >= 0 && li < ri,
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next.map(|(_, v)| v));
    }
    out
}

/// Go's `sort.SliceStable` (insertion sort on blocks of 20, then `symMerge`), step for step, so that
/// even a `less` that is not a strict weak order gives upstream's result.
fn go_slice_stable<T>(data: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = data.len();
    let mut block = 20;
    let (mut a, mut b) = (0, block);
    while b <= n {
        insertion_sort(data, a, b, &less);
        a = b;
        b += block;
    }
    insertion_sort(data, a, n, &less);
    while block < n {
        a = 0;
        b = 2 * block;
        while b <= n {
            sym_merge(data, a, a + block, b, &less);
            a = b;
            b += 2 * block;
        }
        let m = a + block;
        if m < n {
            sym_merge(data, a, m, n, &less);
        }
        block *= 2;
    }
}

fn insertion_sort<T>(data: &mut [T], a: usize, b: usize, less: &impl Fn(&T, &T) -> bool) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && less(&data[j], &data[j - 1]) {
            data.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn sym_merge<T>(data: &mut [T], a: usize, m: usize, b: usize, less: &impl Fn(&T, &T) -> bool) {
    if m - a == 1 {
        let (mut i, mut j) = (m, b);
        while i < j {
            let h = (i + j) / 2;
            if less(&data[h], &data[a]) {
                i = h + 1;
            } else {
                j = h;
            }
        }
        let mut k = a;
        while k + 1 < i {
            data.swap(k, k + 1);
            k += 1;
        }
        return;
    }
    if b - m == 1 {
        let (mut i, mut j) = (a, m);
        while i < j {
            let h = (i + j) / 2;
            if !less(&data[m], &data[h]) {
                i = h + 1;
            } else {
                j = h;
            }
        }
        let mut k = m;
        while k > i {
            data.swap(k, k - 1);
            k -= 1;
        }
        return;
    }
    let mid = (a + b) / 2;
    let n = mid + m;
    let (mut start, mut r) = if m > mid { (n - b, mid) } else { (a, m) };
    let p = n - 1;
    while start < r {
        let c = (start + r) / 2;
        if !less(&data[p - c], &data[c]) {
            start = c + 1;
        } else {
            r = c;
        }
    }
    let end = n - start;
    if start < m && m < end {
        rotate(data, start, m, end);
    }
    if a < start && start < mid {
        sym_merge(data, a, start, mid, less);
    }
    if mid < end && end < b {
        sym_merge(data, mid, end, b, less);
    }
}

fn rotate<T>(data: &mut [T], a: usize, m: usize, b: usize) {
    let mut i = m - a;
    let mut j = b - m;
    while i != j {
        if i > j {
            swap_range(data, m - i, m, j);
            i -= j;
        } else {
            swap_range(data, m - i, m + j - i, i);
            j -= i;
        }
    }
    swap_range(data, m - i, m, i);
}

fn swap_range<T>(data: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        data.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ep() -> Value {
        json!({"kind":"Endpoints","apiVersion":"v1",
            "metadata":{"name":"ep1","namespace":"default","labels":{"a":"b"},
                "finalizers":["example.com/a"],
                "ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"p1","uid":"u1"},
                                   {"apiVersion":"v1","kind":"Pod","name":"p2","uid":"u2"}]},
            "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80,"protocol":"TCP"}]},
                       {"addresses":[{"ip":"10.0.0.2"}],"ports":[{"port":81,"protocol":"TCP"}]}]})
    }

    fn run(doc: Value, patch: &str) -> Result<Value, PatchError> {
        apply_bytes(patch.as_bytes(), doc, true).map(|(v, _, _)| v)
    }

    #[test]
    fn subsets_replace_p7() {
        let out = run(ep(), r#"{"subsets":[{"addresses":[{"ip":"10.9.9.9"}]}]}"#).unwrap();
        assert_eq!(out["subsets"], json!([{"addresses":[{"ip":"10.9.9.9"}]}]));
        // Directives inside an atomic list are kept verbatim.
        let out = run(
            ep(),
            r#"{"subsets":[{"$patch":"delete","addresses":[{"ip":"10.9.9.9"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            out["subsets"],
            json!([{"$patch":"delete","addresses":[{"ip":"10.9.9.9"}]}])
        );
    }

    #[test]
    fn finalizers_merge_as_a_set_p8() {
        // Upstream puts patch items that the server list lacks first (mergeSortedSlice).
        let out = run(ep(), r#"{"metadata":{"finalizers":["example.com/b"]}}"#).unwrap();
        assert_eq!(
            out["metadata"]["finalizers"],
            json!(["example.com/b", "example.com/a"])
        );
        let out = run(ep(), r#"{"metadata":{"finalizers":["example.com/a"]}}"#).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["example.com/a"]));
        // With $setElementOrder (what kubectl sends) the order is the client's.
        let out = run(
            ep(),
            r#"{"metadata":{"$setElementOrder/finalizers":["example.com/a","example.com/b"],"finalizers":["example.com/b"]}}"#,
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["finalizers"],
            json!(["example.com/a", "example.com/b"])
        );
    }

    #[test]
    fn delete_from_primitive_list_p9() {
        let out = run(
            ep(),
            r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"]}}"#,
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!([]));
        let err = run(ep(), r#"{"metadata":{"$deleteFromPrimitiveList":["x"]}}"#).unwrap_err();
        assert_eq!(err, PatchError::BadRequest(BAD_PRIMITIVE_LIST.into()));
    }

    #[test]
    fn owner_references_by_uid_p10() {
        let out = run(
            ep(),
            r#"{"metadata":{"ownerReferences":[{"uid":"u1","$patch":"delete"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["ownerReferences"],
            json!([{"apiVersion":"v1","kind":"Pod","name":"p2","uid":"u2"}])
        );
        // Merge into an existing element by uid; a new one goes before the server-only ones
        // unless a patch item that the server knows comes first.
        let out = run(
            ep(),
            r#"{"metadata":{"ownerReferences":[{"uid":"u2","name":"p2b"},{"uid":"u3","apiVersion":"v1","kind":"Pod","name":"p3"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["ownerReferences"],
            json!([{"apiVersion":"v1","kind":"Pod","name":"p1","uid":"u1"},
                   {"apiVersion":"v1","kind":"Pod","name":"p2b","uid":"u2"},
                   {"apiVersion":"v1","kind":"Pod","name":"p3","uid":"u3"}])
        );
        let out = run(
            ep(),
            r#"{"metadata":{"ownerReferences":[{"uid":"u3","name":"p3"}]}}"#,
        )
        .unwrap();
        let uids: Vec<&str> = out["metadata"]["ownerReferences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["uid"].as_str().unwrap())
            .collect();
        assert_eq!(uids, ["u3", "u1", "u2"]);
        // $patch: replace element.
        let out = run(
            ep(),
            r#"{"metadata":{"ownerReferences":[{"$patch":"replace"},{"uid":"u9","name":"n"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["ownerReferences"],
            json!([{"uid":"u9","name":"n"}])
        );
        // $patch: merge is not supported; an element without uid has no merge key.
        assert_eq!(
            run(
                ep(),
                r#"{"metadata":{"ownerReferences":[{"uid":"u1","$patch":"merge"}]}}"#
            )
            .unwrap_err(),
            PatchError::Raw("merging lists cannot yet be specified in the patch".into())
        );
        assert_eq!(
            run(ep(), r#"{"metadata":{"ownerReferences":[{"name":"x"}]}}"#).unwrap_err(),
            PatchError::Raw("map: map[name:x] does not contain declared merge key: uid".into())
        );
        // setElementOrder reorders.
        let out = run(
            ep(),
            r#"{"metadata":{"$setElementOrder/ownerReferences":[{"uid":"u2"},{"uid":"u1"}]}}"#,
        )
        .unwrap();
        let uids: Vec<&str> = out["metadata"]["ownerReferences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["uid"].as_str().unwrap())
            .collect();
        assert_eq!(uids, ["u2", "u1"]);
    }

    #[test]
    fn map_directives() {
        let out = run(ep(), r#"{"metadata":{"labels":{"$patch":"replace","x":"y"}}}"#).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"x":"y"}));
        let out = run(ep(), r#"{"metadata":{"labels":{"$patch":"delete"}}}"#).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({}));
        let err = run(ep(), r#"{"metadata":{"labels":{"$patch":"frob"}}}"#).unwrap_err();
        assert_eq!(
            err,
            PatchError::Raw("unknown patch type: frob in map: map[$patch:frob]".into())
        );
        let out = run(ep(), r#"{"metadata":{"labels":{"a":null,"c":"d"}}}"#).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"c":"d"}));
        // Nulls for absent keys are dropped.
        let out = run(ep(), r#"{"metadata":{"annotations":{"x":null,"y":"z"}}}"#).unwrap();
        assert_eq!(out["metadata"]["annotations"], json!({"y":"z"}));
    }

    #[test]
    fn retain_keys() {
        let out = run(
            ep(),
            r#"{"metadata":{"$retainKeys":["name","namespace","labels"],"labels":{"q":"r"}}}"#,
        )
        .unwrap();
        assert_eq!(
            out["metadata"],
            json!({"name":"ep1","namespace":"default","labels":{"a":"b","q":"r"}})
        );
        assert_eq!(
            run(
                ep(),
                r#"{"metadata":{"$retainKeys":["name"],"labels":{"q":"r"}}}"#
            )
            .unwrap_err(),
            PatchError::BadRequest(BAD_RETAIN_KEYS.into())
        );
        assert_eq!(
            run(ep(), r#"{"metadata":{"$retainKeys":"name"}}"#).unwrap_err(),
            PatchError::BadRequest(BAD_RETAIN_KEYS.into())
        );
    }

    #[test]
    fn set_element_order_errors() {
        assert_eq!(
            run(ep(), r#"{"metadata":{"$setElementOrder":["a"]}}"#).unwrap_err(),
            PatchError::BadRequest(BAD_SET_ELEMENT_ORDER.into())
        );
        assert_eq!(
            run(ep(), r#"{"metadata":{"$setElementOrder/finalizers":"a"}}"#).unwrap_err(),
            PatchError::Raw("expected a []interface {}, but received a string".into())
        );
        assert_eq!(
            run(
                ep(),
                r#"{"metadata":{"$setElementOrder/finalizers":["x"],"finalizers":["y"]}}"#
            )
            .unwrap_err(),
            PatchError::Raw(
                "The order in patch list:\n[y]\n doesn't match $setElementOrder list:\n[x]\n".into()
            )
        );
    }

    #[test]
    fn list_errors() {
        assert_eq!(
            run(
                json!({"metadata":{}}),
                r#"{"metadata":{"$setElementOrder/finalizers":[["x"]],"finalizers":[["x"]]}}"#
            )
            .unwrap_err(),
            PatchError::Unprocessable(NO_LIST_OF_LISTS.into())
        );
        assert_eq!(
            run(ep(), r#"{"metadata":{"finalizers":[["x"]]}}"#).unwrap_err(),
            PatchError::Raw("list element types are not identical: [[example.com/a] [[x]]]".into())
        );
        assert_eq!(
            run(ep(), r#"{"metadata":{"finalizers":[1]}}"#).unwrap_err(),
            PatchError::Raw("list element types are not identical: [[example.com/a] [1]]".into())
        );
    }

    #[test]
    fn body_errors() {
        assert_eq!(
            apply_bytes(b"[1]", ep(), true).unwrap_err(),
            PatchError::BadRequest(
                "json: cannot unmarshal array into Go value of type map[string]interface {}".into()
            )
        );
        assert_eq!(
            apply_bytes(b"{", ep(), false).unwrap_err(),
            PatchError::BadRequest("unexpected end of JSON input".into())
        );
        let (out, patch, errs) = apply_bytes(b"null", ep(), true).unwrap();
        assert_eq!((out, patch, errs), (ep(), json!({}), Vec::<String>::new()));
        let (_, _, errs) = apply_bytes(br#"{"a":1,"a":2}"#, ep(), true).unwrap();
        assert_eq!(errs, [r#"duplicate field "a""#]);
    }

    #[test]
    fn dedup_reorders_like_go() {
        assert_eq!(
            deduplicate_scalars(vec![json!("a"), json!("b"), json!("a"), json!("c")]),
            vec![json!("a"), json!("b"), json!("c")]
        );
        assert_eq!(
            deduplicate_scalars(vec![json!("a"), json!("a"), json!("b"), json!("c")]),
            vec![json!("a"), json!("c"), json!("b")]
        );
    }

    #[test]
    fn large_merge_lists_stay_linear() {
        // 3 MiB of patch can hold ~10^5 list items; the merge must not be quadratic.
        let original: Vec<Value> = (0..30_000).map(|i| json!(format!("example.com/f{i}"))).collect();
        let patch: Vec<Value> = (15_000..45_000)
            .map(|i| json!(format!("example.com/f{i}")))
            .collect();
        let doc = json!({"metadata":{"name":"x","finalizers":original}});
        let body = serde_json::to_vec(&json!({"metadata":{"finalizers":patch}})).unwrap();
        let (out, _, _) = apply_bytes(&body, doc, true).unwrap();
        let merged = out["metadata"]["finalizers"].as_array().unwrap();
        assert_eq!(merged.len(), 45_000);
        // Server-only items earlier in the live list come first; new items follow.
        let want: Vec<Value> = (0..45_000).map(|i| json!(format!("example.com/f{i}"))).collect();
        assert_eq!(merged, &want);
        let uids: Vec<Value> = (0..20_000)
            .map(|i| json!({"uid":format!("u{i}"),"name":"n"}))
            .collect();
        let dels: Vec<Value> = (0..20_000)
            .map(|i| json!({"uid":format!("u{i}"),"$patch":"delete"}))
            .collect();
        let doc = json!({"metadata":{"name":"x","ownerReferences":uids}});
        let body = serde_json::to_vec(&json!({"metadata":{"ownerReferences":dels}})).unwrap();
        let (out, _, _) = apply_bytes(&body, doc, true).unwrap();
        assert_eq!(out["metadata"]["ownerReferences"], json!([]));
    }

    #[test]
    fn go_stable_sort_is_stable() {
        let mut v: Vec<(u8, usize)> = (0..100).map(|i| ((i * 7 % 5) as u8, i)).collect();
        go_slice_stable(&mut v, |a, b| a.0 < b.0);
        let mut want: Vec<(u8, usize)> = (0..100).map(|i| ((i * 7 % 5) as u8, i)).collect();
        want.sort_by_key(|x| x.0);
        assert_eq!(v, want);
    }

    /// A JSON object without lists (nulls allowed), small, with keys that are not directives.
    fn list_free_object() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            "[a-z]{0,3}".prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(3, 24, 4, |inner| {
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        });
        prop::collection::btree_map("[a-e]", value, 0..5).prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        /// On list-free documents a strategic merge patch is a JSON merge patch.
        #[test]
        fn list_free_strategic_equals_merge(doc in list_free_object(), patch in list_free_object()) {
            let mut smp_patch = patch.clone();
            let strategic = apply(doc.clone(), &mut smp_patch).unwrap();
            let merged = super::super::merge::merge_patch(doc, patch).unwrap();
            prop_assert_eq!(strategic, merged);
        }

        /// The ordering sort agrees with a plain stable sort whenever `less` is a strict order.
        #[test]
        fn go_sort_matches_std(mut v in prop::collection::vec((0u8..6, any::<u16>()), 0..70)) {
            let mut want = v.clone();
            want.sort_by_key(|x| x.0);
            go_slice_stable(&mut v, |a, b| a.0 < b.0);
            prop_assert_eq!(v, want);
        }
    }
}

//! RFC 7386 JSON Merge Patch (`application/merge-patch+json`) as `evanphx/json-patch.v4`'s
//! `MergePatch` applies it (write-path §11.3), and [`create_merge_patch`], its inverse.
//!
//! Objects merge recursively and a `null` member deletes; anything else (arrays included)
//! replaces. evanphx's details are kept: `null` members are pruned from objects the patch adds
//! (also inside arrays, whose `null` elements stay), a non-object patch value over an object is
//! taken as it is, a top-level array patch replaces the whole document, and a `null` or scalar patch
//! is `Invalid JSON Patch`. Objects the merge touches are re-encoded with sorted keys, as Go
//! marshals its maps.

use serde_json::{Map, Value};

use super::{duplicate_fields, json_kind, parse_patch, to_value, PatchError};
use crate::decode::JsonValue;

/// `jsonpatch.ErrBadJSONPatch`.
pub const BAD_JSON_PATCH: &str = "Invalid JSON Patch";

/// Why a merge patch cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// `ErrBadJSONPatch`: the patch is `null`, a scalar, or not JSON.
    #[error("Invalid JSON Patch")]
    BadPatch,
}

/// The strict pre-pass of `applyJSPatch` under fieldValidation `Warn`/`Strict`:
/// `kjson.UnmarshalStrict(patch, &map[string]any{})`. A non-object is the 400 `error decoding
/// patch: ...`; duplicate keys are returned as strict errors.
pub fn strict_prepass(root: &JsonValue) -> Result<Vec<String>, PatchError> {
    match root {
        JsonValue::Null | JsonValue::Object(_) => {
            let mut out = Vec::new();
            duplicate_fields(root, "", &mut out);
            Ok(out)
        }
        other => Err(PatchError::BadRequest(format!(
            "error decoding patch: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(other)
        ))),
    }
}

/// Applies a merge patch body to `doc` as `applyJSPatch` does: the strict pre-pass (when
/// `strict`), then `MergePatch`. Returns the patched document and the pre-pass's strict errors.
pub fn apply_bytes(body: &[u8], doc: Value, strict: bool) -> Result<(Value, Vec<String>), PatchError> {
    let root = match parse_patch(body) {
        Ok(root) => root,
        Err(e) if strict => return Err(PatchError::BadRequest(format!("error decoding patch: {e}"))),
        Err(_) => return Err(PatchError::BadRequest(BAD_JSON_PATCH.to_string())),
    };
    let strict_errors = if strict {
        strict_prepass(&root)?
    } else {
        Vec::new()
    };
    let patched = merge_patch(doc, to_value(&root)).map_err(|e| PatchError::BadRequest(e.to_string()))?;
    Ok((patched, strict_errors))
}

/// `jsonpatch.MergePatch(doc, patch)` for an object document.
pub fn merge_patch(doc: Value, patch: Value) -> Result<Value, MergeError> {
    match patch {
        Value::Object(patch) => {
            let mut doc = match doc {
                Value::Object(map) => map,
                // Not a document: the patch (without its nulls) is the result.
                _ => return Ok(prune_nulls(Value::Object(patch))),
            };
            merge_docs(&mut doc, patch);
            Ok(Value::Object(doc))
        }
        Value::Array(_) => Ok(prune_nulls(patch)),
        _ => Err(MergeError::BadPatch),
    }
}

/// `mergeDocs`: every patch member merged into `doc`.
fn merge_docs(doc: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (k, v) in patch {
        if v.is_null() {
            doc.shift_remove(&k);
            continue;
        }
        match doc.get_mut(&k) {
            Some(cur) if !cur.is_null() => {
                let taken = std::mem::take(cur);
                *cur = merge(taken, v);
            }
            _ => {
                doc.insert(k, prune_nulls(v));
            }
        }
    }
    doc.sort_keys();
}

/// `merge(cur, patch)`: two objects merge; over an object any other patch value replaces as it is;
/// over a non-object the patch replaces without its nulls.
fn merge(cur: Value, patch: Value) -> Value {
    match (cur, patch) {
        (Value::Object(mut cur), Value::Object(patch)) => {
            merge_docs(&mut cur, patch);
            Value::Object(cur)
        }
        (Value::Object(_), patch) => patch,
        (_, patch) => prune_nulls(patch),
    }
}

/// `pruneNulls`: `null` members removed from every object (recursively, through arrays too);
/// `null` array elements are kept. Pruned objects get sorted keys.
fn prune_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, prune_nulls(v)))
                .collect();
            out.sort_keys();
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| if v.is_null() { v } else { prune_nulls(v) })
                .collect(),
        ),
        other => other,
    }
}

/// The merge patch that turns `original` into `modified` (RFC 7386 §2, inverted): members missing
/// from `modified` become `null`, changed objects recurse, anything else changed is copied.
/// `merge_patch(original, create_merge_patch(original, modified)) == modified` whenever `modified`
/// holds no `null` inside an object (a merge patch cannot set a member to `null`).
pub fn create_merge_patch(original: &Value, modified: &Value) -> Value {
    match (original, modified) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for k in a.keys() {
                if !b.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            for (k, bv) in b {
                match a.get(k) {
                    Some(av) if av == bv => {}
                    Some(av @ Value::Object(_)) if bv.is_object() => {
                        patch.insert(k.clone(), create_merge_patch(av, bv));
                    }
                    _ => {
                        patch.insert(k.clone(), bv.clone());
                    }
                }
            }
            Value::Object(patch)
        }
        (_, modified) => modified.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ep() -> Value {
        json!({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"ep1","labels":{"a":"b"}},
            "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80,"protocol":"TCP"}]}]})
    }

    fn run(doc: Value, patch: &str, strict: bool) -> Result<(Value, Vec<String>), PatchError> {
        apply_bytes(patch.as_bytes(), doc, strict)
    }

    #[test]
    fn label_p1() {
        let (out, errs) = run(ep(), r#"{"metadata":{"labels":{"x":"y"}}}"#, true).unwrap();
        assert!(errs.is_empty());
        assert_eq!(out["metadata"]["labels"], json!({"a":"b","x":"y"}));
        assert_eq!(out["subsets"], ep()["subsets"]);
    }

    #[test]
    fn null_deletes_and_lists_replace() {
        let (out, _) = run(
            ep(),
            r#"{"metadata":{"labels":null},"subsets":[{"addresses":[{"ip":"10.0.0.2","hostname":null}]}]}"#,
            true,
        )
        .unwrap();
        assert_eq!(out["metadata"], json!({"name":"ep1"}));
        assert_eq!(out["subsets"], json!([{"addresses":[{"ip":"10.0.0.2"}]}]));
    }

    #[test]
    fn errors_p18() {
        assert_eq!(
            run(ep(), "not json", true).unwrap_err().to_string(),
            "error decoding patch: invalid character 'o' in literal null (expecting 'u')"
        );
        assert_eq!(
            run(ep(), "not json", false).unwrap_err().to_string(),
            "Invalid JSON Patch"
        );
        assert_eq!(
            run(ep(), "[1]", true).unwrap_err().to_string(),
            "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(
            run(ep(), "null", true).unwrap_err().to_string(),
            "Invalid JSON Patch"
        );
        assert_eq!(
            run(ep(), "1", false).unwrap_err().to_string(),
            "Invalid JSON Patch"
        );
        // Ignore mode: an array replaces the document.
        assert_eq!(
            run(ep(), "[1,null,{\"a\":null}]", false).unwrap().0,
            json!([1, null, {}])
        );
    }

    #[test]
    fn duplicate_keys_are_strict_errors() {
        let (out, errs) = run(ep(), r#"{"metadata":{"labels":{"x":"1","x":"2"}}}"#, true).unwrap();
        assert_eq!(errs, [r#"duplicate field "metadata.labels.x""#]);
        assert_eq!(out["metadata"]["labels"]["x"], "2");
    }

    #[test]
    fn object_over_scalar_and_scalar_over_object() {
        let out = merge_patch(
            json!({"a":1,"b":{"c":1}}),
            json!({"a":{"x":null,"y":1},"b":[null]}),
        )
        .unwrap();
        assert_eq!(out, json!({"a":{"y":1},"b":[null]}));
    }

    #[test]
    fn touched_objects_are_sorted() {
        let out = merge_patch(
            json!({"z":1,"a":{"y":1,"b":1},"m":{"d":1,"c":1}}),
            json!({"a":{"x":1}}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"a":{"b":1,"x":1,"y":1},"m":{"d":1,"c":1},"z":1}"#
        );
    }

    #[test]
    fn create_merge_patch_examples() {
        let a = json!({"a":1,"b":{"c":1,"d":2},"l":[1,2]});
        let b = json!({"b":{"c":1,"e":3},"l":[2],"n":{"x":1}});
        let p = create_merge_patch(&a, &b);
        assert_eq!(p, json!({"a":null,"b":{"d":null,"e":3},"l":[2],"n":{"x":1}}));
        assert_eq!(merge_patch(a.clone(), p).unwrap(), b);
        assert_eq!(create_merge_patch(&a, &a), json!({}));
    }

    /// Any JSON value (nulls allowed), small.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            "[a-z]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A JSON value without any null (what a merge patch can produce).
    fn null_free_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            "[a-z]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn object_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
        prop::collection::btree_map("[a-e]", values, 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        /// `apply(a, create_merge_patch(a, b)) == b`.
        #[test]
        fn merge_patch_round_trips(a in object_of(any_json()), b in object_of(null_free_json())) {
            let patch = create_merge_patch(&a, &b);
            prop_assert_eq!(merge_patch(a, patch).unwrap(), b);
        }

    }
}

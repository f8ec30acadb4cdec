//! RFC 6902 JSON Patch (`application/json-patch+json`) with the semantics of
//! `gopkg.in/evanphx/json-patch.v4` (v4.12), which kube-apiserver uses (write-path §11.2).
//!
//! Upstream's quirks are kept, because clients see their results:
//! * `replace` of a missing object key adds it (only arrays check the index);
//! * negative array indices count from the end (`SupportNegativeIndices`);
//! * a path without a leading `/` addresses the root by its last segment, and `""` is missing;
//! * `test` compares an object by the keys of the *document's* value only (extra keys in the
//!   operation's value are ignored), and scalars by their JSON text (`1` is not `1.0`);
//! * `copy` from a missing object key adds `null`; copies are limited to 3 MiB in total;
//! * a `null` element or an unknown `op` fails as `Unexpected kind`.
//!
//! Every failure while applying becomes the generic 422 (the text is dropped upstream); the body
//! checks (the strict pre-pass under fieldValidation `Warn`/`Strict`, `DecodePatch`, the
//! 10000-operation limit) have their own 400/413 answers.

use std::collections::HashMap;

use serde_json::Value;

use super::{duplicate_fields, json_kind, parse_patch, to_value, PatchError};
use crate::decode::{go_strconv_quote, JsonValue};

/// `maxJSONPatchOperations`.
pub const MAX_OPERATIONS: usize = 10_000;

/// `AccumulatedCopySizeLimit` as kube-apiserver sets it: 3 MiB of `copy` in one patch.
pub const ACCUMULATED_COPY_SIZE_LIMIT: usize = 3 * 1024 * 1024;

/// One operation: its members as `map[string]*json.RawMessage` holds them (a later duplicate
/// wins; `None` is a JSON `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    members: HashMap<String, Option<Value>>,
}

/// A decoded JSON Patch (`jsonpatch.Patch`); a `null` element is an operation without members.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Patch(pub Vec<Operation>);

/// Why an operation failed (upstream's text, for logs and tests; the response is the generic 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ApplyError(pub String);

impl Operation {
    /// `Operation.Kind()`: the `op` string, or `unknown` when absent, null or not a string.
    pub fn kind(&self) -> &str {
        match self.members.get("op") {
            Some(Some(Value::String(s))) => s,
            _ => "unknown",
        }
    }

    fn string_member(&self, name: &str) -> Result<String, ApplyError> {
        match self.members.get(name) {
            Some(Some(Value::String(s))) => Ok(s.clone()),
            Some(Some(other)) => Err(ApplyError(format!(
                "json: cannot unmarshal {} into Go value of type string",
                value_kind(other)
            ))),
            _ => Err(ApplyError(format!("operation missing {name} field"))),
        }
    }

    /// `Operation.Path()`.
    pub fn path(&self) -> Result<String, ApplyError> {
        self.string_member("path")
    }

    /// `Operation.From()`.
    pub fn from(&self) -> Result<String, ApplyError> {
        self.string_member("from")
    }

    /// The `value` member (`null` when absent or null, as the patched document then holds).
    pub fn value(&self) -> Value {
        self.members
            .get("value")
            .cloned()
            .flatten()
            .unwrap_or(Value::Null)
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The strict pre-pass of `applyJSPatch` under fieldValidation `Warn`/`Strict`:
/// `kjson.UnmarshalStrict(patch, &[]jsonPatchOp{})`. A type error is the 400 `error decoding patch:
/// <err>`; unknown and duplicate fields are returned as `json patch unknown field "[0].x"`.
pub fn strict_prepass(root: &JsonValue) -> Result<Vec<String>, PatchError> {
    let bad = |e: String| PatchError::BadRequest(format!("error decoding patch: {e}"));
    let items = match root {
        JsonValue::Null => return Ok(Vec::new()),
        JsonValue::Array(items) => items,
        other => {
            return Err(bad(format!(
                "json: cannot unmarshal {} into Go value of type []handlers.jsonPatchOp",
                json_kind(other)
            )))
        }
    };
    let mut first_error: Option<String> = None;
    let mut strict = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let pairs = match item {
            JsonValue::Null => continue,
            JsonValue::Object(pairs) => pairs,
            other => {
                first_error.get_or_insert(format!(
                    "json: cannot unmarshal {} into Go value of type handlers.jsonPatchOp",
                    json_kind(other)
                ));
                continue;
            }
        };
        let mut seen = std::collections::HashSet::new();
        for (k, v) in pairs {
            let path = format!("[{i}].{k}");
            match k.as_str() {
                "op" | "path" | "from" => {
                    if !seen.insert(k.as_str()) {
                        strict.push(format!("duplicate field {}", go_strconv_quote(&path)));
                    }
                    if !matches!(v, JsonValue::Null | JsonValue::String(_)) {
                        first_error.get_or_insert(format!(
                            "json: cannot unmarshal {} into Go struct field jsonPatchOp.{k} of type string",
                            json_kind(v)
                        ));
                    }
                }
                "value" => {
                    if !seen.insert(k.as_str()) {
                        strict.push(format!("duplicate field {}", go_strconv_quote(&path)));
                    }
                    duplicate_fields(v, &path, &mut strict);
                }
                _ => strict.push(format!("unknown field {}", go_strconv_quote(&path))),
            }
        }
    }
    if let Some(e) = first_error {
        return Err(bad(e));
    }
    let mut out: Vec<String> = Vec::new();
    for e in strict {
        let e = format!("json patch {e}");
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// `jsonpatch.DecodePatch`: `json.Unmarshal` into `[]map[string]*json.RawMessage`; a failure is
/// the 400 with the raw error.
pub fn decode(root: &JsonValue) -> Result<Patch, PatchError> {
    let items = match root {
        JsonValue::Null => return Ok(Patch::default()),
        JsonValue::Array(items) => items,
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                json_kind(other)
            )))
        }
    };
    let mut ops = Vec::with_capacity(items.len());
    for item in items {
        let mut members = HashMap::new();
        match item {
            JsonValue::Null => {}
            JsonValue::Object(pairs) => {
                for (k, v) in pairs {
                    let v = match v {
                        JsonValue::Null => None,
                        v => Some(to_value(v)),
                    };
                    members.insert(k.clone(), v);
                }
            }
            other => {
                return Err(PatchError::BadRequest(format!(
                    "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                    json_kind(other)
                )))
            }
        }
        ops.push(Operation { members });
    }
    Ok(Patch(ops))
}

/// Applies a JSON Patch body to `doc` as `applyJSPatch` does: the strict pre-pass (when `strict`),
/// `DecodePatch`, the operation limit, then the operations. Returns the patched document and the
/// pre-pass's strict errors.
pub fn apply_bytes(body: &[u8], doc: Value, strict: bool) -> Result<(Value, Vec<String>), PatchError> {
    let root = match parse_patch(body) {
        Ok(root) => root,
        Err(e) if strict => return Err(PatchError::BadRequest(format!("error decoding patch: {e}"))),
        Err(e) => return Err(PatchError::BadRequest(e)),
    };
    let strict_errors = if strict {
        strict_prepass(&root)?
    } else {
        Vec::new()
    };
    let patch = decode(&root)?;
    if patch.0.len() > MAX_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            max: MAX_OPERATIONS,
            got: patch.0.len(),
        });
    }
    let mut doc = doc;
    patch
        .apply(&mut doc)
        .map_err(|e| PatchError::Unprocessable(e.0))?;
    Ok((doc, strict_errors))
}

impl Patch {
    /// `Patch.Apply`: runs every operation in order; the first failure aborts.
    pub fn apply(&self, doc: &mut Value) -> Result<(), ApplyError> {
        if let Value::Object(map) = doc {
            map.sort_keys();
        }
        let mut copied = 0usize;
        for op in &self.0 {
            match op.kind() {
                "add" => add(doc, op)?,
                "remove" => remove(doc, op)?,
                "replace" => replace(doc, op)?,
                "move" => move_op(doc, op)?,
                "test" => test(doc, op)?,
                "copy" => copy(doc, op, &mut copied)?,
                other => return Err(ApplyError(format!("Unexpected kind: {other}"))),
            }
        }
        Ok(())
    }
}

/// RFC 6901 unescaping (`~1` → `/`, `~0` → `~`, left to right).
fn decode_key(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.peek() {
                Some('1') => {
                    chars.next();
                    out.push('/');
                    continue;
                }
                Some('0') => {
                    chars.next();
                    out.push('~');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Go's `strconv.Atoi` (an optional sign, decimal digits, int64 range).
fn atoi(key: &str) -> Option<i64> {
    let digits = key.strip_prefix(['+', '-']).unwrap_or(key);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

/// An index for reading, replacing or removing (negative counts from the end).
fn existing_index(key: &str, len: usize) -> Result<usize, ApplyError> {
    let idx = atoi(key).ok_or_else(|| {
        ApplyError(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            go_strconv_quote(key)
        ))
    })?;
    let len_i = len as i64;
    if idx >= len_i || idx < -len_i {
        return Err(ApplyError(format!(
            "Unable to access invalid index: {idx}: invalid index referenced"
        )));
    }
    Ok(if idx < 0 {
        (idx + len_i) as usize
    } else {
        idx as usize
    })
}

/// `findObject`: the container holding the last segment of `path` and that segment (decoded).
/// Objects on the way are marked as re-encoded (their keys sorted, as Go marshals a map).
fn find_object<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let split: Vec<&str> = path.split('/').collect();
    if split.len() < 2 {
        return None;
    }
    let key = decode_key(split[split.len() - 1]);
    let mut cur = doc;
    for part in &split[1..split.len() - 1] {
        let part = decode_key(part);
        let next = match cur {
            Value::Object(map) => map.get_mut(&part),
            Value::Array(items) => {
                let idx = existing_index(&part, items.len()).ok()?;
                items.get_mut(idx)
            }
            _ => None,
        }?;
        match next {
            Value::Object(map) => map.sort_keys(),
            Value::Array(_) => {}
            _ => return None,
        }
        cur = next;
    }
    Some((cur, key))
}

/// `container.get`: `Ok(None)` for a missing or null object member.
fn get<'a>(con: &'a Value, key: &str) -> Result<Option<&'a Value>, ApplyError> {
    match con {
        Value::Object(map) => Ok(map.get(key).filter(|v| !v.is_null())),
        Value::Array(items) => {
            let idx = existing_index(key, items.len())?;
            Ok(items.get(idx).filter(|v| !v.is_null()))
        }
        _ => Err(ApplyError("invalid state detected".to_string())),
    }
}

/// `container.add`: an object member is set; an array element is inserted (`-` appends, the index
/// may equal the length, negative counts from the end of the grown array).
fn add_to(con: &mut Value, key: &str, val: Value) -> Result<(), ApplyError> {
    match con {
        Value::Object(map) => {
            map.insert(key.to_string(), val);
            map.sort_keys();
            Ok(())
        }
        Value::Array(items) => {
            if key == "-" {
                items.push(val);
                return Ok(());
            }
            let idx = atoi(key)
                .ok_or_else(|| ApplyError(format!("value was not a proper array index: '{key}'")))?;
            let size = items.len() as i64 + 1;
            if idx >= size || idx < -size {
                return Err(ApplyError(format!("Unable to access invalid index: {idx}")));
            }
            let idx = if idx < 0 { idx + size } else { idx } as usize;
            items.insert(idx, val);
            Ok(())
        }
        _ => Err(ApplyError("invalid state detected".to_string())),
    }
}

/// `container.set` (only after a successful `get`).
fn set_in(con: &mut Value, key: &str, val: Value) -> Result<(), ApplyError> {
    match con {
        Value::Object(map) => {
            map.insert(key.to_string(), val);
            map.sort_keys();
            Ok(())
        }
        Value::Array(items) => {
            let idx = existing_index(key, items.len())?;
            items[idx] = val;
            Ok(())
        }
        _ => Err(ApplyError("invalid state detected".to_string())),
    }
}

/// `container.remove`: a missing object member or a bad index fails.
fn remove_from(con: &mut Value, key: &str) -> Result<Value, ApplyError> {
    match con {
        Value::Object(map) => map
            .shift_remove(key)
            .ok_or_else(|| ApplyError(format!("Unable to remove nonexistent key: {key}: missing value"))),
        Value::Array(items) => {
            let idx = existing_index(key, items.len())?;
            Ok(items.remove(idx))
        }
        _ => Err(ApplyError("invalid state detected".to_string())),
    }
}

fn missing(op: &str, path: &str) -> ApplyError {
    ApplyError(format!(
        "{op} operation does not apply: doc is missing path: \"{path}\": missing value"
    ))
}

fn add(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let path = op.path()?;
    let (con, key) = find_object(doc, &path).ok_or_else(|| missing("add", &path))?;
    add_to(con, &key, op.value())
}

fn remove(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let path = op.path()?;
    let (con, key) = find_object(doc, &path).ok_or_else(|| missing("remove", &path))?;
    remove_from(con, &key).map(|_| ())
}

fn replace(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let path = op.path()?;
    let (con, key) = find_object(doc, &path).ok_or_else(|| missing("replace", &path))?;
    get(con, &key)?;
    set_in(con, &key, op.value())
}

fn move_op(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let from = op.from()?;
    let (con, key) = find_object(doc, &from).ok_or_else(|| missing("move", &from))?;
    get(con, &key)?;
    let val = remove_from(con, &key)?;
    let path = op.path()?;
    let (con, key) = find_object(doc, &path).ok_or_else(|| missing("move", &path))?;
    add_to(con, &key, val)
}

fn test(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let path = op.path()?;
    let (con, key) = find_object(doc, &path).ok_or_else(|| missing("test", &path))?;
    let failed = || ApplyError(format!("testing value {path} failed: test failed"));
    let expected = op.value();
    match get(con, &key)? {
        None if expected.is_null() => Ok(()),
        None => Err(failed()),
        Some(_) if expected.is_null() => Err(failed()),
        Some(actual) if go_equal(actual, &expected) => Ok(()),
        Some(_) => Err(failed()),
    }
}

fn copy(doc: &mut Value, op: &Operation, copied: &mut usize) -> Result<(), ApplyError> {
    let from = op.from()?;
    let (con, key) = find_object(doc, &from).ok_or_else(|| missing("copy", &from))?;
    let val = get(con, &key)?.cloned();
    let path = op.path()?;
    let size = match &val {
        Some(v) => crate::json::to_vec(v).map(|b| b.len()).unwrap_or(0),
        None => 0,
    };
    *copied += size;
    if *copied > ACCUMULATED_COPY_SIZE_LIMIT {
        return Err(ApplyError(format!(
            "Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {ACCUMULATED_COPY_SIZE_LIMIT}"
        )));
    }
    let (con, key) = find_object(doc, &path).ok_or_else(|| missing("copy", &path))?;
    add_to(con, &key, val.unwrap_or(Value::Null))
}

/// `lazyNode.equal(doc, op)`: objects compare over the document's keys only (each must be in the
/// operation's value, with an equal value), arrays element-wise, scalars by their JSON (so a
/// number written differently is different).
pub fn go_equal(doc: &Value, op: &Value) -> bool {
    match (doc, op) {
        (Value::Object(d), Value::Object(o)) => d.iter().all(|(k, dv)| match o.get(k) {
            None => false,
            Some(ov) => match (dv.is_null(), ov.is_null()) {
                (true, true) => true,
                (false, false) => go_equal(dv, ov),
                _ => false,
            },
        }),
        (Value::Object(_), _) => false,
        (Value::Array(d), Value::Array(o)) => {
            d.len() == o.len()
                && d.iter()
                    .zip(o)
                    .all(|(dv, ov)| match (dv.is_null(), ov.is_null()) {
                        (true, true) => true,
                        (false, false) => go_equal(dv, ov),
                        _ => false,
                    })
        }
        (Value::Array(_), _) => false,
        (d, o) => d == o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: Value, patch: &str) -> Result<Value, PatchError> {
        apply_bytes(patch.as_bytes(), doc, true).map(|(v, _)| v)
    }

    fn ep() -> Value {
        json!({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"ep1","labels":{"a":"b"}},
            "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80,"protocol":"TCP"}]}]})
    }

    #[test]
    fn add_label_p3() {
        let out = run(ep(), r#"[{"op":"add","path":"/metadata/labels/x","value":"y"}]"#).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"a":"b","x":"y"}));
    }

    #[test]
    fn failed_test_is_unprocessable_p4() {
        let err = run(ep(), r#"[{"op":"test","path":"/metadata/name","value":"zzz"}]"#).unwrap_err();
        assert_eq!(
            err,
            PatchError::Unprocessable("testing value /metadata/name failed: test failed".into())
        );
        assert_eq!(err.to_status().code, 422);
        assert_eq!(err.to_status().message, super::super::GENERIC_422_MESSAGE);
    }

    #[test]
    fn object_body_p5() {
        let err = run(ep(), r#"{"op":"add"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
        );
        // Ignore mode: DecodePatch's raw error.
        let err = apply_bytes(br#"{"op":"add"}"#, ep(), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
    }

    #[test]
    fn too_many_operations_p6() {
        let ops: Vec<String> = (0..10001)
            .map(|_| r#"{"op":"test","path":"/kind","value":"Endpoints"}"#.to_string())
            .collect();
        let err = run(ep(), &format!("[{}]", ops.join(","))).unwrap_err();
        assert_eq!(
            err,
            PatchError::TooManyOperations {
                max: 10000,
                got: 10001
            }
        );
        assert_eq!(
            err.to_status().message,
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
        let ops: Vec<String> = (0..10000)
            .map(|_| r#"{"op":"test","path":"/kind","value":"Endpoints"}"#.to_string())
            .collect();
        assert!(run(ep(), &format!("[{}]", ops.join(","))).is_ok());
    }

    #[test]
    fn syntax_and_type_errors() {
        assert_eq!(
            run(ep(), "not json").unwrap_err().to_string(),
            "error decoding patch: invalid character 'o' in literal null (expecting 'u')"
        );
        assert_eq!(
            run(ep(), r#"[{"op":1}]"#).unwrap_err().to_string(),
            "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"
        );
        assert_eq!(
            run(ep(), "[1]").unwrap_err().to_string(),
            "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"
        );
    }

    #[test]
    fn strict_errors_are_prefixed() {
        let (_, errs) = apply_bytes(
            br#"[{"op":"add","path":"/metadata/labels/x","value":{"a":1,"a":2},"foo":1,"op":"add"}]"#,
            ep(),
            true,
        )
        .unwrap();
        assert_eq!(
            errs,
            [
                r#"json patch duplicate field "[0].value.a""#,
                r#"json patch unknown field "[0].foo""#,
                r#"json patch duplicate field "[0].op""#
            ]
        );
    }

    #[test]
    fn evanphx_quirks() {
        // replace of a missing member adds it.
        let out = run(
            ep(),
            r#"[{"op":"replace","path":"/metadata/labels/new","value":"v"}]"#,
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"]["new"], "v");
        // negative indices count from the end.
        let doc = json!({"l":[1,2,3]});
        assert_eq!(
            run(doc.clone(), r#"[{"op":"remove","path":"/l/-1"}]"#).unwrap(),
            json!({"l":[1,2]})
        );
        assert_eq!(
            run(doc.clone(), r#"[{"op":"add","path":"/l/-1","value":9}]"#).unwrap(),
            json!({"l":[1,2,3,9]})
        );
        assert_eq!(
            run(doc.clone(), r#"[{"op":"add","path":"/l/3","value":9}]"#).unwrap(),
            json!({"l":[1,2,3,9]})
        );
        assert!(run(doc.clone(), r#"[{"op":"add","path":"/l/5","value":9}]"#).is_err());
        // test compares over the document's keys only.
        assert!(run(
            json!({"o":{"a":1}}),
            r#"[{"op":"test","path":"/o","value":{"a":1,"b":2}}]"#
        )
        .is_ok());
        assert!(run(
            json!({"o":{"a":1,"b":2}}),
            r#"[{"op":"test","path":"/o","value":{"a":1}}]"#
        )
        .is_err());
        // numbers compare by their text.
        assert!(run(json!({"n":1}), r#"[{"op":"test","path":"/n","value":1.0}]"#).is_err());
        // test of a missing member against null passes.
        assert!(run(json!({}), r#"[{"op":"test","path":"/x","value":null}]"#).is_ok());
        // copy from a missing member adds null.
        assert_eq!(
            run(json!({}), r#"[{"op":"copy","from":"/x","path":"/y"}]"#).unwrap(),
            json!({"y":null})
        );
        // move.
        assert_eq!(
            run(
                json!({"a":{"b":1}}),
                r#"[{"op":"move","from":"/a/b","path":"/c"}]"#
            )
            .unwrap(),
            json!({"a":{},"c":1})
        );
        // unknown op, null op, missing path.
        for p in [
            r#"[{"op":"frob","path":"/a"}]"#,
            "[null]",
            r#"[{"op":"add"}]"#,
            r#"[{"op":"remove","path":"/nope"}]"#,
        ] {
            assert!(
                matches!(run(json!({}), p), Err(PatchError::Unprocessable(_))),
                "{p}"
            );
        }
        // RFC 6901 escapes.
        let out = run(
            json!({"a/b":{"~":1}}),
            r#"[{"op":"replace","path":"/a~1b/~0","value":2}]"#,
        )
        .unwrap();
        assert_eq!(out, json!({"a/b":{"~":2}}));
        // null patch: nothing to do.
        assert_eq!(run(json!({"a":1}), "null").unwrap(), json!({"a":1}));
    }

    #[test]
    fn copy_limit() {
        let big = "x".repeat(1024 * 1024);
        let doc = json!({ "a": big });
        let ops = r#"[{"op":"copy","from":"/a","path":"/b"},{"op":"copy","from":"/a","path":"/c"},{"op":"copy","from":"/a","path":"/d"}]"#;
        assert!(matches!(run(doc.clone(), ops), Err(PatchError::Unprocessable(_))));
        assert!(run(doc, r#"[{"op":"copy","from":"/a","path":"/b"}]"#).is_ok());
    }

    #[test]
    fn traversed_objects_are_sorted() {
        let out = run(
            json!({"z":1,"m":{"y":1,"b":2},"a":{"d":1,"c":2}}),
            r#"[{"op":"add","path":"/m/x","value":1}]"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"a":{"d":1,"c":2},"m":{"b":2,"x":1,"y":1},"z":1}"#
        );
    }
}

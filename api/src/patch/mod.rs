//! PATCH bodies (write-path §11): the three non-apply patch formats, applied to the JSON of the
//! current object exactly as kube-apiserver's `patch.go` applies them.
//!
//! * [`json`]: RFC 6902 JSON Patch with the semantics of `gopkg.in/evanphx/json-patch.v4`
//!   (`application/json-patch+json`).
//! * [`merge`]: RFC 7386 JSON Merge Patch as evanphx's `MergePatch` applies it, plus
//!   [`merge::create_merge_patch`] (`application/merge-patch+json`).
//! * [`strategic`]: strategic merge patch for the Endpoints schema, as apimachinery's
//!   `strategicpatch.StrategicMergeMapPatch` applies it (`application/strategic-merge-patch+json`).
//!
//! [`apply_patch`] runs one of them the way the patch handler's `jsonPatcher` / `smpPatcher` do:
//! the fieldValidation pre-pass over the patch body, the patch itself, then the strict decode of the
//! result into [`Endpoints`], mapping every failure to upstream's Status (`error decoding patch:
//! ...` 400s, the 413 for too many JSON Patch operations, the generic 422 of a failed operation, the
//! ` "" is invalid: patch: Invalid value: ...` 422 of an undecodable or (under `Strict`) unknown-field
//! result). Errors upstream answers with a 500 although the client is at fault are 400s with the
//! same text here (spec README decision 2).

pub mod json;
pub mod merge;
pub mod strategic;

use std::fmt::Write as _;

use serde_json::Value;

use crate::decode::{deserialize, parse_json, strict_decoding_error_message, BodyFormat, JsonValue};
use crate::field_error::{BadValue, FieldError};
use crate::options::FieldValidation;
use crate::status::{Status, StatusDetails, StatusReason};
use crate::types::Endpoints;
use crate::warnings::strict_decoding_warnings;

/// The deepest patch document accepted. Go accepts 10000 levels; the patchers here recurse, so
/// they stop far earlier than any real patch needs (a deeper patch is a 400).
pub const MAX_PATCH_DEPTH: usize = 1000;

/// The message of `NewGenericServerResponse(422, ...)`.
pub const GENERIC_422_MESSAGE: &str = "the server rejected our request due to an error in our request";

/// The patch types of the PATCH route, by Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchType {
    /// The media types the route consumes, in upstream's order.
    pub const MEDIA_TYPES: [&'static str; 4] = [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    ];

    /// The patch type of a bare media type (no parameters), matched exactly as upstream does.
    pub fn from_media_type(media: &str) -> Option<PatchType> {
        match media {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }

    /// The media type of this patch type.
    pub fn media_type(self) -> &'static str {
        match self {
            PatchType::Json => Self::MEDIA_TYPES[0],
            PatchType::Merge => Self::MEDIA_TYPES[1],
            PatchType::Strategic => Self::MEDIA_TYPES[2],
            PatchType::Apply => Self::MEDIA_TYPES[3],
        }
    }
}

/// Why a patch could not be applied, with the response each failure maps to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// 400 BadRequest with this message (`error decoding patch: ...`, `Invalid JSON Patch`,
    /// `invalid patch format of retainKeys`, ...).
    #[error("{0}")]
    BadRequest(String),
    /// 413: more than 10000 JSON Patch operations.
    #[error("The allowed maximum operations in a JSON patch is {max}, got {got}")]
    TooManyOperations {
        /// The limit.
        max: usize,
        /// The number of operations sent.
        got: usize,
    },
    /// The generic 422 (`NewGenericServerResponse`): a JSON Patch operation failed, or a strategic
    /// patch hit `lists of lists are not supported` / `patch content doesn't match retainKeys list`.
    /// The text is upstream's underlying error, which the response does not carry.
    #[error("{0}")]
    Unprocessable(String),
    /// An error upstream passes through raw (a 500 there): a 400 with the same text here.
    #[error("{0}")]
    Raw(String),
}

impl PatchError {
    /// The Status of this error.
    pub fn to_status(&self) -> Status {
        match self {
            PatchError::BadRequest(msg) | PatchError::Raw(msg) => Status::bad_request(msg.clone()),
            PatchError::TooManyOperations { .. } => Status::request_entity_too_large(&self.to_string()),
            PatchError::Unprocessable(_) => generic_unprocessable(),
        }
    }
}

/// `NewGenericServerResponse(422, "", GroupResource{}, "", msg, 0, false)`: the underlying text is
/// dropped; `details` is `{}`.
pub fn generic_unprocessable() -> Status {
    Status::failure(422, StatusReason::Invalid, GENERIC_422_MESSAGE).with_details(StatusDetails::default())
}

/// `NewInvalid(GroupKind{}, "", [field.Invalid("patch", value, detail)])`: the 422 of a patched
/// result that does not decode (message `"" is invalid: patch: Invalid value: "<value>": <detail>`
/// with a leading space, details holding only the cause).
pub fn invalid_patch_result(value: &str, detail: &str) -> Status {
    let err = FieldError::invalid("patch", BadValue::Str(value.to_string()), detail);
    Status::invalid("", "", "", &[err])
}

/// A patch applied to the current object, decoded and defaulted.
#[derive(Debug, Clone, PartialEq)]
pub struct Patched {
    /// The patched object.
    pub object: Endpoints,
    /// Strict decoding warnings to send (fieldValidation `Warn`).
    pub warnings: Vec<String>,
}

/// Applies a JSON, merge or strategic merge patch to `current` (the JSON of the current object)
/// and decodes the result as `jsonPatcher` / `smpPatcher` do. Server-side apply is not a patch of
/// the stored JSON: the apply handler merges with `managed_fields::apply`, and never calls this with
/// [`PatchType::Apply`].
pub fn apply_patch(
    kind: PatchType,
    patch: &[u8],
    current: &[u8],
    validation: FieldValidation,
) -> Result<Patched, Status> {
    let strict = validation != FieldValidation::Ignore;
    let current_value: Value = serde_json::from_slice(current)
        .map_err(|e| Status::internal(&format!("stored object is not JSON: {e}")))?;
    match kind {
        PatchType::Json | PatchType::Merge => {
            let (patched, patch_strict_errors) = if kind == PatchType::Json {
                json::apply_bytes(patch, current_value, strict).map_err(|e| e.to_status())?
            } else {
                merge::apply_bytes(patch, current_value, strict).map_err(|e| e.to_status())?
            };
            let text = crate::json::to_vec(&patched).map_err(|e| Status::internal(&e.to_string()))?;
            let text = String::from_utf8_lossy(&text).into_owned();
            decode_result(&text, &text, patch_strict_errors, validation)
        }
        PatchType::Strategic => {
            let (patched, mut patch_map, patch_strict_errors) =
                strategic::apply_bytes(patch, current_value, strict).map_err(|e| e.to_status())?;
            let text = crate::json::to_vec(&patched).map_err(|e| Status::internal(&e.to_string()))?;
            let text = String::from_utf8_lossy(&text).into_owned();
            let shown = go_format(&std::mem::take(&mut patch_map));
            decode_result(&text, &shown, patch_strict_errors, validation)
        }
        PatchType::Apply => Err(Status::internal("server-side apply is not a JSON-document patch")),
    }
}

/// Decodes the patched JSON `text` strictly (unless `Ignore`); `shown` is what a 422 prints as the
/// bad value (the patched JSON, or the patch map for a strategic patch).
fn decode_result(
    text: &str,
    shown: &str,
    mut strict_errors: Vec<String>,
    validation: FieldValidation,
) -> Result<Patched, Status> {
    let strict = validation != FieldValidation::Ignore;
    let decoded = deserialize(text.as_bytes(), BodyFormat::Json, strict)
        .map_err(|e| invalid_patch_result(shown, &e.message))?;
    strict_errors.extend(decoded.strict_errors);
    if !decoded.gvk.group.is_empty() || decoded.gvk.version != crate::types::endpoints::API_VERSION {
        return Err(invalid_patch_result(
            shown,
            &format!(
                "the API version in the data ({}) does not match the expected API version (v1)",
                decoded.gvk.group_version()
            ),
        ));
    }
    let mut warnings = Vec::new();
    if !strict_errors.is_empty() {
        match validation {
            FieldValidation::Warn => warnings = strict_decoding_warnings(&strict_errors),
            FieldValidation::Strict => {
                return Err(invalid_patch_result(
                    shown,
                    &strict_decoding_error_message(&strict_errors),
                ))
            }
            FieldValidation::Ignore => {}
        }
    }
    Ok(Patched {
        object: decoded.object,
        warnings,
    })
}

// ---------------------------------------------------------------------------------------------
// Shared helpers: parsing, strict checks, Go formatting.

/// Parses a patch body as Go's `encoding/json` does (Go's syntax error texts), bounded to
/// [`MAX_PATCH_DEPTH`] levels.
pub fn parse_patch(data: &[u8]) -> Result<JsonValue, String> {
    let root = parse_json(data).map_err(|e| e.0)?;
    if depth(&root) > MAX_PATCH_DEPTH {
        return Err(format!("json: exceeded max depth of {MAX_PATCH_DEPTH}"));
    }
    Ok(root)
}

/// The nesting depth of a parsed value (a scalar is 0), computed without recursion.
pub fn depth(v: &JsonValue) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&JsonValue, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            JsonValue::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            JsonValue::Object(pairs) => stack.extend(pairs.iter().map(|(_, i)| (i, d + 1))),
            _ => {}
        }
    }
    max
}

/// What Go calls a JSON value in type errors.
pub fn json_kind(v: &JsonValue) -> &'static str {
    match v {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "bool",
        JsonValue::Number(_) => "number",
        JsonValue::String(_) => "string",
        JsonValue::Array(_) => "array",
        JsonValue::Object(_) => "object",
    }
}

/// `duplicate field "<path>"` for every repeated key, in document order, with sigs.k8s.io/json's
/// paths (`a.b`, `a[0].b`, `[0].b` at the top of an array). `prefix` is the path so far.
pub fn duplicate_fields(v: &JsonValue, prefix: &str, out: &mut Vec<String>) {
    match v {
        JsonValue::Object(pairs) => {
            let mut seen = std::collections::HashSet::new();
            for (k, val) in pairs {
                let path = join_key(prefix, k);
                if !seen.insert(k.as_str()) {
                    out.push(format!(
                        "duplicate field {}",
                        crate::decode::go_strconv_quote(&path)
                    ));
                }
                duplicate_fields(val, &path, out);
            }
        }
        JsonValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                duplicate_fields(item, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// A strict-error path with `key` appended (`key` alone at the top).
pub fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Converts a parsed value to a [`Value`] as Go's `json.Unmarshal` into `interface{}` would read it
/// (a later duplicate key wins). Callers bound the depth with [`parse_patch`].
pub fn to_value(v: &JsonValue) -> Value {
    v.to_serde()
}

/// Go's `%v` (and `%+v`) of a value decoded into `interface{}`: `map[k:v ...]` with sorted keys,
/// `[a b]`, `<nil>`, strings bare, numbers as Go prints int64 / float64.
pub fn go_format(v: &Value) -> String {
    let mut out = String::new();
    write_go(v, &mut out);
    out
}

fn write_go(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_go(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                if let Some(val) = map.get(k.as_str()) {
                    write_go(val, out);
                }
            }
            out.push(']');
        }
    }
}

/// An integer as Go's int64 prints it; any other number as [`go_float_v`].
fn go_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    go_float_v(n.as_f64().unwrap_or(0.0))
}

/// `fmt.Sprint(float64)`: `strconv.FormatFloat(f, 'g', -1, 64)` (shortest digits; `%e` form when
/// the decimal exponent is < -4 or >= 6, the precision `'g'` uses for the shortest form).
pub fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".to_string()
        } else {
            "-Inf".to_string()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".to_string()
        } else {
            "0".to_string()
        };
    }
    // Shortest round-trip digits and the decimal exponent.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = String::new();
        m.push_str(&digits[..1]);
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        let mut out = format!("{sign}{m}e{esign}");
        let _ = write!(out, "{:02}", exp.abs());
        return out;
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = (exp + 1) as usize;
    if digits.len() <= int_len {
        format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

/// `reflect.TypeOf(v).String()` of a value decoded into `interface{}` (with sigs.k8s.io/json's
/// int64 for integers), as `mergepatch.ErrBadArgType` prints it; `%!s(<nil>)` for nil.
pub fn go_type_name(v: Option<&Value>) -> &'static str {
    match v {
        None | Some(Value::Null) => "%!s(<nil>)",
        Some(Value::Bool(_)) => "bool",
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => "int64",
        Some(Value::Number(_)) => "float64",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "[]interface {}",
        Some(Value::Object(_)) => "map[string]interface {}",
    }
}

/// Go's `%s` of an `interface{}` value: strings bare, other scalars as `%!s(T=v)`, composites
/// formatted element by element.
pub fn go_format_s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "%!s(<nil>)".to_string(),
        Value::Bool(b) => format!("%!s(bool={b})"),
        Value::Number(n) => format!("%!s({}={})", go_type_name(Some(v)), go_number(n)),
        other => go_format(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_format_matches_fmt() {
        let v =
            json!({"metadata":{"labels":{"b":"2","a":"1"}},"foo":"bar","n":80,"f":1.5,"l":[1,"x",null,true]});
        assert_eq!(
            go_format(&v),
            "map[f:1.5 foo:bar l:[1 x <nil> true] metadata:map[labels:map[a:1 b:2]] n:80]"
        );
        assert_eq!(go_format(&json!({})), "map[]");
    }

    #[test]
    fn go_float_v_matches_strconv() {
        let cases = [
            (1.5, "1.5"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (-2.25, "-2.25"),
            (100.0, "100"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float_v(f), want, "{f}");
        }
    }

    #[test]
    fn duplicate_field_paths() {
        let v = parse_patch(br#"{"a":1,"a":2,"m":{"x":{"y":1,"y":2}},"l":[{"k":1,"k":1}]}"#).unwrap();
        let mut out = Vec::new();
        duplicate_fields(&v, "", &mut out);
        assert_eq!(
            out,
            [
                r#"duplicate field "a""#,
                r#"duplicate field "m.x.y""#,
                r#"duplicate field "l[0].k""#
            ]
        );
    }

    #[test]
    fn type_names() {
        assert_eq!(go_type_name(Some(&json!("x"))), "string");
        assert_eq!(go_type_name(Some(&json!(1))), "int64");
        assert_eq!(go_type_name(Some(&json!(1.5))), "float64");
        assert_eq!(go_type_name(Some(&json!([]))), "[]interface {}");
        assert_eq!(go_type_name(Some(&json!({}))), "map[string]interface {}");
        assert_eq!(go_type_name(None), "%!s(<nil>)");
        assert_eq!(go_format_s(&json!(1)), "%!s(int64=1)");
    }
}

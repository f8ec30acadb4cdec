//! Field errors as apimachinery renders them (`k8s.io/apimachinery/pkg/util/validation/field/errors.go`).
//!
//! A [`FieldError`] prints as `<field>: <ErrorBody>`; a list of them aggregates into the message of a 422
//! `Invalid` Status (deduplicated, `[a, b]` when there are several), while every error, duplicates
//! included, becomes one `details.causes` entry.

use std::fmt;

/// The kind of a field error; each has a fixed display string and a `StatusCause.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// `Required value`
    Required,
    /// `Invalid value`
    Invalid,
    /// `Unsupported value`
    NotSupported,
    /// `Forbidden`
    Forbidden,
    /// `Too long`
    TooLong,
    /// `Too many`
    TooMany,
    /// `Duplicate value`
    Duplicate,
    /// `Not found`
    NotFound,
    /// `Invalid value` with a type mismatch
    TypeInvalid,
    /// `Internal error`
    Internal,
}

impl ErrorType {
    /// The text apimachinery prints for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::NotFound => "Not found",
            ErrorType::TypeInvalid => "Invalid value",
            ErrorType::Internal => "Internal error",
        }
    }

    /// The `StatusCause.reason` for this type (`FieldValueInvalid`, ...).
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
            ErrorType::Internal => "InternalError",
        }
    }

    /// Whether the body omits the bad value (`Required`, `Forbidden`, `TooLong`, `Internal`).
    fn omits_value(self) -> bool {
        matches!(
            self,
            ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong | ErrorType::Internal
        )
    }
}

/// The offending value, rendered as Go's `%v`/`%q`/JSON would render it in 1.34.
#[derive(Debug, Clone, PartialEq)]
pub enum BadValue {
    /// A Go string, printed quoted (`%q`).
    Str(String),
    /// An integer, printed bare.
    Int(i64),
    /// A boolean, printed bare.
    Bool(bool),
    /// A pre-rendered value printed as is (1.34 renders slices and structs as JSON: `["x"]`).
    Raw(String),
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadValue::Str(s) => f.write_str(&go_quote(s)),
            BadValue::Int(i) => write!(f, "{i}"),
            BadValue::Bool(b) => write!(f, "{b}"),
            BadValue::Raw(s) => f.write_str(s),
        }
    }
}

/// One field error: a type, a field path (`subsets[0].ports[0].port`), an optional value and a detail.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// What is wrong.
    pub kind: ErrorType,
    /// The field path, `a.b[3].c` / `a[key]`.
    pub field: String,
    /// The bad value, when the type prints one.
    pub value: Option<BadValue>,
    /// The explanation after the value.
    pub detail: String,
}

impl FieldError {
    /// `Invalid value: <value>: <detail>`.
    pub fn invalid(field: impl Into<String>, value: BadValue, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Invalid, field, Some(value), detail)
    }

    /// `Required value: <detail>`.
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Required, field, None, detail)
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Forbidden, field, None, detail)
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(field: impl Into<String>, value: BadValue, valid: &[&str]) -> Self {
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, field, Some(value), detail)
    }

    /// `Too long: may not be more than <max> bytes` (1.34 says `byte` when max is 1).
    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        let unit = if max == 1 { "byte" } else { "bytes" };
        Self::new(
            ErrorType::TooLong,
            field,
            None,
            format!("may not be more than {max} {unit}"),
        )
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(field: impl Into<String>, value: BadValue) -> Self {
        Self::new(ErrorType::Duplicate, field, Some(value), "")
    }

    /// Any type with all parts given.
    pub fn new(
        kind: ErrorType,
        field: impl Into<String>,
        value: Option<BadValue>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            value,
            detail: detail.into(),
        }
    }

    /// The error without its field: what `StatusCause.message` carries.
    pub fn body(&self) -> String {
        let mut out = self.kind.as_str().to_string();
        if !self.kind.omits_value() {
            out.push_str(": ");
            match &self.value {
                Some(v) => out.push_str(&v.to_string()),
                None => out.push_str("<nil>"),
            }
        }
        if !self.detail.is_empty() {
            out.push_str(": ");
            out.push_str(&self.detail);
        }
        out
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// `ErrorList.ToAggregate().Error()`: deduplicated in first-seen order; one error bare, several as
/// `[e1, e2]`; `None` for an empty list.
pub fn aggregate(errors: &[FieldError]) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let s = e.to_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    match seen.len() {
        0 => None,
        1 => seen.pop(),
        _ => Some(format!("[{}]", seen.join(", "))),
    }
}

/// Go's `strconv.Quote` for the strings that occur in field errors: `"` and `\` escaped, control
/// characters as `\n`, `\t`, `\x00`-style escapes, everything printable kept.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_shape_like_apimachinery() {
        let cases = [
            (
                FieldError::invalid(
                    "subsets[0].ports[0].port",
                    BadValue::Int(0),
                    "must be between 1 and 65535, inclusive",
                ),
                "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            ),
            (
                FieldError::forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ),
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            ),
            (
                FieldError::not_supported(
                    "resourceVersionMatch",
                    BadValue::Str("Foo".into()),
                    &["Exact", "NotOlderThan", ""],
                ),
                "resourceVersionMatch: Unsupported value: \"Foo\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
            ),
            (
                FieldError::too_long("fieldManager", 128),
                "fieldManager: Too long: may not be more than 128 bytes",
            ),
            (
                FieldError::required("metadata.name", "name or generateName is required"),
                "metadata.name: Required value: name or generateName is required",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn aggregate_dedups_and_brackets() {
        let a = FieldError::required("a", "x");
        let b = FieldError::required("b", "y");
        assert_eq!(aggregate(&[]), None);
        assert_eq!(
            aggregate(&[a.clone(), a.clone()]).as_deref(),
            Some("a: Required value: x")
        );
        assert_eq!(
            aggregate(&[a.clone(), b, a]).as_deref(),
            Some("[a: Required value: x, b: Required value: y]")
        );
    }

    #[test]
    fn go_quote_escapes() {
        assert_eq!(go_quote("a\"b\\c\n\u{0}"), "\"a\\\"b\\\\c\\n\\x00\"");
    }
}

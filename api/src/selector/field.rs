//! Field selectors: `fields.ParseSelector` (`AM:pkg/fields/selector.go`) and the Endpoints
//! field-label conversion (`runtime.DefaultMetaV1FieldSelectorConversion`), read-path §5.2.
//!
//! * Terms are separated by `,` (`\,` escapes a comma) and sorted as raw strings before parsing, so
//!   the first error reported is that of the first bad term in byte order.
//! * In each term the first operator found wins, trying `!=`, `==`, `=` at each position.
//! * Values may only escape `\\`, `\,` and `\=`; an unescaped `,` or `=` is an error whose rune is
//!   printed as a decimal number (`61` for `=`).
//! * A term with an empty field and an empty value is dropped (it selects everything).
//!
//! Parsing accepts any field name; [`Selector::convert_for_endpoints`] then rejects everything
//! but `metadata.name` and `metadata.namespace`, as `ListResource` does after validation and
//! negotiation.

use std::fmt;

use crate::field_error::go_quote;
use crate::selector::SelectorError;

/// The field path of an object's name.
pub const METADATA_NAME: &str = "metadata.name";
/// The field path of an object's namespace.
pub const METADATA_NAMESPACE: &str = "metadata.namespace";

/// A term's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    /// `=` or `==`: the field equals the value.
    Equals,
    /// `!=`: the field differs from the value.
    NotEquals,
}

/// One term: `field op value` (value unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The field path (`metadata.name`).
    pub field: String,
    /// The operator.
    pub operator: FieldOperator,
    /// The unescaped value.
    pub value: String,
}

/// A parsed field selector: the AND of its terms. The empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    terms: Vec<Term>,
}

/// `splitTerms`: splits on unescaped commas, keeping backslashes in the terms.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&selector[start..i]);
            start = i + 1;
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// `splitTerm`: the first operator found, trying `!=`, `==`, `=` at each position.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

/// `UnescapeValue`: undoes `\\`, `\,`, `\=`; rejects other escapes and unescaped `,`/`=`.
pub fn unescape_value(s: &str) -> Result<String, SelectorError> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                _ => {
                    return Err(SelectorError::new(format!(
                        "invalid field selector: invalid escape sequence: \\{c}"
                    )))
                }
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => {
                return Err(SelectorError::new(format!(
                    "invalid field selector: unescaped character in value: {}",
                    u32::from(c)
                )))
            }
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::new(
            "invalid field selector: invalid escape sequence: \\",
        ));
    }
    Ok(out)
}

/// `EscapeValue`: escapes `\`, `,` and `=` for use as a field selector value.
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Selector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// A selector with the single term `field=value`.
    pub fn one_term_equal(field: &str, value: &str) -> Self {
        Self {
            terms: vec![Term {
                field: field.to_string(),
                operator: FieldOperator::Equals,
                value: value.to_string(),
            }],
        }
    }

    /// `fields.ParseSelector(s)`: the syntax only, with apimachinery's error texts. Field names are
    /// not checked here (see [`Selector::convert_for_endpoints`]).
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(selector);
        parts.sort_unstable();
        let mut terms = Vec::with_capacity(parts.len());
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((field, operator, raw)) = split_term(part) else {
                return Err(SelectorError::new(format!(
                    "invalid selector: '{selector}'; can't understand '{part}'"
                )));
            };
            let value = unescape_value(raw)?;
            if field.is_empty() && value.is_empty() {
                continue;
            }
            terms.push(Term {
                field: field.to_string(),
                operator,
                value,
            });
        }
        Ok(Self { terms })
    }

    /// The field-label conversion for Endpoints (`DefaultMetaV1FieldSelectorConversion`): only
    /// `metadata.name` and `metadata.namespace` are known; anything else is the 400 text
    /// `"<field>" is not a known field selector: only "metadata.name", "metadata.namespace"`.
    pub fn convert_for_endpoints(self) -> Result<Self, SelectorError> {
        for term in &self.terms {
            if term.field != METADATA_NAME && term.field != METADATA_NAMESPACE {
                return Err(SelectorError::new(format!(
                    "{} is not a known field selector: only {}, {}",
                    go_quote(&term.field),
                    go_quote(METADATA_NAME),
                    go_quote(METADATA_NAMESPACE)
                )));
            }
        }
        Ok(self)
    }

    /// [`Selector::parse`] followed by [`Selector::convert_for_endpoints`].
    pub fn parse_for_endpoints(selector: &str) -> Result<Self, SelectorError> {
        Self::parse(selector)?.convert_for_endpoints()
    }

    /// Whether the selector has no term (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, in the (sorted) order they were parsed.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// `RequiresExactMatch(field)`: the value of the first `field=value` term, if any.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.operator == FieldOperator::Equals && t.field == field)
            .map(|t| t.value.as_str())
    }

    /// The name the selector pins with `metadata.name=<name>`: a list that has a namespace and no
    /// continue token may then read that single key (and must still apply the whole selector).
    pub fn pinned_name(&self) -> Option<&str> {
        self.requires_exact_match(METADATA_NAME)
    }

    /// The namespace the selector pins with `metadata.namespace=<ns>`, which narrows an
    /// all-namespaces scan to that namespace.
    pub fn pinned_namespace(&self) -> Option<&str> {
        self.requires_exact_match(METADATA_NAMESPACE)
    }

    /// The selector of a request whose path names the object (`/watch/…/endpoints/<name>`): an
    /// empty selector becomes `metadata.name=<name>`; a non-empty one must pin the same name,
    /// otherwise the 400 text `fieldSelector metadata.name doesn't match requested name`.
    pub fn for_path_name(self, name: &str) -> Result<Self, SelectorError> {
        if self.is_empty() {
            return Ok(Self::one_term_equal(METADATA_NAME, name));
        }
        match self.pinned_name() {
            Some(selected) if selected == name => Ok(self),
            _ => Err(SelectorError::new(
                "fieldSelector metadata.name doesn't match requested name",
            )),
        }
    }

    /// Whether an object in `namespace` named `name` matches. Fields other than `metadata.name`
    /// and `metadata.namespace` read as `""`, as in Go's `fields.Set`.
    pub fn matches(&self, namespace: &str, name: &str) -> bool {
        self.terms.iter().all(|t| {
            let actual = match t.field.as_str() {
                METADATA_NAME => name,
                METADATA_NAMESPACE => namespace,
                _ => "",
            };
            match t.operator {
                FieldOperator::Equals => actual == t.value,
                FieldOperator::NotEquals => actual != t.value,
            }
        })
    }
}

impl fmt::Display for Selector {
    /// The canonical form (`fields.Selector.String()`): `field=value` / `field!=value` with values
    /// escaped, joined by `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match t.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", t.field, escape_value(&t.value))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors() {
        let cases: &[(&str, &str)] = &[
            ("abc", "invalid selector: 'abc'; can't understand 'abc'"),
            (
                "metadata.name=a,zzz",
                "invalid selector: 'metadata.name=a,zzz'; can't understand 'zzz'",
            ),
            ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
            ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                "a==b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
            // Sorted before parsing: "a=b=c" < "zzz", so the escape error wins.
            (
                "zzz,a=b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
            // The first operator at position 1 is "!=", leaving "=b".
            (
                "a!==b",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                "x=a\\,b\\=c\\\\d\\n",
                "invalid field selector: invalid escape sequence: \\n",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                Selector::parse(input).unwrap_err().to_string(),
                *want,
                "selector {input:?}"
            );
        }
    }

    #[test]
    fn unescaped_comma_error_prints_44() {
        assert_eq!(
            unescape_value("a,b").unwrap_err().to_string(),
            "invalid field selector: unescaped character in value: 44"
        );
    }

    #[test]
    fn conversion_errors() {
        let cases: &[(&str, &str)] = &[
            // conformance #56
            (
                "subsets.x=1",
                "\"subsets.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            ),
            (
                "spec.foo=bar",
                "\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            ),
            (
                "=x",
                "\"\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            ),
            (
                "metadata.name=a,b.c=d,a.b=c",
                "\"a.b\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                Selector::parse_for_endpoints(input).unwrap_err().to_string(),
                *want,
                "selector {input:?}"
            );
        }
        let status = Selector::parse_for_endpoints("spec.foo=bar")
            .unwrap_err()
            .to_status();
        assert_eq!(status.code, 400);
        assert!(String::from_utf8(status.to_json_bytes())
            .unwrap()
            .contains(r#""message":"\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"","reason":"BadRequest""#));
    }

    #[test]
    fn parses() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            (",,", ""),
            ("=", ""),
            ("!=", ""),
            ("metadata.name=bar", "metadata.name=bar"),
            ("metadata.name==bar", "metadata.name=bar"),
            ("metadata.name!=bar", "metadata.name!=bar"),
            (
                "metadata.namespace=ns,metadata.name=a",
                "metadata.name=a,metadata.namespace=ns",
            ),
            ("metadata.name=a\\,b", "metadata.name=a\\,b"),
            ("metadata.name=", "metadata.name="),
        ];
        for (input, want) in cases {
            let s = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(s.to_string(), *want, "selector {input:?}");
        }
        let s = Selector::parse("metadata.name=a\\,b\\=c\\\\").unwrap();
        assert_eq!(s.terms()[0].value, "a,b=c\\");
    }

    #[test]
    fn matching() {
        let cases: &[(&str, &str, &str, bool)] = &[
            ("", "ns", "bar", true),
            ("metadata.name=bar", "ns", "bar", true),
            ("metadata.name=bar", "ns", "foo", false),
            ("metadata.name!=bar", "first", "bar", false),
            ("metadata.name!=bar", "first", "baz", true),
            ("metadata.namespace=ns,metadata.name=bar", "ns", "bar", true),
            ("metadata.namespace=ns,metadata.name=bar", "other", "bar", false),
            ("metadata.namespace!=", "ns", "x", true),
        ];
        for (sel, ns, name, want) in cases {
            let s = Selector::parse_for_endpoints(sel).unwrap();
            assert_eq!(s.matches(ns, name), *want, "selector {sel:?} on {ns}/{name}");
        }
    }

    #[test]
    fn pinning() {
        let s = Selector::parse("metadata.name=barfoo").unwrap();
        assert_eq!(s.pinned_name(), Some("barfoo"));
        assert_eq!(s.pinned_namespace(), None);
        let s = Selector::parse("metadata.name!=x,metadata.namespace==ns").unwrap();
        assert_eq!(s.pinned_name(), None);
        assert_eq!(s.pinned_namespace(), Some("ns"));
        let s = Selector::parse("metadata.name=b,metadata.name=a").unwrap();
        assert_eq!(s.pinned_name(), Some("a"));
    }

    #[test]
    fn path_name() {
        let s = Selector::everything().for_path_name("foo").unwrap();
        assert_eq!(s.to_string(), "metadata.name=foo");
        let s = Selector::parse("metadata.name=foo,metadata.namespace=ns")
            .unwrap()
            .for_path_name("foo")
            .unwrap();
        assert_eq!(s.terms().len(), 2);
        for sel in ["metadata.name=bar", "metadata.namespace=ns"] {
            assert_eq!(
                Selector::parse(sel)
                    .unwrap()
                    .for_path_name("foo")
                    .unwrap_err()
                    .to_string(),
                "fieldSelector metadata.name doesn't match requested name"
            );
        }
    }

    #[test]
    fn escape_round_trip() {
        assert_eq!(escape_value("a,b=c\\"), "a\\,b\\=c\\\\");
        assert_eq!(unescape_value(&escape_value("a,b=c\\")).unwrap(), "a,b=c\\");
    }
}

//! JSON output byte-compatible with Go's `encoding/json`, which kube-apiserver uses to write every
//! response body.
//!
//! serde_json already writes struct fields in declaration order and escapes control characters the
//! way Go does (`\n`, `\t`, `\b`, `\f`, `\r`, `\u0000`, lowercase hex). Go additionally escapes:
//!
//! * `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026` (`Encoder.SetEscapeHTML(true)`, the default), so a
//!   `<nil>` field path is written `\u003cnil\u003e`;
//! * U+2028 and U+2029 as `\u2028` and `\u2029` (always);
//! * floats as `strconv.AppendFloat(f, 'f', -1)`, switching to exponent form (`1e+21`, `1e-7`) below
//!   1e-6 and from 1e21 on.
//!
//! [`GoFormatter`] adds those rules to any serde_json formatter. [`to_vec`] is `json.Marshal`,
//! [`to_vec_pretty`] is `json.MarshalIndent(v, "", "  ")` (what `?pretty=true` produces), and
//! [`to_line`] is `json.NewEncoder(w).Encode(v)` (compact plus a trailing `\n`).
//!
//! Go sorts map keys; a `serde_json::Value` built with `preserve_order` keeps insertion order, so a
//! caller serializing a map (labels, annotations) must insert its keys sorted (or use a `BTreeMap`).

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

/// A serde_json [`Formatter`] that applies Go's extra escaping and float format on top of `F`.
///
/// `GoFormatter<CompactFormatter>` gives `json.Marshal` output and
/// `GoFormatter<PrettyFormatter>` with a two-space indent gives `json.MarshalIndent(v, "", "  ")`.
#[derive(Debug, Clone, Default)]
pub struct GoFormatter<F = CompactFormatter> {
    inner: F,
}

impl<F> GoFormatter<F> {
    /// Wraps a serde_json formatter.
    pub fn new(inner: F) -> Self {
        Self { inner }
    }
}

impl GoFormatter<CompactFormatter> {
    /// The formatter of `json.Marshal`.
    pub fn compact() -> Self {
        Self::new(CompactFormatter)
    }
}

impl GoFormatter<PrettyFormatter<'static>> {
    /// The formatter of `json.MarshalIndent(v, "", "  ")`.
    pub fn pretty() -> Self {
        Self::new(PrettyFormatter::with_indent(b"  "))
    }
}

/// Writes `fragment` (a run serde_json did not escape) with Go's HTML and line-separator escapes.
fn write_go_fragment<W: ?Sized + io::Write>(writer: &mut W, fragment: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in fragment.char_indices() {
        let escaped: &[u8] = match c {
            '<' => b"\\u003c",
            '>' => b"\\u003e",
            '&' => b"\\u0026",
            '\u{2028}' => b"\\u2028",
            '\u{2029}' => b"\\u2029",
            _ => continue,
        };
        writer.write_all(&fragment.as_bytes()[start..i])?;
        writer.write_all(escaped)?;
        start = i + c.len_utf8();
    }
    writer.write_all(&fragment.as_bytes()[start..])
}

/// Go's float text: shortest round-trip digits, `'f'` form in [1e-6, 1e21), else `'e'` form with
/// an explicit `+` on positive exponents and no zero padding on negative ones.
fn go_float(value: f64, abs_for_threshold: f64, shortest: String, scientific: String) -> String {
    if value == 0.0 || (1e-6..1e21).contains(&abs_for_threshold) {
        return shortest;
    }
    match scientific.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => scientific,
    }
}

impl<F: Formatter> Formatter for GoFormatter<F> {
    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        if !value.is_finite() {
            return self.inner.write_f32(writer, value);
        }
        let text = go_float(
            f64::from(value),
            f64::from(value.abs()),
            format!("{value}"),
            format!("{value:e}"),
        );
        writer.write_all(text.as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        if !value.is_finite() {
            return self.inner.write_f64(writer, value);
        }
        let text = go_float(value, value.abs(), format!("{value}"), format!("{value:e}"));
        writer.write_all(text.as_bytes())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_go_fragment(writer, fragment)
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        self.inner.write_char_escape(writer, char_escape)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_value(writer)
    }

    fn write_raw_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.inner.write_raw_fragment(writer, fragment)
    }
}

/// `json.NewEncoder(w)` without the trailing newline: writes `value` compactly to `writer`.
pub fn to_writer<W: io::Write, T: ?Sized + Serialize>(writer: W, value: &T) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::with_formatter(writer, GoFormatter::compact());
    value.serialize(&mut ser)
}

/// `json.MarshalIndent(value, "", "  ")` written to `writer` (no trailing newline).
pub fn to_writer_pretty<W: io::Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::with_formatter(writer, GoFormatter::pretty());
    value.serialize(&mut ser)
}

/// `json.Marshal(value)`: compact, Go-escaped, no trailing newline.
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// `json.MarshalIndent(value, "", "  ")`: what kube-apiserver sends for `?pretty=true` (and for
/// 406 bodies). No trailing newline.
pub fn to_vec_pretty<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    to_writer_pretty(&mut out, value)?;
    Ok(out)
}

/// `json.NewEncoder(w).Encode(value)`: compact with a trailing `\n`, the form of every non-pretty
/// response body and of every watch event line.
pub fn to_line<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = to_vec(value)?;
    out.push(b'\n');
    Ok(out)
}

/// The response body for `value`: [`to_vec_pretty`] when `pretty`, else [`to_line`].
pub fn to_body<T: ?Sized + Serialize>(value: &T, pretty: bool) -> Result<Vec<u8>, serde_json::Error> {
    if pretty {
        to_vec_pretty(value)
    } else {
        to_line(value)
    }
}

/// `json.Marshal` of the single string `s`, quotes included, for code that assembles JSON by hand
/// (for example around pre-encoded object bytes).
pub fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    // Writing a &str into a Vec cannot fail.
    if to_writer(&mut out, s).is_err() {
        return String::from("\"\"");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Re-indents compact JSON `bytes` as `json.MarshalIndent(v, "", "  ")` would print them, keeping
/// key order and Go escaping. Used to pretty-print stored object bytes for `?pretty=true`.
pub fn reindent_pretty(bytes: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    to_vec_pretty(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_go() {
        let cases: &[(&str, &str)] = &[
            ("<nil>", r#""\u003cnil\u003e""#),
            ("a&b", r#""a\u0026b""#),
            ("\u{2028}x\u{2029}", r#""\u2028x\u2029""#),
            ("\u{0}", r#""\u0000""#),
            ("\n\t\r\u{8}\u{c}", r#""\n\t\r\b\f""#),
            ("\u{1f}\u{7f}", "\"\\u001f\u{7f}\""),
            ("quote\"back\\", r#""quote\"back\\""#),
            ("héllo ☃", "\"héllo ☃\""),
            ("/slash", r#""/slash""#),
        ];
        for (input, want) in cases {
            let got = String::from_utf8(to_vec(input).unwrap()).unwrap();
            assert_eq!(&got, want, "input {input:?}");
            assert_eq!(&quote(input), want);
        }
    }

    #[test]
    fn escapes_map_keys_too() {
        let v = json!({"<k>": "&"});
        assert_eq!(to_vec(&v).unwrap(), br#"{"\u003ck\u003e":"\u0026"}"#);
    }

    #[test]
    fn compact_and_line() {
        let v = json!({"kind":"Status","metadata":{},"items":[],"code":404});
        assert_eq!(
            to_vec(&v).unwrap(),
            br#"{"kind":"Status","metadata":{},"items":[],"code":404}"#
        );
        assert_eq!(
            to_line(&v).unwrap(),
            b"{\"kind\":\"Status\",\"metadata\":{},\"items\":[],\"code\":404}\n"
        );
    }

    #[test]
    fn pretty_matches_marshal_indent() {
        let v = json!({
            "kind": "Status",
            "metadata": {},
            "items": [],
            "list": [1, {"a": "<"}],
            "code": 406
        });
        let want = "{\n  \"kind\": \"Status\",\n  \"metadata\": {},\n  \"items\": [],\n  \"list\": [\n    1,\n    {\n      \"a\": \"\\u003c\"\n    }\n  ],\n  \"code\": 406\n}";
        assert_eq!(String::from_utf8(to_vec_pretty(&v).unwrap()).unwrap(), want);
        assert_eq!(to_body(&v, true).unwrap(), want.as_bytes());
        assert_eq!(to_body(&v, false).unwrap(), to_line(&v).unwrap());
    }

    #[test]
    fn reindents_stored_bytes() {
        let got = reindent_pretty(br#"{"b":1,"a":"\u003c"}"#).unwrap();
        assert_eq!(got, b"{\n  \"b\": 1,\n  \"a\": \"\\u003c\"\n}");
    }

    #[test]
    fn floats_like_go() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (0.0, "0"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (1e-6, "0.000001"),
            (1.2345e-10, "1.2345e-10"),
        ];
        for (f, want) in cases {
            assert_eq!(String::from_utf8(to_vec(f).unwrap()).unwrap(), *want, "{f}");
        }
        assert_eq!(to_vec(&0.25f32).unwrap(), b"0.25");
    }

    #[test]
    fn integers_unchanged() {
        assert_eq!(to_vec(&i64::MIN).unwrap(), b"-9223372036854775808");
        assert_eq!(to_vec(&u64::MAX).unwrap(), b"18446744073709551615");
    }
}

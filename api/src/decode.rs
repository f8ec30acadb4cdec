//! Decoding request bodies into [`Endpoints`] exactly as kube-apiserver's JSON/YAML serializer,
//! versioning decoder and create/update handlers do (write-path §3, §4.2–4.3).
//!
//! The pipeline of [`deserialize`]:
//! 1. JSON is parsed by a Go-compatible parser ([`parse_json`]: same syntax errors as
//!    `encoding/json`, e.g. `invalid character 'o' in literal null (expecting 'u')`, duplicates
//!    kept); YAML is converted to the same tree (keys sorted and deduplicated like
//!    `sigs.k8s.io/yaml`'s YAML-to-JSON, duplicates recorded for the strict pass).
//! 2. `kind`/`apiVersion` are read case-insensitively (`SimpleMetaFactory.Interpret`) and defaulted
//!    to `Endpoints`/`v1`; any other kind or group/version is not registered.
//! 3. The tree is decoded into the typed object with `sigs.k8s.io/json` semantics: case-sensitive
//!    keys, `null` leaves values alone (and resets pointers, slices and maps), duplicate keys merge
//!    into the earlier value, the first type error wins
//!    (`json: cannot unmarshal string into Go struct field EndpointPort.subsets.ports.port of type
//!    int32`), time parse errors abort at once, and in strict mode unknown and duplicate fields are
//!    collected as `unknown field "subsets[0].foo"` / `duplicate field "metadata.name"` (deduplicated,
//!    at most 100).
//! 4. `SetDefaults_Endpoints` runs.
//!
//! [`decode_body`] adds the create/update handler's treatment: strict errors become warnings
//! (`Warn`), a 400 (`Strict`) or nothing (`Ignore`), and every failure becomes a [`DecodeError`]
//! with upstream's message (`Endpoints in version "v1" cannot be handled as a Endpoints: ...`,
//! `the object provided is unrecognized (must be of type Endpoints): ...`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::defaults::set_defaults_endpoints;
use crate::options::FieldValidation;
use crate::status::Status;
use crate::types::endpoints::{API_VERSION, KIND};
use crate::types::meta::{utf8_rune_width, ManagedFieldsEntry, ObjectMeta, OwnerReference, Time};
use crate::types::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference};
use crate::validation::{is_go_printable, parse_group_version};
use crate::warnings::strict_decoding_warnings;

/// The format of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`.
    Json,
    /// `application/yaml`.
    Yaml,
}

/// Go's `encoding/json` nesting limit.
pub const MAX_JSON_NESTING_DEPTH: usize = 10_000;

/// The deepest `fieldsV1` value accepted (a limit Go does not have: deeper values would risk the
/// stack when re-encoded; no real field set comes close).
pub const MAX_FIELDS_V1_DEPTH: usize = 100;

/// The most strict decoding errors reported for one body.
pub const MAX_STRICT_ERRORS: usize = 100;

/// The scheme name upstream's "not registered" errors carry.
const SCHEME_NAME: &str = "pkg/api/legacyscheme/scheme.go:30";

/// The Go type of `SimpleMetaFactory.Interpret`'s target, as `reflect.Type.String()` prints it.
const INTERPRET_TYPE: &str = "struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }";

// ---------------------------------------------------------------------------------------------
// Go-compatible JSON tree and parser

/// A parsed JSON value that keeps object keys in document order, duplicates included, and numbers
/// as their literal text.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string (escapes decoded; invalid UTF-8 and lone surrogates replaced by U+FFFD as Go does).
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object: every key/value pair in document order, duplicates included.
    Object(Vec<(String, JsonValue)>),
}

impl Drop for JsonValue {
    /// Drops nested values iteratively, so a 10000-deep document cannot exhaust the stack.
    fn drop(&mut self) {
        let mut stack: Vec<JsonValue> = Vec::new();
        match self {
            JsonValue::Array(items) => stack.append(items),
            JsonValue::Object(pairs) => stack.extend(pairs.drain(..).map(|(_, v)| v)),
            _ => return,
        }
        while let Some(mut v) = stack.pop() {
            match &mut v {
                JsonValue::Array(items) => stack.append(items),
                JsonValue::Object(pairs) => stack.extend(pairs.drain(..).map(|(_, v)| v)),
                _ => {}
            }
        }
    }
}

impl JsonValue {
    /// What Go calls the value in a type error: `null`, `bool`, `number`, `string`, `array`,
    /// `object`.
    fn kind_name(&self) -> &'static str {
        match self {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "bool",
            JsonValue::Number(_) => "number",
            JsonValue::String(_) => "string",
            JsonValue::Array(_) => "array",
            JsonValue::Object(_) => "object",
        }
    }

    /// The nesting depth (a scalar is 0), computed without recursion.
    fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack: Vec<(&JsonValue, usize)> = vec![(self, 0)];
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

    /// Converts to a [`serde_json::Value`] (a later duplicate key overwrites an earlier one, in
    /// the earlier one's position). Recursive: callers bound the depth first.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            JsonValue::Null => serde_json::Value::Null,
            JsonValue::Bool(b) => serde_json::Value::Bool(*b),
            JsonValue::Number(n) => number_to_serde(n),
            JsonValue::String(s) => serde_json::Value::String(s.clone()),
            JsonValue::Array(items) => {
                serde_json::Value::Array(items.iter().map(JsonValue::to_serde).collect())
            }
            JsonValue::Object(pairs) => {
                let mut map = serde_json::Map::new();
                for (k, v) in pairs {
                    map.insert(k.clone(), v.to_serde());
                }
                serde_json::Value::Object(map)
            }
        }
    }
}

fn number_to_serde(text: &str) -> serde_json::Value {
    if let Ok(i) = text.parse::<i64>() {
        return serde_json::Value::from(i);
    }
    if let Ok(u) = text.parse::<u64>() {
        return serde_json::Value::from(u);
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// A JSON syntax error, with Go's `encoding/json` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonSyntaxError(pub String);

/// Go's `strconv.Quote` (printable runes kept, others escaped as `\a`…`\v`, `\xNN`, `\uNNNN`,
/// `\UNNNNNNNN`).
pub fn go_strconv_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_quoted_char(&mut out, c, '"');
    }
    out.push('"');
    out
}

fn push_quoted_char(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if is_go_printable(c) => out.push(c),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `quoteChar` for a byte in a syntax error (`'x'`, `'\''`, `'"'`, `'\n'`, `'Ã'` for 0xC3).
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            let mut s = String::from("'");
            push_quoted_char(&mut s, char::from(c), '"');
            s.push('\'');
            s
        }
    }
}

fn syntax(c: u8, context: &str) -> JsonSyntaxError {
    JsonSyntaxError(format!("invalid character {} {context}", quote_char(c)))
}

fn unexpected_end() -> JsonSyntaxError {
    JsonSyntaxError("unexpected end of JSON input".to_string())
}

/// Appends `bytes` as Go's decoder does: valid UTF-8 kept, each invalid byte as U+FFFD.
fn push_go_utf8(out: &mut String, bytes: &[u8]) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        out.push_str(s);
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        let w = utf8_rune_width(&bytes[i..]);
        match std::str::from_utf8(&bytes[i..i + w]) {
            Ok(s) if !(w == 1 && bytes[i] >= 0x80) => out.push_str(s),
            _ => out.push('\u{FFFD}'),
        }
        i += w;
    }
}

/// `getu4`: the code unit of a `\\uXXXX` escape at the start of `s`.
fn getu4(s: &[u8]) -> Option<u32> {
    if s.len() < 6 || s[0] != b'\\' || s[1] != b'u' {
        return None;
    }
    let mut v = 0u32;
    for &c in &s[2..6] {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

/// `unquoteBytes` on the (syntax-checked) content of a string: escapes decoded, a valid surrogate
/// pair combined, any other surrogate and every invalid UTF-8 byte replaced by U+FFFD.
fn go_unquote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut i, mut run) = (0, 0);
    while i < s.len() {
        if s[i] != b'\\' {
            i += 1;
            continue;
        }
        push_go_utf8(&mut out, &s[run..i]);
        match s.get(i + 1) {
            Some(b'u') => {
                let rr = getu4(&s[i..]).unwrap_or(0xFFFD);
                i += 6;
                if (0xD800..0xE000).contains(&rr) {
                    let pair = getu4(&s[i..])
                        .filter(|lo| (0xD800..0xDC00).contains(&rr) && (0xDC00..0xE000).contains(lo));
                    match pair {
                        Some(lo) => {
                            let cp = 0x10000 + ((rr - 0xD800) << 10) + (lo - 0xDC00);
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            i += 6;
                        }
                        None => out.push('\u{FFFD}'),
                    }
                } else {
                    out.push(char::from_u32(rr).unwrap_or('\u{FFFD}'));
                }
            }
            Some(e) => {
                out.push(match e {
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    other => char::from(*other),
                });
                i += 2;
            }
            None => i += 1,
        }
        run = i;
    }
    push_go_utf8(&mut out, &s[run..]);
    out
}

enum Frame {
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>, String),
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonSyntaxError> {
        let name = std::str::from_utf8(word).unwrap_or("");
        self.pos += 1;
        for &want in &word[1..] {
            match self.peek() {
                None => return Err(unexpected_end()),
                Some(c) if c == want => self.pos += 1,
                Some(c) => {
                    return Err(syntax(
                        c,
                        &format!("in literal {name} (expecting '{}')", char::from(want)),
                    ))
                }
            }
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<JsonValue, JsonSyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            match self.peek() {
                None => return Err(unexpected_end()),
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(syntax(c, "in numeric literal")),
            }
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            match self.peek() {
                None => return Err(unexpected_end()),
                Some(b'0'..=b'9') => self.digits(),
                Some(c) => return Err(syntax(c, "after decimal point in numeric literal")),
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            match self.peek() {
                None => return Err(unexpected_end()),
                Some(b'0'..=b'9') => self.digits(),
                Some(c) => return Err(syntax(c, "in exponent of numeric literal")),
            }
        }
        let text = std::str::from_utf8(&self.data[start..self.pos]).unwrap_or("0");
        Ok(JsonValue::Number(text.to_string()))
    }

    /// A string starting at its opening quote: scanned with Go's syntax errors, then unquoted.
    fn string(&mut self) -> Result<String, JsonSyntaxError> {
        self.pos += 1;
        let start = self.pos;
        loop {
            let c = self.peek().ok_or_else(unexpected_end)?;
            match c {
                b'"' => break,
                b'\\' => {
                    self.pos += 1;
                    match self.peek().ok_or_else(unexpected_end)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            self.pos += 1;
                            for _ in 0..4 {
                                let h = self.peek().ok_or_else(unexpected_end)?;
                                if !h.is_ascii_hexdigit() {
                                    return Err(syntax(h, "in \\u hexadecimal character escape"));
                                }
                                self.pos += 1;
                            }
                        }
                        other => return Err(syntax(other, "in string escape code")),
                    }
                }
                c if c < 0x20 => return Err(syntax(c, "in string literal")),
                _ => self.pos += 1,
            }
        }
        let content = &self.data[start..self.pos];
        self.pos += 1;
        Ok(go_unquote(content))
    }

    fn colon(&mut self) -> Result<(), JsonSyntaxError> {
        self.skip_ws();
        match self.peek() {
            None => Err(unexpected_end()),
            Some(b':') => {
                self.pos += 1;
                self.skip_ws();
                Ok(())
            }
            Some(c) => Err(syntax(c, "after object key")),
        }
    }

    fn parse(&mut self) -> Result<JsonValue, JsonSyntaxError> {
        let mut stack: Vec<Frame> = Vec::new();
        self.skip_ws();
        'value: loop {
            let c = self.peek().ok_or_else(unexpected_end)?;
            let mut value = match c {
                b'{' | b'[' => {
                    if stack.len() + 1 > MAX_JSON_NESTING_DEPTH {
                        return Err(syntax(c, "exceeded max depth"));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let next = self.peek().ok_or_else(unexpected_end)?;
                    if c == b'{' {
                        match next {
                            b'}' => {
                                self.pos += 1;
                                JsonValue::Object(Vec::new())
                            }
                            b'"' => {
                                let key = self.string()?;
                                self.colon()?;
                                stack.push(Frame::Object(Vec::new(), key));
                                continue 'value;
                            }
                            other => return Err(syntax(other, "looking for beginning of object key string")),
                        }
                    } else if next == b']' {
                        self.pos += 1;
                        JsonValue::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        continue 'value;
                    }
                }
                b'"' => JsonValue::String(self.string()?),
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => {
                    self.literal(b"true")?;
                    JsonValue::Bool(true)
                }
                b'f' => {
                    self.literal(b"false")?;
                    JsonValue::Bool(false)
                }
                b'n' => {
                    self.literal(b"null")?;
                    JsonValue::Null
                }
                other => return Err(syntax(other, "looking for beginning of value")),
            };
            // Attach the finished value to its parents, closing containers as they end.
            loop {
                self.skip_ws();
                let next = self.peek();
                match stack.last_mut() {
                    None => {
                        return match next {
                            None => Ok(value),
                            Some(c) => Err(syntax(c, "after top-level value")),
                        };
                    }
                    Some(Frame::Array(items)) => {
                        items.push(value);
                        match next {
                            None => return Err(unexpected_end()),
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                continue 'value;
                            }
                            Some(b']') => self.pos += 1,
                            Some(c) => return Err(syntax(c, "after array element")),
                        }
                    }
                    Some(Frame::Object(pairs, key)) => {
                        pairs.push((std::mem::take(key), value));
                        match next {
                            None => return Err(unexpected_end()),
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                match self.peek() {
                                    None => return Err(unexpected_end()),
                                    Some(b'"') => {
                                        let k = self.string()?;
                                        self.colon()?;
                                        if let Some(Frame::Object(_, slot)) = stack.last_mut() {
                                            *slot = k;
                                        }
                                        continue 'value;
                                    }
                                    Some(c) => {
                                        return Err(syntax(c, "looking for beginning of object key string"))
                                    }
                                }
                            }
                            Some(b'}') => self.pos += 1,
                            Some(c) => return Err(syntax(c, "after object key:value pair")),
                        }
                    }
                }
                // The container on top of the stack just closed.
                value = match stack.pop() {
                    Some(Frame::Array(items)) => JsonValue::Array(items),
                    Some(Frame::Object(pairs, _)) => JsonValue::Object(pairs),
                    None => return Err(unexpected_end()),
                };
            }
        }
    }
}

/// Parses JSON as Go's `encoding/json` checks it (`checkValid`): the first syntax error in
/// document order, with Go's message; at most 10000 levels of nesting.
pub fn parse_json(data: &[u8]) -> Result<JsonValue, JsonSyntaxError> {
    Parser { data, pos: 0 }.parse()
}

// ---------------------------------------------------------------------------------------------
// YAML

/// Go's float text in `encoding/json` (`'f'` form in [1e-6, 1e21), else `'e'` form).
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s,
    }
}

struct YamlNode(JsonValue);

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = YamlNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Number(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Number(v.to_string())))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Number(v.to_string())))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Number(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<YamlNode, E> {
        if v.is_finite() {
            Ok(YamlNode(JsonValue::Number(go_float(v))))
        } else {
            // json.Marshal rejects it; reported after the conversion (see yaml_to_json_value).
            let text = if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            Ok(YamlNode(JsonValue::Number(text.to_string())))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::String(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<YamlNode, E> {
        Ok(YamlNode(JsonValue::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YamlNode, D::Error> {
        YamlNode::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlNode, A::Error> {
        let mut items = Vec::new();
        while let Some(YamlNode(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(YamlNode(JsonValue::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlNode, A::Error> {
        let mut pairs = Vec::new();
        while let Some((YamlNode(k), YamlNode(v))) = map.next_entry()? {
            let key = match &k {
                JsonValue::String(s) => s.clone(),
                JsonValue::Number(n) => n.clone(),
                JsonValue::Bool(b) => b.to_string(),
                JsonValue::Null => "null".to_string(),
                other => {
                    return Err(de::Error::custom(format!(
                        "unsupported map key of type: {}",
                        other.kind_name()
                    )))
                }
            };
            pairs.push((key, v));
        }
        Ok(YamlNode(JsonValue::Object(pairs)))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<YamlNode, A::Error> {
        // A value with a custom tag: the tag is dropped, as go-yaml does for unknown tags.
        let (_tag, variant): (String, _) = data.variant()?;
        de::VariantAccess::newtype_variant::<YamlNode>(variant)
    }
}

/// Rewrites a libyaml-style error of serde_yaml_ng as go-yaml prints it: `yaml: line N: <problem>`
/// (go-yaml reports the 0-based line of parser errors and the 1-based line of scanner errors, and
/// no line at all when that number is 0) [approx].
fn go_yaml_error(err: &serde_yaml_ng::Error) -> String {
    let text = err.to_string();
    let problem = match text.find(" at line ") {
        Some(i) => &text[..i],
        None => text.split(", while ").next().unwrap_or(&text),
    };
    let problem = problem.split(", while ").next().unwrap_or(problem);
    // libyaml parser errors carry a "while parsing" context; everything else is a scanner error.
    let scanner = !text.contains("while parsing");
    let line = err.location().map_or(0, |l| {
        let zero_based = l.line().saturating_sub(1);
        if zero_based == 0 {
            0
        } else if scanner {
            zero_based + 1
        } else {
            zero_based
        }
    });
    if line == 0 {
        format!("yaml: {problem}")
    } else {
        format!("yaml: line {line}: {problem}")
    }
}

/// Where `key` appears as a mapping key in `text`: the 1-based line go-yaml reports for the value
/// node of each occurrence, in document order [approx: a textual scan].
fn yaml_key_lines(text: &str, key: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    let patterns = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
    for (ln, line) in lines.iter().enumerate() {
        for pat in &patterns {
            let mut from = 0;
            while let Some(pos) = line[from..].find(pat.as_str()) {
                let start = from + pos;
                let end = start + pat.len();
                from = end;
                let before = line[..start].trim_end();
                let before_ok =
                    before.is_empty() || matches!(before.chars().last(), Some('-' | '{' | ',' | '?'));
                let after = line[end..].trim_start();
                let Some(rest) = after.strip_prefix(':') else {
                    continue;
                };
                let after_ok = rest.is_empty()
                    || rest.starts_with([' ', '\t'])
                    || (pat.starts_with(['"', '\'']) || before.ends_with(['{', ',']));
                if !(before_ok && after_ok) {
                    continue;
                }
                // A value on the following lines (a nested block) starts at the next content line.
                let value = rest.trim();
                let mut value_line = ln;
                if value.is_empty() || value.starts_with('#') {
                    if let Some(next) = (ln + 1..lines.len()).find(|&j| {
                        let t = lines[j].trim();
                        !t.is_empty() && !t.starts_with('#')
                    }) {
                        value_line = next;
                    }
                }
                found.push((ln, start, value_line + 1));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, _, l)| l).collect()
}

/// Sorts and deduplicates the keys of every object (last value wins), as the Go map of
/// `sigs.k8s.io/yaml` does, and records each duplicate as (key, global occurrence index).
fn normalize_yaml(v: &mut JsonValue, counts: &mut HashMap<String, usize>, dups: &mut Vec<(String, usize)>) {
    match v {
        JsonValue::Array(items) => {
            for i in items {
                normalize_yaml(i, counts, dups);
            }
        }
        JsonValue::Object(pairs) => {
            let mut seen: HashSet<String> = HashSet::new();
            for (k, val) in pairs.iter_mut() {
                let n = counts.entry(k.clone()).or_insert(0);
                let occurrence = *n;
                *n += 1;
                if !seen.insert(k.clone()) {
                    dups.push((k.clone(), occurrence));
                }
                normalize_yaml(val, counts, dups);
            }
            let mut map: BTreeMap<String, JsonValue> = BTreeMap::new();
            for (k, val) in pairs.drain(..) {
                map.insert(k, val);
            }
            pairs.extend(map);
        }
        _ => {}
    }
}

fn find_non_finite(v: &JsonValue) -> Option<&str> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            JsonValue::Number(n) if matches!(n.as_str(), "NaN" | "+Inf" | "-Inf") => return Some(n.as_str()),
            JsonValue::Array(items) => stack.extend(items.iter()),
            JsonValue::Object(pairs) => stack.extend(pairs.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    None
}

/// `yaml.YAMLToJSON` of the first YAML document of `data`, as a tree: keys sorted and
/// deduplicated. Also returns the `YAMLToJSONStrict` error (duplicate keys) when there is one:
/// `yaml: unmarshal errors:\n  line N: key "k" already set in map`.
pub fn yaml_to_json_value(data: &[u8]) -> Result<(JsonValue, Option<String>), String> {
    let mut docs = serde_yaml_ng::Deserializer::from_slice(data);
    let mut root = match docs.next() {
        None => JsonValue::Null,
        Some(doc) => YamlNode::deserialize(doc).map_err(|e| go_yaml_error(&e))?.0,
    };
    if let Some(bad) = find_non_finite(&root) {
        return Err(format!("json: unsupported value: {bad}"));
    }
    let mut counts = HashMap::new();
    let mut dups = Vec::new();
    normalize_yaml(&mut root, &mut counts, &mut dups);
    let strict_error = if dups.is_empty() {
        None
    } else {
        let text = String::from_utf8_lossy(data);
        let mut lines_cache: HashMap<String, Vec<usize>> = HashMap::new();
        let mut out = String::from("yaml: unmarshal errors:");
        for (key, occurrence) in &dups {
            let lines = lines_cache
                .entry(key.clone())
                .or_insert_with(|| yaml_key_lines(&text, key));
            let line = lines.get(*occurrence).or(lines.last()).copied().unwrap_or(1);
            out.push_str(&format!(
                "\n  line {line}: key {} already set in map",
                go_strconv_quote(key)
            ));
        }
        Some(out)
    };
    Ok((root, strict_error))
}

// ---------------------------------------------------------------------------------------------
// Typed decoding with sigs.k8s.io/json semantics

/// A hard decode error: aborts decoding at once (errors of `UnmarshalJSON` methods).
type Hard = Result<(), String>;

struct Decoder {
    strict: bool,
    /// The strict-error path so far (`subsets[0].addresses[0]`).
    path: String,
    path_marks: Vec<usize>,
    strict_errors: Vec<String>,
    seen_strict: HashSet<String>,
    /// `errorContext.Struct`: the Go name of the struct whose field is being decoded.
    ctx_struct: &'static str,
    /// `errorContext.FieldStack`: JSON names from the root, without indexes.
    ctx_fields: Vec<&'static str>,
    /// The first type error (`savedError`).
    saved: Option<String>,
}

impl Decoder {
    fn new(strict: bool) -> Self {
        Self {
            strict,
            path: String::new(),
            path_marks: Vec::new(),
            strict_errors: Vec::new(),
            seen_strict: HashSet::new(),
            ctx_struct: "",
            ctx_fields: Vec::new(),
            saved: None,
        }
    }

    fn push_key(&mut self, key: &str) {
        if !self.strict {
            return;
        }
        self.path_marks.push(self.path.len());
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
    }

    fn push_index(&mut self, i: usize) {
        if !self.strict {
            return;
        }
        self.path_marks.push(self.path.len());
        self.path.push_str(&format!("[{i}]"));
    }

    fn pop_path(&mut self) {
        if let Some(len) = self.path_marks.pop() {
            self.path.truncate(len);
        }
    }

    fn strict_error(&mut self, what: &str, key: &str) {
        if !self.strict || self.strict_errors.len() >= MAX_STRICT_ERRORS {
            return;
        }
        let full = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        let msg = format!("{what} {}", go_strconv_quote(&full));
        if self.seen_strict.insert(msg.clone()) {
            self.strict_errors.push(msg);
        }
    }

    /// `UnmarshalTypeError.Error()` with the current error context.
    fn type_error_text(&self, value: &str, go_type: &str) -> String {
        if !self.ctx_struct.is_empty() || !self.ctx_fields.is_empty() {
            format!(
                "json: cannot unmarshal {value} into Go struct field {}.{} of type {go_type}",
                self.ctx_struct,
                self.ctx_fields.join(".")
            )
        } else {
            format!("json: cannot unmarshal {value} into Go value of type {go_type}")
        }
    }

    /// `saveError`: keeps the first type error.
    fn type_error(&mut self, value: &str, go_type: &str) {
        if self.saved.is_none() {
            self.saved = Some(self.type_error_text(value, go_type));
        }
    }

    /// Decodes a JSON object into a struct whose JSON field names are `fields`.
    fn fields<'v>(
        &mut self,
        v: &'v JsonValue,
        struct_name: &'static str,
        go_type: &'static str,
        fields: &'static [&'static str],
        mut f: impl FnMut(&mut Self, usize, &'v JsonValue) -> Hard,
    ) -> Hard {
        let pairs = match v {
            JsonValue::Null => return Ok(()),
            JsonValue::Object(pairs) => pairs,
            other => {
                self.type_error(other.kind_name(), go_type);
                return Ok(());
            }
        };
        let mut seen = 0u64;
        for (key, value) in pairs {
            match fields.iter().position(|f| *f == key.as_str()) {
                Some(i) => {
                    if seen & (1 << i) != 0 {
                        self.strict_error("duplicate field", key);
                    } else {
                        seen |= 1 << i;
                    }
                    let (old_struct, old_len) = (self.ctx_struct, self.ctx_fields.len());
                    self.ctx_struct = struct_name;
                    self.ctx_fields.push(fields[i]);
                    self.push_key(fields[i]);
                    // A hard error returns with the context of the failing field still in place,
                    // as Go's addErrorContext sees it.
                    f(self, i, value)?;
                    self.pop_path();
                    self.ctx_fields.truncate(old_len);
                    self.ctx_struct = old_struct;
                }
                None => self.strict_error("unknown field", key),
            }
        }
        Ok(())
    }

    /// Decodes a JSON array into a slice, reusing existing elements as Go does.
    fn slice<'v, T: Default>(
        &mut self,
        v: &'v JsonValue,
        out: &mut Vec<T>,
        go_type: &'static str,
        mut elem: impl FnMut(&mut Self, &'v JsonValue, &mut T) -> Hard,
    ) -> Hard {
        match v {
            JsonValue::Null => out.clear(),
            JsonValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i >= out.len() {
                        out.push(T::default());
                    }
                    self.push_index(i);
                    elem(self, item, &mut out[i])?;
                    self.pop_path();
                }
                out.truncate(items.len());
            }
            other => self.type_error(other.kind_name(), go_type),
        }
        Ok(())
    }

    fn string(&mut self, v: &JsonValue, out: &mut String, go_type: &'static str) {
        match v {
            JsonValue::Null => {}
            JsonValue::String(s) => *out = s.clone(),
            other => self.type_error(other.kind_name(), go_type),
        }
    }

    fn opt_string(&mut self, v: &JsonValue, out: &mut Option<String>) {
        match v {
            JsonValue::Null => *out = None,
            JsonValue::String(s) => *out = Some(s.clone()),
            other => {
                out.get_or_insert_with(String::new);
                self.type_error(other.kind_name(), "string");
            }
        }
    }

    fn int(&mut self, v: &JsonValue, min: i64, max: i64, go_type: &'static str) -> Option<i64> {
        match v {
            JsonValue::Null => None,
            JsonValue::Number(n) => match n.parse::<i64>() {
                Ok(x) if (min..=max).contains(&x) => Some(x),
                _ => {
                    self.type_error(&format!("number {n}"), go_type);
                    None
                }
            },
            other => {
                self.type_error(other.kind_name(), go_type);
                None
            }
        }
    }

    fn opt_bool(&mut self, v: &JsonValue, out: &mut Option<bool>) {
        match v {
            JsonValue::Null => *out = None,
            JsonValue::Bool(b) => *out = Some(*b),
            other => {
                out.get_or_insert(false);
                self.type_error(other.kind_name(), "bool");
            }
        }
    }

    fn opt_i64(&mut self, v: &JsonValue, out: &mut Option<i64>) {
        if matches!(v, JsonValue::Null) {
            *out = None;
            return;
        }
        let slot = out.get_or_insert(0);
        if let Some(x) = self.int(v, i64::MIN, i64::MAX, "int64") {
            *slot = x;
        }
    }

    /// `metav1.Time.UnmarshalJSON`: `null` is the zero time, a string is parsed as RFC 3339; any
    /// failure aborts the decode.
    fn time(&mut self, v: &JsonValue, out: &mut Time) -> Hard {
        match v {
            JsonValue::Null => {
                *out = Time::zero();
                Ok(())
            }
            JsonValue::String(s) => {
                *out = Time::parse_rfc3339(s).map_err(|e| e.0)?;
                Ok(())
            }
            other => Err(self.type_error_text(other.kind_name(), "string")),
        }
    }

    fn opt_time(&mut self, v: &JsonValue, out: &mut Option<Time>) -> Hard {
        if matches!(v, JsonValue::Null) {
            *out = None;
            return Ok(());
        }
        let slot = out.get_or_insert_with(Time::zero);
        self.time(v, slot)
    }

    fn string_map(&mut self, v: &JsonValue, out: &mut BTreeMap<String, String>) {
        match v {
            JsonValue::Null => out.clear(),
            JsonValue::Object(pairs) => {
                let mut seen: HashSet<&str> = HashSet::new();
                for (k, val) in pairs {
                    if self.strict && !seen.insert(k.as_str()) {
                        self.strict_error("duplicate field", k);
                    }
                    let mut s = String::new();
                    self.string(val, &mut s, "string");
                    out.insert(k.clone(), s);
                }
            }
            other => self.type_error(other.kind_name(), "map[string]string"),
        }
    }

    fn endpoints(&mut self, v: &JsonValue, out: &mut Endpoints) -> Hard {
        const F: &[&str] = &["kind", "apiVersion", "metadata", "subsets"];
        let mut type_meta = (String::new(), String::new());
        self.fields(v, "Endpoints", "v1.Endpoints", F, |d, i, val| {
            match i {
                0 => d.string(val, &mut type_meta.0, "string"),
                1 => d.string(val, &mut type_meta.1, "string"),
                2 => return d.object_meta(val, &mut out.metadata),
                _ => {
                    return d.slice(val, &mut out.subsets, "[]v1.EndpointSubset", |d, v, s| {
                        d.subset(v, s)
                    })
                }
            }
            Ok(())
        })
    }

    fn object_meta(&mut self, v: &JsonValue, m: &mut ObjectMeta) -> Hard {
        const F: &[&str] = &[
            "name",
            "generateName",
            "namespace",
            "selfLink",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ];
        self.fields(v, "ObjectMeta", "v1.ObjectMeta", F, |d, i, val| {
            match i {
                0 => d.string(val, &mut m.name, "string"),
                1 => d.string(val, &mut m.generate_name, "string"),
                2 => d.string(val, &mut m.namespace, "string"),
                3 => d.string(val, &mut m.self_link, "string"),
                4 => d.string(val, &mut m.uid, "types.UID"),
                5 => d.string(val, &mut m.resource_version, "string"),
                6 => {
                    if let Some(x) = d.int(val, i64::MIN, i64::MAX, "int64") {
                        m.generation = x;
                    }
                }
                7 => return d.time(val, &mut m.creation_timestamp),
                8 => return d.opt_time(val, &mut m.deletion_timestamp),
                9 => d.opt_i64(val, &mut m.deletion_grace_period_seconds),
                10 => d.string_map(val, &mut m.labels),
                11 => d.string_map(val, &mut m.annotations),
                12 => {
                    return d.slice(val, &mut m.owner_references, "[]v1.OwnerReference", |d, v, r| {
                        d.owner_reference(v, r)
                    })
                }
                13 => {
                    return d.slice(val, &mut m.finalizers, "[]string", |d, v, s| {
                        d.string(v, s, "string");
                        Ok(())
                    })
                }
                _ => return d.managed_fields(val, &mut m.managed_fields),
            }
            Ok(())
        })
    }

    fn owner_reference(&mut self, v: &JsonValue, r: &mut OwnerReference) -> Hard {
        const F: &[&str] = &[
            "apiVersion",
            "kind",
            "name",
            "uid",
            "controller",
            "blockOwnerDeletion",
        ];
        self.fields(v, "OwnerReference", "v1.OwnerReference", F, |d, i, val| {
            match i {
                0 => d.string(val, &mut r.api_version, "string"),
                1 => d.string(val, &mut r.kind, "string"),
                2 => d.string(val, &mut r.name, "string"),
                3 => d.string(val, &mut r.uid, "types.UID"),
                4 => d.opt_bool(val, &mut r.controller),
                _ => d.opt_bool(val, &mut r.block_owner_deletion),
            }
            Ok(())
        })
    }

    fn managed_fields(&mut self, v: &JsonValue, out: &mut Option<Vec<ManagedFieldsEntry>>) -> Hard {
        match v {
            JsonValue::Null => {
                *out = None;
                Ok(())
            }
            JsonValue::Array(_) => {
                let list = out.get_or_insert_with(Vec::new);
                self.slice(v, list, "[]v1.ManagedFieldsEntry", |d, v, e| {
                    d.managed_fields_entry(v, e)
                })
            }
            other => {
                self.type_error(other.kind_name(), "[]v1.ManagedFieldsEntry");
                Ok(())
            }
        }
    }

    fn managed_fields_entry(&mut self, v: &JsonValue, e: &mut ManagedFieldsEntry) -> Hard {
        const F: &[&str] = &[
            "manager",
            "operation",
            "apiVersion",
            "time",
            "fieldsType",
            "fieldsV1",
            "subresource",
        ];
        self.fields(
            v,
            "ManagedFieldsEntry",
            "v1.ManagedFieldsEntry",
            F,
            |d, i, val| {
                match i {
                    0 => d.string(val, &mut e.manager, "string"),
                    1 => d.string(val, &mut e.operation, "v1.ManagedFieldsOperationType"),
                    2 => d.string(val, &mut e.api_version, "string"),
                    3 => return d.opt_time(val, &mut e.time),
                    4 => d.string(val, &mut e.fields_type, "string"),
                    5 => {
                        if matches!(val, JsonValue::Null) {
                            e.fields_v1 = None;
                        } else if val.depth() > MAX_FIELDS_V1_DEPTH {
                            return Err(format!(
                                "json: fieldsV1 nests more than {MAX_FIELDS_V1_DEPTH} levels deep"
                            ));
                        } else {
                            e.fields_v1 = Some(val.to_serde());
                        }
                    }
                    _ => d.string(val, &mut e.subresource, "string"),
                }
                Ok(())
            },
        )
    }

    fn subset(&mut self, v: &JsonValue, s: &mut EndpointSubset) -> Hard {
        const F: &[&str] = &["addresses", "notReadyAddresses", "ports"];
        self.fields(v, "EndpointSubset", "v1.EndpointSubset", F, |d, i, val| match i {
            0 => d.slice(val, &mut s.addresses, "[]v1.EndpointAddress", |d, v, a| {
                d.address(v, a)
            }),
            1 => d.slice(
                val,
                &mut s.not_ready_addresses,
                "[]v1.EndpointAddress",
                |d, v, a| d.address(v, a),
            ),
            _ => d.slice(val, &mut s.ports, "[]v1.EndpointPort", |d, v, p| d.port(v, p)),
        })
    }

    fn address(&mut self, v: &JsonValue, a: &mut EndpointAddress) -> Hard {
        const F: &[&str] = &["ip", "hostname", "nodeName", "targetRef"];
        self.fields(v, "EndpointAddress", "v1.EndpointAddress", F, |d, i, val| {
            match i {
                0 => d.string(val, &mut a.ip, "string"),
                1 => d.string(val, &mut a.hostname, "string"),
                2 => d.opt_string(val, &mut a.node_name),
                _ => {
                    if matches!(val, JsonValue::Null) {
                        a.target_ref = None;
                    } else {
                        let r = a.target_ref.get_or_insert_with(ObjectReference::default);
                        return d.object_reference(val, r);
                    }
                }
            }
            Ok(())
        })
    }

    fn object_reference(&mut self, v: &JsonValue, r: &mut ObjectReference) -> Hard {
        const F: &[&str] = &[
            "kind",
            "namespace",
            "name",
            "uid",
            "apiVersion",
            "resourceVersion",
            "fieldPath",
        ];
        self.fields(v, "ObjectReference", "v1.ObjectReference", F, |d, i, val| {
            match i {
                0 => d.string(val, &mut r.kind, "string"),
                1 => d.string(val, &mut r.namespace, "string"),
                2 => d.string(val, &mut r.name, "string"),
                3 => d.string(val, &mut r.uid, "types.UID"),
                4 => d.string(val, &mut r.api_version, "string"),
                5 => d.string(val, &mut r.resource_version, "string"),
                _ => d.string(val, &mut r.field_path, "string"),
            }
            Ok(())
        })
    }

    fn port(&mut self, v: &JsonValue, p: &mut EndpointPort) -> Hard {
        const F: &[&str] = &["name", "port", "protocol", "appProtocol"];
        self.fields(v, "EndpointPort", "v1.EndpointPort", F, |d, i, val| {
            match i {
                0 => d.string(val, &mut p.name, "string"),
                1 => {
                    if let Some(x) = d.int(val, i64::from(i32::MIN), i64::from(i32::MAX), "int32") {
                        p.port = x as i32;
                    }
                }
                2 => d.string(val, &mut p.protocol, "v1.Protocol"),
                _ => d.opt_string(val, &mut p.app_protocol),
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Kind/version interpretation

/// A group, version and kind as read from a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupVersionKind {
    /// The API group (`""` for core).
    pub group: String,
    /// The version.
    pub version: String,
    /// The kind.
    pub kind: String,
}

impl GroupVersionKind {
    /// `GroupVersion.String()`: `v1`, or `group/version`.
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether this is core/v1 Endpoints, the only kind this server decodes.
    pub fn is_endpoints_v1(&self) -> bool {
        self.group.is_empty() && self.version == API_VERSION && self.kind == KIND
    }
}

/// Go's case-insensitive key match of `encoding/json` (ASCII folding plus `K` → `k` and
/// `ſ` → `s`).
fn go_fold_eq(key: &str, name: &str) -> bool {
    let fold = |c: char| match c {
        '\u{212A}' => 'k',
        '\u{17F}' => 's',
        c => c.to_ascii_lowercase(),
    };
    key.chars().map(fold).eq(name.chars().map(fold))
}

/// `SimpleMetaFactory.Interpret`: `apiVersion` and `kind` from the top-level object, matched
/// case-insensitively with plain `encoding/json`. Returns `(apiVersion, kind)`.
fn interpret(root: &JsonValue) -> Result<(String, String), String> {
    match root {
        JsonValue::Null => Ok((String::new(), String::new())),
        JsonValue::Object(pairs) => {
            let mut api_version = String::new();
            let mut kind = String::new();
            let mut err: Option<String> = None;
            for (k, v) in pairs {
                let (field, slot) = if go_fold_eq(k, "apiVersion") {
                    ("apiVersion", &mut api_version)
                } else if go_fold_eq(k, "kind") {
                    ("kind", &mut kind)
                } else {
                    continue;
                };
                match v {
                    JsonValue::Null => {}
                    JsonValue::String(s) => *slot = s.clone(),
                    other => {
                        if err.is_none() {
                            err = Some(format!(
                                "json: cannot unmarshal {} into Go struct field .{field} of type string",
                                other.kind_name()
                            ));
                        }
                    }
                }
            }
            match err {
                Some(e) => Err(e),
                None => Ok((api_version, kind)),
            }
        }
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type {INTERPRET_TYPE}",
            other.kind_name()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Public decoding API

/// A successfully decoded (and defaulted) body.
#[derive(Debug, Clone, PartialEq)]
pub struct Deserialized {
    /// The object, with `SetDefaults_Endpoints` applied.
    pub object: Endpoints,
    /// The group/version/kind of the body after defaulting.
    pub gvk: GroupVersionKind,
    /// Strict decoding errors (empty unless decoding strictly): YAML duplicate-key errors first,
    /// then `unknown field "..."` / `duplicate field "..."` in document order.
    pub strict_errors: Vec<String>,
}

/// A decoding failure at the serializer level: the error text (what `err.Error()` is upstream)
/// and the group/version/kind known at that point (`None` when the kind could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SerializerError {
    /// The kind and version, once they were read.
    pub gvk: Option<GroupVersionKind>,
    /// The error text.
    pub message: String,
}

impl SerializerError {
    fn bare(message: String) -> Self {
        Self { gvk: None, message }
    }
}

/// `strict decoding error: <e1>, <e2>` (`runtime.NewStrictDecodingError`).
pub fn strict_decoding_error_message<S: AsRef<str>>(errors: &[S]) -> String {
    let joined: Vec<&str> = errors.iter().map(AsRef::as_ref).collect();
    format!("strict decoding error: {}", joined.join(", "))
}

/// Decodes `data` as the serializer + versioning decoder of kube-apiserver do (see the module
/// documentation). `strict` collects unknown/duplicate fields (fieldValidation `Warn` and
/// `Strict`); type and syntax errors are failures in every mode and win over strict errors.
pub fn deserialize(data: &[u8], format: BodyFormat, strict: bool) -> Result<Deserialized, SerializerError> {
    let mut strict_errors = Vec::new();
    let root = match format {
        BodyFormat::Json => parse_json(data).map_err(|e| {
            SerializerError::bare(format!("couldn't get version/kind; json parse error: {e}"))
        })?,
        BodyFormat::Yaml => {
            let (root, dup_error) = yaml_to_json_value(data).map_err(SerializerError::bare)?;
            if strict {
                strict_errors.extend(dup_error);
            }
            root
        }
    };
    let (api_version, kind) = interpret(&root)
        .map_err(|e| SerializerError::bare(format!("couldn't get version/kind; json parse error: {e}")))?;
    let (group, version) = parse_group_version(&api_version)
        .ok_or_else(|| SerializerError::bare(format!("unexpected GroupVersion string: {api_version}")))?;
    // gvkWithDefaults against the endpoint's GVK (core/v1 Endpoints).
    let mut gvk = GroupVersionKind {
        group: group.to_string(),
        version: version.to_string(),
        kind,
    };
    if gvk.kind.is_empty() {
        gvk.kind = KIND.to_string();
    }
    if gvk.version.is_empty() && gvk.group.is_empty() {
        gvk.version = API_VERSION.to_string();
    }
    let internal = gvk.group.is_empty() && gvk.version == "__internal" && gvk.kind == KIND;
    if !gvk.is_endpoints_v1() && !internal {
        let message = format!(
            "no kind {} is registered for version {} in scheme {}",
            go_strconv_quote(&gvk.kind),
            go_strconv_quote(&gvk.group_version()),
            go_strconv_quote(SCHEME_NAME)
        );
        return Err(SerializerError {
            gvk: Some(gvk),
            message,
        });
    }
    let mut decoder = Decoder::new(strict);
    let mut object = Endpoints::default();
    if let Err(message) = decoder.endpoints(&root, &mut object) {
        return Err(SerializerError {
            gvk: Some(gvk),
            message,
        });
    }
    if let Some(message) = decoder.saved.take() {
        return Err(SerializerError {
            gvk: Some(gvk),
            message,
        });
    }
    strict_errors.append(&mut decoder.strict_errors);
    set_defaults_endpoints(&mut object);
    Ok(Deserialized {
        object,
        gvk,
        strict_errors,
    })
}

/// Decodes stored object bytes (JSON this server wrote): lax, no defaulting.
pub fn decode_stored(bytes: &[u8]) -> Result<Endpoints, SerializerError> {
    let root = parse_json(bytes).map_err(|e| SerializerError::bare(e.0))?;
    let mut decoder = Decoder::new(false);
    let mut object = Endpoints::default();
    decoder
        .endpoints(&root, &mut object)
        .map_err(SerializerError::bare)?;
    match decoder.saved {
        Some(message) => Err(SerializerError::bare(message)),
        None => Ok(object),
    }
}

/// `summarizeData(data, 30)`: `<empty>`, the text (first 30 bytes plus ` ...`) of a body starting
/// with `{`, else the hex of the first 30 bytes (plus ` ...`).
pub fn summarize_data(data: &[u8], max_length: usize) -> String {
    if data.is_empty() {
        return "<empty>".to_string();
    }
    let (head, more) = if data.len() > max_length {
        (&data[..max_length], " ...")
    } else {
        (data, "")
    };
    if data[0] == b'{' {
        format!("{}{more}", String::from_utf8_lossy(head))
    } else {
        let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}{more}")
    }
}

/// Why a POST/PUT body was rejected; every variant is a 400 BadRequest with the
/// [`fmt::Display`] text as its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The kind could not be determined (syntax error, YAML error, bad apiVersion).
    #[error("the object provided is unrecognized (must be of type Endpoints): {cause} ({summary})")]
    Unrecognized {
        /// The decoder's error.
        cause: String,
        /// [`summarize_data`] of the body.
        summary: String,
    },
    /// The kind was known but the body could not be decoded (type errors, unregistered kinds,
    /// strict errors under `fieldValidation=Strict`).
    #[error(
        "{kind} in version {} cannot be handled as a Endpoints: {cause}",
        go_strconv_quote(version)
    )]
    CannotHandle {
        /// The kind of the body (defaulted).
        kind: String,
        /// The version of the body (defaulted).
        version: String,
        /// The decoder's error.
        cause: String,
    },
    /// The body decoded but names another group/version.
    #[error("the API version in the data ({group_version}) does not match the expected API version (v1)")]
    VersionMismatch {
        /// The group/version of the body.
        group_version: String,
    },
}

impl DecodeError {
    /// The 400 BadRequest Status of this error.
    pub fn to_status(&self) -> Status {
        Status::bad_request(self.to_string())
    }
}

/// The result of [`decode_body`]: the defaulted object and the warnings to send.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedBody {
    /// The object.
    pub object: Endpoints,
    /// Strict decoding warnings (fieldValidation `Warn`), one per line of each error.
    pub warnings: Vec<String>,
}

/// Decodes a POST/PUT body as the create and update handlers do: strict errors are warnings
/// under `Warn`, a [`DecodeError::CannotHandle`] under `Strict`, and dropped under `Ignore`;
/// decoder errors are wrapped as `transformDecodeError` does; a group/version other than `v1` is
/// [`DecodeError::VersionMismatch`].
pub fn decode_body(
    body: &[u8],
    format: BodyFormat,
    validation: FieldValidation,
) -> Result<DecodedBody, DecodeError> {
    let strict = validation != FieldValidation::Ignore;
    let decoded = match deserialize(body, format, strict) {
        Ok(d) => d,
        Err(SerializerError {
            gvk: Some(gvk),
            message,
        }) if !gvk.kind.is_empty() => {
            return Err(DecodeError::CannotHandle {
                kind: gvk.kind,
                version: gvk.version,
                cause: message,
            })
        }
        Err(e) => {
            return Err(DecodeError::Unrecognized {
                cause: e.message,
                summary: summarize_data(body, 30),
            })
        }
    };
    let mut warnings = Vec::new();
    if !decoded.strict_errors.is_empty() {
        match validation {
            FieldValidation::Warn => warnings = strict_decoding_warnings(&decoded.strict_errors),
            FieldValidation::Strict => {
                return Err(DecodeError::CannotHandle {
                    kind: decoded.gvk.kind,
                    version: decoded.gvk.version,
                    cause: strict_decoding_error_message(&decoded.strict_errors),
                })
            }
            FieldValidation::Ignore => {}
        }
    }
    if !(decoded.gvk.group.is_empty() && decoded.gvk.version == API_VERSION) {
        return Err(DecodeError::VersionMismatch {
            group_version: decoded.gvk.group_version(),
        });
    }
    Ok(DecodedBody {
        object: decoded.object,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP1: &str = r#"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"ep1"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]}"#;

    fn body(data: &str, format: BodyFormat, v: FieldValidation) -> Result<DecodedBody, DecodeError> {
        decode_body(data.as_bytes(), format, v)
    }

    fn json_err(data: &str, v: FieldValidation) -> String {
        body(data, BodyFormat::Json, v).unwrap_err().to_string()
    }

    fn syntax_err(data: &str) -> String {
        parse_json(data.as_bytes()).unwrap_err().0
    }

    #[test]
    fn decodes_and_defaults_c1_c29() {
        let d = body(EP1, BodyFormat::Json, FieldValidation::Strict).unwrap();
        assert!(d.warnings.is_empty());
        assert_eq!(d.object.metadata.name, "ep1");
        assert_eq!(d.object.subsets[0].ports[0].protocol, "TCP");
        let d = body(
            r#"{"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80,"protocol":""}]}]}"#,
            BodyFormat::Json,
            FieldValidation::Warn,
        )
        .unwrap();
        assert_eq!(d.object.subsets[0].ports[0].protocol, "TCP");
    }

    #[test]
    fn type_error_c27() {
        let data = r#"{"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":"80"}]}]}"#;
        assert_eq!(
            json_err(data, FieldValidation::Warn),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: json: cannot unmarshal string into Go struct field EndpointPort.subsets.ports.port of type int32"
        );
    }

    #[test]
    fn type_error_texts() {
        let cases = [
            (r#"{"metadata":"x"}"#, "json: cannot unmarshal string into Go struct field Endpoints.metadata of type v1.ObjectMeta"),
            (r#"{"subsets":{}}"#, "json: cannot unmarshal object into Go struct field Endpoints.subsets of type []v1.EndpointSubset"),
            (r#"{"subsets":[1]}"#, "json: cannot unmarshal number into Go struct field Endpoints.subsets of type v1.EndpointSubset"),
            (r#"{"subsets":[{"ports":[{"port":70000000000}]}]}"#, "json: cannot unmarshal number 70000000000 into Go struct field EndpointPort.subsets.ports.port of type int32"),
            (r#"{"subsets":[{"ports":[{"port":1.5}]}]}"#, "json: cannot unmarshal number 1.5 into Go struct field EndpointPort.subsets.ports.port of type int32"),
            (r#"{"subsets":[{"ports":[{"protocol":1}]}]}"#, "json: cannot unmarshal number into Go struct field EndpointPort.subsets.ports.protocol of type v1.Protocol"),
            (r#"{"subsets":[{"addresses":[{"ip":true}]}]}"#, "json: cannot unmarshal bool into Go struct field EndpointAddress.subsets.addresses.ip of type string"),
            (r#"{"subsets":[{"addresses":[{"targetRef":[]}]}]}"#, "json: cannot unmarshal array into Go struct field EndpointAddress.subsets.addresses.targetRef of type v1.ObjectReference"),
            (r#"{"subsets":[{"addresses":[{"targetRef":{"uid":1}}]}]}"#, "json: cannot unmarshal number into Go struct field ObjectReference.subsets.addresses.targetRef.uid of type types.UID"),
            (r#"{"metadata":{"labels":{"a":1}}}"#, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
            (r#"{"metadata":{"labels":[]}}"#, "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string"),
            (r#"{"metadata":{"generation":"1"}}"#, "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.generation of type int64"),
            (r#"{"metadata":{"deletionGracePeriodSeconds":true}}"#, "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.deletionGracePeriodSeconds of type int64"),
            (r#"{"metadata":{"ownerReferences":[{"controller":"yes"}]}}"#, "json: cannot unmarshal string into Go struct field OwnerReference.metadata.ownerReferences.controller of type bool"),
            (r#"{"metadata":{"finalizers":[1]}}"#, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.finalizers of type string"),
            (r#"{"metadata":{"managedFields":[{"operation":5}]}}"#, "json: cannot unmarshal number into Go struct field ManagedFieldsEntry.metadata.managedFields.operation of type v1.ManagedFieldsOperationType"),
            (r#"{"metadata":{"creationTimestamp":5}}"#, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string"),
            (r#"{"metadata":{"creationTimestamp":"yesterday"}}"#, "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" as \"2006\""),
            (r#"{"metadata":{"managedFields":[{"time":"2025-13-01T00:00:00Z"}]}}"#, "parsing time \"2025-13-01T00:00:00Z\": month out of range"),
            // The first type error wins...
            (r#"{"metadata":{"name":1,"namespace":2}}"#, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"),
            // ...unless a time error aborts later.
            (r#"{"metadata":{"name":1,"creationTimestamp":"x"}}"#, "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\""),
        ];
        for (data, cause) in cases {
            for v in [
                FieldValidation::Ignore,
                FieldValidation::Warn,
                FieldValidation::Strict,
            ] {
                assert_eq!(
                    json_err(data, v),
                    format!("Endpoints in version \"v1\" cannot be handled as a Endpoints: {cause}"),
                    "{data}"
                );
            }
        }
    }

    #[test]
    fn unknown_and_duplicate_fields_c44_c45_c46() {
        let with_foo = r#"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"a"},"foo":1}"#;
        // C44: Warn (the default) succeeds with a warning.
        let d = body(with_foo, BodyFormat::Json, FieldValidation::Warn).unwrap();
        assert_eq!(d.warnings, vec!["unknown field \"foo\""]);
        // Ignore drops it silently.
        let d = body(with_foo, BodyFormat::Json, FieldValidation::Ignore).unwrap();
        assert!(d.warnings.is_empty());
        // C45.
        assert_eq!(
            json_err(with_foo, FieldValidation::Strict),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: unknown field \"foo\""
        );
        // C46: the last duplicate wins.
        let dup = r#"{"metadata":{"name":"a","name":"b"}}"#;
        assert_eq!(
            json_err(dup, FieldValidation::Strict),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: duplicate field \"metadata.name\""
        );
        let d = body(dup, BodyFormat::Json, FieldValidation::Warn).unwrap();
        assert_eq!(d.object.metadata.name, "b");
        assert_eq!(d.warnings, vec!["duplicate field \"metadata.name\""]);
    }

    #[test]
    fn strict_paths_and_joining() {
        let data = r#"{"Subsets":[],"status":{},"metadata":{"name":"a","foo":1,"labels":{"x":"1","x":"2"},"clusterName":"c"},
            "subsets":[{"addresses":[{"ip":"10.0.0.1","foo":1,"targetRef":{"bar":1}}],"ports":[{"port":1},{"port":2,"x":1}],"$patch":"replace"}],
            "foo":1,"foo":2}"#;
        let d = deserialize(data.as_bytes(), BodyFormat::Json, true).unwrap();
        assert_eq!(
            d.strict_errors,
            vec![
                "unknown field \"Subsets\"",
                "unknown field \"status\"",
                "unknown field \"metadata.foo\"",
                "duplicate field \"metadata.labels.x\"",
                "unknown field \"metadata.clusterName\"",
                "unknown field \"subsets[0].addresses[0].foo\"",
                "unknown field \"subsets[0].addresses[0].targetRef.bar\"",
                "unknown field \"subsets[0].ports[1].x\"",
                "unknown field \"subsets[0].$patch\"",
                "unknown field \"foo\"",
            ]
        );
        assert_eq!(d.object.metadata.labels["x"], "2");
        let msg = json_err(data, FieldValidation::Strict);
        assert!(msg.starts_with("Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: unknown field \"Subsets\", unknown field \"status\", unknown field \"metadata.foo\", duplicate field \"metadata.labels.x\""));
        // Non-strict decoding collects nothing.
        assert!(deserialize(data.as_bytes(), BodyFormat::Json, false)
            .unwrap()
            .strict_errors
            .is_empty());
    }

    #[test]
    fn strict_errors_are_capped_and_deduplicated() {
        let mut data = String::from("{");
        for i in 0..150 {
            data.push_str(&format!("\"f{i}\":1,\"f0\":1,"));
        }
        data.push_str("\"kind\":\"Endpoints\"}");
        let d = deserialize(data.as_bytes(), BodyFormat::Json, true).unwrap();
        assert_eq!(d.strict_errors.len(), 100);
        assert_eq!(d.strict_errors[0], "unknown field \"f0\"");
        assert_eq!(d.strict_errors[1], "unknown field \"f1\"");
    }

    #[test]
    fn type_errors_win_over_strict_errors() {
        let data = r#"{"foo":1,"metadata":{"name":5}}"#;
        assert_eq!(
            json_err(data, FieldValidation::Strict),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"
        );
    }

    #[test]
    fn go_merge_semantics() {
        let data = r#"{"metadata":{"name":"a","labels":{"x":"1"}},"metadata":{"namespace":"n","labels":{"y":"2"}},
            "subsets":[{"addresses":[{"ip":"1.1.1.1","hostname":"h"}],"ports":[{"port":1,"appProtocol":"x"}]}],
            "subsets":[{"addresses":[{"ip":"2.2.2.2"}],"ports":[{"port":null,"name":null,"appProtocol":null}]}]}"#;
        let d = deserialize(data.as_bytes(), BodyFormat::Json, false).unwrap();
        let m = &d.object.metadata;
        assert_eq!((m.name.as_str(), m.namespace.as_str()), ("a", "n"));
        assert_eq!(m.labels.len(), 2);
        let ss = &d.object.subsets[0];
        assert_eq!(ss.addresses[0].ip, "2.2.2.2");
        assert_eq!(ss.addresses[0].hostname, "h");
        assert_eq!(ss.ports[0].port, 1);
        assert_eq!(ss.ports[0].app_protocol, None);
        // null resets slices, maps and pointers; leaves strings alone.
        let data = r#"{"metadata":{"name":"a","labels":{"x":"1"}},"metadata":{"name":null,"labels":null,"managedFields":null},"subsets":null}"#;
        let d = deserialize(data.as_bytes(), BodyFormat::Json, false).unwrap();
        assert_eq!(d.object.metadata.name, "a");
        assert!(d.object.metadata.labels.is_empty());
        assert_eq!(d.object.metadata.managed_fields, None);
        // A label value of null is the empty string.
        let d = deserialize(br#"{"metadata":{"labels":{"a":null}}}"#, BodyFormat::Json, false).unwrap();
        assert_eq!(d.object.metadata.labels["a"], "");
    }

    #[test]
    fn managed_fields_keep_nil_versus_empty() {
        let get = |data: &str| {
            deserialize(data.as_bytes(), BodyFormat::Json, false)
                .unwrap()
                .object
                .metadata
                .managed_fields
        };
        assert_eq!(get(r#"{"metadata":{}}"#), None);
        assert_eq!(get(r#"{"metadata":{"managedFields":[]}}"#), Some(vec![]));
        let mf = get(r#"{"metadata":{"managedFields":[{}]}}"#).unwrap();
        assert!(mf.len() == 1 && mf[0].is_empty());
        let mf = get(
            r#"{"metadata":{"managedFields":[{"manager":"m","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}}]}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&mf[0]).unwrap(),
            r#"{"manager":"m","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}}"#
        );
    }

    #[test]
    fn kind_and_version_handling() {
        // Missing kind/apiVersion default to Endpoints/v1.
        assert!(body(
            r#"{"metadata":{"name":"a"}}"#,
            BodyFormat::Json,
            FieldValidation::Strict
        )
        .is_ok());
        // Keys are matched case-insensitively for the kind (and are unknown fields afterwards).
        let d = body(
            r#"{"KIND":"Endpoints","ApiVersion":"v1"}"#,
            BodyFormat::Json,
            FieldValidation::Warn,
        )
        .unwrap();
        assert_eq!(
            d.warnings,
            vec!["unknown field \"KIND\"", "unknown field \"ApiVersion\""]
        );
        assert_eq!(
            json_err(r#"{"kind":"Pod","apiVersion":"v1"}"#, FieldValidation::Warn),
            "Pod in version \"v1\" cannot be handled as a Endpoints: no kind \"Pod\" is registered for version \"v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\""
        );
        assert_eq!(
            json_err(r#"{"kind":"Endpoints","apiVersion":"apps/v1"}"#, FieldValidation::Warn),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: no kind \"Endpoints\" is registered for version \"apps/v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\""
        );
        assert_eq!(
            json_err(
                r#"{"kind":"Endpoints","apiVersion":"__internal"}"#,
                FieldValidation::Warn
            ),
            "the API version in the data (__internal) does not match the expected API version (v1)"
        );
        assert_eq!(
            json_err(r#"{"apiVersion":"a/b/c"}"#, FieldValidation::Warn),
            "the object provided is unrecognized (must be of type Endpoints): unexpected GroupVersion string: a/b/c ({\"apiVersion\":\"a/b/c\"})"
        );
        assert_eq!(
            json_err(r#"{"kind":5}"#, FieldValidation::Warn),
            "the object provided is unrecognized (must be of type Endpoints): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string ({\"kind\":5})"
        );
        assert_eq!(
            json_err("[]", FieldValidation::Warn),
            "the object provided is unrecognized (must be of type Endpoints): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" } (5b5d)"
        );
        // A null body is an empty object.
        let d = body("null", BodyFormat::Json, FieldValidation::Strict).unwrap();
        assert_eq!(d.object, Endpoints::default());
    }

    #[test]
    fn syntax_errors_are_unrecognized() {
        assert_eq!(
            json_err("", FieldValidation::Warn),
            "the object provided is unrecognized (must be of type Endpoints): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)"
        );
        assert_eq!(
            json_err("not json", FieldValidation::Warn),
            "the object provided is unrecognized (must be of type Endpoints): couldn't get version/kind; json parse error: invalid character 'o' in literal null (expecting 'u') (6e6f74206a736f6e)"
        );
        assert_eq!(
            json_err(r#"{"metadata":{"name":"a-very-long-name-indeed"}"#, FieldValidation::Warn),
            "the object provided is unrecognized (must be of type Endpoints): couldn't get version/kind; json parse error: unexpected end of JSON input ({\"metadata\":{\"name\":\"a-very-lo ...)"
        );
    }

    #[test]
    fn go_syntax_error_texts() {
        let cases = [
            ("{", "unexpected end of JSON input"),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 \"b\":2}",
                "invalid character '\"' after object key:value pair",
            ),
            (
                "{\"a\":1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                "{a:1}",
                "invalid character 'a' looking for beginning of object key string",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            ("[1,]", "invalid character ']' looking for beginning of value"),
            ("{} {}", "invalid character '{' after top-level value"),
            ("01", "invalid character '1' after top-level value"),
            ("-x", "invalid character 'x' in numeric literal"),
            (
                "1.x",
                "invalid character 'x' after decimal point in numeric literal",
            ),
            ("1ex", "invalid character 'x' in exponent of numeric literal"),
            ("tru", "unexpected end of JSON input"),
            ("trux", "invalid character 'x' in literal true (expecting 'e')"),
            ("fals3", "invalid character '3' in literal false (expecting 'e')"),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            ("\"\\x\"", "invalid character 'x' in string escape code"),
            (
                "\"\\u12g4\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            ("'a'", "invalid character '\\'' looking for beginning of value"),
            (
                "\u{feff}{}",
                "invalid character 'ï' looking for beginning of value",
            ),
            (
                "\u{1}",
                "invalid character '\\x01' looking for beginning of value",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(syntax_err(input), want, "{input:?}");
        }
        let deep = "[".repeat(10_001);
        assert_eq!(syntax_err(&deep), "invalid character '[' exceeded max depth");
        let ok = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_json(ok.as_bytes()).is_ok());
    }

    #[test]
    fn strings_decode_like_go() {
        let v = parse_json(br#""a\u00e9\ud83d\ude00\ud800x\/\n""#).unwrap();
        assert_eq!(v, JsonValue::String("aé😀\u{FFFD}x/\n".into()));
        let v = parse_json(b"\"\xff\xe2\x82\"").unwrap();
        assert_eq!(v, JsonValue::String("\u{FFFD}\u{FFFD}\u{FFFD}".into()));
    }

    #[test]
    fn yaml_bodies() {
        let yaml = "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: ep1\nsubsets:\n- addresses:\n  - ip: 10.0.0.1\n  ports:\n  - port: 80\n";
        let d = body(yaml, BodyFormat::Yaml, FieldValidation::Strict).unwrap();
        assert_eq!(d.object.metadata.name, "ep1");
        assert_eq!(d.object.subsets[0].ports[0].port, 80);
        assert_eq!(d.object.subsets[0].ports[0].protocol, "TCP");

        // Unknown fields are reported in sorted key order (the YAML became a Go map).
        let yaml = "zeta: 1\nalpha: 2\nmetadata:\n  name: a\n";
        let d = body(yaml, BodyFormat::Yaml, FieldValidation::Warn).unwrap();
        assert_eq!(
            d.warnings,
            vec!["unknown field \"alpha\"", "unknown field \"zeta\""]
        );

        // Duplicate keys: the YAML strict error (split per line in warnings), last value wins.
        let yaml = "metadata:\n  name: a\n  name: b\n";
        let d = body(yaml, BodyFormat::Yaml, FieldValidation::Warn).unwrap();
        assert_eq!(d.object.metadata.name, "b");
        assert_eq!(
            d.warnings,
            vec![
                "yaml: unmarshal errors:",
                "line 3: key \"name\" already set in map"
            ]
        );
        assert_eq!(
            body(yaml, BodyFormat::Yaml, FieldValidation::Strict).unwrap_err().to_string(),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: yaml: unmarshal errors:\n  line 3: key \"name\" already set in map"
        );
        assert!(body(yaml, BodyFormat::Yaml, FieldValidation::Ignore)
            .unwrap()
            .warnings
            .is_empty());

        // Type errors read like JSON ones.
        let yaml = "subsets:\n- ports:\n  - port: \"80\"\n";
        assert_eq!(
            body(yaml, BodyFormat::Yaml, FieldValidation::Warn).unwrap_err().to_string(),
            "Endpoints in version \"v1\" cannot be handled as a Endpoints: json: cannot unmarshal string into Go struct field EndpointPort.subsets.ports.port of type int32"
        );
        // An empty YAML body is an empty object.
        assert_eq!(
            body("", BodyFormat::Yaml, FieldValidation::Strict)
                .unwrap()
                .object,
            Endpoints::default()
        );
        // Syntax errors.
        let err = body("a: b: c\n", BodyFormat::Yaml, FieldValidation::Warn)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "the object provided is unrecognized (must be of type Endpoints): yaml: mapping values are not allowed in this context (613a20623a20630a)"
        );
        let err = body(
            "metadata:\n  name: x\nfoo: b: c\n",
            BodyFormat::Yaml,
            FieldValidation::Warn,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(": yaml: line 3: mapping values are not allowed in this context ("),
            "{err}"
        );
    }

    #[test]
    fn stored_objects_round_trip() {
        let d = body(EP1, BodyFormat::Json, FieldValidation::Strict).unwrap();
        let bytes = crate::types::endpoints::encode(&d.object);
        assert_eq!(decode_stored(&bytes).unwrap(), d.object);
    }

    #[test]
    fn summaries() {
        assert_eq!(summarize_data(b"", 30), "<empty>");
        assert_eq!(summarize_data(b"{\"a\":1}", 30), "{\"a\":1}");
        assert_eq!(
            summarize_data(&[b'x'; 40], 30),
            format!("{} ...", "78".repeat(30))
        );
    }

    #[test]
    fn deep_fields_v1_is_rejected_not_overflowing() {
        let deep = format!(
            r#"{{"metadata":{{"managedFields":[{{"fieldsV1":{}{}}}]}}}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let err = json_err(&deep, FieldValidation::Warn);
        assert!(err.ends_with("fieldsV1 nests more than 100 levels deep"), "{err}");
        // Deeply nested unknown fields are simply skipped.
        let deep = format!(r#"{{"foo":{}{}}}"#, "[".repeat(9000), "]".repeat(9000));
        assert!(body(&deep, BodyFormat::Json, FieldValidation::Ignore).is_ok());
    }
}

//! Continue tokens (`AS:pkg/storage/continue.go`), read-path §4.
//!
//! A token is `base64.RawURLEncoding` (URL alphabet, no padding) of the Go JSON
//! `{"v":"meta.k8s.io/v1","rv":<int64>,"start":"<key relative to the list prefix>"}`, written with
//! Go's escaping (`\u0000`, `\u003c`, ...). A server-made token starts just after the last returned
//! key (`last + "\0"`); the decoded start key is **inclusive**. `rv > 0` asks for that exact
//! revision, `rv < 0` (`-1`) for the latest one; `rv == 0` is invalid.
//!
//! Decoding reproduces every error text of `DecodeContinue`, including Go's base64 error offsets
//! and Go's `encoding/json` syntax and type errors, so that `invalid continue token: <text>` (a
//! 400, [`ContinueError::to_status`]) is byte-identical to kube-apiserver's.
//!
//! Keys: `key_prefix` is the list's prefix in the caller's key space (etcd uses
//! `/registry/services/endpoints/` or `…/endpoints/<ns>/`; a store keyed by `ns/name` passes `""`
//! or `ns/`). The token holds the key relative to it, as etcd-served pages do (`"ns/foo\u0000"`
//! across namespaces, `"foo\u0000"` in a namespace); the watch-cache form with a leading `/` is
//! accepted too.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

use crate::status::Status;

/// The only token version: `meta.k8s.io/v1`.
pub const TOKEN_VERSION: &str = "meta.k8s.io/v1";

/// Why a continue token was rejected. `Display` is `DecodeContinue`'s error text; the client sees
/// it as `invalid continue token: <text>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContinueError {
    /// Not RawURL base64: `continue key is not valid: illegal base64 data at input byte N`.
    Base64 {
        /// Offset of the offending byte.
        offset: usize,
    },
    /// Not JSON, or JSON of the wrong shape: `continue key is not valid: <Go json error>`.
    Json(String),
    /// `v` is not `meta.k8s.io/v1`: `continue key is not valid: server does not recognize this
    /// encoded version <v>`.
    UnrecognizedVersion(String),
    /// `rv` is 0 or missing.
    InvalidStartRv,
    /// `start` is empty.
    EmptyStartKey,
    /// `start` is not a clean path (`../x`): `continue key is not valid: <start>`.
    InvalidKey(String),
    /// Encoding: the key does not start with the list prefix.
    KeyPrefixMismatch,
}

impl fmt::Display for ContinueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContinueError::Base64 { offset } => write!(
                f,
                "continue key is not valid: illegal base64 data at input byte {offset}"
            ),
            ContinueError::Json(msg) => write!(f, "continue key is not valid: {msg}"),
            ContinueError::UnrecognizedVersion(v) => write!(
                f,
                "continue key is not valid: server does not recognize this encoded version {v}"
            ),
            ContinueError::InvalidStartRv => f.write_str(
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ),
            ContinueError::EmptyStartKey => {
                f.write_str("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
            }
            ContinueError::InvalidKey(start) => write!(f, "continue key is not valid: {start}"),
            ContinueError::KeyPrefixMismatch => {
                f.write_str("unable to encode next field: the key and key prefix do not match")
            }
        }
    }
}

impl std::error::Error for ContinueError {}

impl ContinueError {
    /// The 400 of `storage.ValidateListOptions`: `invalid continue token: <text>`.
    pub fn to_status(&self) -> Status {
        Status::bad_request(format!("invalid continue token: {self}"))
    }
}

impl From<ContinueError> for Status {
    fn from(err: ContinueError) -> Self {
        err.to_status()
    }
}

/// The revision a continue token asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContinueRevision {
    /// `rv > 0`: read exactly at this revision (410 if compacted).
    Exact(u64),
    /// `rv < 0`: read at the latest revision; the next token carries the resolved revision.
    Latest,
}

/// A decoded token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continue {
    /// The full key to start at, inclusive: `key_prefix` + the cleaned relative start.
    pub start_key: String,
    /// The encoded `rv` (never 0).
    pub rv: i64,
}

impl Continue {
    /// What `rv` asks for.
    pub fn revision(&self) -> ContinueRevision {
        if self.rv > 0 {
            ContinueRevision::Exact(self.rv.unsigned_abs())
        } else {
            ContinueRevision::Latest
        }
    }
}

#[derive(Serialize)]
struct WireToken<'a> {
    v: &'a str,
    rv: i64,
    start: &'a str,
}

/// Encodes a token for the relative start key `start` at revision `rv` (use `-1` for "latest").
pub fn encode(start: &str, rv: i64) -> String {
    let wire = WireToken {
        v: TOKEN_VERSION,
        rv,
        start,
    };
    // Serializing three plain fields into a Vec cannot fail; fall back to an empty body anyway.
    let json = crate::json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// `EncodeContinue(key, keyPrefix, rv)`: a token starting at the full key `key`, stored relative to
/// `key_prefix`. Fails when `key` does not start with a non-empty `key_prefix`.
pub fn encode_key(key: &str, key_prefix: &str, rv: i64) -> Result<String, ContinueError> {
    let relative = if key_prefix.is_empty() {
        key
    } else {
        key.strip_prefix(key_prefix)
            .ok_or(ContinueError::KeyPrefixMismatch)?
    };
    Ok(encode(relative, rv))
}

/// The token of a page whose last returned item had the full key `last_key`: it starts just after
/// it (`last_key + "\0"`), at `rv` (the resolved revision, never -1).
pub fn next_page_token(last_key: &str, key_prefix: &str, rv: i64) -> Result<String, ContinueError> {
    encode_key(&format!("{last_key}\u{0}"), key_prefix, rv)
}

/// The 410 for a token whose revision was compacted: `metadata.continue` is a new token with the
/// same start and `rv:-1` (the inconsistent-continue message), or the short message if the start
/// key cannot be re-encoded.
pub fn expired_status(start_key: &str, key_prefix: &str) -> Status {
    Status::expired_continue(encode_key(start_key, key_prefix, -1).ok())
}

/// `DecodeContinue(token, keyPrefix)`: the inclusive start key and the revision, or the exact
/// error.
pub fn decode(token: &str, key_prefix: &str) -> Result<Continue, ContinueError> {
    let data =
        go_base64_raw_url_decode(token.as_bytes()).map_err(|offset| ContinueError::Base64 { offset })?;
    let parsed = go_json::unmarshal_token(&data).map_err(ContinueError::Json)?;
    if parsed.v != TOKEN_VERSION {
        return Err(ContinueError::UnrecognizedVersion(parsed.v));
    }
    if parsed.rv == 0 {
        return Err(ContinueError::InvalidStartRv);
    }
    if parsed.start.is_empty() {
        return Err(ContinueError::EmptyStartKey);
    }
    let key = if parsed.start.starts_with('/') {
        parsed.start.clone()
    } else {
        format!("/{}", parsed.start)
    };
    let cleaned = clean_rooted_path(&key);
    if cleaned != key {
        return Err(ContinueError::InvalidKey(parsed.start));
    }
    Ok(Continue {
        start_key: format!("{key_prefix}{}", &cleaned[1..]),
        rv: parsed.rv,
    })
}

/// Go's `path.Clean` for a path that starts with `/`.
fn clean_rooted_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for element in path.split('/') {
        match element {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Go's `base64.RawURLEncoding.DecodeString`: `\r` and `\n` are skipped, a lone trailing
/// character and any byte outside the alphabet are errors at Go's offsets, and trailing bits are
/// ignored (non-strict mode).
fn go_base64_raw_url_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    fn value(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(src.len() * 3 / 4);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                if j == 1 {
                    return Err(si - j);
                }
                dlen = j;
                break;
            }
            let c = src[si];
            si += 1;
            match value(c) {
                Some(v) => {
                    dbuf[j] = v;
                    j += 1;
                }
                None if c == b'\n' || c == b'\r' => {}
                None => return Err(si - 1),
            }
        }
        let val = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
    }
    Ok(out)
}

/// Just enough of Go's `encoding/json` to unmarshal a continue token with Go's exact errors:
/// the syntax check of `checkValid` (the scanner's messages), then the decode of the three fields
/// with `UnmarshalTypeError`s, case-insensitive key matching, last-duplicate-wins and `null` as a
/// no-op.
mod go_json {
    /// The decoded fields.
    #[derive(Debug, Default)]
    pub(super) struct Token {
        pub(super) v: String,
        pub(super) rv: i64,
        pub(super) start: String,
    }

    const MAX_NESTING_DEPTH: usize = 10000;

    /// `quoteChar`: how the scanner prints an offending byte.
    fn quote_char(c: u8) -> String {
        match c {
            b'\'' => "'\\''".to_string(),
            b'"' => "'\"'".to_string(),
            _ => {
                let r = char::from(c);
                let inner = match r {
                    '\\' => "\\\\".to_string(),
                    '\u{7}' => "\\a".to_string(),
                    '\u{8}' => "\\b".to_string(),
                    '\u{c}' => "\\f".to_string(),
                    '\n' => "\\n".to_string(),
                    '\r' => "\\r".to_string(),
                    '\t' => "\\t".to_string(),
                    '\u{b}' => "\\v".to_string(),
                    _ if c < 0x20 || c == 0x7f => format!("\\x{c:02x}"),
                    // Latin-1 controls, NBSP and the soft hyphen are not printable in Go.
                    _ if (0x80..=0xa0).contains(&c) || c == 0xad => format!("\\u{c:04x}"),
                    _ => r.to_string(),
                };
                format!("'{inner}'")
            }
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Parse {
        ObjectKey,
        ObjectValue,
        ArrayValue,
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        BeginValue,
        BeginValueOrEmpty,
        BeginStringOrEmpty,
        BeginString,
        EndValue,
        EndTop,
        InString,
        InStringEsc,
        InStringEscU(u8),
        Neg,
        One,
        Zero,
        Dot,
        Dot0,
        E,
        ESign,
        E0,
        Literal(&'static [u8], usize, &'static str),
    }

    fn is_space(c: u8) -> bool {
        matches!(c, b' ' | b'\t' | b'\r' | b'\n')
    }

    struct Scanner {
        state: State,
        parse: Vec<Parse>,
        end_top: bool,
        err: Option<String>,
    }

    impl Scanner {
        fn error(&mut self, c: u8, context: &str) {
            self.err = Some(format!("invalid character {} {context}", quote_char(c)));
        }

        fn push(&mut self, c: u8, p: Parse) {
            self.parse.push(p);
            if self.parse.len() > MAX_NESTING_DEPTH {
                self.error(c, "exceeded max depth");
            }
        }

        fn begin_value(&mut self, c: u8) {
            if is_space(c) {
                return;
            }
            match c {
                b'{' => {
                    self.state = State::BeginStringOrEmpty;
                    self.push(c, Parse::ObjectKey);
                }
                b'[' => {
                    self.state = State::BeginValueOrEmpty;
                    self.push(c, Parse::ArrayValue);
                }
                b'"' => self.state = State::InString,
                b'-' => self.state = State::Neg,
                b'0' => self.state = State::Zero,
                b'1'..=b'9' => self.state = State::One,
                b't' => self.state = State::Literal(b"rue", 0, "true"),
                b'f' => self.state = State::Literal(b"alse", 0, "false"),
                b'n' => self.state = State::Literal(b"ull", 0, "null"),
                _ => self.error(c, "looking for beginning of value"),
            }
        }

        fn end_value(&mut self, c: u8) {
            let Some(&top) = self.parse.last() else {
                self.end_top = true;
                self.state = State::EndTop;
                self.end_top_step(c);
                return;
            };
            if is_space(c) {
                self.state = State::EndValue;
                return;
            }
            match top {
                Parse::ObjectKey => {
                    if c == b':' {
                        if let Some(p) = self.parse.last_mut() {
                            *p = Parse::ObjectValue;
                        }
                        self.state = State::BeginValue;
                    } else {
                        self.error(c, "after object key");
                    }
                }
                Parse::ObjectValue => match c {
                    b',' => {
                        if let Some(p) = self.parse.last_mut() {
                            *p = Parse::ObjectKey;
                        }
                        self.state = State::BeginString;
                    }
                    b'}' => self.pop(),
                    _ => self.error(c, "after object key:value pair"),
                },
                Parse::ArrayValue => match c {
                    b',' => self.state = State::BeginValue,
                    b']' => self.pop(),
                    _ => self.error(c, "after array element"),
                },
            }
        }

        fn pop(&mut self) {
            self.parse.pop();
            if self.parse.is_empty() {
                self.state = State::EndTop;
                self.end_top = true;
            } else {
                self.state = State::EndValue;
            }
        }

        fn end_top_step(&mut self, c: u8) {
            if !is_space(c) {
                self.error(c, "after top-level value");
            }
        }

        fn step(&mut self, c: u8) {
            match self.state {
                State::BeginValue => self.begin_value(c),
                State::BeginValueOrEmpty => {
                    if is_space(c) {
                        return;
                    }
                    if c == b']' {
                        self.end_value(c);
                    } else {
                        self.begin_value(c);
                    }
                }
                State::BeginStringOrEmpty => {
                    if is_space(c) {
                        return;
                    }
                    if c == b'}' {
                        if let Some(p) = self.parse.last_mut() {
                            *p = Parse::ObjectValue;
                        }
                        self.end_value(c);
                    } else {
                        self.state = State::BeginString;
                        self.step(c);
                    }
                }
                State::BeginString => {
                    if is_space(c) {
                        return;
                    }
                    if c == b'"' {
                        self.state = State::InString;
                    } else {
                        self.error(c, "looking for beginning of object key string");
                    }
                }
                State::EndValue => self.end_value(c),
                State::EndTop => self.end_top_step(c),
                State::InString => match c {
                    b'"' => self.state = State::EndValue,
                    b'\\' => self.state = State::InStringEsc,
                    _ if c < 0x20 => self.error(c, "in string literal"),
                    _ => {}
                },
                State::InStringEsc => match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => self.state = State::InString,
                    b'u' => self.state = State::InStringEscU(0),
                    _ => self.error(c, "in string escape code"),
                },
                State::InStringEscU(n) => {
                    if c.is_ascii_hexdigit() {
                        self.state = if n == 3 {
                            State::InString
                        } else {
                            State::InStringEscU(n + 1)
                        };
                    } else {
                        self.error(c, "in \\u hexadecimal character escape");
                    }
                }
                State::Neg => match c {
                    b'0' => self.state = State::Zero,
                    b'1'..=b'9' => self.state = State::One,
                    _ => self.error(c, "in numeric literal"),
                },
                State::One => {
                    if !c.is_ascii_digit() {
                        self.state = State::Zero;
                        self.step(c);
                    }
                }
                State::Zero => match c {
                    b'.' => self.state = State::Dot,
                    b'e' | b'E' => self.state = State::E,
                    _ => self.end_value(c),
                },
                State::Dot => {
                    if c.is_ascii_digit() {
                        self.state = State::Dot0;
                    } else {
                        self.error(c, "after decimal point in numeric literal");
                    }
                }
                State::Dot0 => {
                    if c.is_ascii_digit() {
                        return;
                    }
                    if c == b'e' || c == b'E' {
                        self.state = State::E;
                    } else {
                        self.end_value(c);
                    }
                }
                State::E => {
                    if c == b'+' || c == b'-' {
                        self.state = State::ESign;
                    } else {
                        self.state = State::ESign;
                        self.step(c);
                    }
                }
                State::ESign => {
                    if c.is_ascii_digit() {
                        self.state = State::E0;
                    } else {
                        self.error(c, "in exponent of numeric literal");
                    }
                }
                State::E0 => {
                    if !c.is_ascii_digit() {
                        self.end_value(c);
                    }
                }
                State::Literal(rest, i, word) => {
                    if c == rest[i] {
                        self.state = if i + 1 == rest.len() {
                            State::EndValue
                        } else {
                            State::Literal(rest, i + 1, word)
                        };
                    } else {
                        let expecting = char::from(rest[i]);
                        self.error(c, &format!("in literal {word} (expecting '{expecting}')"));
                    }
                }
            }
        }
    }

    /// `checkValid`: `None` when `data` is one valid JSON value, else the scanner's message.
    fn check_valid(data: &[u8]) -> Option<String> {
        let mut s = Scanner {
            state: State::BeginValue,
            parse: Vec::new(),
            end_top: false,
            err: None,
        };
        for &c in data {
            s.step(c);
            if s.err.is_some() {
                return s.err;
            }
        }
        if s.end_top {
            return None;
        }
        s.step(b' ');
        if s.end_top {
            return None;
        }
        Some(
            s.err
                .unwrap_or_else(|| "unexpected end of JSON input".to_string()),
        )
    }

    /// A cursor over data already known to be valid JSON.
    struct Reader<'a> {
        data: &'a [u8],
        pos: usize,
    }

    /// The kind of a value, as `UnmarshalTypeError.Value` names it.
    enum Value {
        Str(String),
        Number(String),
        Bool,
        Null,
        Object,
        Array,
    }

    impl Reader<'_> {
        fn peek(&self) -> u8 {
            self.data.get(self.pos).copied().unwrap_or(0)
        }

        fn skip_space(&mut self) {
            while is_space(self.peek()) && self.pos < self.data.len() {
                self.pos += 1;
            }
        }

        fn hex4(&self, at: usize) -> Option<u32> {
            let digits = self.data.get(at..at + 4)?;
            let text = std::str::from_utf8(digits).ok()?;
            u32::from_str_radix(text, 16).ok()
        }

        /// A string literal at `pos` (the opening quote), decoded as Go does: invalid UTF-8 bytes
        /// and unpaired surrogates become U+FFFD.
        fn string(&mut self) -> String {
            self.pos += 1;
            let mut out = String::new();
            loop {
                let c = self.peek();
                if self.pos >= self.data.len() || c == b'"' {
                    self.pos += 1;
                    return out;
                }
                if c == b'\\' {
                    let e = self.data.get(self.pos + 1).copied().unwrap_or(0);
                    self.pos += 2;
                    match e {
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let r = self.hex4(self.pos).unwrap_or(0xfffd);
                            self.pos += 4;
                            if (0xd800..0xe000).contains(&r) {
                                let paired = (self.data.get(self.pos..self.pos + 2)
                                    == Some(b"\\u".as_slice()))
                                .then(|| self.hex4(self.pos + 2))
                                .flatten()
                                .filter(|lo| (0xd800..0xdc00).contains(&r) && (0xdc00..0xe000).contains(lo));
                                match paired {
                                    Some(lo) => {
                                        let cp = 0x10000 + ((r - 0xd800) << 10) + (lo - 0xdc00);
                                        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                        self.pos += 6;
                                    }
                                    None => out.push('\u{fffd}'),
                                }
                            } else {
                                out.push(char::from_u32(r).unwrap_or('\u{fffd}'));
                            }
                        }
                        other => out.push(char::from(other)),
                    }
                    continue;
                }
                let rest = &self.data[self.pos..self.data.len().min(self.pos + 4)];
                match decode_rune(rest) {
                    Some((ch, len)) => {
                        out.push(ch);
                        self.pos += len;
                    }
                    None => {
                        out.push('\u{fffd}');
                        self.pos += 1;
                    }
                }
            }
        }

        /// Skips a nested object or array at `pos` (its opening bracket).
        fn skip_composite(&mut self) {
            let mut depth = 0usize;
            while self.pos < self.data.len() {
                match self.peek() {
                    b'"' => {
                        self.string();
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            self.pos += 1;
                            return;
                        }
                    }
                    _ => {}
                }
                self.pos += 1;
            }
        }

        fn value(&mut self) -> Value {
            self.skip_space();
            match self.peek() {
                b'"' => Value::Str(self.string()),
                b'{' => {
                    self.skip_composite();
                    Value::Object
                }
                b'[' => {
                    self.skip_composite();
                    Value::Array
                }
                b't' => {
                    self.pos += 4;
                    Value::Bool
                }
                b'f' => {
                    self.pos += 5;
                    Value::Bool
                }
                b'n' => {
                    self.pos += 4;
                    Value::Null
                }
                _ => {
                    let start = self.pos;
                    while self.pos < self.data.len()
                        && matches!(self.peek(), b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        self.pos += 1;
                    }
                    Value::Number(String::from_utf8_lossy(&self.data[start..self.pos]).into())
                }
            }
        }
    }

    /// `utf8.DecodeRune` for a valid sequence; `None` for an invalid first byte or sequence.
    fn decode_rune(bytes: &[u8]) -> Option<(char, usize)> {
        let first = *bytes.first()?;
        let len = match first {
            0x00..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return None,
        };
        let s = std::str::from_utf8(bytes.get(..len)?).ok()?;
        s.chars().next().map(|c| (c, len))
    }

    fn type_error(value: &Value, field: &str, go_type: &str) -> String {
        let what = match value {
            Value::Str(_) => "string".to_string(),
            Value::Number(n) => {
                if go_type == "int64" {
                    format!("number {n}")
                } else {
                    "number".to_string()
                }
            }
            Value::Bool => "bool".to_string(),
            Value::Null => "null".to_string(),
            Value::Object => "object".to_string(),
            Value::Array => "array".to_string(),
        };
        format!("json: cannot unmarshal {what} into Go struct field continueToken.{field} of type {go_type}")
    }

    /// `json.Unmarshal(data, &continueToken{})`, with Go's error text.
    pub(super) fn unmarshal_token(data: &[u8]) -> Result<Token, String> {
        if let Some(err) = check_valid(data) {
            return Err(err);
        }
        let mut r = Reader { data, pos: 0 };
        let mut token = Token::default();
        r.skip_space();
        let top = match r.peek() {
            b'{' => None,
            b'"' => Some("string"),
            b'[' => Some("array"),
            b't' | b'f' => Some("bool"),
            b'n' => return Ok(token),
            _ => Some("number"),
        };
        if let Some(what) = top {
            return Err(format!(
                "json: cannot unmarshal {what} into Go value of type storage.continueToken"
            ));
        }
        r.pos += 1;
        let mut first_error: Option<String> = None;
        loop {
            r.skip_space();
            if r.pos >= r.data.len() {
                break;
            }
            match r.peek() {
                b'}' => break,
                b',' => {
                    r.pos += 1;
                    continue;
                }
                _ => {}
            }
            let key = r.string();
            r.skip_space();
            r.pos += 1; // ':'
            let value = r.value();
            let field = if key == "v" || key == "rv" || key == "start" {
                key.as_str()
            } else {
                // bytes.EqualFold also folds U+017F (long s) to 's'.
                match key.replace('\u{17f}', "s").to_lowercase().as_str() {
                    "v" => "v",
                    "rv" => "rv",
                    "start" => "start",
                    _ => continue,
                }
            };
            let result = match (field, value) {
                (_, Value::Null) => Ok(()),
                ("rv", Value::Number(n)) => match n.parse::<i64>() {
                    Ok(rv) => {
                        token.rv = rv;
                        Ok(())
                    }
                    Err(_) => Err(type_error(&Value::Number(n), "rv", "int64")),
                },
                ("rv", other) => Err(type_error(&other, "rv", "int64")),
                ("v", Value::Str(s)) => {
                    token.v = s;
                    Ok(())
                }
                ("start", Value::Str(s)) => {
                    token.start = s;
                    Ok(())
                }
                (name, other) => Err(type_error(&other, name, "string")),
            };
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(token),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn syntax_errors_match_go() {
            let cases: &[(&[u8], &str)] = &[
                (b"", "unexpected end of JSON input"),
                (b"x", "invalid character 'x' looking for beginning of value"),
                (b"{", "unexpected end of JSON input"),
                (
                    b"{x",
                    "invalid character 'x' looking for beginning of object key string",
                ),
                (b"{\"a\" 1}", "invalid character '1' after object key"),
                (
                    b"{\"a\":1 2}",
                    "invalid character '2' after object key:value pair",
                ),
                (b"[1 2]", "invalid character '2' after array element"),
                (b"{} x", "invalid character 'x' after top-level value"),
                (b"\"a\x01\"", "invalid character '\\x01' in string literal"),
                (b"\"\\q\"", "invalid character 'q' in string escape code"),
                (
                    b"\"\\u12x4\"",
                    "invalid character 'x' in \\u hexadecimal character escape",
                ),
                (b"-x", "invalid character 'x' in numeric literal"),
                (b"-", "invalid character ' ' in numeric literal"),
                (
                    b"1.x",
                    "invalid character 'x' after decimal point in numeric literal",
                ),
                (b"1ex", "invalid character 'x' in exponent of numeric literal"),
                (b"tx", "invalid character 'x' in literal true (expecting 'r')"),
                (b"fals", "invalid character ' ' in literal false (expecting 'e')"),
                (b"\"abc", "unexpected end of JSON input"),
                (b"nul!", "invalid character '!' in literal null (expecting 'l')"),
                (b"'", "invalid character '\\'' looking for beginning of value"),
                (
                    b"{\"a\":\"b\"\"",
                    "invalid character '\"' after object key:value pair",
                ),
                (
                    b"\xc3",
                    "invalid character '\u{c3}' looking for beginning of value",
                ),
                (
                    b"\x85",
                    "invalid character '\\u0085' looking for beginning of value",
                ),
                (b"01", "invalid character '1' after top-level value"),
            ];
            for (input, want) in cases {
                assert_eq!(
                    check_valid(input).as_deref(),
                    Some(*want),
                    "input {:?}",
                    String::from_utf8_lossy(input)
                );
            }
            let deep = "[".repeat(10_001);
            assert_eq!(
                check_valid(deep.as_bytes()).as_deref(),
                Some("invalid character '[' exceeded max depth")
            );
            assert_eq!(
                check_valid("[".repeat(10_000).as_bytes()).as_deref(),
                Some("unexpected end of JSON input")
            );
            for ok in [
                &b" {\"a\":[1,-2.5e+3,{\"b\":null}],\"c\":true} "[..],
                b"0",
                b"[]",
                b"{}",
            ] {
                assert_eq!(check_valid(ok), None);
            }
        }

        #[test]
        fn type_errors_match_go() {
            let cases: &[(&str, &str)] = &[
                ("[]", "json: cannot unmarshal array into Go value of type storage.continueToken"),
                ("\"s\"", "json: cannot unmarshal string into Go value of type storage.continueToken"),
                ("5", "json: cannot unmarshal number into Go value of type storage.continueToken"),
                (r#"{"rv":"5"}"#, "json: cannot unmarshal string into Go struct field continueToken.rv of type int64"),
                (r#"{"rv":1.5}"#, "json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64"),
                (r#"{"rv":99999999999999999999}"#, "json: cannot unmarshal number 99999999999999999999 into Go struct field continueToken.rv of type int64"),
                (r#"{"v":5,"rv":"x"}"#, "json: cannot unmarshal number into Go struct field continueToken.v of type string"),
                (r#"{"start":{"a":"}"}}"#, "json: cannot unmarshal object into Go struct field continueToken.start of type string"),
                (r#"{"start":[true]}"#, "json: cannot unmarshal array into Go struct field continueToken.start of type string"),
                (r#"{"v":true}"#, "json: cannot unmarshal bool into Go struct field continueToken.v of type string"),
            ];
            for (input, want) in cases {
                assert_eq!(
                    unmarshal_token(input.as_bytes()).unwrap_err(),
                    *want,
                    "input {input}"
                );
            }
        }

        #[test]
        fn decodes_like_go() {
            let t = unmarshal_token(br#"{"V":"meta.k8s.io/v1","RV":7,"Start":"a\u0000\ud83d\ude00\ud800","x":[{"y":"]"}],"start":null}"#).unwrap();
            assert_eq!(t.v, "meta.k8s.io/v1");
            assert_eq!(t.rv, 7);
            assert_eq!(t.start, "a\u{0}\u{1f600}\u{fffd}");
            let t = unmarshal_token(b"{\"start\":\"a\xffb\",\"rv\":1,\"rv\":-1}").unwrap();
            assert_eq!(t.start, "a\u{fffd}b");
            assert_eq!(t.rv, -1);
            assert_eq!(unmarshal_token(b"null").unwrap().rv, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn spec_example_token() {
        let token = encode("default/foo\u{0}", 5);
        assert_eq!(
            token,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiJkZWZhdWx0L2Zvb1x1MDAwMCJ9"
        );
        let decoded = decode(&token, "").unwrap();
        assert_eq!(decoded.start_key, "default/foo\u{0}");
        assert_eq!(decoded.rv, 5);
        assert_eq!(decoded.revision(), ContinueRevision::Exact(5));
    }

    #[test]
    fn encodes_with_go_escaping() {
        let token = encode("a<b>&c", -1);
        let json = URL_SAFE_NO_PAD.decode(token).unwrap();
        assert_eq!(
            json,
            br#"{"v":"meta.k8s.io/v1","rv":-1,"start":"a\u003cb\u003e\u0026c"}"#
        );
    }

    #[test]
    fn relative_keys_and_prefixes() {
        let t = next_page_token(
            "/registry/services/endpoints/second/bar",
            "/registry/services/endpoints/second/",
            9,
        )
        .unwrap();
        let json = URL_SAFE_NO_PAD.decode(&t).unwrap();
        assert_eq!(json, br#"{"v":"meta.k8s.io/v1","rv":9,"start":"bar\u0000"}"#);
        let d = decode(&t, "/registry/services/endpoints/second/").unwrap();
        assert_eq!(d.start_key, "/registry/services/endpoints/second/bar\u{0}");
        // A store keyed by ns/name: prefix "" for all namespaces, "ns/" for one.
        let t = next_page_token("first/bar", "", 5).unwrap();
        assert_eq!(decode(&t, "").unwrap().start_key, "first/bar\u{0}");
        assert_eq!(
            next_page_token("other/x", "first/", 5),
            Err(ContinueError::KeyPrefixMismatch)
        );
        // The watch-cache form with a leading slash decodes the same.
        let t = raw(r#"{"v":"meta.k8s.io/v1","rv":3,"start":"/foo\u0000"}"#);
        assert_eq!(decode(&t, "ns/").unwrap().start_key, "ns/foo\u{0}");
        // Hand-made tokens start at (inclusive) the given key.
        let t = raw(r#"{"v":"meta.k8s.io/v1","rv":3,"start":"foo"}"#);
        assert_eq!(decode(&t, "second/").unwrap().start_key, "second/foo");
    }

    #[test]
    fn rv_minus_one_means_latest() {
        let t = encode("first/bar\u{0}", -1);
        let d = decode(&t, "").unwrap();
        assert_eq!(d.rv, -1);
        assert_eq!(d.revision(), ContinueRevision::Latest);
    }

    #[test]
    fn decode_errors() {
        let cases: Vec<(String, &str)> = vec![
            // conformance #46
            (
                encode("", 8),
                "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)",
            ),
            // conformance #47
            (
                encode("first/bar\u{0}", 0),
                "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ),
            (
                raw(r#"{"v":"meta.k8s.io/v1","start":"a"}"#),
                "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ),
            // conformance #48
            (
                encode("../x", 8),
                "invalid continue token: continue key is not valid: ../x",
            ),
            (
                encode("a/./b", 8),
                "invalid continue token: continue key is not valid: a/./b",
            ),
            (
                encode("a//b", 8),
                "invalid continue token: continue key is not valid: a//b",
            ),
            (
                encode("a/", 8),
                "invalid continue token: continue key is not valid: a/",
            ),
            // conformance #49
            (
                "abc=".to_string(),
                "invalid continue token: continue key is not valid: illegal base64 data at input byte 3",
            ),
            (
                "ab+c".to_string(),
                "invalid continue token: continue key is not valid: illegal base64 data at input byte 2",
            ),
            (
                "abcde".to_string(),
                "invalid continue token: continue key is not valid: illegal base64 data at input byte 4",
            ),
            (
                raw("x"),
                "invalid continue token: continue key is not valid: invalid character 'x' looking for beginning of value",
            ),
            (
                raw(r#"{"v":"meta.k8s.io/v2","rv":1,"start":"a"}"#),
                "invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2",
            ),
            (
                raw(r#"{"rv":1,"start":"a"}"#),
                "invalid continue token: continue key is not valid: server does not recognize this encoded version ",
            ),
            (
                raw(r#"{"v":"meta.k8s.io/v1","rv":"1","start":"a"}"#),
                "invalid continue token: continue key is not valid: json: cannot unmarshal string into Go struct field continueToken.rv of type int64",
            ),
        ];
        for (token, want) in cases {
            let err = decode(&token, "").unwrap_err();
            let status = err.to_status();
            assert_eq!(status.message, want, "token {token}");
            assert_eq!(status.code, 400);
        }
    }

    #[test]
    fn base64_skips_newlines_and_ignores_trailing_bits() {
        assert_eq!(go_base64_raw_url_decode(b"YW\nJj").unwrap(), b"abc");
        assert_eq!(go_base64_raw_url_decode(b"YWI").unwrap(), b"ab");
        assert_eq!(go_base64_raw_url_decode(b"YWJ").unwrap(), b"ab");
        assert_eq!(go_base64_raw_url_decode(b"").unwrap(), b"");
        assert_eq!(go_base64_raw_url_decode(b"Y"), Err(0));
    }

    #[test]
    fn path_clean() {
        for (input, want) in [
            ("/a", "/a"),
            ("/a/../b", "/b"),
            ("/../x", "/x"),
            ("/a/", "/a"),
            ("/", "/"),
            ("//a", "/a"),
            ("/a/./b", "/a/b"),
        ] {
            assert_eq!(clean_rooted_path(input), want);
        }
        // "/" alone is clean: the start is the prefix itself.
        let t = encode("/", 2);
        assert_eq!(decode(&t, "p/").unwrap().start_key, "p/");
    }

    #[test]
    fn expired_status_carries_rv_minus_one_token() {
        let s = expired_status("first/bar\u{0}", "");
        assert_eq!(s.code, 410);
        let token = s.continue_token.clone().unwrap();
        let d = decode(&token, "").unwrap();
        assert_eq!(d.rv, -1);
        assert_eq!(d.start_key, "first/bar\u{0}");
        let s = expired_status("zzz", "first/");
        assert!(s.continue_token.is_none());
    }
}

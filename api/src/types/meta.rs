//! `k8s.io/apimachinery/pkg/apis/meta/v1` types as kube-apiserver 1.34 serializes them:
//! [`TypeMeta`], [`ObjectMeta`], [`OwnerReference`], [`ManagedFieldsEntry`], [`ListMeta`] and the
//! second-precision [`Time`].
//!
//! Serialization follows the Go struct tags: fields in Go declaration order, `omitempty` fields left
//! out when empty (empty maps and slices included), pointers left out when nil. `creationTimestamp`
//! is `omitempty,omitzero` in 1.34, so a zero time is left out rather than written `null`.
//! Strings are escaped by whatever writer runs the [`serde::Serialize`] impls (use
//! [`crate::json::to_vec`] for Go's escaping).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

/// The layout Go's `time.RFC3339` names; it appears verbatim in time parse errors.
pub const RFC3339_LAYOUT: &str = "2006-01-02T15:04:05Z07:00";

/// `metav1.Time`: an instant with second precision, serialized as RFC 3339 in UTC
/// (`2025-01-01T00:00:00Z`).
///
/// Go's zero time (`0001-01-01T00:00:00Z`) is a real value here, as it is in Go: a zero `Time`
/// serializes as `null`, and `creationTimestamp` omits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(DateTime<Utc>);

impl Default for Time {
    fn default() -> Self {
        Self::zero()
    }
}

impl Time {
    /// Go's zero `time.Time`: `0001-01-01T00:00:00Z`.
    pub fn zero() -> Self {
        // 0001-01-01T00:00:00Z is -62135596800 seconds from the Unix epoch.
        Self::from_unix(-62_135_596_800).unwrap_or(Time(DateTime::<Utc>::MIN_UTC))
    }

    /// The current time, truncated to whole seconds (`metav1.Now()` as it is stored).
    pub fn now() -> Self {
        let secs = Utc::now().timestamp();
        Self::from_unix(secs).unwrap_or_else(Self::zero)
    }

    /// The instant `secs` seconds after the Unix epoch; `None` outside chrono's range.
    pub fn from_unix(secs: i64) -> Option<Self> {
        DateTime::<Utc>::from_timestamp(secs, 0).map(Time)
    }

    /// Converts a chrono instant, dropping sub-second precision.
    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Self::from_unix(dt.timestamp()).unwrap_or(Time(dt))
    }

    /// Whether this is Go's zero time.
    pub fn is_zero(&self) -> bool {
        *self == Self::zero()
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.0.timestamp()
    }

    /// The instant as a chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// `t.UTC().Format(time.RFC3339)`: `2025-01-01T00:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        let d = self.0;
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            go_year(d.year()),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }

    /// Go's `time.Time.String()` for a UTC time: `2025-01-01 00:00:00 +0000 UTC`. This is how a
    /// `metav1.Time` renders as the bad value of a field error (it is a `fmt.Stringer`).
    pub fn go_string(&self) -> String {
        let d = self.0;
        format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC",
            go_year(d.year()),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }

    /// `time.Parse(time.RFC3339, value)` with Go's acceptance rules and error texts: fractional
    /// seconds are accepted (and dropped), `Z` or a `±hh:mm` offset is required, one-digit hours are
    /// accepted, and a failure reads e.g.
    /// `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`.
    pub fn parse_rfc3339(value: &str) -> Result<Time, TimeParseError> {
        parse_go_rfc3339(value.as_bytes())
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Time {
    /// `metav1.Time.MarshalJSON`: `null` for the zero time, else the RFC 3339 string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_zero() {
            serializer.serialize_unit()
        } else {
            serializer.serialize_str(&self.to_rfc3339())
        }
    }
}

/// Go's `appendInt(b, year, 4)`: at least four digits, a leading `-` for negative years.
fn go_year(year: i32) -> String {
    if year < 0 {
        format!("-{:04}", year.unsigned_abs())
    } else {
        format!("{year:04}")
    }
}

/// A failed `time.Parse(time.RFC3339, ...)`, with Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimeParseError(pub String);

/// Go's `time.quote`: ASCII kept (with `"` and `\` escaped), everything else as `\xNN` bytes.
fn time_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if (b' '..0x80).contains(&c) {
            if c == b'"' || c == b'\\' {
                out.push('\\');
            }
            out.push(c as char);
            i += 1;
            continue;
        }
        // One rune (or one invalid byte) is written as its bytes in \x form.
        let width = if c < 0x80 { 1 } else { utf8_rune_width(&s[i..]) };
        for b in &s[i..i + width] {
            out.push_str(&format!("\\x{b:02x}"));
        }
        i += width;
    }
    out.push('"');
    out
}

/// The byte length of the valid UTF-8 rune at the start of `s`, or 1 when it is invalid.
pub(crate) fn utf8_rune_width(s: &[u8]) -> usize {
    let want = match s.first() {
        Some(b) if *b < 0x80 => 1,
        Some(b) if *b & 0xE0 == 0xC0 => 2,
        Some(b) if *b & 0xF0 == 0xE0 => 3,
        Some(b) if *b & 0xF8 == 0xF0 => 4,
        _ => return 1,
    };
    if s.len() >= want && std::str::from_utf8(&s[..want]).is_ok() {
        want
    } else {
        1
    }
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(|c| c.is_ascii_digit())
}

/// Go's `getnum`: one or two leading digits (exactly two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(s, 0) {
        return None;
    }
    if !is_digit(s, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(s[0] - b'0'), &s[1..]));
    }
    Some((i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'), &s[2..]))
}

/// Go's `atoi` on the four year bytes: optional sign, then only digits.
fn go_atoi(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut x: i64 = 0;
    for c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        x = x * 10 + i64::from(c - b'0');
    }
    Some(if neg { -x } else { x })
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse_go_rfc3339<'a>(avalue: &'a [u8]) -> Result<Time, TimeParseError> {
    let cannot = |elem: &str, rest: &[u8]| {
        TimeParseError(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            time_quote(avalue),
            time_quote(RFC3339_LAYOUT.as_bytes()),
            time_quote(rest),
            time_quote(elem.as_bytes())
        ))
    };
    let message = |msg: String| TimeParseError(format!("parsing time {}{}", time_quote(avalue), msg));
    let range = |what: &str| message(format!(": {what} out of range"));
    let skip = |value: &'a [u8], prefix: u8| -> Result<&'a [u8], TimeParseError> {
        if value.first() == Some(&prefix) {
            Ok(&value[1..])
        } else {
            Err(cannot(&(prefix as char).to_string(), value))
        }
    };

    let mut value = avalue;
    // 2006
    if value.len() < 4 {
        return Err(cannot("2006", value));
    }
    let year = go_atoi(&value[..4]).ok_or_else(|| cannot("2006", value))?;
    value = &value[4..];
    // -01
    value = skip(value, b'-')?;
    let (month, rest) = getnum(value, true).ok_or_else(|| cannot("01", value))?;
    if !(1..=12).contains(&month) {
        return Err(range("month"));
    }
    value = rest;
    // -02
    value = skip(value, b'-')?;
    let (day, rest) = getnum(value, true).ok_or_else(|| cannot("02", value))?;
    value = rest;
    // T15
    value = skip(value, b'T')?;
    let (hour, rest) = getnum(value, false).ok_or_else(|| cannot("15", value))?;
    if hour >= 24 {
        return Err(range("hour"));
    }
    value = rest;
    // :04
    value = skip(value, b':')?;
    let (minute, rest) = getnum(value, true).ok_or_else(|| cannot("04", value))?;
    if minute >= 60 {
        return Err(range("minute"));
    }
    value = rest;
    // :05 (plus an optional fraction the layout does not name)
    value = skip(value, b':')?;
    let (second, rest) = getnum(value, true).ok_or_else(|| cannot("05", value))?;
    if second >= 60 {
        return Err(range("second"));
    }
    value = rest;
    if value.len() >= 2 && (value[0] == b'.' || value[0] == b',') && is_digit(value, 1) {
        let mut n = 2;
        while is_digit(value, n) {
            n += 1;
        }
        value = &value[n..];
    }
    // Z07:00
    let offset_secs: i64;
    if value.first() == Some(&b'Z') {
        value = &value[1..];
        offset_secs = 0;
    } else {
        let hold = value;
        if value.len() < 6 || value[3] != b':' {
            return Err(cannot("Z07:00", hold));
        }
        let sign = value[0];
        let hh = getnum(&value[1..3], true);
        let mm = getnum(&value[4..6], true);
        let (Some((hr, _)), Some((mn, _))) = (hh, mm) else {
            return Err(cannot("Z07:00", hold));
        };
        // Go assigns the hour check first and the minute check second: the latter wins.
        if mn > 60 {
            return Err(range("time zone offset minute"));
        }
        if hr > 24 {
            return Err(range("time zone offset hour"));
        }
        let off = (hr * 60 + mn) * 60;
        offset_secs = match sign {
            b'+' => off,
            b'-' => -off,
            _ => return Err(cannot("Z07:00", hold)),
        };
        value = &value[6..];
    }
    if !value.is_empty() {
        let rest = time_quote(value);
        return Err(message(format!(": extra text: {rest}")));
    }
    if day < 1 || day > days_in(month, year) {
        return Err(range("day"));
    }
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month as u32, day as u32))
        .and_then(|d| d.and_hms_opt(hour as u32, minute as u32, second as u32))
        .ok_or_else(|| range("day"))?;
    let secs = date.and_utc().timestamp() - offset_secs;
    Time::from_unix(secs).ok_or_else(|| range("year"))
}

/// `metav1.TypeMeta`: `kind` and `apiVersion`, both `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TypeMeta {
    /// `kind` (e.g. `Endpoints`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `apiVersion` (e.g. `v1`).
    #[serde(rename = "apiVersion", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
}

/// `metav1.OwnerReference`. `apiVersion`, `kind`, `name` and `uid` are not `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OwnerReference {
    /// `apiVersion` of the owner.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind` of the owner.
    pub kind: String,
    /// `name` of the owner.
    pub name: String,
    /// `uid` of the owner.
    pub uid: String,
    /// `controller` (pointer: `None` is omitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    /// `blockOwnerDeletion` (pointer: `None` is omitted).
    #[serde(rename = "blockOwnerDeletion", skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

/// `metav1.ManagedFieldsEntry`; every field is `omitempty`.
///
/// `fieldsV1` is raw JSON in Go (`FieldsV1{Raw}`), kept here as a [`serde_json::Value`] (with
/// `preserve_order`, so its keys keep their order).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ManagedFieldsEntry {
    /// `manager`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub manager: String,
    /// `operation`: `Apply` or `Update`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub operation: String,
    /// `apiVersion`.
    #[serde(rename = "apiVersion", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `time` (pointer; a zero time serializes as `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// `fieldsType`: `FieldsV1`.
    #[serde(rename = "fieldsType", skip_serializing_if = "String::is_empty")]
    pub fields_type: String,
    /// `fieldsV1`: the field set, raw JSON.
    #[serde(rename = "fieldsV1", skip_serializing_if = "Option::is_none")]
    pub fields_v1: Option<serde_json::Value>,
    /// `subresource`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
}

impl ManagedFieldsEntry {
    /// Whether this is the zero entry `{}` (what `"managedFields":[{}]` decodes to).
    pub fn is_empty(&self) -> bool {
        *self == ManagedFieldsEntry::default()
    }
}

/// `metav1.ObjectMeta` as served by kube-apiserver 1.34.
///
/// Empty strings, zero numbers, empty maps and empty lists are omitted on output (`omitempty`);
/// `deletionTimestamp` and `deletionGracePeriodSeconds` are pointers (`None` omitted, `Some(0)`
/// written). `managedFields` keeps the Go distinction between a nil list (`None`: absent or
/// `null` in the request) and an empty one (`Some(vec![])`: `[]` in the request), which the field
/// manager needs; both serialize the same way (omitted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectMeta {
    /// `name`.
    pub name: String,
    /// `generateName`.
    pub generate_name: String,
    /// `namespace`.
    pub namespace: String,
    /// `selfLink` (never set by the server).
    pub self_link: String,
    /// `uid`.
    pub uid: String,
    /// `resourceVersion`: the decimal store revision.
    pub resource_version: String,
    /// `generation`.
    pub generation: i64,
    /// `creationTimestamp`; the zero time is omitted (1.34 `omitzero`).
    pub creation_timestamp: Time,
    /// `deletionTimestamp`.
    pub deletion_timestamp: Option<Time>,
    /// `deletionGracePeriodSeconds`.
    pub deletion_grace_period_seconds: Option<i64>,
    /// `labels`, in Go's sorted key order.
    pub labels: BTreeMap<String, String>,
    /// `annotations`, in Go's sorted key order.
    pub annotations: BTreeMap<String, String>,
    /// `ownerReferences`.
    pub owner_references: Vec<OwnerReference>,
    /// `finalizers`.
    pub finalizers: Vec<String>,
    /// `managedFields` (`None` = nil, `Some(vec![])` = non-nil empty).
    pub managed_fields: Option<Vec<ManagedFieldsEntry>>,
}

/// How [`ObjectMeta`] writes its `resourceVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevisionMode {
    /// As stored in the struct (`omitempty`).
    AsIs,
    /// Always `"resourceVersion":""`, whatever the struct holds: the slot the storage engine
    /// fills with the commit revision.
    Slot,
}

/// Serializes an [`ObjectMeta`] with a chosen [`RevisionMode`].
pub(crate) struct MetaSer<'a>(pub &'a ObjectMeta, pub RevisionMode);

impl Serialize for MetaSer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut s = serializer.serialize_struct("ObjectMeta", 15)?;
        if !m.name.is_empty() {
            s.serialize_field("name", &m.name)?;
        }
        if !m.generate_name.is_empty() {
            s.serialize_field("generateName", &m.generate_name)?;
        }
        if !m.namespace.is_empty() {
            s.serialize_field("namespace", &m.namespace)?;
        }
        if !m.self_link.is_empty() {
            s.serialize_field("selfLink", &m.self_link)?;
        }
        if !m.uid.is_empty() {
            s.serialize_field("uid", &m.uid)?;
        }
        match self.1 {
            RevisionMode::Slot => s.serialize_field("resourceVersion", "")?,
            RevisionMode::AsIs => {
                if !m.resource_version.is_empty() {
                    s.serialize_field("resourceVersion", &m.resource_version)?;
                }
            }
        }
        if m.generation != 0 {
            s.serialize_field("generation", &m.generation)?;
        }
        if !m.creation_timestamp.is_zero() {
            s.serialize_field("creationTimestamp", &m.creation_timestamp)?;
        }
        if let Some(t) = &m.deletion_timestamp {
            s.serialize_field("deletionTimestamp", t)?;
        }
        if let Some(g) = &m.deletion_grace_period_seconds {
            s.serialize_field("deletionGracePeriodSeconds", g)?;
        }
        if !m.labels.is_empty() {
            s.serialize_field("labels", &m.labels)?;
        }
        if !m.annotations.is_empty() {
            s.serialize_field("annotations", &m.annotations)?;
        }
        if !m.owner_references.is_empty() {
            s.serialize_field("ownerReferences", &m.owner_references)?;
        }
        if !m.finalizers.is_empty() {
            s.serialize_field("finalizers", &m.finalizers)?;
        }
        if let Some(mf) = &m.managed_fields {
            if !mf.is_empty() {
                s.serialize_field("managedFields", mf)?;
            }
        }
        s.end()
    }
}

impl Serialize for ObjectMeta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MetaSer(self, RevisionMode::AsIs).serialize(serializer)
    }
}

impl ObjectMeta {
    /// The managed fields as a slice (empty when nil).
    pub fn managed_fields(&self) -> &[ManagedFieldsEntry] {
        self.managed_fields.as_deref().unwrap_or(&[])
    }
}

/// `metav1.ListMeta`: `selfLink`, `resourceVersion`, `continue`, `remainingItemCount`, all
/// `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListMeta {
    /// `selfLink` (never set).
    #[serde(rename = "selfLink", skip_serializing_if = "String::is_empty")]
    pub self_link: String,
    /// `resourceVersion` of the list.
    #[serde(rename = "resourceVersion", skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// `continue` token.
    #[serde(rename = "continue", skip_serializing_if = "String::is_empty")]
    pub continue_token: String,
    /// `remainingItemCount`.
    #[serde(rename = "remainingItemCount", skip_serializing_if = "Option::is_none")]
    pub remaining_item_count: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats_like_go() {
        let t = Time::parse_rfc3339("2025-01-02T03:04:05Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-02T03:04:05Z");
        assert_eq!(t.go_string(), "2025-01-02 03:04:05 +0000 UTC");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2025-01-02T03:04:05Z\"");
        assert_eq!(serde_json::to_string(&Time::zero()).unwrap(), "null");
        assert!(Time::parse_rfc3339("0001-01-01T00:00:00Z").unwrap().is_zero());
    }

    #[test]
    fn time_parse_accepts_offsets_and_fractions() {
        let t = Time::parse_rfc3339("2025-01-01T01:30:00.123456+01:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-01T00:00:00Z");
        let t = Time::parse_rfc3339("2025-01-01T1:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-01T01:00:00Z");
    }

    #[test]
    fn time_parse_errors_like_go() {
        let l = r#""2006-01-02T15:04:05Z07:00""#;
        let cases = [
            (
                "x",
                format!(r#"parsing time "x" as {l}: cannot parse "x" as "2006""#),
            ),
            (
                "",
                format!(r#"parsing time "" as {l}: cannot parse "" as "2006""#),
            ),
            (
                "2025/01/01",
                format!(r#"parsing time "2025/01/01" as {l}: cannot parse "/01/01" as "-""#),
            ),
            (
                "2025-01-01",
                format!(r#"parsing time "2025-01-01" as {l}: cannot parse "" as "T""#),
            ),
            (
                "2025-01-01T00:00:00",
                format!(r#"parsing time "2025-01-01T00:00:00" as {l}: cannot parse "" as "Z07:00""#),
            ),
            (
                "2025-13-01T00:00:00Z",
                r#"parsing time "2025-13-01T00:00:00Z": month out of range"#.to_string(),
            ),
            (
                "2025-02-30T00:00:00Z",
                r#"parsing time "2025-02-30T00:00:00Z": day out of range"#.to_string(),
            ),
            (
                "2025-01-01T00:00:00Zjunk",
                r#"parsing time "2025-01-01T00:00:00Zjunk": extra text: "junk""#.to_string(),
            ),
            (
                "2025-01-01T24:00:00Z",
                r#"parsing time "2025-01-01T24:00:00Z": hour out of range"#.to_string(),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Time::parse_rfc3339(input).unwrap_err().0, want, "{input}");
        }
    }

    #[test]
    fn object_meta_omits_empty_fields() {
        let m = ObjectMeta::default();
        assert_eq!(serde_json::to_string(&m).unwrap(), "{}");
        let m = ObjectMeta {
            deletion_grace_period_seconds: Some(0),
            managed_fields: Some(vec![]),
            ..ObjectMeta::default()
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"deletionGracePeriodSeconds":0}"#
        );
    }

    #[test]
    fn owner_reference_keeps_required_keys() {
        let r = OwnerReference::default();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"apiVersion":"","kind":"","name":"","uid":""}"#
        );
    }
}

//! Query decoding for every verb, with kube-apiserver's exact error texts (read-path §1, §3.2,
//! §6.3; write-path §4.1, §14).
//!
//! * [`Query`] parses the raw query string as Go's `url.ParseQuery` does (`+` is a space, a pair
//!   with a bad `%` escape or a `;` is dropped, a bare `?watch` has the value `""`). Options read
//!   the **first** value of a repeated key; `dryRun` reads all of them. Unknown keys are ignored.
//! * Booleans use the parameter codec's rule: `"0"` and case-insensitive `"false"` are false,
//!   anything else (including `""`) is true. Integers use Go's `strconv.ParseInt`, whose errors
//!   (`strconv.ParseInt: parsing "abc": invalid syntax`) are the 400 messages.
//! * [`ListOptions`] follows `ListResource`: [`ListOptions::decode`] (400s), then
//!   [`ListOptions::set_defaults`] (WatchList defaulting, on in the 1.34 profile), then
//!   [`ListOptions::validate`] (422 `ListOptions.meta.k8s.io "" is invalid: …`). After content
//!   negotiation the handler calls [`ListOptions::convert_field_selector`] (400 for an unknown
//!   field) and, for a path that names an object, [`ListOptions::apply_path_name`]. The storage
//!   checks of a list (continue token, resourceVersion) are [`ListOptions::list_read`]; those of a
//!   watch [`ListOptions::watch_plan`].
//! * Decision 2 of the spec: an invalid resourceVersion on GET or WATCH, a 500 upstream, is a 400
//!   with the same message.

use std::time::Duration;

use crate::continue_token::{self, Continue};
use crate::field_error::{go_quote, BadValue, FieldError};
use crate::selector::{field, label};
use crate::status::Status;

/// The WatchList feature gate of the target profile (kube-apiserver 1.34 defaults: on).
pub const WATCH_LIST_ENABLED: bool = true;

/// The longest accepted `fieldManager`, in bytes.
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;

// ---------------------------------------------------------------------------------------------
// Query strings.

/// A decoded query string: the `(key, value)` pairs in order, as Go's `url.ParseQuery` keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Go's `url.QueryUnescape`: `%XX` decoded, `+` as a space; `None` for a malformed `%`.
/// Invalid UTF-8 in the result is replaced by U+FFFD.
pub fn query_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !is_hex(b[i + 1]) || !is_hex(b[i + 2]) {
                    return None;
                }
                out.push(hex_value(b[i + 1]) << 4 | hex_value(b[i + 2]));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

impl Query {
    /// Parses a raw query string (without the `?`); `None` is an empty query.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut pairs = Vec::new();
        for piece in raw.unwrap_or("").split('&') {
            if piece.is_empty() || piece.contains(';') {
                continue;
            }
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            let (Some(k), Some(v)) = (query_unescape(k), query_unescape(v)) else {
                continue;
            };
            pairs.push((k, v));
        }
        Self { pairs }
    }

    /// A query from already-decoded pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            pairs: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    /// The first value of `key` (`url.Values.Get`), if the key is present.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` is present (with any value, including `""`).
    pub fn has(&self, key: &str) -> bool {
        self.first(key).is_some()
    }

    /// Whether the query has no pair at all.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The decoded pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The first value of `key` as a non-empty string (Go treats `""` as unset).
    fn non_empty(&self, key: &str) -> Option<String> {
        self.first(key).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// The parameter codec's bool for `key`: absent is `None`.
    fn lax_bool(&self, key: &str) -> Option<bool> {
        self.first(key).map(lax_bool)
    }

    /// `?pretty=<v>` with `v` non-empty: `Some(strconv.ParseBool(v))`, an unparsable value being
    /// `false`. `None` when absent or empty.
    pub fn pretty(&self) -> Option<bool> {
        self.first("pretty")
            .filter(|v| !v.is_empty())
            .map(|v| parse_bool(v).unwrap_or(false))
    }
}

/// `isPrettyPrint`: the query's `pretty` decides when given; otherwise a User-Agent starting with
/// `curl`, `Wget` or `Mozilla/5.0` turns it on. (An Accept clause with `pretty=1` also does; the
/// caller ORs that in.)
pub fn is_pretty_print(query_pretty: Option<bool>, user_agent: Option<&str>) -> bool {
    if let Some(p) = query_pretty {
        return p;
    }
    user_agent
        .is_some_and(|ua| ua.starts_with("curl") || ua.starts_with("Wget") || ua.starts_with("Mozilla/5.0"))
}

// ---------------------------------------------------------------------------------------------
// Go's strconv.

/// The failure of a Go `strconv` parse, rendered as `*strconv.NumError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumError {
    func: &'static str,
    num: String,
    out_of_range: bool,
}

impl std::fmt::Display for NumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "strconv.{}: parsing {}: {}",
            self.func,
            go_quote(&self.num),
            if self.out_of_range {
                "value out of range"
            } else {
                "invalid syntax"
            }
        )
    }
}

impl std::error::Error for NumError {}

/// Go's `strconv.ParseUint(s, 10, 64)` with its exact error.
pub fn parse_uint(s: &str) -> Result<u64, NumError> {
    parse_uint_as(s, "ParseUint")
}

fn parse_uint_as(s: &str, func: &'static str) -> Result<u64, NumError> {
    let err = |out_of_range| NumError {
        func,
        num: s.to_string(),
        out_of_range,
    };
    if s.is_empty() {
        return Err(err(false));
    }
    let mut n: u64 = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            return Err(err(false));
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or_else(|| err(true))?;
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, 10, 64)` with its exact error.
pub fn parse_int(s: &str) -> Result<i64, NumError> {
    let err = |out_of_range| NumError {
        func: "ParseInt",
        num: s.to_string(),
        out_of_range,
    };
    if s.is_empty() {
        return Err(err(false));
    }
    let (neg, digits) = match s.as_bytes()[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let un = match parse_uint_as(digits, "ParseInt") {
        Ok(un) => un,
        Err(e) if e.out_of_range => u64::MAX,
        Err(_) => return Err(err(false)),
    };
    let cutoff = 1u64 << 63;
    if !neg && un >= cutoff {
        return Err(err(true));
    }
    if neg && un > cutoff {
        return Err(err(true));
    }
    if neg {
        Ok(0i64.wrapping_sub_unsigned(un))
    } else {
        Ok(un as i64)
    }
}

/// Go's `strconv.ParseBool`: `1 t T TRUE true True` / `0 f F FALSE false False`, else `None`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The parameter codec's bool: `"0"` and case-insensitive `"false"` are false, anything else
/// (including `""`, `"no"`) is true.
pub fn lax_bool(s: &str) -> bool {
    !(s == "0" || s.eq_ignore_ascii_case("false"))
}

/// Parses `key` as an `int64` query parameter; the error is the 400 with the ParseInt text.
fn int_param(query: &Query, key: &str) -> Result<Option<i64>, Status> {
    query
        .first(key)
        .map(|v| parse_int(v).map_err(|e| Status::bad_request(e.to_string())))
        .transpose()
}

// ---------------------------------------------------------------------------------------------
// resourceVersion.

/// `APIObjectVersioner.ParseResourceVersion`: `""` and `"0"` are 0, anything else must be a
/// uint64. The error is the storage `InvalidError` text,
/// `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`.
pub fn parse_resource_version(rv: &str) -> Result<u64, String> {
    if rv.is_empty() || rv == "0" {
        return Ok(0);
    }
    parse_uint(rv).map_err(|e| {
        FieldError::invalid("resourceVersion", BadValue::Str(rv.to_string()), e.to_string()).to_string()
    })
}

/// The GET/WATCH form of a bad resourceVersion: 400 (a 500 upstream, decision 2) with the bare
/// `resourceVersion: Invalid value: …` message.
fn rv_status_get_watch(rv: &str) -> Result<u64, Status> {
    parse_resource_version(rv).map_err(Status::bad_request)
}

/// The LIST form: 400 `invalid resource version: resourceVersion: Invalid value: …`.
fn rv_status_list(rv: &str) -> Result<u64, Status> {
    parse_resource_version(rv).map_err(|e| Status::bad_request(format!("invalid resource version: {e}")))
}

/// `resourceVersionMatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceVersionMatch {
    /// `Exact`
    Exact,
    /// `NotOlderThan`
    NotOlderThan,
    /// Any other (invalid) value, kept for the error message.
    Other(String),
}

impl ResourceVersionMatch {
    /// Parses a non-empty value (case-sensitive).
    pub fn parse(s: &str) -> Self {
        match s {
            "Exact" => Self::Exact,
            "NotOlderThan" => Self::NotOlderThan,
            other => Self::Other(other.to_string()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Exact => "Exact",
            Self::NotOlderThan => "NotOlderThan",
            Self::Other(s) => s,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GET.

/// What a GET reads (read-path §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetRead {
    /// resourceVersion unset: a consistent read of the latest state.
    Latest,
    /// `"0"`: any state (the latest is fine).
    Any,
    /// `"N"`: a state not older than N (wait ≤ 3 s for the store to reach N, then 504).
    NotOlderThan(u64),
}

/// `metav1.GetOptions` from the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// `resourceVersion` (`None` when absent or empty).
    pub resource_version: Option<String>,
    /// `pretty` as in [`Query::pretty`].
    pub pretty: Option<bool>,
}

impl GetOptions {
    /// Decodes a GET query: `?export=<true>` is the 400 `the export parameter, deprecated since
    /// v1.14, is no longer supported`; only `resourceVersion` is read otherwise.
    pub fn decode(query: &Query) -> Result<Self, Status> {
        if query.lax_bool("export") == Some(true) {
            return Err(Status::bad_request(
                "the export parameter, deprecated since v1.14, is no longer supported",
            ));
        }
        Ok(Self {
            resource_version: query.non_empty("resourceVersion"),
            pretty: query.pretty(),
        })
    }

    /// The read semantics; an unparsable resourceVersion is a 400 with the bare storage message.
    pub fn read(&self) -> Result<GetRead, Status> {
        match self.resource_version.as_deref() {
            None => Ok(GetRead::Latest),
            Some(rv) => match rv_status_get_watch(rv)? {
                0 => Ok(GetRead::Any),
                n => Ok(GetRead::NotOlderThan(n)),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// LIST and WATCH.

/// `metainternalversion.ListOptions` from the query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListOptions {
    /// `labelSelector`, parsed (empty when absent).
    pub label_selector: label::Selector,
    /// `fieldSelector`, parsed for syntax only until [`ListOptions::convert_field_selector`].
    pub field_selector: field::Selector,
    /// `watch`.
    pub watch: bool,
    /// `allowWatchBookmarks`.
    pub allow_watch_bookmarks: bool,
    /// `resourceVersion` (`None` when absent or empty).
    pub resource_version: Option<String>,
    /// `resourceVersionMatch` (`None` when absent or empty).
    pub resource_version_match: Option<ResourceVersionMatch>,
    /// `timeoutSeconds`.
    pub timeout_seconds: Option<i64>,
    /// `limit` (≤ 0 means no limit).
    pub limit: i64,
    /// `continue` (`None` when absent or empty).
    pub continue_token: Option<String>,
    /// `sendInitialEvents`.
    pub send_initial_events: Option<bool>,
    /// `pretty` as in [`Query::pretty`].
    pub pretty: Option<bool>,
}

/// How a LIST reads (read-path §3.1), once the continue token and resourceVersion are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRead {
    /// resourceVersion unset: a consistent read at the latest revision.
    Latest,
    /// `"0"` (with or without `NotOlderThan`): any snapshot; `limit` is ignored (watch-cache
    /// quirk: full list, no continue, no remainingItemCount).
    Any,
    /// Not older than N (wait ≤ 3 s for the store to reach N, then 504).
    NotOlderThan(u64),
    /// Exactly revision N (`Exact`, or the legacy `limit>0` with RV N): 410 below the
    /// compaction floor, 504 above the current revision.
    Exact(u64),
    /// A continue page: start at `start_key` (inclusive), at the token's revision.
    Continue(Continue),
}

/// Where a watch starts (read-path §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchStart {
    /// resourceVersion unset: the consistent current revision (wait ≤ 3 s for freshness when
    /// sending initial events, else an `ERROR` 504 event).
    Consistent,
    /// `"0"`: any revision; the current one.
    Any,
    /// `"N"`: with initial events, wait ≤ 3 s for revision ≥ N then send the current state;
    /// without, replay every event with revision > N (410 `ERROR` when N is too old).
    Revision(u64),
}

/// What a watch does, from its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchPlan {
    /// Send synthetic `ADDED` events for the current state (in key order) first.
    pub initial_events: bool,
    /// Send the `k8s.io/initial-events-end` bookmark after them (`sendInitialEvents=true` and
    /// `allowWatchBookmarks=true`).
    pub initial_events_end_bookmark: bool,
    /// Where the stream starts.
    pub start: WatchStart,
    /// Whether periodic bookmarks are allowed.
    pub bookmarks: bool,
    /// `timeoutSeconds` as given (`None` or 0: the server picks 30–60 min).
    pub timeout_seconds: Option<i64>,
}

impl ListOptions {
    /// Decodes a LIST/WATCH query (`ParameterCodec.DecodeParameters`): the 400s for `timeoutSeconds`
    /// and `limit` (ParseInt text), then for `labelSelector` and `fieldSelector` (parser text), in
    /// that order.
    pub fn decode(query: &Query) -> Result<Self, Status> {
        let timeout_seconds = int_param(query, "timeoutSeconds")?;
        let limit = int_param(query, "limit")?.unwrap_or(0);
        let label_selector =
            label::Selector::parse(query.first("labelSelector").unwrap_or("")).map_err(|e| e.to_status())?;
        let field_selector =
            field::Selector::parse(query.first("fieldSelector").unwrap_or("")).map_err(|e| e.to_status())?;
        Ok(Self {
            label_selector,
            field_selector,
            watch: query.lax_bool("watch").unwrap_or(false),
            allow_watch_bookmarks: query.lax_bool("allowWatchBookmarks").unwrap_or(false),
            resource_version: query.non_empty("resourceVersion"),
            resource_version_match: query
                .non_empty("resourceVersionMatch")
                .map(|s| ResourceVersionMatch::parse(&s)),
            timeout_seconds,
            limit,
            continue_token: query.non_empty("continue"),
            send_initial_events: query.lax_bool("sendInitialEvents"),
            pretty: query.pretty(),
        })
    }

    /// `SetListOptionsDefaults`: with WatchList on, a watch with resourceVersion `""`/`"0"` that set
    /// neither `sendInitialEvents` nor `resourceVersionMatch` gets `sendInitialEvents=true` and
    /// `resourceVersionMatch=NotOlderThan`.
    pub fn set_defaults(&mut self, watch_list_enabled: bool) {
        if !watch_list_enabled || self.send_initial_events.is_some() || self.resource_version_match.is_some()
        {
            return;
        }
        let legacy = matches!(self.resource_version.as_deref(), None | Some("0"));
        if self.watch && legacy {
            self.send_initial_events = Some(true);
            self.resource_version_match = Some(ResourceVersionMatch::NotOlderThan);
        }
    }

    /// The field errors of `ValidateListOptions` (list rules, or watch rules when `watch`).
    pub fn validation_errors(&self, watch_list_enabled: bool) -> Vec<FieldError> {
        const RVM: &str = "resourceVersionMatch";
        let mut errs = Vec::new();
        let rvm = self.resource_version_match.as_ref();
        if self.watch {
            if self.send_initial_events.is_some() {
                if rvm != Some(&ResourceVersionMatch::NotOlderThan) {
                    errs.push(FieldError::forbidden(
                        RVM,
                        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                    ));
                }
                if !watch_list_enabled {
                    errs.push(FieldError::forbidden(
                        "sendInitialEvents",
                        "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
                    ));
                }
            }
            if let Some(m) = rvm {
                if self.send_initial_events.is_none() {
                    errs.push(FieldError::forbidden(
                        RVM,
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    ));
                }
                if *m != ResourceVersionMatch::NotOlderThan {
                    errs.push(FieldError::not_supported(
                        RVM,
                        BadValue::Str(m.as_str().to_string()),
                        &["NotOlderThan"],
                    ));
                }
                if self.continue_token.is_some() {
                    errs.push(FieldError::forbidden(
                        RVM,
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
            }
            return errs;
        }
        if let Some(m) = rvm {
            if self.resource_version.is_none() {
                errs.push(FieldError::forbidden(
                    RVM,
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            if self.continue_token.is_some() {
                errs.push(FieldError::forbidden(
                    RVM,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
            if !matches!(
                m,
                ResourceVersionMatch::Exact | ResourceVersionMatch::NotOlderThan
            ) {
                errs.push(FieldError::not_supported(
                    RVM,
                    BadValue::Str(m.as_str().to_string()),
                    &["Exact", "NotOlderThan", ""],
                ));
            }
            if *m == ResourceVersionMatch::Exact && self.resource_version.as_deref() == Some("0") {
                errs.push(FieldError::forbidden(
                    RVM,
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ));
            }
        }
        if self.send_initial_events.is_some() {
            errs.push(FieldError::forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for list",
            ));
        }
        errs
    }

    /// `ValidateListOptions` as a 422 `ListOptions.meta.k8s.io "" is invalid: …`.
    pub fn validate(&self, watch_list_enabled: bool) -> Result<(), Status> {
        let errs = self.validation_errors(watch_list_enabled);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Status::invalid_options("ListOptions", &errs))
        }
    }

    /// Steps 2–4 of `ListResource` with the 1.34 profile: decode, default, validate.
    pub fn from_query(query: &Query) -> Result<Self, Status> {
        let mut opts = Self::decode(query)?;
        opts.set_defaults(WATCH_LIST_ENABLED);
        opts.validate(WATCH_LIST_ENABLED)?;
        Ok(opts)
    }

    /// Step 6: the Endpoints field-label conversion (400 `"x" is not a known field selector: …`).
    pub fn convert_field_selector(&mut self) -> Result<(), Status> {
        let selector = std::mem::take(&mut self.field_selector);
        self.field_selector = selector.convert_for_endpoints().map_err(|e| e.to_status())?;
        Ok(())
    }

    /// Step 7, for a path naming an object: the field selector becomes `metadata.name=<name>`, or
    /// must already pin that name (400 `fieldSelector metadata.name doesn't match requested name`).
    pub fn apply_path_name(&mut self, name: &str) -> Result<(), Status> {
        let selector = std::mem::take(&mut self.field_selector);
        self.field_selector = selector.for_path_name(name).map_err(|e| e.to_status())?;
        Ok(())
    }

    /// The name a namespaced list may read as a single key (`metadata.name=X` pinned and no
    /// continue token, `SelectionPredicate.MatchesSingle`); the whole selector still applies.
    pub fn single_name(&self) -> Option<&str> {
        if self.continue_token.is_some() {
            return None;
        }
        self.field_selector.pinned_name()
    }

    /// Whether any selector is set (`remainingItemCount` is then omitted).
    pub fn has_selector(&self) -> bool {
        !self.label_selector.is_empty() || !self.field_selector.is_empty()
    }

    /// The storage checks of a LIST (`storage.ValidateListOptions`) and its read semantics.
    ///
    /// With a continue token (recursive lists only): the token is decoded first (400 `invalid
    /// continue token: …`), then a resourceVersion other than `""`/`"0"` is the 400 `specifying
    /// resource version is not allowed when using continue`. Otherwise an unparsable
    /// resourceVersion is the 400 `invalid resource version: …`. `key_prefix` is the list's prefix
    /// in the caller's key space (see [`crate::continue_token`]); `recursive` is false only for the
    /// single-key read of [`ListOptions::single_name`].
    pub fn list_read(&self, key_prefix: &str, recursive: bool) -> Result<ListRead, Status> {
        if let (true, Some(token)) = (recursive, self.continue_token.as_deref()) {
            let decoded = continue_token::decode(token, key_prefix).map_err(|e| e.to_status())?;
            if matches!(self.resource_version.as_deref(), Some(rv) if rv != "0") {
                return Err(Status::bad_request(
                    "specifying resource version is not allowed when using continue",
                ));
            }
            return Ok(ListRead::Continue(decoded));
        }
        let Some(rv) = self.resource_version.as_deref() else {
            return Ok(ListRead::Latest);
        };
        let parsed = rv_status_list(rv)?;
        if rv == "0" {
            return Ok(ListRead::Any);
        }
        Ok(match self.resource_version_match {
            Some(ResourceVersionMatch::Exact) => ListRead::Exact(parsed),
            Some(_) => ListRead::NotOlderThan(parsed),
            None if recursive && self.limit > 0 && parsed > 0 => ListRead::Exact(parsed),
            None => ListRead::NotOlderThan(parsed),
        })
    }

    /// The watch semantics of read-path §6.2; an unparsable resourceVersion is a 400 with the bare
    /// storage message (a 500 upstream, decision 2).
    pub fn watch_plan(&self) -> Result<WatchPlan, Status> {
        let start = match self.resource_version.as_deref() {
            None => WatchStart::Consistent,
            Some(rv) => match rv_status_get_watch(rv)? {
                0 => WatchStart::Any,
                n => WatchStart::Revision(n),
            },
        };
        let legacy_state = !matches!(start, WatchStart::Revision(_));
        let initial_events = self.send_initial_events.unwrap_or(legacy_state);
        Ok(WatchPlan {
            initial_events,
            initial_events_end_bookmark: self.send_initial_events == Some(true) && self.allow_watch_bookmarks,
            start,
            bookmarks: self.allow_watch_bookmarks,
            timeout_seconds: self.timeout_seconds,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The request deadline (`?timeout=`).

/// Go's `time.quote`: ASCII printable kept (`"` and `\` escaped), every other byte as `\xNN`.
fn time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_ascii() && c >= ' ' {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
    }
    out.push('"');
    out
}

/// Go's `time.ParseDuration`, in nanoseconds, with its error texts.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = &s[1..];
        }
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // leadingInt
        let mut v: u64 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // leadingFraction
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut i = 0;
            let mut overflow = false;
            while i < s.len() && s[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(s[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > 0;
            s = &s[i..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", time_quote(orig)));
        }
        let unit_bytes = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_bytes {
            b"ns" => 1,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(&String::from_utf8_lossy(unit_bytes)),
                    time_quote(orig)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok(0i64.wrapping_sub_unsigned(d));
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// The request-deadline filter's `?timeout=`: absent or `""` is `None`; unparsable is the 400
/// `invalid timeout specified in the request URL - time: invalid duration "x"`; a value ≤ 0 also
/// means "use the server default" (`None`). Watches ignore it.
pub fn request_timeout(query: &Query) -> Result<Option<Duration>, Status> {
    let Some(value) = query.first("timeout").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let nanos = parse_go_duration(value)
        .map_err(|e| Status::bad_request(format!("invalid timeout specified in the request URL - {e}")))?;
    Ok(u64::try_from(nanos)
        .ok()
        .filter(|n| *n > 0)
        .map(Duration::from_nanos))
}

// ---------------------------------------------------------------------------------------------
// Write verbs.

/// The resolved `fieldValidation` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Unknown and duplicate fields are dropped silently.
    Ignore,
    /// Each is reported as a `Warning` header (the server default).
    Warn,
    /// The request fails.
    Strict,
}

/// `dryRun: Unsupported value: ["x"]: supported values: "All"` unless every value is `All`.
fn validate_dry_run(dry_run: &[String]) -> Vec<FieldError> {
    if dry_run.iter().all(|v| v == "All") {
        return Vec::new();
    }
    let rendered = crate::json::to_vec(dry_run)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    vec![FieldError::not_supported(
        "dryRun",
        BadValue::Raw(rendered),
        &["All"],
    )]
}

/// Go's `unicode.IsPrint`, approximated without Unicode tables: controls, separators other than
/// U+0020, common format characters, private-use code points and noncharacters are not printable.
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = u32::from(c);
    let format = matches!(u,
        0x00ad | 0x0600..=0x0605 | 0x061c | 0x06dd | 0x070f | 0x0890..=0x0891 | 0x08e2
        | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f
        | 0xfeff | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f);
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..=0xffffd | 0x100000..=0x10fffd);
    let nonchar = matches!(u, 0xfdd0..=0xfdef) || (u & 0xfffe) == 0xfffe;
    !(format || private || nonchar)
}

/// `ValidateFieldManager`: at most 128 bytes, and only printable characters (one error per bad
/// character: `invalid character U+0001 (at position i)`, i a byte offset).
fn validate_field_manager(field_manager: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if field_manager.len() > FIELD_MANAGER_MAX_LENGTH {
        errs.push(FieldError::too_long("fieldManager", FIELD_MANAGER_MAX_LENGTH));
    }
    for (i, c) in field_manager.char_indices() {
        if !go_is_print(c) {
            errs.push(FieldError::invalid(
                "fieldManager",
                BadValue::Str(field_manager.to_string()),
                format!("invalid character U+{:04X} (at position {i})", u32::from(c)),
            ));
        }
    }
    errs
}

/// `ValidateFieldValidation`.
fn validate_field_validation(value: &str) -> Vec<FieldError> {
    if matches!(value, "" | "Ignore" | "Warn" | "Strict") {
        return Vec::new();
    }
    vec![FieldError::not_supported(
        "fieldValidation",
        BadValue::Str(value.to_string()),
        &["", "Ignore", "Strict", "Warn"],
    )]
}

/// The query options of POST, PUT and PATCH (`CreateOptions`, `UpdateOptions`, `PatchOptions`).
/// Decoding cannot fail: every field is a string or a lax bool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Every `dryRun` value, in order.
    pub dry_run: Vec<String>,
    /// `fieldManager` (first value; `""` when absent).
    pub field_manager: String,
    /// `fieldValidation` as given (first value; `""` when absent).
    pub field_validation: String,
    /// `force` (PATCH only): present even as `false` is `Some`.
    pub force: Option<bool>,
    /// `pretty` as in [`Query::pretty`].
    pub pretty: Option<bool>,
}

impl WriteOptions {
    /// Decodes the write-verb query parameters.
    pub fn decode(query: &Query) -> Self {
        Self {
            dry_run: query.all("dryRun").into_iter().map(str::to_string).collect(),
            field_manager: query.first("fieldManager").unwrap_or("").to_string(),
            field_validation: query.first("fieldValidation").unwrap_or("").to_string(),
            force: query.lax_bool("force"),
            pretty: query.pretty(),
        }
    }

    /// Whether this is a dry run (any `dryRun` value; validation admits only `All`).
    pub fn is_dry_run(&self) -> bool {
        !self.dry_run.is_empty()
    }

    /// The directive to apply: `""` is `Warn`. Call after validation.
    pub fn field_validation(&self) -> FieldValidation {
        match self.field_validation.as_str() {
            "Ignore" => FieldValidation::Ignore,
            "Strict" => FieldValidation::Strict,
            _ => FieldValidation::Warn,
        }
    }

    fn common_errors(&self) -> Vec<FieldError> {
        let mut errs = validate_field_manager(&self.field_manager);
        errs.extend(validate_dry_run(&self.dry_run));
        errs.extend(validate_field_validation(&self.field_validation));
        errs
    }

    fn result(kind: &str, errs: Vec<FieldError>) -> Result<(), Status> {
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Status::invalid_options(kind, &errs))
        }
    }

    /// `ValidateCreateOptions`: 422 `CreateOptions.meta.k8s.io "" is invalid: …`.
    pub fn validate_create(&self) -> Result<(), Status> {
        Self::result("CreateOptions", self.common_errors())
    }

    /// `ValidateUpdateOptions`: 422 `UpdateOptions.meta.k8s.io "" is invalid: …`.
    pub fn validate_update(&self) -> Result<(), Status> {
        Self::result("UpdateOptions", self.common_errors())
    }

    /// `ValidatePatchOptions`: for a non-apply patch `force` is forbidden (even `false`); an apply
    /// patch requires `fieldManager`. 422 `PatchOptions.meta.k8s.io "" is invalid: …`.
    pub fn validate_patch(&self, apply: bool) -> Result<(), Status> {
        let mut errs = Vec::new();
        if !apply {
            if self.force.is_some() {
                errs.push(FieldError::forbidden(
                    "force",
                    "may not be specified for non-apply patch",
                ));
            }
        } else if self.field_manager.is_empty() {
            errs.push(FieldError::required(
                "fieldManager",
                "is required for apply patch",
            ));
        }
        errs.extend(self.common_errors());
        Self::result("PatchOptions", errs)
    }
}

/// `DeleteOptions.preconditions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// The UID the object must have.
    pub uid: Option<String>,
    /// The resourceVersion the object must have.
    pub resource_version: Option<String>,
}

/// `propagationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropagationPolicy {
    /// `Orphan`: add the `orphan` finalizer.
    Orphan,
    /// `Background`: delete now, dependents later.
    Background,
    /// `Foreground`: add the `foregroundDeletion` finalizer.
    Foreground,
}

/// `metav1.DeleteOptions`, from the query (or filled by the body decoder).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `gracePeriodSeconds` (no effect for Endpoints; negative is treated as 1).
    pub grace_period_seconds: Option<i64>,
    /// `preconditions` (body only).
    pub preconditions: Option<Preconditions>,
    /// `orphanDependents` (deprecated).
    pub orphan_dependents: Option<bool>,
    /// `propagationPolicy` as given.
    pub propagation_policy: Option<String>,
    /// Every `dryRun` value.
    pub dry_run: Vec<String>,
}

impl DeleteOptions {
    /// Decodes the DELETE query parameters (used when the body is empty): the 400 for an
    /// unparsable `gracePeriodSeconds` is its ParseInt text.
    pub fn from_query(query: &Query) -> Result<Self, Status> {
        Ok(Self {
            grace_period_seconds: int_param(query, "gracePeriodSeconds")?,
            preconditions: None,
            orphan_dependents: query.lax_bool("orphanDependents"),
            propagation_policy: query.first("propagationPolicy").map(str::to_string),
            dry_run: query.all("dryRun").into_iter().map(str::to_string).collect(),
        })
    }

    /// `ValidateDeleteOptions`: 422 `DeleteOptions.meta.k8s.io "" is invalid: …`.
    pub fn validate(&self) -> Result<(), Status> {
        let mut errs = Vec::new();
        if let Some(policy) = &self.propagation_policy {
            let rendered = BadValue::Raw(crate::json::quote(policy));
            if self.orphan_dependents.is_some() {
                errs.push(FieldError::invalid(
                    "propagationPolicy",
                    rendered.clone(),
                    "orphanDependents and deletionPropagation cannot be both set",
                ));
            }
            if !matches!(policy.as_str(), "Foreground" | "Background" | "Orphan") {
                errs.push(FieldError::not_supported(
                    "propagationPolicy",
                    rendered,
                    &["Foreground", "Background", "Orphan", "nil"],
                ));
            }
        }
        errs.extend(validate_dry_run(&self.dry_run));
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Status::invalid_options("DeleteOptions", &errs))
        }
    }

    /// The validated propagation policy.
    pub fn propagation(&self) -> Option<PropagationPolicy> {
        match self.propagation_policy.as_deref()? {
            "Orphan" => Some(PropagationPolicy::Orphan),
            "Background" => Some(PropagationPolicy::Background),
            "Foreground" => Some(PropagationPolicy::Foreground),
            _ => None,
        }
    }

    /// Whether this is a dry run.
    pub fn is_dry_run(&self) -> bool {
        !self.dry_run.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continue_token::ContinueRevision;

    fn q(raw: &str) -> Query {
        Query::parse(Some(raw))
    }

    fn list(raw: &str) -> Result<ListOptions, Status> {
        ListOptions::from_query(&q(raw))
    }

    fn list_err(raw: &str) -> Status {
        list(raw).unwrap_err()
    }

    #[test]
    fn query_parsing_like_go() {
        let query = q("watch&a=1&a=2&b=x+y%21&c=%zz&d;e=1&%61=3&=v&f=%&g=%4");
        assert_eq!(query.first("watch"), Some(""));
        assert_eq!(query.first("a"), Some("1"));
        assert_eq!(query.all("a"), vec!["1", "2", "3"]);
        assert_eq!(query.first("b"), Some("x y!"));
        assert!(!query.has("c"));
        assert!(!query.has("d;e"));
        assert!(!query.has("d"));
        assert_eq!(query.first(""), Some("v"));
        assert!(!query.has("f"));
        assert!(!query.has("g"));
        assert!(Query::parse(None).is_empty());
        assert_eq!(q("x=a=b").first("x"), Some("a=b"));
        assert_eq!(query_unescape("%41%4a"), Some("AJ".into()));
    }

    #[test]
    fn strconv_like_go() {
        let ints: &[(&str, Result<i64, &str>)] = &[
            ("0", Ok(0)),
            ("+5", Ok(5)),
            ("-5", Ok(-5)),
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("abc", Err("strconv.ParseInt: parsing \"abc\": invalid syntax")),
            ("", Err("strconv.ParseInt: parsing \"\": invalid syntax")),
            ("+", Err("strconv.ParseInt: parsing \"+\": invalid syntax")),
            (
                "1_000",
                Err("strconv.ParseInt: parsing \"1_000\": invalid syntax"),
            ),
            (" 1", Err("strconv.ParseInt: parsing \" 1\": invalid syntax")),
            (
                "9223372036854775808",
                Err("strconv.ParseInt: parsing \"9223372036854775808\": value out of range"),
            ),
            (
                "-9223372036854775809",
                Err("strconv.ParseInt: parsing \"-9223372036854775809\": value out of range"),
            ),
            (
                "99999999999999999999x",
                Err("strconv.ParseInt: parsing \"99999999999999999999x\": value out of range"),
            ),
        ];
        for (s, want) in ints {
            assert_eq!(
                parse_int(s).map_err(|e| e.to_string()),
                want.map_err(str::to_string),
                "{s:?}"
            );
        }
        assert_eq!(
            parse_uint("-1").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(
            parse_uint("18446744073709551616").unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
        );
        assert_eq!(parse_uint("18446744073709551615"), Ok(u64::MAX));
        for (s, want) in [
            ("0", false),
            ("false", false),
            ("FaLsE", false),
            ("", true),
            ("no", true),
            ("1", true),
            ("x", true),
        ] {
            assert_eq!(lax_bool(s), want, "{s:?}");
        }
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("yes"), None);
    }

    #[test]
    fn decode_defaults_and_first_value_wins() {
        let o = ListOptions::decode(&q("")).unwrap();
        assert_eq!(o, ListOptions::default());
        let o = ListOptions::decode(&q("watch&allowWatchBookmarks=no&limit=5&limit=x&resourceVersion=&continue=&resourceVersionMatch=&unknown=1&timeoutSeconds=10")).unwrap();
        assert!(o.watch);
        assert!(o.allow_watch_bookmarks);
        assert_eq!(o.limit, 5);
        assert_eq!(o.resource_version, None);
        assert_eq!(o.continue_token, None);
        assert_eq!(o.resource_version_match, None);
        assert_eq!(o.timeout_seconds, Some(10));
        let o = ListOptions::decode(&q("watch=false&sendInitialEvents=0&limit=-5")).unwrap();
        assert!(!o.watch);
        assert_eq!(o.send_initial_events, Some(false));
        assert_eq!(o.limit, -5);
        let o = ListOptions::decode(&q("labelSelector=app%3Dweb&fieldSelector=metadata.name%3Dfoo")).unwrap();
        assert_eq!(o.label_selector.to_string(), "app=web");
        assert_eq!(o.field_selector.pinned_name(), Some("foo"));
    }

    #[test]
    fn decode_errors() {
        let cases: &[(&str, &str)] = &[
            // conformance #58
            ("limit=abc", "strconv.ParseInt: parsing \"abc\": invalid syntax"),
            ("limit=", "strconv.ParseInt: parsing \"\": invalid syntax"),
            (
                "limit=99999999999999999999",
                "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
            ),
            (
                "timeoutSeconds=1s",
                "strconv.ParseInt: parsing \"1s\": invalid syntax",
            ),
            // timeoutSeconds is decoded before limit, selectors after both.
            (
                "limit=x&timeoutSeconds=y&labelSelector=a%20b",
                "strconv.ParseInt: parsing \"y\": invalid syntax",
            ),
            (
                "labelSelector=a%20b&limit=z",
                "strconv.ParseInt: parsing \"z\": invalid syntax",
            ),
            (
                "fieldSelector=x&labelSelector=a%20b",
                "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            ),
            // conformance #57
            (
                "labelSelector=app%20in%20(a",
                "unable to parse requirement: found '', expected: ',' or ')'",
            ),
            // conformance #76
            (
                "watch=true&labelSelector=a%20b",
                "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "fieldSelector=abc",
                "invalid selector: 'abc'; can't understand 'abc'",
            ),
            (
                "fieldSelector=a%3Db%3Dc",
                "invalid field selector: unescaped character in value: 61",
            ),
        ];
        for (raw, want) in cases {
            let s = list_err(raw);
            assert_eq!((s.code, s.message.as_str()), (400, *want), "query {raw:?}");
        }
    }

    #[test]
    fn list_validation_422s() {
        let prefix = "ListOptions.meta.k8s.io \"\" is invalid: ";
        let cases: &[(&str, &str)] = &[
            // conformance #52
            ("resourceVersionMatch=NotOlderThan", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"),
            // conformance #9
            ("resourceVersion=0&resourceVersionMatch=Invalid", "resourceVersionMatch: Unsupported value: \"Invalid\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
            ("resourceVersion=1&resourceVersionMatch=exact", "resourceVersionMatch: Unsupported value: \"exact\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
            // conformance #53
            ("resourceVersion=0&resourceVersionMatch=Exact", "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""),
            // conformance #54
            ("resourceVersion=5&resourceVersionMatch=Exact&continue=abc", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"),
            // conformance #55
            ("sendInitialEvents=true", "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
            ("sendInitialEvents=false", "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
            ("resourceVersionMatch=Foo&continue=x", "[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided, resourceVersionMatch: Unsupported value: \"Foo\": supported values: \"Exact\", \"NotOlderThan\", \"\"]"),
            // conformance #70
            ("watch=1&resourceVersion=5&resourceVersionMatch=NotOlderThan", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
            // conformance #71
            ("watch=1&sendInitialEvents=true", "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
            ("watch=1&sendInitialEvents=true&resourceVersionMatch=Exact", "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]"),
            ("watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&continue=x", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"),
        ];
        for (raw, want) in cases {
            let s = list_err(raw);
            assert_eq!(s.code, 422, "query {raw:?}");
            assert_eq!(s.message, format!("{prefix}{want}"), "query {raw:?}");
            let d = s.details.as_ref().unwrap();
            assert_eq!(
                (d.group.as_str(), d.kind.as_str(), d.name.as_str()),
                ("meta.k8s.io", "ListOptions", "")
            );
        }
        // Conformance #70 literally: a plain watch with only RVM. Defaulting does not apply (RVM set).
        let s = list_err("watch=1&resourceVersionMatch=NotOlderThan");
        assert_eq!(s.message, format!("{prefix}resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
        let causes = &s.details.as_ref().unwrap().causes;
        assert_eq!(causes[0].reason, "FieldValueForbidden");
        assert_eq!(causes[0].field, "resourceVersionMatch");
    }

    #[test]
    fn watch_list_gate_off_errors() {
        let mut o = ListOptions::decode(&q("watch=1&sendInitialEvents=true")).unwrap();
        o.set_defaults(false);
        let s = o.validate(false).unwrap_err();
        assert_eq!(s.message, "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled]");
    }

    #[test]
    fn watch_list_defaulting() {
        for raw in [
            "watch=1",
            "watch=1&resourceVersion=0",
            "watch=true&resourceVersion=",
        ] {
            let o = list(raw).unwrap();
            assert_eq!(o.send_initial_events, Some(true), "{raw}");
            assert_eq!(o.resource_version_match, Some(ResourceVersionMatch::NotOlderThan));
        }
        for raw in [
            "watch=1&resourceVersion=5",
            "watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan",
            "",
            "resourceVersion=0",
        ] {
            let o = list(raw).unwrap();
            assert_ne!(o.send_initial_events, Some(true), "{raw}");
        }
        let mut o = ListOptions::decode(&q("watch=1")).unwrap();
        o.set_defaults(false);
        assert_eq!(o.send_initial_events, None);
    }

    #[test]
    fn watch_plans() {
        let plan = |raw: &str| list(raw).unwrap().watch_plan().unwrap();
        let p = plan("watch=1");
        assert_eq!(
            (p.initial_events, p.initial_events_end_bookmark, p.start),
            (true, false, WatchStart::Consistent)
        );
        let p = plan("watch=1&allowWatchBookmarks=true");
        assert!(p.initial_events_end_bookmark && p.bookmarks);
        let p = plan("watch=1&resourceVersion=0");
        assert_eq!((p.initial_events, p.start), (true, WatchStart::Any));
        let p = plan("watch=1&resourceVersion=7");
        assert_eq!((p.initial_events, p.start), (false, WatchStart::Revision(7)));
        let p = plan("watch=1&resourceVersion=7&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=1&timeoutSeconds=10");
        assert_eq!(
            (
                p.initial_events,
                p.initial_events_end_bookmark,
                p.start,
                p.timeout_seconds
            ),
            (true, true, WatchStart::Revision(7), Some(10))
        );
        let p = plan("watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan");
        assert_eq!((p.initial_events, p.start), (false, WatchStart::Consistent));
        // Invalid RV on a watch: 400 with the bare message (decision 2).
        let s = list("watch=1&resourceVersion=abc")
            .unwrap()
            .watch_plan()
            .unwrap_err();
        assert_eq!(
            (s.code, s.message.as_str()),
            (
                400,
                "resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax"
            )
        );
    }

    #[test]
    fn list_reads() {
        let read = |raw: &str, recursive: bool| list(raw).unwrap().list_read("", recursive);
        assert_eq!(read("", true), Ok(ListRead::Latest));
        assert_eq!(read("limit=5", true), Ok(ListRead::Latest));
        assert_eq!(read("resourceVersion=0", true), Ok(ListRead::Any));
        assert_eq!(read("resourceVersion=0&limit=1", true), Ok(ListRead::Any));
        assert_eq!(
            read("resourceVersion=0&resourceVersionMatch=NotOlderThan", true),
            Ok(ListRead::Any)
        );
        assert_eq!(read("resourceVersion=9", true), Ok(ListRead::NotOlderThan(9)));
        assert_eq!(read("resourceVersion=9&limit=1", true), Ok(ListRead::Exact(9)));
        assert_eq!(
            read("resourceVersion=9&limit=1", false),
            Ok(ListRead::NotOlderThan(9))
        );
        assert_eq!(
            read(
                "resourceVersion=9&limit=1&resourceVersionMatch=NotOlderThan",
                true
            ),
            Ok(ListRead::NotOlderThan(9))
        );
        assert_eq!(
            read("resourceVersion=9&resourceVersionMatch=Exact", true),
            Ok(ListRead::Exact(9))
        );
        let token = continue_token::encode("second/foo", 8);
        let Ok(ListRead::Continue(c)) = read(&format!("limit=1&continue={token}"), true) else {
            panic!("continue")
        };
        assert_eq!(
            (c.start_key.as_str(), c.revision()),
            ("second/foo", ContinueRevision::Exact(8))
        );
        // RV "0" is ignored with continue (conformance #20).
        assert!(matches!(
            read(&format!("limit=1&continue={token}&resourceVersion=0"), true),
            Ok(ListRead::Continue(_))
        ));
    }

    #[test]
    fn list_read_errors() {
        let err = |raw: &str| {
            let s = list(raw).unwrap().list_read("", true).unwrap_err();
            (s.code, s.message)
        };
        // conformance #1, #2
        assert_eq!(err("resourceVersion=abc"), (400, "invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax".into()));
        assert_eq!(err("resourceVersion=-1"), (400, "invalid resource version: resourceVersion: Invalid value: \"-1\": strconv.ParseUint: parsing \"-1\": invalid syntax".into()));
        assert_eq!(err("resourceVersion=18446744073709551616"), (400, "invalid resource version: resourceVersion: Invalid value: \"18446744073709551616\": strconv.ParseUint: parsing \"18446744073709551616\": value out of range".into()));
        // conformance #3
        let token = continue_token::encode("second/foo", 10);
        assert_eq!(
            err(&format!("limit=1&continue={token}&resourceVersion=1")),
            (
                400,
                "specifying resource version is not allowed when using continue".into()
            )
        );
        // The token is decoded before the RV check.
        assert_eq!(
            err("continue=abc%3D&resourceVersion=5"),
            (
                400,
                "invalid continue token: continue key is not valid: illegal base64 data at input byte 3"
                    .into()
            )
        );
        // conformance #46-#49
        let cases = [
            (continue_token::encode("", 8), "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"),
            (continue_token::encode("first/bar\u{0}", 0), "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
            (continue_token::encode("../x", 8), "invalid continue token: continue key is not valid: ../x"),
            ("abc%3D".to_string(), "invalid continue token: continue key is not valid: illegal base64 data at input byte 3"),
        ];
        for (token, want) in cases {
            assert_eq!(err(&format!("continue={token}")), (400, want.to_string()));
        }
    }

    #[test]
    fn field_selector_conversion_and_path_name() {
        // conformance #56
        let mut o = list("fieldSelector=subsets.x%3D1").unwrap();
        let s = o.convert_field_selector().unwrap_err();
        assert_eq!(
            (s.code, s.message.as_str()),
            (
                400,
                "\"subsets.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
            )
        );
        let mut o = list("fieldSelector=metadata.name%3Dbar").unwrap();
        o.convert_field_selector().unwrap();
        assert_eq!(o.single_name(), Some("bar"));
        assert!(o.has_selector());
        o.apply_path_name("bar").unwrap();
        let s = o.apply_path_name("baz").unwrap_err();
        assert_eq!(
            s.message,
            "fieldSelector metadata.name doesn't match requested name"
        );
        let mut o = list("watch=1").unwrap();
        o.apply_path_name("foo").unwrap();
        assert_eq!(o.field_selector.to_string(), "metadata.name=foo");
        let o = list("fieldSelector=metadata.name%3Dbar&continue=x").unwrap();
        assert_eq!(o.single_name(), None);
    }

    #[test]
    fn get_options() {
        let read = |raw: &str| GetOptions::decode(&q(raw)).and_then(|g| g.read());
        assert_eq!(read(""), Ok(GetRead::Latest));
        assert_eq!(read("resourceVersion="), Ok(GetRead::Latest));
        assert_eq!(read("resourceVersion=0"), Ok(GetRead::Any));
        assert_eq!(
            read("resourceVersion=12&watch=true"),
            Ok(GetRead::NotOlderThan(12))
        );
        // conformance #63, as a 400 (decision 2)
        let s = read("resourceVersion=xyz").unwrap_err();
        assert_eq!(
            (s.code, s.message.as_str()),
            (
                400,
                "resourceVersion: Invalid value: \"xyz\": strconv.ParseUint: parsing \"xyz\": invalid syntax"
            )
        );
        let s = read("export=1").unwrap_err();
        assert_eq!(
            (s.code, s.message.as_str()),
            (
                400,
                "the export parameter, deprecated since v1.14, is no longer supported"
            )
        );
        assert_eq!(read("export=false"), Ok(GetRead::Latest));
    }

    #[test]
    fn pretty() {
        assert_eq!(q("pretty=true").pretty(), Some(true));
        assert_eq!(q("pretty=1").pretty(), Some(true));
        assert_eq!(q("pretty=T").pretty(), Some(true));
        assert_eq!(q("pretty=false").pretty(), Some(false));
        assert_eq!(q("pretty=yes").pretty(), Some(false));
        assert_eq!(q("pretty=").pretty(), None);
        assert_eq!(q("pretty").pretty(), None);
        assert!(is_pretty_print(None, Some("curl/8.5.0")));
        assert!(is_pretty_print(None, Some("Wget/1.21")));
        assert!(is_pretty_print(None, Some("Mozilla/5.0 (X11)")));
        assert!(!is_pretty_print(None, Some("kubectl/v1.34")));
        assert!(!is_pretty_print(Some(false), Some("curl/8")));
        assert!(!is_pretty_print(q("pretty=x").pretty(), Some("curl/8")));
        assert!(is_pretty_print(Some(true), None));
    }

    #[test]
    fn request_timeouts() {
        let t = |raw: &str| request_timeout(&q(raw));
        assert_eq!(t(""), Ok(None));
        assert_eq!(t("timeout="), Ok(None));
        assert_eq!(t("timeout=30s"), Ok(Some(Duration::from_secs(30))));
        assert_eq!(t("timeout=1m30.5s"), Ok(Some(Duration::from_millis(90_500))));
        assert_eq!(t("timeout=0"), Ok(None));
        assert_eq!(t("timeout=-1s"), Ok(None));
        assert_eq!(t("timeout=1.5h"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(t("timeout=10µs"), Ok(Some(Duration::from_micros(10))));
        let errs: &[(&str, &str)] = &[
            ("timeout=x", "invalid timeout specified in the request URL - time: invalid duration \"x\""),
            ("timeout=10", "invalid timeout specified in the request URL - time: missing unit in duration \"10\""),
            ("timeout=10x", "invalid timeout specified in the request URL - time: unknown unit \"x\" in duration \"10x\""),
            ("timeout=.s", "invalid timeout specified in the request URL - time: invalid duration \".s\""),
            ("timeout=-", "invalid timeout specified in the request URL - time: invalid duration \"-\""),
            ("timeout=1%C3%A9", "invalid timeout specified in the request URL - time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\""),
            ("timeout=9999999999h", "invalid timeout specified in the request URL - time: invalid duration \"9999999999h\""),
        ];
        for (raw, want) in errs {
            let s = t(raw).unwrap_err();
            assert_eq!((s.code, s.message.as_str()), (400, *want), "{raw}");
        }
        assert_eq!(parse_go_duration("-1.5s"), Ok(-1_500_000_000));
        assert_eq!(parse_go_duration("1h2m3s4ms5us6ns"), Ok(3_723_004_005_006));
    }

    #[test]
    fn write_options() {
        let w = WriteOptions::decode(&q(
            "dryRun=All&fieldManager=kubectl&fieldManager=x&fieldValidation=Strict&force",
        ));
        assert!(w.is_dry_run());
        assert_eq!(w.field_manager, "kubectl");
        assert_eq!(w.field_validation(), FieldValidation::Strict);
        assert_eq!(w.force, Some(true));
        assert!(w.validate_create().is_ok());
        assert_eq!(
            WriteOptions::decode(&q("")).field_validation(),
            FieldValidation::Warn
        );
        assert_eq!(WriteOptions::decode(&q("force=maybe")).force, Some(true));
        assert_eq!(WriteOptions::decode(&q("force=false")).force, Some(false));

        type Validate = fn(&WriteOptions) -> Result<(), Status>;
        let err = |raw: &str, f: Validate| {
            let s = f(&WriteOptions::decode(&q(raw))).unwrap_err();
            assert_eq!(s.code, 422);
            s.message
        };
        let long = "a".repeat(129);
        let cases: Vec<(String, Validate, &str)> = vec![
            // C47
            ("fieldValidation=Bogus".into(), WriteOptions::validate_create, "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Bogus\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""),
            // C48 (1.34 rendering)
            ("dryRun=Foo".into(), WriteOptions::validate_create, "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"Foo\"]: supported values: \"All\""),
            ("dryRun=".into(), WriteOptions::validate_update, "UpdateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"\"]: supported values: \"All\""),
            ("dryRun=All&dryRun=x".into(), WriteOptions::validate_update, "UpdateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"All\",\"x\"]: supported values: \"All\""),
            // C50
            (format!("fieldManager={long}"), WriteOptions::validate_create, "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"),
            ("fieldManager=a%01b".into(), WriteOptions::validate_create, "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"a\\x01b\": invalid character U+0001 (at position 1)"),
            ("fieldManager=%C3%A9%01".into(), WriteOptions::validate_create, "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"é\\x01\": invalid character U+0001 (at position 2)"),
                        // P15
            ("force=true".into(), |w| w.validate_patch(false), "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"),
            ("force=false".into(), |w| w.validate_patch(false), "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"),
            ("".into(), |w| w.validate_patch(true), "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"),
            ("force=1&fieldValidation=x".into(), |w| w.validate_patch(false), "PatchOptions.meta.k8s.io \"\" is invalid: [force: Forbidden: may not be specified for non-apply patch, fieldValidation: Unsupported value: \"x\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"]"),
        ];
        for (raw, f, want) in cases {
            assert_eq!(err(&raw, f), want, "{raw}");
        }
        // Non-printable non-ASCII characters (format, separators): one error each, at byte offsets.
        let s = WriteOptions::decode(&q("fieldManager=%E2%80%8Bx%C2%A0"))
            .validate_create()
            .unwrap_err();
        let causes = &s.details.as_ref().unwrap().causes;
        assert_eq!(causes.len(), 2);
        assert!(causes[0]
            .message
            .ends_with(": invalid character U+200B (at position 0)"));
        assert!(causes[1]
            .message
            .ends_with(": invalid character U+00A0 (at position 4)"));
        assert!(WriteOptions::decode(&q("fieldManager=mgr&force=true"))
            .validate_patch(true)
            .is_ok());
        let s = WriteOptions::decode(&q("dryRun=Foo"))
            .validate_create()
            .unwrap_err();
        let d = s.details.unwrap();
        assert_eq!(
            (d.group.as_str(), d.kind.as_str()),
            ("meta.k8s.io", "CreateOptions")
        );
        assert_eq!(d.causes[0].reason, "FieldValueNotSupported");
    }

    #[test]
    fn delete_options() {
        let d = DeleteOptions::from_query(&q("gracePeriodSeconds=30&propagationPolicy=Orphan&dryRun=All"))
            .unwrap();
        assert_eq!(d.grace_period_seconds, Some(30));
        assert_eq!(d.propagation(), Some(PropagationPolicy::Orphan));
        assert!(d.is_dry_run());
        assert!(d.validate().is_ok());
        let s = DeleteOptions::from_query(&q("gracePeriodSeconds=soon")).unwrap_err();
        assert_eq!(
            (s.code, s.message.as_str()),
            (400, "strconv.ParseInt: parsing \"soon\": invalid syntax")
        );

        let err = |raw: &str| {
            DeleteOptions::from_query(&q(raw))
                .unwrap()
                .validate()
                .unwrap_err()
                .message
        };
        // D10
        assert_eq!(err("propagationPolicy=Bogus"), "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Bogus\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        // D11 (from the query here; the body decoder fills the same struct)
        assert_eq!(err("orphanDependents=true&propagationPolicy=Orphan"), "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set");
        assert_eq!(err("propagationPolicy="), "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        assert_eq!(err("dryRun=x"), "DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"x\"]: supported values: \"All\"");
    }
}

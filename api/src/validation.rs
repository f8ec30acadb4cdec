//! Validation of Endpoints objects as kube-apiserver 1.34 does it (write-path §5–§7, §10).
//!
//! Every function returns field errors in upstream's order; the caller turns a non-empty list into
//! a 422 with [`crate::status::Status::invalid`] (`Endpoints "<name>" is invalid: ...`), whose
//! message deduplicates while its causes keep every entry.
//!
//! Entry points, matching the registry's call sites:
//! * [`validate_for_create`]: `rest.BeforeCreate` — `ValidateEndpointsCreate`, then (only if that
//!   passed) the generic ObjectMeta pass with the path-segment name rule.
//! * [`validate_for_update`]: `rest.BeforeUpdate` — generic ObjectMeta (path-segment rule), generic
//!   ObjectMetaUpdate, then `ValidateEndpointsUpdate` (kube ObjectMetaUpdate + kube ObjectMeta +
//!   subsets with the 1.33+ ratchet). Metadata errors therefore appear up to four times, as upstream.
//!   Call [`crate::defaults::prepare_for_update`] first.
//!
//! Label and annotation errors follow the sorted key order of the maps (Go's order is random).
//! The building blocks (`is_dns1123_label`, `is_qualified_name`, ...) return upstream's message
//! strings. IP parsing ([`parse_ip_sloppy`], [`parse_ip_strict`]) follows Go's rules exactly.

use crate::field_error::{BadValue, FieldError};
use crate::types::meta::{ManagedFieldsEntry, ObjectMeta, OwnerReference, Time};
use crate::types::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints};

/// Maximum length of a DNS-1123 label.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Maximum length of a DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Maximum length of a label value.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// Maximum length of the name part of a qualified name.
pub const QUALIFIED_NAME_MAX_LENGTH: usize = 63;
/// Maximum total size of the annotations (keys plus values, bytes).
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;
/// Maximum length of a field manager name.
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;
/// Maximum length of a managedFields subresource.
pub const MAX_SUBRESOURCE_NAME_LENGTH: usize = 256;

/// The regex (as upstream prints it) of a DNS-1123 label.
pub const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/// The regex of a DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/// The regex of the name part of a qualified name.
pub const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
/// The regex of a label value.
pub const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

const DNS1123_LABEL_ERR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// `FieldImmutableErrorMsg`.
pub const FIELD_IMMUTABLE_MSG: &str = "field is immutable";

/// The Invalid detail of an unparsable IP (first of the two errors an invalid IP gets).
pub const INVALID_IP_MSG_WITH_EXAMPLES: &str =
    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

// ---------------------------------------------------------------------------------------------
// Message builders (apimachinery pkg/util/validation)

/// `MaxLenError`: `must be no more than <n> characters`.
pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `EmptyError`: `must be non-empty`.
pub fn empty_error() -> &'static str {
    "must be non-empty"
}

/// `RegexError`: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')` — with the
/// double space before `or` that upstream's example list has.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push('\'');
        out.push_str(ex);
        out.push_str("', ");
    }
    out.push_str("regex used for validation is '");
    out.push_str(fmt);
    out.push_str("')");
    out
}

// ---------------------------------------------------------------------------------------------
// Hand-written matchers for the anchored regexes above.

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            is_lower_alnum(f) && is_lower_alnum(l) && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

fn matches_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
        }
        _ => false,
    }
}

/// `IsDNS1123Label`: the messages for a value that is not a lowercase RFC 1123 label (empty when
/// valid).
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if errs.is_empty() && !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// `IsDNS1123Subdomain`: length and regex messages (both can appear).
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsQualifiedName`: `[prefix/]name` with a DNS-subdomain prefix and a 63-character name part.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                for msg in is_dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {msg}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_ERR_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > QUALIFIED_NAME_MAX_LENGTH {
        errs.push(format!("name part {}", max_len_error(QUALIFIED_NAME_MAX_LENGTH)));
    }
    if !matches_qualified_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `IsValidLabelValue`: empty, or ≤63 characters of the label-value regex.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !value.is_empty() && !matches_qualified_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `path.IsValidPathSegmentName` (or `IsValidPathSegmentPrefix` when `prefix`): `.`/`..` and
/// names containing `/` or `%` are rejected.
pub fn validate_path_segment_name(name: &str, prefix: bool) -> Vec<String> {
    if !prefix {
        for illegal in [".", ".."] {
            if name == illegal {
                return vec![format!("may not be '{illegal}'")];
            }
        }
    }
    ["/", "%"]
        .iter()
        .filter(|c| name.contains(**c))
        .map(|c| format!("may not contain '{c}'"))
        .collect()
}

/// The storage key check on a name (URL or object): `Some("Name parameter invalid: \"..\": may
/// not be '..'")` (a 400 BadRequest message), `None` when the name is usable.
pub fn name_parameter_invalid(name: &str) -> Option<String> {
    let msgs = validate_path_segment_name(name, false);
    if msgs.is_empty() {
        None
    } else {
        Some(format!(
            "Name parameter invalid: {}: {}",
            crate::field_error::go_quote(name),
            msgs.join(";")
        ))
    }
}

/// The messages for an invalid namespace name (`ValidateNamespaceName` = DNS-1123 label).
pub fn validate_namespace_name(namespace: &str) -> Vec<String> {
    is_dns1123_label(namespace)
}

/// Whether a namespace from a URL is usable (epstore accepts every valid DNS-1123 label
/// namespace, README decision 3).
pub fn is_valid_namespace(namespace: &str) -> bool {
    validate_namespace_name(namespace).is_empty()
}

/// `strconv.ParseUint(rv, 10, 64)` as the store parses resourceVersions: `""` is 0; otherwise
/// only decimal digits, with Go's error text
/// (`strconv.ParseUint: parsing "abc": invalid syntax`, `...: value out of range`).
pub fn parse_resource_version(rv: &str) -> Result<u64, String> {
    if rv.is_empty() {
        return Ok(0);
    }
    let quoted = crate::field_error::go_quote(rv);
    if !rv.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseUint: parsing {quoted}: invalid syntax"));
    }
    rv.parse::<u64>()
        .map_err(|_| format!("strconv.ParseUint: parsing {quoted}: value out of range"))
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta

/// The name rule an ObjectMeta pass uses (`ValidateNameFunc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// `NameIsDNSSubdomain` (`ValidateEndpointsName`); for generateName the trailing dash is
    /// masked first.
    DnsSubdomain,
    /// `path.ValidatePathSegmentName` (the generic pass of `BeforeCreate`/`BeforeUpdate`).
    PathSegment,
}

impl NameRule {
    /// The messages for `name` (`prefix` when it is a generateName).
    pub fn check(self, name: &str, prefix: bool) -> Vec<String> {
        match self {
            NameRule::DnsSubdomain => {
                if prefix {
                    is_dns1123_subdomain(&mask_trailing_dash(name))
                } else {
                    is_dns1123_subdomain(name)
                }
            }
            NameRule::PathSegment => validate_path_segment_name(name, prefix),
        }
    }
}

/// `maskTrailingDash`: a name of more than one byte ending in `-` loses its last **two** bytes
/// and gains an `a` (upstream's quirk, write-path §18.9).
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        let cut = &name.as_bytes()[..name.len() - 2];
        let mut s = String::from_utf8_lossy(cut).into_owned();
        s.push('a');
        s
    } else {
        name.to_string()
    }
}

fn invalid_str(path: &str, value: &str, detail: impl Into<String>) -> FieldError {
    FieldError::invalid(path, BadValue::Str(value.to_string()), detail)
}

/// JSON (with Go's escaping) of a value shown in a field error, as 1.34 renders non-scalars.
fn json_value<T: serde::Serialize + ?Sized>(value: &T) -> BadValue {
    BadValue::Raw(String::from_utf8_lossy(&crate::types::to_go_json(value)).into_owned())
}

/// `v1validation.ValidateLabels` at `path` (`metadata.labels`): key then value errors, per key in
/// sorted order; the path carries no key.
pub fn validate_labels(labels: &std::collections::BTreeMap<String, String>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels {
        for msg in is_qualified_name(k) {
            errs.push(invalid_str(path, k, msg));
        }
        for msg in is_valid_label_value(v) {
            errs.push(invalid_str(path, v, msg));
        }
    }
    errs
}

/// `ValidateAnnotations`: keys are qualified names after lower-casing (the error shows the
/// original key); the total size of keys and values must not exceed 256 KiB.
pub fn validate_annotations(
    annotations: &std::collections::BTreeMap<String, String>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in annotations {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(invalid_str(path, k, msg));
        }
        total = total.saturating_add(k.len()).saturating_add(v.len());
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

/// `ParseGroupVersion` of an `apiVersion`: `(group, version)`, or `None` for more than one `/`.
pub fn parse_group_version(api_version: &str) -> Option<(&str, &str)> {
    if api_version.is_empty() || api_version == "/" {
        return Some(("", ""));
    }
    match api_version.matches('/').count() {
        0 => Some(("", api_version)),
        1 => api_version.split_once('/'),
        _ => None,
    }
}

/// `ValidateOwnerReferences` (1.34 texts): per reference the empty-field checks and the banned
/// owner `/v1, Kind=Event`; then at most one `controller: true`.
pub fn validate_owner_references(refs: &[OwnerReference], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut first_controller = String::new();
    for r in refs {
        let (group, version) = parse_group_version(&r.api_version).unwrap_or(("", ""));
        if version.is_empty() {
            errs.push(invalid_str(
                &format!("{path}.apiVersion"),
                &r.api_version,
                "version must not be empty",
            ));
        }
        if r.kind.is_empty() {
            errs.push(invalid_str(&format!("{path}.kind"), "", "must not be empty"));
        }
        if r.name.is_empty() {
            errs.push(invalid_str(&format!("{path}.name"), "", "must not be empty"));
        }
        if r.uid.is_empty() {
            errs.push(invalid_str(&format!("{path}.uid"), "", "must not be empty"));
        }
        if group.is_empty() && version == "v1" && r.kind == "Event" {
            errs.push(FieldError::invalid(
                path,
                json_value(r),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if r.controller == Some(true) {
            let current = format!("{}/{}", r.kind, r.name);
            if first_controller.is_empty() {
                first_controller = current;
            } else {
                errs.push(FieldError::invalid(
                    path,
                    json_value(refs),
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first_controller} and {current}"
                    ),
                ));
            }
        }
    }
    errs
}

/// The generic `ValidateFinalizers` (path `metadata.finalizers`, no index): qualified names, and
/// not both `orphan` and `foregroundDeletion`.
pub fn validate_finalizers(finalizers: &[String], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for f in finalizers {
        for msg in is_qualified_name(f) {
            errs.push(invalid_str(path, f, msg));
        }
    }
    let has = |n: &str| finalizers.iter().any(|f| f == n);
    if has("orphan") && has("foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            json_value(finalizers),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// The kube-specific finalizer rule (path `metadata.finalizers[i]`): a name without `/` must be
/// `kubernetes`, `orphan` or `foregroundDeletion`.
pub fn validate_kube_finalizer_names(finalizers: &[String], path: &str) -> Vec<FieldError> {
    finalizers
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !f.contains('/') && !matches!(f.as_str(), "kubernetes" | "orphan" | "foregroundDeletion")
        })
        .map(|(i, f)| {
            invalid_str(
                &format!("{path}[{i}]"),
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            )
        })
        .collect()
}

/// Go's `unicode.IsPrint` approximation: letters, marks, numbers, punctuation, symbols and the
/// ASCII space.
pub(crate) fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters, private use, surrogates' neighbours and noncharacters are not printable.
    !matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF
        | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF)
}

/// `ValidateFieldManager`: at most 128 bytes, every rune printable
/// (`invalid character U+0001 (at position i)`).
pub fn validate_field_manager(manager: &str, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if manager.len() > FIELD_MANAGER_MAX_LENGTH {
        errs.push(FieldError::too_long(path, FIELD_MANAGER_MAX_LENGTH));
    }
    for (i, c) in manager.char_indices() {
        if !is_go_printable(c) {
            errs.push(invalid_str(
                path,
                manager,
                format!("invalid character U+{:04X} (at position {i})", c as u32),
            ));
        }
    }
    errs
}

/// `ValidateManagedFields`: operation `Apply`/`Update`, fieldsType `FieldsV1` (or empty),
/// printable manager of at most 128 bytes, subresource of at most 256 bytes.
pub fn validate_managed_fields(entries: &[ManagedFieldsEntry], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if e.operation != "Apply" && e.operation != "Update" {
            errs.push(invalid_str(
                &format!("{p}.operation"),
                &e.operation,
                "must be `Apply` or `Update`",
            ));
        }
        if !e.fields_type.is_empty() && e.fields_type != "FieldsV1" {
            errs.push(invalid_str(
                &format!("{p}.fieldsType"),
                &e.fields_type,
                "must be `FieldsV1`",
            ));
        }
        errs.extend(validate_field_manager(&e.manager, &format!("{p}.manager")));
        if e.subresource.len() > MAX_SUBRESOURCE_NAME_LENGTH {
            errs.push(FieldError::too_long(
                format!("{p}.subresource"),
                MAX_SUBRESOURCE_NAME_LENGTH,
            ));
        }
    }
    errs
}

/// The generic `ValidateObjectMetaAccessor` (apimachinery) for a namespaced object: generateName,
/// name, namespace, generation, labels, annotations, ownerReferences, finalizers, managedFields.
pub fn validate_object_meta_generic(meta: &ObjectMeta, rule: NameRule) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !meta.generate_name.is_empty() {
        for msg in rule.check(&meta.generate_name, true) {
            errs.push(invalid_str("metadata.generateName", &meta.generate_name, msg));
        }
    }
    if meta.name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        for msg in rule.check(&meta.name, false) {
            errs.push(invalid_str("metadata.name", &meta.name, msg));
        }
    }
    if meta.namespace.is_empty() {
        errs.push(FieldError::required("metadata.namespace", ""));
    } else {
        for msg in validate_namespace_name(&meta.namespace) {
            errs.push(invalid_str("metadata.namespace", &meta.namespace, msg));
        }
    }
    if meta.generation < 0 {
        errs.push(FieldError::invalid(
            "metadata.generation",
            BadValue::Int(meta.generation),
            "must be greater than or equal to 0",
        ));
    }
    errs.extend(validate_labels(&meta.labels, "metadata.labels"));
    errs.extend(validate_annotations(&meta.annotations, "metadata.annotations"));
    errs.extend(validate_owner_references(
        &meta.owner_references,
        "metadata.ownerReferences",
    ));
    errs.extend(validate_finalizers(&meta.finalizers, "metadata.finalizers"));
    errs.extend(validate_managed_fields(
        meta.managed_fields(),
        "metadata.managedFields",
    ));
    errs
}

/// The kube `ValidateObjectMeta` of Endpoints: the generic pass with the DNS-subdomain name rule,
/// then the kube finalizer names.
pub fn validate_object_meta(meta: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = validate_object_meta_generic(meta, NameRule::DnsSubdomain);
    errs.extend(validate_kube_finalizer_names(
        &meta.finalizers,
        "metadata.finalizers",
    ));
    errs
}

fn time_value(t: &Time) -> BadValue {
    BadValue::Raw(t.go_string())
}

fn opt_time_value(t: &Option<Time>) -> BadValue {
    match t {
        Some(t) => time_value(t),
        None => BadValue::Raw("null".to_string()),
    }
}

/// `ValidateNoNewFinalizers`: while the old object is being deleted no finalizer may be added
/// (detail built with Go's `%#v` of the sorted new names).
pub fn validate_no_new_finalizers(new: &[String], old: &[String], path: &str) -> Vec<FieldError> {
    let mut extra: Vec<&String> = new.iter().filter(|f| !old.contains(f)).collect();
    extra.sort();
    extra.dedup();
    if extra.is_empty() {
        return Vec::new();
    }
    let list: Vec<String> = extra.iter().map(|f| crate::field_error::go_quote(f)).collect();
    vec![FieldError::forbidden(
        path,
        format!(
            "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
            list.join(", ")
        ),
    )]
}

/// The generic `ValidateObjectMetaAccessorUpdate`: no new finalizers while deleting,
/// resourceVersion present, generation not decremented, immutable name / namespace / uid /
/// creationTimestamp / deletionTimestamp / deletionGracePeriodSeconds, then labels,
/// annotations, ownerReferences and managedFields of the new object.
pub fn validate_object_meta_update_generic(new: &ObjectMeta, old: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if old.deletion_timestamp.is_some() {
        errs.extend(validate_no_new_finalizers(
            &new.finalizers,
            &old.finalizers,
            "metadata.finalizers",
        ));
    }
    if new.resource_version.is_empty() {
        errs.push(invalid_str(
            "metadata.resourceVersion",
            "",
            "must be specified for an update",
        ));
    }
    if new.generation < old.generation {
        errs.push(FieldError::invalid(
            "metadata.generation",
            BadValue::Int(new.generation),
            "must not be decremented",
        ));
    }
    if new.name != old.name {
        errs.push(invalid_str("metadata.name", &new.name, FIELD_IMMUTABLE_MSG));
    }
    if new.namespace != old.namespace {
        errs.push(invalid_str(
            "metadata.namespace",
            &new.namespace,
            FIELD_IMMUTABLE_MSG,
        ));
    }
    if new.uid != old.uid {
        errs.push(invalid_str("metadata.uid", &new.uid, FIELD_IMMUTABLE_MSG));
    }
    if new.creation_timestamp != old.creation_timestamp {
        errs.push(FieldError::invalid(
            "metadata.creationTimestamp",
            time_value(&new.creation_timestamp),
            FIELD_IMMUTABLE_MSG,
        ));
    }
    if new.deletion_timestamp != old.deletion_timestamp {
        errs.push(FieldError::invalid(
            "metadata.deletionTimestamp",
            opt_time_value(&new.deletion_timestamp),
            FIELD_IMMUTABLE_MSG,
        ));
    }
    if new.deletion_grace_period_seconds != old.deletion_grace_period_seconds {
        errs.push(FieldError::invalid(
            "metadata.deletionGracePeriodSeconds",
            match new.deletion_grace_period_seconds {
                Some(v) => BadValue::Int(v),
                None => BadValue::Raw("null".to_string()),
            },
            FIELD_IMMUTABLE_MSG,
        ));
    }
    errs.extend(validate_labels(&new.labels, "metadata.labels"));
    errs.extend(validate_annotations(&new.annotations, "metadata.annotations"));
    errs.extend(validate_owner_references(
        &new.owner_references,
        "metadata.ownerReferences",
    ));
    errs.extend(validate_managed_fields(
        new.managed_fields(),
        "metadata.managedFields",
    ));
    errs
}

/// The kube `ValidateObjectMetaUpdate`: the generic update checks, then the kube finalizer names
/// of the new object.
pub fn validate_object_meta_update(new: &ObjectMeta, old: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update_generic(new, old);
    errs.extend(validate_kube_finalizer_names(
        &new.finalizers,
        "metadata.finalizers",
    ));
    errs
}

// ---------------------------------------------------------------------------------------------
// IP addresses

/// An IP address parsed as Go does: 16 bytes (IPv4 as `::ffff:a.b.c.d`) and whether the text was
/// IPv6 syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedIp {
    /// The address in 16-byte form.
    pub bytes: [u8; 16],
    /// Whether the text contained `:` before any `.` (IPv6 syntax, possibly with an embedded
    /// IPv4 tail).
    pub ipv6_syntax: bool,
}

impl ParsedIp {
    /// `net.IP.To4() != nil`: an IPv4 address or an IPv4-mapped IPv6 address.
    pub fn to4(&self) -> Option<[u8; 4]> {
        let b = &self.bytes;
        if b[..10].iter().all(|&x| x == 0) && b[10] == 0xff && b[11] == 0xff {
            Some([b[12], b[13], b[14], b[15]])
        } else {
            None
        }
    }

    /// `net.IP.IsUnspecified`.
    pub fn is_unspecified(&self) -> bool {
        self.to4() == Some([0, 0, 0, 0]) || self.bytes == [0u8; 16]
    }

    /// `net.IP.IsLoopback`.
    pub fn is_loopback(&self) -> bool {
        match self.to4() {
            Some(v4) => v4[0] == 127,
            None => {
                let mut lo = [0u8; 16];
                lo[15] = 1;
                self.bytes == lo
            }
        }
    }

    /// `net.IP.IsLinkLocalUnicast`.
    pub fn is_link_local_unicast(&self) -> bool {
        match self.to4() {
            Some(v4) => v4[0] == 169 && v4[1] == 254,
            None => self.bytes[0] == 0xfe && self.bytes[1] & 0xc0 == 0x80,
        }
    }

    /// `net.IP.IsLinkLocalMulticast` (note: any flags nibble, `ffX2::/16`).
    pub fn is_link_local_multicast(&self) -> bool {
        match self.to4() {
            Some(v4) => v4[0] == 224 && v4[1] == 0 && v4[2] == 0,
            None => self.bytes[0] == 0xff && self.bytes[1] & 0x0f == 0x02,
        }
    }

    /// `net.IP.String()`: dotted decimal for IPv4 (and IPv4-mapped), RFC 5952 otherwise.
    pub fn go_string(&self) -> String {
        match self.to4() {
            Some(v4) => format!("{}.{}.{}.{}", v4[0], v4[1], v4[2], v4[3]),
            None => format_ipv6(&self.bytes),
        }
    }
}

/// RFC 5952 text of an IPv6 address: lowercase, no leading zeros, the longest run (first on a
/// tie) of two or more zero groups as `::`.
pub fn format_ipv6(bytes: &[u8; 16]) -> String {
    let groups: Vec<u16> = (0..8)
        .map(|i| u16::from(bytes[2 * i]) << 8 | u16::from(bytes[2 * i + 1]))
        .collect();
    let (mut best_start, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if groups[i] == 0 {
            let start = i;
            while i < 8 && groups[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_start = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_start = usize::MAX;
    }
    let mut out = String::with_capacity(39);
    let mut i = 0;
    while i < 8 {
        if i == best_start {
            out.push_str("::");
            i += best_len;
            continue;
        }
        if i > 0 && !out.ends_with(':') {
            out.push(':');
        }
        out.push_str(&format!("{:x}", groups[i]));
        i += 1;
    }
    out
}

/// Parses the dotted IPv4 of `s`. Sloppy (Go 1.16 `net.ParseIP`): leading zeros allowed and read
/// as decimal. Strict (`netip.ParseAddr`): at most three digits, no leading zero.
fn parse_ipv4(s: &[u8], strict: bool) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut rest = s;
    for (i, slot) in out.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(b".")?;
        }
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        if strict && (digits > 3 || (digits > 1 && rest[0] == b'0')) {
            return None;
        }
        let mut n: u32 = 0;
        for &c in &rest[..digits] {
            n = n * 10 + u32::from(c - b'0');
            if n > 0xFF {
                return None;
            }
        }
        *slot = n as u8;
        rest = &rest[digits..];
    }
    if rest.is_empty() {
        Some(out)
    } else {
        None
    }
}

fn parse_ipv6(s: &[u8], strict: bool) -> Option<[u8; 16]> {
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    let mut rest = s;
    if rest.len() >= 2 && rest[0] == b':' && rest[1] == b':' {
        ellipsis = Some(0);
        rest = &rest[2..];
        if rest.is_empty() {
            return Some(ip);
        }
    }
    let mut i = 0;
    while i < 16 {
        let hex = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if hex == 0 || (strict && hex > 4) {
            return None;
        }
        let mut n: u32 = 0;
        for &c in &rest[..hex] {
            n = n * 16 + (c as char).to_digit(16).unwrap_or(0);
            if n >= 0xFF_FFFF {
                return None;
            }
        }
        if n > 0xFFFF {
            return None;
        }
        if rest.get(hex) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                return None;
            }
            if i + 4 > 16 {
                return None;
            }
            let v4 = parse_ipv4(rest, strict)?;
            ip[i..i + 4].copy_from_slice(&v4);
            rest = &[];
            i += 4;
            break;
        }
        ip[i] = (n >> 8) as u8;
        ip[i + 1] = n as u8;
        i += 2;
        rest = &rest[hex..];
        if rest.is_empty() {
            break;
        }
        if rest[0] != b':' || rest.len() == 1 {
            return None;
        }
        rest = &rest[1..];
        if rest[0] == b':' {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(i);
            rest = &rest[1..];
            if rest.is_empty() {
                break;
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    if i < 16 {
        let e = ellipsis?;
        let n = 16 - i;
        for j in (e..i).rev() {
            ip[j + n] = ip[j];
        }
        for b in ip.iter_mut().skip(e).take(n) {
            *b = 0;
        }
    } else if ellipsis.is_some() {
        return None;
    }
    Some(ip)
}

fn parse_ip(value: &str, strict: bool) -> Option<ParsedIp> {
    let s = value.as_bytes();
    for &c in s {
        match c {
            b'.' => {
                let v4 = parse_ipv4(s, strict)?;
                let mut bytes = [0u8; 16];
                bytes[10] = 0xff;
                bytes[11] = 0xff;
                bytes[12..].copy_from_slice(&v4);
                return Some(ParsedIp {
                    bytes,
                    ipv6_syntax: false,
                });
            }
            b':' => {
                return parse_ipv6(s, strict).map(|bytes| ParsedIp {
                    bytes,
                    ipv6_syntax: true,
                })
            }
            _ => {}
        }
    }
    None
}

/// `netutils.ParseIPSloppy` (Go 1.16 `net.ParseIP`): IPv4 dotted quads with leading zeros read as
/// decimal, IPv6 with `::` and an embedded IPv4 tail, no zones.
pub fn parse_ip_sloppy(value: &str) -> Option<ParsedIp> {
    parse_ip(value, false)
}

/// `netip.ParseAddr` without zones: like [`parse_ip_sloppy`] but no leading zeros in IPv4 octets
/// and at most four hex digits per IPv6 group.
pub fn parse_ip_strict(value: &str) -> Option<ParsedIp> {
    parse_ip(value, true)
}

// ---------------------------------------------------------------------------------------------
// Endpoints

fn validate_endpoint_address(addr: &EndpointAddress, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ip_path = format!("{path}.ip");
    let parsed = parse_ip_sloppy(&addr.ip);
    // IsValidIPForLegacyField (StrictIPCIDRValidation off).
    if parsed.is_none() {
        errs.push(invalid_str(&ip_path, &addr.ip, INVALID_IP_MSG_WITH_EXAMPLES));
    }
    if !addr.hostname.is_empty() {
        for msg in is_dns1123_label(&addr.hostname) {
            errs.push(invalid_str(&format!("{path}.hostname"), &addr.hostname, msg));
        }
    }
    if let Some(node) = &addr.node_name {
        for msg in is_dns1123_subdomain(node) {
            errs.push(invalid_str(&format!("{path}.nodeName"), node, msg));
        }
    }
    // ValidateEndpointIP.
    match parsed {
        None => errs.push(invalid_str(&ip_path, &addr.ip, "must be a valid IP address")),
        Some(ip) => {
            if ip.is_unspecified() {
                errs.push(invalid_str(
                    &ip_path,
                    &addr.ip,
                    format!("may not be unspecified ({})", addr.ip),
                ));
            }
            if ip.is_loopback() {
                errs.push(invalid_str(
                    &ip_path,
                    &addr.ip,
                    "may not be in the loopback range (127.0.0.0/8, ::1/128)",
                ));
            }
            if ip.is_link_local_unicast() {
                errs.push(invalid_str(
                    &ip_path,
                    &addr.ip,
                    "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
                ));
            }
            if ip.is_link_local_multicast() {
                errs.push(invalid_str(
                    &ip_path,
                    &addr.ip,
                    "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
                ));
            }
        }
    }
    errs
}

fn validate_endpoint_port(port: &EndpointPort, require_name: bool, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if require_name && port.name.is_empty() {
        errs.push(FieldError::required(format!("{path}.name"), ""));
    } else if !port.name.is_empty() {
        for msg in is_dns1123_label(&port.name) {
            errs.push(invalid_str(&format!("{path}.name"), &port.name, msg));
        }
    }
    if !(1..=65535).contains(&port.port) {
        errs.push(FieldError::invalid(
            format!("{path}.port"),
            BadValue::Int(i64::from(port.port)),
            "must be between 1 and 65535, inclusive",
        ));
    }
    if port.protocol.is_empty() {
        errs.push(FieldError::required(format!("{path}.protocol"), ""));
    } else if !matches!(port.protocol.as_str(), "TCP" | "UDP" | "SCTP") {
        errs.push(FieldError::not_supported(
            format!("{path}.protocol"),
            BadValue::Str(port.protocol.clone()),
            &["SCTP", "TCP", "UDP"],
        ));
    }
    if let Some(app) = &port.app_protocol {
        for msg in is_qualified_name(app) {
            errs.push(invalid_str(&format!("{path}.appProtocol"), app, msg));
        }
    }
    errs
}

/// `validateEndpointSubsets`: per subset the address requirement, each address, each
/// not-ready address, each port (a name is required when there is more than one port).
pub fn validate_subsets(subsets: &[EndpointSubset]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ss) in subsets.iter().enumerate() {
        let p = format!("subsets[{i}]");
        if ss.addresses.is_empty() && ss.not_ready_addresses.is_empty() {
            errs.push(FieldError::required(
                p.clone(),
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (j, a) in ss.addresses.iter().enumerate() {
            errs.extend(validate_endpoint_address(a, &format!("{p}.addresses[{j}]")));
        }
        for (j, a) in ss.not_ready_addresses.iter().enumerate() {
            errs.extend(validate_endpoint_address(
                a,
                &format!("{p}.notReadyAddresses[{j}]"),
            ));
        }
        let require_name = ss.ports.len() > 1;
        for (k, port) in ss.ports.iter().enumerate() {
            errs.extend(validate_endpoint_port(
                port,
                require_name,
                &format!("{p}.ports[{k}]"),
            ));
        }
    }
    errs
}

/// `ValidateEndpoints(ep, old)`: kube ObjectMeta, then the subsets. With an old object (update)
/// whose subsets are semantically equal, subset errors are dropped (the 1.33+ ratchet).
pub fn validate_endpoints(ep: &Endpoints, old: Option<&Endpoints>) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&ep.metadata);
    let subset_errs = validate_subsets(&ep.subsets);
    if !subset_errs.is_empty() && old.is_some_and(|o| o.subsets == ep.subsets) {
        return errs;
    }
    errs.extend(subset_errs);
    errs
}

/// `ValidateEndpointsCreate`.
pub fn validate_endpoints_create(ep: &Endpoints) -> Vec<FieldError> {
    validate_endpoints(ep, None)
}

/// `ValidateEndpointsUpdate` (the strategy's `ValidateUpdate`): kube ObjectMetaUpdate, then
/// [`validate_endpoints`] with the old object.
pub fn validate_endpoints_update(new: &Endpoints, old: &Endpoints) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata);
    errs.extend(validate_endpoints(new, Some(old)));
    errs
}

/// Everything `rest.BeforeCreate` validates, in order: [`validate_endpoints_create`]; only when
/// that is clean, the generic ObjectMeta pass with the path-segment name rule. A non-empty result
/// is the 422.
pub fn validate_for_create(ep: &Endpoints) -> Vec<FieldError> {
    let errs = validate_endpoints_create(ep);
    if !errs.is_empty() {
        return errs;
    }
    validate_object_meta_generic(&ep.metadata, NameRule::PathSegment)
}

/// Everything `rest.BeforeUpdate` validates, in order (write-path §10 step 9c): the generic
/// ObjectMeta pass (path-segment name rule), the generic ObjectMetaUpdate, then
/// [`validate_endpoints_update`]. `new` must already have been through
/// [`crate::defaults::prepare_for_update`].
pub fn validate_for_update(new: &Endpoints, old: &Endpoints) -> Vec<FieldError> {
    let mut errs = validate_object_meta_generic(&new.metadata, NameRule::PathSegment);
    errs.extend(validate_object_meta_update_generic(&new.metadata, &old.metadata));
    errs.extend(validate_endpoints_update(new, old));
    errs
}

/// The 422 of a failed Endpoints validation: `Endpoints "<name>" is invalid: <aggregate>`, with
/// details `{name, kind: "Endpoints", causes}` (one cause per error, duplicates included).
pub fn invalid_status(name: &str, errs: &[FieldError]) -> crate::status::Status {
    crate::status::Status::invalid(crate::types::endpoints::KIND, "", name, errs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_error::aggregate;
    use crate::types::ObjectReference;

    const M_SUB: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const M_LBL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const M_QN: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const M_LV: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    /// `EP(name, ip)` of the conformance tables, already defaulted and namespaced.
    fn ep(name: &str, ip: &str) -> Endpoints {
        let mut e = Endpoints::default();
        e.metadata.name = name.into();
        e.metadata.namespace = "default".into();
        e.metadata.uid = "u".into();
        e.metadata.creation_timestamp = Time::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
        e.subsets.push(EndpointSubset {
            addresses: vec![EndpointAddress {
                ip: ip.into(),
                ..EndpointAddress::default()
            }],
            not_ready_addresses: vec![],
            ports: vec![EndpointPort {
                port: 80,
                protocol: "TCP".into(),
                ..EndpointPort::default()
            }],
        });
        e
    }

    fn strings(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn port(e: &mut Endpoints) -> &mut EndpointPort {
        &mut e.subsets[0].ports[0]
    }

    fn addr(e: &mut Endpoints) -> &mut EndpointAddress {
        &mut e.subsets[0].addresses[0]
    }

    #[test]
    fn create_conformance_rows() {
        type Mutate = fn(&mut Endpoints);
        let a = "subsets[0].addresses[0]";
        let cases: Vec<(&str, Endpoints, Mutate, Vec<String>)> = vec![
            ("C1", ep("ep1", "10.0.0.1"), |_| {}, vec![]),
            (
                "C4",
                ep("", "10.0.0.1"),
                |_| {},
                vec!["metadata.name: Required value: name or generateName is required".into()],
            ),
            (
                "C5",
                ep("EP_1", "10.0.0.1"),
                |_| {},
                vec![format!("metadata.name: Invalid value: \"EP_1\": {M_SUB}")],
            ),
            (
                "C9",
                ep("lo", "127.0.0.1"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)")],
            ),
            (
                "C10",
                ep("lo6", "::1"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"::1\": may not be in the loopback range (127.0.0.0/8, ::1/128)")],
            ),
            (
                "C11",
                ep("ll", "169.254.1.1"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"169.254.1.1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)")],
            ),
            (
                "C12",
                ep("ll6", "fe80::1"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"fe80::1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)")],
            ),
            (
                "C13",
                ep("mc", "224.0.0.5"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"224.0.0.5\": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")],
            ),
            (
                "C14",
                ep("mc6", "ff12::1"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"ff12::1\": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")],
            ),
            (
                "C15",
                ep("un", "0.0.0.0"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)")],
            ),
            (
                "C16",
                ep("un6", "::"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"::\": may not be unspecified (::)")],
            ),
            (
                "C17",
                ep("bad", "not-an-ip"),
                |_| {},
                vec![
                    format!("{a}.ip: Invalid value: \"not-an-ip\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
                    format!("{a}.ip: Invalid value: \"not-an-ip\": must be a valid IP address"),
                ],
            ),
            (
                "C18",
                ep("empty", ""),
                |_| {},
                vec![
                    format!("{a}.ip: Invalid value: \"\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
                    format!("{a}.ip: Invalid value: \"\": must be a valid IP address"),
                ],
            ),
            ("C19a", ep("glob", "239.1.1.1"), |_| {}, vec![]),
            ("C19b", ep("glob", "255.255.255.255"), |_| {}, vec![]),
            (
                "C20",
                ep("x", "10.0.0.1"),
                |e| e.subsets[0].addresses.clear(),
                vec!["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`".into()],
            ),
            (
                "C21",
                ep("x", "10.0.0.1"),
                |e| e.subsets[0] = EndpointSubset::default(),
                vec!["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`".into()],
            ),
            (
                "C22",
                ep("x", "10.0.0.1"),
                |e| {
                    port(e).name = "a".into();
                    e.subsets[0].ports.push(EndpointPort {
                        port: 81,
                        protocol: "TCP".into(),
                        ..EndpointPort::default()
                    });
                },
                vec!["subsets[0].ports[1].name: Required value".into()],
            ),
            (
                "C23",
                ep("x", "10.0.0.1"),
                |e| port(e).name = "HTTP".into(),
                vec![format!("subsets[0].ports[0].name: Invalid value: \"HTTP\": {M_LBL}")],
            ),
            (
                "C24",
                ep("x", "10.0.0.1"),
                |e| port(e).name = "a.b".into(),
                vec!["subsets[0].ports[0].name: Invalid value: \"a.b\": must not contain dots".into()],
            ),
            (
                "C25",
                ep("x", "10.0.0.1"),
                |e| port(e).port = 0,
                vec!["subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive".into()],
            ),
            (
                "C26",
                ep("x", "10.0.0.1"),
                |e| port(e).port = 70000,
                vec!["subsets[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive".into()],
            ),
            (
                "C28",
                ep("x", "10.0.0.1"),
                |e| port(e).protocol = "tcp".into(),
                vec!["subsets[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"".into()],
            ),
            (
                "C30",
                ep("x", "10.0.0.1"),
                |e| port(e).app_protocol = Some("kubernetes.io/h2c".into()),
                vec![],
            ),
            (
                "C31",
                ep("x", "10.0.0.1"),
                |e| port(e).app_protocol = Some("bad proto".into()),
                vec![format!("subsets[0].ports[0].appProtocol: Invalid value: \"bad proto\": {M_QN}")],
            ),
            (
                "C32",
                ep("x", "10.0.0.1"),
                |e| port(e).app_protocol = Some(String::new()),
                vec![
                    "subsets[0].ports[0].appProtocol: Invalid value: \"\": name part must be non-empty".into(),
                    format!("subsets[0].ports[0].appProtocol: Invalid value: \"\": {M_QN}"),
                ],
            ),
            (
                "C33",
                ep("x", "10.0.0.1"),
                |e| addr(e).hostname = "Host1".into(),
                vec![format!("{a}.hostname: Invalid value: \"Host1\": {M_LBL}")],
            ),
            (
                "C34",
                ep("x", "10.0.0.1"),
                |e| addr(e).node_name = Some("Node_1".into()),
                vec![format!("{a}.nodeName: Invalid value: \"Node_1\": {M_SUB}")],
            ),
            (
                "C35",
                ep("x", "10.0.0.1"),
                |e| addr(e).node_name = Some(String::new()),
                vec![format!("{a}.nodeName: Invalid value: \"\": {M_SUB}")],
            ),
            (
                "C36",
                ep("x", "10.0.0.1"),
                |e| {
                    let s = &mut e.subsets[0];
                    s.not_ready_addresses = std::mem::take(&mut s.addresses);
                    s.not_ready_addresses[0].ip = "127.0.0.2".into();
                },
                vec!["subsets[0].notReadyAddresses[0].ip: Invalid value: \"127.0.0.2\": may not be in the loopback range (127.0.0.0/8, ::1/128)".into()],
            ),
            (
                "C37",
                ep("x", "10.0.0.1"),
                |e| addr(e).target_ref = Some(ObjectReference::default()),
                vec![],
            ),
            (
                "C38",
                ep("x", "10.0.0.1"),
                |e| {
                    e.metadata.labels.insert("bad key".into(), "v".into());
                },
                vec![format!("metadata.labels: Invalid value: \"bad key\": {M_QN}")],
            ),
            (
                "C39",
                ep("x", "10.0.0.1"),
                |e| {
                    e.metadata.labels.insert("k".into(), "bad value".into());
                },
                vec![format!("metadata.labels: Invalid value: \"bad value\": {M_LV}")],
            ),
            (
                "C40",
                ep("x", "10.0.0.1"),
                |e| {
                    e.metadata.annotations.insert("k".into(), "v".repeat(262_144));
                },
                vec!["metadata.annotations: Too long: may not be more than 262144 bytes".into()],
            ),
            (
                "C40-limit",
                ep("x", "10.0.0.1"),
                |e| {
                    e.metadata.annotations.insert("k".into(), "v".repeat(262_143));
                },
                vec![],
            ),
            (
                "C41",
                ep("x", "10.0.0.1"),
                |e| e.metadata.finalizers.push("foo".into()),
                vec!["metadata.finalizers[0]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified".into()],
            ),
            (
                "C42",
                ep("x", "10.0.0.1"),
                |e| {
                    e.metadata.owner_references.push(OwnerReference {
                        api_version: "v1".into(),
                        kind: "Pod".into(),
                        name: "p".into(),
                        ..OwnerReference::default()
                    })
                },
                vec!["metadata.ownerReferences.uid: Invalid value: \"\": must not be empty".into()],
            ),
            ("C53", ep("lz", "010.0.0.1"), |_| {}, vec![]),
            ("C54", ep("v6", "2001:DB8::1"), |_| {}, vec![]),
            ("C56", ep("m4", "::ffff:10.0.0.1"), |_| {}, vec![]),
            (
                "mapped loopback",
                ep("m4", "::ffff:127.0.0.1"),
                |_| {},
                vec![format!("{a}.ip: Invalid value: \"::ffff:127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)")],
            ),
            (
                "generateName",
                ep("", "10.0.0.1"),
                |e| {
                    e.metadata.generate_name = "Ep-".into();
                    e.metadata.name = "Ep-abcde".into();
                },
                vec![
                    format!("metadata.generateName: Invalid value: \"Ep-\": {M_SUB}"),
                    format!("metadata.name: Invalid value: \"Ep-abcde\": {M_SUB}"),
                ],
            ),
            (
                "generation",
                ep("x", "10.0.0.1"),
                |e| e.metadata.generation = -1,
                vec!["metadata.generation: Invalid value: -1: must be greater than or equal to 0".into()],
            ),
        ];
        for (row, mut obj, mutate, want) in cases {
            mutate(&mut obj);
            assert_eq!(strings(&validate_for_create(&obj)), want, "{row}");
        }
    }

    /// The unit-level create pipeline of write-path §9: decode (Warn unless the row says Strict),
    /// wipe and fill system fields, reconcile the namespace, generate the name, dedup
    /// ownerReferences, validate, then the strategy warnings. Returns the response message of a
    /// failure, or the warnings of a success.
    fn create_pipeline(body: &str, strict: bool) -> Result<(Endpoints, Vec<String>), String> {
        use crate::decode::{decode_body, BodyFormat};
        use crate::options::FieldValidation;
        let validation = if strict {
            FieldValidation::Strict
        } else {
            FieldValidation::Warn
        };
        let decoded =
            decode_body(body.as_bytes(), BodyFormat::Json, validation).map_err(|e| e.to_string())?;
        let mut obj = decoded.object;
        let mut warnings = decoded.warnings;
        crate::defaults::wipe_object_meta_system_fields(&mut obj.metadata);
        crate::defaults::reconcile_namespace(&mut obj.metadata, "default").map_err(|e| e.to_string())?;
        if let Some(w) = crate::warnings::dedup_owner_references(&mut obj.metadata.owner_references, false) {
            warnings.push(w);
        }
        crate::defaults::fill_object_meta_system_fields(
            &mut obj.metadata,
            Time::now(),
            crate::defaults::new_uid(),
        );
        if obj.metadata.name.is_empty() && !obj.metadata.generate_name.is_empty() {
            obj.metadata.name = crate::defaults::generate_name(&obj.metadata.generate_name);
        }
        let errs = validate_for_create(&obj);
        if !errs.is_empty() {
            return Err(invalid_status(&obj.metadata.name, &errs).message);
        }
        warnings.extend(crate::warnings::endpoints_warnings(&obj));
        Ok((obj, warnings))
    }

    fn ep_body(name: &str, ip: &str) -> String {
        format!(
            r#"{{"apiVersion":"v1","kind":"Endpoints","metadata":{{"name":"{name}"}},"subsets":[{{"addresses":[{{"ip":"{ip}"}}],"ports":[{{"port":80}}]}}]}}"#
        )
    }

    fn with_port(port: &str) -> String {
        format!(
            r#"{{"metadata":{{"name":"x"}},"subsets":[{{"addresses":[{{"ip":"10.0.0.1"}}],"ports":[{port}]}}]}}"#
        )
    }

    #[test]
    fn create_pipeline_rows() {
        let ok = |w: &[&str]| Ok::<Vec<String>, String>(w.iter().map(|s| s.to_string()).collect());
        let bad = |m: &str| Err::<Vec<String>, String>(m.to_string());
        type Row = (&'static str, String, bool, Result<Vec<String>, String>);
        let cases: Vec<Row> = vec![
            ("C1", ep_body("ep1", "10.0.0.1"), false, ok(&[])),
            ("C4", r#"{"metadata":{}}"#.into(), false, bad("Endpoints \"\" is invalid: metadata.name: Required value: name or generateName is required")),
            ("C5", ep_body("EP_1", "10.0.0.1"), false, bad(&format!("Endpoints \"EP_1\" is invalid: metadata.name: Invalid value: \"EP_1\": {M_SUB}"))),
            ("C8", r#"{"metadata":{"name":"a","namespace":"other"}}"#.into(), false, bad("the namespace of the provided object does not match the namespace sent on the request")),
            ("C9", ep_body("lo", "127.0.0.1"), false, bad("Endpoints \"lo\" is invalid: subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)")),
            ("C17", ep_body("bad", "not-an-ip"), false, bad("Endpoints \"bad\" is invalid: [subsets[0].addresses[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), subsets[0].addresses[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address]")),
            ("C20", r#"{"metadata":{"name":"x"},"subsets":[{"ports":[{"port":80}]}]}"#.into(), false, bad("Endpoints \"x\" is invalid: subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`")),
            ("C21", r#"{"metadata":{"name":"x"},"subsets":[{}]}"#.into(), false, bad("Endpoints \"x\" is invalid: subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`")),
            ("C22", with_port(r#"{"name":"a","port":80},{"port":81}"#), false, bad("Endpoints \"x\" is invalid: subsets[0].ports[1].name: Required value")),
            ("C25", with_port(r#"{"port":0}"#), false, bad("Endpoints \"x\" is invalid: subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive")),
            ("C27", with_port(r#"{"port":"80"}"#), false, bad("Endpoints in version \"v1\" cannot be handled as a Endpoints: json: cannot unmarshal string into Go struct field EndpointPort.subsets.ports.port of type int32")),
            ("C28", with_port(r#"{"port":80,"protocol":"tcp"}"#), false, bad("Endpoints \"x\" is invalid: subsets[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"")),
            ("C29", with_port(r#"{"port":80,"protocol":""}"#), false, ok(&[])),
            ("C30", with_port(r#"{"port":80,"appProtocol":"kubernetes.io/h2c"}"#), false, ok(&[])),
            ("C32", with_port(r#"{"port":80,"appProtocol":""}"#), false, bad(&format!("Endpoints \"x\" is invalid: [subsets[0].ports[0].appProtocol: Invalid value: \"\": name part must be non-empty, subsets[0].ports[0].appProtocol: Invalid value: \"\": {M_QN}]"))),
            ("C37", r#"{"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"","name":""}}]}]}"#.into(), false, ok(&[])),
            ("C41", r#"{"metadata":{"name":"x","finalizers":["foo"]}}"#.into(), false, bad("Endpoints \"x\" is invalid: metadata.finalizers[0]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified")),
            ("C42", r#"{"metadata":{"name":"x","ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"p","uid":""}]}}"#.into(), false, bad("Endpoints \"x\" is invalid: metadata.ownerReferences.uid: Invalid value: \"\": must not be empty")),
            ("C43", r#"{"metadata":{"name":"x","ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"s","uid":"u1"},{"apiVersion":"v1","kind":"Service","name":"s","uid":"u1"}]}}"#.into(), false, ok(&[".metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: u1"])),
            ("C44", r#"{"metadata":{"name":"x"},"foo":1}"#.into(), false, ok(&["unknown field \"foo\""])),
            ("C45", r#"{"metadata":{"name":"x"},"foo":1}"#.into(), true, bad("Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: unknown field \"foo\"")),
            ("C46", r#"{"metadata":{"name":"a","name":"b"}}"#.into(), true, bad("Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: duplicate field \"metadata.name\"")),
            ("C53", ep_body("lz", "010.0.0.1"), false, ok(&["subsets[0].addresses[0].ip: non-standard IP address \"010.0.0.1\" will be considered invalid in a future Kubernetes release: use \"10.0.0.1\""])),
            ("C54", ep_body("v6", "2001:DB8::1"), false, ok(&["subsets[0].addresses[0].ip: IPv6 address \"2001:DB8::1\" should be in RFC 5952 canonical format (\"2001:db8::1\")"])),
            ("C55", r#"{"metadata":{"name":"lz","labels":{"endpoints.kubernetes.io/managed-by":"endpoint-controller"}},"subsets":[{"addresses":[{"ip":"010.0.0.1"}]}]}"#.into(), false, ok(&[])),
            ("C56", ep_body("m4", "::ffff:10.0.0.1"), false, ok(&["subsets[0].addresses[0].ip: non-standard IP address \"::ffff:10.0.0.1\" will be considered invalid in a future Kubernetes release: use \"10.0.0.1\""])),
        ];
        for (row, body, strict, want) in cases {
            let got = create_pipeline(&body, strict).map(|(_, w)| w);
            assert_eq!(got, want, "{row}");
        }
    }

    #[test]
    fn create_pipeline_results() {
        // C1: system fields filled, protocol defaulted, stable encoding.
        let (obj, _) = create_pipeline(&ep_body("ep1", "10.0.0.1"), false).unwrap();
        assert_eq!(obj.metadata.uid.len(), 36);
        assert!(!obj.metadata.creation_timestamp.is_zero());
        assert_eq!(obj.metadata.namespace, "default");
        assert_eq!(obj.subsets[0].ports[0].protocol, "TCP");
        // C3: a generated name.
        let (obj, _) = create_pipeline(
            r#"{"metadata":{"generateName":"ep-"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]}"#,
            false,
        )
        .unwrap();
        let n = &obj.metadata.name;
        assert!(n.starts_with("ep-") && n.len() == 8, "{n}");
        assert_eq!(obj.metadata.generate_name, "ep-");
        // C43: one ownerReference left.
        let (obj, _) = create_pipeline(
            r#"{"metadata":{"name":"x","ownerReferences":[{"apiVersion":"v1","kind":"S","name":"s","uid":"u1"},{"apiVersion":"v1","kind":"S","name":"s","uid":"u1"}]}}"#,
            false,
        )
        .unwrap();
        assert_eq!(obj.metadata.owner_references.len(), 1);
        // POST wipes client-set system fields.
        let (obj, _) = create_pipeline(
            r#"{"metadata":{"name":"x","uid":"mine","selfLink":"/x","creationTimestamp":"2000-01-01T00:00:00Z","deletionGracePeriodSeconds":5}}"#,
            false,
        )
        .unwrap();
        assert_ne!(obj.metadata.uid, "mine");
        assert!(obj.metadata.self_link.is_empty());
        assert_eq!(obj.metadata.deletion_grace_period_seconds, None);
        assert_ne!(
            obj.metadata.creation_timestamp.to_rfc3339(),
            "2000-01-01T00:00:00Z"
        );
    }

    #[test]
    fn invalid_status_c9() {
        let errs = validate_for_create(&ep("lo", "127.0.0.1"));
        let body = String::from_utf8(invalid_status("lo", &errs).to_json_bytes()).unwrap();
        assert_eq!(
            body,
            concat!(
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","#,
                r#""message":"Endpoints \"lo\" is invalid: subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)","#,
                r#""reason":"Invalid","details":{"name":"lo","kind":"Endpoints","causes":[{"reason":"FieldValueInvalid","#,
                r#""message":"Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)","#,
                r#""field":"subsets[0].addresses[0].ip"}]},"code":422}"#
            )
        );
    }

    #[test]
    fn invalid_ip_message_aggregates_like_c17() {
        let errs = validate_for_create(&ep("bad", "not-an-ip"));
        assert_eq!(
            aggregate(&errs).unwrap(),
            "[subsets[0].addresses[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), subsets[0].addresses[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address]"
        );
    }

    #[test]
    fn error_order_is_metadata_then_finalizers_then_subsets() {
        let mut e = ep("EP", "127.0.0.1");
        e.metadata.finalizers = vec!["foo".into()];
        e.metadata.labels.insert("k".into(), "bad value".into());
        let got = strings(&validate_for_create(&e));
        assert_eq!(got.len(), 4);
        assert!(got[0].starts_with("metadata.name:"));
        assert!(got[1].starts_with("metadata.labels:"));
        assert!(got[2].starts_with("metadata.finalizers[0]:"));
        assert!(got[3].starts_with("subsets[0].addresses[0].ip:"));
    }

    fn stored() -> Endpoints {
        let mut e = ep("ep1", "10.0.0.1");
        e.metadata.uid = "Uid".into();
        e.metadata.resource_version = "5".into();
        e
    }

    fn prepared(mut new: Endpoints, old: &Endpoints) -> Endpoints {
        crate::defaults::prepare_for_update(&mut new.metadata, &old.metadata);
        new
    }

    #[test]
    fn update_rows() {
        let old = stored();

        // U1/U3/U12: valid updates (generation and creationTimestamp come from the old object).
        let mut new = old.clone();
        new.metadata.uid.clear();
        new.metadata.generation = 7;
        new.metadata.creation_timestamp = Time::parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
        new.subsets[0].addresses[0].ip = "10.0.0.2".into();
        let new = prepared(new, &old);
        assert!(validate_for_update(&new, &old).is_empty());
        assert_eq!(new.metadata.generation, 0);
        assert_eq!(new.metadata.creation_timestamp, old.metadata.creation_timestamp);

        // U10: a bad label gives four identical causes and one message entry.
        let mut new = old.clone();
        new.metadata.labels.insert("bad key".into(), "v".into());
        let errs = validate_for_update(&prepared(new, &old), &old);
        let want = format!("metadata.labels: Invalid value: \"bad key\": {M_QN}");
        assert_eq!(strings(&errs), vec![want.clone(); 4]);
        assert_eq!(aggregate(&errs).unwrap(), want);

        // U13: a loopback IP gives a single cause.
        let mut new = old.clone();
        new.subsets[0].addresses[0].ip = "127.0.0.1".into();
        let errs = validate_for_update(&prepared(new, &old), &old);
        assert_eq!(
            strings(&errs),
            vec!["subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"]
        );

        // U14: stored subsets that fail validation are ratcheted when unchanged.
        let mut bad_old = old.clone();
        bad_old.subsets[0].addresses[0].ip = "127.0.0.1".into();
        let mut new = bad_old.clone();
        new.metadata.labels.insert("a".into(), "b".into());
        assert!(validate_for_update(&prepared(new, &bad_old), &bad_old).is_empty());

        // P14: a changed uid is immutable.
        let mut new = old.clone();
        new.metadata.uid = "x".into();
        let errs = validate_for_update(&prepared(new, &old), &old);
        assert_eq!(
            aggregate(&errs).unwrap(),
            "metadata.uid: Invalid value: \"x\": field is immutable"
        );
        // Once from the generic update pass, once from the kube update pass.
        assert_eq!(errs.len(), 2);

        // A kube finalizer-name error appears twice, a generic one four times.
        let mut new = old.clone();
        new.metadata.finalizers.push("foo".into());
        let errs = validate_for_update(&prepared(new, &old), &old);
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn update_u15_no_new_finalizers_while_deleting() {
        let mut old = stored();
        old.metadata.deletion_timestamp = Some(Time::parse_rfc3339("2025-02-01T00:00:00Z").unwrap());
        old.metadata.deletion_grace_period_seconds = Some(0);
        old.metadata.finalizers = vec!["example.com/a".into()];
        let mut new = old.clone();
        new.metadata.deletion_timestamp = None;
        new.metadata.deletion_grace_period_seconds = None;
        new.metadata.finalizers.push("example.com/b".into());
        let errs = validate_for_update(&prepared(new, &old), &old);
        let want = "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/b\"}";
        assert_eq!(strings(&errs), vec![want, want]);
    }

    #[test]
    fn update_immutable_deletion_fields() {
        let old = stored();
        let mut new = old.clone();
        new.metadata.deletion_timestamp = Some(Time::parse_rfc3339("2025-03-04T05:06:07Z").unwrap());
        new.metadata.deletion_grace_period_seconds = Some(30);
        let errs = validate_for_update(&prepared(new, &old), &old);
        assert_eq!(
            aggregate(&errs).unwrap(),
            "[metadata.deletionTimestamp: Invalid value: 2025-03-04 05:06:07 +0000 UTC: field is immutable, metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable]"
        );
    }

    #[test]
    fn update_requires_resource_version_after_preparation() {
        let old = stored();
        let mut new = old.clone();
        new.metadata.resource_version.clear();
        let errs = validate_for_update(&prepared(new, &old), &old);
        assert_eq!(
            aggregate(&errs).unwrap(),
            "metadata.resourceVersion: Invalid value: \"\": must be specified for an update"
        );
    }

    #[test]
    fn owner_reference_rules() {
        let refs = vec![
            OwnerReference {
                api_version: "a/b/c".into(),
                kind: String::new(),
                name: String::new(),
                uid: "u1".into(),
                controller: Some(true),
                block_owner_deletion: None,
            },
            OwnerReference {
                api_version: "v1".into(),
                kind: "Event".into(),
                name: "e".into(),
                uid: "u2".into(),
                controller: Some(true),
                block_owner_deletion: None,
            },
        ];
        let got = strings(&validate_owner_references(&refs, "metadata.ownerReferences"));
        assert_eq!(
            got[0],
            "metadata.ownerReferences.apiVersion: Invalid value: \"a/b/c\": version must not be empty"
        );
        assert_eq!(
            got[1],
            "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty"
        );
        assert_eq!(
            got[2],
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty"
        );
        assert_eq!(got[3], "metadata.ownerReferences: Invalid value: {\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"u2\",\"controller\":true}: /v1, Kind=Event is disallowed from being an owner");
        assert!(got[4].ends_with("Only one reference can have Controller set to true. Found \"true\" in references for / and Event/e"));
    }

    #[test]
    fn finalizer_rules() {
        let f = vec!["orphan".to_string(), "foregroundDeletion".to_string()];
        assert_eq!(
            strings(&validate_finalizers(&f, "metadata.finalizers")),
            vec!["metadata.finalizers: Invalid value: [\"orphan\",\"foregroundDeletion\"]: finalizer orphan and foregroundDeletion cannot be both set"]
        );
        assert!(validate_kube_finalizer_names(&f, "metadata.finalizers").is_empty());
    }

    #[test]
    fn qualified_name_messages() {
        assert!(is_qualified_name("example.com/MyName").is_empty());
        assert_eq!(is_qualified_name("a/b/c").len(), 1);
        assert!(is_qualified_name("a/b/c")[0].starts_with("a qualified name must consist of"));
        assert_eq!(is_qualified_name("/x"), vec!["prefix part must be non-empty"]);
        assert_eq!(is_qualified_name("Bad_/x")[0], format!("prefix part {}", &M_SUB));
        assert_eq!(
            is_qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 characters"]
        );
    }

    #[test]
    fn dns_label_and_subdomain() {
        assert_eq!(is_dns1123_label(&"a".repeat(64)), vec![max_len_error(63)]);
        assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots"]);
        assert!(is_dns1123_subdomain("a.b-c.d").is_empty());
        assert_eq!(is_dns1123_subdomain(&"A".repeat(254)).len(), 2);
        assert_eq!(mask_trailing_dash("ep-"), "ea");
        assert!(NameRule::DnsSubdomain.check("ep-", true).is_empty());
    }

    #[test]
    fn path_segment_names() {
        assert_eq!(
            name_parameter_invalid("..").unwrap(),
            "Name parameter invalid: \"..\": may not be '..'"
        );
        assert_eq!(
            name_parameter_invalid("a/b%c").unwrap(),
            "Name parameter invalid: \"a/b%c\": may not contain '/';may not contain '%'"
        );
        assert_eq!(name_parameter_invalid("ok"), None);
    }

    #[test]
    fn resource_version_parsing() {
        assert_eq!(parse_resource_version(""), Ok(0));
        assert_eq!(parse_resource_version("42"), Ok(42));
        assert_eq!(
            parse_resource_version("abc").unwrap_err(),
            "strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_resource_version("-1").unwrap_err(),
            "strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(
            parse_resource_version("99999999999999999999").unwrap_err(),
            "strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
    }

    #[test]
    fn ip_parsing_matches_go() {
        let ok = [
            "10.0.0.1",
            "010.000.000.001",
            "0010.0.0.1",
            "::",
            "::1",
            "2001:db8::ffff",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "00001::",
        ];
        for s in ok {
            assert!(parse_ip_sloppy(s).is_some(), "{s}");
        }
        let bad = [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.0.0.1",
            "1.2.3.4 ",
            "fe80::1%eth0",
            ":::",
            "1::2::3",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::8",
            "x",
            "1.2.3.-4",
            "::1.2.3",
        ];
        for s in bad {
            assert!(parse_ip_sloppy(s).is_none(), "{s}");
        }
        assert!(parse_ip_strict("010.0.0.1").is_none());
        assert!(parse_ip_strict("00001::").is_none());
        assert!(parse_ip_strict("2001:DB8::1").is_some());
        assert_eq!(
            parse_ip_sloppy("010.000.000.001").unwrap().go_string(),
            "10.0.0.1"
        );
        assert_eq!(
            parse_ip_sloppy("::ffff:10.0.0.1").unwrap().go_string(),
            "10.0.0.1"
        );
        assert_eq!(
            parse_ip_sloppy("2001:DB8:0:0:1:0:0:1").unwrap().go_string(),
            "2001:db8::1:0:0:1"
        );
        assert_eq!(
            parse_ip_sloppy("1:0:0:2:0:0:0:3").unwrap().go_string(),
            "1:0:0:2::3"
        );
        assert_eq!(
            parse_ip_sloppy("1:0:2:0:3:0:4:0").unwrap().go_string(),
            "1:0:2:0:3:0:4:0"
        );
        assert_eq!(parse_ip_sloppy("::1.2.3.4").unwrap().go_string(), "::102:304");
    }

    #[test]
    fn field_manager_rules() {
        assert_eq!(
            strings(&validate_field_manager(&"a".repeat(129), "fieldManager")),
            vec!["fieldManager: Too long: may not be more than 128 bytes"]
        );
        assert_eq!(
            strings(&validate_field_manager("a\u{1}", "fieldManager")),
            vec!["fieldManager: Invalid value: \"a\\x01\": invalid character U+0001 (at position 1)"]
        );
    }
}

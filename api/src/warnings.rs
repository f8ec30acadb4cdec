//! Warning texts of the Endpoints write path (write-path §4.4, §6.7, §8).
//!
//! * [`DEPRECATION_WARNING`]: the 1.33+ deprecation warning sent on every routed endpoints request.
//! * [`endpoints_warnings`]: the 1.33+ strategy warnings for non-standard and non-canonical IPs,
//!   skipped for objects labelled `endpoints.kubernetes.io/managed-by: endpoint-controller`.
//! * [`dedup_owner_references`]: removes duplicate ownerReferences and returns the warning text.
//! * [`strict_decoding_warnings`]: turns strict decoding errors into warning texts.
//! * [`warning_header_value`]: the `Warning` header value of one text (`299 - "<text>"`).

use crate::types::meta::OwnerReference;
use crate::types::Endpoints;
use crate::validation::{format_ipv6, parse_ip_sloppy, parse_ip_strict};

/// The text of the deprecation warning (1.33+).
pub const DEPRECATION_WARNING: &str =
    "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

/// The full `Warning` header value of the deprecation warning.
pub const DEPRECATION_WARNING_HEADER: &str =
    "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\"";

/// The label that marks Endpoints written by the endpoints controller.
pub const LABEL_MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";

/// The value of [`LABEL_MANAGED_BY`] that exempts an object from the IP warnings.
pub const ENDPOINT_CONTROLLER_NAME: &str = "endpoint-controller";

/// `DuplicateOwnerReferencesWarningFormat` without its `%v`.
pub const DUPLICATE_OWNER_REFERENCES_WARNING_PREFIX: &str = ".metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ";

/// `DuplicateOwnerReferencesAfterMutatingAdmissionWarningFormat` without its `%v`.
pub const DUPLICATE_OWNER_REFERENCES_AFTER_ADMISSION_WARNING_PREFIX: &str = ".metadata.ownerReferences contains duplicate entries after mutating admission happens; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ";

/// `utilvalidation.GetWarningsForIP` for the value at `path`: a warning for an address that
/// `netip.ParseAddr` rejects (leading zeros) or that is IPv4-mapped IPv6, suggesting Go's
/// `net.IP.String()`; a warning for a valid IPv6 address not in RFC 5952 form. No warning for a
/// value that does not parse at all (validation rejected it already).
pub fn ip_warnings(path: &str, value: &str) -> Vec<String> {
    let Some(sloppy) = parse_ip_sloppy(value) else {
        return Vec::new();
    };
    let strict = parse_ip_strict(value);
    let is_4in6 = sloppy.ipv6_syntax && sloppy.to4().is_some();
    if strict.is_none() || is_4in6 {
        return vec![format!(
            "{path}: non-standard IP address {} will be considered invalid in a future Kubernetes release: use {}",
            crate::field_error::go_quote(value),
            crate::field_error::go_quote(&sloppy.go_string())
        )];
    }
    if sloppy.ipv6_syntax {
        let canonical = format_ipv6(&sloppy.bytes);
        if canonical != value {
            return vec![format!(
                "{path}: IPv6 address {} should be in RFC 5952 canonical format ({})",
                crate::field_error::go_quote(value),
                crate::field_error::go_quote(&canonical)
            )];
        }
    }
    Vec::new()
}

/// The strategy warnings of an Endpoints create or update (1.33+, `endpointsWarnings`): the IP
/// warnings of every `subsets[i].addresses[j].ip`, then every `notReadyAddresses[j].ip`, per
/// subset; none when the object carries the endpoint-controller managed-by label.
pub fn endpoints_warnings(obj: &Endpoints) -> Vec<String> {
    if obj.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(ENDPOINT_CONTROLLER_NAME) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, ss) in obj.subsets.iter().enumerate() {
        for (j, a) in ss.addresses.iter().enumerate() {
            out.extend(ip_warnings(&format!("subsets[{i}].addresses[{j}].ip"), &a.ip));
        }
        for (j, a) in ss.not_ready_addresses.iter().enumerate() {
            out.extend(ip_warnings(
                &format!("subsets[{i}].notReadyAddresses[{j}].ip"),
                &a.ip,
            ));
        }
    }
    out
}

/// `dedupOwnerReferencesAndAddWarning`: drops every ownerReference equal to an earlier one with
/// the same uid (the first is kept) and returns the warning to add, or `None` when there was no
/// duplicate. `after_mutating_admission` selects the second wording (used by PATCH, and by the
/// second pass of POST/PUT).
pub fn dedup_owner_references(
    refs: &mut Vec<OwnerReference>,
    after_mutating_admission: bool,
) -> Option<String> {
    let mut kept: Vec<OwnerReference> = Vec::with_capacity(refs.len());
    let mut duplicates: Vec<String> = Vec::new();
    for r in refs.drain(..) {
        if kept.contains(&r) {
            duplicates.push(r.uid.clone());
        } else {
            kept.push(r);
        }
    }
    *refs = kept;
    if duplicates.is_empty() {
        return None;
    }
    let prefix = if after_mutating_admission {
        DUPLICATE_OWNER_REFERENCES_AFTER_ADMISSION_WARNING_PREFIX
    } else {
        DUPLICATE_OWNER_REFERENCES_WARNING_PREFIX
    };
    Some(format!("{prefix}{}", duplicates.join(", ")))
}

/// `addStrictDecodingWarnings`: each strict decoding error becomes warnings, one per non-blank
/// line of its text, trimmed (so a YAML `yaml: unmarshal errors:\n  line 3: ...` error yields two
/// warnings).
pub fn strict_decoding_warnings<S: AsRef<str>>(errors: &[S]) -> Vec<String> {
    errors
        .iter()
        .flat_map(|e| {
            e.as_ref()
                .split('\n')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `net.NewWarningHeader(299, "-", text)`: `299 - "<text>"` with `"` and `\` backslash-escaped;
/// `None` (the warning is dropped) when the text contains a control character.
pub fn warning_header_value(text: &str) -> Option<String> {
    if text.bytes().any(|b| b < b' ' || b == 0x7f) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("299 - \"");
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{EndpointAddress, EndpointSubset};

    fn ep_with(ips: &[&str], not_ready: &[&str]) -> Endpoints {
        let mut e = Endpoints::default();
        let addr = |ip: &&str| EndpointAddress {
            ip: ip.to_string(),
            ..EndpointAddress::default()
        };
        e.subsets.push(EndpointSubset {
            addresses: ips.iter().map(addr).collect(),
            not_ready_addresses: not_ready.iter().map(addr).collect(),
            ports: vec![],
        });
        e
    }

    #[test]
    fn ip_warning_rows() {
        let cases: &[(&str, &[&str])] = &[
            // C53
            ("010.0.0.1", &["subsets[0].addresses[0].ip: non-standard IP address \"010.0.0.1\" will be considered invalid in a future Kubernetes release: use \"10.0.0.1\""]),
            ("010.000.000.001", &["subsets[0].addresses[0].ip: non-standard IP address \"010.000.000.001\" will be considered invalid in a future Kubernetes release: use \"10.0.0.1\""]),
            // C54
            ("2001:DB8::1", &["subsets[0].addresses[0].ip: IPv6 address \"2001:DB8::1\" should be in RFC 5952 canonical format (\"2001:db8::1\")"]),
            // C56
            ("::ffff:10.0.0.1", &["subsets[0].addresses[0].ip: non-standard IP address \"::ffff:10.0.0.1\" will be considered invalid in a future Kubernetes release: use \"10.0.0.1\""]),
            ("2001:db8:0:0:0:0:0:1", &["subsets[0].addresses[0].ip: IPv6 address \"2001:db8:0:0:0:0:0:1\" should be in RFC 5952 canonical format (\"2001:db8::1\")"]),
            ("10.0.0.1", &[]),
            ("2001:db8::1", &[]),
            ("not-an-ip", &[]),
        ];
        for (ip, want) in cases {
            assert_eq!(endpoints_warnings(&ep_with(&[ip], &[])), *want, "{ip}");
        }
    }

    #[test]
    fn not_ready_addresses_are_checked_and_managed_by_exempts() {
        let mut e = ep_with(&["010.0.0.1"], &["010.0.0.2"]);
        let w = endpoints_warnings(&e);
        assert_eq!(w.len(), 2);
        assert!(w[1].starts_with("subsets[0].notReadyAddresses[0].ip: non-standard IP address \"010.0.0.2\""));
        // C55
        e.metadata
            .labels
            .insert(LABEL_MANAGED_BY.into(), ENDPOINT_CONTROLLER_NAME.into());
        assert!(endpoints_warnings(&e).is_empty());
    }

    #[test]
    fn owner_reference_dedup_c43() {
        let r = OwnerReference {
            api_version: "v1".into(),
            kind: "Service".into(),
            name: "s".into(),
            uid: "u1".into(),
            ..OwnerReference::default()
        };
        let mut other = r.clone();
        other.name = "t".into();
        let mut refs = vec![r.clone(), r.clone(), other.clone()];
        let w = dedup_owner_references(&mut refs, false).unwrap();
        assert_eq!(refs, vec![r.clone(), other]);
        assert_eq!(
            w,
            ".metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: u1"
        );
        let mut refs = vec![r.clone()];
        assert_eq!(dedup_owner_references(&mut refs, true), None);
        let mut refs = vec![r.clone(), r.clone(), r];
        let w = dedup_owner_references(&mut refs, true).unwrap();
        assert!(w.starts_with(
            ".metadata.ownerReferences contains duplicate entries after mutating admission happens;"
        ));
        assert!(w.ends_with("observed: u1, u1"));
    }

    #[test]
    fn warning_texts() {
        assert_eq!(
            warning_header_value(DEPRECATION_WARNING).unwrap(),
            DEPRECATION_WARNING_HEADER
        );
        assert_eq!(
            warning_header_value("unknown field \"foo\"").unwrap(),
            "299 - \"unknown field \\\"foo\\\"\""
        );
        assert_eq!(warning_header_value("a\nb"), None);
        assert_eq!(
            strict_decoding_warnings(&[
                "yaml: unmarshal errors:\n  line 3: key \"name\" already set in map",
                "unknown field \"foo\"",
            ]),
            vec![
                "yaml: unmarshal errors:",
                "line 3: key \"name\" already set in map",
                "unknown field \"foo\""
            ]
        );
    }
}

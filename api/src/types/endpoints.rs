//! `k8s.io/api/core/v1` Endpoints types and their byte-exact encodings.
//!
//! A top-level [`Endpoints`] always serializes with `"kind":"Endpoints","apiVersion":"v1"` first;
//! [`ListItem`] serializes the same object without them, as list items are written. Key order is
//! the Go struct order; `ip` and `port` are written even when empty/zero (no `omitempty`), pointer
//! fields (`nodeName`, `targetRef`, `appProtocol`) are written whenever they are `Some`.

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use super::meta::{MetaSer, ObjectMeta, RevisionMode};
use super::to_go_json;

/// The kind of the resource.
pub const KIND: &str = "Endpoints";
/// The API version of the resource (core group).
pub const API_VERSION: &str = "v1";
/// The lowercase plural resource name used in messages (`endpoints "x" not found`).
pub const RESOURCE: &str = "endpoints";

/// `v1.ProtocolTCP`.
pub const PROTOCOL_TCP: &str = "TCP";
/// `v1.ProtocolUDP`.
pub const PROTOCOL_UDP: &str = "UDP";
/// `v1.ProtocolSCTP`.
pub const PROTOCOL_SCTP: &str = "SCTP";

/// Every object the API serves starts with these bytes; a list item is the same bytes with this
/// prefix replaced by `{`.
pub const TYPE_META_PREFIX: &[u8] = br#"{"kind":"Endpoints","apiVersion":"v1","#;

/// `v1.Endpoints` (without its TypeMeta, which is always `Endpoints`/`v1` on output and is
/// reported separately by the decoder).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Endpoints {
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `subsets`.
    pub subsets: Vec<EndpointSubset>,
}

/// `v1.EndpointSubset`; all three lists are `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndpointSubset {
    /// `addresses`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<EndpointAddress>,
    /// `notReadyAddresses`.
    #[serde(rename = "notReadyAddresses", skip_serializing_if = "Vec::is_empty")]
    pub not_ready_addresses: Vec<EndpointAddress>,
    /// `ports`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<EndpointPort>,
}

/// `v1.EndpointAddress`. `ip` is not `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndpointAddress {
    /// `ip` (always written).
    pub ip: String,
    /// `hostname`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// `nodeName` (pointer: `Some("")` is written).
    #[serde(rename = "nodeName", skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `targetRef` (pointer).
    #[serde(rename = "targetRef", skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<ObjectReference>,
}

/// `v1.ObjectReference`; every field is `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObjectReference {
    /// `kind`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `namespace`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `uid`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// `apiVersion`.
    #[serde(rename = "apiVersion", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `resourceVersion`.
    #[serde(rename = "resourceVersion", skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// `fieldPath`.
    #[serde(rename = "fieldPath", skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}

/// `v1.EndpointPort`. `port` is not `omitempty`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndpointPort {
    /// `name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `port` (always written).
    pub port: i32,
    /// `protocol` (`TCP`, `UDP`, `SCTP`; defaulted to `TCP`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    /// `appProtocol` (pointer: `Some("")` is written).
    #[serde(rename = "appProtocol", skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

/// Serializes an [`Endpoints`] with or without TypeMeta and with a chosen revision mode.
struct EndpointsSer<'a> {
    obj: &'a Endpoints,
    type_meta: bool,
    revision: RevisionMode,
}

impl Serialize for EndpointsSer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Endpoints", 4)?;
        if self.type_meta {
            s.serialize_field("kind", KIND)?;
            s.serialize_field("apiVersion", API_VERSION)?;
        }
        s.serialize_field("metadata", &MetaSer(&self.obj.metadata, self.revision))?;
        if !self.obj.subsets.is_empty() {
            s.serialize_field("subsets", &self.obj.subsets)?;
        }
        s.end()
    }
}

impl Serialize for Endpoints {
    /// The top-level form: `{"kind":"Endpoints","apiVersion":"v1","metadata":{...},"subsets":[...]}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EndpointsSer {
            obj: self,
            type_meta: true,
            revision: RevisionMode::AsIs,
        }
        .serialize(serializer)
    }
}

/// An [`Endpoints`] as a list item: no `kind`/`apiVersion` (read-path §3.3).
#[derive(Debug, Clone, Copy)]
pub struct ListItem<'a>(pub &'a Endpoints);

impl Serialize for ListItem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EndpointsSer {
            obj: self.0,
            type_meta: false,
            revision: RevisionMode::AsIs,
        }
        .serialize(serializer)
    }
}

/// The JSON kube-apiserver serves for `obj` (compact, Go escaping, no trailing newline).
pub fn encode(obj: &Endpoints) -> Vec<u8> {
    to_go_json(obj)
}

/// The JSON of `obj` as a list item (no `kind`/`apiVersion`).
pub fn encode_list_item(obj: &Endpoints) -> Vec<u8> {
    to_go_json(&ListItem(obj))
}

/// The bytes to store for `obj`, with an empty `metadata.resourceVersion` slot for the storage
/// engine to fill at commit time.
///
/// Returns the JSON with `"resourceVersion":""` at its Go struct position inside `metadata`
/// (whatever `obj.metadata.resource_version` holds) and the byte offset just after the opening
/// quote of that empty value: inserting the decimal revision at the offset yields exactly
/// [`encode`] of the object with that resourceVersion.
pub fn encode_with_revision_slot(obj: &Endpoints) -> (Vec<u8>, usize) {
    let bytes = to_go_json(&EndpointsSer {
        obj,
        type_meta: true,
        revision: RevisionMode::Slot,
    });
    // Only plain strings (name, generateName, namespace, selfLink, uid) precede the slot, and a
    // quote inside a JSON string is always escaped, so the first match is the slot.
    let offset = resource_version_value_range(&bytes).map_or(0, |r| r.start);
    (bytes, offset)
}

/// The byte range of the value of `metadata.resourceVersion` (between its quotes) in JSON
/// produced by [`encode`] or [`encode_with_revision_slot`]; `None` when the object has no
/// resourceVersion. Lets a caller replace the revision of stored bytes (for example a DELETED
/// watch event carries the deletion revision).
pub fn resource_version_value_range(encoded: &[u8]) -> Option<std::ops::Range<usize>> {
    const META: &[u8] = br#""metadata":{"#;
    const KEY: &[u8] = br#""resourceVersion":""#;
    let meta_start = find(encoded, META)? + META.len();
    // The keys before resourceVersion in metadata are string-valued; the first `"resourceVersion":"`
    // after `"metadata":{` with an unescaped opening quote is the field itself.
    let start = meta_start + find(&encoded[meta_start..], KEY)? + KEY.len();
    let mut i = start;
    while i < encoded.len() {
        match encoded[i] {
            b'"' => return Some(start..i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splices `revision` into bytes from [`encode_with_revision_slot`] at `offset` (what the storage
/// engine does at commit time); for tests and for callers that need the final bytes.
pub fn fill_revision_slot(bytes: &[u8], offset: usize, revision: u64) -> Vec<u8> {
    let digits = revision.to_string();
    let mut out = Vec::with_capacity(bytes.len() + digits.len());
    out.extend_from_slice(&bytes[..offset.min(bytes.len())]);
    out.extend_from_slice(digits.as_bytes());
    out.extend_from_slice(&bytes[offset.min(bytes.len())..]);
    out
}

/// Appends the list-item form of stored object bytes (which start with [`TYPE_META_PREFIX`]) to
/// `out`, without re-encoding: the `"kind":"Endpoints","apiVersion":"v1",` prefix is dropped.
/// Bytes that do not start with the prefix are copied unchanged.
pub fn write_list_item(stored: &[u8], out: &mut Vec<u8>) {
    match stored.strip_prefix(TYPE_META_PREFIX) {
        Some(rest) => {
            out.push(b'{');
            out.extend_from_slice(rest);
        }
        None => out.extend_from_slice(stored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::meta::{ManagedFieldsEntry, OwnerReference, Time};

    fn full() -> Endpoints {
        let t = Time::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
        let mut ep = Endpoints::default();
        let m = &mut ep.metadata;
        m.name = "ep1".into();
        m.generate_name = "ep-".into();
        m.namespace = "default".into();
        m.uid = "7b1c5e0a-0000-4000-8000-000000000001".into();
        m.resource_version = "123".into();
        m.generation = 2;
        m.creation_timestamp = t;
        m.deletion_timestamp = Some(t);
        m.deletion_grace_period_seconds = Some(0);
        m.labels.insert("b".into(), "2".into());
        m.labels.insert("a".into(), "1".into());
        m.annotations.insert("note".into(), "<x>&".into());
        m.owner_references.push(OwnerReference {
            api_version: "v1".into(),
            kind: "Service".into(),
            name: "svc".into(),
            uid: "u1".into(),
            controller: Some(true),
            block_owner_deletion: None,
        });
        m.finalizers.push("example.com/a".into());
        m.managed_fields = Some(vec![ManagedFieldsEntry {
            manager: "curl".into(),
            operation: "Update".into(),
            api_version: "v1".into(),
            time: Some(t),
            fields_type: "FieldsV1".into(),
            fields_v1: Some(serde_json::json!({"f:subsets":{}})),
            subresource: String::new(),
        }]);
        ep.subsets.push(EndpointSubset {
            addresses: vec![EndpointAddress {
                ip: "10.0.0.1".into(),
                hostname: "h".into(),
                node_name: Some("n1".into()),
                target_ref: Some(ObjectReference {
                    kind: "Pod".into(),
                    namespace: "default".into(),
                    name: "p".into(),
                    uid: "pu".into(),
                    api_version: "v1".into(),
                    resource_version: "1".into(),
                    field_path: "spec".into(),
                }),
            }],
            not_ready_addresses: vec![EndpointAddress {
                ip: "10.0.0.2".into(),
                ..EndpointAddress::default()
            }],
            ports: vec![EndpointPort {
                name: "http".into(),
                port: 80,
                protocol: "TCP".into(),
                app_protocol: Some("http".into()),
            }],
        });
        ep
    }

    #[test]
    fn full_object_encodes_in_go_order() {
        let want = concat!(
            r#"{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"ep1","generateName":"ep-","#,
            r#""namespace":"default","uid":"7b1c5e0a-0000-4000-8000-000000000001","resourceVersion":"123","#,
            r#""generation":2,"creationTimestamp":"2025-01-01T00:00:00Z","deletionTimestamp":"2025-01-01T00:00:00Z","#,
            r#""deletionGracePeriodSeconds":0,"labels":{"a":"1","b":"2"},"annotations":{"note":"\u003cx\u003e\u0026"},"#,
            r#""ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"svc","uid":"u1","controller":true}],"#,
            r#""finalizers":["example.com/a"],"managedFields":[{"manager":"curl","operation":"Update","apiVersion":"v1","#,
            r#""time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]},"#,
            r#""subsets":[{"addresses":[{"ip":"10.0.0.1","hostname":"h","nodeName":"n1","targetRef":{"kind":"Pod","#,
            r#""namespace":"default","name":"p","uid":"pu","apiVersion":"v1","resourceVersion":"1","fieldPath":"spec"}}],"#,
            r#""notReadyAddresses":[{"ip":"10.0.0.2"}],"ports":[{"name":"http","port":80,"protocol":"TCP","appProtocol":"http"}]}]}"#
        );
        assert_eq!(String::from_utf8(encode(&full())).unwrap(), want);
    }

    #[test]
    fn minimal_object_keeps_ip_and_port() {
        let mut ep = Endpoints::default();
        ep.subsets.push(EndpointSubset {
            addresses: vec![EndpointAddress::default()],
            not_ready_addresses: vec![],
            ports: vec![EndpointPort {
                app_protocol: Some(String::new()),
                ..EndpointPort::default()
            }],
        });
        assert_eq!(
            String::from_utf8(encode(&ep)).unwrap(),
            r#"{"kind":"Endpoints","apiVersion":"v1","metadata":{},"subsets":[{"addresses":[{"ip":""}],"ports":[{"port":0,"appProtocol":""}]}]}"#
        );
        assert_eq!(
            String::from_utf8(encode(&Endpoints::default())).unwrap(),
            r#"{"kind":"Endpoints","apiVersion":"v1","metadata":{}}"#
        );
    }

    #[test]
    fn revision_slot_is_where_encode_puts_the_revision() {
        let mut ep = full();
        ep.metadata.resource_version = "stale".into();
        let (bytes, offset) = encode_with_revision_slot(&ep);
        assert_eq!(&bytes[offset - 19..offset + 1], br#""resourceVersion":"""#);
        let filled = fill_revision_slot(&bytes, offset, 4711);
        ep.metadata.resource_version = "4711".into();
        assert_eq!(filled, encode(&ep));
        assert_eq!(resource_version_value_range(&filled), Some(offset..offset + 4));

        // Also with nothing but a name before it, and a tricky name-like annotation after it.
        let mut ep = Endpoints::default();
        ep.metadata
            .annotations
            .insert("resourceVersion".into(), String::new());
        let (bytes, offset) = encode_with_revision_slot(&ep);
        ep.metadata.resource_version = "9".into();
        assert_eq!(fill_revision_slot(&bytes, offset, 9), encode(&ep));
    }

    #[test]
    fn list_items_drop_type_meta() {
        let ep = full();
        let stored = encode(&ep);
        let mut out = Vec::new();
        write_list_item(&stored, &mut out);
        assert_eq!(out, encode_list_item(&ep));
        assert!(out.starts_with(br#"{"metadata":{"name":"ep1""#));
    }
}

//! Hand-written serde types for core/v1 Endpoints and the meta/v1 types around it, serialized
//! byte-for-byte as kube-apiserver 1.34 serves them.
//!
//! * [`endpoints`]: `Endpoints` and its parts, plus the storage encoders
//!   ([`endpoints::encode`], [`endpoints::encode_with_revision_slot`]).
//! * [`meta`]: `ObjectMeta`, `OwnerReference`, `ManagedFieldsEntry`, `ListMeta`, `TypeMeta`, `Time`.
//! * [`list`]: `EndpointsList` and the pieces of a streamed list body.
//! * [`watch_event`]: watch event lines and BOOKMARK objects.

pub mod endpoints;
pub mod list;
pub mod meta;
pub mod watch_event;

pub use endpoints::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ListItem, ObjectReference};
pub use list::EndpointsList;
pub use meta::{ListMeta, ManagedFieldsEntry, ObjectMeta, OwnerReference, Time, TypeMeta};

/// `json.Marshal` of one of the types of this module, with Go's escaping.
///
/// Serialization of these types cannot fail: every map has string keys, every number is an
/// integer or a finite `serde_json` float, and writing into a `Vec` performs no I/O. Were it ever
/// to fail, the result would be empty rather than a panic.
pub(crate) fn to_go_json<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    crate::json::to_vec(value).unwrap_or_default()
}

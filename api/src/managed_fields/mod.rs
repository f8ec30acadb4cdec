//! managedFields and server-side apply for core/v1 Endpoints, as pure functions (write-path §12,
//! §13): no HTTP, no storage.
//!
//! * [`update_managed_fields`]: the field manager of POST, PUT and JSON/merge/strategic PATCH
//!   (an `Update` entry for the writer).
//! * [`apply`]: server-side apply (merge, ownership, pruning, conflicts, force, no-op), returning
//!   the object to store or an [`ApplyError`] whose [`ApplyError::to_status`] is the response.
//! * [`restore_managed_fields_timestamps`]: keeps a timestamps-only change a no-op (PUT, PATCH).
//! * [`manager_or_user_agent`]: the manager name of a non-apply write.
//!
//! The building blocks are public for tests and tools: [`fieldpath`] (field sets and the
//! `FieldsV1` encoding), [`schema`] (the Endpoints schema and the typed merge/compare/prune
//! operations), [`managed`] (decoding, encoding, sorting and capping of entries).

pub mod apply;
pub mod fieldpath;
pub mod managed;
pub mod manager;
pub mod schema;
pub mod timestamps;
pub mod update;

#[cfg(test)]
mod tests;

pub use apply::{apply, conflicts_message, ApplyError, Conflict, LAST_APPLIED_ANNOTATION};
pub use fieldpath::{FieldSet, PathElement};
pub use managed::ManagerKey;
pub use manager::{manager_or_user_agent, prefix_from_user_agent};
pub use timestamps::restore_managed_fields_timestamps;
pub use update::update_managed_fields;

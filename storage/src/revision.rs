//! Revisions: one global, monotonically increasing `u64`, +1 per committed write.
//!
//! A revision is every object's `metadata.resourceVersion` and every list's. Revision 0 means "before any
//! write". The counter is persisted in the same atomic batch as each write (`m/revision`), so it is never
//! reused or lowered, across crashes included.

/// A store revision.
pub type Revision = u64;

/// The big-endian bytes of a revision, so that byte order is numeric order in sled.
pub(crate) fn to_be(rev: Revision) -> [u8; 8] {
    rev.to_be_bytes()
}

/// Reads a big-endian revision from exactly 8 bytes.
pub(crate) fn from_be(bytes: &[u8]) -> Option<Revision> {
    let arr: [u8; 8] = bytes.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

/// Which state a read sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAt {
    /// The newest committed state (served from memory).
    Latest,
    /// The state exactly at this revision (memory snapshot when one is kept, else history on disk).
    Exact(Revision),
}

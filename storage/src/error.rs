//! The engine's one error type: every failure a caller can see, as a precise variant.

use crate::Revision;

/// What went wrong in a storage call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The requested revision is below the compaction floor: its history is gone.
    /// For a watch, `floor` is the oldest revision a watch may start after.
    #[error("revision {requested} has been compacted (floor {floor})")]
    Compacted {
        /// The revision asked for.
        requested: Revision,
        /// The compaction floor at the time of the call.
        floor: Revision,
    },
    /// The requested revision is newer than the store's current revision.
    #[error("revision {requested} is in the future (current {current})")]
    FutureRevision {
        /// The revision asked for.
        requested: Revision,
        /// The store's revision at the time of the call.
        current: Revision,
    },
    /// The key does not exist (at the revision read, or for a write that needs it).
    #[error("key {key:?} not found")]
    NotFound {
        /// The key.
        key: String,
    },
    /// A create found the key already present.
    #[error("key {key:?} already exists")]
    AlreadyExists {
        /// The key.
        key: String,
        /// The existing record's modification revision.
        current: Revision,
    },
    /// A write conditional on a revision found another one.
    #[error("key {key:?} is at revision {current}, not the expected {expected}")]
    Conflict {
        /// The key.
        key: String,
        /// The revision the caller expected.
        expected: Revision,
        /// The key's current modification revision.
        current: Revision,
    },
    /// A write conditional on a uid found another one.
    #[error("key {key:?} has uid {current:?}, not the expected {expected:?}")]
    UidMismatch {
        /// The key.
        key: String,
        /// The uid the caller expected.
        expected: String,
        /// The stored object's uid.
        current: String,
    },
    /// A stored record failed its checksum or could not be decoded.
    #[error("damaged record for key {key:?} at revision {revision}: {detail}")]
    Corrupt {
        /// The key, when it could be read (`"?"` otherwise).
        key: String,
        /// The revision of the damaged record (0 when unknown).
        revision: Revision,
        /// What is wrong.
        detail: String,
    },
    /// The request was malformed (an empty key, a revision slot past the end of the template, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A write was applied but making it durable failed: it may or may not survive a crash.
    #[error("write at revision {revision} may not be durable: {source}")]
    NotDurable {
        /// The revision the write was given.
        revision: Revision,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A watcher did not read for longer than the stall timeout while events waited for it.
    #[error("watcher stalled: it did not read for {idle_ms} ms while events were pending")]
    WatcherStalled {
        /// How long the watcher was idle.
        idle_ms: u64,
    },
    /// The store has been closed.
    #[error("the store is closed")]
    Closed,
    /// The data directory was written by a newer (or unknown) format.
    #[error("unsupported on-disk format version {found} (this build reads {supported})")]
    UnsupportedFormat {
        /// The format found on disk.
        found: u32,
        /// The format this build reads and writes.
        supported: u32,
    },
    /// The database is held by another process (a running server, usually).
    #[error("the data directory {path} is in use by another process: {detail}")]
    Locked {
        /// The data directory.
        path: String,
        /// sled's or the OS's message.
        detail: String,
    },
    /// sled reported an error.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// A file operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A `Corrupt` error with the given parts.
    pub(crate) fn corrupt(key: impl Into<String>, revision: Revision, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            key: key.into(),
            revision,
            detail: detail.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

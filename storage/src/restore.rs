//! Building a fresh data directory from a snapshot's records (`epstore snapshot restore`).
//!
//! The restored store's revision counter and compaction floor are both the snapshot's revision: the
//! state at that revision is exactly the given records, and nothing older is readable. Each record is
//! written the way a commit writes it (log `l/<mod_revision>`, history `h/<key>\0<mod_revision>`,
//! current `c/<key>`), so reads and watches from the snapshot's revision onward work, and revisions
//! below the floor are sparse (which [`Store::verify`] allows).

use std::path::{Path, PathBuf};

use crate::durable::{sync_dir, Durability};
use crate::error::Error;
use crate::key;
use crate::record::{self, Operation, Record, FORMAT_VERSION};
use crate::revision::to_be;
use crate::{Options, Revision, Store};

/// Why a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The target directory already holds files.
    #[error("refusing to restore into {path}: it is not empty")]
    NotEmpty {
        /// The target directory.
        path: PathBuf,
    },
    /// A record cannot be part of the state at the snapshot's revision.
    #[error("invalid snapshot record {key:?} at revision {revision}: {detail}")]
    InvalidRecord {
        /// The record's key.
        key: String,
        /// The record's modification revision.
        revision: Revision,
        /// What is wrong.
        detail: String,
    },
    /// The engine failed while writing or reopening the store.
    #[error(transparent)]
    Storage(#[from] Error),
}

impl From<sled::Error> for RestoreError {
    fn from(e: sled::Error) -> Self {
        RestoreError::Storage(Error::Sled(e))
    }
}

impl From<std::io::Error> for RestoreError {
    fn from(e: std::io::Error) -> Self {
        RestoreError::Storage(Error::Io(e))
    }
}

/// Builds a fresh store in `path` (absent or an empty directory) whose revision and compaction floor
/// are `revision` and whose current state is exactly `records` (live versions with distinct keys and
/// modification revisions at most `revision`), makes it durable, and opens it with default options.
pub fn restore(
    path: impl AsRef<Path>,
    revision: Revision,
    records: impl Iterator<Item = Record>,
) -> Result<Store, RestoreError> {
    let path = path.as_ref();
    if path.exists() && std::fs::read_dir(path)?.next().is_some() {
        return Err(RestoreError::NotEmpty {
            path: path.to_path_buf(),
        });
    }
    // Check and encode everything before touching the directory, so a bad record creates nothing.
    let mut batch = sled::Batch::default();
    let mut keys = std::collections::HashSet::new();
    let mut revisions = std::collections::HashSet::new();
    for rec in records {
        let invalid = |detail: &str| RestoreError::InvalidRecord {
            key: rec.key.to_string(),
            revision: rec.mod_revision,
            detail: detail.to_string(),
        };
        if rec.operation != Operation::Put {
            return Err(invalid("a snapshot holds live versions only, not deletions"));
        }
        if rec.mod_revision == 0 || rec.mod_revision > revision {
            return Err(invalid(&format!("its revision is not within 1..={revision}")));
        }
        key::validate(&rec.key).map_err(|e| invalid(&e))?;
        if !keys.insert(rec.key.to_string()) {
            return Err(invalid("the key occurs twice"));
        }
        if !revisions.insert(rec.mod_revision) {
            return Err(invalid("another record has the same revision"));
        }
        batch.insert(&key::log(rec.mod_revision)[..], record::encode(&rec)?);
        batch.insert(
            key::history(&rec.key, rec.mod_revision),
            vec![Operation::Put.code()],
        );
        batch.insert(key::current(&rec.key), to_be(rec.mod_revision).to_vec());
    }
    batch.insert(key::META_FORMAT, FORMAT_VERSION.to_be_bytes().to_vec());
    batch.insert(key::META_REVISION, to_be(revision).to_vec());
    batch.insert(key::META_FLOOR, to_be(revision).to_vec());
    batch.insert(key::META_COMPACTED, to_be(revision).to_vec());
    std::fs::create_dir_all(path)?;
    let db = sled::Config::new().path(path).open()?;
    db.apply_batch(batch)?;
    Durability::new(path, true)?.sync(&db)?;
    drop(db);
    sync_dir(path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(Store::open(path, Options::default())?)
}

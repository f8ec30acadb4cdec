//! What the offline commands (`inspect`, `verify`, `compact`) share: the `--data-dir` flag and opening
//! the store of a stopped server without creating anything.

use std::path::{Path, PathBuf};

use clap::Args;
use epstore_storage::{Options, Store};

use crate::serve::STORE_DIR;

/// The data dir of a stopped server.
#[derive(Debug, Clone, Args)]
pub struct DataDirArgs {
    /// The data dir of a stopped epstore server (the store is in DIR/store).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "./epstore-data",
        env = "EPSTORE_DATA_DIR"
    )]
    pub data_dir: PathBuf,
}

/// Why the store of a data dir could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data dir holds no store (nothing was created).
    #[error(
        "no epstore store in data dir {}: {} does not exist (is --data-dir right?)",
        dir.display(),
        store.display()
    )]
    NoStore {
        /// The data dir.
        dir: PathBuf,
        /// Where the store was expected.
        store: PathBuf,
    },
    /// A running server (or another command) holds the store.
    #[error(
        "data dir {} is in use by a running epstore server (its store {} is locked); stop the server \
         before running offline commands on it",
        dir.display(),
        store.display()
    )]
    Locked {
        /// The data dir.
        dir: PathBuf,
        /// The store inside it.
        store: PathBuf,
        /// The operating system's or sled's message.
        detail: String,
    },
    /// The engine refused to open the store (damage, an unsupported format, an I/O error).
    #[error("cannot open the store {}: {source}", store.display())]
    Store {
        /// The store.
        store: PathBuf,
        /// The engine's error.
        #[source]
        source: epstore_storage::Error,
    },
}

/// The store directory of a data dir.
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join(STORE_DIR)
}

/// Opens the store of a stopped server's data dir. Fails without creating anything when the dir
/// holds no store, and with [`OpenError::Locked`] when a running server holds it.
///
/// Opening finishes a compaction that a crash interrupted, as the server would.
pub fn open_store(data_dir: &Path) -> Result<Store, OpenError> {
    let store = store_path(data_dir);
    // sled keeps its data in `db`; without it, opening would create a fresh store.
    if !store.join("db").is_file() {
        return Err(OpenError::NoStore {
            dir: data_dir.to_path_buf(),
            store,
        });
    }
    let options = Options {
        compaction_interval: None,
        cache_capacity_bytes: 64 * 1024 * 1024,
        ..Options::default()
    };
    Store::open(&store, options).map_err(|source| match source {
        epstore_storage::Error::Locked { detail, .. } => OpenError::Locked {
            dir: data_dir.to_path_buf(),
            store: store.clone(),
            detail,
        },
        source => OpenError::Store {
            store: store.clone(),
            source,
        },
    })
}

//! Making a batch durable: sled's `flush()` plus an `fdatasync` of its files.
//!
//! sled 0.34.7's `flush()` writes with `sync_file_range`, which is not power-loss durable (sled#1452,
//! ANCHORS.md section 4), and it writes large pages to files under `blobs/` without any sync. So after
//! every flush we `fdatasync` the main `db` file, and when the `blobs` directory changed, every blob file
//! not yet synced and the directory itself.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// Syncs sled's files after a flush.
pub(crate) struct Durability {
    db_file: Option<File>,
    blobs_dir: PathBuf,
    blobs: Mutex<BlobState>,
}

#[derive(Default)]
struct BlobState {
    dir_mtime: Option<SystemTime>,
    synced: HashSet<std::ffi::OsString>,
}

impl Durability {
    /// Prepares syncing for the sled database at `path`; `enabled = false` makes `sync` only flush.
    pub(crate) fn new(path: &Path, enabled: bool) -> io::Result<Self> {
        let db_file = if enabled {
            Some(File::open(path.join("db"))?)
        } else {
            None
        };
        Ok(Durability {
            db_file,
            blobs_dir: path.join("blobs"),
            blobs: Mutex::new(BlobState::default()),
        })
    }

    /// Flushes sled and, when enabled, fdatasyncs its data so that everything applied so far survives a
    /// power loss. Returns how long the fsync part took, in microseconds.
    pub(crate) fn sync(&self, db: &sled::Db) -> io::Result<u64> {
        db.flush().map_err(io::Error::other)?;
        let Some(file) = &self.db_file else {
            return Ok(0);
        };
        let started = std::time::Instant::now();
        file.sync_data()?;
        self.sync_new_blobs()?;
        Ok(started.elapsed().as_micros() as u64)
    }

    /// fsyncs blob files written since the last call, and the blobs directory, when it changed.
    fn sync_new_blobs(&self) -> io::Result<()> {
        let mtime = match std::fs::metadata(&self.blobs_dir) {
            Ok(m) => m.modified().ok(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut state = self.blobs.lock().unwrap_or_else(|p| p.into_inner());
        if mtime.is_some() && state.dir_mtime == mtime {
            return Ok(());
        }
        let mut present = HashSet::new();
        for entry in std::fs::read_dir(&self.blobs_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if !state.synced.contains(&name) {
                match File::open(entry.path()) {
                    Ok(f) => f.sync_data()?,
                    // sled may garbage-collect a blob between listing and opening it.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
            }
            present.insert(name);
        }
        File::open(&self.blobs_dir)?.sync_all()?;
        state.synced = present;
        state.dir_mtime = mtime;
        Ok(())
    }
}

/// fsyncs a directory so that the files created in it are durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

//! epstore-storage: a durable MVCC engine on sled, for objects addressed by `namespace/name` keys.
//!
//! - **Revisions**: one global `u64`, +1 per committed write, persisted atomically with the write.
//! - **Writes** ([`Write`]): create-if-absent, update and delete conditional on a revision and/or uid,
//!   group-committed by one writer thread and acknowledged only after flush + fdatasync.
//! - **Reads**: get/list at the newest revision from memory; at an exact older revision from a kept
//!   snapshot or from history on disk; pages resume by seeking to their start key.
//! - **Watch**: every event after a revision, from an in-memory ring or the change log, then live.
//! - **Compaction**: removes history below a floor in bounded, crash-resumable batches.
//! - **Integrity**: every record carries a crc32; [`Store::verify`] checks the whole database.
//!
//! The engine knows bytes, keys and revisions; it does not know HTTP or the objects' schema.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), epstore_storage::Error> {
//! use epstore_storage::{Options, ReadAt, Store, Value, Write};
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), Options::default())?;
//! let done = store.commit(Write::create("default/web", Value::plain(&b"{}"[..], "uid-1", vec![]))).await?;
//! assert_eq!(done.revision, 1);
//! let got = store.get("default/web", ReadAt::Latest)?.expect("present");
//! assert_eq!(got.mod_revision, 1);
//! # Ok(()) }
//! ```

mod commit;
mod compaction;
mod durable;
mod error;
mod history;
mod key;
mod log;
mod open;
mod read;
mod record;
mod restore;
mod revision;
mod shared;
mod snapshot_file;
mod state;
mod verify;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use commit::{Change, Committed, Expect, Value, Write};
pub use compaction::CompactionReport;
pub use error::{Error, Result};
pub use read::{ListPage, ListRequest};
pub use record::{Operation, Record, FORMAT_VERSION};
pub use restore::{restore, RestoreError};
pub use revision::{ReadAt, Revision};
pub use snapshot_file::{
    read_snapshot, write_records, write_snapshot, SnapshotContents, SnapshotFileError, SNAPSHOT_MAGIC,
};
pub use state::Snapshot;
pub use verify::{Problem, VerifyReport};
pub use watch::{Event, EventKind, Watcher, FRAME_SLOTS};

use shared::Shared;

/// How a store behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// fdatasync after every batch (on by default; turning it off loses acknowledged writes on a crash
    /// and exists only for benchmarks).
    pub fsync: bool,
    /// How many recent events the in-memory watch ring holds.
    pub watch_ring_capacity: usize,
    /// The most writes one group commit takes.
    pub max_batch: usize,
    /// sled's page cache size in bytes.
    pub cache_capacity_bytes: u64,
    /// How many list snapshots are kept for paged lists.
    pub max_list_snapshots: usize,
    /// How long a list snapshot is kept after its last use.
    pub list_snapshot_ttl: Duration,
    /// A watcher that does not read for this long while events wait is closed (zero: never).
    pub watch_stall_timeout: Duration,
    /// Automatic compaction interval (None: off): every interval, compact to the revision seen one
    /// interval earlier.
    pub compaction_interval: Option<Duration>,
    /// Log records handled per compaction batch.
    pub compaction_batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fsync: true,
            watch_ring_capacity: 10_000,
            max_batch: 1024,
            cache_capacity_bytes: 256 * 1024 * 1024,
            max_list_snapshots: 16,
            list_snapshot_ttl: Duration::from_secs(75),
            watch_stall_timeout: Duration::from_secs(60),
            compaction_interval: None,
            compaction_batch: 1000,
        }
    }
}

/// Figures about a store, for metrics and `inspect summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// The newest committed revision.
    pub revision: Revision,
    /// The compaction floor.
    pub floor: Revision,
    /// Live objects.
    pub objects: u64,
    /// Watchers open now.
    pub watchers: u64,
    /// Batches committed since open.
    pub batches: u64,
    /// Writes committed since open.
    pub writes: u64,
    /// Total fsync time since open, in microseconds.
    pub fsync_micros_total: u64,
    /// The last batch's fsync time, in microseconds.
    pub last_fsync_micros: u64,
}

/// A handle on an open store: cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    path: PathBuf,
    writer_tx: Mutex<Option<Sender<commit::Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    compactor_stop: Mutex<Option<Sender<()>>>,
    compactor: Mutex<Option<JoinHandle<()>>>,
}

impl Store {
    /// Opens the store in `path`, creating it if needed, and recovers revision, floor and state.
    /// Fails with [`Error::Locked`] if another process has it open.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let compaction_interval = options.compaction_interval;
        let shared = Arc::new(open::open(&path, options)?);

        // Finish a compaction a crash interrupted, before anything else runs.
        if compaction::read_meta(&shared.db, key::META_COMPACTED)? < shared.floor() {
            compaction::remove_below_floor(&shared, &mut |_, _| {})?;
        }

        let (tx, rx) = mpsc::channel();
        let writer_shared = shared.clone();
        let writer = std::thread::Builder::new()
            .name("epstore-writer".into())
            .spawn(move || commit::run_writer(writer_shared, rx))?;

        let (compactor_stop, compactor) = match compaction_interval {
            Some(interval) if !interval.is_zero() => {
                let (stop_tx, stop_rx) = mpsc::channel();
                let compactor_shared = shared.clone();
                let handle = std::thread::Builder::new()
                    .name("epstore-compactor".into())
                    .spawn(move || compaction::run_auto(compactor_shared, interval, stop_rx))?;
                (Some(stop_tx), Some(handle))
            }
            _ => (None, None),
        };

        Ok(Store {
            inner: Arc::new(Inner {
                shared,
                path,
                writer_tx: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(writer)),
                compactor_stop: Mutex::new(compactor_stop),
                compactor: Mutex::new(compactor),
            }),
        })
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The newest committed revision.
    pub fn revision(&self) -> Revision {
        self.inner.shared.revision()
    }

    /// The compaction floor: the oldest revision still readable and watchable from.
    pub fn floor(&self) -> Revision {
        self.inner.shared.floor()
    }

    /// Commits one write and waits until it is durable.
    ///
    /// Errors: `AlreadyExists`, `NotFound`, `Conflict`, `UidMismatch` for failed conditions (nothing
    /// written); `NotDurable` when the write was applied but its fsync failed; `Closed`.
    pub async fn commit(&self, write: Write) -> Result<Committed> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(commit::Request {
            write,
            reply: commit::Reply::Async(reply),
        })?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// [`Store::commit`] for callers outside an async runtime.
    pub fn commit_blocking(&self, write: Write) -> Result<Committed> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(commit::Request {
            write,
            reply: commit::Reply::Blocking(reply),
        })?;
        answer.recv().map_err(|_| Error::Closed)?
    }

    fn send(&self, request: commit::Request) -> Result<()> {
        let tx = self.inner.writer_tx.lock().unwrap_or_else(|p| p.into_inner());
        match tx.as_ref() {
            Some(tx) => tx.send(request).map_err(|_| Error::Closed),
            None => Err(Error::Closed),
        }
    }

    /// The version of `key` at `at` (None: absent there).
    ///
    /// Errors: `FutureRevision`, `Compacted`, `Corrupt`.
    pub fn get(&self, key: &str, at: ReadAt) -> Result<Option<Arc<Record>>> {
        read::get(&self.inner.shared, key, at)
    }

    /// One page of the keys under a prefix, with the items `filter` accepts.
    ///
    /// A page at the newest revision costs O(limit + log n) and keeps its snapshot for the pages that
    /// follow; an exact older revision is read from history. Errors: `FutureRevision`, `Compacted`,
    /// `Corrupt`.
    pub fn list(
        &self,
        request: &ListRequest<'_>,
        mut filter: impl FnMut(&Record) -> bool,
    ) -> Result<ListPage> {
        read::list(&self.inner.shared, request, &mut filter)
    }

    /// An O(1) snapshot of the whole current state (for streaming a consistent list).
    pub fn snapshot(&self) -> Snapshot {
        self.inner.shared.current()
    }

    /// A watcher of the events under `prefix` with revisions greater than `after` (None: from now).
    ///
    /// Errors: `Compacted` when `after` is below the floor.
    pub fn watch(&self, prefix: &str, after: Option<Revision>) -> Result<Watcher> {
        let shared = &self.inner.shared;
        let after = match after {
            Some(rev) => {
                let floor = shared.floor();
                if rev < floor {
                    return Err(Error::Compacted {
                        requested: rev,
                        floor,
                    });
                }
                rev
            }
            None => shared.revision(),
        };
        Ok(Watcher::new(shared.clone(), prefix.to_string(), after))
    }

    /// Waits until the store reaches `revision`, for at most `timeout`. Returns the revision reached.
    ///
    /// Errors: `FutureRevision` if the store is still older after the timeout.
    pub async fn wait_for_revision(&self, revision: Revision, timeout: Duration) -> Result<Revision> {
        let mut head = self.inner.shared.head.subscribe();
        let reached = tokio::time::timeout(timeout, head.wait_for(|r| *r >= revision)).await;
        match reached {
            Ok(Ok(r)) => Ok(*r),
            _ => Err(Error::FutureRevision {
                requested: revision,
                current: self.revision(),
            }),
        }
    }

    /// Raises the compaction floor to `floor` and removes what it makes unreachable.
    pub fn compact(&self, floor: Revision) -> Result<CompactionReport> {
        compaction::compact(&self.inner.shared, floor, &mut |_, _| {})
    }

    /// [`Store::compact`] reporting progress as (revisions done, revisions total) after each batch.
    pub fn compact_with_progress(
        &self,
        floor: Revision,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<CompactionReport> {
        compaction::compact(&self.inner.shared, floor, &mut progress)
    }

    /// Checks every record and index entry. Problems are reported, not returned as errors.
    pub fn verify(&self) -> Result<VerifyReport> {
        verify::verify(&self.inner.shared.db)
    }

    /// Every stored version of `key` (puts and deletions), oldest first.
    pub fn history(&self, key: &str) -> Result<Vec<Record>> {
        let shared = &self.inner.shared;
        let mut out = Vec::new();
        for item in shared.db.scan_prefix(key::history_key_prefix(key)) {
            let (raw, _) = item?;
            let Some((_, rev)) = key::parse_history(&raw) else {
                continue;
            };
            match log::read(&shared.db, rev)? {
                Some(record) => out.push(record),
                None => return Err(Error::corrupt(key, rev, "history names a missing log record")),
            }
        }
        Ok(out)
    }

    /// The change-log records with revisions in `from..=to`, in order (compacted ones are absent).
    pub fn log(&self, from: Revision, to: Revision) -> impl Iterator<Item = Result<Record>> + '_ {
        log::range(&self.inner.shared.db, from, to)
    }

    /// Figures for metrics and inspection.
    pub fn stats(&self) -> Stats {
        let shared = &self.inner.shared;
        let state = shared.current();
        let m = &shared.metrics;
        Stats {
            revision: state.revision,
            floor: shared.floor(),
            objects: state.len() as u64,
            watchers: m.watchers.load(Ordering::Relaxed),
            batches: m.batches.load(Ordering::Relaxed),
            writes: m.writes.load(Ordering::Relaxed),
            fsync_micros_total: m.fsync_micros.load(Ordering::Relaxed),
            last_fsync_micros: m.last_fsync_micros.load(Ordering::Relaxed),
        }
    }

    /// sled's size on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.inner.shared.db.size_on_disk()?)
    }

    /// Stops the writer after the writes already queued, ends every watcher, and flushes.
    /// Later writes fail with `Closed`. Called on drop of the last handle too.
    pub fn close(&self) -> Result<()> {
        self.inner.shutdown()
    }
}

impl Inner {
    fn shutdown(&self) -> Result<()> {
        drop(
            self.compactor_stop
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        if let Some(handle) = self.compactor.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = handle.join();
        }
        drop(self.writer_tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(handle) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = handle.join();
        }
        let shared = &self.shared;
        if !shared.closed.swap(true, Ordering::AcqRel) {
            // Wake every watcher so it sees `closed`.
            shared.head.send_modify(|_| {});
            shared.durability.sync(&shared.db)?;
        }
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "closing the store failed");
        }
    }
}

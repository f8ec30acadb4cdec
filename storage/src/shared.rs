//! The state shared by the store handle, the writer, the compactor and every watcher.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch as notify;

use crate::durable::Durability;
use crate::state::{Snapshot, SnapshotRegistry};
use crate::watch::Event;
use crate::{Options, Revision};

/// Everything the engine's parts share.
pub(crate) struct Shared {
    /// The sled database (one tree, key prefixes as `key.rs` describes).
    pub(crate) db: sled::Db,
    /// Flush + fdatasync.
    pub(crate) durability: Durability,
    /// The options the store was opened with.
    pub(crate) options: Options,
    /// The newest committed state.
    state: RwLock<Snapshot>,
    /// Recent events, contiguous by revision.
    ring: RwLock<VecDeque<Arc<Event>>>,
    /// The newest revision whose event is published (watchers wait on it).
    pub(crate) head: notify::Sender<Revision>,
    /// The compaction floor: history below it is gone (or being removed).
    pub(crate) floor: AtomicU64,
    /// Snapshots kept for paged lists.
    pub(crate) snapshots: SnapshotRegistry,
    /// Live-key indexes of past revisions, for paged lists read from history.
    pub(crate) live_keys: crate::history::LiveKeysCache,
    /// Set once the store is closed: watchers end.
    pub(crate) closed: AtomicBool,
    /// Serialises compactions.
    pub(crate) compaction_lock: Mutex<()>,
    /// Counters for metrics.
    pub(crate) metrics: Metrics,
}

impl Shared {
    /// Assembles the shared state of a freshly opened store.
    pub(crate) fn new(
        db: sled::Db,
        durability: Durability,
        options: Options,
        state: Snapshot,
        floor: Revision,
    ) -> Self {
        let revision = state.revision;
        let snapshots = SnapshotRegistry::new(options.max_list_snapshots, options.list_snapshot_ttl);
        let live_keys =
            crate::history::LiveKeysCache::new(options.max_list_snapshots, options.list_snapshot_ttl);
        Shared {
            db,
            durability,
            options,
            state: RwLock::new(state),
            ring: RwLock::new(VecDeque::new()),
            head: notify::channel(revision).0,
            floor: AtomicU64::new(floor),
            snapshots,
            live_keys,
            closed: AtomicBool::new(false),
            compaction_lock: Mutex::new(()),
            metrics: Metrics::default(),
        }
    }

    /// An O(1) snapshot of the newest committed state.
    pub(crate) fn current(&self) -> Snapshot {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The newest committed revision.
    pub(crate) fn revision(&self) -> Revision {
        self.state.read().unwrap_or_else(|p| p.into_inner()).revision
    }

    /// The compaction floor.
    pub(crate) fn floor(&self) -> Revision {
        self.floor.load(Ordering::Acquire)
    }

    /// Makes a committed batch visible: state first, then the ring, then the head revision that wakes
    /// watchers. Events must be consecutive revisions following the current state.
    pub(crate) fn publish(&self, events: &[Arc<Event>]) {
        let Some(last) = events.last() else { return };
        {
            let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
            for e in events {
                state.apply(&e.record, e.record.operation == crate::Operation::Put);
            }
        }
        {
            let mut ring = self.ring.write().unwrap_or_else(|p| p.into_inner());
            // A ring that does not end right before this batch (a restart, say) starts over.
            if let Some(back) = ring.back() {
                if back.revision() + 1 != events[0].revision() {
                    ring.clear();
                }
            }
            ring.extend(events.iter().cloned());
            let cap = self.options.watch_ring_capacity.max(1);
            while ring.len() > cap {
                ring.pop_front();
            }
        }
        self.metrics
            .events
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        self.head.send_replace(last.revision());
    }

    /// Copies up to `max` events starting at revision `from` out of the ring, or None when `from` is
    /// older than the ring's oldest event (the caller must read the log on disk).
    pub(crate) fn ring_events(&self, from: Revision, max: usize) -> Option<Vec<Arc<Event>>> {
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        let first = ring.front()?.revision();
        if from < first {
            return None;
        }
        let start = usize::try_from(from - first).ok()?;
        Some(ring.iter().skip(start).take(max).cloned().collect())
    }

    /// The oldest revision held in the ring.
    pub(crate) fn ring_first(&self) -> Option<Revision> {
        self.ring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .front()
            .map(|e| e.revision())
    }
}

/// Counters the server exports as metrics.
#[derive(Default)]
pub(crate) struct Metrics {
    /// Batches committed.
    pub(crate) batches: AtomicU64,
    /// Writes committed.
    pub(crate) writes: AtomicU64,
    /// Events published.
    pub(crate) events: AtomicU64,
    /// Total fsync time in microseconds.
    pub(crate) fsync_micros: AtomicU64,
    /// The last batch's fsync time in microseconds.
    pub(crate) last_fsync_micros: AtomicU64,
    /// Watchers currently open.
    pub(crate) watchers: AtomicU64,
}

impl Metrics {
    /// Records one durable batch.
    pub(crate) fn record_fsync(&self, micros: u64, writes: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes as u64, Ordering::Relaxed);
        self.fsync_micros.fetch_add(micros, Ordering::Relaxed);
        self.last_fsync_micros.store(micros, Ordering::Relaxed);
    }
}

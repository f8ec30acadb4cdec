//! Compaction: removing history and log entries below a floor.
//!
//! After `compact(F)` every key keeps its newest version at or below F (if that version is live) and
//! everything above F; reads at revisions below F and watches starting below F get `Compacted`.
//!
//! Crash safety: the floor is written and made durable *before* anything is deleted, and progress
//! (`m/compacted`) is written in the same atomic batch as each bounded batch of deletions. A crash
//! mid-way leaves a floor above the progress mark, and opening the store resumes from the mark.
//!
//! The work is proportional to the revisions being compacted, not to the whole history: the log record
//! at revision r (F_old < r <= F) names the version it replaced, which is now superseded at or below F
//! and can go; a deletion record at or below F goes too, since the key is absent at F.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::key;
use crate::log;
use crate::record::Operation;
use crate::revision::{from_be, to_be};
use crate::shared::Shared;
use crate::Revision;

/// What one compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// The floor before the call.
    pub previous_floor: Revision,
    /// The floor after it.
    pub floor: Revision,
    /// Log records read.
    pub scanned: u64,
    /// Log records (with their history entries) removed.
    pub removed: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Reads a revision-valued meta key (0 when absent).
pub(crate) fn read_meta(db: &sled::Db, name: &[u8]) -> Result<Revision> {
    match db.get(name)? {
        Some(raw) => from_be(&raw).ok_or_else(|| {
            Error::corrupt(
                "?",
                0,
                format!("malformed meta value {:?}", String::from_utf8_lossy(name)),
            )
        }),
        None => Ok(0),
    }
}

/// Raises the floor to `floor` and removes what it makes unreachable. `progress` is called after each
/// batch with (revisions done, revisions total).
pub(crate) fn compact(
    shared: &Shared,
    floor: Revision,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CompactionReport> {
    let _guard = shared.compaction_lock.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    let current = shared.revision();
    if floor > current {
        return Err(Error::FutureRevision {
            requested: floor,
            current,
        });
    }
    let previous_floor = shared.floor();
    if floor > previous_floor {
        shared.db.insert(key::META_FLOOR, to_be(floor).to_vec())?;
        shared.durability.sync(&shared.db)?;
        shared.floor.store(floor, Ordering::Release);
        shared.snapshots.drop_below(floor);
        shared.live_keys.drop_below(floor);
    }
    let mut report = remove_below_floor(shared, progress)?;
    report.previous_floor = previous_floor;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Removes everything the persisted floor makes unreachable, from the persisted progress mark on.
/// Also the resume path after a crash.
pub(crate) fn remove_below_floor(
    shared: &Shared,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CompactionReport> {
    let floor = read_meta(&shared.db, key::META_FLOOR)?;
    let mut done_through = read_meta(&shared.db, key::META_COMPACTED)?;
    let total = floor.saturating_sub(done_through);
    let start_mark = done_through;
    let batch_size = shared.options.compaction_batch.max(1);
    let mut report = CompactionReport {
        floor,
        ..Default::default()
    };
    while done_through < floor {
        let mut batch = sled::Batch::default();
        let mut last = done_through;
        let mut seen = 0usize;
        for record in log::range(&shared.db, done_through + 1, floor) {
            let record = record?;
            report.scanned += 1;
            if record.prev_revision != 0 {
                batch.remove(&key::log(record.prev_revision)[..]);
                batch.remove(key::history(&record.key, record.prev_revision));
                report.removed += 1;
            }
            if record.operation == Operation::Delete {
                batch.remove(&key::log(record.mod_revision)[..]);
                batch.remove(key::history(&record.key, record.mod_revision));
                report.removed += 1;
            }
            last = record.mod_revision;
            seen += 1;
            if seen == batch_size {
                break;
            }
        }
        if seen < batch_size {
            last = floor; // the range is exhausted: everything through the floor is done
        }
        batch.insert(key::META_COMPACTED, to_be(last).to_vec());
        shared.db.apply_batch(batch)?;
        done_through = last;
        progress(done_through - start_mark, total);
        // Let the writer in between batches.
        std::thread::yield_now();
    }
    shared.db.flush()?;
    Ok(report)
}

/// The automatic compactor: every `interval`, compacts to the revision seen one interval earlier
/// (kube-apiserver's rule). Stops when `stop` fires or its sender is dropped.
pub(crate) fn run_auto(shared: Arc<Shared>, interval: Duration, stop: Receiver<()>) {
    let mut seen_last_tick = shared.revision();
    loop {
        match stop.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let target = seen_last_tick;
        seen_last_tick = shared.revision();
        if target <= shared.floor() {
            continue;
        }
        match compact(&shared, target, &mut |_, _| {}) {
            Ok(report) => tracing::info!(
                floor = report.floor,
                removed = report.removed,
                elapsed_ms = report.elapsed.as_millis() as u64,
                "compacted"
            ),
            Err(e) => tracing::warn!(error = %e, "automatic compaction failed"),
        }
    }
}

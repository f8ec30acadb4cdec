//! Watch: events after a revision, from the in-memory ring or the change log on disk, then live.
//!
//! A [`Watcher`] pulls: it keeps a cursor (the next revision it wants) and copies events out of the
//! shared ring, so writers never wait for it and a watcher that stops reading holds no memory beyond its
//! small buffer. When its cursor is older than the ring (it started from an old revision, or fell behind
//! while running) it reads the change log on disk until it reaches the ring again: no event is lost or
//! duplicated. Each event is one shared allocation; [`Event::frame`] caches its encoded bytes so a
//! thousand watchers encode it once.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::watch as notify;

use crate::error::{Error, Result};
use crate::log;
use crate::record::Record;
use crate::shared::Shared;
use crate::Revision;

/// How many cached encodings an event keeps (the API decides what each slot holds).
pub const FRAME_SLOTS: usize = 4;

/// How many events a watcher copies per refill.
const REFILL: usize = 512;

/// The type of a change, as watch events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The key was created.
    Added,
    /// The key was updated.
    Modified,
    /// The key was deleted.
    Deleted,
}

/// One committed change.
#[derive(Debug)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The new version (for a deletion: the final state, at the deletion's revision).
    pub record: Arc<Record>,
    /// The version it replaced, if any.
    pub previous: Option<Arc<Record>>,
    frames: [OnceLock<Bytes>; FRAME_SLOTS],
}

impl Event {
    /// An event with empty frame caches.
    pub(crate) fn new(kind: EventKind, record: Arc<Record>, previous: Option<Arc<Record>>) -> Self {
        Event {
            kind,
            record,
            previous,
            frames: Default::default(),
        }
    }

    /// The event's revision.
    pub fn revision(&self) -> Revision {
        self.record.mod_revision
    }

    /// The key that changed.
    pub fn key(&self) -> &str {
        &self.record.key
    }

    /// The encoding cached in `slot`, built by `build` the first time any watcher asks. Slots past
    /// [`FRAME_SLOTS`] are built every time.
    pub fn frame(&self, slot: usize, build: impl FnOnce(&Event) -> Bytes) -> Bytes {
        match self.frames.get(slot) {
            Some(cell) => cell.get_or_init(|| build(self)).clone(),
            None => build(self),
        }
    }
}

/// A stream of the events after a revision under a key prefix.
pub struct Watcher {
    shared: Arc<Shared>,
    prefix: String,
    /// The next revision this watcher has not yet looked at.
    cursor: Revision,
    head: notify::Receiver<Revision>,
    buffer: VecDeque<Arc<Event>>,
    last_poll: Instant,
}

impl Watcher {
    /// A watcher of `prefix` delivering revisions greater than `after`.
    pub(crate) fn new(shared: Arc<Shared>, prefix: String, after: Revision) -> Self {
        let head = shared.head.subscribe();
        shared.metrics.watchers.fetch_add(1, Ordering::Relaxed);
        Watcher {
            shared,
            prefix,
            cursor: after + 1,
            head,
            buffer: VecDeque::new(),
            last_poll: Instant::now(),
        }
    }

    /// The revision through which every event under the prefix has been delivered: a resume point
    /// (`watch(prefix, position)` continues without loss or duplicates).
    pub fn position(&self) -> Revision {
        match self.buffer.front() {
            Some(next) => next.revision() - 1,
            None => self.cursor - 1,
        }
    }

    /// The next event, waiting for one if none is pending. `Ok(None)` means the store was closed.
    ///
    /// Errors: `Compacted` when the events this watcher still needs were compacted away (it fell behind
    /// the floor), `WatcherStalled` when it did not read for longer than the store's stall timeout while an
    /// event waited for it (the apiserver closes such watchers too), `Corrupt` for a damaged log record.
    pub async fn next(&mut self) -> Result<Option<Arc<Event>>> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.last_poll = Instant::now();
                return Ok(Some(event));
            }
            if self.shared.closed.load(Ordering::Acquire) {
                return Ok(None);
            }
            let head = *self.head.borrow_and_update();
            if self.cursor > head {
                self.last_poll = Instant::now();
                if self.head.changed().await.is_err() {
                    return Ok(None);
                }
                continue;
            }
            self.check_stalled()?;
            self.refill(head)?;
        }
    }

    /// The next event if one is ready now, without waiting.
    pub fn try_next(&mut self) -> Result<Option<Arc<Event>>> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.last_poll = Instant::now();
                return Ok(Some(event));
            }
            let head = *self.head.borrow_and_update();
            if self.cursor > head || self.shared.closed.load(Ordering::Acquire) {
                return Ok(None);
            }
            self.refill(head)?;
        }
    }

    /// Fails if events have waited for this watcher longer than the stall timeout while it did not poll.
    fn check_stalled(&self) -> Result<()> {
        let timeout = self.shared.options.watch_stall_timeout;
        if timeout.is_zero() {
            return Ok(());
        }
        let idle = self.last_poll.elapsed();
        if idle <= timeout {
            return Ok(());
        }
        // The event at the cursor: how long has it been waiting?
        let waiting_since_ms = match self.shared.ring_events(self.cursor, 1) {
            Some(events) => events.first().map(|e| e.record.committed_at_ms),
            None => None,
        };
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let waited = waiting_since_ms.map(|t| Duration::from_millis(now_ms.saturating_sub(t)));
        // An event older than the ring waited at least as long as the ring's span: stalled too.
        if waited.is_none_or(|w| w > timeout) {
            return Err(Error::WatcherStalled {
                idle_ms: idle.as_millis() as u64,
            });
        }
        Ok(())
    }

    /// Moves the next events (at most up to `head`) into the buffer, from the ring or from disk.
    fn refill(&mut self, head: Revision) -> Result<()> {
        if let Some(events) = self.shared.ring_events(self.cursor, REFILL) {
            for event in events {
                if event.revision() > head {
                    break;
                }
                self.cursor = event.revision() + 1;
                if event.key().starts_with(self.prefix.as_str()) {
                    self.buffer.push_back(event);
                }
            }
            return Ok(());
        }
        self.catch_up_from_disk(head)
    }

    /// Reads up to [`REFILL`] events from the change log, stopping where the ring begins.
    fn catch_up_from_disk(&mut self, head: Revision) -> Result<()> {
        let floor = self.shared.floor();
        if self.cursor <= floor {
            return Err(Error::Compacted {
                requested: self.cursor - 1,
                floor,
            });
        }
        let ring_first = self.shared.ring_first().unwrap_or(head + 1);
        let last = head
            .min(ring_first.saturating_sub(1))
            .min(self.cursor + REFILL as u64 - 1);
        for rev in self.cursor..=last {
            let event = log::event(&self.shared.db, rev, self.shared.floor())?;
            self.cursor = rev + 1;
            if event.key().starts_with(self.prefix.as_str()) {
                self.buffer.push_back(Arc::new(event));
            }
        }
        // Compaction may have raised the floor while we read: what we read may be incomplete.
        let floor = self.shared.floor();
        if last < floor {
            self.buffer.clear();
            return Err(Error::Compacted {
                requested: last,
                floor,
            });
        }
        Ok(())
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shared.metrics.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

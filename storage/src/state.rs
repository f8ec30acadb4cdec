//! The in-memory current state: every live object, sorted by key, as a persistent vector.
//!
//! Like the apiserver's watch cache, lists at the newest revision are served from here without touching
//! disk. The vector is persistent (`imbl`): a [`Snapshot`] is an O(1) clone that later writes do not
//! disturb, so a list can stream a consistent state without holding any lock, and a page can find its
//! start key by binary search and count the keys after it by index arithmetic: a page costs
//! O(limit + log n), never O(n).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use imbl::Vector;

use crate::error::{Error, Result};
use crate::record::Record;
use crate::Revision;

/// An immutable view of all live objects at one revision.
#[derive(Clone)]
pub struct Snapshot {
    /// The revision this state is exactly the state at.
    pub revision: Revision,
    /// Live objects, sorted by key bytes.
    pub(crate) items: Vector<Arc<Record>>,
    /// Keys whose current record failed its checksum at open (their reads fail).
    pub(crate) damaged: Arc<BTreeMap<String, String>>,
}

impl Snapshot {
    /// An empty state at revision `revision`.
    #[cfg(test)]
    pub(crate) fn empty(revision: Revision) -> Self {
        Snapshot {
            revision,
            items: Vector::new(),
            damaged: Arc::new(BTreeMap::new()),
        }
    }

    /// The number of live objects.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no live object.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every live record, sorted by key bytes.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &Arc<Record>> + '_ {
        self.items.iter()
    }

    /// Index of the first item whose key is `>= key`.
    pub(crate) fn lower_bound(&self, key: &[u8]) -> usize {
        match self.items.binary_search_by(|r| r.key.as_bytes().cmp(key)) {
            Ok(i) | Err(i) => i,
        }
    }

    /// The current record of `key`.
    pub fn get(&self, key: &str) -> Result<Option<Arc<Record>>> {
        if let Some(detail) = self.damaged.get(key) {
            return Err(Error::corrupt(key, 0, detail.clone()));
        }
        Ok(self
            .items
            .binary_search_by(|r| r.key.as_ref().cmp(key))
            .ok()
            .and_then(|i| self.items.get(i).cloned()))
    }

    /// Fails with `Corrupt` if a damaged key lies in `[from, to)`.
    pub(crate) fn check_damage(&self, from: &[u8], to: Option<&[u8]>) -> Result<()> {
        for (key, detail) in self.damaged.iter() {
            let k = key.as_bytes();
            if k >= from && to.is_none_or(|t| k < t) {
                return Err(Error::corrupt(key.clone(), 0, detail.clone()));
            }
        }
        Ok(())
    }

    /// Applies one committed change (a new version of a key, or its deletion).
    pub(crate) fn apply(&mut self, record: &Arc<Record>, live: bool) {
        let found = self
            .items
            .binary_search_by(|r| r.key.as_ref().cmp(record.key.as_ref()));
        match (found, live) {
            (Ok(i), true) => {
                self.items.set(i, record.clone());
            }
            (Err(i), true) => self.items.insert(i, record.clone()),
            (Ok(i), false) => {
                self.items.remove(i);
            }
            (Err(_), false) => {}
        }
        if self.damaged.contains_key(record.key.as_ref()) {
            Arc::make_mut(&mut self.damaged).remove(record.key.as_ref());
        }
        self.revision = record.mod_revision;
    }

    /// Builds a state from records already sorted by key.
    pub(crate) fn from_sorted(
        revision: Revision,
        records: Vec<Arc<Record>>,
        damaged: BTreeMap<String, String>,
    ) -> Self {
        Snapshot {
            revision,
            items: records.into_iter().collect(),
            damaged: Arc::new(damaged),
        }
    }
}

/// Snapshots kept for paged lists: the first page of a list at the newest revision registers its
/// snapshot, and the pages that follow (continue tokens name that revision) are served from it instead of
/// from history on disk. Bounded in count and age, like the apiserver's cache snapshots.
pub(crate) struct SnapshotRegistry {
    kept: Mutex<VecDeque<(Instant, Snapshot)>>,
    max: usize,
    ttl: Duration,
}

impl SnapshotRegistry {
    /// A registry keeping at most `max` snapshots for at most `ttl` each.
    pub(crate) fn new(max: usize, ttl: Duration) -> Self {
        SnapshotRegistry {
            kept: Mutex::new(VecDeque::new()),
            max,
            ttl,
        }
    }

    /// Keeps `snapshot` (once per revision), evicting the oldest beyond the bound.
    pub(crate) fn keep(&self, snapshot: &Snapshot) {
        if self.max == 0 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        kept.retain(|(at, _)| now.duration_since(*at) < self.ttl);
        if let Some(entry) = kept.iter_mut().find(|(_, s)| s.revision == snapshot.revision) {
            entry.0 = now;
            return;
        }
        if kept.len() >= self.max {
            kept.pop_front();
        }
        kept.push_back((now, snapshot.clone()));
    }

    /// The kept snapshot at exactly `revision`, if any (refreshing its age).
    pub(crate) fn find(&self, revision: Revision) -> Option<Snapshot> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        kept.retain(|(at, _)| now.duration_since(*at) < self.ttl);
        let entry = kept.iter_mut().find(|(_, s)| s.revision == revision)?;
        entry.0 = now;
        Some(entry.1.clone())
    }

    /// Drops every kept snapshot older than `floor` (compaction made them unreadable).
    pub(crate) fn drop_below(&self, floor: Revision) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(_, s)| s.revision >= floor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Operation;
    use bytes::Bytes;

    fn rec(key: &str, rev: Revision) -> Arc<Record> {
        Arc::new(Record {
            key: Arc::from(key),
            operation: Operation::Put,
            create_revision: rev,
            mod_revision: rev,
            prev_revision: 0,
            uid: Arc::from(""),
            labels: Arc::from(Vec::new()),
            committed_at_ms: 0,
            value: Bytes::new(),
        })
    }

    #[test]
    fn apply_keeps_keys_sorted_and_snapshots_isolated() {
        let mut s = Snapshot::empty(0);
        s.apply(&rec("b/x", 1), true);
        s.apply(&rec("a/y", 2), true);
        let before = s.clone();
        s.apply(&rec("c/z", 3), true);
        s.apply(&rec("a/y", 4), false);
        let keys: Vec<_> = s.items.iter().map(|r| r.key.to_string()).collect();
        assert_eq!(keys, ["b/x", "c/z"]);
        assert_eq!(s.revision, 4);
        let old: Vec<_> = before.items.iter().map(|r| r.key.to_string()).collect();
        assert_eq!(old, ["a/y", "b/x"]);
        assert_eq!(before.revision, 2);
        assert_eq!(s.lower_bound(b"b/"), 0);
        assert_eq!(s.lower_bound(b"c"), 1);
        assert_eq!(s.lower_bound(b"d"), 2);
    }

    #[test]
    fn registry_is_bounded_and_finds_by_revision() {
        let reg = SnapshotRegistry::new(2, Duration::from_secs(60));
        for rev in 1..=3 {
            reg.keep(&Snapshot::empty(rev));
        }
        assert!(reg.find(1).is_none());
        assert_eq!(reg.find(3).map(|s| s.revision), Some(3));
        reg.drop_below(3);
        assert!(reg.find(2).is_none());
    }
}

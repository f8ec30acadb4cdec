//! Reads of past revisions from the history index on disk.
//!
//! `h/<key>\0<revision>` entries list every stored version of every key, in key then revision order, so
//! the state of a key at revision N is its newest entry at or below N (absent if that entry is a
//! deletion).
//!
//! A list at N first builds (or finds) a [`LiveKeys`] index: the keys live at N under the list's
//! prefix with the revision of their version, from one keys-only scan of the history index. Pages are
//! then cut from it by binary search and index arithmetic, and only the page's own records are read
//! from the log, so paging a whole collection at a pinned revision costs one scan plus O(limit + log n)
//! per page, not O(n) per page.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::key;
use crate::log;
use crate::read::ListPage;
use crate::record::{Operation, Record};
use crate::Revision;

/// The version of `key` live at `revision`, if any.
pub(crate) fn get_at(db: &sled::Db, object_key: &str, revision: Revision) -> Result<Option<Arc<Record>>> {
    let lo = key::history_key_prefix(object_key);
    let hi = key::history(object_key, revision);
    let Some(entry) = db.range(lo..=hi).next_back() else {
        return Ok(None);
    };
    let (raw_key, op) = entry?;
    let (_, rev) =
        key::parse_history(&raw_key).ok_or_else(|| Error::corrupt(object_key, 0, "malformed history key"))?;
    match op.first().copied().and_then(Operation::from_code) {
        Some(Operation::Delete) => Ok(None),
        Some(Operation::Put) => {
            let record = log::read(db, rev)?
                .ok_or_else(|| Error::corrupt(object_key, rev, "history names a missing log record"))?;
            Ok(Some(Arc::new(record)))
        }
        None => Err(Error::corrupt(
            object_key,
            rev,
            "unknown operation in history entry",
        )),
    }
}

/// The keys live at one revision under one prefix, sorted, with the revision of each key's version.
pub(crate) struct LiveKeys {
    revision: Revision,
    prefix: String,
    keys: Vec<(Arc<str>, Revision)>,
}

/// Scans the history index under `prefix` for the keys live at `revision`.
fn scan_live_keys(db: &sled::Db, prefix: &str, revision: Revision) -> Result<LiveKeys> {
    let scan_from = key::history_scan_start(prefix);
    let iter = match key::prefix_end(&scan_from) {
        Some(end) => db.range(scan_from..end),
        None => db.range(scan_from..),
    };
    let mut keys: Vec<(Arc<str>, Revision)> = Vec::new();
    let mut group: Option<(String, Option<(Revision, u8)>)> = None;
    let finish = |group: Option<(String, Option<(Revision, u8)>)>, keys: &mut Vec<(Arc<str>, Revision)>| {
        if let Some((name, Some((rev, op)))) = group {
            if Operation::from_code(op) == Some(Operation::Put) {
                keys.push((Arc::from(name), rev));
            }
        }
    };
    for entry in iter {
        let (raw_key, op) = entry?;
        let (name, rev) =
            key::parse_history(&raw_key).ok_or_else(|| Error::corrupt("?", 0, "malformed history key"))?;
        if !matches!(&group, Some((g, _)) if g == name) {
            finish(group.take(), &mut keys);
            group = Some((name.to_string(), None));
        }
        if rev <= revision {
            if let Some((_, newest)) = group.as_mut() {
                *newest = Some((rev, op.first().copied().unwrap_or(0)));
            }
        }
    }
    finish(group.take(), &mut keys);
    Ok(LiveKeys {
        revision,
        prefix: prefix.to_string(),
        keys,
    })
}

/// Recently built [`LiveKeys`] indexes, bounded in count and age (like kept list snapshots).
pub(crate) struct LiveKeysCache {
    kept: Mutex<VecDeque<(Instant, Arc<LiveKeys>)>>,
    max: usize,
    ttl: Duration,
}

impl LiveKeysCache {
    /// A cache of at most `max` indexes kept for at most `ttl` after their last use.
    pub(crate) fn new(max: usize, ttl: Duration) -> Self {
        LiveKeysCache {
            kept: Mutex::new(VecDeque::new()),
            max,
            ttl,
        }
    }

    /// The index for (`revision`, `prefix`), built by one scan when not kept.
    fn get_or_scan(&self, db: &sled::Db, prefix: &str, revision: Revision) -> Result<Arc<LiveKeys>> {
        {
            let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            kept.retain(|(at, _)| now.duration_since(*at) < self.ttl);
            if let Some(entry) = kept
                .iter_mut()
                .find(|(_, k)| k.revision == revision && k.prefix == prefix)
            {
                entry.0 = now;
                return Ok(entry.1.clone());
            }
        }
        let built = Arc::new(scan_live_keys(db, prefix, revision)?);
        if self.max > 0 {
            let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() >= self.max {
                kept.pop_front();
            }
            kept.push_back((Instant::now(), built.clone()));
        }
        Ok(built)
    }

    /// Drops every index below `floor` (compaction made them unreadable).
    pub(crate) fn drop_below(&self, floor: Revision) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(_, k)| k.revision >= floor);
    }
}

/// A page of the state at `revision`: keys under `prefix`, from `start` (inclusive), at most `limit`
/// items passing `filter` (0 = no limit). `remaining` counts the live keys after the page.
pub(crate) fn list_at(
    db: &sled::Db,
    cache: &LiveKeysCache,
    prefix: &str,
    start: &str,
    limit: usize,
    revision: Revision,
    filter: &mut dyn FnMut(&Record) -> bool,
) -> Result<ListPage> {
    let live = cache.get_or_scan(db, prefix, revision)?;
    let lo = live.keys.partition_point(|(k, _)| k.as_ref() < start);
    let mut page = ListPage {
        revision,
        items: Vec::new(),
        continue_from: None,
        remaining: 0,
    };
    for (i, (name, rev)) in live.keys.iter().enumerate().skip(lo) {
        let record = log::read(db, *rev)?
            .ok_or_else(|| Error::corrupt(name.to_string(), *rev, "history names a missing log record"))?;
        if !filter(&record) {
            continue;
        }
        page.items.push(Arc::new(record));
        if limit > 0 && page.items.len() == limit {
            let after = live.keys.len() - (i + 1);
            if after > 0 {
                page.remaining = after as u64;
                page.continue_from = Some(format!("{name}\0"));
            }
            break;
        }
    }
    Ok(page)
}
